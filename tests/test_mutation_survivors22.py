"""Mutation testing of session 21's product changes (git diff c289de5..4410b2b): each test
here kills a mutant the existing tests let live (seen failing with it, passing without).
"""

from __future__ import annotations

import asyncio
import base64
import errno
import io
import json
import pickle
from pathlib import Path

import httpx
import pytest
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore

from ocp_users_photo import SlackApiError, TransportError
from ocp_users_photo.credentials import SecretTexts, SlackToken
from ocp_users_photo.emulator import EmulatorConfig, Fault, RunningEmulator
from ocp_users_photo.installations import TokenRefreshFailed
from ocp_users_photo.output import OutputFailed, answers_to
from ocp_users_photo.slack import SlackClient
from ocp_users_photo.slack.replies import HttpReply, decode_reply
from ocp_users_photo.slack.retry import RetryPolicy
from tests import loopback
from tests.conftest import inject
from tests.installation_helpers import (
    LIFETIME,
    Clock,
    emulator_source,
    install,
    oauth_reply,
    rotation_config_fixture,  # noqa: F401 (fixture: emulator_config)
    sqlite_store,
)
from tests.test_review_tokens21 import ALICE, OLD_REFRESH, refresh_answer
from tests.undo_fixtures import history_tool, picture

# slack/client.py: the issued fields of oauth.v2.access's answer --------------------------


@pytest.fixture
def store(tmp_path: Path) -> SQLite3InstallationStore:
    return sqlite_store(tmp_path / "installations.db")


@pytest.mark.parametrize(
    ("changes", "detail"),
    [
        ({"access_token": None}, "no user access token in it"),
        ({"refresh_token": 12345}, "no new refresh token in it"),
    ],
    ids=["access-token-null", "refresh-token-a-number"],
)
async def test_a_refresh_answer_whose_new_token_is_no_text_is_refused_not_raised(
    emulator: RunningEmulator,
    store: SQLite3InstallationStore,
    changes: dict[str, object],
    detail: str,
) -> None:
    """Only the issued fields holding text are noted as they came (mutant: every field
    named, a null or a number too, which the redaction check then raised AttributeError on,
    out of the refresh, instead of its refusal)."""
    installation = await install(emulator, store, ALICE.user_id)
    installation.user_refresh_token = OLD_REFRESH
    store.save(installation)
    source = emulator_source(emulator, store, clock=Clock(offset=LIFETIME + 60))
    async with source:
        inject(emulator, Fault.json(refresh_answer(**changes)), method="oauth.v2.access")
        with pytest.raises(TokenRefreshFailed) as refused:
            await source.token_for(ALICE)
    assert detail in str(refused.value), str(refused.value)


# The client's contract for ``issued`` beyond oauth.v2.access's use of it (no token there).
_SENT = "xoxp-1111111111-2222222222-3333333333-" + "0123456789abcdef" * 2
# A new token sharing the sent one's secret part, as Slack's rotating tokens share runs.
_SHARING = "xoxp-1111111111-2222222222-4444444444-" + "0123456789abcdef" * 2


def _json_answer(body: dict[str, object]) -> loopback.Answer:
    return loopback.reply(200, json.dumps(body).encode(), [("Content-Type", "application/json")])


def _client(base_url: str) -> SlackClient:
    return SlackClient(
        base_url=base_url,
        user_agent="mutation-survivors22",
        http_stack="httpx",
        retry=RetryPolicy(max_retries=0),
    )


async def test_an_issued_field_echoing_the_whole_token_sent_stays_redacted() -> None:
    """A field named issued that holds a whole credential the request sent is no credential
    Slack issued: it stays redacted, the bearer token as much as a refresh token (mutant:
    the token left out of what was sent, and its echo handed back whole)."""
    async with loopback.serve() as slack:
        slack.on("/api/auth.test", _json_answer({"ok": True, "access_token": _SENT}))
        client = _client(slack.base_url())
        try:
            reply = await client.call(
                "auth.test", token=SlackToken(_SENT), issued=("access_token",)
            )
        finally:
            await client.aclose()
    assert reply.body["access_token"] == "[redacted]"
    assert reply.withheld == frozenset({"access_token"}), "the caller is told, not left to guess"


async def test_the_issued_fields_are_read_as_sent_after_a_renewed_token_too() -> None:
    """The call made again with a renewed token reads the issued fields as the first one
    does (mutant: ``issued`` dropped from the second call, its new token redacted where it
    shares a run with the renewed one)."""
    answers = iter(
        [
            _json_answer({"ok": False, "error": "token_expired"}),
            _json_answer({"ok": True, "access_token": _SHARING}),
        ]
    )

    async def in_turn(writer: asyncio.StreamWriter) -> None:
        await next(answers)(writer)

    async def renew(expired: SlackToken) -> SlackToken:
        return SlackToken(_SENT)

    async with loopback.serve() as slack:
        slack.on("/api/auth.test", in_turn)
        client = _client(slack.base_url())
        try:
            reply = await client.call(
                "auth.test",
                token=SlackToken("xoxp-9-9-9-" + "f" * 32),
                renew=renew,
                issued=("access_token",),
            )
        finally:
            await client.aclose()
    assert reply.body["access_token"] == _SHARING
    assert reply.withheld == frozenset()


def test_the_issued_fields_held_cannot_be_pickled() -> None:
    """What holds the issued fields as they came refuses to be pickled, as SecretTexts
    does: a pickled traceback (its frame locals) would write the credentials out (mutant:
    its __reduce__ dropped, the fields pickled in the clear)."""
    from ocp_users_photo.slack.client import _Issued

    held = _Issued()
    held.fields = {"refresh_token": _SENT}
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(held)
    with pytest.raises(TypeError):
        pickle.dumps(SecretTexts([_SENT]))  # the same rule as the texts it sits beside


# slack/replies.py: what a redirect's body is said to be ------------------------------------


def _redirect(body: bytes) -> TransportError:
    reply = HttpReply(
        status_code=302,
        headers=httpx.Headers({"content-type": "text/html"}),
        body=body,
        attempts=1,
    )
    with pytest.raises(TransportError) as failed:
        decode_reply(reply, method="users.setPhoto", redact=lambda value: value)
    assert not isinstance(failed.value, SlackApiError)
    return failed.value


@pytest.mark.parametrize("body", [b"", b" \r\n\t "], ids=["empty", "whitespace"])
def test_a_redirect_with_no_body_but_whitespace_says_its_body_is_empty(body: bytes) -> None:
    # mutant: a body of whitespace said to be "a body (text/html) that is not read"
    said = str(_redirect(body))
    assert "HTTP 302 and an empty body" in said, said


def test_a_redirect_with_a_body_names_its_type_not_its_words() -> None:
    # mutant: every redirect's body said to be empty
    said = str(_redirect(b"<html>Moved: log in at the portal</html>"))
    assert "HTTP 302 and a body (text/html) that is not read as Slack's" in said, said
    assert "portal" not in said


# output.py: stdout's failures -----------------------------------------------------------


def test_a_failed_writes_reason_is_shown_printable_and_bounded() -> None:
    """The OS's text is shown as text is everywhere else (mutant: a bare slice, 81 or 80
    characters with a terminal escape in them)."""
    reason = "\x1b[2J\x1b]0;owned\x07" + "x" * 300
    said = OutputFailed(reason).what_happened
    assert said.startswith("could not be written (")
    assert "\x1b" not in said
    assert "\x07" not in said
    assert len(said) <= len("could not be written ()") + 80


class _FailingFlush(io.StringIO):
    """A stream whose writes are taken and whose flush fails as ``error`` says."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def flush(self) -> None:
        raise self.error


def test_a_write_fails_when_its_flush_does() -> None:
    """Each write is flushed at once, so a full disk fails the write that met it (mutant:
    not flushed, the answer taken as written)."""
    answers = answers_to(_FailingFlush(OSError(errno.ENOSPC, "No space left on device")))
    with pytest.raises(OutputFailed) as failed:
        answers.write("the answer\n")
    assert failed.value.reason == "No space left on device"
    assert not failed.value.closed


@pytest.mark.parametrize(
    ("error", "closed"),
    [(OSError(errno.ENOSPC, "No space left on device"), False), (BrokenPipeError(), True)],
    ids=["full", "reader-gone"],
)
def test_a_flush_that_fails_is_output_failed(error: OSError, closed: bool) -> None:
    # mutant: flush unmapped, the bare OSError out of it
    answers = answers_to(_FailingFlush(error))
    with pytest.raises(OutputFailed) as failed:
        answers.flush()
    assert failed.value.closed is closed


# undo/keeper.py and undo_command.py: the default avatar put back ------------------------


@pytest.fixture
def slack_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(rate_limit_per_minute=None)


async def test_putting_the_default_back_reads_no_profile_after_it(
    slack_emulator: RunningEmulator, tmp_path: Path
) -> None:
    """users.deletePhoto answers {"ok": true} alone, and the photo it makes is the default
    avatar, told by what was kept: no users.profile.get after it (mutant: read as after a
    setPhoto's bare ok, one more call at each restore of the default, and the default's
    hash recorded as a photo made here)."""
    async with history_tool(
        slack_emulator, tmp_path / "history.sqlite3", keep_previous=True
    ) as tool:
        await tool.call({"image": picture((200, 30, 30))})
        before = len(slack_emulator.requests.all())
        await tool.restore(1)
        newest = (await tool.history())[0]
    after = [request.path for request in slack_emulator.requests.all()[before:]]
    assert "/api/users.deletePhoto" in after
    assert after[-1] == "/api/users.deletePhoto", after
    assert newest.status == "changed"


# emulator: users.setPhoto's reply shape, and rotating tokens shaped like Slack's ---------


def test_the_state_refuses_a_reply_shape_it_does_not_know(slack_emulator: RunningEmulator) -> None:
    # mutant: the state took any text, checked only by the control API in front of it
    with pytest.raises(ValueError, match="'profile', 'bare'"):
        slack_emulator.state.use_set_photo_reply("empty")  # type: ignore[arg-type]
    assert slack_emulator.state.set_photo_reply == "profile"


def test_the_control_api_names_the_field_it_refuses(slack_emulator: RunningEmulator) -> None:
    # mutant: the state's own ValueError answered, without the field's name as every other
    # refusal of the control API gives it
    url = slack_emulator.control_url.rstrip("/") + "/set_photo_reply"
    refused = httpx.put(url, json={"reply": "empty"}, timeout=10)
    assert refused.status_code == 400
    assert refused.json()["detail"].startswith("'reply': "), refused.json()


def _inner(token: str, prefix: str) -> list[str]:
    """A rotating token's body read back: its base64 unpadded, then split at its dashes."""
    assert token.startswith(prefix), token
    body = token.removeprefix(prefix)
    assert "=" not in body  # Slack's carry no base64 padding
    return base64.b64decode(body + "=" * (-len(body) % 4)).decode("ascii").split("-")


async def test_the_emulators_rotating_tokens_share_the_persons_numbers(
    emulator: RunningEmulator,
) -> None:
    """Slack's rotating tokens are base64 of "<kind>-<version>-<workspace>-<person>-...": a
    person's tokens share long runs, which hid no redaction defect once the emulator issued
    them so (mutants: a random access or refresh token, a random person's number, the
    base64 padding kept)."""
    grants = [(await oauth_reply(emulator, user))["authed_user"] for user in ("UALICE0001",) * 2]
    other = (await oauth_reply(emulator, "UBOB000001"))["authed_user"]
    read = [
        (_inner(grant["access_token"], "xoxe.xoxp-1-"), _inner(grant["refresh_token"], "xoxe-1-"))
        for grant in (*grants, other)
    ]
    for access, refresh in read:
        assert access[:2] == ["2", "2"]
        assert refresh[:2] == ["3", "1"]
        assert len(access) == len(refresh) == 6
        assert access[2] == refresh[2]  # the workspace's number
        assert access[3] == refresh[3]  # the person's
    (alice_access, alice_refresh), (again_access, again_refresh), (bob_access, _) = read
    assert alice_access[3] == again_access[3] != bob_access[3]
    assert alice_access[5] != again_access[5]  # each grant's secret its own
    assert alice_refresh[5] != again_refresh[5]
