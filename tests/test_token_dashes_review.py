"""A token the tool does not know (a person's, pasted by a model or out of a chat) with its
dashes rewritten (an en or em dash, a non-breaking hyphen, a minus sign) or a space or line
break put after one: masked by shape, as the plain token is, at every door."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ocp_users_photo import InvalidArguments, UsersPhotoError, UsersSetPhoto, register
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.observers import CallInfo, CallObserver
from ocp_users_photo.safe_text import REDACTED, shown, without_tokens
from tests.conftest import CANARY_TOKEN
from tests.programs import run_module
from tests.test_mcp_server import mcp_session
from tests.test_ocp_agent import OPENAPI, home, session_history  # noqa: F401
from tests.test_secrets import texts_of_error

# Another person's token: no form of it is known to the tool (its own is CANARY_TOKEN).
PERSON = "xoxp-7777777777-8888888888-9999999999-5f3e9a1c7b2d4e6f8a0b1c2d3e4f5a6b"
SECRET = PERSON.rsplit("-", 1)[1]
MANGLED = {
    "en-dash": PERSON.replace("-", "\u2013"),
    "em-dash": PERSON.replace("-", "\u2014"),
    "non-breaking-hyphen": PERSON.replace("-", "\u2011"),
    "minus-sign": PERSON.replace("-", "\u2212"),
    "space-after-each-dash": PERSON.replace("-", "- "),
    "line-break-after-the-last-dash": PERSON.replace(f"-{SECRET}", f"-\n{SECRET}"),
    "line-break-after-the-prefix": PERSON.replace("xoxp-", "xoxp-\r\n"),
}


def holds_the_secret(text: str) -> bool:
    return SECRET[:12] in text or SECRET[-12:] in text


class _ArgumentsTold(CallObserver):
    """Keeps the view of each call's arguments that observers (a history) are told."""

    def __init__(self, told: list[dict[str, Any]]) -> None:
        self.told = told

    async def call_started(self, call: CallInfo) -> None:
        self.told.append(dict(call.arguments))


@pytest.mark.parametrize("form", list(MANGLED.values()), ids=list(MANGLED))
def test_a_token_with_its_dashes_rewritten_is_masked_by_shape(form: str) -> None:
    assert shown(form) == REDACTED
    assert shown(f"no file at '{form}.png'") == f"no file at '{REDACTED}'"
    assert not holds_the_secret(without_tokens(f"no file at '{form}.png'"))


@pytest.mark.parametrize(
    "text",
    [
        "a - b",
        "photo\u20132024.png",
        "xoxo\u2013party.png",
        "maxoxa\u20131",
        "xoxp-...",
        # The package's own advice: a space after the kind's dash, then words, is no token.
        "copy the whole user token (xoxp- and digits) from the page",
        "a user token (xoxp- or xoxb- and digits)",
    ],
)
def test_dashes_and_spaces_that_make_no_token_stay(text: str) -> None:
    assert shown(text) == text
    assert without_tokens(text) == text


@pytest.mark.parametrize("form", list(MANGLED.values()), ids=list(MANGLED))
async def test_a_persons_mangled_token_as_the_image_reaches_no_result_error_or_history(
    tmp_path: Path, form: str
) -> None:
    """A model pastes a person's token, its dashes rewritten by a chat, as the image: the
    refusal ("no file at ...") quoted it whole, to the model, in the exception and in what
    observers were told."""
    told: list[dict[str, Any]] = []
    async with UsersSetPhoto(
        CANARY_TOKEN, image_roots=[tmp_path], environ={}, observers=[_ArgumentsTold(told)]
    ) as tool:
        result = await tool.run({"image": f"{form}.png"})
        with pytest.raises(UsersPhotoError) as refused:
            await tool.call({"image": f"{form}.png"})
    texts = [json.dumps(result), *texts_of_error(refused.value), json.dumps(told)]
    assert "no file at" in texts[0]
    leaked = [text for text in texts if holds_the_secret(text)]
    assert leaked == [], leaked[0][:300]


@pytest.mark.blocking_by_design
async def test_a_persons_mangled_token_reaches_no_ocp_agent_history(
    ocp_agent_library: Any,
    slack_emulator: RunningEmulator,
    home: Path,  # noqa: F811
) -> None:
    """Through ocp-agent: the history entry's view of the image and the refusal, which travel
    in the OCP-Session header of every later request."""
    agent = ocp_agent_library.OCPAgent(enable_cache=False)
    agent.register_api(
        "slack",
        spec_url=str(OPENAPI),
        base_url=slack_emulator.base_url,
        headers={"Authorization": f"Bearer {CANARY_TOKEN}"},
    )
    register(agent, base_url=slack_emulator.base_url, environ={})
    errors: list[str] = []
    for form in MANGLED.values():
        with pytest.raises(InvalidArguments) as refused:
            await agent.call_tool("usersSetPhoto", {"image": f"{form}.png"})
        errors.extend(texts_of_error(refused.value))
    agent.call_tool("usersProfileGet", {"token": "xoxp-0-placeholder-for-the-generic-check"})
    sent = json.dumps(session_history(slack_emulator, "/api/users.profile.get"))
    kept = json.dumps(agent.context.to_dict(), default=str)
    leaked = [text for text in (sent, kept, *errors) if holds_the_secret(text)]
    assert leaked == [], leaked[0][:300]


async def test_a_persons_mangled_token_reaches_no_mcp_client_or_server_log(
    tmp_path: Path,
) -> None:
    """Through the MCP server, with the real mcp client: as the image and as an unknown
    argument's name; what the client received and the server's debug log hold none of it."""
    async with mcp_session(tmp_path) as session:
        for form in MANGLED.values():
            named = await session.call({"image": f"{form}.png"})
            assert named["isError"] is True
            await session.call({"image": "photo.png", form: 1})
        received = list(session.received)
    log = (tmp_path / "server-stderr.txt").read_text()
    leaked = [text for text in (*received, log) if holds_the_secret(text)]
    assert leaked == [], leaked[0][:300]


@pytest.mark.parametrize("form", [MANGLED["en-dash"], MANGLED["minus-sign"]], ids=["en", "minus"])
def test_a_mangled_token_pasted_as_a_cli_word_is_refused_with_where_it_goes(form: str) -> None:
    """ocp-users-photo whoami TOKEN, the token's dashes rewritten: argparse quoted it whole
    ("unrecognized arguments: xoxp\u2013..."), not the advice a plain token gets."""
    finished = run_module("ocp_users_photo.cli", "whoami", form)
    output = finished.stdout + finished.stderr
    assert finished.returncode == 2, output
    assert "a Slack token was given as an argument" in output
    assert not holds_the_secret(output)


# Slack's other shapes, whose secret is no hex: a rotating user token's and a refresh
# token's base64 (as the emulator issues them), a bot token's letters and digits.
NOT_HEX = {
    "rotating-user": "xoxe.xoxp-1-Mi0yLTEyMzQ1Njc4OTAtNzc3Nzc3Nzc3Ny0xMjM0NTY3ODkwMTIz",
    "refresh": "xoxe-1-My0xLTEyMzQ1Njc4OTAtNzc3Nzc3Nzc3Ny0xMjM0NTY3ODkwMTIz",
    "bot": "xoxb-7777777777-8888888888-pdFZKVeTuE8sk7oOcBrzbqgy",
}


@pytest.mark.parametrize("token", list(NOT_HEX.values()), ids=list(NOT_HEX))
@pytest.mark.parametrize("broken", ["-\n", "- ", "\u2013\r\n"], ids=["line", "space", "en"])
async def test_a_token_whose_secret_is_no_hex_broken_after_a_dash_is_masked(
    tmp_path: Path, token: str, broken: str
) -> None:
    """'xoxe.xoxp-1-' then a line break: the base64 after it, the token's secret, was shown
    whole (only six hex digits counted as a token's part after white space)."""
    head, secret = token.rsplit("-", 1)
    form = f"{head}{broken}{secret}"
    assert shown(form) == REDACTED
    assert secret[4:16] not in without_tokens(f"no file at '{form}.png'")
    async with UsersSetPhoto(CANARY_TOKEN, image_roots=[tmp_path], environ={}) as tool:
        result = await tool.run({"image": f"{form}.png"})
    assert "no file at" in json.dumps(result)
    assert secret[4:16] not in json.dumps(result)


DASHES = {"hyphen": "-", "en": "\u2013", "em": "\u2014", "nb-hyphen": "\u2011", "minus": "\u2212"}
# An accent on a prefix's letter (composed, or a combining mark after it) with the dashes
# rewritten: read as the token, as each alone is.
ACCENTED = {
    f"{accent}-{dash}": PERSON.replace("xoxp", spelled, 1).replace("-", character)
    for accent, spelled in (("composed", "x\u00f3xp"), ("combining", "xo\u0301xp"))
    for dash, character in DASHES.items()
}


@pytest.mark.parametrize("form", list(ACCENTED.values()), ids=list(ACCENTED))
async def test_an_accented_token_with_its_dashes_rewritten_is_masked(
    tmp_path: Path, form: str
) -> None:
    """'x\u00f3xp\u2013...': shown() read letters without their accents only where a "-"
    was, and the image refusal ("no file at ...") masked token shapes only: it quoted an
    accented token whole, with its "-" too."""
    assert shown(f"token: {form}") == REDACTED
    async with UsersSetPhoto(CANARY_TOKEN, image_roots=[tmp_path], environ={}) as tool:
        result = await tool.run({"image": f"{form}.png"})
    assert "no file at" in json.dumps(result)
    assert not holds_the_secret(json.dumps(result))
