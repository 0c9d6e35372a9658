"""The default avatar a user has before setting a photo and after users.deletePhoto."""

from __future__ import annotations

import hashlib
import io

from PIL import Image, ImageDraw, ImageFont

from ocp_users_photo.emulator.renditions import EncodedImage, RenderedPhoto, render_square

_SIDE = 1024


def default_avatar_hash(user_id: str) -> str:
    """Slack's default avatars carry a hash starting with "g" (e.g. "ge3b51ca72de").

    Only custom photos are held to the ^[0-9a-f]{12}$ pattern of setPhoto's
    reply, so a "g" prefix also lets a test tell a default avatar from a photo.
    """
    return "g" + hashlib.sha256(user_id.encode("utf-8")).hexdigest()[:11]


def initials(name: str, fallback: str) -> str:
    """Up to two upper-case initials of a name; the fallback's first letter if it has none."""
    letters = [word[0] for word in name.split() if word[:1].isalnum()]
    if not letters:
        letters = [fallback[:1] or "?"]
    return "".join(letters[:2]).upper()


def avatar_color(user_id: str) -> tuple[int, int, int]:
    """A mid-tone colour derived from the user id, so each user keeps one colour."""
    digest = hashlib.sha256(b"colour:" + user_id.encode("utf-8")).digest()
    # Kept within 60..187 so that white initials stay readable on it.
    red, green, blue = (60 + byte % 128 for byte in digest[:3])
    return red, green, blue


def render_default_avatar(user_id: str, name: str) -> RenderedPhoto:
    """A coloured square with the user's initials, as a PNG original plus every size."""
    square = Image.new("RGB", (_SIDE, _SIDE), avatar_color(user_id))
    draw = ImageDraw.Draw(square)
    font = ImageFont.load_default(size=_SIDE * 2 // 5)
    draw.text(
        (_SIDE // 2, _SIDE // 2),
        initials(name, user_id),
        fill=(255, 255, 255),
        font=font,
        anchor="mm",
    )
    buffer = io.BytesIO()
    square.save(buffer, format="PNG")
    original = EncodedImage(buffer.getvalue(), "image/png", "png")
    return RenderedPhoto(original=original, renditions=render_square(square))
