"""References to secrets, and the only places a secret value is ever touched.

A :class:`SecretRef` says *where* a key lives (an environment variable, a
file, a literal in a config file) and never holds the key itself, so plans,
caches, logs and reprs can carry it freely. ``read()`` fetches the value at
the moment it is needed.
"""

from __future__ import annotations

import os

from resolver._frozen import Frozen, _set

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on the start-up path
if TYPE_CHECKING:
    import re
    from typing import Any

__all__ = ["Opaque", "SecretRef", "fingerprint", "mask", "parse_reference"]


def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """${env:VAR} ${env:VAR,default} ${oc.env:VAR} ${oc.env:VAR,default} / ${file:PATH} (compiled on first use)."""
    global _PATTERNS
    if _PATTERNS is None:
        import re

        _PATTERNS = (
            re.compile(r"^\$\{(?:oc\.)?env:\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:,(.*))?\}$", re.S),
            re.compile(r"^\$\{file:\s*([^}]+?)\s*\}$"),
        )
    return _PATTERNS


_PATTERNS: tuple[re.Pattern[str], re.Pattern[str]] | None = None


class SecretRef(Frozen):
    """Where a secret lives.

    kind: ``env`` (name = variable), ``file`` (name = path), ``config`` (name =
    the config file, ``path`` = where in it; the literal stays in that file).
    ``default`` is the literal default of ``${env:VAR,default}``: it is kept as
    a reference to the config file, never as a value.
    """

    __slots__ = ("default", "kind", "name", "path")
    kind: str
    name: str
    path: tuple[str | int, ...]
    default: SecretRef | None

    def __init__(
        self, kind: str, name: str, path: tuple[str | int, ...] = (), default: SecretRef | None = None
    ) -> None:
        _set(self, "kind", kind)
        _set(self, "name", name)
        _set(self, "path", tuple(path))
        _set(self, "default", default)

    def describe(self) -> str:
        """A human reference such as ``env:OPENROUTER_API_KEY`` (never the value)."""
        if self.kind == "config":
            from resolver.config.issues import json_path

            return f"config:{self.name}#{json_path(self.path)}"
        return f"{self.kind}:{self.name}"

    def read(self, environ: os._Environ[str] | dict[str, str] | None = None) -> str | None:
        """The secret value now, or None when its source is missing or empty."""
        env = os.environ if environ is None else environ
        value: str | None
        if self.kind == "env":
            value = env.get(self.name)
            if not value and self.default is not None:
                value = self.default.read(env)
        elif self.kind == "file":
            try:
                with open(os.path.expanduser(self.name), encoding="utf-8") as fh:
                    value = fh.read().strip()
            except (OSError, UnicodeDecodeError):
                value = None
        elif self.kind == "config":
            from resolver.config.literals import read_literal

            value = read_literal(self.name, self.path)
        else:
            value = None
        value = value.strip() if value else None
        return value or None

    def __repr__(self) -> str:
        return f"SecretRef({self.describe()!r})"

    def __str__(self) -> str:
        return self.describe()


class Opaque(Frozen):
    """Stands in for a non-string value found in a secret field (a list, a number...).

    Validation reports its type; its content, which may be a key, is dropped.
    """

    __slots__ = ("type_name",)
    type_name: str

    def __init__(self, type_name: str) -> None:
        _set(self, "type_name", type_name)

    def __repr__(self) -> str:
        return f"<hidden {self.type_name}>"


def parse_reference(text: str, *, where: str, path: tuple[str | int, ...]) -> SecretRef | None:
    """``${env:X}`` / ``${oc.env:X}`` / ``${env:X,default}`` / ``${file:P}`` → SecretRef.

    Returns None when ``text`` is not a single reference (a literal).
    ``where``/``path`` locate the text, for the default of ``${env:X,default}``.
    """
    env_re, file_re = _patterns()
    m = env_re.match(text.strip())
    if m:
        default = SecretRef("config", where, path) if m.group(2) is not None else None
        return SecretRef("env", m.group(1), default=default)
    m = file_re.match(text.strip())
    if m:
        return SecretRef("file", m.group(1))
    return None


def env_default(text: str) -> str | None:
    """The literal default of ``${env:X,default}`` (used when reading config literals)."""
    m = _patterns()[0].match(text.strip())
    if m and m.group(2) is not None:
        return m.group(2).strip().strip("'\"")
    return None


def fingerprint(secret: str) -> str:
    """A stable, non-reversible identity for a secret: ``sha256:<hex>``."""
    return "sha256:" + sha256_hex(secret.encode("utf-8"))


def sha256_hex(data: bytes) -> str:
    """sha256 without importing hashlib (and OpenSSL) on the start-up path when possible."""
    global _sha256
    if _sha256 is None:
        try:
            from _sha256 import sha256 as impl  # type: ignore[import-not-found,unused-ignore]  # CPython 3.11
        except ImportError:
            try:
                from _sha2 import sha256 as impl  # type: ignore[import-not-found,unused-ignore]  # CPython 3.12+
            except ImportError:  # pragma: no cover - other interpreters
                from hashlib import sha256 as impl
        _sha256 = impl
    return str(_sha256(data).hexdigest())


_sha256: Any = None


def mask(secret: str | None) -> str:
    """``sk-or-v1-abcdef…a1b2`` → ``sk-or-…a1b2``: a prefix hint and the last 4 chars.

    Short secrets show nothing but their length class.
    """
    if not secret:
        return "<none>"
    if len(secret) < 12:
        return "…" * 3
    import re

    prefix = ""
    m = re.match(r"^([A-Za-z]{2,8}-(?:[A-Za-z]{2,8}-)?)", secret)
    if m and len(m.group(1)) <= 7:
        prefix = m.group(1)
    return f"{prefix}…{secret[-4:]}"
