"""The example Bolt app's revocation deletes nothing blind while the store is busy (a
newcomer's run on Python 3.13, under load, 2026-12-06): the deletion made at once when the
store could not say waited on the lock, landed after the person's reinstall saved
meanwhile, and removed it."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator

import pytest

from ocp_users_photo.examples import bolt_revocation
from ocp_users_photo.examples.bolt_revocation import Stored, _deleted
from ocp_users_photo.installations.errors import InstallationStoreFailed


@pytest.fixture(autouse=True)
def no_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bolt_revocation, "_PAUSES_BEFORE_DELETING_AGAIN", (0.0,) * 5)


class Store:
    """What ``kept()`` says, answer by answer (None: busy, it cannot say); the deletions."""

    def __init__(self, answers: Iterator[Stored | None]) -> None:
        self.answers = answers
        self.deletions = 0

    async def kept(self) -> Stored:
        answer = next(self.answers)
        if answer is None:
            raise InstallationStoreFailed("finding the installation", sqlite3.OperationalError())
        return answer

    async def delete(self) -> None:
        self.deletions += 1


async def test_a_reinstall_saved_while_the_store_was_busy_is_not_deleted() -> None:
    store = Store(iter([None, None, "installed since"]))
    assert await _deleted(store.delete, store.kept, "the installation of U1") is True
    assert store.deletions == 0


async def test_what_is_from_before_is_deleted_once_the_store_says_so() -> None:
    store = Store(iter([None, "from before", "nothing"]))
    assert await _deleted(store.delete, store.kept, "the installation of U1") is True
    assert store.deletions == 1


async def test_a_store_that_never_says_has_it_deleted_blind_at_the_end_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = Store(iter([None] * 7))
    with caplog.at_level(logging.WARNING):
        assert await _deleted(store.delete, store.kept, "the installation of U1") is False
    assert store.deletions == 1
    assert "never said whether the installation of U1 was still stored" in caplog.text
