"""The refresh runner: closing under way, a shared httpx client, reuse, a source dropped."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import EmulatorThread
from tests.installation_helpers import (
    LIFETIME,
    TEAM_ID,
    Clock,
    emulator_source,
    install,
    refreshes,
    rotation_config,
    sqlite_store,
)
from tests.undo_fixtures import picture


def test_one_httpx_client_shared_by_tool_and_source_survives_a_refresh(tmp_path: Path) -> None:
    """An app hands its one httpx.AsyncClient to the tool (client=) and to the source
    (http_client=). The refresh now runs on the runner's loop, so the connection it leaves
    in the shared pool belongs to another loop: the call that follows, on the app's loop,
    fails with a bare RuntimeError (not even a UsersPhotoError). Before 7893c56..HEAD both
    ran on the app's loop and the call succeeded."""
    with EmulatorThread(rotation_config()) as emulator:
        store = sqlite_store(tmp_path / "i.db")
        asyncio.run(install(emulator, store, "UALICE0001"))

        async def main() -> None:
            async with httpx.AsyncClient(timeout=10) as shared:
                source = emulator_source(
                    emulator, store, clock=Clock(offset=LIFETIME - 100), http_client=shared
                )
                tool = UsersSetPhoto(source, base_url=emulator.base_url, environ={}, client=shared)
                person = tool.acting_as(team_id=TEAM_ID, user_id="UALICE0001")
                try:
                    reply = await asyncio.wait_for(person.call({"image": picture((1, 2, 3))}), 15)
                    assert reply["ok"] is True
                finally:
                    await source.aclose()

        asyncio.run(main())
        assert refreshes(emulator) == 1


def test_a_source_with_http_client_refreshes_again_after_aclose(tmp_path: Path) -> None:
    """README: aclose() stops the refresh thread and "a later refresh starts it again". With
    http_client= the client was first used on the old runner loop, so every refresh after
    aclose (and in a forked child) is a TransportError "first used on another event loop"
    although the caller only ever used one loop."""
    with EmulatorThread(rotation_config()) as emulator:
        store = sqlite_store(tmp_path / "i.db")
        asyncio.run(install(emulator, store, "UALICE0001"))
        clock = Clock(offset=LIFETIME - 100)

        async def main() -> None:
            async with httpx.AsyncClient(timeout=10) as http:
                source = emulator_source(emulator, store, clock=clock, http_client=http)
                tool = UsersSetPhoto(source, base_url=emulator.base_url, environ={})
                person = tool.acting_as(team_id=TEAM_ID, user_id="UALICE0001")
                assert (await person.call({"image": picture((1, 2, 3))}))["ok"] is True
                await source.aclose()
                clock.offset = 2 * LIFETIME - 100  # the refreshed token expires in turn
                assert (await person.call({"image": picture((4, 2, 3))}))["ok"] is True
                await source.aclose()
                await tool.aclose()

        asyncio.run(main())
        assert refreshes(emulator) == 2


def test_a_refresh_begun_while_the_source_closes_neither_hangs_nor_spends_the_token(
    tmp_path: Path,
) -> None:
    """source.aclose() takes its snapshot of the refreshes under way (settle), then closes
    the runner's HTTP client and stops its loop. A refresh another task submits in between
    (a server shutting down with requests in flight; the window widened here by a client
    close that takes 0.5 s, as a TLS stack's may) is stopped mid-flight with the loop:
    its caller waits past the call's deadline for good, and Slack has spent the stored
    refresh token, so the person must install the app again."""
    from ocp_users_photo.emulator import Fault
    from tests.installation_helpers import emulator_source

    with EmulatorThread(rotation_config()) as emulator:
        store = sqlite_store(tmp_path / "i.db")
        asyncio.run(install(emulator, store, "UALICE0001"))
        asyncio.run(install(emulator, store, "UBOB000001"))
        clock = Clock(offset=LIFETIME - 100)
        source = emulator_source(emulator, store, clock=clock)
        tool = UsersSetPhoto(source, base_url=emulator.base_url, environ={}, deadline=5.0)
        alice = tool.acting_as(team_id=TEAM_ID, user_id="UALICE0001")
        bob = tool.acting_as(team_id=TEAM_ID, user_id="UBOB000001")
        outcome: list[str] = []

        async def main() -> None:
            assert (await alice.call({"image": picture((1, 2, 3))}))["ok"] is True
            real_close = source._slack.aclose

            async def slow_close() -> None:
                await asyncio.sleep(0.5)
                await real_close()

            source._slack.aclose = slow_close  # type: ignore[method-assign]
            emulator.faults.inject(Fault.delay(1.0), path="oauth.v2.access")
            closing = asyncio.create_task(source.aclose())
            await asyncio.sleep(0.1)  # settle() has looked: nothing under way yet
            try:
                await asyncio.wait_for(bob.call({"image": picture((2, 2, 3))}), 15)
                outcome.append("ok")
            except TimeoutError:
                outcome.append("hung")  # the tool's own deadline is 5 s
            except Exception as error:  # a typed error would be acceptable
                outcome.append(type(error).__name__)
            await closing

        asyncio.run(main())
        assert outcome != ["hung"], "the call waited 15 s past its 5 s deadline"

        async def later() -> None:
            reply = await bob.call({"image": picture((3, 2, 3))})
            assert reply["ok"] is True  # the refreshed token was saved, or the old one unspent

        asyncio.run(later())


def test_a_source_dropped_without_aclose_leaves_no_thread_or_descriptors(tmp_path: Path) -> None:
    """A source that refreshed once starts a daemon thread running its loop forever; nothing
    stops it when the source is dropped (no finalizer), so each source an app makes and
    drops (per request, per job) leaves a thread, a loop, its selector and self-pipe and a
    keep-alive connection for good: +12 threads, +49 descriptors for 10 (none before)."""
    import gc
    import os
    import threading

    from tests.installation_helpers import emulator_source

    with EmulatorThread(rotation_config()) as emulator:
        store = sqlite_store(tmp_path / "i.db")
        asyncio.run(install(emulator, store, "UALICE0001"))
        threads_before = threading.active_count()
        fds_before = len(os.listdir("/proc/self/fd"))
        for shade in range(10):
            source = emulator_source(
                emulator, store, clock=Clock(offset=LIFETIME * (shade + 1) - 100)
            )
            tool = UsersSetPhoto(source, base_url=emulator.base_url, environ={})
            person = tool.acting_as(team_id=TEAM_ID, user_id="UALICE0001")
            assert person.call_sync({"image": picture((shade, 2, 3))})["ok"] is True
            del tool, person, source
            gc.collect()
        assert refreshes(emulator) == 10
        refresh_threads = [t for t in threading.enumerate() if t.name == "ocp-users-photo-refresh"]
        assert len(refresh_threads) <= 1
        assert threading.active_count() - threads_before <= 3
        assert len(os.listdir("/proc/self/fd")) - fds_before <= 10
