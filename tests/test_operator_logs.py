"""What an operator reads in the logs: the Bolt example's app-side failures, and a hostile
server's reply head in the HTTP stack's DEBUG records (review: operator_logs).

Each test states what the README promises; they fail on the code as reviewed.
"""

from __future__ import annotations

import logging

import pytest

from ocp_users_photo import TransportError, UsersSetPhoto
from ocp_users_photo.emulator import Fault, RunningEmulator
from tests.conftest import CANARY_TOKEN, make_image
from tests.installation_helpers import TEAM_ID
from tests.test_bolt_photo_app import (  # noqa: F401 - the fixtures, used by name
    RunningApp,
    emulator_config,
    install_through_the_app,
    photo_app,
)

ALICE = "UALICE0001"


def operator_records(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What an operator running at the default WARNING level sees."""
    return [
        f"{record.levelname} {record.name}: {record.getMessage()}"
        for record in caplog.records
        if record.levelno >= logging.WARNING
    ]


async def ask_for_red(running: RunningApp) -> str:
    return await running.app.set_photo_for(
        team_id=TEAM_ID, user_id=ALICE, enterprise_id=None, requested="red"
    )


async def test_the_bolt_apps_wrong_client_secret_is_logged_for_the_operator_not_shown(
    photo_app: RunningApp,  # noqa: F811
    emulator: RunningEmulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The client secret is the app's setting (rotated in Slack's app settings and not in
    the app's environment): every person whose token needs renewing is refused. The person
    is told to copy the secret from the Basic Information page; the operator, who can,
    reads nothing."""
    await install_through_the_app(photo_app, ALICE)
    emulator.state.advance_clock(43200)  # Slack now says token_expired: a refresh is needed
    emulator.faults.inject(Fault.slack_error("bad_client_secret"), path="oauth.v2.access")
    caplog.set_level(logging.INFO)

    answer = await ask_for_red(photo_app)

    logged = operator_records(caplog)
    assert any("bad_client_secret" in line for line in logged), (
        f"nothing for the operator at WARNING or above: {logged}; the person was told: {answer}"
    )
    assert "client_secret" not in answer, answer
    assert "Basic Information" not in answer, answer


async def test_a_slack_outage_reaching_the_bolt_app_is_in_its_log(
    photo_app: RunningApp,  # noqa: F811
    emulator: RunningEmulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Slack answering 503 to every attempt ends in "Your photo may have changed" for the
    person, and not one record at WARNING or above (the retries are DEBUG only): during a
    5xx storm the operator's log is silent."""
    await install_through_the_app(photo_app, ALICE)
    emulator.faults.inject(Fault.status(503), times=3, path="users.setPhoto")
    caplog.set_level(logging.INFO)

    answer = await ask_for_red(photo_app)

    assert answer.startswith("Your photo may have changed"), answer
    logged = operator_records(caplog)
    assert any("503" in line for line in logged), f"nothing at WARNING or above: {logged}"


async def test_a_hostile_reply_head_reaches_the_debug_log_bounded(
    emulator: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    """README, Security: "Text from a server never reaches a terminal, a log or a model
    unbounded". On the httpx stack, httpcore's DEBUG record of the reply head (a logger the
    package already filters while a call runs) holds every header a server sends, escaped
    as a bytes repr: 100 headers of 950 obs-text bytes make one record of ~380,000
    characters, and three 503 attempts ~1.1 MB for one call."""
    caplog.set_level(logging.DEBUG)
    head = (
        b"HTTP/1.1 503 Busy\r\ncontent-type: text/plain\r\n"
        + b"".join(b"x-h%d: " % i + b"\xff" * 950 + b"\r\n" for i in range(100))
        + b"content-length: 2\r\n\r\nno"
    )
    emulator.faults.inject(Fault.raw(head), times=3, path="users.setPhoto")
    environ = {"OCP_USERS_PHOTO_HTTP_STACK": "httpx"}
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=emulator.base_url, environ=environ, retry_backoff=0.01
    ) as tool:
        with pytest.raises(TransportError):
            await tool.call({"image": make_image()})
    lengths = {len(record.getMessage()) for record in caplog.records}
    total = sum(len(record.getMessage()) for record in caplog.records)
    assert max(lengths) <= 10_000, f"a record of {max(lengths)} characters ({total} in all)"


async def test_the_mcp_servers_log_names_what_the_operator_must_mend_at_warning(
    emulator: RunningEmulator, caplog: pytest.LogCaptureFixture, tmp_path: object
) -> None:
    """At the server's default level (WARNING) a revoked token left no line, and at INFO a
    failure was its code alone: the operator, who set the token, never read what to do."""
    from ocp_users_photo.mcp_server import call_tool

    caplog.set_level(logging.INFO, logger="ocp_users_photo.mcp_server")
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=emulator.base_url, environ={}, keep_previous=False
    ) as tool:
        await call_tool(tool, "usersSetPhoto", {"image": "/nowhere/at/all.png"})
        emulator.state.revoke(CANARY_TOKEN)
        await call_tool(tool, "usersSetPhoto", {"image": make_image()})
    records = [r for r in caplog.records if r.name == "ocp_users_photo.mcp_server"]
    mistake, revoked = records[-2], records[-1]
    assert mistake.levelno == logging.INFO, mistake.getMessage()
    assert "invalid_arguments" in mistake.getMessage()
    assert revoked.levelno == logging.WARNING, revoked.getMessage()
    assert "token_revoked" in revoked.getMessage()
    assert "install" in revoked.getMessage().lower() or "token" in revoked.getMessage()
    assert CANARY_TOKEN not in revoked.getMessage()
