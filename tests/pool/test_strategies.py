"""Strategies are pure functions over the available candidates."""

from __future__ import annotations

from collections import Counter
from random import Random

import pytest

from resolver.pool.strategies import STRATEGIES, Candidate, fill_first, least_used, random_pick, round_robin, weighted


def cands(*spec: tuple[int, int, float]) -> list[Candidate]:
    return [Candidate(f"c{order}", order, count, weight) for order, count, weight in spec]


def test_table_has_the_five_strategies() -> None:
    assert set(STRATEGIES) == {"fill_first", "round_robin", "least_used", "random", "weighted"}


def test_fill_first_takes_the_first_available() -> None:
    assert fill_first(cands((2, 9, 1), (5, 0, 1)), None, Random(0)) == 0


@pytest.mark.parametrize(
    ("cursor", "expected"),
    [(None, 0), (0, 1), (2, 2), (4, 3), (7, 0), (1, 1)],
)
def test_round_robin_continues_after_the_cursor_even_when_it_is_unavailable(cursor, expected) -> None:
    # available orders 0, 2, 4, 6 (1, 3, 5 are cooling down)
    c = cands((0, 0, 1), (2, 0, 1), (4, 0, 1), (6, 0, 1))
    assert round_robin(c, cursor, Random(0)) == expected


def test_least_used_ties_go_to_pool_order() -> None:
    assert least_used(cands((0, 5, 1), (1, 2, 1), (2, 2, 1)), None, Random(0)) == 1


def test_random_is_uniform_and_weighted_is_proportional() -> None:
    rng = Random(1)
    c = cands((0, 0, 1), (1, 0, 1), (2, 0, 1))
    got = Counter(random_pick(c, None, rng) for _ in range(3000))
    assert all(850 < n < 1150 for n in got.values())
    w = cands((0, 0, 1), (1, 0, 4), (2, 0, 0))
    got = Counter(weighted(w, None, rng) for _ in range(5000))
    assert got[2] == 0 and 0.75 < got[1] / 5000 < 0.85
    assert weighted(cands((0, 0, 0), (1, 0, 0)), None, rng) == 0
