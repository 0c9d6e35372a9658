"""Telling base64 from a path holds a copy or two of the text, whatever its words.

The check removed white space with a regular expression's substitution, which made a
string of every piece between spaces: 30 MB of words from a model took the MCP server
from 90 MB to 736 MB, half a gigabyte of it in that one step.
"""

from __future__ import annotations

import re
import sys
import time
import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocp_users_photo.images import encoded_text
from ocp_users_photo.images.encoded_text import looks_like_base64

MB = 1024 * 1024


def test_the_white_space_removed_is_what_regular_expressions_call_white_space() -> None:
    every = {code for code in range(sys.maxunicode + 1) if re.fullmatch(r"\s", chr(code))}
    assert set(encoded_text._NO_WHITESPACE) == every


@pytest.mark.parametrize(
    "text",
    [
        ("not base64 at all! " * 2_000_000)[: 30 * MB],
        ("A " * 16_000_000)[: 30 * MB],
        "\n".join(["QUFB" * 19] * 400_000),
    ],
    ids=["words", "a-letter-between-spaces", "base64-in-lines"],
)
def test_thirty_megabytes_of_text_are_looked_at_in_a_small_multiple_of_their_size(
    text: str,
) -> None:
    tracemalloc.start()
    try:
        looks_like_base64(text)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2.5 * len(text), f"{peak / MB:.0f} MB for {len(text) / MB:.0f} MB of text"


def test_white_space_of_any_kind_still_falls_away() -> None:
    base64 = "iVBORw0KGgoAAAANSUhEUgAA" * 20
    spaced = "\u3000".join([base64[:100], base64[100:200], base64[200:]])
    assert looks_like_base64(f" {spaced}\n")
    assert not looks_like_base64(f"{base64[:200]}!{base64[200:]}")


def _looks_like_base64_whole(text: str) -> bool:
    """The check as it was, over the whole text at once: what the pieces must agree with."""
    compact = text.strip().translate(encoded_text._NO_WHITESPACE)
    return len(compact) >= encoded_text.MIN_BASE64_CHARS and (
        encoded_text._LOOSE_BASE64.fullmatch(compact) is not None
    )


@given(
    fill=st.text(alphabet="QUFBaz09+/_-=", min_size=1, max_size=8),
    odd=st.sampled_from(["", "=", ".", "!", "\u00e9", " ", "\n", "\u3000", "\u2028", "\x00"]),
    where=st.sampled_from([0, 1, 63, 64 * 1024 - 1, 64 * 1024, 100_000, -1]),
    padding=st.sampled_from(["", " ", "\n\t", "\u3000" * 70_000]),
)
@settings(max_examples=150, deadline=None)
def test_long_text_looked_at_in_pieces_is_judged_as_the_whole_was(
    fill: str, odd: str, where: int, padding: str
) -> None:
    body = (fill * (140_000 // len(fill) + 1))[:140_000]
    place = where if where >= 0 else len(body)
    text = padding + body[:place] + odd + body[place:] + padding
    assert looks_like_base64(text) == _looks_like_base64_whole(text)


def test_text_with_no_base64_in_its_first_piece_is_told_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """40 million "é" held the interpreter's lock 3.5 s in one translate: the event loop
    stood still that long, though the check ran in a worker thread."""
    text = "\u00e9" * 40_000_000
    original = encoded_text._NOT_LOOSE_BASE64
    searched: list[int] = []

    class Counted:
        def search(self, piece: str) -> re.Match[str] | None:
            searched.append(len(piece))
            return original.search(piece)

    monkeypatch.setattr(encoded_text, "_NOT_LOOSE_BASE64", Counted())
    assert not looks_like_base64(text)
    assert searched == [64 * 1024], f"{len(searched)} pieces were searched"


@pytest.mark.parametrize(
    "text",
    ["\u00e9" * 40_000_000, "\u3000" * 40_000_000 + "A" * 10],
    ids=["letters-that-are-no-base64", "white-space"],
)
async def test_a_tool_call_with_millions_of_characters_of_no_base64_is_refused_at_once(
    text: str,
) -> None:
    """Through the tool: the call is refused as text that is no base64, and the event loop
    is not held meanwhile (2.3 s before for the letters, all of it in one C call; the white
    space took 2.1 s when pieces of it were each translated, counting characters)."""
    from ocp_users_photo import UsersSetPhoto
    from ocp_users_photo.errors import InvalidArguments
    from tests.conftest import CANARY_TOKEN

    async with UsersSetPhoto(
        CANARY_TOKEN, base_url="http://127.0.0.1:9/api", environ={}, max_retries=0
    ) as tool:
        started = time.monotonic()
        with pytest.raises(InvalidArguments, match="characters of text that is not base64"):
            await tool.call({"image": text})
        took = time.monotonic() - started
    assert took < 1.0, f"{took:.2f} s"
