"""Byte counts and pixel limits in the words a person reads at a glance.

A refusal that said "75028011 bytes, over the 33554432-byte limit" made its reader
count digits; "71.6 MiB (75,028,011 bytes), over the 32 MiB limit" does not, and keeps
the exact count for whoever needs it. Units are binary and named so (1 MiB = 1024 x 1024
bytes), as the README names its limits ("32 MiB") and the command line's "Photo set (PNG
800x800, 5.1 KiB)" counts them: "32 MB" for 33,554,432 bytes read as the README's
limit in another unit, or a decimal one.
"""

from __future__ import annotations

_KB = 1024
_MB = 1024 * 1024


def byte_size(byte_count: int) -> str:
    """``byte_count`` as "1000 bytes", "97.7 KiB" or "71.6 MiB", with its exact count
    beside it from a kibibyte up: "71.6 MiB (75,028,011 bytes)"."""
    if byte_count < _KB:
        return f"{byte_count} bytes"
    return f"{_rounded(byte_count)} ({byte_count:,} bytes)"


def short_byte_size(byte_count: int) -> str:
    """A size as a summary line gives it, one decimal always: "812 B", "5.1 KiB", "2.0 MiB"."""
    if byte_count < _KB:
        return f"{byte_count} B"
    unit, name = _unit_of(byte_count)
    return f"{byte_count / unit:.1f} {name}"


def byte_limit(max_bytes: int) -> str:
    """A limit as an adjective before "limit": "the 32 MiB limit", "the 100 KiB limit", and
    exactly where no unit divides it: "the 4,704-byte limit" (a limit is never rounded)."""
    for unit, name in ((_MB, "MiB"), (_KB, "KiB")):
        if max_bytes >= unit and max_bytes % unit == 0:
            return f"{max_bytes // unit:,} {name}"
    return f"{max_bytes:,}-byte"


def pixel_count(pixels: int) -> str:
    """A pixel limit as "50 megapixels" where a million divides it, else exactly
    ("1,260,000 pixels"): a limit is never rounded (over "1.3 megapixels" was said of
    1,265,000 pixels against a limit of 1,260,000)."""
    if pixels >= 1_000_000 and pixels % 1_000_000 == 0:
        millions = pixels // 1_000_000
        return f"{millions:,} megapixel" + ("" if millions == 1 else "s")
    return f"{pixels:,} pixels"


def _rounded(byte_count: int) -> str:
    unit, name = _unit_of(byte_count)
    return f"{byte_count / unit:.1f}".removesuffix(".0") + f" {name}"


def _unit_of(byte_count: int) -> tuple[int, str]:
    return (_MB, "MiB") if byte_count >= _MB else (_KB, "KiB")
