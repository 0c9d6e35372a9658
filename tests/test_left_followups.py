"""Small follow-ups earlier reviews noticed and left, each reproduced first.

A Retry-After of 0 (or a date gone by) was told as "wait 0 s, as Slack asks"; a stdin or
file refusal said "the 32 MB limit" of the README's 32 MiB; ``--token-env 'bad name'``
was told "not the token itself"; a token that was only its kind ("xoxp-") or kept the
punctuation of the sentence it was copied from ("xoxp-...;") went to Slack, which
answered invalid_auth; one closing quote alone was called "quote marks around it"; and
docs/mcp.md put the token in a host's file without saying to keep that file private.
"""

from __future__ import annotations

import argparse
import email.utils
import json
import time
from pathlib import Path

import httpx
import pytest
from langchain_core.messages import ToolMessage

from ocp_users_photo import UsersPhotoError, UsersSetPhoto
from ocp_users_photo.command_line import variable_name
from ocp_users_photo.credentials import check_token, check_token_text
from ocp_users_photo.errors import RateLimited
from ocp_users_photo.frameworks.langchain import langchain_tools
from ocp_users_photo.sizes import byte_limit, byte_size, short_byte_size
from ocp_users_photo.slack.replies import HttpReply, decode_reply
from tests import loopback
from tests.conftest import CANARY_TOKEN, make_image

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "header",
    ["0", "0.0", email.utils.formatdate(time.time() - 60, usegmt=True)],
    ids=["zero", "zero-point-zero", "a-date-gone-by"],
)
def test_a_retry_after_of_no_wait_is_never_told_as_wait_0_s(header: str) -> None:
    headers = httpx.Headers({"Retry-After": header})
    reply = HttpReply(status_code=429, headers=headers, body=b"", attempts=1)
    with pytest.raises(RateLimited) as limited:
        decode_reply(reply, method="users.setPhoto", redact=lambda value: value)
    told = f"{limited.value} {limited.value.terminal_message}"
    assert "wait 0 s" not in told
    assert "wait a few seconds (Slack's Retry-After named no wait)" in str(limited.value)
    assert limited.value.retry_after == 0.0  # the server's number, as it said it


def test_sizes_are_named_in_the_binary_units_the_readme_names_its_limits_in() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "at most 32 MiB" in readme
    assert byte_limit(32 * 1024 * 1024) == "32 MiB"
    assert byte_size(75_028_011) == "71.6 MiB (75,028,011 bytes)"
    assert short_byte_size(5_222) == "5.1 KiB"
    assert "Photo set (PNG 800x800, 5.1 KiB)." in readme


@pytest.mark.parametrize("name", ["bad name", "MY-TOKEN", "1ABC", "SLACK.TOKEN"])
def test_a_mistyped_variable_name_is_told_what_a_name_is_not_called_a_token(name: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError) as refused:
        variable_name(name)
    said = str(refused.value)
    assert "not the token itself" not in said
    assert "letters, digits and _, not starting with a digit" in said
    assert name not in said


@pytest.mark.parametrize("name", ["SLACK_XOXP-TOKEN", "MY_XOXB-TOKEN", "MY-TOKEN"])
def test_a_variable_name_with_a_dash_is_told_the_dash_not_called_a_token(name: str) -> None:
    """ "SLACK_XOXP-TOKEN" holds a token's kind and a dash ("XOXP-TOKEN"), and was told
    "not the token itself": its giver typed a name, and no shell sets one with a dash."""
    with pytest.raises(argparse.ArgumentTypeError) as refused:
        variable_name(name)
    said = str(refused.value)
    assert "not the token itself" not in said
    assert "a name with '-' in it is no variable a shell sets" in said
    assert "with _ where the '-' is" in said
    assert name not in said


@pytest.mark.parametrize(
    "pasted",
    [
        CANARY_TOKEN,
        f"'{CANARY_TOKEN}'",
        " xoxp-1-2-abc;",
        # An assignment or a header pasted whole: "give the NAME ... such as
        # SLACK_USER_TOKEN" alone, its giver kept the token on the command line.
        f"SLACK_USER_TOKEN={CANARY_TOKEN}",
        f"Bearer {CANARY_TOKEN}",
    ],
)
def test_a_token_given_as_the_variable_name_is_still_told_so(pasted: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError) as refused:
        variable_name(pasted)
    assert "not the token itself" in str(refused.value)
    assert pasted.strip(" '") not in str(refused.value)


@pytest.mark.parametrize("kind_only", ["xoxp", "xoxp-", "xoxp--", "xoxe.xoxp-", "xapp-"])
def test_a_token_that_is_only_its_kind_is_refused_before_sending(kind_only: str) -> None:
    token, (problem,) = check_token_text(kind_only, origin="SLACK_USER_TOKEN")
    assert token is None
    assert "is only a token's kind, with nothing after it: copy the whole" in problem.message


@pytest.mark.parametrize("end", [";", ").", ",", ".", ":", ")", "]", "!", ">"])
def test_a_token_with_the_punctuation_it_was_pasted_with_is_refused(end: str) -> None:
    token, (problem,) = check_token(CANARY_TOKEN + end, origin="SLACK_USER_TOKEN")
    assert token is None
    assert "ends in punctuation, which no Slack token has" in problem.message
    assert "copy the token alone" in problem.message
    assert CANARY_TOKEN not in problem.message
    assert "canary" not in problem.message


@pytest.mark.parametrize(
    "token",
    [
        CANARY_TOKEN,
        "xoxp-1-test",
        "xoxe.xoxp-1-Mi0yLTEyMzQ1Njc4OTAtMTIzNDU2Nzg5MA",
        "xoxe-1-refresh0token",
        "xoxp-7777777777-alice-own-token",
    ],
)
def test_the_tokens_the_suite_and_slack_use_are_still_taken(token: str) -> None:
    taken, problems = check_token_text(token, origin="SLACK_USER_TOKEN")
    assert problems == []
    assert taken is not None


@pytest.mark.parametrize("door", ["token=", "SLACK_USER_TOKEN"])
@pytest.mark.parametrize("end", [";", "`", "*"], ids=["prose", "code-span", "bold"])
async def test_a_token_pasted_with_punctuation_never_reaches_slack(door: str, end: str) -> None:
    """Copied with the punctuation after it, from prose or out of Markdown ('`xoxp-...`'
    selected one character too far): sent, Slack's invalid_auth said nothing of it."""
    pasted = CANARY_TOKEN + end
    async with (
        loopback.serve() as server,
        UsersSetPhoto(
            pasted if door == "token=" else None,
            base_url=server.base_url(),
            keep_previous=False,
            environ={} if door == "token=" else {"SLACK_USER_TOKEN": pasted},
        ) as tool,
    ):
        with pytest.raises(UsersPhotoError) as refused:
            await tool.call({"image": make_image()})
    assert server.requests == []
    assert "ends in punctuation" in str(refused.value)
    assert "canary" not in str(refused.value)


@pytest.mark.parametrize(
    ("pasted", "told"),
    [
        (f"{CANARY_TOKEN}'", "has a quote mark at its end: remove it ("),
        (f'"{CANARY_TOKEN}', "has a quote mark at its start: remove it ("),
        (f"'{CANARY_TOKEN}'", "has quote marks around it: remove them ("),
    ],
    ids=["closing-only", "opening-only", "both"],
)
def test_a_lone_quote_mark_is_told_where_it_is(pasted: str, told: str) -> None:
    _, (problem,) = check_token_text(pasted, origin="SLACK_USER_TOKEN")
    assert told in problem.message
    assert CANARY_TOKEN not in problem.message


def test_the_mcp_docs_say_to_keep_the_host_file_holding_the_token_private() -> None:
    text = (ROOT / "docs" / "mcp.md").read_text()
    sample = text.index('"SLACK_USER_TOKEN": "xoxp-your-user-token"')
    after = text[sample : sample + 1200]
    assert "holds the token in clear" in after
    assert "`chmod 600` the file" in after


async def test_a_refused_langchain_call_carries_its_result_as_the_artifact() -> None:
    """README: "the host finds the result dict as the ToolMessage's artifact, and a
    refused call is an error ToolMessage": the refusal's artifact was None."""
    async with (
        loopback.serve() as server,
        UsersSetPhoto(
            CANARY_TOKEN, base_url=server.base_url(), keep_previous=False, environ={}
        ) as tool,
    ):
        (photo,) = langchain_tools(tool)
        call = {"image": make_image(), "crop_x": 1}
        told = await photo.ainvoke(
            {"type": "tool_call", "id": "call_1", "name": photo.name, "args": call}
        )
    assert server.requests == []
    assert isinstance(told, ToolMessage)
    assert told.status == "error"  # still LangChain's error message: the run goes on
    assert told.artifact == json.loads(str(told.content))
    assert told.artifact["error"] == "invalid_arguments"
    assert {problem["path"] for problem in told.artifact["problems"]} == {"$.crop_y", "$.crop_w"}


@pytest.mark.parametrize(
    "marked", ["`{}`", "**{}**", "({})", "`{}"], ids=["code", "bold", "parens", "open"]
)
def test_a_token_copied_with_the_markdown_mark_before_it_is_told_so(marked: str) -> None:
    """'`xoxp-...`' selected whole out of a README: told "not a Slack token ... not a client
    or signing secret", its giver was sent looking for another credential."""
    token, problems = check_token_text(marked.format(CANARY_TOKEN), origin="SLACK_USER_TOKEN")
    assert token is None
    told = " ".join(problem.message for problem in problems)
    assert "starts with punctuation" in told
    assert "copy the token alone" in told
    assert "not a Slack token" not in told
    assert "canary" not in told
