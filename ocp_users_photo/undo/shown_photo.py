"""The photo Slack shows a person now, read to be kept: users.profile.get, then the original.

``users.profile.get`` says whether the photo is the person's own (``is_custom_image``),
its ``avatar_hash`` and, for their own, ``image_original``. That URL came in Slack's
authenticated reply, so it is fetched, once, through the guarded image fetch
(``web_image``): https only, that one host, no token, no proxy, bounded in bytes and
time; plain http only to the loopback emulator the tool itself talks to. The bytes
must then be an image this tool can send back (Pillow reads the header, in a worker
thread). A token without users.profile:read, an original that cannot be downloaded
or is no image: ``KeepingImpossible`` saying what to do. Slack's other refusals
(``token_revoked``, ``ratelimited``...) and a Slack that cannot be reached are raised
as they are (``SlackApiError``, ``TransportError``): they are about the token or the
network, which the change itself would meet too, and say what to do.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

import anyio.to_thread

from ocp_users_photo.errors import SlackApiError, UsersPhotoError
from ocp_users_photo.images.byte_budget import Holding
from ocp_users_photo.images.header import read_header
from ocp_users_photo.images.limits import MAX_LIMIT, ImageLimits
from ocp_users_photo.images.source import ImageSource
from ocp_users_photo.images.upload import CONTENT_TYPES
from ocp_users_photo.slack.deadlines import seconds_left, within_call
from ocp_users_photo.slack.session import SlackSession
from ocp_users_photo.undo.entries import AVATAR_HASH, ShownPhoto, is_default_avatar
from ocp_users_photo.undo.errors import KeepingImpossible
from ocp_users_photo.undo.shown_whole import shown_whole
from ocp_users_photo.web_image import ConnectionFailed, FetchTimedOut, ImageUrlRefused, UrlPolicy
from ocp_users_photo.web_image.refusals import ImageTooLarge, what_happened
from ocp_users_photo.worker_threads import (
    imported_off_loop,
    in_conversion_thread,
    in_worker_thread,
)

__all__ = ["READ_SCOPE_FIX", "read_shown_photo"]

READ_SCOPE_FIX: Final = (
    "add the user scope users.profile:read to the Slack app (OAuth & Permissions, or "
    "oauth_config.scopes.user in its manifest), reinstall it and use the new user token"
)
# The squares Slack shows of a photo, largest first, that an undo could send back whole.
_SHOWN_SQUARES: Final = ("image_1024", "image_512")
# Small ones, to tell whether a square original is shown uncut, and how large one may be.
_SMALL_SQUARES: Final = ("image_192", "image_72")
_SMALL_SQUARE_BYTES: Final = 512 * 1024
# Slack's calls go through the environment's https proxy; image downloads never do, so the
# address checks mean something (DEFAULTS.md), Slack's own avatar host included.
UNREACHED_FIX: Final = (
    "try again later. Images are never downloaded through a proxy: where this host reaches "
    "the web only through one (HTTPS_PROXY), the replaced photo cannot be kept there"
)


async def read_shown_photo(
    session: SlackSession,
    *,
    limits: ImageLimits,
    made_here: Callable[[str], Awaitable[bool]],
    holding: Holding,
    fetch_seconds: float = 30.0,
) -> ShownPhoto:
    """What the session's person has as a photo now, with a custom photo's original bytes.

    ``limits.max_bytes`` caps each download; ``holding`` takes what each will make (from
    ``kept_photo_bytes``, as its headers come, within the call's deadline): the caller
    releases it once the bytes are kept, or dropped. ``made_here(avatar_hash)``: whether a change
    made here set that photo, so the crop box it is shown with is known. Otherwise the
    photo may have been cut by whatever set it (Slack's own clients crop an upload, square
    or not, and image_original is the upload uncut; the box is in no reply): then the
    square Slack shows (image_1024, else image_512) is kept, so that an undo gives back
    what people saw, not the whole original; a square original that is what Slack shows,
    uncut (``shown_whole``), is kept as it came. So is it for an
    original under Slack's least side (``limits.min_side``), which no upload may be: with
    no such square, the photo cannot be kept (KeepingImpossible).
    """
    try:
        reply = await session.call("users.profile.get")
    except SlackApiError as refused:
        if refused.error != "missing_scope":
            raise
        raise KeepingImpossible(
            "the token may not read the profile (Slack: missing_scope, users.profile:read needed)",
            fix=READ_SCOPE_FIX,
            needs_read_scope=True,
        ) from None
    profile = reply.body.get("profile")
    if not isinstance(profile, Mapping):
        raise KeepingImpossible(
            "Slack's users.profile.get reply has no profile", fix="try again later"
        )
    avatar_hash = _avatar_hash(profile)
    original = profile.get("image_original")
    custom = profile.get("is_custom_image")
    if is_default_avatar(avatar_hash, is_custom=custom):
        return ShownPhoto(kind="default", avatar_hash=avatar_hash)
    if not isinstance(original, str) or not original:
        raise KeepingImpossible(
            "Slack's profile names no image_original for the person's own photo",
            fix="try again later",
        )
    data = await _download(original, session, limits, fetch_seconds, holding)
    try:
        content_type, (width, height) = await in_worker_thread(_checked_image, data, limits)
    except KeepingImpossible as unusable:
        # An original Slack would not take back whole (a format other than PNG, JPEG or GIF,
        # kept by whatever set it; one that does not decode): the square Slack shows of it
        # is what people saw, and what an undo can send back. Not for a photo a change made
        # here: it goes back as its original cut by that change's crop box, which the
        # history attaches by its avatar hash, and the square would be cut again.
        square = None
        if not await made_here(avatar_hash):
            square = await _shown_square(profile, session, limits, fetch_seconds, holding)
        if square is None:
            raise unusable from None
        data, content_type = square
        return ShownPhoto(
            kind="custom", avatar_hash=avatar_hash, data=data, content_type=content_type
        )
    too_small = min(width, height) < limits.min_side
    # Not made here, the crop box it is shown with is not known, square or not: another
    # client may have zoomed into a square upload, or a change here with keeping off cut
    # it; kept whole, an undo would give back the uncut image. A square one Slack shows
    # uncut is kept as it came (shown_whole).
    if too_small or not await made_here(avatar_hash):
        if not too_small and width == height:
            # Told by a small square Slack shows (a few KB, outside the byte budget: the
            # change holds its original meanwhile, and would hold a second one at once).
            small = await _shown_small(profile, session, limits, fetch_seconds)
            # The comparison decodes the original whole: in turn with the conversions, as
            # parallel calls each decoding one at once multiplied the process's memory.
            if small is not None and await _compared(data, small):
                # Shown uncut: kept as it came, its own bytes and size.
                return ShownPhoto(
                    kind="custom", avatar_hash=avatar_hash, data=data, content_type=content_type
                )
        square = await _shown_square(profile, session, limits, fetch_seconds, holding)
        if square is not None:
            data, content_type = square
        elif too_small:
            # Kept, it could never be put back: Slack takes no photo under its least side.
            raise KeepingImpossible(
                f"its original is {width}x{height} pixels, under Slack's {limits.min_side}x"
                f"{limits.min_side} minimum, and Slack names no square of it that large, so "
                "it could not be put back",
                fix=f"set a photo of at least {limits.min_side}x{limits.min_side} pixels in "
                "Slack first",
            )
    return ShownPhoto(kind="custom", avatar_hash=avatar_hash, data=data, content_type=content_type)


async def _shown_square(
    profile: Mapping[str, Any],
    session: SlackSession,
    limits: ImageLimits,
    seconds: float,
    holding: Holding,
) -> tuple[bytes, str] | None:
    """The largest square Slack shows of the photo, one Slack would take back whole; None
    when Slack names none, or none such (the original is kept then, as the best there is,
    unless it is under Slack's least side: then the photo cannot be kept).

    One Slack names that could not be downloaded (a 503, a timeout), with no other to
    take its place, refuses the keeping (KeepingImpossible, "try again later"): the
    uncut original kept instead gave back another picture than people saw (a review)."""
    unread: KeepingImpossible | None = None
    for key in _SHOWN_SQUARES:
        try:
            shown = await _rendition(
                profile, key, session, limits, seconds, holding, downloads_told=True
            )
        except KeepingImpossible as failed:
            unread = unread or failed
            continue
        if shown is not None:
            data, content_type, (width, height) = shown
            if width == height >= limits.min_side:
                return data, content_type
    if unread is not None:
        raise unread
    return None


async def _shown_small(
    profile: Mapping[str, Any], session: SlackSession, limits: ImageLimits, seconds: float
) -> bytes | None:
    """A small square Slack shows of the photo (``image_192``, else ``image_72``), for
    ``shown_whole`` to compare; None when there is none to read (the shown square is kept
    then, as for a photo cut)."""
    # Its header is read before any pixel: a small download may declare a huge image (a
    # PNG of zeros, 150 KB for 150 million pixels), which the comparison would decode whole.
    small_limits = dataclasses.replace(
        limits,
        max_bytes=_SMALL_SQUARE_BYTES,
        max_declared_side=limits.max_side,
        # Within ImageLimits' own bound (a max_side past 94 million squares past it).
        max_declared_pixels=min(limits.max_side * limits.max_side, MAX_LIMIT),
    )
    for key in _SMALL_SQUARES:
        shown = await _rendition(profile, key, session, small_limits, seconds, None)
        if shown is not None:
            return shown[0]
    return None


async def _rendition(
    profile: Mapping[str, Any],
    key: str,
    session: SlackSession,
    limits: ImageLimits,
    seconds: float,
    holding: Holding | None,
    *,
    downloads_told: bool = False,
) -> tuple[bytes, str, tuple[int, int]] | None:
    """The image the profile names under ``key``, its media type and size as shown, once
    downloaded and checked within ``limits``; None where it names none, or one that could
    not be read or is no image Slack takes as it is. ``downloads_told``: one that could
    not be downloaded raises KeepingImpossible instead (saying so of ``key``)."""
    url = profile.get(key)
    if not isinstance(url, str) or not url:
        return None
    try:
        data = await _download(
            url, session, limits, seconds, holding, what=f"the square Slack shows ({key})"
        )
    except KeepingImpossible:
        if downloads_told:
            raise
        return None
    try:
        content_type, size = await in_worker_thread(_checked_image, data, limits)
    except KeepingImpossible:
        return None
    return data, content_type, size


def _avatar_hash(profile: Mapping[str, Any]) -> str:
    value = profile.get("avatar_hash")
    if isinstance(value, str) and AVATAR_HASH.fullmatch(value):
        return value
    raise KeepingImpossible(
        "Slack's profile has no usable avatar_hash, so the photo shown cannot be told apart",
        fix="try again later",
    )


async def _download(
    url: str,
    session: SlackSession,
    limits: ImageLimits,
    seconds: float,
    holding: Holding | None,
    *,
    what: str = "its original",
) -> bytes:
    """The image at ``url`` (``what`` the profile names there, as messages say it)."""
    left = seconds_left(seconds)  # within the call's deadline, as its Slack requests are
    if left <= 0:
        raise KeepingImpossible(
            f"no time was left of the call's deadline to download {what}",
            fix="try again (or give the tool a longer deadline=)",
        )
    try:
        policy = UrlPolicy.for_slack_image(
            url, slack_base_url=session.base_url, max_bytes=limits.max_bytes, total_timeout=left
        )
        await imported_off_loop("ocp_users_photo.web_image.fetch")
        from ocp_users_photo.web_image.fetch import fetch_image

        try:
            trusted = await session.image_tls_context()
        except ValueError as unreadable:  # the operator's CA file (trusted_roots.py)
            # A setting to mend, not Slack's URL: "try again later" could never help.
            raise KeepingImpossible(
                f"{what} could not be downloaded ({unreadable})",
                fix="trying again will not help until whoever runs the tool mends that setting",
            ) from None
        fetched = await fetch_image(
            url,
            policy,
            ssl_context=trusted,
            hold_body=functools.partial(_take, holding) if holding is not None else None,
        )
    except KeepingImpossible:
        raise
    except ImageUrlRefused as refused:
        unreached = isinstance(refused, (ConnectionFailed, FetchTimedOut))
        # Said of the photo Slack shows, which no caller can give instead (another URL, a
        # file, a smaller image): that advice goes (what to do is the fix below).
        happened = what_happened(refused)
        if isinstance(refused, ImageTooLarge):
            fix = (
                "trying again will not help: whoever runs the tool may allow a larger one "
                "(in Python, PhotoHistory(max_original_bytes=...))"
            )
        else:
            fix = UNREACHED_FIX if unreached else "try again later"
        raise KeepingImpossible(f"{what} could not be downloaded ({happened})", fix=fix) from None
    except (ValueError, UsersPhotoError) as refused:
        raise KeepingImpossible(
            f"Slack's URL of {what} cannot be used ({str(refused)[:200]})",
            fix="try again later",
        ) from None
    if await anyio.to_thread.run_sync(session.echoed_in, fetched.data):
        # Kept, the history file would hold the token, and an undo would send it on.
        raise KeepingImpossible(
            "the image Slack's profile names holds this call's token (or a secret kept beside "
            "it), which Slack never writes into a photo, so it was not kept (a history file "
            "never holds a token)",
            fix="check that the tool talks to Slack itself (base_url, SLACK_API_URL)",
        )
    return fetched.data


async def _compared(data: bytes, small: bytes) -> bool:
    """``shown_whole``, its turn waited for no longer than the call's deadline: behind
    other calls' conversions, a call of 3 s waited as long as they took (20 s and more)."""
    return await within_call(
        in_conversion_thread(shown_whole, data, small),
        lambda: KeepingImpossible(
            "the call's deadline ended while it waited its turn to compare the photo with "
            "the small square Slack shows of it (other calls were converting images)",
            fix="try again (or give the tool a longer deadline=)",
        ),
    )


async def _take(holding: Holding, count: int) -> None:
    """``count`` bytes of ``kept_photo_bytes`` for a download, waiting (for the first) no
    longer than the call's deadline: the photos other changes keep fill that memory."""
    await within_call(
        holding.take(count),
        lambda: KeepingImpossible(
            "the call's deadline ended while it waited for memory to download it (other "
            "changes held that memory with the photos they were keeping)",
            fix="try again (or give the tool a longer deadline=)",
        ),
    )


def _checked_image(data: bytes, limits: ImageLimits) -> tuple[str, tuple[int, int]]:
    """The media type and size (as shown) of ``data`` if it is an image Slack takes as it is;
    KeepingImpossible if not.

    Blocking (Pillow), for a worker thread.
    """
    source = ImageSource(
        label="the kept original", filename_stem="original", byte_count=len(data), data=data
    )
    facts, problems = read_header(source, limits)
    if facts is not None:
        facts.picture.close()
        if facts.slack_format is not None and not facts.incomplete:
            return CONTENT_TYPES[facts.slack_format], facts.display_size
    if problems:
        why = problems[0].message
    elif facts is not None and facts.incomplete:
        why = facts.incomplete
    else:
        why = "not a PNG, JPEG or GIF"
    raise KeepingImpossible(
        f"its original is not an image that could be put back ({why[:200]})",
        fix="set the photo again from a PNG, JPEG or GIF file",
    )
