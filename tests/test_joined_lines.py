"""Wrapped text joined back in linear time (the review of 2026-12-06 10:25 UTC: the patterns
``[ \\t]*[\\r\\n]+[ \\t]*`` tried every start in a run of blanks, to its end, so a reply of
one long run of spaces beside a line break held a thread for minutes, past any deadline).

The patterns themselves are the oracle: a decoded text's lines are joined as they joined
them, and the raw reply's search finds every secret their join of it would have shown.
That each is linear is by its making (a split at the breaks, each piece stripped at its
ends; blanks taken out by ``bytes.translate``), not timed here:
benchmarks/hostile_replies.py times them on such replies."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from ocp_users_photo.credentials import SecretTexts, held_in
from ocp_users_photo.safe_text import joined_lines

_OLD_LINE_BREAK = re.compile(r"[ \t]*[\r\n]+[ \t]*")
_OLD_RAW_LINE_BREAK = re.compile(rb"(?:[ \t]|\\t)*(?:\\[rn]|[\r\n])+(?:[ \t]|\\t)*")

_TEXT_PIECES = [" ", "\t", "\n", "\r", "\r\n", "a", "b", "  x", "\\", "t", "n"]
SECRET = "0c4a7e9f1b2d3c4e5f60718293a4b5c6"
SECRETS = SecretTexts([SECRET, "xoxp-1111111111-2222222222-3333333333-" + SECRET])
_RAW_PIECES = [
    b" ",
    b"\t",
    b"\n",
    b"\r",
    b"\\n",
    b"\\r",
    b"\\t",
    b"\\",
    b"t",
    b"n",
    b"a",
    SECRET[:10].encode(),
    SECRET[10:22].encode(),
    SECRET[22:].encode(),
]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(_TEXT_PIECES), max_size=30).map("".join))
def test_joined_lines_is_what_the_pattern_gave(text: str) -> None:
    assert joined_lines(text) == _OLD_LINE_BREAK.sub("", text)


_BLANKS = st.lists(st.sampled_from([b" ", b"\t", b"\\t"]), max_size=3).map(b"".join)
_BREAKS = st.lists(st.sampled_from([b"\n", b"\r", b"\\n", b"\\r"]), min_size=1, max_size=3)
# A line break as the old pattern took it out: blanks, one or more breaks, blanks.
_WRAP = st.tuples(_BLANKS, _BREAKS.map(b"".join), _BLANKS).map(b"".join)
_NOISE = st.lists(st.sampled_from(_RAW_PIECES), max_size=12).map(b"".join)


@settings(max_examples=600, deadline=None)
@given(_NOISE, _WRAP, _WRAP, _NOISE)
def test_the_raw_search_finds_a_wrapped_secret_the_patterns_join_showed(
    before: bytes, first: bytes, second: bytes, after: bytes
) -> None:
    wrapped = SECRET[:10].encode() + first + SECRET[10:22].encode() + second + SECRET[22:].encode()
    body = b'{"ok":true,"a":"' + before + wrapped + after + b'"}'
    assert SECRET.encode() in _OLD_RAW_LINE_BREAK.sub(b"", body.lower())  # the oracle's view
    assert SECRET in held_in(body, SECRETS)


def test_a_wrapped_secret_holding_a_blank_is_found() -> None:
    # A client secret or a proxy password may hold a space: taken out of the reply, it was
    # kept in what was looked for (the review of the fix).
    secrets = SecretTexts(["open sesame 42"])
    body = b'{"ok":false,"error":"x","detail":"auth open sesa\\nme 42 refused"}'
    assert _OLD_RAW_LINE_BREAK.sub(b"", body).count(b"open sesame 42") == 1  # the oracle
    assert held_in(body, secrets) == ("open sesame 42",)
