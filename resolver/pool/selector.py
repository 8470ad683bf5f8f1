"""One pool's members, ready to pick from fast: the :class:`Snapshot` the strategies read.

Built from the plan's sources, the environment and the store's view; rebuilt
when the membership changes (an owned key added, a source suppressed) or the
resolver asks (reload, an environment value that changed). Between rebuilds
a pick costs O(1)–O(k): availability is one dict lookup per credential
looked at, the round-robin cursor is a position, weights are a prefix sum,
and request counts are kept in a heap for ``least_used``.
"""

from __future__ import annotations

from _thread import allocate_lock
from bisect import bisect_right
from heapq import heapify, heappop, heappush, heapreplace

from resolver.pool.members import Member, build_members
from resolver.pool.strategies import NEEDS_RNG, STRATEGIES

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from random import Random
    from typing import Any

    from resolver.plan.model import PoolPlan
    from resolver.state.base import PoolView, Record


class Selector:
    """Members of one pool + the strategy's view of them at one instant."""

    def __init__(self, pool: PoolPlan, view: PoolView, environ: Mapping[str, str], tick: int) -> None:
        self.pool = pool
        self.members: tuple[Member, ...] = build_members(pool, view, environ)
        self.size = len(self.members)
        self.index_of = {m.id: i for i, m in enumerate(self.members)}
        self.seeds = [m.seed() for m in self.members]
        self.membership = view.membership
        self.tick = tick
        self.strategy = STRATEGIES.get(pool.strategy, STRATEGIES["fill_first"])
        self.needs_rng = pool.strategy in NEEDS_RNG
        self.runtimes: dict[tuple[int, str | None, int, str], Any] = {}  # (member, model, position, asked)
        # per-pick state, set by choose()
        self.creds: Mapping[str, Record] = {}
        self.now = 0.0
        self.cursor: int | None = None
        self._prefix: list[float] = []
        total = 0.0
        for m in self.members:
            total += max(m.weight, 0.0)
            self._prefix.append(total)
        self.total_weight = total
        self._heap: list[tuple[int, int]] | None = None
        self._heap_creds: object = None
        self._lock = allocate_lock()

    # -- Snapshot ------------------------------------------------------------
    def available(self, i: int) -> bool:
        m = self.members[i]
        if m.fingerprint is None:
            return False
        rec = self.creds.get(m.id)
        if rec is None:
            return True
        return rec.get("status") != "dead" and (rec.get("cooldown_until") or 0.0) <= self.now

    def count(self, i: int) -> int:
        rec = self.creds.get(self.members[i].id)
        return int(rec.get("request_count", 0)) if rec is not None else 0

    def weight(self, i: int) -> float:
        return self.members[i].weight

    def by_weight(self, x: float) -> int:
        return min(bisect_right(self._prefix, x), self.size - 1)

    def lowest_count(self) -> int | None:
        """The available credential with the lowest count, ties in pool order (a lazy heap)."""
        heap = self._heap
        creds = self.creds
        if heap is None or self._heap_creds is not creds:
            # counts changed under us (another process's flush reloaded the view): rebuild
            heap = self._heap = [(self.count(i), i) for i in range(self.size)]
            heapify(heap)
            self._heap_creds = creds
        members = self.members
        held = None
        found = None
        while heap:
            c, i = heap[0]
            rec = creds.get(members[i].id)
            real = int(rec.get("request_count", 0)) if rec is not None else 0
            if real != c:  # a stale entry: our own claims raise counts
                heapreplace(heap, (real, i))
            elif self.available(i):
                found = i
                break
            else:
                if held is None:
                    held = []
                held.append(heappop(heap))
        if held:
            for entry in held:
                heappush(heap, entry)
        return found

    # -- picking -------------------------------------------------------------
    def choose(self, view: PoolView, now: float, rng: Random | None) -> tuple[str, Record] | None:
        with self._lock:  # bind + pick as one step: a peek in another thread must not rebind midway
            self.creds = view.credentials
            self.now = now
            cursor = view.cursor
            self.cursor = self.index_of.get(cursor) if cursor is not None else None
            i = self.strategy(self, rng)
        if i is None:
            return None
        return self.members[i].id, self.seeds[i]
