"""``resolver validate [FILE]``: report every problem of a config, at its line and column."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from resolver.cli import Options

FORMATS = ("text", "json")


def add_parser(sub: Any, make: Callable[..., Any]) -> None:
    p = make(
        "validate",
        help="check a config file and report every problem",
        description=(
            "Check config.yaml (plus --overlay files and --set values) against the schema and\n"
            "the semantic rules. Prints FILE:LINE:COL: error|warning: message [json.path].\n"
            "Exit status: 0 valid (warnings allowed), 1 invalid, 2 usage error or unreadable file."
        ),
        examples=[
            "resolver validate examples/config.yaml",
            "resolver validate config.yaml --format json",
            "resolver validate --overlay prod.yaml --set cooldowns.rate_limit=600",
        ],
    )
    p.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="config file(s), each checked on its own (default: --config, RESOLVER_CONFIG, or the user config dir)",
    )


def run(opts: Options) -> int:
    from resolver.config import validate
    from resolver.config.issues import RENDERERS

    fmt = opts.fmt(FORMATS)
    paths = opts.args.get("files") or [opts.config_path()]
    results = [validate(path, opts.overlays, opts.sets) for path in paths]  # e.g. from a pre-commit hook
    issues = [issue for result in results for issue in result.issues]
    files = [f for result in results for f in result.loaded.files]
    sys.stdout.write(RENDERERS[fmt](issues, files))
    return 0 if all(result.ok for result in results) else 1
