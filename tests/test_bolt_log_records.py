"""The example Bolt app at DEBUG logs no person's token.

Its OAuth exchange goes through slack_sdk's client, which Bolt's flow builds; slack_sdk
logs every reply body at DEBUG, oauth.v2.access's tokens included.
"""

from __future__ import annotations

import logging

import httpx
import pytest
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.examples.sdk_log_masking import SecretsMasked
from tests.installation_helpers import CLIENT_ID, CLIENT_SECRET, TEAM_ID
from tests.test_bolt_photo_app import (  # noqa: F401 - the fixtures, used by name
    RunningApp,
    emulator_config,
    install_through_the_app,
    photo_app,
)


async def test_the_bolt_example_logs_no_token_when_someone_installs_it(
    emulator: RunningEmulator,
    photo_app: RunningApp,  # noqa: F811 - the fixture imported above
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    await install_through_the_app(photo_app, "UALICE0001")
    store = SQLite3InstallationStore(database=photo_app.database, client_id=CLIENT_ID)
    alice = store.find_installation(enterprise_id=None, team_id=TEAM_ID, user_id="UALICE0001")
    assert alice is not None
    assert alice.user_token is not None
    assert alice.user_refresh_token is not None
    assert alice.bot_token is not None
    secrets = [alice.user_token, alice.user_refresh_token, alice.bot_token]
    assert all(secrets)
    secrets.append(CLIENT_SECRET)
    assert any(
        record.name == "slack_sdk.web.async_base_client"
        and "oauth.v2.access" in record.getMessage()
        for record in caplog.records
    ), "slack_sdk logged the OAuth exchange at DEBUG (what is checked below)"
    leaking = loggers_holding(caplog.records, secrets)
    assert leaking == [], f"tokens in the DEBUG records of {leaking}"


def loggers_holding(records: list[logging.LogRecord], secrets: list[str]) -> list[str]:
    """The names of the loggers whose records' messages hold any of ``secrets``."""
    return sorted(
        {
            record.name
            for record in records
            for secret in secrets
            if secret and secret in record.getMessage()
        }
    )


def test_an_oauth_forms_client_secret_and_code_are_masked_in_slack_sdks_records() -> None:
    record = logging.LogRecord(
        "slack_sdk.web.async_base_client",
        logging.DEBUG,
        __file__,
        1,
        "Sending a request - data: %s, json: %s",
        (
            {"client_secret": "s3cr3t-value", "code": "one.time.code", "keep": "me"},
            '{"code": "json-code", "refresh_token": "xoxe-1-abcdef"}',
        ),
        None,
    )
    assert SecretsMasked().filter(record)
    text = record.getMessage()
    for secret in ("s3cr3t-value", "one.time.code", "json-code", "xoxe-1-abcdef"):
        assert secret not in text, text
    assert "'keep': 'me'" in text


async def test_an_oauth_callback_bolt_refuses_logs_no_unspent_code(
    photo_app: RunningApp,  # noqa: F811 - the fixture imported above
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An OAuth callback Bolt refuses (no state cookie: another browser, or a forged link)
    was logged at DEBUG by Bolt's own logger with the request's query, the code unspent
    and whole (a review of 2026-12-05): slack_sdk's loggers were masked, Bolt's not."""
    caplog.set_level(logging.DEBUG)
    # Bolt sets its logger's level from the root's when the app is made: DEBUG as in a
    # host that started the app with DEBUG logging.
    caplog.set_level(logging.DEBUG, logger=photo_app.app.bolt.logger.name)
    code = "1234567890.1234567890123.deadbeefcafe0123456789abcdef"
    async with httpx.AsyncClient(timeout=10) as browser:  # the person's browser
        landed = await browser.get(
            f"{photo_app.url}/slack/oauth_redirect", params={"code": code, "state": "anything"}
        )
    assert landed.status_code >= 400
    apps = [record for record in caplog.records if not record.name.startswith(("httpx", "httpc"))]
    told = [record.getMessage() for record in apps]
    assert any("OAuth callback failure" in message for message in told), told
    assert any("GET /slack/oauth_redirect" in message for message in told), told  # access log
    assert loggers_holding(apps, [code]) == []


def test_an_oauth_code_is_masked_in_a_records_extras_and_in_bolts_own_wording() -> None:
    """aiohttp's access log passes the request line as an extra (a JSON formatter writes
    it out), and Bolt logs a failed exchange as "... with code: CODE": both held the
    code whole (a review of 2026-12-05)."""
    code = "1234567890.1234567890123.deadbeefcafe0123456789abcdef"
    access = logging.makeLogRecord(
        {
            "name": "aiohttp.access",
            "msg": "request logged",
            "first_request_line": f"GET /slack/oauth_redirect?code={code}&state=x HTTP/1.1",
        }
    )
    failed = logging.LogRecord(
        "slack_bolt.AsyncApp",
        logging.WARNING,
        __file__,
        1,
        "Failed to fetch oauth.v2.access result with code: %s - error: %s",
        (code, "rate_limited"),
        None,
    )
    for record in (access, failed):
        assert SecretsMasked().filter(record)
        texts = [value for value in vars(record).values() if isinstance(value, str)]
        assert not [text for text in [*texts, record.getMessage()] if code in text]
    assert "state=x HTTP/1.1" in vars(access)["first_request_line"]
    assert "error: rate_limited" in failed.getMessage()


async def test_the_apps_client_secret_echoed_in_a_refused_exchange_is_not_logged(
    emulator: RunningEmulator,
    photo_app: RunningApp,  # noqa: F811 - the fixture imported above
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Bolt logs a refused oauth.v2.access with Slack's whole reply (a WARNING: seen without
    DEBUG); the mask knew tokens' and codes' shapes and fields by name, not the secret's
    value, which a reply's error text may echo."""
    caplog.set_level(logging.DEBUG)
    echo = {"ok": False, "error": f"invalid_client_secret (got {CLIENT_SECRET})"}
    emulator.faults.inject(Fault.json(echo), path="oauth.v2.access")
    async with httpx.AsyncClient(timeout=10) as browser:
        start = await browser.get(f"{photo_app.url}/slack/install")
        cookie = start.headers["set-cookie"].split(";")[0]
        approve = await browser.get(start.headers["location"] + "&emulator_user=UALICE0001")
        landed = await browser.get(approve.headers["location"], headers={"cookie": cookie})
    assert landed.status_code != 200  # the exchange was refused
    assert CLIENT_SECRET not in landed.text
    assert any("invalid_client_secret" in record.getMessage() for record in caplog.records)
    assert loggers_holding(caplog.records, [CLIENT_SECRET]) == []
