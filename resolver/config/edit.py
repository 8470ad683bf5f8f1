"""Edit config.yaml in place: set ``credential_pool_strategies[<pool>]``.

The edit is a splice into the original text at the place ruamel.yaml's
round-trip composer says the value is, so comments, key order, quoting,
indentation and blank lines stay byte for byte; only the changed line (or the
added lines) differ. The result is validated before it replaces the original
(an edit that would make the file invalid is refused and nothing changes),
and written atomically (temp file in the same directory, fsync, rename) with
the original file's mode.
"""

from __future__ import annotations

import os
import re
from typing import Any

from resolver.errors import ConfigError

SECTION = "credential_pool_strategies"
_PLAIN = re.compile(r"^[A-Za-z0-9_.:()/\-]+$")


def _key_text(key: str) -> str:
    import json

    return key if _PLAIN.match(key) and not key.endswith(":") else json.dumps(key)


def _compose(text: str) -> Any:
    from ruamel.yaml import YAML

    return YAML(typ="rt").compose(text)


def _splice(text: str, start: int, end: int, new: str) -> str:
    return text[:start] + new + text[end:]


def _offset(text: str, line: int, column: int) -> int:
    """0-based line/column → offset in ``text``."""
    lines = text.splitlines(keepends=True)
    return sum(len(lines[i]) for i in range(line)) + column


def with_strategy(text: str, pool_key: str, strategy: str) -> str:
    """``text`` with ``credential_pool_strategies[pool_key] = strategy``, everything else kept."""
    from ruamel.yaml.nodes import MappingNode, ScalarNode

    newline = "\r\n" if "\r\n" in text else "\n"
    root = _compose(text) if text.strip() else None
    entry = f"{_key_text(pool_key)}: {strategy}"
    if root is None or not isinstance(root, MappingNode):
        if root is not None:
            raise ConfigError([], "the config's top level is not a mapping; fix it before editing")
        sep = "" if not text or text.endswith(("\n", "\r\n")) else newline
        return f"{text}{sep}{SECTION}:{newline}  {entry}{newline}"
    section = None
    for key_node, value_node in root.value:
        if isinstance(key_node, ScalarNode) and key_node.value == SECTION:
            section = (key_node, value_node)
    if section is None:
        sep = "" if text.endswith(("\n", "\r\n")) else newline
        return f"{text}{sep}{SECTION}:{newline}  {entry}{newline}"
    key_node, value_node = section
    if isinstance(value_node, ScalarNode) and value_node.value in ("", "~", "null", "Null", "NULL"):
        # "credential_pool_strategies:" with nothing (or null) after it
        end = _offset(text, value_node.end_mark.line, value_node.end_mark.column)
        if value_node.value == "":
            end = _offset(text, key_node.end_mark.line, key_node.end_mark.column) + 1  # just past the ':'
        line_end = text.find("\n", end)
        rest = "" if line_end == -1 else text[line_end:]
        head = text[: _offset(text, key_node.start_mark.line, key_node.start_mark.column)]
        indent = " " * (key_node.start_mark.column + 2)
        tail = text[end : line_end if line_end != -1 else len(text)]
        comment = tail if tail.strip().startswith("#") else ""
        return f"{head}{SECTION}:{comment}{newline}{indent}{entry}{rest if rest else newline}"
    if not isinstance(value_node, MappingNode):
        raise ConfigError([], f"{SECTION} is not a mapping; fix it before editing")
    for k, v in value_node.value:
        if isinstance(k, ScalarNode) and k.value.strip().lower() == pool_key and isinstance(v, ScalarNode):
            start = _offset(text, v.start_mark.line, v.start_mark.column)
            end = _offset(text, v.end_mark.line, v.end_mark.column)
            quote = v.style if v.style in ("'", '"') else ""
            return _splice(text, start, end, f"{quote}{strategy}{quote}")
    if value_node.flow_style:
        end = _offset(text, value_node.end_mark.line, value_node.end_mark.column) - 1  # before the '}'
        inner = text[_offset(text, value_node.start_mark.line, value_node.start_mark.column) + 1 : end]
        sep = ", " if inner.strip() else ""
        return _splice(text, end, end, f"{sep}{entry}")
    last_key, last_value = value_node.value[-1]
    indent = " " * last_key.start_mark.column
    end = _offset(text, last_value.end_mark.line, last_value.end_mark.column)
    line_end = text.find("\n", end)
    insert_at = len(text) if line_end == -1 else line_end + 1
    prefix = "" if line_end != -1 else newline
    return text[:insert_at] + f"{prefix}{indent}{entry}{newline}" + text[insert_at:]


def set_strategy(path: str, pool_key: str, strategy: str) -> tuple[str, str]:
    """Edit ``path`` in place; returns (old text, new text). Raises ConfigError when refused."""
    from resolver.config import validate

    try:
        with open(path, encoding="utf-8", newline="") as fh:
            old = fh.read()
        mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        old, mode = "", 0o600
    new = with_strategy(old, pool_key, strategy)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        from resolver.paths import ensure_private_dir

        ensure_private_dir(directory)
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        try:
            os.write(fd, new.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp, mode)
        result = validate(tmp)
        if not result.ok:
            errors = [i for i in result.issues if i.severity == "error"]
            renamed = [i.__class__(path, i.line, i.column, i.severity, i.message, i.json_path) for i in errors]
            raise ConfigError(renamed, "the edit would make the config invalid; nothing was changed:\n"
                              + "\n".join(i.format() for i in renamed))  # fmt: skip
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return old, new
