"""Selection strategies: pure functions ``(snapshot, rng) -> index | None``.

A :class:`Snapshot` is a pool at one instant: its credentials in pool order
(priority, then declaration order), which of them are available now, their
request counts and weights, and the position of the last pick (``cursor``).
A strategy returns the position of an *available* credential, or None when
none is; it never sees anything else, so it can never hand out a credential
that is cooling down, dead or missing.

They are written to cost O(1) to O(k) per pick (k = unavailable credentials
skipped), not O(pool size): a pool of 1,000 keys picks about as fast as one
of 8. ``least_used`` asks the snapshot for the lowest count, which a real
snapshot keeps in a heap.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from random import Random
    from typing import Protocol

    class Snapshot(Protocol):
        size: int
        cursor: int | None  # position of the last pick, or None
        total_weight: float

        def available(self, i: int) -> bool: ...

        def count(self, i: int) -> int: ...

        def weight(self, i: int) -> float: ...

        def by_weight(self, x: float) -> int:
            """Position i where the running sum of weights first exceeds x (0 <= x < total_weight)."""
            ...

        def lowest_count(self) -> int | None:
            """The available credential with the lowest request count (ties: pool order), or None."""
            ...

    Strategy = Callable[[Snapshot, Random | None], int | None]

_RETRIES = 16  # random draws before falling back to a scan of the available ones


def fill_first(s: Snapshot, rng: Random | None) -> int | None:
    """The first available credential in pool order."""
    for i in range(s.size):
        if s.available(i):
            return i
    return None


def round_robin(s: Snapshot, rng: Random | None) -> int | None:
    """The next available credential after the last pick (wrapping around)."""
    n = s.size
    start = 0 if s.cursor is None else s.cursor + 1
    for k in range(n):
        i = (start + k) % n
        if s.available(i):
            return i
    return None


def least_used(s: Snapshot, rng: Random | None) -> int | None:
    """The available credential with the fewest requests; ties go to pool order."""
    return s.lowest_count()


def random_pick(s: Snapshot, rng: Random | None) -> int | None:
    """Uniform among the available ones."""
    assert rng is not None
    for _ in range(_RETRIES):
        i = rng.randrange(s.size)
        if s.available(i):
            return i
    pool = [i for i in range(s.size) if s.available(i)]
    return rng.choice(pool) if pool else None


def weighted(s: Snapshot, rng: Random | None) -> int | None:
    """Random, proportional to ``weight``, among the available ones."""
    assert rng is not None
    if s.total_weight > 0:
        for _ in range(_RETRIES):
            i = s.by_weight(rng.random() * s.total_weight)
            if s.available(i):
                return i
    pool = [i for i in range(s.size) if s.available(i)]
    if not pool:
        return None
    total = sum(max(s.weight(i), 0.0) for i in pool)
    if total <= 0:
        return pool[0]
    x = rng.random() * total
    for i in pool:
        x -= max(s.weight(i), 0.0)
        if x < 0:
            return i
    return pool[-1]


STRATEGIES: dict[str, Strategy] = {
    "fill_first": fill_first,
    "round_robin": round_robin,
    "least_used": least_used,
    "random": random_pick,
    "weighted": weighted,
}

NEEDS_RNG = frozenset({"random", "weighted"})
