"""Base64 images decoded a piece at a time (images/encoded_text.py).

The text was made into one compact copy, then decoded into pieces joined at the end: a
25 MB image given as base64 held ~2.4 times its size on top of the caller's text (50
such calls at once: gigabytes). Decoded as it is read, it holds its bytes and a piece.
"""

from __future__ import annotations

import base64
import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocp_users_photo.images import encoded_text
from ocp_users_photo.images.encoded_text import decode_base64

MALFORMED = "base64 text is malformed"


def decoded(text: str, max_bytes: int = 1 << 30) -> bytes | str:
    source, problems = decode_base64(text, "base64 text", max_bytes)
    if source is None:
        return "; ".join(str(p) for p in problems)
    assert not problems
    return bytes(source.data) if source.data is not None else b""


@st.composite
def encodings(draw: st.DrawFn) -> tuple[bytes, str]:
    """Some bytes and one way a program writes them as base64."""
    data = draw(st.binary(min_size=1, max_size=200))
    url_safe = draw(st.booleans())
    text = (base64.urlsafe_b64encode if url_safe else base64.b64encode)(data).decode()
    if draw(st.booleans()):
        text = text.rstrip("=")  # padding optional
    width = draw(st.integers(min_value=0, max_value=80))
    if width:
        newline = draw(st.sampled_from(["\n", "\r\n", " ", "\t"]))
        text = newline.join(text[i : i + width] for i in range(0, len(text), width))
    return data, text


@settings(max_examples=400, deadline=None)
@given(encodings(), st.sampled_from([4, 8, 12, 64]))
def test_every_way_of_writing_it_decodes_to_the_bytes(
    written: tuple[bytes, str], piece: int
) -> None:
    """Whatever piece size: group boundaries, padding and line breaks fall across pieces."""
    data, text = written
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(encoded_text, "_PIECE", piece)
        assert decoded(text) == data


@pytest.mark.parametrize(
    "text",
    [
        "QQ==QQ==",  # padding in the middle
        "QQ=A",
        "QQQ==",  # more padding than the group lacks
        "Q",  # one character is no byte
        "Q===",
        "=",
        "==",
        "QUJD\u00e9",  # not ASCII
        "QUJD.REVG",
        "QQ= =x",
    ],
)
def test_malformed_text_is_refused(text: str) -> None:
    for piece in (4, 1 << 20):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(encoded_text, "_PIECE", piece)
            answer = decoded(text)
        assert isinstance(answer, str), (text, piece)
        assert MALFORMED in answer, (text, piece, answer)


@pytest.mark.parametrize("text", ["QQ", "QQ=", "QQ==", "QQQ", "QQQ=", "QQQQ", "QQQQ=="])
def test_padding_may_be_left_out_or_given(text: str) -> None:
    assert decoded(text) == base64.b64decode(text + "=" * (-len(text) % 4))


def test_a_text_over_the_limit_is_refused_before_it_is_all_decoded() -> None:
    data = bytes(range(256)) * 4096  # 1 MiB
    text = base64.b64encode(data).decode()
    answer = decoded(text, max_bytes=1000)
    assert isinstance(answer, str)
    assert "decodes to more than the 1,000-byte limit" in answer
    assert decoded(text, max_bytes=len(data)) == data


def test_decoding_holds_the_bytes_and_a_piece_not_copies_of_the_text() -> None:
    data = bytes(range(256)) * (48 * 1024)  # 12 MiB
    text = base64.encodebytes(data).decode()  # 76-character lines, as email writes it
    tracemalloc.start()
    try:
        source, problems = decode_base64(text, "base64 text", 1 << 30)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert source is not None
    assert not problems
    assert source.data == data
    # Before: ~40 MiB (the compact copy of the text, 16 MiB, the decoded pieces and their
    # join). Now the bytes as they grow (BytesIO over-allocates by an eighth) and a piece.
    assert peak < len(data) + 6 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB"
