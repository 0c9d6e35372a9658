"""The canary token: every path runs with it, and it shows up nowhere but the Authorization header.

Captured: every log record at DEBUG and above from every logger (httpx and httpcore
included), every exception's text, repr, arguments, attributes and causes, every
returned value, and the tool's repr. A scripted server that echoes the credentials
back in its replies (emulator faults) stands in for a hostile or broken Slack.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from ocp_users_photo import UsersPhotoError, UsersSetPhoto
from ocp_users_photo.argument_view import safe_view
from ocp_users_photo.credentials import SlackToken, token_secret_forms
from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.observers import CallInfo, CallObserver
from ocp_users_photo.safe_text import REDACTED, redacted
from tests.conftest import CANARY_TOKEN, inject, make_image, photo_requests, success_reply
from tests.reliability_report import ReliabilityReport

CANARY_SECRET = CANARY_TOKEN.split("-", 1)[1]  # the part that identifies the token


def texts_of_error(error: BaseException) -> list[str]:
    """Everything an exception could show: its text, repr, args, attributes and causes.

    Causes and contexts are followed even when suppressed: an error reporter can still
    reach them. httpx errors are held to the same rule, request headers included.
    """
    found = [str(error), repr(error), *(repr(arg) for arg in error.args)]
    request = getattr(error, "_request", None)
    if request is not None:
        found.append(repr(dict(request.headers)))
    found.extend(repr(value) for value in vars(error).values())
    for value in vars(error).values():
        try:
            found.append(json.dumps(value, default=repr))
        except (TypeError, ValueError):
            found.append(repr(value))
    cause = error.__cause__ or error.__context__
    if cause is not None:
        found.extend(texts_of_error(cause))
    return found


def holds_part_of_the_token(text: str) -> bool:
    """Whether ``text`` holds any 12 characters in a row of the canary's secret part: a text
    cut short (an error quotes 60 characters of a header) must not keep its beginning."""
    return any(
        CANARY_SECRET[start : start + 12] in text for start in range(len(CANARY_SECRET) - 11)
    )


def assert_no_canary(texts: list[str]) -> None:
    for text in texts:
        assert not holds_part_of_the_token(text), text[:300]


Scenario = Callable[[UsersSetPhoto], Awaitable[Any]]


def echo(status: int, body: bytes, **headers: str) -> Fault:
    """An answer in which the server echoes what the client sent ({authorization})."""
    return Fault.status(status, body=body, headers=headers)


ECHOED_SUCCESS = json.dumps({**success_reply(), "echo": "{authorization}"}).encode()
SECRET_PART = CANARY_SECRET.encode()
LAST_PART = CANARY_TOKEN.rsplit("-", 1)[1].encode()
SCENARIOS: dict[str, tuple[list[Fault], dict[str, Any]]] = {
    "success with a crop box": ([], {"crop_x": 0, "crop_y": 0, "crop_w": 600}),
    "invalid arguments": ([], {"crop_x": CANARY_TOKEN, "surprise": CANARY_TOKEN}),
    "a bot token in the call": ([], {"token": "xoxb-" + CANARY_SECRET}),
    "a token with a line break": ([], {"token": CANARY_TOKEN + "\r\nX-Leak: 1"}),
    "a slack error echoing the token": (
        [echo(200, b'{"ok": false, "error": "invalid_auth", "echo": "{authorization}"}')],
        {},
    ),
    "a 400 echoing the token": (
        [echo(400, b'{"ok": false, "error": "invalid_form_data", "token": "{authorization}"}')],
        {},
    ),
    "an html page echoing the token": ([echo(200, b"<html>{authorization}</html>")], {}),
    "a 503 echoing the token": ([echo(503, b"{authorization}")] * 3, {}),
    "rate limited": (
        [echo(429, b'{"ok":false,"error":"ratelimited"}', **{"Retry-After": "99"})],
        {},
    ),
    "a success echoing the token": ([echo(200, ECHOED_SUCCESS)], {}),
    # A server may echo the token without its prefix, or only its random last part.
    "a slack error echoing the token without its prefix": (
        [echo(200, b'{"ok": false, "error": "invalid_auth", "needed": "' + SECRET_PART + b'"}')],
        {},
    ),
    "a 503 reason phrase echoing the token's last part": (
        [Fault.raw(b"HTTP/1.1 503 " + LAST_PART + b"\r\nContent-Length: 0\r\n\r\n")] * 3,
        {},
    ),
    "a missing scope echoing the token's last part": (
        [
            echo(
                200,
                b'{"ok": false, "error": "missing_scope", "needed": "users.profile:write", '
                b'"provided": "' + LAST_PART + b'", "warning": "' + LAST_PART + b'"}',
            )
        ],
        {},
    ),
    "a dropped connection": ([Fault.drop()] * 3, {}),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
@pytest.mark.parametrize("reply_check", ["strict", "off"])
async def test_the_token_leaks_nowhere(
    scenario: str,
    reply_check: str,
    emulator: RunningEmulator,
    caplog: pytest.LogCaptureFixture,
    reliability: ReliabilityReport,
) -> None:
    answers, extra_arguments = SCENARIOS[scenario]
    inject(emulator, *answers)
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    async with UsersSetPhoto(
        CANARY_TOKEN,
        base_url=emulator.base_url,
        retry_backoff=0.01,
        reply_check=reply_check,  # type: ignore[arg-type]
        environ={},
    ) as tool:
        seen.append(repr(tool))
        arguments = {"image": make_image((640, 640)), **extra_arguments}
        try:
            seen.append(json.dumps(await tool.call(arguments)))
        except UsersPhotoError as error:
            seen.extend(texts_of_error(error))
        seen.append(json.dumps(await tool.run(arguments)))
        _, summary = await _summary_or_error(tool, arguments)
        seen.append(summary)
    seen.extend(record.getMessage() for record in caplog.records)
    seen.extend(repr(record.args) for record in caplog.records)
    reliability.count("secrets", "texts inspected for the canary", len(seen))
    reliability.count("secrets", "leaks found", sum(map(holds_part_of_the_token, seen)))
    assert_no_canary(seen)
    assert caplog.records, "DEBUG logging was captured"
    # Whatever was sent carried the token in the Authorization header only.
    for request in photo_requests(emulator):
        assert request.body is not None, "the emulator records bodies here"
        assert CANARY_SECRET.encode() not in request.body
        assert all(
            CANARY_SECRET not in value for key, value in request.headers if key != "authorization"
        )


async def _summary_or_error(tool: UsersSetPhoto, arguments: dict[str, Any]) -> tuple[Any, str]:
    try:
        reply, summary = await tool.call_with_summary(arguments, digest=True)
        return reply, json.dumps([reply, summary])
    except UsersPhotoError as error:
        return None, " ".join(texts_of_error(error))


async def test_the_token_from_the_environment_leaks_nowhere(
    emulator: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    inject(emulator, echo(200, b'{"ok": false, "error": "token_revoked", "x": "{authorization}"}'))
    tool = UsersSetPhoto(base_url=emulator.base_url, environ={"SLACK_USER_TOKEN": CANARY_TOKEN})
    result = await tool.run({"image": make_image()})
    await tool.aclose()
    assert result["error"] == "token_revoked"
    assert photo_requests(emulator)[0].header("authorization") == f"Bearer {CANARY_TOKEN}"
    assert_no_canary([repr(tool), json.dumps(result), *(r.getMessage() for r in caplog.records)])


async def test_a_transport_failure_leaks_nothing(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url="http://127.0.0.1:9/api", retry_backoff=0.01, environ={}
    ) as tool:
        result = await tool.run({"image": make_image()})
    assert result["error"] == "transport_error"
    assert_no_canary([json.dumps(result), *(r.getMessage() for r in caplog.records)])


def test_a_token_object_never_shows_its_value() -> None:
    import pickle

    token = SlackToken(CANARY_TOKEN)
    assert_no_canary([repr(token), str(token), f"{token}", repr([token]), repr({"t": token})])
    with pytest.raises(TypeError):
        pickle.dumps(token)


def test_the_emulators_records_never_show_a_token_a_code_or_a_secret() -> None:
    # The emulator's are test values, but its config and records get printed and logged
    # (a failing test shows them): the canary in each secret field must not come through.
    from ocp_users_photo.emulator.config import EmulatorConfig, TokenGrant
    from ocp_users_photo.emulator.installations import AuthorizationCode, IssuedToken
    from ocp_users_photo.emulator.oauth_apps import OAuthApp

    secret = CANARY_TOKEN.split("-", 1)[1]
    app = OAuthApp(client_secret=secret)
    config = EmulatorConfig(
        tokens=(TokenGrant(token=CANARY_TOKEN, user_id="U0CANARY01"),),
        revoked_tokens=frozenset({CANARY_TOKEN}),
        oauth_apps=(app,),
    )
    code = AuthorizationCode(
        code=secret,
        client_id=app.client_id,
        user_id="U0CANARY01",
        user_scopes=("users.profile:write",),
        bot_scopes=(),
        redirect_uri="http://127.0.0.1:9/back",
        redirect_uri_given=True,
        expires_at=0.0,
    )
    issued = IssuedToken(
        subject="user",
        access_token=CANARY_TOKEN,
        user_id="U0CANARY01",
        scopes=("users.profile:write",),
        refresh_token=f"xoxe-1-{secret}",
    )
    shown = [repr(config), str(config), repr(app), repr(code), repr(issued)]
    assert_no_canary(shown)
    assert "U0CANARY01" in repr(config), "the rest of each record is still shown"


def test_the_redactor_walks_a_reply_only_when_it_could_hold_the_token() -> None:
    from ocp_users_photo.credentials import redactor

    escaped = b'{"x": "\\u0078oxp-1111111111-2222222222"}'
    plain = b'{"x": "https:\\/\\/avatars.example\\/a.png"}'
    token = "xoxp-1111111111-2222222222"
    assert redactor(token, escaped)({"x": token}) == {"x": "[redacted]"}
    assert redactor(token, f'{{"x": "{token}"}}'.encode())({"x": token}) == {"x": "[redacted]"}
    reply = {"x": "https://avatars.example/a.png"}
    assert redactor(token, plain)(reply) is reply
    # A secret with a "/" may arrive as "\/": a reply with a backslash is walked for it.
    slashed = "pass/word"
    assert redactor(slashed, b'{"x": "pass\\/word"}')({"x": slashed}) == {"x": "[redacted]"}
    assert redactor(slashed, b'{"x": "pass word"}')(reply) is reply


def test_the_forms_of_a_token_removed_wherever_it_might_be_echoed() -> None:
    last = CANARY_TOKEN.rsplit("-", 1)[1]
    runs = tuple(last[start : start + 12] for start in range(len(last) - 11))
    assert token_secret_forms(CANARY_TOKEN) == (
        CANARY_TOKEN,
        *in_base64(CANARY_TOKEN),
        CANARY_TOKEN.encode().hex(),
        CANARY_SECRET,
        last,
        CANARY_SECRET.encode().hex(),
        last.encode().hex(),
        *runs,
        *in_base64(last),
        *run_encodings(runs),
    )
    rotated = "xoxe.xoxp-1-Mi0yLTEyMzQ1Njc4OTAtMTIzNA"
    segment = "Mi0yLTEyMzQ1Njc4OTAtMTIzNA"
    assert token_secret_forms(rotated) == (
        rotated,
        *in_base64(rotated),
        rotated.encode().hex(),
        "1-" + segment,
        segment,
        ("1-" + segment).encode().hex(),
        segment.encode().hex(),
        *(segment[start : start + 12] for start in range(len(segment) - 11)),
        *in_base64(segment),
        *run_encodings(tuple(segment[start : start + 12] for start in range(len(segment) - 11))),
    )
    # Short parts are ordinary text: a test's token does not scrub digits from replies.
    assert token_secret_forms("xoxp-1-2-3") == ("xoxp-1-2-3",)
    assert token_secret_forms("") == ()


def run_encodings(runs: tuple[str, ...]) -> tuple[str, ...]:
    """Each run of the secret in base64 (both alphabets) and hex, in that order, once each:
    a dump of the header cut short holds them."""
    forms: list[str] = []
    for run in runs:
        raw = run.encode()
        forms += [base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode(), raw.hex()]
    return tuple(dict.fromkeys(forms))


def in_base64(text: str) -> tuple[str, ...]:
    """``text``'s bytes from the first, second and third on, in whole threes, base64-encoded
    (a token's characters make no "+" or "/": the URL-safe alphabet writes the same)."""
    forms = []
    for start in range(3):
        whole = text[start:][: (len(text) - start) // 3 * 3]
        forms.append(base64.b64encode(whole.encode()).decode())
        assert base64.urlsafe_b64encode(whole.encode()).decode() == forms[-1]
    return tuple(forms)


@pytest.mark.parametrize("length", [12, 13, 23, 24, 30])
@pytest.mark.parametrize("offset", [0, 5])
def test_a_piece_of_the_tokens_secret_cut_short_is_removed_whole(length: int, offset: int) -> None:
    # A server echoes part of the last segment, no prefix: the runs of 12 that cover it
    # overlap, and the whole stretch they cover goes, so nothing of it is left between.
    last = CANARY_TOKEN.rsplit("-", 1)[1]
    piece = last[offset : offset + length]
    text = redacted(f"before {piece} after", token_secret_forms(CANARY_TOKEN))
    assert text == f"before {REDACTED} after"


def test_overlapping_secrets_are_one_redaction() -> None:
    assert redacted("xabcdey", ("abc", "cde")) == f"x{REDACTED}y"
    assert redacted("aaaa", ("aa",)) == REDACTED
    assert redacted("no secret here", ("abc",)) == "no secret here"


@pytest.mark.parametrize(
    "shape",
    [CANARY_TOKEN.rsplit("-", 1)[1], "xoxp\u2011" + CANARY_TOKEN[5:]],
    ids=["secret-alone", "look-alike-hyphen"],
)
async def test_the_tools_own_token_quoted_back_in_a_refusal_is_redacted(
    tmp_path: Any, shape: str
) -> None:
    """A refusal quotes the caller's words (here a path): the host's own token in a shape
    not known as a token's was shown whole, at every door (the error, a model's result)."""
    secret = CANARY_TOKEN.rsplit("-", 1)[1]
    told: list[dict[str, Any]] = []
    async with UsersSetPhoto(
        CANARY_TOKEN, image_roots=[tmp_path], environ={}, observers=[_ArgumentsTold(told)]
    ) as tool:
        with pytest.raises(UsersPhotoError) as refused:
            await tool.call({"image": f"{shape}.png"})
        result = await tool.run({"image": f"/elsewhere/{shape}.png"})
        # As an argument's name: the problem's path ($.<name>) quoted it.
        named = await tool.run({"image": "me.png", shape: 1})
    assert "unknown argument" in json.dumps(named)
    # What observers (an agent's history, which travels with its later requests) are told.
    assert len(told) == 3
    texts = [
        *texts_of_error(refused.value),
        json.dumps(named),
        json.dumps(told),
        json.dumps(result),
    ]
    assert "no file at" in texts[0]
    assert "outside the folders" in texts[-1]
    leaked = [text for text in texts if secret[:12] in text or secret[-12:] in text]
    assert leaked == [], leaked[0][:300]
    assert refused.value.__context__ is None  # the unredacted refusal is not kept behind it


class _ArgumentsTold(CallObserver):
    """Keeps the view of each call's arguments that observers are told."""

    def __init__(self, told: list[dict[str, Any]]) -> None:
        self.told = told

    async def call_started(self, call: CallInfo) -> None:
        self.told.append(dict(call.arguments))


@pytest.mark.parametrize(
    "name",
    [
        CANARY_TOKEN.rsplit("-", 1)[1],
        CANARY_TOKEN.rsplit("-", 1)[1].upper(),
        "key " + CANARY_TOKEN.rsplit("-", 1)[1],
    ],
    ids=["secret-alone", "upper-case", "inside-words"],
)
async def test_the_undo_tool_quotes_no_argument_name_holding_the_token(
    tmp_path: Any, name: str
) -> None:
    """usersRestorePhoto quoted an unknown argument's name up to 40 characters: a name of
    the token's secret alone came back to the model (and a framework's trace) whole."""
    secret = CANARY_TOKEN.rsplit("-", 1)[1]
    async with UsersSetPhoto(
        CANARY_TOKEN, environ={}, photo_history=tmp_path / "history.sqlite3"
    ) as tool:
        result = await tool.restore_tool().run({name: 1})
    assert result["error"] == "invalid_arguments"
    assert "unknown argument" in result["message"]
    said = json.dumps(result).lower()
    assert secret[:12] not in said
    assert secret[-12:] not in said


async def test_a_refusal_raised_while_the_caller_handles_an_error_does_not_carry_it() -> None:
    """An error the caller is handling (here one quoting the token, as an HTTP library's
    may) became a refusal's context, and a formatted traceback showed it."""
    async with UsersSetPhoto(CANARY_TOKEN, environ={}) as tool:
        try:
            raise ConnectionError(f"upstream said: Bearer {CANARY_TOKEN}")
        except ConnectionError:
            with pytest.raises(UsersPhotoError) as refused:
                await tool.call({"image": "/nonexistent/photo.png"})
    assert refused.value.__context__ is None
    assert all(CANARY_TOKEN not in text for text in texts_of_error(refused.value))


def test_a_kept_number_that_is_a_run_of_the_tokens_secret_keeps_its_type_only() -> None:
    """A secret may hold 12 digits in a row: the crop box's and the entry's values are
    kept in the history as numbers, and such a one would keep that piece of it."""
    token = SlackToken("xoxp-1111111111-2222222222-3333333333-abc012345678901defabcdef0123")
    view = safe_view(
        {"image": "me.png", "entry": "012345678901", "crop_x": 12, "crop_y": 345678901234},
        token.secret_texts(),
    )
    # 345678901234 holds no 12-character run of the secret: kept.
    assert view == {
        "image": "<path me.png>",
        "entry": "<str>",
        "crop_x": 12,
        "crop_y": 345678901234,
    }


@pytest.mark.parametrize(
    "name", ["abc01234567%38.png", "abc01234567&#56;.png", "abc01234567\\x38.png"]
)
def test_a_path_spelling_a_run_of_the_secret_with_escapes_keeps_none_of_it(name: str) -> None:
    """The view's one search for the token's forms is plain: a name whose escapes spell a
    run of the secret (%38 is "8") is looked at field by field, as redaction reads it."""
    token = SlackToken("xoxp-1111111111-2222222222-3333333333-abc012345678901defabcdef0123")
    view = safe_view({"image": f"/tmp/{name}"}, token.secret_texts())
    assert view["image"] == "[redacted]"


@pytest.mark.parametrize("with_secrets", [False, True], ids=["no token", "a token"])
def test_a_path_object_and_a_data_uri_are_named_by_their_kind_in_the_view(
    with_secrets: bool,
) -> None:
    """The history names a path object by its file's name, not its class, and a data: URI
    by its length, not by its content read as a file name."""
    from pathlib import Path

    secrets = SlackToken(CANARY_TOKEN).secret_texts() if with_secrets else None
    data_uri = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA/Ab+cd"
    assert safe_view({"image": Path("/tmp/me.png")}, secrets) == {"image": "<path me.png>"}
    assert safe_view({"image": data_uri}, secrets) == {
        "image": f"<data: URI, {len(data_uri)} characters>"
    }
