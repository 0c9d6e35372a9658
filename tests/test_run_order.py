"""The suite's run order (conftest.in_run_order): the long tests first, the waiting ones
spread through the first two thirds of the rest, no test lost or run twice."""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass
from typing import cast

import pytest

from tests.conftest import in_run_order


@dataclass(frozen=True)
class _Test:
    """What in_run_order reads of a collected test: its name and its markers."""

    nodeid: str
    markers: frozenset[str] = frozenset()

    def get_closest_marker(self, name: str) -> pytest.Mark | None:
        return getattr(pytest.mark, name).mark if name in self.markers else None


def _order(tests: list[_Test]) -> list[_Test]:
    return cast(list[_Test], in_run_order(cast(list[pytest.Item], tests)))


def test_long_tests_first_waiting_ones_spread_and_none_lost() -> None:
    plain = [_Test(f"plain{index}") for index in range(90)]
    long_ones = [_Test(f"long{index}", frozenset({"runs_long"})) for index in range(2)]
    waiting = [_Test(f"wait{index}", frozenset({"waits"})) for index in range(5)]
    longest_wait = _Test("wait-long", frozenset({"waits", "runs_long"}))
    tests = [*plain[:30], waiting[0], long_ones[0], *plain[30:], *waiting[1:], long_ones[1]]
    tests.insert(50, longest_wait)

    ordered = _order(tests)

    assert sorted(test.nodeid for test in ordered) == sorted(test.nodeid for test in tests)
    assert ordered[:2] == long_ones
    # The longest wait starts with the long ones' first followers; the others follow it in
    # the order collected, each among the first two thirds of the plain tests.
    where = [ordered.index(test) for test in [longest_wait, *waiting]]
    assert where == sorted(where)
    assert where[0] == 2
    # After the 2 long ones, one before every 8th of the 90 others (the first two thirds,
    # 60, shared in 7 parts among the 6 that wait): within the first two thirds of the run.
    assert where == [2, 11, 20, 29, 38, 47]
    assert min(later - earlier for earlier, later in itertools.pairwise(where)) > 5
    assert [test for test in ordered if test in plain] == plain  # the rest as collected


def test_without_waiting_tests_the_order_is_long_then_as_collected() -> None:
    tests = [_Test("a"), _Test("b", frozenset({"runs_long"})), _Test("c")]
    assert [test.nodeid for test in _order(tests)] == ["b", "a", "c"]


def test_waiting_tests_beyond_the_others_are_all_kept_once() -> None:
    """``-m waits``, or one waiting test named alone: more of them than others to spread
    them among; none is lost, none run twice."""
    waiting = [_Test(f"wait{index}", frozenset({"waits"})) for index in range(3)]
    for tests in ([_Test("plain"), *waiting], waiting, waiting[:1]):
        ordered = _order(tests)
        assert Counter(test.nodeid for test in ordered) == Counter(t.nodeid for t in tests)
