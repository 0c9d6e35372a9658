"""safe_text.percent_decoded reads percent-escapes back exactly as urllib's unquote does.

It stands in for ``unquote(text, errors="replace")`` in ``read_back``, which searches a
server's text for the token spelled with escapes: unquote's cost per bare "%" (an error
raised and caught for each) let a hostile reply head of 1 MB of "%" hold a thread for
0.7 s. The answers must not change: every text is compared with unquote's reading.
"""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocp_users_photo.safe_text import percent_decoded, read_back

# What escapes are made of, and what breaks them: hex digits of both cases, a lone "%",
# ASCII, multi-byte characters and a lone surrogate.
_PIECES = st.sampled_from([*"%%%%0123456789abcdefABCDEFgz x", "é", "€", "\U0001f600", "\ud800"])


@settings(max_examples=2000)
@given(st.text(_PIECES, max_size=80) | st.text(max_size=40))
def test_every_text_reads_back_as_unquote_reads_it(text: str) -> None:
    assert percent_decoded(text) == unquote(text, errors="replace")


@pytest.mark.parametrize(
    "text",
    [
        "%C3%A9",  # one character in two bytes
        "%C3a%A9",  # the same bytes broken by a letter: two replacement characters
        "%E2%82",  # cut short
        "%ff%fe",  # no UTF-8 at all
        "%%41",  # a bare "%" before an escape
        "%4",  # too short to be one
        "%G1",  # no hex digit
        "é%C3%A9",
        "%ED%A0%80",  # a surrogate's UTF-8, which no decoder takes
        "xoxp%2D1111-2222%2d3333",
    ],
)
def test_the_edges_of_utf_8_read_back_as_unquote_reads_them(text: str) -> None:
    assert percent_decoded(text) == unquote(text, errors="replace")


def test_a_token_spelled_with_escapes_is_still_read_back() -> None:
    spelled = "".join(f"%{ord(character):02X}" for character in "xoxp-1111-2222-3333-4444")
    assert read_back(f"echo {spelled} %%%") == "echo xoxp-1111-2222-3333-4444 %%%"
