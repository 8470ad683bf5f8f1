"""The exception hierarchy of provider-resolver.

::

    ResolverError                     anything this library raises on purpose
     ├── ConfigError (ValueError)      the configuration is wrong; ``.issues``
     │    └── ConfigFileError           a config file cannot be opened at all
     ├── UnknownProviderError (KeyError)  a pool key / provider that does not exist
     ├── NoCredentialAvailable         every credential is out; ``.next_available_at``
     ├── StateError                    the state store is unreadable or refused a write
     └── UsageError                    the command line was used wrongly (CLI only)

Every class carries ``exit_code``: the CLI exits with it and prints ``str(error)``,
never a traceback. No message here ever contains a secret value: errors are built
from references (``env:OPENROUTER_API_KEY``), labels and ids only.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on the start-up path
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from resolver.config.issues import Issue

__all__ = [
    "ConfigError",
    "ConfigFileError",
    "NoCredentialAvailable",
    "ResolverError",
    "StateError",
    "UnknownProviderError",
    "UsageError",
]


class ResolverError(Exception):
    """Base class of every error raised on purpose by provider-resolver."""

    exit_code = 1


class ConfigError(ResolverError, ValueError):
    """The configuration has at least one error.

    ``issues`` holds every problem found (errors and warnings), each with its
    file, line, column and JSON path.
    """

    def __init__(self, issues: Sequence[Issue], message: str | None = None) -> None:
        self.issues: tuple[Issue, ...] = tuple(issues)
        errors = [i for i in self.issues if i.severity == "error"]
        if message is None:
            shown = errors or list(self.issues)
            lines = [i.format() for i in shown[:20]]
            if len(shown) > 20:
                lines.append(f"... and {len(shown) - 20} more")
            head = f"invalid configuration ({len(errors)} error{'s' if len(errors) != 1 else ''})"
            message = head + (":\n" + "\n".join(lines) if lines else "")
        super().__init__(message)


class ConfigFileError(ConfigError):
    """A configuration file cannot be opened (missing, a directory, no permission)."""

    exit_code = 2

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__((), f"{path}: cannot open: {reason}")


class UnknownProviderError(ResolverError, KeyError):
    """A pool key or provider name that the configuration does not define."""

    def __init__(self, name: str, known: Sequence[str] = ()) -> None:
        import difflib

        self.name = name
        self.suggestions = tuple(difflib.get_close_matches(name, list(known), n=3))
        hint = f" (did you mean {' or '.join(repr(s) for s in self.suggestions)}?)" if self.suggestions else ""
        self.message = f"unknown provider or pool key {name!r}{hint}"
        super().__init__(self.message)

    def __str__(self) -> str:  # KeyError would quote the message
        return self.message


class NoCredentialAvailable(ResolverError):
    """No credential of the pool (nor any fallback) can be used now.

    ``next_available_at`` is the epoch time (resolver clock) when the first
    credential comes back, or ``None`` when none will come back by itself.
    ``reasons`` lists ``(credential description, reason)`` pairs.
    """

    def __init__(
        self,
        pool_key: str,
        message: str,
        *,
        next_available_at: float | None = None,
        reasons: Sequence[tuple[str, str]] = (),
    ) -> None:
        self.pool_key = pool_key
        self.next_available_at = next_available_at
        self.reasons = tuple(reasons)
        super().__init__(message)


class StateError(ResolverError):
    """The state store cannot be read or written; nothing was changed.

    ``original`` is the backend exception (``OSError``, ``redis.RedisError``...)
    when there is one.
    """

    def __init__(self, message: str, *, original: BaseException | None = None) -> None:
        self.original = original
        super().__init__(message)


class UsageError(ResolverError):
    """The command line was used wrongly (unknown option value, missing argument)."""

    exit_code = 2

    def __init__(self, message: str, **extra: Any) -> None:
        self.extra = extra
        super().__init__(message)
