"""A token a server echoes in another case is still the token: it never reaches a model.

Slack's tokens are lower-case letters and digits after their prefix, so an upper-cased
echo (``XOXP-1111...-CANARY0C4A...``) gives the token back to anyone who lower-cases
it. The redaction of the token's forms and the masking of token shapes were exact in
case, so such an echo went to the model, into exception texts and to the terminal.
Against the emulator over HTTP, a hostile reply in each place a text can come from.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.errors import UsersPhotoError
from ocp_users_photo.safe_text import redacted, shown, without_tokens
from tests.conftest import CANARY_TOKEN, inject, make_image, success_reply

SECRET = CANARY_TOKEN.rsplit("-", 1)[1]


def holds_part_of_the_token_in_any_case(text: str) -> bool:
    """Whether ``text`` holds 12 characters in a row of the canary's secret, in any case."""
    folded = text.lower()
    return any(SECRET[start : start + 12] in folded for start in range(len(SECRET) - 11))


ECHOES = {
    "upper": CANARY_TOKEN.upper(),
    "title": CANARY_TOKEN.title(),
    "secret upper, cut short": SECRET.upper()[:20],
}

ERROR_REPLIES = {
    "as the error code": lambda echo: {"ok": False, "error": echo},
    "in a warning": lambda echo: {"ok": False, "error": "invalid_auth", "warning": echo},
    "in response_metadata": lambda echo: {
        "ok": False,
        "error": "invalid_auth",
        "response_metadata": {"messages": [f"[ERROR] token {echo} is not valid"]},
    },
    "as needed and provided": lambda echo: {
        "ok": False,
        "error": "missing_scope",
        "needed": echo,
        "provided": echo,
    },
}


@pytest.mark.parametrize("echo", list(ECHOES.values()), ids=list(ECHOES))
@pytest.mark.parametrize("reply", list(ERROR_REPLIES.values()), ids=list(ERROR_REPLIES))
async def test_an_echo_in_another_case_reaches_no_model_and_no_error_text(
    emulator: RunningEmulator, echo: str, reply: Any
) -> None:
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=emulator.base_url, environ={}, keep_previous=False
    ) as tool:
        inject(emulator, Fault.json(reply(echo)))
        result = await tool.run({"image": make_image((600, 600))})
        assert result["ok"] is False
        assert not holds_part_of_the_token_in_any_case(json.dumps(result)), result
        inject(emulator, Fault.json(reply(echo)))
        with pytest.raises(UsersPhotoError) as caught:
            await tool.call({"image": make_image((600, 600))})
    error = caught.value
    for text in (str(error), repr(error), repr(error.args), repr(vars(error))):
        assert not holds_part_of_the_token_in_any_case(text), text[:300]


async def test_an_upper_cased_echo_in_a_success_reply_is_not_shown_to_the_model(
    emulator: RunningEmulator,
) -> None:
    reply = success_reply("https://avatars.slack-edge.com/" + CANARY_TOKEN.upper()[:60])
    inject(emulator, Fault.json(reply))
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=emulator.base_url, environ={}, keep_previous=False
    ) as tool:
        result = await tool.run({"image": make_image((600, 600))})
    assert not holds_part_of_the_token_in_any_case(json.dumps(result)), json.dumps(result)[:300]


def test_masking_and_redaction_ignore_case_and_keep_everything_else() -> None:
    text = f"before {CANARY_TOKEN.upper()} between {SECRET.upper()[:14]} after"
    assert (
        redacted(text, [SECRET, SECRET[:14]])
        == "before XOXP-1111111111-2222222222-3333333333-[redacted] between [redacted] after"
    )
    assert without_tokens("a XOXB-12-34-AbC b Xoxp-9 c") == "a [redacted] b [redacted] c"
    assert without_tokens("xoxo-party.png MAXOXA-1") == "xoxo-party.png MAXOXA-1"
    # A letter whose lower case is longer (İ) must not shift where the secret is cut.
    assert redacted(f"İİ {SECRET.upper()} ok", [SECRET]) == "İİ [redacted] ok"
    assert shown(f"İ {CANARY_TOKEN.upper()}") == "İ [redacted]"


async def test_an_upper_cased_echo_in_a_reply_header_reaches_no_model(
    emulator: RunningEmulator,
) -> None:
    # The headers travel beside the body, and a reply that is not JSON has its content
    # type quoted to the model: their redaction ignores case too.
    inject(
        emulator,
        Fault.status(
            200,
            body=b"<html>bad gateway</html>",
            headers={"content-type": f"text/html; x={SECRET.upper()[:40]}"},
        ),
    )
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=emulator.base_url, environ={}, keep_previous=False, max_retries=0
    ) as tool:
        result = await tool.run({"image": make_image((600, 600))})
    assert result["ok"] is False
    assert "text/html; x=[redacted]" in result["message"]
    assert not holds_part_of_the_token_in_any_case(json.dumps(result)), result["message"]


@pytest.mark.parametrize(
    "text",
    [
        f"\x1b[2J{CANARY_TOKEN}",  # an escape sequence's final letter glued to the token
        f"\x1b]0;title\x07Bearer{CANARY_TOKEN.upper()}",
        f"ok{CANARY_TOKEN[:30]} cut short in an echo",
        "Bearerxoxb-12-34-AbC",
        "tokenxapp-1-A0123-456-beef",
        "refreshxoxe-1-My0xLTEx",
    ],
)
def test_a_token_glued_to_a_letter_before_it_is_still_masked(text: str) -> None:
    shown_text = shown(text)
    assert "[redacted]" in shown_text
    for piece in ("1111111111", "xoxb-12", "A0123", "My0xLTEx", "beef"):
        assert piece not in shown_text


def test_a_prefix_glued_to_a_word_without_a_tokens_digits_stays() -> None:
    text = "C:/Users/maxoxa-1/me.png photoxoxo-2-b.png Lxoxp-party"
    assert without_tokens(text) == text
