"""A figure over repetitions: its median and its range, so no number is shown without its spread."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Spread:
    """The median, minimum and maximum of one figure over the repetitions of a run."""

    median: float
    low: float
    high: float
    count: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        if not values:
            raise ValueError("a spread needs at least one value")
        return cls(statistics.median(values), min(values), max(values), len(values))

    def as_json(self, digits: int = 6) -> dict[str, float]:
        # Two digits more than any table shows: the README's tables are formatted from these
        # values, RESULTS.md from the unrounded ones, and a value rounded twice (1.12753 to
        # 1.1275, then 1.127) disagreed with the same value rounded once (1.128).
        return {
            "median": round(self.median, digits),
            "min": round(self.low, digits),
            "max": round(self.high, digits),
            "runs": self.count,
        }

    def text(self, digits: int = 2) -> str:
        """``1.23 (1.10-1.40)``: the median, then the range over repetitions; ``0.06 (1 run)``
        for a figure measured once (no range to show)."""
        if self.count == 1:
            return f"{self.median:.{digits}f} (1 run)"
        return f"{self.median:.{digits}f} ({self.low:.{digits}f}-{self.high:.{digits}f})"


def ratios(numerators: Sequence[float], denominators: Sequence[float]) -> Spread:
    """The spread of per-repetition ratios (each pair measured in the same repetition)."""
    if len(numerators) != len(denominators):
        raise ValueError("ratios pair values from the same repetitions")
    return Spread.of([a / b for a, b in zip(numerators, denominators, strict=True)])
