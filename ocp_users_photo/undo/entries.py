"""The values of the photo history: whose it is, the photo shown before a change, a kept entry.

``HistoryOwner`` is the person a history belongs to. ``ShownPhoto`` is what Slack
showed just before a change (a custom photo's original bytes, or the default
avatar). ``KeptPhoto`` is one entry as listed: never the bytes, never a token.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from ocp_users_photo.crop import CropBox

# Slack's avatar_hash as this package takes it (and, reading a history, checks it again).
AVATAR_HASH: Final = re.compile(r"[0-9A-Za-z]{1,64}")
# The largest entry number any door takes: JSON's largest exact integer (a model's number),
# far past any entry a history numbers, and quoted in a message in 16 digits at most.
MAX_ENTRY: Final = 2**53 - 1
# Slack's default avatars' hashes start so (a photo's hash is hex digits alone).
DEFAULT_AVATAR_HASH_PREFIX: Final = "g"
PhotoKind = Literal["custom", "default"]
# pending: kept, and the change was about to be sent (a crash, a cut connection or a call
# its caller cancelled leaves it so: the change may not have happened). changed: Slack
# answered the change. unknown: the request reached Slack but no usable answer came back.
EntryStatus = Literal["pending", "changed", "unknown"]

STATUS_TEXT: Final = {
    "pending": (
        "kept; the change may not have happened (the call was cancelled, or the process "
        "stopped, before Slack answered)"
    ),
    "changed": "kept; the change was made",
    "unknown": "kept; the change reached Slack but no answer came, so it may not have happened",
}


def is_default_avatar(avatar_hash: str, *, is_custom: object = None) -> bool:
    """Whether the photo shown is Slack's default avatar, whose undo is users.deletePhoto.

    One rule for a profile read now and an entry an older version kept: a "g" hash is the
    default, whatever else is said (a photo's hash is hex digits alone, so an upload of the
    default's picture is never what a "g" hash calls for); else Slack's
    ``is_custom_image: false``. Nothing else: a profile that says neither, and names no
    ``image_original``, was taken for the default too, and its undo deleted the person's
    own photo (a reply cut short, or a server's of another shape); it is a photo that
    cannot be kept (shown_photo.py), never one an undo removes.
    """
    return avatar_hash.startswith(DEFAULT_AVATAR_HASH_PREFIX) or is_custom is False


@dataclass(frozen=True, order=True)
class HistoryOwner:
    """The person a history belongs to: a workspace (enterprise id, else team id) and a user id.

    From the person the host bound (``acting_as``), else from ``auth.test`` for the token.
    """

    workspace: str
    user_id: str

    def __str__(self) -> str:
        return f"{self.user_id} in {self.workspace or '?'}"


@dataclass(frozen=True)
class ShownPhoto:
    """What Slack showed before a change: a custom photo's original, or the default avatar."""

    kind: PhotoKind
    avatar_hash: str
    data: bytes | None = field(default=None, repr=False)
    content_type: str | None = None

    @property
    def byte_count(self) -> int | None:
        return len(self.data) if self.data is not None else None


@dataclass(frozen=True)
class KeptPhoto:
    """One kept photo, as listed: when it was kept, what it was, what replaced it.

    ``entry`` is the number to give ``restore``; ``original`` is True for the person's
    oldest entry, the photo they had before any change made here, which is never evicted.
    """

    entry: int
    kept_at: datetime.datetime
    kind: PhotoKind
    avatar_hash: str
    status: EntryStatus
    sha256: str | None = None
    byte_count: int | None = None
    content_type: str | None = None
    crop_box: CropBox | None = None
    replaced_by: dict[str, Any] = field(default_factory=dict)
    original: bool = False

    def describe(self) -> str:
        """One line for a terminal: number, time, what it is, and its state."""
        # Local time with its offset from UTC: without it, the hour a clock is set back at
        # a DST change showed an entry kept later as earlier ("newest first" out of order),
        # and two entries an hour apart at the same time.
        when = self.kept_at.astimezone().strftime("%Y-%m-%d %H:%M:%S %z")
        if self.kind == "default":
            what = "Slack's default avatar"
        else:
            size = f"{self.byte_count} bytes" if self.byte_count is not None else "? bytes"
            kind = (self.content_type or "image").removeprefix("image/").upper()
            what = f"{kind} photo, {size}, sha256 {(self.sha256 or '')[:12]}"
            if self.crop_box is not None:
                what += f", crop {self.crop_box}"
        tags = " (the original)" if self.original else ""
        if self.status != "changed":
            tags += f" [{self.status}: the change may not have happened]"
        return f"#{self.entry}  {when}  {what}  avatar_hash {self.avatar_hash}{tags}"

    def as_dict(self) -> dict[str, Any]:
        """JSON for a model or ``--json``: no bytes, no token."""
        return {
            "entry": self.entry,
            "kept_at": self.kept_at.isoformat(timespec="seconds"),
            "kind": self.kind,
            "avatar_hash": self.avatar_hash,
            "sha256": self.sha256,
            "bytes": self.byte_count,
            "content_type": self.content_type,
            "crop": self.crop_box.form_fields() if self.crop_box is not None else None,
            "status": self.status,
            "status_text": STATUS_TEXT[self.status],
            "original": self.original,
            "replaced_by": self.replaced_by,
        }
