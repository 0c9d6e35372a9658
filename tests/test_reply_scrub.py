"""A reply's strings searched for secrets as one text, and walked only where that finds
one (the review of 2026-12-06 10:25 UTC: a 1 MiB reply of "&" strings took 4 s to decode,
past any deadline, each string searched alone).

The one-text search must find whatever the walk string by string finds: Hypothesis
builds JSON values of strings made of a secret's pieces and every escape mark, and the
result is compared with ``safe_text.redacted`` applied to each string alone."""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocp_users_photo import TransportError, UsersSetPhoto
from ocp_users_photo.credentials import SlackToken, scrub
from ocp_users_photo.safe_text import redacted
from ocp_users_photo.slack import client as client_module
from ocp_users_photo.slack.replies import decode_reply
from tests.conftest import make_image
from tests.test_secrets_review37 import _answering

TOKEN = "xoxp-1111111111-2222222222-3333333333-0c4a7e9f1b2d3c4e5f60718293a4b5c6"
SECRETS = SlackToken(TOKEN).secret_texts().texts()
SECRET = TOKEN.rsplit("-", 1)[1]

# Pieces strings are made of: a secret's own pieces, its escaped spellings' pieces, and
# every mark the search treats apart (escapes, line breaks, NULs, the separator itself).
_PIECES = [
    SECRET,
    SECRET[:12],
    SECRET[12:],
    SECRET.upper()[:14],
    "%",
    "%30",
    "%63",
    "&#",
    "&#x30;",
    ";",
    "\\",
    "\\u0030",
    "\\x63",
    "\\060",
    "\n",
    "\r\n ",
    "\x00",
    "\x1f",
    "c",
    "0",
    "a",
    " ",
    "é",
]
_TEXTS = st.lists(st.sampled_from(_PIECES), max_size=8).map("".join)
_VALUES = st.recursive(
    st.none() | st.integers() | st.booleans() | _TEXTS,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(_TEXTS, inner, max_size=4),
    max_leaves=20,
)


def _each_alone(value: Any) -> Any:
    if isinstance(value, str):
        return redacted(value, SECRETS)
    if isinstance(value, dict):
        return {_each_alone(key): _each_alone(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_each_alone(item) for item in value]
    return value


@settings(max_examples=500, deadline=None)
@given(_VALUES)
def test_the_one_text_search_redacts_what_each_string_alone_would(value: Any) -> None:
    assert scrub(value, SECRETS) == _each_alone(value)


@pytest.mark.parametrize(
    "spelled",
    [
        SECRET,
        "".join(f"%{ord(char):02x}" for char in SECRET),
        "".join(f"&#{ord(char)};" for char in SECRET),
        "\x00".join(SECRET),
        SECRET[:20] + "\n  " + SECRET[20:],
    ],
    ids=["as is", "percent-escaped", "HTML references", "UTF-16 read as text", "wrapped"],
)
def test_one_echo_among_many_strings_is_found_and_nothing_else_changed(spelled: str) -> None:
    strings = ["&", "%", "kept %41"] * 1000 + [f"saw {spelled}"]
    reply: dict[str, Any] = {"ok": False, "error": "x", "a": strings}
    cleaned = scrub(reply, SECRETS)
    assert "[redacted]" in cleaned["a"][-1]
    assert SECRET[:12] not in cleaned["a"][-1].replace("\x00", "")
    assert cleaned["a"][:-1] == strings[:-1]


def test_a_value_with_no_secret_comes_back_as_it_was() -> None:
    reply = {"ok": True, "a": ["&"] * 100, "b": {"%": "\\x63"}}
    assert scrub(reply, SECRETS) is reply


async def test_a_big_reply_still_being_read_at_the_deadline_ends_the_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Its reading stands in slowed down (seconds, as a hostile reply's once took): the call
    # ends by its deadline, saying Slack answered and the change may have been made.
    decode = decode_reply

    def slow_decode(*args: Any, **kwargs: Any) -> Any:
        time.sleep(3)
        return decode(*args, **kwargs)

    monkeypatch.setattr(client_module, "decode_reply", slow_decode)
    big = b'{"ok":true,"padding":"' + b"a" * (100 * 1024) + b'"}'
    async with (
        _answering(big) as url,
        UsersSetPhoto(TOKEN, base_url=url, deadline=1.0, max_retries=0, environ={}) as tool,
    ):
        started = time.monotonic()
        with pytest.raises(TransportError) as ended:
            await tool.call({"image": make_image((600, 600))})
        took = time.monotonic() - started
    assert took < 2.5, took
    assert ended.value.reached is True
    assert "took past the call's 1 s deadline" in str(ended.value)
    assert "may have taken effect" in str(ended.value)


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (b'{"ok":true,"x":[' + b",".join([b"[]"] * 300_000) + b"]}", ()),
        (
            b'{"ok":false,"error":"ratelimited","x":[' + b",".join([b"1"] * 300_000) + b"]}",
            (("Retry-After", "1"),),
        ),
    ],
    ids=["many empty lists", "a ratelimited reply of many numbers"],
)
async def test_a_reply_of_very_many_values_is_refused_before_its_parse(
    body: bytes, headers: tuple[tuple[str, str], ...]
) -> None:
    # The C parser holds Python's lock for such a body (1 MiB of [] stood the event loop
    # still 0.3 s, though parsed in a worker thread), and a rate-limit answer was parsed
    # on the loop at every attempt (the review of 2026-12-06): refused before either, once.
    requests: list[bytes] = []
    async with (
        _answering(body, headers=headers, requests=requests) as url,
        UsersSetPhoto(TOKEN, base_url=url, max_retries=2, environ={}) as tool,
    ):
        with pytest.raises(TransportError) as refused:
            await tool.call({"image": make_image((600, 600))})
    assert len(requests) == 1  # no retry after a reply that is no Slack one
    assert "values (commas, arrays and objects counted)" in str(refused.value)
    assert "where a Slack reply holds a few dozen" in str(refused.value)
