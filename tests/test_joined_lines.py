"""Wrapped text joined back in linear time (the review of 2026-12-06 10:25 UTC: the patterns
``[ \\t]*[\\r\\n]+[ \\t]*`` tried every start in a run of blanks, to its end, so a reply of
one long run of spaces beside a line break held a thread for minutes, past any deadline).

The patterns themselves are the oracle: the joins must give what they gave. That the joins
are linear is by their making (a split at the breaks, each piece stripped at its ends),
not timed here: benchmarks/hostile_replies.py times them on such replies."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from ocp_users_photo.safe_text import joined_lines, joined_raw_lines

_OLD_LINE_BREAK = re.compile(r"[ \t]*[\r\n]+[ \t]*")
_OLD_RAW_LINE_BREAK = re.compile(rb"(?:[ \t]|\\t)*(?:\\[rn]|[\r\n])+(?:[ \t]|\\t)*")

_TEXT_PIECES = [" ", "\t", "\n", "\r", "\r\n", "a", "b", "  x", "\\", "t", "n"]
_RAW_PIECES = [b" ", b"\t", b"\n", b"\r", b"\\n", b"\\r", b"\\t", b"\\", b"t", b"n", b"a", b"x"]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(_TEXT_PIECES), max_size=30).map("".join))
def test_joined_lines_is_what_the_pattern_gave(text: str) -> None:
    assert joined_lines(text) == _OLD_LINE_BREAK.sub("", text)


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(_RAW_PIECES), max_size=30).map(b"".join))
def test_joined_raw_lines_is_what_the_pattern_gave(raw: bytes) -> None:
    assert joined_raw_lines(raw) == _OLD_RAW_LINE_BREAK.sub(b"", raw)
