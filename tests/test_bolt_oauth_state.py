# ruff: noqa: F811  (photo_app, the fixture imported from test_bolt_photo_app, is a parameter here)
"""The Bolt app's OAuth states: signed, not stored (examples/signed_oauth_state.py).

Review (a hostile workspace member, or anyone): /slack/install needs no signature, and
each visit wrote an fsynced row to the tokens' database from the app's event loop, never
removed: 300 visits at once stood the loop still for ~8 s, Slack's events went
unanswered past 3 s, and 2,000 visits left 2,000 rows. Each test failed when written.
"""

from __future__ import annotations

import asyncio
import sqlite3
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.examples.signed_oauth_state import SignedOAuthStateStore
from tests.test_bolt_photo_app import (  # noqa: F401  (the fixtures are parameters here)
    RunningApp,
    emulator_config,
    install_through_the_app,
    photo_app,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_a_state_is_taken_once_within_its_time_and_only_as_signed() -> None:
    clock = Clock()
    store = SignedOAuthStateStore("app-client-secret", expiration_seconds=600, clock=clock)
    state = await store.async_issue()
    other_process = SignedOAuthStateStore("app-client-secret", clock=clock)
    assert await other_process.async_consume(state)  # any process of the app checks it
    assert await store.async_consume(state)
    assert not await store.async_consume(state)  # once per process
    expires, nonce, signature = state.split(".")
    assert not await store.async_consume(f"{int(expires) + 600}.{nonce}.{signature}")
    assert not await store.async_consume(f"{expires}.{nonce}x.{signature}")
    another_app = SignedOAuthStateStore("another-secret", clock=clock)
    assert not await another_app.async_consume(await store.async_issue())
    late = await store.async_issue()
    clock.now += 601
    assert not await store.async_consume(late)
    for garbage in ("", ".", "..", "1.a.", "x" * 10_000, "-1.a.b", "١٢٣.a.b"):
        assert not await store.async_consume(garbage), garbage
    assert "app-client-secret" not in repr(store)
    with pytest.raises(ValueError, match="client secret"):
        SignedOAuthStateStore("")


async def test_the_nonces_remembered_are_bounded_and_expire() -> None:
    clock = Clock()
    store = SignedOAuthStateStore("s", expiration_seconds=60, max_remembered=3, clock=clock)
    states = [await store.async_issue() for _ in range(5)]
    assert all([await store.async_consume(state) for state in states])
    assert len(store._taken) == 3
    clock.now += 61
    fresh = await store.async_issue()
    assert await store.async_consume(fresh)
    assert list(store._taken.values()) == [int(clock.now) + 60]  # the expired ones went


async def test_visits_to_the_install_link_write_nothing(
    emulator: RunningEmulator, photo_app: RunningApp
) -> None:
    await install_through_the_app(photo_app, "UALICE0001")  # the whole flow still works

    def states_stored() -> int:
        with sqlite3.connect(photo_app.database) as database:
            tables = {row[0] for row in database.execute("SELECT name FROM sqlite_master")}
            if "oauth_states" not in tables:
                return 0
            return int(database.execute("SELECT count(*) FROM oauth_states").fetchone()[0])

    async with httpx.AsyncClient(timeout=10) as visitor:
        answers = await asyncio.gather(
            *(visitor.get(f"{photo_app.url}/slack/install") for _ in range(50))
        )
    assert {answer.status_code for answer in answers} == {302}
    states = {parse_qs(urlsplit(a.headers["location"]).query)["state"][0] for a in answers}
    assert len(states) == 50
    assert await asyncio.to_thread(states_stored) == 0
