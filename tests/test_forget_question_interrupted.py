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


@pytest.mark.parametrize(
    ("typed", "encoding"), [(b"\xc3\xa9\n", "ascii"), (b"\xff\xfe\n", "utf-8")]
)
def test_an_answer_the_terminals_encoding_cannot_read_is_no(
    monkeypatch: pytest.MonkeyPatch, typed: bytes, encoding: str
) -> None:
    """A key the terminal's encoding does not read ended the program with Python's codec
    error, exit 2, and no word of what was forgotten (a review)."""
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(typed), encoding=encoding))
    err = io.StringIO()
    assert not _confirmed("Forget 3 kept photos of U1?", err)
    assert err.getvalue() == "Forget 3 kept photos of U1? [y/N] "
