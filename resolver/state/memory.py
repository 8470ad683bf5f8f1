"""``memory://``: state in this process only (tests, one-shot scripts)."""

from __future__ import annotations

import copy
from _thread import RLock

from resolver.state import ops
from resolver.state.base import view_of

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from resolver.state.base import Chooser, PoolView, Record


class MemoryStore:
    """A dict behind a lock. Every operation is atomic; nothing is persisted."""

    schemes = ("memory",)

    def __init__(self, url: str = "memory://") -> None:
        self.url = url
        self._doc: dict[str, Any] = ops.empty()
        self._lock = RLock()
        self._views: dict[str, PoolView] = {}

    def _changed(self, pool_key: str) -> None:
        self._views.pop(pool_key, None)

    def view(self, pool_key: str) -> PoolView:
        found = self._views.get(pool_key)
        if found is None:
            with self._lock:
                # live records: claims update counts in place, under the lock
                found = view_of(ops.pool_of(self._doc, pool_key))
                self._views[pool_key] = found
        return found

    def claim(self, pool_key: str, choose: Chooser) -> tuple[str, Record] | None:
        with self._lock:
            view = self.view(pool_key)
            picked = choose(view)
            if picked is not None:
                cred_id, seed = picked
                known = cred_id in view.credentials
                ops.apply_counts(self._doc, {(pool_key, cred_id): 1}, {(pool_key, cred_id): seed})
                ops.apply_cursors(self._doc, {pool_key: cred_id})
                view.cursor = cred_id
                if not known:
                    self._changed(pool_key)
            return picked

    def transition(self, pool_key: str, cred_id: str, mutate: Callable[[Record], None], seed: Record) -> Record:
        with self._lock:
            rec = ops.transition(self._doc, pool_key, cred_id, mutate, seed)
            self._changed(pool_key)
            return rec

    def update(self, pool_key: str, change: Callable[[dict[str, Any]], Any]) -> Any:
        with self._lock:
            result = change(ops.pool_of(self._doc, pool_key))
            self._changed(pool_key)
            return result

    def add(self, pool_key: str, cred_id: str, record: Record) -> None:
        with self._lock:
            ops.add(self._doc, pool_key, cred_id, record)
            self._changed(pool_key)

    def remove(self, pool_key: str, cred_id: str, *, suppress: str | None = None, source: str | None = None) -> bool:
        import time

        with self._lock:
            found = ops.remove(self._doc, pool_key, cred_id, suppress, source, time.time())
            self._changed(pool_key)
            return found

    def unsuppress(self, pool_key: str, fingerprint: str | None = None) -> int:
        with self._lock:
            n = ops.unsuppress(self._doc, pool_key, fingerprint)
            self._changed(pool_key)
            return n

    def dump(self) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._doc)

    def flush(self) -> None:
        return None

    def close(self) -> None:
        return None
