"""The JSON a client sees: image URLs, setPhoto's profile and users.profile.get's profile."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from starlette.requests import Request

from ocp_users_photo.emulator.default_avatar import default_avatar_hash
from ocp_users_photo.emulator.directory import Person, Photo
from ocp_users_photo.emulator.renditions import RENDITION_SIZES

AVATARS_PREFIX = "/avatars"

# A Host header we are willing to put into URLs: a name or IPv4 address, or a
# bracketed IPv6 address, with an optional port.
_SAFE_HOST = re.compile(r"^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")


def public_root(request: Request) -> str:
    """scheme://host:port the client used, so image URLs work from where it stands.

    An absent or odd Host header falls back to the address the server listens
    on, so that every URL in a reply stays a valid URI.
    """
    host = request.headers.get("host", "")
    if not _SAFE_HOST.match(host):
        server = request.scope.get("server") or ("127.0.0.1", 80)
        address, port = str(server[0]), int(server[1])
        host = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
    return f"{request.url.scheme}://{host}"


def image_path(user_id: str, avatar_hash: str, name: str) -> str:
    """Where one image of a photo is served; `name` is e.g. "72.png" or "original.jpg"."""
    return f"{AVATARS_PREFIX}/{user_id}/{avatar_hash}/{name}"


def photo_fields(root: str, user_id: str, photo: Photo) -> dict[str, str]:
    """avatar_hash, image_24 ... image_1024 and image_original for a photo."""
    fields = {"avatar_hash": photo.avatar_hash}
    for size in RENDITION_SIZES:
        rendition = photo.images.renditions.get(size, photo.images.original)
        fields[f"image_{size}"] = root + image_path(
            user_id, photo.avatar_hash, f"{size}.{rendition.extension}"
        )
    fields["image_original"] = root + image_path(
        user_id, photo.avatar_hash, f"original.{photo.images.original.extension}"
    )
    return fields


def default_photo_fields(root: str, user_id: str) -> dict[str, str]:
    """A default avatar's fields: no image_original, as Slack shows for a user without a photo."""
    avatar_hash = default_avatar_hash(user_id)
    fields = {"avatar_hash": avatar_hash}
    for size in RENDITION_SIZES:
        fields[f"image_{size}"] = root + image_path(user_id, avatar_hash, f"{size}.png")
    return fields


def profile_json(root: str, person: Person, team_id: str) -> dict[str, Any]:
    """users.profile.get's `profile` object, valid against Slack's objs_user_profile."""
    record = person.record
    profile: dict[str, Any] = {
        "real_name": record.real_name,
        "real_name_normalized": _normalised(record.real_name),
        "display_name": record.display_name,
        "display_name_normalized": _normalised(record.display_name),
        "title": record.title,
        "phone": "",
        "skype": "",
        "status_text": "",
        "status_emoji": "",
        "status_expiration": 0,
        "fields": {},
        "team": team_id,
        "updated": person.updated,
        "is_custom_image": person.photo is not None,
    }
    if record.email is not None:
        profile["email"] = record.email
    if person.photo is None:
        profile.update(default_photo_fields(root, record.user_id))
    else:
        profile.update(photo_fields(root, record.user_id, person.photo))
    return profile


def _normalised(name: str) -> str:
    # Slack's *_normalized fields drop accents: "Zoë" becomes "Zoe".
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(char for char in decomposed if not unicodedata.combining(char))
