"""Token refreshes under many loops and threads, the workspace bot kept through them, and a
caller's client sending Slack nothing of its own."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.installations import InstallationTokenSource, SingleProcessRefreshLock
from ocp_users_photo.installations.person_locks import PersonLocks
from tests.installation_helpers import (
    CLIENT_ID,
    CLIENT_SECRET,
    LIFETIME,
    TEAM_ID,
    Clock,
    install,
    portrait,
    refreshes,
    rotation_config_fixture,  # noqa: F401 (fixture: emulator_config)
)


def _sqlalchemy_store(path: Path) -> Any:
    import sqlalchemy
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore

    engine = sqlalchemy.create_engine(f"sqlite:///{path}", hide_parameters=True)
    store = SQLAlchemyInstallationStore(client_id=CLIENT_ID, engine=engine)
    store.metadata.create_all(engine)
    return store


async def test_a_persons_refresh_keeps_the_workspace_bot_in_the_sqlalchemy_store(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """README names slack_sdk's SQLAlchemy store (on PostgreSQL) for the token source.
    Alice installed the app with a bot scope; her user token is refreshed. Afterwards the
    workspace's bot must still be found (Bolt's authorize reads it). The SQLAlchemy store's
    save updates the rows with the same installed_at (the copy keeps it), and its save_bot
    writes even a bot without a token: the bot row is overwritten with nulls."""
    store = _sqlalchemy_store(tmp_path / "installations.db")
    installed = await install(emulator, store, "UALICE0001", bot_scope="chat:write")
    assert store.find_bot(enterprise_id=None, team_id=TEAM_ID) is not None
    source = InstallationTokenSource(
        store,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        base_url=emulator.base_url,
        environ={},
        refresh_lock=SingleProcessRefreshLock(),
        clock=Clock(offset=LIFETIME - 100),
    )
    async with source, UsersSetPhoto(source, base_url=emulator.base_url, environ={}) as tool:
        await tool.acting_as(team_id=TEAM_ID, user_id="UALICE0001").call({"image": portrait()})
    assert refreshes(emulator) == 1
    bot = store.find_bot(enterprise_id=None, team_id=TEAM_ID)
    assert bot is not None, "the workspace's bot is gone after Alice's refresh"
    assert bot.bot_token == installed.bot_token
    workspace = store.find_installation(enterprise_id=None, team_id=TEAM_ID)
    assert workspace is not None
    assert workspace.bot_token == installed.bot_token


def _hold_in_a_loop_that_dies(locks: PersonLocks, key: str) -> list[Any]:
    """A thread's own loop (not asyncio.run) takes ``key`` in a task, then is closed
    with the task still pending (its caller timed out; the task stays referenced, as
    the source's shielded refresh task is in its set)."""
    kept: list[Any] = []

    def run() -> None:
        loop = asyncio.new_event_loop()
        entered = asyncio.Event()

        async def holder() -> None:
            async with locks.hold(key):
                entered.set()
                await asyncio.Event().wait()  # a refresh awaiting Slack's answer

        async def caller() -> None:
            kept.append(loop.create_task(holder()))
            await entered.wait()

        loop.run_until_complete(caller())
        loop.close()  # the holder task is never finished nor cancelled

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return kept


async def test_a_person_lock_held_in_a_closed_loop_does_not_block_others_forever() -> None:
    """person_locks.py: the process-wide lock is polled without any bound. A holder whose
    loop was closed (a thread that ran its own loop and gave up on the call) never lets
    go: every later refresh of that person in this process waits forever (the
    shielded refresh task, and call_sync's settle() waiting on it, with it). The
    cross-process locks have leases that run out; this one needs a bound too (or the
    lock must belong to the loop that can still release it)."""
    locks = PersonLocks()
    kept = _hold_in_a_loop_that_dies(locks, "alice")
    assert kept, "the holder task ran"

    async def take() -> None:
        async with locks.hold("alice"):
            pass

    try:
        await asyncio.wait_for(take(), timeout=3)
    except TimeoutError:
        pytest.fail(
            "a person's lock held by a task of a closed loop is never given back: "
            f"{locks.in_process()} key(s) left in the process table"
        )


def test_a_thread_waiting_for_a_person_is_not_passed_over_by_another_loops_queue() -> None:
    """person_locks.py: the process lock is taken by polling. While loop A's tasks queue
    on its asyncio lock, each next one takes the process lock within the same loop turn
    the last one let go of it; loop B, asking every 50 ms, never sees it free. B must get
    its turn after a few of A's holds, not after A's whole queue (it got position 40 of
    41: passed over for as long as A had waiters)."""
    locks = PersonLocks()
    order: list[str] = []
    started = threading.Event()

    def loop_a() -> None:
        async def one(index: int) -> None:
            async with locks.hold("alice"):
                if index == 0:
                    started.set()
                order.append(f"A{index}")
                await asyncio.sleep(0.02)

        async def main() -> None:
            await asyncio.gather(*(one(index) for index in range(40)))

        asyncio.run(main())

    thread = threading.Thread(target=loop_a)
    thread.start()
    started.wait()

    async def loop_b() -> None:
        async with locks.hold("alice"):
            order.append("B")

    asyncio.run(loop_b())
    thread.join()
    assert order.index("B") <= 10, f"B came at position {order.index('B')} of {len(order)}"


async def test_a_callers_client_default_headers_and_params_do_not_go_to_slack() -> None:
    """README: a client='s "own auth and cookies are for what else it serves: Slack gets
    the token alone". The same client's default headers (an API key of the caller's own
    service) and default query params were still merged into every users.setPhoto request
    by build_request: slack.com got X-Api-Key and ?api_key=."""
    from tests.test_callers_client_and_types import requests_slack_gets

    seen = await requests_slack_gets(
        headers={"X-Api-Key": "s3cr3t-header"}, params={"api_key": "s3cr3t-param"}
    )
    assert len(seen) == 1
    assert "s3cr3t-param" not in str(seen[0].url), seen[0].url
    assert "x-api-key" not in seen[0].headers


async def test_if_readable_without_the_read_scope_asks_auth_test_once_not_every_call(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """undo/owner.py re-asks auth.test when a remembered answer lacks users.profile:read.
    With keep_previous="if_readable" (the CLI's `set`) a token without that scope is not
    refused: the photo is set and a warning given. So every call of a long-lived tool now
    costs one more auth.test than before the change (4 calls: 4 auth.test, was 1), and
    auth.test is remembered per token precisely to avoid that."""
    from tests.emulator_fixtures import solid_png

    token = "xoxp-1234567890-1234567890123-writeonlytoken0000000000000"
    emulator.state.add_token(token, scopes="users.profile:write")
    async with UsersSetPhoto(
        token,
        base_url=emulator.base_url,
        environ={},
        keep_previous="if_readable",
        photo_history=tmp_path / "history.sqlite3",
    ) as tool:
        for shade in range(4):
            reply = await tool.run({"image": solid_png((shade * 40, 10, 10))})
            assert reply["ok"] is True, reply
    asked = len(emulator.requests.for_path("auth.test"))
    assert asked <= 2, f"auth.test asked {asked} times for 4 successful calls"
