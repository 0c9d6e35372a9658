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

    def as_json(self, digits: int = 4) -> dict[str, float]:
        return {
            "median": round(self.median, digits),
            "min": round(self.low, digits),
            "max": round(self.high, digits),
        }

    def text(self, digits: int = 2) -> str:
        """``1.23 (1.10-1.40)``: the median, then the range over repetitions."""
        return f"{self.median:.{digits}f} ({self.low:.{digits}f}-{self.high:.{digits}f})"


def ratios(numerators: Sequence[float], denominators: Sequence[float]) -> Spread:
    """The spread of per-repetition ratios (each pair measured in the same repetition)."""
    if len(numerators) != len(denominators):
        raise ValueError("ratios pair values from the same repetitions")
    return Spread.of([a / b for a, b in zip(numerators, denominators, strict=True)])
