"""``resolver schema [--output FILE]``: the JSON Schema of config.yaml."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from resolver.cli import Options
from resolver.errors import UsageError


def add_parser(sub: Any, make: Callable[..., Any]) -> None:
    p = make(
        "schema",
        help="print or write the JSON Schema of config.yaml",
        description=(
            "Print the JSON Schema (draft 2020-12) of config.yaml, or write it to a file.\n"
            "Point your editor at it with a first line such as\n"
            "  # yaml-language-server: $schema=./config.schema.json"
        ),
        examples=["resolver schema", "resolver schema --output config.schema.json"],
    )
    p.add_argument("--output", "-o", metavar="FILE", help="write the schema to FILE instead of stdout")


def run(opts: Options) -> int:
    from resolver.config.schema import schema_text

    opts.fmt(("json",), default="json")
    text = schema_text()
    out = opts.args.get("output")
    if not out:
        sys.stdout.write(text)
        return 0
    try:
        with open(out, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise UsageError(f"cannot write {out}: {exc.strerror or exc}") from None
    print(f"wrote {out}", file=sys.stderr)
    return 0
