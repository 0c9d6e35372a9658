"""A hostile Slack endpoint, on both HTTP stacks (review 9): what its reply can carry back.

The token sent comes back spelled another way: percent-encoded (a URL in an error page,
a link), as HTML character references (an error page), or JSON-escaped in a body that is
no JSON object (which the error quotes as it came). Whatever reads the result, a model, a
terminal or a log, decodes such a spelling at a glance: none of them may hold it.
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Callable
from urllib.parse import unquote

import pytest

from ocp_users_photo import UsersPhotoError
from ocp_users_photo.credentials import SlackToken
from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.slack import SlackClient
from ocp_users_photo.slack.stacks import StackName
from tests import loopback
from tests.conftest import CANARY_TOKEN, inject, make_image
from tests.test_secrets import holds_part_of_the_token, texts_of_error
from tests.test_slack_client_hardening import quick_tool

IMAGE = make_image((600, 600))


def spelled(escape: Callable[[str], str], every: int = 8) -> str:
    """The canary with every ``every``-th character escaped: no run of 12 of its secret is
    left as it is, yet the whole token reads back from it."""
    return "".join(
        escape(char) if index % every == 0 else char for index, char in enumerate(CANARY_TOKEN)
    )


PERCENT = spelled(lambda char: f"%{ord(char):02X}")
REFERENCES = spelled(lambda char: f"&#{ord(char)};")
JSON_ESCAPED = spelled(lambda char: f"\\u{ord(char):04x}")
# Python's \x escape (a JSON string holding "\\x78"), which a reader decodes too.
X_ESCAPED = spelled(lambda char: f"\\x{ord(char):02x}")
_JSON_ESCAPE = re.compile(r"\\+(?:u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2}))")


def read_back(text: str) -> list[str]:
    """``text`` and what a reader decodes it to: percent-escapes, character references,
    JSON's \\u escapes and Python's \\x ones (a repr doubles their backslash)."""
    unescaped = _JSON_ESCAPE.sub(lambda found: chr(int(found.group(1) or found.group(2), 16)), text)
    return [text, unquote(text), html.unescape(text), unescaped]


def holds_the_token_in_any_spelling(text: str) -> bool:
    return any(holds_part_of_the_token(form) for form in read_back(text))


def test_the_spellings_read_back_to_the_token() -> None:
    """The check below can fail: each spelling hides the token from a plain search only."""
    for form in (PERCENT, REFERENCES, JSON_ESCAPED, X_ESCAPED):
        assert not holds_part_of_the_token(form)
        assert holds_the_token_in_any_spelling(form)


@pytest.mark.parametrize(
    "fault",
    [
        Fault.status(
            401,
            body=f"<html><a href='/login?token={PERCENT}'>sign in</a></html>",
            headers={"content-type": "text/html"},
        ),
        Fault.status(403, body=f"<html>bad token {REFERENCES}</html>"),
        Fault.status(200, body=f'["{JSON_ESCAPED}"]', headers={"content-type": "application/json"}),
        Fault.status(401, body=f"bad token {X_ESCAPED}", headers={"content-type": "text/plain"}),
        Fault.json({"ok": False, "error": PERCENT}),
        Fault.json({"ok": False, "error": "invalid_auth", "detail": PERCENT}),
        Fault.json({"ok": False, "error": "invalid_auth", "detail": REFERENCES}),
        Fault.json({"ok": False, "error": "invalid_auth", "detail": X_ESCAPED}),
        Fault.json({"ok": True, "warning": PERCENT}),
        Fault.status(200, body="<html>", headers={"content-type": f"text/html; t={PERCENT}"}),
    ],
    ids=[
        "401 page, percent-encoded",
        "403 page, character references",
        "json array, json-escaped",
        "401 text, x-escaped",
        "error code, percent-encoded",
        "slack error field, percent-encoded",
        "slack error field, character references",
        "slack error field, x-escaped",
        "warning, percent-encoded",
        "content-type, percent-encoded",
    ],
)
async def test_a_token_echoed_in_another_spelling_reaches_no_output(
    emulator: RunningEmulator, http_stack: str, fault: Fault, caplog: pytest.LogCaptureFixture
) -> None:
    inject(emulator, fault, fault)
    for text in await every_text_of_a_call(emulator, http_stack, caplog):
        assert not holds_the_token_in_any_spelling(text), text[:400]


async def every_text_of_a_call(
    emulator: RunningEmulator, http_stack: str, caplog: pytest.LogCaptureFixture
) -> list[str]:
    """What a call's faulted answers leave: ``call``'s result or error, ``run``'s result,
    and every log record made meanwhile (DEBUG included)."""
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    async with quick_tool(emulator, http_stack, max_retries=0) as tool:
        try:
            texts.append(json.dumps(await tool.call({"image": IMAGE})))
        except UsersPhotoError as error:
            texts.extend(texts_of_error(error))
        texts.append(json.dumps(await tool.run({"image": IMAGE})))
    texts.extend(record.getMessage() for record in caplog.records)
    return texts


async def test_a_token_echoed_as_a_header_name_is_not_handed_on(http_stack: StackName) -> None:
    """A reply's headers travel on in the SlackReply (its repr shows them; whoami and an
    observer's SlackSession read them): a server may echo the token as a header's name, in
    any case, as well as in its value."""
    token = SlackToken(CANARY_TOKEN)
    echoing = [
        (CANARY_TOKEN, "1"),
        (f"x-echo-{CANARY_TOKEN.upper()}", "2"),
        (f"x-{PERCENT}", "3"),
        ("X-OAuth-Scopes", "users.profile:write"),
    ]
    async with loopback.serve(None) as server:
        server.on("/api/auth.test", loopback.reply(200, b'{"ok":true}', echoing))
        client = SlackClient(base_url=server.base_url(), user_agent="review", http_stack=http_stack)
        try:
            reply = await client.call("auth.test", token=token)
        finally:
            await client.aclose()
    assert reply.headers["x-oauth-scopes"] == "users.profile:write"
    for text in (repr(reply), repr(list(reply.headers.multi_items())), str(reply.headers.raw)):
        assert not holds_the_token_in_any_spelling(text.lower()), text[:400]
