"""The hostile-input corpus as data: each item, the files it needs, and the outcome it must get.

Every item goes through each front door that can carry it (``DOORS``); ``not_through``
names the doors that cannot, and why, and ``tests/test_corpus.py`` checks that each
such reason is real (the door's encoding of the arguments fails) and that every
other door runs. Arguments name files relative to the corpus folder, which every
door is given as its only image root; ``../outside.png`` lies next to that folder.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Final

from tests.conftest import make_image
from tests.hostile_images import (
    eps_drawing,
    gif_of_tiny_frames,
    oriented,
    png_with_late_exif,
    psd_header,
)
from tests.test_image import animated_gif, exif_rotated_jpeg, png_declaring

CALL: Final = "call"  # await UsersSetPhoto.call(arguments): the reply, or InvalidArguments
RUN: Final = "run"  # await UsersSetPhoto.run(arguments): the reply, or the error object
AGENT: Final = "agent"  # await agent.call_tool('usersSetPhoto', arguments) after register
CLI: Final = "cli"  # ocp-users-photo set IMAGE [--crop-x N ...] --image-root DIR
MCP: Final = "mcp"  # ocp-users-photo mcp --image-root DIR, called by the mcp SDK's client
DOORS: Final = (CALL, RUN, AGENT, CLI, MCP)
PYTHON_DOORS: Final = (CALL, RUN, AGENT)
CROP_OPTIONS: Final = {"crop_x": "--crop-x", "crop_y": "--crop-y", "crop_w": "--crop-w"}

MAX_BYTES: Final = 32 * 1024 * 1024
GIF_FRAMES: Final = 5

# Why a door cannot carry an input: what each one speaks.
CLI_TEXT_ONLY: Final = "the CLI's IMAGE and crop options are text: it has no bytes or objects"
CLI_NO_FLOATS: Final = (
    "the CLI passes crop values as text; a float's text '512.0' is another input, the item "
    "'decimal point in crop text'"
)
CLI_NO_NUL: Final = "argv strings are NUL-terminated: a NUL cannot reach the CLI"
CLI_SURROGATE: Final = (
    "argv is bytes: only U+DC80..U+DCFF (undecodable bytes, surrogate-escaped) can be "
    "carried, not U+D800"
)
CLI_HUGE_INT: Final = (
    "no text of a 5000-digit int can be written (Python's 4300-digit limit); the CLI's "
    "form of it is the item 'digit text of 5001 characters'"
)
CLI_NO_BOOL: Final = "the CLI has no booleans: its crop options take text"
CLI_NO_NULL: Final = "the CLI has no null: leaving the options out is another input"
CLI_NO_NAME: Final = "the CLI has options for the image and the crop box only"
JSON_NO_BYTES: Final = "JSON has no bytes: an MCP client sends text"
JSON_TEXT_NAMES: Final = "JSON object keys are text: the name 1 would arrive as '1'"
JSON_NO_PATHS: Final = "JSON has no path objects: an MCP client sends text"
JSON_SURROGATE: Final = (
    "a lone surrogate is not Unicode: the mcp SDK's client cannot encode it as UTF-8 JSON "
    "(PydanticSerializationError in its stdin writer)"
)
JSON_NOT_FINITE: Final = "JSON has no NaN or Infinity (pydantic would quietly send null)"
JSON_HUGE_INT: Final = (
    "the mcp SDK's server parses at most ~4300-digit numbers: it drops the request "
    "('number out of range') and never answers"
)


@dataclass(frozen=True)
class Accepted:
    """Every door sets the photo; the emulator receives this content type (and crop fields)."""

    content_type: str
    frames: int = 1
    crop: Mapping[str, str] | None = None


@dataclass(frozen=True)
class Refused:
    """Every door refuses with invalid_arguments; ``problems`` maps each path to a message part."""

    problems: Mapping[str, str]

    @property
    def paths(self) -> frozenset[str]:
        return frozenset(self.problems)


@dataclass(frozen=True)
class Item:
    """One hostile or malformed input and the outcome every door must give it."""

    name: str
    arguments: Mapping[Any, Any]
    expected: Accepted | Refused
    not_through: Mapping[str, str] = field(default_factory=dict)
    # Needs a process the file permissions bind (as root: under unshare --user).
    unprivileged: bool = False

    @property
    def doors(self) -> tuple[str, ...]:
        return tuple(door for door in DOORS if door not in self.not_through)


def _python_only(reason_cli: str, reason_mcp: str) -> dict[str, str]:
    return {CLI: reason_cli, MCP: reason_mcp}


PHOTO: Final = "photo.png"  # a valid 600x600 PNG
_CROP_OK: Final = {"crop_x": "0", "crop_y": "0", "crop_w": "512"}
_WANTED_X = "crop_x must be a whole number of pixels from 0 to 65535"
_WANTED_Y = "crop_y must be a whole number of pixels from 0 to 65535"
_WANTED_W = "crop_w must be a whole number of pixels from 1 to 65535"
_NO_FILE = "no file at"
_NOT_DECODED = "not an image in a format this tool decodes (PNG, JPEG, GIF, WEBP, BMP, TIFF"
_OVER_FRAME_CAP = "the image has more than 100 frames; this tool sends at most 100"
_NOT_A_NAME = "cannot be resolved (not a valid file name)"


def _data_uri() -> str:
    return "data:image/png;base64," + base64.b64encode(make_image()).decode()


def _still_gif() -> bytes:
    return make_image((600, 600), "GIF")


CORPUS: Final[tuple[Item, ...]] = (
    Item(
        "zero-byte file",
        {"image": "empty.png"},
        Refused({"$.image": "the image is empty (0 bytes)"}),
    ),
    Item(
        "zero bytes given as bytes",
        {"image": b""},
        Refused({"$.image": "the image is empty (0 bytes)"}),
        not_through=_python_only(CLI_TEXT_ONLY, JSON_NO_BYTES),
    ),
    Item(
        "a directory",
        {"image": "folder.png"},
        Refused({"$.image": "is a folder"}),
    ),
    Item(
        "an unreadable file (mode 000)",
        {"image": "locked.png"},
        Refused(
            {"$.image": "cannot be opened (permission denied): give the path of an image file"}
        ),
        unprivileged=True,
    ),
    Item(
        "a FIFO",
        {"image": "fifo.png"},
        Refused({"$.image": "is not a regular file"}),
    ),
    Item(
        "a symlink loop",
        {"image": "loop-a.png"},
        Refused(
            {"$.image": "(a symlink loop): give the path of the image file itself, not a link"}
        ),
    ),
    Item(
        "escaping the root by ..",
        {"image": "../outside.png"},
        Refused({"$.image": "is outside the folders images may be read from"}),
    ),
    Item(
        "escaping the root by a symlink",
        {"image": "escape.png"},
        Refused({"$.image": "is outside the folders images may be read from"}),
    ),
    Item(
        "a path through a file outside the root (/etc/passwd/x)",
        {"image": "/etc/passwd/x"},
        Refused({"$.image": "is outside the folders images may be read from"}),
    ),
    Item(
        "a path through nothing outside the root (/etc/nopasswd/x): the same answer",
        {"image": "/etc/nopasswd/x"},
        Refused({"$.image": "is outside the folders images may be read from"}),
    ),
    Item(
        # Outside the root, as "~root/..." is: whether the user exists is not told.
        "a path into an unknown user's home (~name)",
        {"image": "~no-such-user-corpus/photo.png"},
        Refused({"$.image": "is outside the folders images may be read from"}),
    ),
    Item(
        "a file: URL outside the root",
        {"image": "file:///etc/hostname"},
        Refused({"$.image": "is outside the folders images may be read from"}),
    ),
    Item(
        "a file name of 300 characters",
        {"image": "n" * 296 + ".png"},
        Refused({"$.image": "(File name too long): give the path of an existing image file"}),
    ),
    Item(
        "an empty image text",
        {"image": ""},
        Refused({"$.image": "image is empty"}),
    ),
    Item(
        "text in a file named .png",
        {"image": "notes.png"},
        Refused({"$.image": _NOT_DECODED}),
    ),
    Item(
        "a truncated PNG",
        {"image": "cut.png"},
        Refused({"$.image": "the PNG file is cut short (no IEND end marker)"}),
    ),
    Item(
        "a PNG named .jpg",
        {"image": "really-a-png.jpg"},
        Accepted("image/png"),
    ),
    Item(
        "a 1x1 image",
        {"image": "tiny.png"},
        Refused({"$.image": "the image is 1x1 pixels; Slack needs at least 512x512"}),
    ),
    Item(
        "a header declaring 100000x100000 pixels",
        {"image": "huge-header.png"},
        Refused({"$.image": "decompression bomb"}),
    ),
    Item(
        "a sparse file over the 32 MiB cap",
        {"image": "over-cap.png"},
        Refused(
            {"$.image": f"the image is 32 MiB ({MAX_BYTES + 1:,} bytes), over the 32 MiB limit"}
        ),
    ),
    Item(
        "a file name that starts with a dash",
        {"image": "-rf.png"},
        Accepted("image/png"),
    ),
    Item(
        "a WEBP file (converted to PNG)",
        {"image": "photo.webp"},
        Accepted("image/png"),
    ),
    Item(
        "an animated GIF",
        {"image": "animated.gif"},
        Accepted("image/gif", frames=GIF_FRAMES),
    ),
    Item(
        "a CMYK JPEG",
        {"image": "cmyk.jpg"},
        Accepted("image/jpeg"),
    ),
    Item(
        "a 16-bit PNG",
        {"image": "deep.png"},
        Accepted("image/png"),
    ),
    Item(
        "an EXIF-rotated JPEG, crop box inside the upright image",
        {"image": "rotated.jpg", "crop_x": 0, "crop_y": 200, "crop_w": 600},
        Accepted("image/jpeg", crop={"crop_x": "0", "crop_y": "200", "crop_w": "600"}),
    ),
    Item(
        "an EXIF-rotated JPEG, crop box inside only the stored pixels",
        {"image": "rotated.jpg", "crop_x": 200, "crop_y": 0, "crop_w": 600},
        Refused({"$.crop_x": "right edge (crop_x 200 + crop_w 600 > width 600)"}),
    ),
    Item(
        "control characters in a path",
        {"image": "new\nline\x1b[2J.png"},
        Refused({"$.image": _NO_FILE}),
    ),
    Item(
        "a newline in a crop value",
        {"image": PHOTO, "crop_x": "0\n", "crop_y": "0", "crop_w": "512"},
        Refused({"$.crop_x": f"{_WANTED_X}, written with the digits 0-9 only"}),
    ),
    Item(
        "crop fields left blank, as a host's form sends them",
        {"image": PHOTO, "crop_x": "", "crop_y": "", "crop_w": ""},
        Refused(
            {
                f"$.crop_{axis}": f"{wanted}, got an empty text: give a number, or leave crop_x,"
                " crop_y and crop_w all out to use the whole image"
                for axis, wanted in (("x", _WANTED_X), ("y", _WANTED_Y), ("w", _WANTED_W))
            }
        ),
    ),
    Item(
        "a non-UTF-8 byte in a file name",
        {"image": "photo\udcff.png"},
        Accepted("image/png"),
        not_through={MCP: JSON_SURROGATE},
    ),
    Item(
        "a lone surrogate in a crop value",
        {"image": PHOTO, "crop_x": "0", "crop_y": "0", "crop_w": "\ud800"},
        Refused({"$.crop_w": f"{_WANTED_W}, written with the digits 0-9 only"}),
        not_through=_python_only(CLI_SURROGATE, JSON_SURROGATE),
    ),
    Item(
        "a lone surrogate in a path",
        {"image": "photo\ud800.png"},
        Refused({"$.image": _NOT_A_NAME}),
        not_through=_python_only(CLI_SURROGATE, JSON_SURROGATE),
    ),
    Item(
        "a NUL in a path",
        {"image": "photo.png\x00.jpg"},
        Refused({"$.image": "image holds a NUL character"}),
        not_through={CLI: CLI_NO_NUL},
    ),
    Item(
        "a NUL in a path object",
        {"image": PurePosixPath("photo.png\x00.jpg")},
        Refused({"$.image": _NOT_A_NAME}),
        not_through=_python_only(CLI_TEXT_ONLY, JSON_NO_PATHS),
    ),
    Item(
        "other scripts' digits as crop text",
        {"image": PHOTO, "crop_x": "0", "crop_y": "0", "crop_w": "\uff15\uff11\uff12"},
        Refused({"$.crop_w": f"{_WANTED_W}, written with the digits 0-9 only"}),
    ),
    Item(
        "a crop value that looks like an option",
        {"image": PHOTO, "crop_x": "0", "crop_y": "--crop-y=0", "crop_w": "--help"},
        Refused(
            {
                "$.crop_y": f"{_WANTED_Y}, written with the digits 0-9 only; got '--crop-y=0'",
                "$.crop_w": f"{_WANTED_W}, written with the digits 0-9 only; got '--help'",
            }
        ),
    ),
    Item(
        "a negative crop value",
        {"image": PHOTO, "crop_x": -1, "crop_y": 0, "crop_w": 512},
        Refused({"$.crop_x": _WANTED_X}),
    ),
    Item(
        "booleans as crop values",
        {"image": PHOTO, "crop_x": True, "crop_y": False, "crop_w": True},
        Refused(
            {
                "$.crop_x": f"{_WANTED_X}, not a boolean",
                "$.crop_y": f"{_WANTED_Y}, not a boolean",
                "$.crop_w": f"{_WANTED_W}, not a boolean",
            }
        ),
        not_through={CLI: CLI_NO_BOOL},
    ),
    Item(
        "null crop values (not given)",
        {"image": PHOTO, "crop_x": None, "crop_y": None, "crop_w": None},
        Accepted("image/png"),
        not_through={CLI: CLI_NO_NULL},
    ),
    Item(
        "integral floats as crop values",
        {"image": PHOTO, "crop_x": 0.0, "crop_y": 0.0, "crop_w": 512.0},
        Accepted("image/png", crop=_CROP_OK),
        not_through={CLI: CLI_NO_FLOATS},
    ),
    Item(
        "a fractional float as a crop value",
        {"image": PHOTO, "crop_x": 0.5, "crop_y": 0, "crop_w": 512},
        Refused({"$.crop_x": f"{_WANTED_X}, got 0.5"}),
        not_through={CLI: CLI_NO_FLOATS},
    ),
    Item(
        "an infinite float as a crop value",
        {"image": PHOTO, "crop_x": 0, "crop_y": 0, "crop_w": float("inf")},
        Refused({"$.crop_w": f"{_WANTED_W}, got a number too large to hold"}),
        not_through=_python_only(CLI_NO_FLOATS, JSON_NOT_FINITE),
    ),
    Item(
        "decimal point in crop text",
        {"image": PHOTO, "crop_x": "0", "crop_y": "0", "crop_w": "512.0"},
        Refused({"$.crop_w": f"{_WANTED_W}, written with the digits 0-9 only; got '512.0'"}),
    ),
    Item(
        "a 100-bit integer",
        {"image": PHOTO, "crop_x": 10**30, "crop_y": 0, "crop_w": 512},
        Refused({"$.crop_x": _WANTED_X}),
    ),
    Item(
        "an integer of 400 digits (past any float)",
        {"image": PHOTO, "crop_x": 0, "crop_y": 10**400, "crop_w": 512},
        Refused({"$.crop_y": _WANTED_Y}),
    ),
    Item(
        "an integer of 5001 digits",
        {"image": PHOTO, "crop_x": 10**5000, "crop_y": 0, "crop_w": 512},
        Refused({"$.crop_x": f"{_WANTED_X}, got a 16610-bit integer"}),
        not_through=_python_only(CLI_HUGE_INT, JSON_HUGE_INT),
    ),
    Item(
        "digit text of 5001 characters",
        {"image": PHOTO, "crop_x": "1" + "0" * 5000, "crop_y": "0", "crop_w": "512"},
        Refused(
            {"$.crop_x": f"{_WANTED_X}, written with at most 5 digits; got a number of 5001 digits"}
        ),
    ),
    Item(
        "nested objects as crop values",
        {"image": PHOTO, "crop_x": {"value": 0}, "crop_y": [0], "crop_w": {"w": {"w": 512}}},
        Refused(
            {
                "$.crop_x": f"{_WANTED_X}, not dict",
                "$.crop_y": f"{_WANTED_Y}, not list",
                "$.crop_w": f"{_WANTED_W}, not dict",
            }
        ),
        not_through={CLI: CLI_TEXT_ONLY},
    ),
    Item(
        "a nested object as the image",
        {"image": {"path": PHOTO, "data": {"base64": ""}}},
        Refused({"$.image": "image must be a file path, a data: URI or base64 text, not dict"}),
        not_through={CLI: CLI_TEXT_ONLY},
    ),
    Item(
        "an unknown argument named with control characters",
        {"image": PHOTO, "\x1b[2J\n": 1},
        # Quoted escaped (hostile14): what the name holds is said, and nothing of it is raw.
        Refused({"$['\\x1b[2J\\n']": "unknown argument '\\x1b[2J\\n': usersSetPhoto takes"}),
        not_through={CLI: CLI_NO_NAME},
    ),
    Item(
        "an argument name that is not text",
        {"image": PHOTO, 1: "x"},
        Refused({"$[1]": "unknown argument 1: usersSetPhoto takes image"}),
        not_through=_python_only(CLI_NO_NAME, JSON_TEXT_NAMES),
    ),
    Item(
        "an http URL",
        {"image": "http://127.0.0.1:9/me.png"},
        # Never "ask for the host to be allowed": --allow-url-host refuses a loopback one.
        Refused({"$.image": "image is a web URL on 127.0.0.1, a loopback address, which this"}),
    ),
    Item(
        "an https URL with a signed query, no host allowed (the query never shown)",
        {"image": "https://images.example.com/me.png?X-Amz-Signature=c2lnbmF0dXJl&x=1"},
        Refused({"$.image": "image is a web URL, and this tool does not fetch URLs"}),
    ),
    Item(
        "a valid data: URI",
        {"image": _data_uri()},
        Accepted("image/png"),
    ),
    Item(
        "a data: URI whose media type says PNG but holds a GIF",
        {"image": "data:image/png;base64," + base64.b64encode(_still_gif()).decode()},
        Accepted("image/gif"),
    ),
    Item(
        "an EPS labelled as a PNG data: URI (Ghostscript would decode it)",
        {"image": "data:image/png;base64," + base64.b64encode(eps_drawing()).decode()},
        Refused({"$.image": _NOT_DECODED}),
    ),
    Item(
        "a Photoshop file named .png",
        {"image": "layers.png"},
        Refused({"$.image": _NOT_DECODED}),
    ),
    Item(
        "a 5.5 KB GIF of 237 one-pixel frames on a 1025x1025 canvas",
        {"image": "tiny-frames.gif"},
        Refused({"$.image": _OVER_FRAME_CAP}),
    ),
    Item(
        "a 29 MB GIF of 1.3 million frames",
        {"image": "million-frames.gif"},
        Refused({"$.image": _OVER_FRAME_CAP}),
    ),
    Item(
        "an animation over the decoded-pixel budget (47 frames of 1100x1000)",
        {"image": "budget.gif"},
        Refused({"$.image": "more than this tool decodes (50 megapixels over all frames)"}),
    ),
    Item(
        "a PNG turned by an eXIf chunk after its pixels, crop box inside the upright image",
        {"image": "turned-late-exif.png", "crop_x": 0, "crop_y": 200, "crop_w": 600},
        Accepted("image/png", crop={"crop_x": "0", "crop_y": "200", "crop_w": "600"}),
    ),
    Item(
        "a WebP turned by EXIF, crop box inside only the stored pixels",
        {"image": "turned.webp", "crop_x": 200, "crop_y": 0, "crop_w": 600},
        Refused({"$.crop_x": "right edge (crop_x 200 + crop_w 600 > width 600)"}),
    ),
    Item(
        "a 3000x2000 image with a 1500-pixel crop box: the box's square cut, then scaled",
        {"image": "wide.png", "crop_x": 1000, "crop_y": 500, "crop_w": 1500},
        Accepted("image/png", crop={"crop_x": "0", "crop_y": "0", "crop_w": "1024"}),
    ),
    Item(
        "a 3000x2000 image with a 100-pixel crop box near a corner: a 512 square around it",
        {"image": "wide.png", "crop_x": 2850, "crop_y": 10, "crop_w": 100},
        Accepted("image/png", crop={"crop_x": "362", "crop_y": "10", "crop_w": "100"}),
    ),
    Item(
        "valid base64 text",
        {"image": base64.b64encode(make_image()).decode()},
        Accepted("image/png"),
    ),
)


def item_named(name: str) -> Item:
    return next(item for item in CORPUS if item.name == name)


def build_corpus_folder(root: Path) -> None:
    """Write every file the corpus names into ``root``, and ``outside.png`` next to it."""
    root.mkdir()
    (root.parent / "outside.png").write_bytes(make_image())
    (root / PHOTO).write_bytes(make_image())
    (root / "empty.png").write_bytes(b"")
    (root / "folder.png").mkdir()
    locked = root / "locked.png"
    locked.write_bytes(make_image())
    locked.chmod(0)
    (root / "loop-a.png").symlink_to("loop-b.png")
    (root / "loop-b.png").symlink_to("loop-a.png")
    (root / "escape.png").symlink_to(Path("..") / "outside.png")
    (root / "cut.png").write_bytes(make_image()[:-30])
    (root / "really-a-png.jpg").write_bytes(make_image())
    (root / "tiny.png").write_bytes(make_image((1, 1)))
    (root / "huge-header.png").write_bytes(png_declaring(100_000, 100_000))
    with (root / "over-cap.png").open("wb") as sparse:
        sparse.truncate(MAX_BYTES + 1)  # a hole: no data block is written
    (root / "animated.gif").write_bytes(animated_gif((600, 600), frames=GIF_FRAMES))
    (root / "cmyk.jpg").write_bytes(
        make_image((600, 600), "JPEG", mode="CMYK", color=(0, 200, 200, 0))
    )
    (root / "deep.png").write_bytes(make_image((600, 600), "PNG", mode="I;16", color=40000))
    (root / "rotated.jpg").write_bytes(exif_rotated_jpeg())
    os.mkfifo(root / "fifo.png")
    (root / "-rf.png").write_bytes(make_image((700, 700)))
    (root / "notes.png").write_text("not a picture, only words\n" * 20)
    (root / "photo.webp").write_bytes(make_image((600, 600), "WEBP"))
    (root / "layers.png").write_bytes(psd_header())
    (root / "tiny-frames.gif").write_bytes(gif_of_tiny_frames((1025, 1025), 237))
    (root / "million-frames.gif").write_bytes(gif_of_tiny_frames((1025, 1025), 1_300_000))
    (root / "budget.gif").write_bytes(gif_of_tiny_frames((1100, 1000), 47))
    (root / "turned-late-exif.png").write_bytes(png_with_late_exif())
    (root / "turned.webp").write_bytes(oriented("WEBP"))
    (root / "wide.png").write_bytes(make_image((3000, 2000)))
    # A file name holding the byte 0xFF, which Python spells as the escape U+DCFF.
    (root / "photo\udcff.png").write_bytes(make_image())


def release_corpus_folder(root: Path) -> None:
    """Give back read permission, so the folder can be removed by anyone."""
    locked = root / "locked.png"
    if locked.exists():
        locked.chmod(0o644)


class Unexpressible(ValueError):
    """The door has no way to carry these arguments."""


def cli_words(arguments: Mapping[str, Any]) -> list[str]:
    """``[--crop-x=N ...] -- IMAGE`` for the CLI, or Unexpressible: argv carries text only.

    Crop values go as text (an int as its decimal digits), which the tool then checks;
    the ``=`` and ``--`` forms let any text through, even one that starts with a dash.
    """
    words: list[str] = []
    image: list[str] = []
    for name, value in arguments.items():
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise Unexpressible(f"{name} is {type(value).__name__}")
        if name != "image" and name not in CROP_OPTIONS:
            raise Unexpressible(f"the CLI has no option for {name!r}")
        if name == "image" and not isinstance(value, str):
            raise Unexpressible("IMAGE is text")
        try:
            text = str(value)
        except ValueError as error:
            raise Unexpressible(str(error)) from None
        if "\x00" in text:
            raise Unexpressible("a NUL in an argv string")
        try:
            os.fsencode(text)
        except UnicodeEncodeError as error:
            raise Unexpressible(str(error)) from None
        if name == "image":
            image = ["--", text]
        else:
            words.append(f"{CROP_OPTIONS[name]}={text}")
    return [*words, *image]


def mcp_arguments(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments as an MCP client sends them (UTF-8 JSON), or Unexpressible."""
    try:
        encoded = json.dumps(dict(arguments), ensure_ascii=False, allow_nan=False).encode()
    except (TypeError, ValueError) as error:
        raise Unexpressible(str(error)) from None
    decoded: dict[str, Any] = json.loads(encoded)
    if not _identical(decoded, arguments):
        raise Unexpressible("JSON would change a value or its type")
    return decoded


def _identical(left: object, right: object) -> bool:
    """Equal, and of the same types all the way down (0.0 is not 0 here)."""
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        return left.keys() == right.keys() and all(_identical(left[k], right[k]) for k in left)
    if type(left) is not type(right):
        return False
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(_identical, left, right))
    return left == right


def expressible_doors(arguments: Mapping[str, Any]) -> tuple[str, ...]:
    """The doors whose encoding of ``arguments`` succeeds (Python doors carry any value)."""
    doors = list(PYTHON_DOORS)
    for door, encode in ((CLI, cli_words), (MCP, mcp_arguments)):
        try:
            encode(arguments)
        except Unexpressible:
            continue
        doors.append(door)
    return tuple(door for door in DOORS if door in doors)
