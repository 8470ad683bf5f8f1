"""The on-disk plan cache: a start-up with an unchanged config skips load, validate, compile.

An entry is found by a key over everything that can change a plan:

- the package version and the built-in registry;
- the path and bytes of the config and every overlay, and the ``--set`` overrides;
- then, checked inside the entry: the *values* of the environment variables
  and the contents of the files that end up in the plan (non-secret
  interpolations, ``*_BASE_URL``), as sha256 digests.

Secret-bearing variables are referred to by name only (their names are in
the config bytes); no value of theirs is ever read for, or written to, the
cache. Entries are JSON with a checksum, files 0600 in a 0700 directory. A
damaged or foreign entry is ignored and rewritten, never trusted.

A cache hit imports neither ruamel.yaml, omegaconf nor jsonschema.
"""

from __future__ import annotations

import json
import os

from resolver.plan.model import PLAN_FORMAT, Plan
from resolver.secrets import sha256_hex

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any

ENTRY_FORMAT = 1
KEEP = 64  # entries kept in the cache directory; older ones are removed when a new one is written


def _digest(data: bytes) -> str:
    return sha256_hex(data)


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError:
        return None


def cache_key(files: Sequence[str], overrides: Sequence[str]) -> str | None:
    """Key of the inputs that are always read; None when a file cannot be read."""
    import resolver

    parts = [
        f"provider-resolver {resolver.__version__} plan {PLAN_FORMAT} entry {ENTRY_FORMAT}".encode(),
        _read(os.path.join(os.path.dirname(resolver.__file__), "registry", "providers.json")) or b"",
    ]
    for path in files:
        data = _read(path)
        if data is None:
            return None
        parts.append(b"file\0" + os.path.abspath(path).encode() + b"\0" + data)
    parts += [b"set\0" + item.encode() for item in overrides]
    return _digest(b"\0\0".join(parts))


def dependencies(env_names: Sequence[str], files: Sequence[str], environ: Mapping[str, str]) -> dict[str, Any]:
    return {
        "env": {name: _digest((environ.get(name) or "").encode()) for name in sorted(set(env_names))},
        "files": {path: _digest(_read(path) or b"\0missing") for path in sorted(set(files))},
    }


def _entry_path(key: str) -> str:
    from resolver.paths import cache_dir

    return os.path.join(cache_dir(), "plans", key + ".json")


def lookup(key: str, environ: Mapping[str, str]) -> Plan | None:
    raw = _read(_entry_path(key))
    if raw is None:
        return None
    try:
        entry = json.loads(raw)
        body = entry["plan"]
        if entry.get("format") != ENTRY_FORMAT or entry.get("key") != key:
            return None
        if entry.get("checksum") != _digest(json.dumps(body, sort_keys=True).encode()):
            return None
        deps = entry["deps"]
        if dependencies(deps["env"], deps["files"], environ) != deps:
            return None
        plan = Plan.from_dict(body)
        return plan if plan.with_digest().digest == plan.digest else None
    except Exception:  # a damaged entry is a miss: it gets rewritten
        return None


def save(key: str, plan: Plan, deps: dict[str, Any]) -> None:
    """Write an entry atomically (best effort: a read-only cache dir only costs speed)."""
    from resolver.paths import ensure_private_dir

    path = _entry_path(key)
    body = plan.to_dict()
    entry = {
        "format": ENTRY_FORMAT,
        "key": key,
        "deps": deps,
        "checksum": _digest(json.dumps(body, sort_keys=True).encode()),
        "plan": body,
    }
    try:
        ensure_private_dir(os.path.dirname(path))
        tmp = f"{path}.{os.getpid()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, json.dumps(entry).encode())  # pool order kept: listings follow the config
        finally:
            os.close(fd)
        os.replace(tmp, path)
        _prune(os.path.dirname(path))
    except OSError:
        pass


def _prune(directory: str) -> None:
    """Keep the newest ``KEEP`` entries: every edit of a config makes a new one."""
    entries = []
    for name in os.listdir(directory):
        if name.endswith(".json"):
            try:
                entries.append((os.stat(os.path.join(directory, name)).st_mtime_ns, name))
            except OSError:
                continue
    for _mtime, name in sorted(entries)[:-KEEP]:
        try:
            os.unlink(os.path.join(directory, name))
        except OSError:
            pass
