"""Import at start what a long-running server's calls would import on first use.

An MCP host keeps ``ocp-users-photo mcp`` running for days while ``pip install -U`` (or
a roll back) replaces the package's files under it. A module first imported in the middle
of a call would come from the other version: ModuleNotFoundError, or two versions' code
mixed in one call. The server imports them before it serves; what they cost then is
what the first call would have spent (tests/test_warm_imports.py checks nothing new is
imported by the calls after).
"""

from __future__ import annotations

import importlib
from typing import Final

from ocp_users_photo.tool import UsersSetPhoto

__all__ = ["import_what_calls_use"]

# Imported inside functions on a call's path (undo's keeping and restoring, a web image's
# fetch, the aiohttp stack's payload): the package's lazy imports that serve start-up time.
_CALL_PATH: Final = (
    "ocp_users_photo.acting_tool",
    "ocp_users_photo.undo.keeper",
    "ocp_users_photo.undo.restore",
    "ocp_users_photo.undo.restore_tool",
    "ocp_users_photo.undo.shown_photo",
    "ocp_users_photo.undo.store",
    "ocp_users_photo.web_image.fetch",
    "ocp_users_photo.web_image.sniff",
    "ocp_users_photo.whoami",
)
_AIOHTTP_STACK: Final = (
    "ocp_users_photo.slack.aiohttp_stack",
    "ocp_users_photo.slack.aiohttp_payload",
    "aiohttp",
)


def import_what_calls_use(tool: UsersSetPhoto) -> None:
    """Import the modules ``tool``'s calls use (blocking: a second or less, once)."""
    for name in _CALL_PATH:
        importlib.import_module(name)
    if tool._slack.http_stack == "aiohttp":
        for name in _AIOHTTP_STACK:
            importlib.import_module(name)
    importlib.import_module("httpcore")  # httpx's transport: web images on either stack
    from PIL import Image

    from ocp_users_photo.images.formats import pillow_decodes_avif

    Image.init()  # every format plugin: Pillow loads them all for the first WebP or TIFF
    pillow_decodes_avif()  # asks PIL.features, once
