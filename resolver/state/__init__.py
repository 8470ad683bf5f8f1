"""Step 4 of the data flow: where run-time state lives, chosen by URL.

``state_from_url("memory://" | "file:///path/auth.json" | "redis://host:6379/0")``.
An unknown scheme is a ConfigError; a backend whose library is missing says
how to install it.
"""

from __future__ import annotations

import os

from resolver.errors import ConfigError
from resolver.state.base import PoolView, StateStore

__all__ = ["PoolView", "StateStore", "default_state_url", "state_from_url"]

SCHEMES = ("memory", "file", "redis", "rediss")


def default_state_url() -> str:
    from resolver.paths import data_dir

    return "file://" + os.path.join(data_dir(), "auth.json")


def state_from_url(url: str, *, origin: str = "") -> StateStore:
    """The store for ``url``; ``origin`` says where the URL came from, for the error message."""
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    where = f" (from {origin})" if origin else ""

    def _error(problem: str) -> ConfigError:
        return ConfigError([], f"state store {url!r}{where}: {problem}")

    if not sep or scheme not in SCHEMES:
        raise _error("unknown kind of URL; use file://PATH, memory:// or redis://HOST:PORT/DB")
    if scheme == "memory":
        from resolver.state.memory import MemoryStore

        return MemoryStore(url)
    if scheme == "file":
        from resolver.state.file import FileStore

        path = rest if rest.startswith(("/", "~")) else os.path.abspath(rest)
        return FileStore(path)
    from resolver.state.redis import RedisStore

    return RedisStore(url)
