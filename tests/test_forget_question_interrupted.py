"""Ctrl-C at ``history --forget``'s question says nothing was forgotten, as "no" does."""

from __future__ import annotations

import io

import pytest

from ocp_users_photo.history_command import _confirmed


class _Interrupted:
    """A terminal whose person pressed Ctrl-C at the question."""

    def readline(self) -> str:
        raise KeyboardInterrupt


def test_an_interrupt_at_the_question_says_nothing_was_forgotten(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.stdin", _Interrupted())
    err = io.StringIO()
    with pytest.raises(KeyboardInterrupt):
        _confirmed("Forget 3 kept photos of U1?", err)
    assert err.getvalue() == "Forget 3 kept photos of U1? [y/N] \nNothing was forgotten.\n"


def test_no_answer_is_no(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    assert not _confirmed("Forget?", io.StringIO())
    monkeypatch.setattr("sys.stdin", io.StringIO("yes\n"))
    assert _confirmed("Forget?", io.StringIO())
