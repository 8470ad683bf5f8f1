"""``redis://`` / ``rediss://``: one pool state shared by a fleet of hosts.

Per pool, four keys under ``provider-resolver:<pool key>:``: ``doc`` (the
pool's document as JSON: credential records, owned secrets, suppressions),
``ver`` (incremented on every document change), ``counts`` (a hash of uses,
``HINCRBY``) and ``cursor``. Each operation is one Lua script (package data,
registered once per client):

- ``view.lua``: version, cursor and counts in one round trip, and the document
  only when its version moved since this client last read it — so a status
  change by any host is seen at the next call;
- ``claim.lua``: count one use and move the cursor, atomically;
- ``cas.lua``: write a changed document only if nobody changed it since it was
  read; the store reads again and retries (transitions, adds, removals).

Counts are written through at each claim (a network store has no cheap
"later"). Connection and server errors become ``StateError``, in one place.
"""

from __future__ import annotations

import json
from _thread import RLock
from importlib import resources
from typing import Any

from resolver.errors import ConfigError, StateError
from resolver.state import ops
from resolver.state.base import PoolView, new_record, view_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from resolver.state.base import Chooser, Record

PREFIX = "provider-resolver"
MAX_RETRIES = 50  # bound on check-and-set retries under contention


def _script(name: str) -> str:
    return resources.files("resolver.state").joinpath(f"lua/{name}.lua").read_text("utf-8")


class RedisStore:
    schemes = ("redis", "rediss")

    def __init__(self, url: str) -> None:
        try:
            import redis
        except ImportError:
            raise ConfigError(
                [], f"state store {url!r} needs the redis client: pip install 'provider-resolver[redis]'"
            ) from None
        self.url = url
        self._redis_error = redis.RedisError
        self._client = redis.Redis.from_url(url, decode_responses=True, socket_timeout=5, socket_connect_timeout=5)
        self._view = self._client.register_script(_script("view"))
        self._claim = self._client.register_script(_script("claim"))
        self._cas = self._client.register_script(_script("cas"))
        self._docs: dict[str, tuple[str, dict[str, Any]]] = {}  # pool → (version, document)
        self._lock = RLock()

    # -- helpers -------------------------------------------------------------
    def _keys(self, pool_key: str) -> tuple[str, str, str, str]:
        base = f"{PREFIX}:{pool_key}:"
        return base + "doc", base + "counts", base + "cursor", base + "ver"

    def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except self._redis_error as exc:
            text = str(exc)
            password = self._password()
            if password:
                text = text.replace(password, "***")
            raise StateError(f"{self._safe_url()}: {type(exc).__name__}: {text}", original=exc) from None

    def _password(self) -> str | None:
        from urllib.parse import urlsplit

        return urlsplit(self.url).password

    def _safe_url(self) -> str:
        """The URL without a password."""
        from urllib.parse import urlsplit

        parts = urlsplit(self.url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{host}{port}{parts.path}"

    @staticmethod
    def _parse(raw: str, pool_key: str) -> dict[str, Any]:
        if not raw:
            return {"cursor": None, "credentials": {}, "suppressed": {}}
        try:
            doc = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise StateError(
                f"redis pool {pool_key!r}: stored state is corrupt ({exc}); it was left untouched"
            ) from None
        if not isinstance(doc, dict):
            raise StateError(f"redis pool {pool_key!r}: stored state is corrupt; it was left untouched")
        doc.setdefault("credentials", {})
        doc.setdefault("suppressed", {})
        return doc

    def _read(self, pool_key: str) -> tuple[str, dict[str, Any], str | None, dict[str, int]]:
        doc_key, counts_key, cursor_key, ver_key = self._keys(pool_key)
        known = self._docs.get(pool_key)
        version, cursor, flat, raw = self._call(
            self._view, keys=[doc_key, counts_key, cursor_key, ver_key], args=[known[0] if known else "-"]
        )
        if raw is None or raw is False:
            assert known is not None
            doc = known[1]
        else:
            doc = self._parse(raw, pool_key)
            self._docs[pool_key] = (version, doc)
        counts = {flat[i]: int(flat[i + 1]) for i in range(0, len(flat), 2)}
        return version, doc, cursor or None, counts

    # -- the store contract ----------------------------------------------------
    def view(self, pool_key: str) -> PoolView:
        _version, doc, cursor, counts = self._read(pool_key)
        creds = {cid: {**rec, "request_count": counts.get(cid, 0)} for cid, rec in doc["credentials"].items()}
        for cid, n in counts.items():
            if cid not in creds:
                creds[cid] = new_record(request_count=n)
        return view_of({"credentials": creds, "suppressed": doc["suppressed"], "cursor": cursor})

    def claim(self, pool_key: str, choose: Chooser) -> tuple[str, Record] | None:
        # Threads of this process claim one at a time (exact rotation here); across hosts the
        # count is still atomic (HINCRBY) and never lost, while two hosts reading the same
        # cursor at the same instant may both pick the next key.
        with self._lock:
            view = self.view(pool_key)
            picked = choose(view)
            if picked is None:
                return None
            cred_id, seed = picked
            _doc, counts_key, cursor_key, _ver = self._keys(pool_key)
            self._call(self._claim, keys=[counts_key, cursor_key], args=[cred_id])
        if cred_id not in view.credentials or view.credentials[cred_id].get("fingerprint") is None:
            self.update(pool_key, lambda pool: ops_seed(pool, cred_id, seed))
        return picked

    def update(self, pool_key: str, change: Callable[[dict[str, Any]], Any]) -> Any:
        doc_key, _counts, _cursor, ver_key = self._keys(pool_key)
        for _ in range(MAX_RETRIES):
            version, doc, _c, _n = self._read(pool_key)
            doc = json.loads(json.dumps(doc))  # a private copy to change
            result = change(doc)
            new_version = self._call(self._cas, keys=[doc_key, ver_key], args=[version, json.dumps(doc)])
            if new_version is not None and new_version is not False:
                self._docs[pool_key] = (str(new_version), doc)
                return result
        raise StateError(f"{self._safe_url()}: pool {pool_key!r} kept changing under us; nothing was written")

    def transition(self, pool_key: str, cred_id: str, mutate: Callable[[Record], None], seed: Record) -> Record:
        def change(pool: dict[str, Any]) -> Record:
            rec = pool["credentials"].get(cred_id)
            if rec is None:
                rec = pool["credentials"][cred_id] = new_record(**{k: v for k, v in seed.items() if k != "secret"})
            mutate(rec)
            return dict(rec)

        result: Record = self.update(pool_key, change)
        return result

    def add(self, pool_key: str, cred_id: str, record: Record) -> None:
        self.update(pool_key, lambda pool: ops.add({"pools": {pool_key: pool}}, pool_key, cred_id, record))

    def remove(self, pool_key: str, cred_id: str, *, suppress: str | None = None, source: str | None = None) -> bool:
        import time

        now = time.time()
        found: bool = self.update(
            pool_key, lambda pool: ops.remove({"pools": {pool_key: pool}}, pool_key, cred_id, suppress, source, now)
        )
        if not suppress:
            _doc, counts_key, _cursor, _ver = self._keys(pool_key)
            self._call(self._client.hdel, counts_key, cred_id)
        return found

    def unsuppress(self, pool_key: str, fingerprint: str | None = None) -> int:
        n: int = self.update(pool_key, lambda pool: ops.unsuppress({"pools": {pool_key: pool}}, pool_key, fingerprint))
        return n

    def dump(self) -> dict[str, Any]:
        pools: dict[str, Any] = {}
        for key in self._call(lambda: list(self._client.scan_iter(match=f"{PREFIX}:*:ver"))):
            pool_key = key[len(PREFIX) + 1 : -len(":ver")]
            view = self.view(pool_key)
            pools[pool_key] = {
                "cursor": view.cursor,
                "credentials": {cid: dict(rec) for cid, rec in view.credentials.items()},
                "suppressed": dict(self._docs[pool_key][1].get("suppressed", {})),
            }
        return {"version": 1, "pools": pools}

    def flush(self) -> None:
        return None  # every change is written through

    def close(self) -> None:
        try:
            self._client.close()
        except self._redis_error:
            pass


def ops_seed(pool: dict[str, Any], cred_id: str, seed: Record) -> None:
    """Give a counted credential its record (fingerprint, label, source), if it has none."""
    rec = pool["credentials"].get(cred_id)
    if rec is None:
        pool["credentials"][cred_id] = new_record(**{k: v for k, v in seed.items() if k != "secret"})
    elif rec.get("fingerprint") is None:
        rec.update({k: v for k, v in seed.items() if k != "secret" and rec.get(k) is None})
