"""Problems found in a configuration, and how they are rendered.

Validation first collects every problem as an :class:`Issue`; reporters
(text, json) render the collection afterwards. An Issue never holds a secret
value: messages are built from key names, types and references only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]
PathPart = str | int
Path = tuple[PathPart, ...]

_PLAIN_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


def json_path(path: Iterable[PathPart]) -> str:
    """``("providers", "openrouter", "keys", 0)`` → ``providers.openrouter.keys[0]``.

    Keys that are not plain identifiers are quoted in brackets:
    ``credential_pool_strategies["custom:together.ai"]``. The root is ``$``.
    """
    out: list[str] = []
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif part and set(part) <= _PLAIN_KEY_CHARS:
            out.append(f".{part}" if out else part)
        else:
            out.append(f"[{json.dumps(part)}]")
    return "".join(out) or "$"


_KEY_LIKE = re.compile(r"(?:^|[^A-Za-z])(?:sk|pk|rk|gsk|xai|ghp|gho|hf|AIza)[-_]|[A-Za-z0-9_\-]{32,}")


def shown(value: object) -> str:
    """``repr(value)`` for a message, unless the value looks like a key: then a placeholder.

    Values of secret fields are never passed here at all; this guards against
    keys pasted into the wrong field (``provider: sk-or-...``).
    """
    if isinstance(value, (dict, list, tuple, set)):
        return "a " + ("mapping" if isinstance(value, dict) else "list")
    text = str(value)
    if _KEY_LIKE.search(text) or len(text) > 80:
        return "'<hidden: looks like a key>'"
    return repr(value)


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem: where it is (1-based line and column) and what to do about it."""

    file: str
    line: int
    column: int
    severity: Severity
    message: str
    json_path: str = "$"

    def format(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.severity}: {self.message} [{self.json_path}]"

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "severity": self.severity,
            "message": self.message,
            "json_path": self.json_path,
        }


def sort_issues(issues: Iterable[Issue]) -> list[Issue]:
    seen: set[Issue] = set()
    unique = [i for i in issues if not (i in seen or seen.add(i))]  # type: ignore[func-returns-value]
    return sorted(unique, key=lambda i: (i.file, i.line, i.column, i.severity != "error", i.message))


def has_errors(issues: Iterable[Issue]) -> bool:
    return any(i.severity == "error" for i in issues)


def render_text(issues: Sequence[Issue], files: Sequence[str]) -> str:
    lines = [i.format() for i in issues]
    errors = sum(1 for i in issues if i.severity == "error")
    warnings = len(issues) - errors
    what = ", ".join(files) or "config"
    if errors:
        lines.append(f"{what}: invalid: {_count(errors, 'error')}, {_count(warnings, 'warning')}")
    else:
        tail = f" ({_count(warnings, 'warning')})" if warnings else ""
        lines.append(f"{what}: valid{tail}")
    return "\n".join(lines) + "\n"


def render_json(issues: Sequence[Issue], files: Sequence[str]) -> str:
    return json.dumps([i.as_dict() for i in issues], indent=2, ensure_ascii=False) + "\n"


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


RENDERERS: dict[str, Callable[[Sequence[Issue], Sequence[str]], str]] = {
    "text": render_text,
    "json": render_json,
}
