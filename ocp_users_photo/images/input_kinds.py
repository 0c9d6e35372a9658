"""Which kind of ``image`` argument a value is, so ``ImageIntake`` knows its resolver.

Told apart without touching the disk or decoding anything: bytes-like values are
``bytes``, ``os.PathLike`` a ``path``, objects with ``read`` a ``file``; text is a
``data_uri``, a ``url`` (http or https), a ``file://`` URL's ``path``, ``base64`` or
else a ``path``. Other URL schemes, NUL characters, empty text and values of other
types are refused here. Used by images/resolvers.py, by argument_view.py (what kind of
image a history may say it was) and by the ``set`` command (whether it was a path).
"""

from __future__ import annotations

import os
import re
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from ocp_users_photo.errors import Problem
from ocp_users_photo.images.encoded_text import looks_like_base64, starts_as_image_base64
from ocp_users_photo.images.paths import problem

# Text longer than this is no file path: by its start a data: URI or a URL, else base64.
MAX_PATH_CHARS: Final = 4096
_SCHEME: Final = re.compile(r"([A-Za-z][A-Za-z0-9+.-]{1,15}):")
# A file: URL's path that starts with a drive (/C:/Users/...), as Windows writes them.
_DRIVE_IN_URL: Final = re.compile(r"/[A-Za-z]:[/\\]")
_DRIVE: Final = re.compile(r"[A-Za-z]:")


def kind_of(value: object) -> tuple[str | None, Any, list[Problem]]:
    """Which resolver takes ``value`` (and the value it takes), or why none does."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "bytes", value, []
    if isinstance(value, os.PathLike):
        return "path", value, []
    if isinstance(value, str):
        return _kind_of_text(value)
    if hasattr(value, "read"):
        return "file", value, []
    if value is None or isinstance(value, (bool, int, float, list, dict)):
        # A JSON value, as a model may give: what text may name an image.
        return (
            None,
            None,
            [
                problem(
                    "image must be a file path, a data: URI or base64 text, not "
                    f"{type(value).__name__}"
                )
            ],
        )
    # No model gives anything else: the caller's code does, which may pass bytes or a file.
    return None, None, [problem(_python_value_refused(value))]


def _python_value_refused(value: object) -> str:
    kind = type(value)
    told = (
        f"image must be a file path, bytes, a binary file object, a data: URI or base64 "
        f"text, not {kind.__name__}"
    )
    if kind.__module__.split(".")[0] == "PIL":
        told += " (a Pillow image: save it to an io.BytesIO as PNG and give its getvalue())"
    return told


def _kind_of_text(text: str) -> tuple[str | None, Any, list[Problem]]:
    if len(text) > MAX_PATH_CHARS:
        # Too long for a path: a data: URI or base64, checked in full off the event loop.
        start = text[:64].lstrip()
        if start[:5].lower() == "data:":
            return "data_uri", text.strip(), []
        if start[:7].lower() in ("http://", "https:/"):
            return "url", text.strip(), []
        return "base64", text, []
    if "\x00" in text:
        return (
            None,
            None,
            [problem("image holds a NUL character: give a file path, data: URI or base64")],
        )
    stripped = text.strip()
    if not stripped:
        return None, None, [problem("image is empty: give a file path, a data: URI or base64 text")]
    scheme = _SCHEME.match(stripped)
    if scheme and not _looks_like_windows_drive(stripped):
        name = scheme.group(1).lower()
        if name == "data":
            return "data_uri", stripped, []
        if name in ("http", "https"):
            return "url", stripped, []
        if name == "file" and stripped[5:7] == "//":
            return _file_url_path(stripped)
        if stripped[len(name) + 1 : len(name) + 3] == "//":
            return (
                None,
                None,
                [
                    problem(
                        f"image is a {name}: URL, which this tool does not fetch: give a file "
                        "path, a data: URI or base64 text"
                    )
                ],
            )
    if looks_like_base64(stripped) or starts_as_image_base64(stripped):
        return "base64", text, []
    # Anything else is a path (a file name has a dot, which base64 never holds).
    return "path", text, []


def _file_url_path(url: str) -> tuple[str | None, Any, list[Problem]]:
    """A ``file://`` URL's path on this machine: ``file:///C:/x.png`` is ``C:\\x.png`` on
    Windows; one naming another host (``file://server/share/x.png``) is refused, not read
    as a path of this one."""
    parts = urlsplit(url)
    drive = os.name == "nt" and _DRIVE.fullmatch(parts.netloc) is not None  # file://C:/x.png
    # file:////server/share/x.png names another machine too (a UNC path, on Windows).
    unc = parts.path.startswith("//") or parts.path.startswith("\\\\")
    if (parts.netloc.lower() not in ("", "localhost") and not drive) or unc:
        return (
            None,
            None,
            [
                problem(
                    "image is a file: URL of another machine: give the path of a file on this "
                    "one, or its bytes as base64 or a data: URI"
                )
            ],
        )
    path = unquote(parts.path)
    if drive:
        path = (parts.netloc + path).replace("/", "\\")
    elif os.name == "nt" and _DRIVE_IN_URL.match(path):
        path = path[1:].replace("/", "\\")
    return "path", path, []


def _looks_like_windows_drive(text: str) -> bool:
    return len(text) > 2 and text[1] == ":" and text[0].isalpha() and text[2] in "\\/"
