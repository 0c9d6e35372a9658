"""Telling base64 from a path holds a copy or two of the text, whatever its words.

The check removed white space with a regular expression's substitution, which made a
string of every piece between spaces: 30 MB of words from a model took the MCP server
from 90 MB to 736 MB, half a gigabyte of it in that one step.
"""

from __future__ import annotations

import re
import sys
import tracemalloc

import pytest

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
