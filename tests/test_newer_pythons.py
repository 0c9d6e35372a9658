"""Found by running the suite on Python 3.12.1 and 3.13.0, which the package declares
(CI ran 3.11 only): behaviour that changed under the package between versions."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

import pytest

from ocp_users_photo.output import OutputFailed, answers_to


def test_a_command_answer_outliving_its_stdout_is_collected_without_a_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A command's answer (``answers_to``) collected after its stdout was closed: IOBase's
    finalizer closes it, and close() flushed stdout again, which raised OutputFailed. 3.11
    and 3.12 drop what close() raises there; 3.13 reports it (sys.unraisablehook: "Exception
    ignored in: <_Answers ...>" and a traceback on stderr). Seen in the 3.13 suite as
    PytestUnraisableExceptionWarning after in-process cli.main() runs, whose captured
    stdout pytest had closed."""
    stream = (tmp_path / "answer.txt").open("w", encoding="utf-8")
    answers = answers_to(stream)
    answers.write("done\n")
    stream.close()
    reported: list[sys.UnraisableHookArgs] = []
    monkeypatch.setattr(sys, "unraisablehook", reported.append)
    del answers
    gc.collect()
    assert [(hook.exc_type, hook.exc_value) for hook in reported] == []
    assert (tmp_path / "answer.txt").read_text(encoding="utf-8") == "done\n"


def test_a_write_after_stdout_closed_is_still_output_failed(tmp_path: Path) -> None:
    """What the finalizer no longer flushes is still said where it matters: a write."""
    stream = (tmp_path / "answer.txt").open("w", encoding="utf-8")
    answers = answers_to(stream)
    stream.close()
    with pytest.raises(OutputFailed, match="stdout is closed") as failed:
        answers.write("late\n")
    assert failed.value.closed
