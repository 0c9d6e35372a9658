"""safe_view: a call's arguments as observers and histories may see them.

A Python caller may pass ``token=`` and a whole image; a model may put anything in an
argument's name or value. The view keeps the crop box's and an entry's plain values (of
any other argument, its type only), says what kind of image was given (bytes and their
count, a path's file name, a URL's host and file name, a data: URI's length) and never
holds the token, image bytes or long text.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from ocp_users_photo.credentials import SecretTexts
from ocp_users_photo.images.input_kinds import kind_of
from ocp_users_photo.safe_text import REDACTED, ascii_lower, may_spell_otherwise, redacted, shown
from ocp_users_photo.web_image import looks_like_web_url, redact_url

_PLAIN_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}")
# The tools' own arguments whose values are plain numbers: kept as given. Any other
# argument a model or a caller adds ("password", "api_key"), and any of these that is not a
# number, keeps its type only.
_VALUES_KEPT: Final = frozenset({"crop_x", "crop_y", "crop_w", "entry"})
# The text form of such a value that is kept: as many digits as any of them takes (an
# entry's text, up to 15).
_FEW_DIGITS: Final = re.compile(r"[0-9]{1,15}")
# How much of an image path's file name the view shows.
_NAME_SHOWN: Final = 60


def safe_view(arguments: Mapping[str, Any], secrets: SecretTexts | None = None) -> dict[str, Any]:
    """The arguments as history may keep them: no token, no image bytes, no long strings.

    ``secrets``: the forms of the token the call will send, where known (the tool's fixed
    token, an agent's): a name, a path or a kept number that holds one in a shape not
    known as a token's (its secret alone, a look-alike hyphen) keeps none of it. Looked
    for once in the whole view (a few microseconds), field by field only when found.
    """
    view = _view(arguments, ())
    if not secrets:
        return view
    parts = [*view, *(str(value) for value in view.values())]
    image = arguments.get("image") if isinstance(arguments, Mapping) else None
    if isinstance(image, (str, os.PathLike)) and len(os.fspath(image)) > _NAME_SHOWN:
        # The path's whole name too: the view shows 60 characters of it, and a token's form
        # cut there (its base64 is 104 characters) is found by no search of the view.
        name = _path_name(image)
        if name is not None and len(name) > _NAME_SHOWN:
            parts.append(name)
    folded = ascii_lower("\x00".join(parts)).encode("utf-8", "surrogatepass")
    # An escape (%38, &#56;, \x38) may spell a form no plain search finds: redacted()
    # reads such text back, so the careful pass runs for it.
    if not may_spell_otherwise(folded) and not secrets.found_in(folded):
        return view
    return _view(arguments, secrets.texts())


def _view(arguments: Mapping[str, Any], secrets: Sequence[str]) -> dict[str, Any]:
    if not isinstance(arguments, Mapping):
        return {"arguments": f"<{type(arguments).__name__}>"}
    view: dict[str, Any] = {}
    for index, (name, value) in enumerate(list(arguments.items())[:20]):
        key = _shown_name(name, index)
        if secrets and redacted(key, secrets) != key:
            key = f"<argument {index + 1}>"
        if key == "token":
            view[key] = "[redacted]"
        elif key == "image":
            view[key] = _image_kind(value, secrets)
        elif key in _VALUES_KEPT and _plain_number(value) and not _holds(value, secrets):
            view[key] = value
        else:
            view[key] = f"<{type(value).__name__}>"
    return view


def _holds(value: object, secrets: Sequence[str]) -> bool:
    """Whether a kept number's digits are a run of the token's (its secret may hold 12
    digits in a row): kept, the history would hold that piece of it."""
    return bool(secrets) and redacted(str(value), secrets) != str(value)


def _plain_number(value: object) -> bool:
    """Whether ``value`` is a number, or a text of a few ASCII digits: nothing a model could
    write words in (kept, "IGNORE ALL RULES" would travel in every later request's
    OCP-Session header), nor a piece of a token's secret. Not a NaN or an infinity, which
    Python's json.loads reads from a model's text: kept, one would go into a history that
    travels as JSON as NaN, which no strict parser reads back."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return abs(value) < 10**15
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, str) and _FEW_DIGITS.fullmatch(value) is not None


def _shown_name(name: object, index: int) -> str:
    """An argument's name as history may keep it: a short identifier that is no credential.

    A model may put anything in a name, a token included; such names become placeholders.
    """
    if (
        isinstance(name, str)
        and _PLAIN_NAME.fullmatch(name)
        and not name.lower().startswith(("xox", "xapp"))
    ):
        return name
    return f"<argument {index + 1}>"


def _path_name(value: object) -> str | None:
    """The file name of an image given as a path (the resolvers' own verdict: base64 text,
    whose alphabet has "/", is no path); None for any other kind of image."""
    if isinstance(value, os.PathLike):
        return os.path.basename(os.fsdecode(value))
    if isinstance(value, str) and not looks_like_web_url(value.strip()[:4096]):
        if value.strip()[:5].lower() == "data:":
            return None
        kind, normalised, _ = kind_of(value)
        if kind == "path":
            name: str = os.path.basename(normalised)
            return name
    return None


def _image_kind(value: object, secrets: Sequence[str] = ()) -> str:
    """What kind of image argument was given, without its content, nor any of ``secrets``:
    a path's name is redacted whole, then cut (cut first, a token's long form, its base64,
    kept its first 45 characters, as no redaction finds a form cut short)."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{len(value)} bytes>"
    name = _path_name(value)
    if name is not None:
        # A token pasted as the image's name stays out of history (masked, as in errors).
        if not secrets:
            return f"<path {shown(name, _NAME_SHOWN)}>"
        name = redacted(name, secrets)
        if name == REDACTED:  # escapes (%38) spelling a run of it: no kind told either
            return REDACTED
        # Again once shown: its cleaning may join what the whole name kept apart.
        return redacted(f"<path {shown(name, _NAME_SHOWN)}>", secrets)
    return redacted(_kind_of_other(value), secrets) if secrets else _kind_of_other(value)


def _kind_of_other(value: object) -> str:
    """What kind of image argument, not a path, was given, without its content."""
    if isinstance(value, str):
        stripped = value.strip()
        if looks_like_web_url(stripped[:4096]):
            # The host and the file's name only: query strings often carry signatures.
            return f"<url {redact_url(stripped[:4096])[:120]}>"
        if stripped[:5].lower() == "data:":
            return f"<data: URI, {len(value)} characters>"
        return f"<text, {len(value)} characters>"
    return f"<{type(value).__name__}>"
