"""Secrets under full debugging: tracebacks rendered with their frames' locals.

An error reporter (Sentry's default ``include_local_variables=True``), ``pytest -l`` or
``--tb=long`` (which prints each frame's arguments), rich's ``show_locals``, IPython's
verbose mode and ``traceback.TracebackException(capture_locals=True)`` all print the
``repr`` of every local of every frame an error passed through. The package keeps its
token in a ``SlackToken`` (and ``TokenOverride.value`` out of its repr) for that reason;
these tests check that no frame of an error the package raises holds a secret as text.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ocp_users_photo import ImageLimits, UsersPhotoError, UsersSetPhoto
from ocp_users_photo.emulator import Fault, RunningEmulator, run_emulator
from ocp_users_photo.undo import KeptPhotoUnusable
from tests.conftest import CANARY_TOKEN, inject, make_image
from tests.installation_helpers import (
    CLIENT_SECRET,
    LIFETIME,
    TEAM_ID,
    emulator_source,
    install,
    portrait,
    rotation_config,
    sqlite_store,
)

CANARY_SECRET = CANARY_TOKEN.rsplit("-", 1)[1]


def rendered_with_locals(error: BaseException) -> str:
    """The traceback as a reporter that captures locals renders it (causes included)."""
    return "".join(traceback.TracebackException.from_exception(error, capture_locals=True).format())


def rendered_by_pytest_long(error: BaseException) -> str:
    """pytest's ``--tb=long`` rendering, without ``-l``: each frame's arguments are shown."""
    info = pytest.ExceptionInfo.from_exception(error)
    return str(info.getrepr(style="long", funcargs=True, showlocals=False))


@contextlib.contextmanager
def sentry_with_defaults() -> Iterator[list[dict[str, Any]]]:
    """Sentry's SDK with its defaults (every frame's locals, mappings and lists walked
    into); the events it makes are kept in the list given, and nothing is sent anywhere."""
    import sentry_sdk

    events: list[dict[str, Any]] = []

    def kept(event: Any, hint: Any) -> None:
        events.append(event)
        return None

    # No integration: none patches the process (the stdlib's, logging's) for later tests.
    sentry_sdk.init(
        dsn="https://key@sentry.invalid/1",
        before_send=kept,
        default_integrations=False,
        auto_enabling_integrations=False,
    )
    try:
        yield events
    finally:
        sentry_sdk.get_client().close(timeout=0)  # nothing queued: before_send kept all
        # No DSN: a disabled client, as before; no integration either.
        sentry_sdk.init(default_integrations=False, auto_enabling_integrations=False)


def reported_with_locals(events: list[dict[str, Any]]) -> str:
    """The events as JSON, once it is sure they hold the frames' locals."""
    frames = [
        frame
        for event in events
        for value in event["exception"]["values"]
        for frame in value["stacktrace"]["frames"]
    ]
    assert any(frame.get("vars") for frame in frames)  # locals were captured
    return json.dumps(events, default=str)


SCENARIOS = {
    "a slack refusal": [Fault.slack_error("invalid_auth")],
    # Broken HTTP quoting the request's credentials: the HTTP library's own error quotes
    # them, and was kept as a local of the frame the package's error is raised from.
    "a status line echoing the header": [Fault.raw("{authorization}\r\n\r\n")] * 3,
    "a reason phrase echoing the token": [
        Fault.raw(
            'HTTP/1.1 200 {token}\r\ncontent-length: 35\r\n\r\n{"ok":false,"error":"invalid_auth"}'
        )
    ],
    # httpx's response.aclose, a bound method the Answer held, quoted the reason phrase.
    "a reason phrase echoing the token, then a body that is no gzip": [
        Fault.raw(
            "HTTP/1.1 200 {token}\r\ncontent-encoding: gzip\r\ncontent-length: 11\r\n\r\n"
            '{"ok":true}'
        )
    ]
    * 3,
    "a chunk size echoing the token": [
        Fault.raw("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n{token}\r\n")
    ]
    * 3,
    "a content-encoding echoing the token": [
        Fault.raw(
            'HTTP/1.1 200 OK\r\ncontent-encoding: {token}\r\ncontent-length: 11\r\n\r\n{"ok":true}'
        )
    ]
    * 3,
    "a dropped connection": [Fault.drop()] * 3,
    # Refused after parsing, each echoing the token: json_object's frame held the parsed
    # value, the body unredacted, as a local when it raised.
    "JSON that is no object": [Fault.json([CANARY_TOKEN])],
    "JSON nested too deep": [
        Fault.json(
            {
                "ok": False,
                "deep": [
                    [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[CANARY_TOKEN]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]
                ],
            }
        )
    ],
}


@pytest.mark.parametrize("stack", ["httpx", "aiohttp"])
@pytest.mark.parametrize("scenario", list(SCENARIOS))
async def test_a_failed_calls_traceback_locals_hold_no_token(
    scenario: str, stack: str, emulator: RunningEmulator
) -> None:
    inject(emulator, *SCENARIOS[scenario])
    async with UsersSetPhoto(
        CANARY_TOKEN,
        base_url=emulator.base_url,
        environ={"OCP_USERS_PHOTO_HTTP_STACK": stack},
        retry_backoff=0.01,
    ) as tool:
        with pytest.raises(UsersPhotoError) as raised:
            await tool.call({"image": make_image((640, 640))})
    # client.py _call's `secrets`, `kept_out` and `in_flight` hold the token's forms as text.
    assert CANARY_SECRET not in rendered_with_locals(raised.value)


@pytest.mark.parametrize("stack", ["httpx", "aiohttp"])
async def test_a_callers_timeout_traceback_locals_hold_no_token(
    stack: str, emulator: RunningEmulator
) -> None:
    """asyncio.timeout's TimeoutError is raised from the CancelledError that went through the
    request: client.py _attempt's `headers` ({"Authorization": "Bearer xoxp-..."}), and
    the HTTP stack's own frames (aiohttp's request keeps its headers)."""
    inject(emulator, Fault.delay(3))
    environ = {"OCP_USERS_PHOTO_HTTP_STACK": stack}
    async with UsersSetPhoto(CANARY_TOKEN, base_url=emulator.base_url, environ=environ) as tool:
        with pytest.raises(TimeoutError) as raised:
            async with asyncio.timeout(0.5):
                await tool.call({"image": make_image((640, 640))})
    assert CANARY_SECRET not in rendered_with_locals(raised.value)


async def test_a_failed_refresh_shows_no_token_or_secret_in_pytests_long_traceback(
    tmp_path: Path,
) -> None:
    """A refresh whose connection drops: pytest's --tb=long (no -l) prints refresh_grant's
    and client.py's arguments: `seen_token` (the access token), `fields` (the refresh
    token), `secrets` (the client secret)."""
    store = sqlite_store(tmp_path / "installations.db")
    async with run_emulator(rotation_config()) as emulator:
        installation = await install(emulator, store, "UALICE0001")
        source = emulator_source(emulator, store)
        async with source, UsersSetPhoto(source, base_url=emulator.base_url, environ={}) as tool:
            emulator.state.advance_clock(LIFETIME)
            emulator.faults.inject(Fault.drop(), path="oauth.v2.access", times=5)
            alice = tool.acting_as(team_id=TEAM_ID, user_id="UALICE0001")
            with pytest.raises(UsersPhotoError) as raised:
                await alice.call({"image": portrait()})
    # Rendered before this frame holds the secrets to look for: it is in the traceback too.
    renderings = (rendered_by_pytest_long(raised.value), rendered_with_locals(raised.value))
    assert installation.user_token is not None
    assert installation.user_refresh_token is not None
    secrets = [installation.user_token, installation.user_refresh_token, CLIENT_SECRET]
    assert all(secrets)
    for text in renderings:
        for secret in secrets:
            assert secret not in text, secret[:12]


@pytest.mark.parametrize("stack", ["httpx", "aiohttp"])
async def test_an_error_reporters_event_with_its_defaults_holds_no_secret(
    stack: str, emulator: RunningEmulator, tmp_path: Path
) -> None:
    """Sentry with its defaults: every frame's locals, mappings and lists walked into."""
    import sentry_sdk

    inject(emulator, Fault.slack_error("invalid_auth"))
    store = sqlite_store(tmp_path / "installations.db")
    with sentry_with_defaults() as events:
        environ = {"OCP_USERS_PHOTO_HTTP_STACK": stack}
        async with UsersSetPhoto(CANARY_TOKEN, base_url=emulator.base_url, environ=environ) as tool:
            with pytest.raises(UsersPhotoError) as refused:
                await tool.call({"image": make_image((640, 640))})
            sentry_sdk.capture_exception(refused.value)
        async with run_emulator(rotation_config()) as rotating:
            installation = await install(rotating, store, "UALICE0001")
            source = emulator_source(rotating, store)
            async with (
                source,
                UsersSetPhoto(source, base_url=rotating.base_url, environ=environ) as t,
            ):
                rotating.state.advance_clock(LIFETIME)
                rotating.faults.inject(Fault.drop(), path="oauth.v2.access", times=5)
                alice = t.acting_as(team_id=TEAM_ID, user_id="UALICE0001")
                with pytest.raises(UsersPhotoError) as dropped:
                    await alice.call({"image": portrait()})
                sentry_sdk.capture_exception(dropped.value)
    assert len(events) == 2
    reported = reported_with_locals(events)
    assert installation.user_refresh_token is not None
    secrets = [CANARY_SECRET, installation.user_refresh_token, CLIENT_SECRET]
    assert all(secrets)
    for secret in secrets:
        assert secret not in reported


@pytest.mark.parametrize("stack", ["httpx", "aiohttp"])
@pytest.mark.parametrize("scenario", ["a slack refusal", "a dropped connection"])
async def test_a_failed_calls_traceback_locals_hold_no_image_bytes(
    scenario: str, stack: str, emulator: RunningEmulator, tmp_path: Path
) -> None:
    """The caller gave a path; the photo sent is the tool's own conversion of it (a larger
    image scaled down). Its bytes, a repr four times their size, were in client.py's
    `files` (FilePart's repr): a 3 MB photo made an 8.6 MB line in every report."""
    (tmp_path / "wide.png").write_bytes(make_image((3000, 3000)))
    inject(emulator, *SCENARIOS[scenario])
    async with UsersSetPhoto(
        CANARY_TOKEN,
        base_url=emulator.base_url,
        environ={"OCP_USERS_PHOTO_HTTP_STACK": stack},
        image_roots=[tmp_path],
        retry_backoff=0.01,
    ) as tool:
        with pytest.raises(UsersPhotoError) as raised:
            await tool.call({"image": str(tmp_path / "wide.png")})
    rendered = rendered_with_locals(raised.value)
    assert "FilePart(" in rendered  # the part was a local of a frame shown
    assert "\\x89PNG" not in rendered


async def _keep_one(tool: UsersSetPhoto) -> None:
    """Two photos set with keeping on: the history then holds the first (600x600 PNG)."""
    await tool.call({"image": make_image((600, 600))})
    await tool.call({"image": make_image((700, 700))})


def _no_photo_in_locals(error: BaseException) -> None:
    """The traceback rendered with its frames' locals names the kept entry, not its bytes."""
    rendered = rendered_with_locals(error)
    assert "KeptPhoto(" in rendered  # the entry was a local of a frame shown
    assert "\\x89PNG" not in rendered


@pytest.mark.parametrize("stack", ["httpx", "aiohttp"])
@pytest.mark.parametrize("scenario", ["a slack refusal", "a dropped connection"])
async def test_a_failed_undos_traceback_locals_hold_no_kept_photo(
    scenario: str, stack: str, emulator: RunningEmulator, tmp_path: Path
) -> None:
    """The photo an undo puts back is read from the history file: restore.py's `found`
    held its bytes while the change went to Slack, and a failed undo's traceback showed
    them with that frame's locals."""
    async with UsersSetPhoto(
        CANARY_TOKEN,
        base_url=emulator.base_url,
        environ={"OCP_USERS_PHOTO_HTTP_STACK": stack},
        keep_previous=True,
        photo_history=tmp_path / "history.sqlite3",
        retry_backoff=0.01,
    ) as tool:
        await _keep_one(tool)
        inject(emulator, *SCENARIOS[scenario])
        with pytest.raises(UsersPhotoError) as raised:
            await tool.undo()
    _no_photo_in_locals(raised.value)


async def test_a_kept_photo_refused_by_the_image_checks_is_not_in_the_traceback_locals(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """Over the host's limits now, the kept photo is refused before anything is sent
    (KeptPhotoUnusable): restore.py's `found`, `data` and `arguments` held it whole."""
    history = tmp_path / "history.sqlite3"
    async with UsersSetPhoto(
        CANARY_TOKEN,
        base_url=emulator.base_url,
        environ={},
        keep_previous=True,
        photo_history=history,
    ) as tool:
        await _keep_one(tool)
    async with UsersSetPhoto(
        CANARY_TOKEN,
        base_url=emulator.base_url,
        environ={},
        photo_history=history,
        limits=ImageLimits(max_bytes=1000),
    ) as tool:
        with pytest.raises(KeptPhotoUnusable) as refused:
            await tool.undo()
    _no_photo_in_locals(refused.value)


async def test_an_undo_out_of_time_while_its_photo_is_read_keeps_no_photo_in_the_locals(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """The call's deadline passing while the kept photo was being checked (a TransportError,
    "the image was still being read"): restore.py's `found`, `data` and `arguments` held the
    photo whole in the traceback's locals, as they did for a refusal before its mend."""
    history = tmp_path / "history.sqlite3"
    async with UsersSetPhoto(
        CANARY_TOKEN,
        base_url=emulator.base_url,
        environ={},
        keep_previous=True,
        photo_history=history,
        deadline=2,
    ) as tool:
        await _keep_one(tool)
        never = asyncio.Event()

        async def stalled(*_: object) -> Any:
            await never.wait()  # ended by the call's deadline

        tool._intake.resolve = stalled  # type: ignore[method-assign,assignment]
        with pytest.raises(UsersPhotoError) as raised:
            await tool.undo()
    assert "still being" in str(raised.value), raised.value
    _no_photo_in_locals(raised.value)
