"""``resolver auth`` on a terminal: pool status first, then a numbered menu.

Plain prompts (``input`` and ``getpass`` for keys), no full-screen UI: they
work over ssh, in dumb terminals and with screen readers, and are driven by
a real pseudo-terminal in the tests. Every action is one atomic store
operation or one validated config edit, so Ctrl-C or end of input at any
prompt leaves nothing half-written.
"""

from __future__ import annotations

import getpass
import sys

from resolver.cli import Options
from resolver.cli.auth_cmd import (
    STRATEGIES,
    _now,
    _wants_colour,
    add_credential,
    listed_pools,
    remove_credential,
    render_pools,
    reset_credentials,
    set_pool_strategy,
)
from resolver.errors import ResolverError

MENU = ("add a credential", "remove a credential", "reset cooldowns", "set a strategy", "exit")


def _ask(prompt: str, default: str | None = None) -> str:
    suffix = f" [{default}]" if default else ""
    answer = input(f"{prompt}{suffix}: ").strip()
    return answer or (default or "")


def _choose(prompt: str, options: list[str], current: int | None = None) -> int:
    for i, text in enumerate(options, 1):
        mark = "  (current)" if current is not None and i - 1 == current else ""
        print(f"  {i}) {text}{mark}")
    while True:
        answer = _ask(prompt)
        if answer.isdigit() and 1 <= int(answer) <= len(options):
            return int(answer) - 1
        if answer in options:
            return options.index(answer)
        print(f"  choose 1-{len(options)}")


def _show(opts: Options) -> None:
    with opts.load() as r:
        pools = listed_pools(r, None, False, _now(opts))
    sys.stdout.write(render_pools(pools, colour=_wants_colour(sys.stdout)))


def _add(opts: Options) -> None:
    with opts.load() as r:
        pool = r.plan.pool(_ask("Pool", r.plan.primary))
        spec_types = _auth_types(pool.provider)
        auth_type = "api_key"
        if len(spec_types) > 1:
            auth_type = ("api_key", "oauth")[_choose("Type", ["API key", "OAuth access token"])]
        secret = getpass.getpass(
            f"{'API key' if auth_type == 'api_key' else 'Access token'} for {pool.pool_key} (input hidden): "
        )
        label = _ask("Label (optional)") or None
        index, name = add_credential(r, pool.pool_key, secret, label=label, auth_type=auth_type, now=_now(opts))
    print(f'Added {pool.pool_key} credential #{index} "{name}"')


def _auth_types(provider: str) -> tuple[str, ...]:
    from resolver.registry import get

    spec = get(provider)
    return spec.auth_types if spec else ("api_key",)


def _remove(opts: Options) -> None:
    with opts.load() as r:
        pool = r.plan.pool(_ask("Pool", r.plan.primary))
        index, m = remove_credential(r, pool.pool_key, _ask("Credential (id, label or #)"))
    print(f'Removed {pool.pool_key} credential #{index} "{m.label}" ({m.source})')


def _reset(opts: Options) -> None:
    with opts.load() as r:
        pool = r.plan.pool(_ask("Pool", r.plan.primary))
        n = reset_credentials(r, pool.pool_key, None, _now(opts))
    print(f"Reset {n} credential{'s' if n != 1 else ''} in {pool.pool_key}")


def _strategy(opts: Options) -> None:
    with opts.load() as r:
        pool = r.plan.pool(_ask("Pool", r.plan.primary))
    current = STRATEGIES.index(pool.strategy) if pool.strategy in STRATEGIES else None
    choice = STRATEGIES[_choose("Strategy", list(STRATEGIES), current)]
    key = set_pool_strategy(opts, pool.pool_key, choice)
    print(f"Set the strategy of {key} to {choice} in {opts.config_path()}")


ACTIONS = (_add, _remove, _reset, _strategy)


def interactive(opts: Options) -> int:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        _show(opts)
        print(
            "(not a terminal: nothing asked. Use 'resolver auth add|remove|reset|strategy ...', see --help)",
            file=sys.stderr,
        )
        return 0
    try:
        while True:
            _show(opts)
            print("What next?")
            pick = _choose(">", list(MENU))
            if pick == len(MENU) - 1:
                return 0
            try:
                ACTIONS[pick](opts)
            except ResolverError as exc:  # refused or not found: say so and show the menu again
                print(f"resolver: {exc}", file=sys.stderr)
            print()
    except (KeyboardInterrupt, EOFError):
        print("\nbye: nothing was left half-done", file=sys.stderr)
        return 130
