"""The figures the reliability tests produce, printed as one table at the end of the run.

Tests add to a session-wide report (the ``reliability`` fixture); the table goes to the
terminal summary, in Markdown, ready for the README's Reliability section. Under
pytest-xdist each worker keeps its own report and hands it to the controller as plain
JSON when it finishes (``ReliabilityCollector``), which adds them up, so the table is
the whole run's whichever worker ran which test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import pytest

# Where a pytest-xdist worker leaves its figures for the controller.
WORKER_OUTPUT_KEY: Final = "ocp_users_photo_reliability"


@dataclass
class ReliabilityReport:
    """Counters and measured values, by section."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)

    def count(self, section: str, measure: str, amount: int = 1) -> None:
        counted = self.counts.setdefault(section, {})
        counted[measure] = counted.get(measure, 0) + amount

    def note(self, section: str, measure: str, value: str) -> None:
        self.values.setdefault(section, {})[measure] = value

    def __bool__(self) -> bool:
        return bool(self.counts) or bool(self.values)

    def as_json(self) -> dict[str, Any]:
        """The figures as JSON-ready data (what a worker sends its controller)."""
        return {"counts": self.counts, "values": self.values}

    def add(self, figures: dict[str, Any]) -> None:
        """Add another process's ``as_json()``: counts summed, values taken as given."""
        for section, measures in figures.get("counts", {}).items():
            for measure, amount in measures.items():
                self.count(section, measure, int(amount))
        for section, measures in figures.get("values", {}).items():
            for measure, value in measures.items():
                self.note(section, measure, str(value))

    def markdown(self) -> str:
        rows = ["| area | measure | figure |", "| --- | --- | --- |"]
        for section in sorted(set(self.counts) | set(self.values)):
            for measure, number in self.counts.get(section, {}).items():
                rows.append(f"| {section} | {measure} | {number} |")
            for measure, text in self.values.get(section, {}).items():
                rows.append(f"| {section} | {measure} | {text} |")
        return "\n".join(rows)


RELIABILITY_KEY: Final = pytest.StashKey[ReliabilityReport]()


def session_report(config: pytest.Config) -> ReliabilityReport:
    """This process's report, kept on the pytest config (one per process, no module global)."""
    if RELIABILITY_KEY not in config.stash:
        config.stash[RELIABILITY_KEY] = ReliabilityReport()
    return config.stash[RELIABILITY_KEY]


class ReliabilityCollector:
    """pytest-xdist hooks: workers hand over their figures, the controller adds them up."""

    def __init__(self, config: pytest.Config) -> None:
        self._config = config

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        workeroutput: dict[str, Any] | None = getattr(self._config, "workeroutput", None)
        if workeroutput is not None:
            workeroutput[WORKER_OUTPUT_KEY] = session_report(self._config).as_json()

    def pytest_testnodedown(self, node: Any, error: object) -> None:
        figures = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT_KEY)
        if figures:
            session_report(self._config).add(figures)
