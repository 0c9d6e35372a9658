"""A compressed body is decoded a piece at a time (``bounded_body``): what BoundedBody holds
never goes much past the byte cap, and a body under the cap comes through whole.

Asked for the whole room under the cap at once, one 64 KiB chunk of a gzip bomb made a
cap's worth of bytes in one object, then copied into the buffer: twice the cap for a
moment, where ``images/byte_budget.py`` counts a compressed download as the cap alone.
"""

from __future__ import annotations

import gzip
import random
import tracemalloc
import zlib

import pytest

from ocp_users_photo.bounded_body import BodyTooLarge, BoundedBody, UnreadableBody

_CHUNK = 64 * 1024


def _feed_all(body: BoundedBody, pieces: list[bytes]) -> None:
    for piece in pieces:
        body.feed(piece)


def _chunks(data: bytes, size: int = _CHUNK) -> list[bytes]:
    return [data[start : start + size] for start in range(0, len(data), size)]


def _image_like(size: int) -> bytes:
    """A PNG signature, then runs of zeros between random stretches: some of it compresses
    to almost nothing, some not at all, so pieces end both inside and between runs."""
    rng = random.Random(11)
    parts = [b"\x89PNG\r\n\x1a\n"]
    total = len(parts[0])
    while total < size:
        part = (
            rng.randbytes(rng.randrange(1, 40_000))
            if rng.random() < 0.5
            else bytes(rng.randrange(1, 600_000))
        )
        parts.append(part)
        total += len(part)
    return b"".join(parts)[:size]


def test_a_gzip_bomb_holds_no_more_than_the_cap_and_one_piece() -> None:
    cap = 8 * 1024 * 1024
    bomb = gzip.compress(b"\x89PNG\r\n\x1a\n" + bytes(4 * cap), compresslevel=9)
    pieces = _chunks(bomb)
    body = BoundedBody("gzip", cap)
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        with pytest.raises(BodyTooLarge):
            _feed_all(body, pieces)
        peak = tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()
    assert len(body) == cap + 1  # stopped at the first byte past the cap, as before
    assert peak < 1.25 * cap, f"held {peak / cap:.2f} times the cap"


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
@pytest.mark.parametrize("chunk", [1, 4096, _CHUNK, 10**9])
def test_a_compressed_image_under_the_cap_comes_through_byte_identical(
    coding: str, chunk: int
) -> None:
    cap = 4 * 1024 * 1024
    data = _image_like(3 * 1024 * 1024 if chunk > 1 else 600_000)
    encoded = gzip.compress(data) if coding == "gzip" else zlib.compress(data)
    body = BoundedBody(coding, cap)
    for piece in _chunks(encoded, chunk):
        body.feed(piece)
    body.finish()
    assert body.decoded == data
    assert len(body) == len(data)


@pytest.mark.parametrize("pieces", [1, 2, 3, 4])
def test_a_body_of_whole_pieces_and_one_at_the_cap_come_through(pieces: int) -> None:
    """A piece that fills exactly may leave output inside zlib with no input left: it is
    still taken, and a body exactly at the cap is no more refused than before."""
    data = bytes(pieces * 256 * 1024)
    for cap in (len(data), len(data) + 1, 10 * len(data)):
        body = BoundedBody("gzip", cap)
        body.feed(gzip.compress(data))
        body.finish()
        assert body.decoded == data
    over = BoundedBody("gzip", len(data) - 1)
    with pytest.raises(BodyTooLarge):
        over.feed(gzip.compress(data))


def test_corrupt_data_after_good_pieces_is_still_unreadable() -> None:
    encoded = bytearray(gzip.compress(_image_like(2 * 1024 * 1024)))
    encoded[len(encoded) // 2 :] = b"\xff" * (len(encoded) - len(encoded) // 2)
    body = BoundedBody("gzip", 4 * 1024 * 1024)
    with pytest.raises(UnreadableBody, match="its compressed data is corrupt"):
        _feed_all(body, _chunks(bytes(encoded)))
