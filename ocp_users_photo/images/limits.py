"""The sizes Slack documents, and the caps that keep a hostile image from exhausting memory."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class ImageLimits:
    """Slack's documented sizes, and the caps that keep a hostile image from exhausting memory."""

    min_side: int = 512
    max_side: int = 1024
    max_declared_side: int = 65535
    max_declared_pixels: int = 50_000_000
    max_decoded_pixels: int = 250_000_000
    max_bytes: int = 32 * 1024 * 1024


DEFAULT_LIMITS: Final = ImageLimits()
