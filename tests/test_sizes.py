"""Sizes in refusals read at a glance: "71.6 MiB (75,028,011 bytes), over the 32 MiB limit",
where "75028011 bytes, over the 33554432-byte limit" made the reader count digits; a limit
is never rounded, and the pixel caps advise a smaller copy, not "at most 1024x1024" (a
larger photo within them is read and scaled down)."""

from __future__ import annotations

import pytest

from ocp_users_photo.images.header import too_many_pixels
from ocp_users_photo.images.limits import ImageLimits
from ocp_users_photo.images.paths import size_problem_of
from ocp_users_photo.sizes import byte_limit, byte_size, pixel_count


@pytest.mark.parametrize(
    ("count", "said"),
    [
        (0, "0 bytes"),
        (1023, "1023 bytes"),
        (1024, "1 KiB (1,024 bytes)"),
        (102_400, "100 KiB (102,400 bytes)"),
        (1_048_575, "1024 KiB (1,048,575 bytes)"),
        (75_028_011, "71.6 MiB (75,028,011 bytes)"),
    ],
)
def test_a_byte_count_is_rounded_with_its_exact_count_beside_it(count: int, said: str) -> None:
    assert byte_size(count) == said


@pytest.mark.parametrize(
    ("limit", "said"),
    [
        (100, "100-byte"),
        (4704, "4,704-byte"),  # no unit divides it: exact, never "4.6 KiB"
        (2048, "2 KiB"),
        (32 * 1024 * 1024, "32 MiB"),
        (32 * 1024 * 1024 + 1, "33,554,433-byte"),
    ],
)
def test_a_limit_is_shown_exactly(limit: int, said: str) -> None:
    assert byte_limit(limit) == said


def test_pixel_limits_read_in_megapixels_only_where_a_million_divides_them() -> None:
    assert pixel_count(50_000_000) == "50 megapixels"
    assert pixel_count(1_000_000) == "1 megapixel"
    assert pixel_count(1_260_000) == "1,260,000 pixels"  # never "1.3 megapixels"
    assert pixel_count(999_999) == "999,999 pixels"


def test_a_file_over_the_cap_is_told_in_megabytes_and_bytes() -> None:
    found = size_problem_of(75_028_011, 32 * 1024 * 1024)
    assert found is not None
    assert "the image is 71.6 MiB (75,028,011 bytes), over the 32 MiB limit" in found.message


def test_the_pixel_cap_advises_a_smaller_copy_not_slacks_display_size() -> None:
    message = too_many_pixels(ImageLimits()).message
    assert "far more than 50 megapixels" in message, message
    assert "send a smaller copy of it" in message, message
    assert "of at most 1024x1024 pixels" not in message, message
