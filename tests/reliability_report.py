"""The figures the reliability tests produce, printed as one table at the end of the run.

Tests add to a session-wide report (the ``reliability`` fixture); the table goes to the
terminal summary, in Markdown, ready for the README's Reliability section.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field


@dataclass
class ReliabilityReport:
    """Counters and measured values, by section."""

    counts: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    values: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))

    def count(self, section: str, measure: str, amount: int = 1) -> None:
        self.counts[section][measure] = self.counts[section].get(measure, 0) + amount

    def note(self, section: str, measure: str, value: str) -> None:
        self.values[section][measure] = value

    def __bool__(self) -> bool:
        return bool(self.counts) or bool(self.values)

    def markdown(self) -> str:
        rows = ["| area | measure | figure |", "| --- | --- | --- |"]
        for section in sorted(set(self.counts) | set(self.values)):
            for measure, number in self.counts.get(section, {}).items():
                rows.append(f"| {section} | {measure} | {number} |")
            for measure, text in self.values.get(section, {}).items():
                rows.append(f"| {section} | {measure} | {text} |")
        return "\n".join(rows)
