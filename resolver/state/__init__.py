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


def _error(message: str) -> ConfigError:
    from resolver.config.issues import Issue

    return ConfigError([Issue("<state>", 1, 1, "error", message)])


def state_from_url(url: str) -> StateStore:
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in SCHEMES:
        raise _error(f"unknown state store URL {url!r}; use file://PATH or memory://")
    if scheme == "memory":
        from resolver.state.memory import MemoryStore

        return MemoryStore(url)
    if scheme == "file":
        from resolver.state.file import FileStore

        path = rest if rest.startswith(("/", "~")) else os.path.abspath(rest)
        return FileStore(path)
    # redis:// and rediss:// are part of the design (a fleet sharing pools) but not built yet
    raise _error(f"{scheme}:// state stores are not available in this version; use file://PATH or memory://")
