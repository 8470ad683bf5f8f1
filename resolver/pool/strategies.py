"""Selection strategies: pure functions ``(candidates, cursor, rng) -> index``.

``candidates`` are the *available* credentials of a pool in pool order
(priority, then declaration order), each a :class:`Candidate`. ``cursor`` is
the pool-order position of the credential picked last, or None (round-robin
continues after it, even when that one is unavailable now). A strategy never
sees an unavailable credential, so it can never hand one out.
"""

from __future__ import annotations

from resolver._frozen import Frozen, _set

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from random import Random


class Candidate(Frozen):
    """An available credential as a strategy sees it. ``order``: its place in the full pool order."""

    __slots__ = ("id", "order", "request_count", "weight")
    id: str
    order: int
    request_count: int
    weight: float

    def __init__(self, id: str, order: int, request_count: int, weight: float) -> None:
        _set(self, "id", id)
        _set(self, "order", order)
        _set(self, "request_count", request_count)
        _set(self, "weight", weight)


def fill_first(c: Sequence[Candidate], cursor: int | None, rng: Random) -> int:
    return 0


def round_robin(c: Sequence[Candidate], cursor: int | None, rng: Random) -> int:
    if cursor is None:
        return 0
    for i, cand in enumerate(c):
        if cand.order > cursor:
            return i
    return 0


def least_used(c: Sequence[Candidate], cursor: int | None, rng: Random) -> int:
    best = 0
    for i in range(1, len(c)):
        if c[i].request_count < c[best].request_count:
            best = i
    return best


def random_pick(c: Sequence[Candidate], cursor: int | None, rng: Random) -> int:
    return rng.randrange(len(c))


def weighted(c: Sequence[Candidate], cursor: int | None, rng: Random) -> int:
    total = sum(max(cand.weight, 0.0) for cand in c)
    if total <= 0:
        return 0
    x = rng.random() * total
    for i, cand in enumerate(c):
        x -= max(cand.weight, 0.0)
        if x < 0:
            return i
    return len(c) - 1


if TYPE_CHECKING:
    Strategy = Callable[[Sequence[Candidate], int | None, Random], int]

STRATEGIES: dict[str, Strategy] = {
    "fill_first": fill_first,
    "round_robin": round_robin,
    "least_used": least_used,
    "random": random_pick,
    "weighted": weighted,
}
