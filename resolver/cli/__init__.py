"""The ``resolver`` command line.

This module only parses arguments into an :class:`Options` object and hands
it to the command's ``run()``; commands build loader, store and reporter.
Exit codes are decided here, in one place: 0 done, 1 refused / invalid,
2 usage or a file that cannot be opened, 130 interrupted. Data goes to
stdout, messages to stderr, and a user mistake never ends in a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from resolver.errors import ResolverError, UsageError

__all__ = ["Options", "main"]

PROG = "resolver"


@dataclass
class Options:
    """Everything a command needs from the command line and the environment."""

    command: str
    config: str | None = None
    home: str | None = None
    state: str | None = None
    format: str | None = None
    overlays: list[str] = field(default_factory=list)
    sets: list[str] = field(default_factory=list)
    args: dict[str, Any] = field(default_factory=dict)

    def config_path(self) -> str:
        from resolver.paths import default_config_path

        return self.config or default_config_path()

    def clock(self) -> Callable[[], float] | None:
        """``RESOLVER_FAKE_TIME`` (epoch seconds) pins the clock: reproducible output for docs and tests."""
        fake = os.environ.get("RESOLVER_FAKE_TIME")
        if not fake:
            return None
        try:
            value = float(fake)
        except ValueError:
            raise UsageError(f"RESOLVER_FAKE_TIME={fake!r} is not a number of seconds") from None
        return lambda: value

    def load(self) -> Any:
        """The Resolver for this command line (config, overlays, --set, --state)."""
        from resolver.api import load

        return load(
            self.config_path(), state=self.state, overrides=self.sets, overlays=self.overlays, clock=self.clock()
        )

    def fmt(self, choices: Sequence[str], default: str = "text") -> str:
        value = self.format or default
        if value not in choices:
            raise UsageError(
                f"--format {value!r} is not available for '{self.command}'; choose from {', '.join(choices)}"
            )
        return value


# Options accepted before and after the subcommand: (flags, dest, kwargs)
_GLOBAL: tuple[tuple[tuple[str, ...], str, dict[str, Any]], ...] = (
    (
        ("--config", "-c"),
        "config",
        {"metavar": "FILE", "help": "config.yaml to use (env RESOLVER_CONFIG; default: the user config dir)"},
    ),
    (
        ("--overlay",),
        "overlays",
        {"metavar": "FILE", "action": "append", "help": "a file merged over the config, in order (repeatable)"},
    ),
    (
        ("--set",),
        "sets",
        {
            "metavar": "KEY=VALUE",
            "action": "append",
            "help": "override one value, last: --set cooldowns.rate_limit=600, --set 'credential_pool_strategies[custom:x.y]=random'",
        },
    ),
    (("--home",), "home", {"metavar": "DIR", "help": "root for state and plan cache (env RESOLVER_HOME)"}),
    (
        ("--state",),
        "state",
        {
            "metavar": "URL",
            "help": "state store URL: file://PATH, memory://, redis://HOST:PORT/DB (env RESOLVER_STATE_URL)",
        },
    ),
    (("--format", "-f"), "format", {"metavar": "FORMAT", "help": "output format (text, json, ... per command)"}),
)


def _add_globals(parser: argparse.ArgumentParser, prefix: str) -> None:
    group = parser.add_argument_group("global options (before or after the command)")
    for flags, dest, kwargs in _GLOBAL:
        group.add_argument(*flags, dest=prefix + dest, default=argparse.SUPPRESS, **kwargs)


class _Formatter(argparse.RawDescriptionHelpFormatter):
    pass


def _commands() -> dict[
    str,
    tuple[
        Callable[[argparse._SubParsersAction[Any], Callable[..., argparse.ArgumentParser]], None],
        Callable[[Options], int],
    ],
]:
    from resolver.cli import auth_cmd, plan_cmd, resolve_cmd, schema_cmd, validate_cmd

    return {
        "auth": (auth_cmd.add_parser, auth_cmd.run),
        "resolve": (resolve_cmd.add_parser, resolve_cmd.run),
        "plan": (plan_cmd.add_parser, plan_cmd.run),
        "validate": (validate_cmd.add_parser, validate_cmd.run),
        "schema": (schema_cmd.add_parser, schema_cmd.run),
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        formatter_class=_Formatter,
        description="Decide which LLM endpoint, model and credential to use, and check config.yaml.",
        epilog=(
            "examples:\n  resolver validate examples/config.yaml\n"
            "  resolver --config examples/config.yaml resolve\n"
            "  resolver --config examples/config.yaml plan --format mermaid\n"
        ),
    )
    from resolver import __version__

    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _add_globals(parser, "root_")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def make(
        name: str, *, help: str, description: str, examples: Sequence[str], under: Any = None
    ) -> argparse.ArgumentParser:
        """A (sub)command parser with the global options and an examples epilog."""
        p = (under or sub).add_parser(
            name,
            help=help,
            description=description,
            formatter_class=_Formatter,
            epilog="examples:\n" + "\n".join(f"  {e}" for e in examples) + "\n",
        )
        _add_globals(p, "")
        return p

    for add, _run in _commands().values():
        add(sub, make)
    return parser


def parse_options(argv: Sequence[str]) -> Options:
    parser = build_parser()
    ns = vars(parser.parse_args(list(argv)))
    command = ns.pop("command", None)
    if not command:
        parser.print_help(sys.stderr)
        raise UsageError("a command is required")
    opts = Options(command=command)
    for _flags, dest, kwargs in _GLOBAL:
        before, after = ns.pop("root_" + dest, None), ns.pop(dest, None)
        if kwargs.get("action") == "append":
            setattr(opts, dest, [*(before or []), *(after or [])])
        else:
            setattr(opts, dest, after if after is not None else before)
    opts.args = ns
    if opts.home:
        os.environ["RESOLVER_HOME"] = opts.home
    if opts.state is None:
        opts.state = os.environ.get("RESOLVER_STATE_URL") or None
    return opts


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (the console script exits with it)."""
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        try:
            opts = parse_options(args)
        except SystemExit as exc:  # argparse: --help, --version, usage errors
            return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        return _commands()[opts.command][1](opts)
    except ResolverError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (resolver ... | head): not an error of ours
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silences the flush at exit
        return 0
