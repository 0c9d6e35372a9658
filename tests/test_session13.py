"""Session 13: what session 12 left, mended.

Each test was seen failing before its fix.
"""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any

import pytest

from ocp_users_photo import InvalidArguments, UsersSetPhoto, register
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.images.byte_budget import ByteBudget
from ocp_users_photo.undo.entries import HistoryOwner
from ocp_users_photo.undo.store import PhotoHistory
from tests.conftest import CANARY_TOKEN, make_image, photo_requests
from tests.test_ocp_agent import OPENAPI, home  # noqa: F401 (a fixture)
from tests.test_ocpagent11 import TOKEN
from tests.test_undo10 import history_checks_recorded, move_history

# A history file swapped in after its connection closed is checked ------------------------


def test_a_history_swapped_in_after_its_connection_closed_is_checked_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``check_usable`` (an MCP server's start) opens the file, checks it and closes the
    connection; the next opening skipped SQLite's quick check even when another file had
    been put at the path meanwhile (a copy from a backup, which may be damaged). The same
    file opened again is not checked twice; another one is, as a new process would."""
    checks = history_checks_recorded(monkeypatch)
    where = tmp_path / "history.sqlite3"
    owner = HistoryOwner("T0001", "U0001")
    other = PhotoHistory(tmp_path / "other.sqlite3")
    history = PhotoHistory(where)
    try:
        other.check_usable()
        history.check_usable()
        assert checks == [True, True]
        assert asyncio.run(history.entries(owner)) == []
        assert checks == [True, True, False], "the same file, opened again: not checked again"
        history.close()
        move_history(where, "moved")
        move_history(tmp_path / "other.sqlite3", "history")
        assert asyncio.run(history.entries(owner)) == []
        assert checks == [True, True, False, True], "another file at the path is checked"
    finally:
        history.close()
        other.close()


# An upload once sent or closed -------------------------------------------------------------


@pytest.mark.parametrize("given_as", ["bytes", "path"])
async def test_an_upload_sent_once_cannot_be_sent_again_and_holds_no_bytes(
    emulator: RunningEmulator, tmp_path: Path, given_as: str
) -> None:
    """``send`` closes the upload; the closed upload still held the image's bytes (given
    back to the byte budget, so uncounted while a caller kept the object), and sending it
    again sent them again with their budget already given back (bytes) or failed on an
    assertion (a path). Now closing lets the bytes go, and a closed upload is refused in
    words (a mistake in the caller's code, as a wrong type is), nothing sent."""
    image = make_image(size=(600, 600))
    path = tmp_path / "photo.png"
    path.write_bytes(image)
    argument = image if given_as == "bytes" else str(path)
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=emulator.base_url, environ={}, image_roots=[tmp_path]
    ) as tool:
        upload = await tool.prepare({"image": argument})
        assert (await tool.send(upload))["ok"]
        assert upload.closed
        assert upload.image.source.data is None
        assert upload.image.source.file is None
        with pytest.raises(ValueError, match=r"sent or closed already .* prepare it again"):
            await tool.send(upload)
    assert len(photo_requests(emulator)) == 1


# Nothing to hold does not wait --------------------------------------------------------------


async def test_taking_no_bytes_does_not_queue_behind_calls_waiting_for_memory() -> None:
    """A web image whose host says ``Content-Length: 0`` takes no bytes, yet waited its
    turn behind calls waiting for memory before being refused as empty. Taking nothing
    now goes at once; those waiting keep their place."""
    budget = ByteBudget(10)
    first = await budget.hold(10)
    waiting = asyncio.create_task(budget.hold(5))
    await asyncio.sleep(0)
    assert budget.waiting == 1
    nothing = asyncio.create_task(budget.hold(0))
    for _ in range(3):
        await asyncio.sleep(0)
    assert nothing.done(), "taking no bytes waited behind the call waiting for memory"
    nothing.result().release()
    at_once = budget.try_hold(0)  # a path's empty file, read whole: refused soon after
    assert at_once is not None
    at_once.release()
    assert budget.try_hold(1) is None, "a byte still waits its turn behind the waiting call"
    assert budget.waiting == 1
    assert not waiting.done()
    first.release()
    (await waiting).release()
    assert budget.held == 0


# A Slack API discovered again stays listed meanwhile ----------------------------------------


def _discovery_held(agent: Any) -> tuple[threading.Event, threading.Event]:
    """ocp-agent's discovery of a spec held until ``release`` is set; ``entered`` says it began."""
    entered, release = threading.Event(), threading.Event()
    discover = agent.discovery.discover_api

    def held(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        release.wait(30)
        return discover(*args, **kwargs)

    agent.discovery.discover_api = held
    return entered, release


def _listed(agent: Any) -> list[str]:
    return sorted(tool.name for tool in agent.list_tools())


@pytest.mark.parametrize("door", ["register", "OCPAgent"])
async def test_the_slack_tools_stay_listed_while_a_spec_url_is_discovered_again(
    ocp_agent_library: Any,
    home: Path,  # noqa: F811
    door: str,
) -> None:
    """``register_api('slack', spec_url=...)`` after the tool was offered dropped the agent's
    Slack API for the discovery (ocp-agent discovers only a name it does not know), which
    runs in a worker thread: meanwhile another conversation's ``list_tools()`` had no
    usersSetPhoto, and no Slack tool an earlier discovery found. They stay listed now, and
    once the discovery is in, each tool is listed once."""
    from ocp_users_photo import OCPAgent

    if door == "register":
        agent = ocp_agent_library.OCPAgent(enable_cache=False)
        register(agent, token=TOKEN, environ={})
    else:
        agent = OCPAgent(enable_cache=False, token=TOKEN, environ={})
    try:
        await agent.register_api("slack", spec_url=str(OPENAPI))
        before = _listed(agent)
        assert "usersSetPhoto" in before
        assert "usersProfileGet" in before
        entered, release = _discovery_held(agent)
        discovering = asyncio.ensure_future(agent.register_api("slack", spec_url=str(OPENAPI)))
        try:
            assert await asyncio.to_thread(entered.wait, 30)
            assert _listed(agent) == before
        finally:
            release.set()
            await discovering
        assert _listed(agent) == before
        assert [name for name in agent.known_apis] == ["slack"]
    finally:
        if isinstance(agent, OCPAgent):
            await agent.aclose()


# An iPhone's HEIC photo says what it is ------------------------------------------------------


def _heic(major_brand: bytes) -> bytes:
    """The start of a HEIF file as an iPhone writes one (an ISO BMFF ``ftyp`` box), then data."""
    box = b"ftyp" + major_brand + bytes(4) + b"mif1heic"
    return len(box + bytes(4)).to_bytes(4, "big") + box + bytes(range(256)) * 40


@pytest.mark.parametrize("brand", [b"heic", b"mif1", b"heix", b"hevc", b"hevx"])
async def test_a_heic_photo_is_named_and_the_way_to_a_jpeg_said(
    emulator: RunningEmulator, tmp_path: Path, brand: bytes
) -> None:
    """ "Set my photo to this" with an iPhone photo: HEIC, which neither this tool nor Slack
    reads. It was told only that it is no image in a format this tool decodes (a list of
    seven formats), not what it is nor how to get one that works. Now it is named, with
    the way to a JPEG for the person, and what to ask the person for, for a model."""
    photo = tmp_path / "IMG_0001.HEIC"
    photo.write_bytes(_heic(brand))
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=emulator.base_url, environ={}, image_roots=[tmp_path]
    ) as tool:
        with pytest.raises(InvalidArguments) as refused:
            await tool.call({"image": str(photo)})
        answer = await tool.run({"image": str(photo)})
    said = refused.value.message
    assert "HEIC" in said
    assert "JPEG" in said
    assert "Export" in said
    told = json.dumps(answer)
    assert "HEIC" in told
    assert "ask the person" in told
    assert photo_requests(emulator) == []
