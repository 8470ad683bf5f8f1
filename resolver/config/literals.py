"""Read a literal secret back from the config file it is written in.

Literal keys in config.yaml are allowed (and warned about). The plan keeps
only *where* such a key is (file + JSON path), so the plan and its cache stay
free of secrets; this module fetches the value on the rare occasion it is
used, once per file version per process.
"""

from __future__ import annotations

import os
from typing import Any

from resolver.config.issues import Path

_cache: dict[tuple[str, float, int], Any] = {}


def _data(source: str) -> Any:
    from resolver.config.yamlread import decode, parse

    if source.startswith("<--set ") and source.endswith(">"):
        from resolver.config.yamlread import scalar_from_text

        expr = source[len("<--set ") : -1]
        return ("--set", scalar_from_text(expr.split("=", 1)[1]) if "=" in expr else None)
    try:
        st = os.stat(source)
        key = (source, st.st_mtime, st.st_size)
        if key not in _cache:
            with open(source, "rb") as fh:
                text, _problem = decode(fh.read(), source)
            _cache[key] = parse(text, source).data if text is not None else None
        return _cache[key]
    except OSError:
        return None


def read_literal(source: str, path: Path) -> str | None:
    """The literal at ``path`` in ``source``, or None when it is gone or not a string."""
    from resolver.secrets import env_default

    data = _data(source)
    if isinstance(data, tuple) and data[:1] == ("--set",):
        value = data[1]
    else:
        value = data
        for part in path:
            try:
                value = value[part]
            except (KeyError, IndexError, TypeError):
                return None
    if not isinstance(value, str):
        return None
    default = env_default(value)
    if default is not None:
        return default
    if value.strip().startswith("${"):
        return None
    return value
