"""``file://PATH``: one JSON file shared by every process on one host (the default).

- Reads are validated by one ``os.stat`` (inode, mtime, size): a change made
  by any process (always an atomic replace) is seen at the next call.
- Status changes (``transition``, ``add``, ``remove``, ``unsuppress``) are
  written through under a cross-process lock: read the freshest file, apply,
  write a temp file, fsync, rename over, fsync the directory.
- Claims count in memory and are flushed as *deltas* (every second, every
  64 claims, before any status write, and at exit) under the same lock, so
  concurrent processes lose no update and count nothing twice.
- A corrupt, unreadable or newer-version file raises ``StateError`` naming
  the file and is never overwritten. Files are 0600, directories 0700.
"""

from __future__ import annotations

import atexit
import json
import os
import time
from _thread import RLock, get_ident

from resolver.errors import StateError
from resolver.state import ops
from resolver.state.base import STATE_VERSION, PoolView, new_record, view_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from resolver.state.base import Chooser, Record

FLUSH_EVERY = 1000  # claims between counter flushes ...
FLUSH_AFTER = 1.0  # ... or seconds, whichever comes first

# Strong references: a store with counts not yet written must still be there at exit,
# even when the Resolver that used it is gone. close() takes it out.
_open_stores: set[FileStore] = set()


def _flush_all() -> None:
    for store in list(_open_stores):
        try:
            store.flush()
        except Exception:  # noqa: S110 - at exit there is nobody left to tell
            pass


atexit.register(_flush_all)


class FileStore:
    schemes = ("file",)

    def __init__(self, path: str) -> None:
        self.path = os.path.abspath(os.path.expanduser(path))
        self.url = "file://" + self.path
        self._lock = RLock()
        self._sig: tuple[int, int, int] | None = None
        self._doc: dict[str, Any] = ops.empty()
        self._views: dict[str, PoolView] = {}
        self._counts: dict[tuple[str, str], int] = {}
        self._seeds: dict[tuple[str, str], Record] = {}
        self._cursors: dict[str, str] = {}
        self._pending = 0
        self._first_pending = 0.0
        _open_stores.add(self)

    # -- reading ---------------------------------------------------------
    def _stat(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StateError(f"{self.path}: cannot read state: {exc.strerror}", original=exc) from None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _read(self) -> dict[str, Any]:
        try:
            with open(self.path, "rb") as fh:
                raw = fh.read()
        except FileNotFoundError:
            return ops.empty()
        except OSError as exc:
            raise StateError(f"{self.path}: cannot read state: {exc.strerror}", original=exc) from None
        try:
            doc = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise StateError(
                f"{self.path}: state file is corrupt ({exc}); it was left untouched — "
                "fix or move it away to start with empty state",
                original=exc,
            ) from None
        if not isinstance(doc, dict) or not isinstance(doc.get("pools", {}), dict):
            raise StateError(f"{self.path}: state file is corrupt (not a state document); it was left untouched")
        version = doc.get("version")
        if not isinstance(version, int) or version > STATE_VERSION:
            raise StateError(
                f"{self.path}: state file version {version!r} is newer than this resolver reads "
                f"({STATE_VERSION}); upgrade provider-resolver. The file was left untouched"
            )
        doc.setdefault("pools", {})
        return doc

    def _refresh(self, sig: tuple[int, int, int] | None) -> None:
        """The file changed (or went away) since we last read it: read it again."""
        self._doc = self._read() if sig is not None else ops.empty()
        self._sig = sig
        self._views.clear()

    def view(self, pool_key: str) -> PoolView:
        with self._lock:
            # the hot path: one stat says whether any process changed the file
            try:
                st = os.stat(self.path)
                sig: tuple[int, int, int] | None = (st.st_ino, st.st_mtime_ns, st.st_size)
            except OSError:
                sig = self._stat()
            if sig != self._sig:
                self._refresh(sig)
            found = self._views.get(pool_key)
            if found is None:
                pool = self._doc["pools"].get(pool_key)
                pending = {cid: n for (pk, cid), n in self._counts.items() if pk == pool_key}
                if pending:  # claims not flushed yet count too, for records not written yet as well
                    pool = dict(pool or {})
                    creds = dict(pool.get("credentials") or {})
                    for cid in pending:
                        creds.setdefault(cid, new_record(**self._seeds.get((pool_key, cid), {})))
                    pool["credentials"] = creds
                found = view_of(pool, pending)
                if pool_key in self._cursors:
                    found.cursor = self._cursors[pool_key]
                self._views[pool_key] = found
            return found

    # -- claims (write-behind) ------------------------------------------
    def claim(self, pool_key: str, choose: Chooser) -> tuple[str, Record] | None:
        with self._lock:
            view = self.view(pool_key)
            picked = choose(view)
            if picked is None:
                return None
            cred_id, seed = picked
            key = (pool_key, cred_id)
            self._counts[key] = self._counts.get(key, 0) + 1
            if key not in self._seeds:
                self._seeds[key] = {k: v for k, v in seed.items() if k != "secret"}
            self._cursors[pool_key] = cred_id
            view.cursor = cred_id
            # Count in the in-memory view too (in place: the document behind it is replaced
            # by a fresh read whenever the views are dropped, so nothing is counted twice).
            creds = view.credentials
            rec = creds.get(cred_id)
            if rec is None:
                rec = creds[cred_id] = new_record(**self._seeds[key])  # type: ignore[index]
            rec["request_count"] = rec.get("request_count", 0) + 1
            now = time.monotonic()
            if not self._pending:
                self._first_pending = now
            self._pending += 1
            if self._pending >= FLUSH_EVERY or now - self._first_pending >= FLUSH_AFTER:
                self._write(None)
            return picked

    # -- writes (through) ------------------------------------------------
    def _lock_file(self) -> int:
        """Take the cross-process lock; close the returned fd to release it."""
        from resolver.paths import ensure_private_dir

        ensure_private_dir(os.path.dirname(self.path))
        lock_path = self.path + ".lock"
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StateError(f"{lock_path}: cannot open lock file: {exc.strerror}", original=exc) from None
        try:
            _lock_fd(fd)
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _write(self, change: Callable[[dict[str, Any]], Any] | None) -> Any:
        """Under the file lock: freshest doc + pending deltas + ``change`` → atomic replace."""
        with self._lock:
            fd = self._lock_file()
            try:
                return self._write_locked(change)
            finally:
                os.close(fd)  # closing releases the lock

    def _write_locked(self, change: Callable[[dict[str, Any]], Any] | None) -> Any:
        doc = self._read()
        ops.apply_counts(doc, self._counts, self._seeds)
        ops.apply_cursors(doc, self._cursors)
        result = change(doc) if change is not None else None
        self._replace(doc, durable=change is not None)
        self._counts.clear()
        self._seeds.clear()
        self._cursors.clear()
        self._pending = 0
        self._doc = doc
        self._sig = self._stat()
        self._views.clear()
        return result

    def _replace(self, doc: dict[str, Any], *, durable: bool = True) -> None:
        """Atomic replace; ``durable`` adds the fsyncs (status changes; counters may skip them)."""
        directory = os.path.dirname(self.path)
        tmp = f"{self.path}.{os.getpid()}.{get_ident()}.tmp"
        # compact: the C encoder (indent= would fall back to the pure-Python one, ~10x slower)
        data = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode("utf-8")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(fd, data)
                if durable:
                    os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.path)
            if durable:
                dfd = os.open(directory, os.O_RDONLY)
                try:
                    os.fsync(dfd)
                finally:
                    os.close(dfd)
        except OSError as exc:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise StateError(f"{self.path}: cannot write state: {exc.strerror}", original=exc) from None

    def transition(self, pool_key: str, cred_id: str, mutate: Callable[[Record], None], seed: Record) -> Record:
        result: Record = self._write(lambda doc: ops.transition(doc, pool_key, cred_id, mutate, seed))
        return result

    def update(self, pool_key: str, change: Callable[[dict[str, Any]], Any]) -> Any:
        return self._write(lambda doc: change(ops.pool_of(doc, pool_key)))

    def add(self, pool_key: str, cred_id: str, record: Record) -> None:
        self._write(lambda doc: ops.add(doc, pool_key, cred_id, record))

    def remove(self, pool_key: str, cred_id: str, *, suppress: str | None = None, source: str | None = None) -> bool:
        now = time.time()
        found: bool = self._write(lambda doc: ops.remove(doc, pool_key, cred_id, suppress, source, now))
        return found

    def unsuppress(self, pool_key: str, fingerprint: str | None = None) -> int:
        n: int = self._write(lambda doc: ops.unsuppress(doc, pool_key, fingerprint))
        return n

    def dump(self) -> dict[str, Any]:
        with self._lock:
            self.flush()
            return self._read()

    def flush(self) -> None:
        with self._lock:
            if self._pending:
                self._write(None)

    def close(self) -> None:
        self.flush()
        _open_stores.discard(self)


def _lock_fd(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: msvcrt's byte-range lock
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_LOCK, 1)  # type: ignore[attr-defined]
        return
    fcntl.flock(fd, fcntl.LOCK_EX)
