"""Read a literal secret back from where the user wrote it.

Literal keys in config.yaml are allowed (and warned about). The plan keeps
only *where* such a key is (file + JSON path), so the plan and its cache stay
free of secrets; this module fetches the value on the rare occasion it is
used, once per file version per process. A literal given with ``--set`` lives
only in this process's memory (``remember_override``), never on disk.
"""

from __future__ import annotations

import os
from typing import Any

from resolver.config.issues import Path

_overrides: dict[tuple[str, Path], str] = {}
_files: Any = None  # LRU of parsed config files, keyed by (path, mtime, size): a few at most


def _file_cache() -> Any:
    global _files
    if _files is None:
        from cachetools import LRUCache

        _files = LRUCache(maxsize=8)
    return _files


def remember_override(source: str, path: Path, text: str) -> None:
    """Keep the value of ``--set path=text`` (surrounding quotes dropped) for this process only."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]
    _overrides[(source, tuple(path))] = text


def _file_data(source: str) -> Any:
    from resolver.config.yamlread import decode, parse

    try:
        st = os.stat(source)
        key = (source, st.st_mtime_ns, st.st_size)
        cache = _file_cache()
        if key not in cache:
            with open(source, "rb") as fh:
                text, _problem = decode(fh.read(), source)
            cache[key] = parse(text, source).data if text is not None else None
        return cache[key]
    except OSError:
        return None


def read_literal(source: str, path: Path) -> str | None:
    """The literal at ``path`` in ``source``, or None when it is gone or not a string."""
    from resolver.secrets import env_default

    value: Any
    if (source, tuple(path)) in _overrides:
        value = _overrides[(source, tuple(path))]
    else:
        value = _file_data(source)
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
