"""Strategies are pure functions of a pool snapshot."""

from __future__ import annotations

from collections import Counter
from random import Random

import pytest

from resolver.pool.strategies import STRATEGIES, fill_first, least_used, random_pick, round_robin, weighted


class Snap:
    """A snapshot written out by hand: availability, counts and weights per position."""

    def __init__(
        self,
        available: list[bool],
        counts: list[int] | None = None,
        weights: list[float] | None = None,
        cursor: int | None = None,
    ) -> None:
        self.size = len(available)
        self._available = available
        self._counts = counts or [0] * self.size
        self._weights = weights or [1.0] * self.size
        self.cursor = cursor
        self.total_weight = sum(self._weights)

    def available(self, i: int) -> bool:
        return self._available[i]

    def count(self, i: int) -> int:
        return self._counts[i]

    def weight(self, i: int) -> float:
        return self._weights[i]

    def by_weight(self, x: float) -> int:
        total = 0.0
        for i, w in enumerate(self._weights):
            total += w
            if x < total:
                return i
        return self.size - 1

    def lowest_count(self) -> int | None:
        order = sorted(range(self.size), key=lambda i: (self._counts[i], i))
        return next((i for i in order if self._available[i]), None)


def test_table_has_the_five_strategies() -> None:
    assert set(STRATEGIES) == {"fill_first", "round_robin", "least_used", "random", "weighted"}


def test_fill_first_takes_the_first_available() -> None:
    assert fill_first(Snap([False, True, True]), None) == 1
    assert fill_first(Snap([False, False]), None) is None


@pytest.mark.parametrize(("cursor", "expected"), [(None, 0), (0, 2), (2, 4), (4, 6), (6, 0), (1, 2), (5, 6)])
def test_round_robin_continues_after_the_cursor_even_when_it_is_unavailable(cursor, expected) -> None:
    snap = Snap([True, False, True, False, True, False, True], cursor=cursor)
    assert round_robin(snap, None) == expected


def test_least_used_ties_go_to_pool_order_and_skip_unavailable() -> None:
    assert least_used(Snap([True, True, True], counts=[5, 2, 2]), None) == 1
    assert least_used(Snap([True, False, True], counts=[5, 2, 3]), None) == 2
    assert least_used(Snap([False, False], counts=[0, 0]), None) is None


def test_random_is_uniform_over_available() -> None:
    rng = Random(1)
    snap = Snap([True, False, True, True])
    got = Counter(random_pick(snap, rng) for _ in range(3000))
    assert set(got) == {0, 2, 3} and all(850 < n < 1150 for n in got.values())
    assert random_pick(Snap([False] * 40), rng) is None


def test_weighted_is_proportional_over_available() -> None:
    rng = Random(2)
    got = Counter(weighted(Snap([True, True, True], weights=[1, 4, 0]), rng) for _ in range(5000))
    assert got[2] == 0 and 0.75 < got[1] / 5000 < 0.85
    got = Counter(weighted(Snap([True, False, True], weights=[1, 100, 3]), rng) for _ in range(4000))
    assert got[1] == 0 and 0.7 < got[2] / 4000 < 0.8
    assert weighted(Snap([True, True], weights=[0, 0]), rng) == 0
