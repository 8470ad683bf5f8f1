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
        "file",
        nargs="?",
        metavar="FILE",
        help="config file (default: --config, RESOLVER_CONFIG, or the user config dir)",
    )


def run(opts: Options) -> int:
    from resolver.config import validate
    from resolver.config.issues import RENDERERS

    fmt = opts.fmt(FORMATS)
    path = opts.args.get("file") or opts.config_path()
    result = validate(path, opts.overlays, opts.sets)
    sys.stdout.write(RENDERERS[fmt](result.issues, result.loaded.files))
    return 0 if result.ok else 1
