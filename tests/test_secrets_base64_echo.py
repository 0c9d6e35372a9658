"""A token a server echoes in base64 is still the token: it never reaches a model or a log.

Base64 gives the token back to anyone who decodes it (``echo ... | base64 -d``): a
hostile or broken server that wrote it so (in a warning, in Slack's needed/provided, in
response_metadata) had it shown to the model, returned to the caller and logged at
WARNING. Base64 writes each three bytes as four characters, so the token's bytes come
out the same wherever they stood, at one of three offsets: each is looked for.
"""

from __future__ import annotations

import base64
import json
import logging
import re
from typing import Any

import pytest

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.errors import UsersPhotoError
from tests.conftest import CANARY_TOKEN, inject, make_image, success_reply

SECRET = CANARY_TOKEN.rsplit("-", 1)[1]


def encoded(text: str, *, before: str = "", url_safe: bool = False) -> str:
    """``text`` base64-encoded after ``before`` (which moves it among the three offsets)."""
    encode = base64.urlsafe_b64encode if url_safe else base64.b64encode
    return encode((before + text).encode()).decode()


ECHOES = {
    "token": encoded(CANARY_TOKEN),
    "token after one byte": encoded(CANARY_TOKEN, before="a"),
    "token after two bytes, url-safe": encoded(CANARY_TOKEN, before="Bearer: ", url_safe=True),
    "secret alone": encoded(SECRET, before="s="),
    "a Basic header's value": encoded(f"{CANARY_TOKEN}:x"),
    # As the base64 command and MIME write it: a line break every 76 characters.
    "wrapped at 76": base64.encodebytes(CANARY_TOKEN.encode()).decode(),
    "wrapped at 76 after a prefix": base64.encodebytes(b"Bearer " + CANARY_TOKEN.encode()).decode(),
    # Wrapped at 20 with its lines indented, as a YAML or a quoted mail writes it.
    "wrapped at 20, indented": "token:\n  "
    + "\n  ".join(
        base64.b64encode(CANARY_TOKEN.encode()).decode()[at : at + 20] for at in range(0, 120, 20)
    ),
    "wrapped, CRLF": base64.encodebytes(b"t=" + CANARY_TOKEN.encode())
    .decode()
    .replace("\n", "\r\n"),
    # A dump of the header cut at a length: no whole form is there, 25 of the secret's
    # characters are (an attack review, 2026-12-07: the CLI quoted them).
    "the header's first 70 bytes": encoded(f"Bearer {CANARY_TOKEN}"[:70]),
    "the header's first 71 bytes, url-safe": encoded(f"Bearer {CANARY_TOKEN}"[:71], url_safe=True),
    "the header's first 72 bytes after one": encoded(f"Bearer {CANARY_TOKEN}"[:72], before="a"),
}


def decodes_to_the_secret(text: str) -> bool:
    """Whether some run of base64 in ``text``, its pieces joined (lines, JSON's escaped line
    breaks, indents, the single spaces a quoted excerpt puts between lines), decodes, at any
    offset, to 16 or more characters of the canary's secret."""
    joined = re.sub(r"(?:\\[rn]|\s)+", "", text)
    for word in re.split(r"[\s\",:'<>.]+", joined):
        for start in range(4):
            piece = word[start:]
            piece = piece[: len(piece) // 4 * 4]
            for decode in (base64.b64decode, base64.urlsafe_b64decode):
                try:
                    plain = decode(piece).decode("latin-1")
                except ValueError:
                    continue
                if any(SECRET[at : at + 16] in plain for at in range(len(SECRET) - 15)):
                    return True
    return False


REPLIES = {
    "in a warning": lambda echo: {"ok": False, "error": "invalid_auth", "warning": echo},
    "in response_metadata": lambda echo: {
        "ok": False,
        "error": "invalid_auth",
        "response_metadata": {"warnings": [echo], "messages": [f"[ERROR] {echo}"]},
    },
    "as needed and provided": lambda echo: {
        "ok": False,
        "error": "missing_scope",
        "needed": echo,
        "provided": echo,
    },
    "beside a success": lambda echo: {**success_reply(), "warning": echo},
}


@pytest.mark.parametrize("echo", list(ECHOES.values()), ids=list(ECHOES))
@pytest.mark.parametrize("reply", list(REPLIES.values()), ids=list(REPLIES))
async def test_a_base64_echo_reaches_no_model_no_result_and_no_log(
    emulator: RunningEmulator, echo: str, reply: Any, caplog: pytest.LogCaptureFixture
) -> None:
    assert decodes_to_the_secret(echo)  # the check can see what it looks for
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=emulator.base_url, environ={}, keep_previous=False
    ) as tool:
        with caplog.at_level(logging.DEBUG):
            inject(emulator, Fault.json(reply(echo)))
            result = await tool.run({"image": make_image((600, 600))})
            inject(emulator, Fault.json(reply(echo)))
            try:
                returned: object = await tool.call({"image": make_image((600, 600))})
            except UsersPhotoError as error:
                returned = [str(error), repr(error), repr(vars(error))]
    said = json.dumps(result) + json.dumps(returned, default=repr) + caplog.text
    assert "[redacted]" in said
    assert not decodes_to_the_secret(said), said[:400]


def test_a_wrapped_echo_with_its_lines_indented_is_redacted_whole() -> None:
    """Joined by its line breaks only, base64 wrapped at 20 and indented (as a YAML or a
    mail quotes it) kept the token."""
    from ocp_users_photo.credentials import token_secret_forms
    from ocp_users_photo.safe_text import REDACTED, redacted

    flat = base64.b64encode(CANARY_TOKEN.encode()).decode()
    wrapped = "token:\n  " + "\n  ".join(flat[at : at + 20] for at in range(0, len(flat), 20))
    assert redacted(wrapped, token_secret_forms(CANARY_TOKEN)) == REDACTED
    assert redacted("two\nlines", token_secret_forms(CANARY_TOKEN)) == "two\nlines"


async def test_a_wrapped_echo_in_a_page_that_is_no_json_is_not_quoted(
    emulator: RunningEmulator,
) -> None:
    """A body that is no JSON is quoted in the refusal (an excerpt): its own line breaks,
    not JSON's escapes, cut the echo's base64 form."""
    flat = base64.b64encode(CANARY_TOKEN.encode()).decode()
    page = "<html><pre>token:\n  " + "\n  ".join(flat[at : at + 20] for at in range(0, 120, 20))
    inject(
        emulator,
        Fault.status(200, body=page.encode(), headers={"content-type": "text/html"}),
    )
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=emulator.base_url, environ={}, keep_previous=False, max_retries=0
    ) as tool:
        result = await tool.run({"image": make_image((600, 600))})
    assert result["ok"] is False
    assert "not JSON" in result["message"]
    assert not decodes_to_the_secret(json.dumps(result)), result["message"]


def test_a_token_cut_short_in_hex_is_redacted() -> None:
    """A dump of the header in hex, cut at a length, holds a run of the secret in hex and
    none of the token's whole forms."""
    from ocp_users_photo.credentials import token_secret_forms
    from ocp_users_photo.safe_text import redacted

    dump = f"Bearer {CANARY_TOKEN}"[:70].encode().hex()
    said = redacted(f"head: {dump}", token_secret_forms(CANARY_TOKEN))
    assert "[redacted]" in said
    left = bytes.fromhex(
        "".join(c for c in said.split("[redacted]")[-1] if c in "0123456789abcdef")
    )
    assert len(left) < 4, left


@pytest.mark.parametrize("width", [20, 40])
def test_a_wrapped_echo_is_redacted_whole_with_the_same_echo_on_one_line(width: int) -> None:
    """The header in base64 on one line, and again wrapped: the one-line echo held the form
    the wrapped one was looked for by, and the runs redacted in the wrapped lines broke the
    rest for the reading of what was left (8 of the secret's characters were quoted)."""
    from ocp_users_photo.credentials import token_secret_forms
    from ocp_users_photo.safe_text import redacted

    header = encoded(f"Authorization: Bearer {CANARY_TOKEN}")
    wrapped = "\n".join(header[at : at + width] for at in range(0, len(header), width))
    said = redacted(f"sent: {header}\ndump:\n{wrapped}\n", token_secret_forms(CANARY_TOKEN))
    assert said == "[redacted]", said
