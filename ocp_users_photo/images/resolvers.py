"""Image resolvers: one per kind of ``image`` argument, each giving bytes plus header facts.

Kinds: a file path (``str`` or ``os.PathLike``, or a ``file://`` URL), ``bytes``
(``bytearray``, ``memoryview``), a binary file object, plain base64 text, a
``data:image/...;base64,`` URI, and a web URL (refused here, by ``RefusedUrls``; the
tool puts ``images/url_resolver.py``'s ``UrlResolver`` in its place, which fetches from
the hosts it was allowed). ``ImageIntake`` tells the kind and hands the value to its
resolver (images/input_kinds.py tells the kinds apart).

Every resolver is async and keeps blocking work off the event loop: a path is
resolved, opened and its header read in one worker-thread call; bytes already in
memory are inspected inline only when that is cheap and bounded (a small PNG or
JPEG), otherwise in a worker thread too.
"""

from __future__ import annotations

import io
import os
import stat
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Protocol, runtime_checkable

from ocp_users_photo.errors import Problem
from ocp_users_photo.images import byte_budget
from ocp_users_photo.images.byte_budget import ByteBudget, Held
from ocp_users_photo.images.encoded_text import (
    decode_base64,
    decode_data_uri,
    looks_like_base64,
    source_from_bytes,
    starts_as_image_base64,
)
from ocp_users_photo.images.header import HeaderFacts, is_unreadable, read_header

# The kind of a value lives in input_kinds.py; ``kind_of`` is re-exported (``X as X``)
# for callers that import it from here, where it was defined until input_kinds.py.
from ocp_users_photo.images.input_kinds import MAX_PATH_CHARS
from ocp_users_photo.images.input_kinds import kind_of as kind_of
from ocp_users_photo.images.limits import ImageLimits
from ocp_users_photo.images.paths import (
    open_confined,
    path_exists,
    problem,
    reason,
    size_problem_of,
)
from ocp_users_photo.images.source import ImageSource
from ocp_users_photo.safe_text import quoted
from ocp_users_photo.sizes import byte_limit
from ocp_users_photo.worker_threads import (
    in_decoding_thread,
    in_file_object_thread,
    in_worker_thread,
)

# In memory and at most this size, a PNG or JPEG header is read on the event loop: the
# parse is bounded and takes microseconds, less than a trip to a worker thread.
_INLINE_HEADER_BYTES: Final = 2 * 1024 * 1024
# Text (base64, a data: URI) longer than this is decoded in the one decoding thread, taking
# turns with other calls' (worker_threads.in_decoding_thread); shorter text, which may also
# be a file's path, in a worker thread as every other source. Under it, a decoding is a
# millisecond or two.
_DECODED_IN_TURN_CHARS: Final = 256 * 1024
_CHEAP_HEADERS: Final = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")


@dataclass(frozen=True)
class IntakeContext:
    """What every resolver needs to know: where paths may be read, and the size caps."""

    image_roots: tuple[Path, ...] | None
    limits: ImageLimits
    # Whether the image may be fetched from another host (a URL): not for a call refused
    # already (a bad argument, no usable token), which sends nothing, so fetches nothing
    # either; its URL is then checked offline only (``ChecksOffline``).
    fetches: bool = True


@dataclass
class ResolvedImage:
    """The image's bytes (or open file) and what its header says: what the checks use."""

    source: ImageSource
    facts: HeaderFacts

    def close(self) -> None:
        self.source.close()


Resolution = tuple[ResolvedImage | None, list[Problem]]


class ImageResolver(Protocol):
    """Turns one kind of ``image`` argument into bytes plus header facts, or problems."""

    async def resolve(self, value: Any, context: IntakeContext) -> Resolution: ...


@runtime_checkable
class ChecksOffline(Protocol):
    """A resolver that can tell, without I/O, that it will refuse a value (a URL on a host
    off the list): the intake asks it before taking the bytes it would make from the
    process's budget, so such a refusal never waits in line behind other calls' images."""

    def offline_problems(self, value: Any, context: IntakeContext) -> list[Problem]: ...


# Takes bytes from the process's budget, waiting its turn (``ImageIntake``'s, lent out).
Take = Callable[[int], Awaitable[None]]


@runtime_checkable
class TakesWhenKnown(Protocol):
    """A resolver that knows what it will make only part-way (a web URL: once the host's
    answer headers are in), and takes it from the process's budget then, with ``take``,
    at most once; the intake holds nothing for it before, and gives back what was taken
    as it does for the other kinds. Without it, a URL held the whole cap for its fetch."""

    async def resolve_taking(
        self, value: Any, context: IntakeContext, take: Take
    ) -> Resolution: ...


def inspect_source(
    source: ImageSource | None, problems: list[Problem], limits: ImageLimits
) -> Resolution:
    """Read the header of a source just opened; close it if it is no image. Blocking."""
    if source is None:
        return None, problems
    try:
        facts, header_problems = read_header(source, limits)
    except BaseException:
        source.close()
        raise
    if facts is None:
        source.close()
        return None, header_problems
    return ResolvedImage(source=source, facts=facts), []


async def _in_thread(function: Callable[..., Resolution], *args: Any) -> Resolution:
    return await in_worker_thread(function, *args, discard=_close_resolved)


def _close_resolved(resolution: Resolution) -> None:
    """What a cancelled resolution opened, closed."""
    resolved, _ = resolution
    if resolved is not None:
        resolved.close()


async def inspect_in_memory(
    source: ImageSource | None, problems: list[Problem], limits: ImageLimits
) -> Resolution:
    """Inspect bytes in memory: inline when cheap and bounded, else in a worker thread."""
    if source is None:
        return None, problems
    if source.data is None:
        return await _in_thread(inspect_source, source, problems, limits)
    data = source.data
    if len(data) <= _INLINE_HEADER_BYTES and data.startswith(_CHEAP_HEADERS):
        return inspect_source(source, problems, limits)
    return await _in_thread(inspect_source, source, problems, limits)


class SourceResolver:
    """A resolver in two steps: open the source (may block), then read its header.

    ``open_source`` does the kind's own work; ``resolve`` runs it, with the header
    read, in one worker-thread call, unless ``opens_in_memory`` says the kind only
    touches memory (then the header is read inline when that is cheap); long text of a
    kind that ``decodes_text`` is decoded in the one decoding thread instead.
    """

    opens_in_memory = False
    # Text decoded in memory (base64, data: URIs): long text takes its turn to decode.
    decodes_text = False

    def open_source(
        self, value: Any, context: IntakeContext
    ) -> tuple[ImageSource | None, list[Problem]]:
        raise NotImplementedError

    async def resolve(self, value: Any, context: IntakeContext) -> Resolution:
        if self.opens_in_memory:
            source, problems = self.open_source(value, context)
            return await inspect_in_memory(source, problems, context.limits)
        if self.decodes_text and isinstance(value, str) and len(value) > _DECODED_IN_TURN_CHARS:
            return await in_decoding_thread(
                self._resolve_blocking, value, context, discard=_close_resolved
            )
        return await _in_thread(self._resolve_blocking, value, context)

    def _resolve_blocking(self, value: Any, context: IntakeContext) -> Resolution:
        source, problems = self.open_source(value, context)
        return inspect_source(source, problems, context.limits)


class PathResolver(SourceResolver):
    """A file path (text, ``os.PathLike``, or the path of a ``file://`` URL), inside the roots."""

    def open_source(
        self, value: Any, context: IntakeContext
    ) -> tuple[ImageSource | None, list[Problem]]:
        text = os.fsdecode(value) if isinstance(value, os.PathLike) else str(value)
        return open_confined(text, context.image_roots, context.limits.max_bytes)


class BytesResolver(SourceResolver):
    """Bytes, a bytearray or a memoryview: the image itself.

    A bytearray or a memoryview is copied (the caller may change it while the upload is
    under way): its size is checked first, a copy past ``_COPIED_INLINE_BYTES`` is made in
    a worker thread, and the copy is taken from the process's byte budget (``bytes_made``).
    Copied on the event loop, before the size check and outside the budget, a 1 GiB
    bytearray held the loop for 0.66 s to be refused, and 30 calls on one of 31 MiB grew
    the process by 933 MiB at once (a review)."""

    opens_in_memory = True

    def open_source(
        self, value: Any, context: IntakeContext
    ) -> tuple[ImageSource | None, list[Problem]]:
        return source_from_bytes(bytes(value), "bytes", "image", context.limits.max_bytes)

    async def resolve(self, value: Any, context: IntakeContext) -> Resolution:
        if isinstance(value, bytes):
            resolved, problems = await super().resolve(value, context)
        else:
            copied = copied_bytes(value)
            too_large = size_problem_of(copied, context.limits.max_bytes)
            if too_large is not None:
                return None, [too_large]  # before any copy
            if copied > _COPIED_INLINE_BYTES:
                resolved, problems = await _in_thread(self._resolve_blocking, value, context)
            else:
                resolved, problems = await super().resolve(value, context)
        if resolved is None and problems and all(is_unreadable(found) for found in problems):
            hint = _text_in_bytes(value)
            if hint is not None:
                problems = [Problem(found.path, f"{found.message}; {hint}") for found in problems]
        return resolved, problems


_TEXT_SNIFF_BYTES: Final = 4096
# A bytearray or memoryview this large is copied on the event loop (about 0.65 ms a MiB
# here); a larger one in a worker thread.
_COPIED_INLINE_BYTES: Final = 256 * 1024


def copied_bytes(value: bytearray | memoryview) -> int:
    """How many bytes ``bytes(value)`` makes (a memoryview of wider items: all of them)."""
    return memoryview(value).nbytes


def _text_in_bytes(value: Any) -> str | None:
    """What to do when bytes that are no image are text: base64 (``b64encode`` returns
    bytes) or a path (``os.fsencode``). Their text is never quoted back."""
    view = memoryview(value)
    # Its head only: a copy of the whole (up to the cap) is not made to read 4 KiB of it
    # (a view that is not contiguous, which no caller's image is, is copied whole).
    whole = view.cast("B") if view.c_contiguous else memoryview(view.tobytes())
    head = whole[:_TEXT_SNIFF_BYTES].tobytes()
    if not head.isascii():
        return None
    text = head.decode("ascii")
    if not "".join(text.split()).isprintable():  # base64.encodebytes() breaks its lines
        return None
    return BASE64_IN_BYTES if looks_like_base64(text) else TEXT_IN_BYTES


# What bytes that are text are said to be, after why they are no image (a caller's words:
# the command line, whose bytes come from stdin, says it its own way).
BASE64_IN_BYTES: Final = (
    "these bytes are base64 text, and bytes are taken as the image itself: give "
    "the text as str (.decode()), or the decoded bytes"
)
TEXT_IN_BYTES: Final = (
    "these bytes are text, and bytes are taken as the image itself: give a file path "
    "as str or pathlib.Path (.decode() it), base64 as str"
)


class FileObjectResolver(SourceResolver):
    """A caller's open binary file: read up to the cap (in a thread of its kind), never closed.

    Read from where it stands, never moved: one that stands past its start and gives no
    image from there is told where it stood and to rewind it.
    """

    async def resolve(self, value: Any, context: IntakeContext) -> Resolution:
        # Threads of their own: a read that never returns holds no path reader's thread.
        return await in_file_object_thread(
            self._resolve_blocking, value, context, discard=_close_resolved
        )

    def _resolve_blocking(self, value: Any, context: IntakeContext) -> Resolution:
        started_at = _position_past_its_start(value)
        source, problems = self.open_source(value, context)
        resolved, problems = inspect_source(source, problems, context.limits)
        unreadable = bool(problems) and all(is_unreadable(found) for found in problems)
        if resolved is None and source is not None and started_at and unreadable:
            # Bytes came, and were no image: they may be one's middle (its header read first).
            # An image refused for its size or frames is one from there: no rewinding helps.
            problems = [
                Problem(
                    found.path,
                    f"{found.message}; the image file object was read from where it stood "
                    f"(position {started_at}), not from its start: rewind it with seek(0) "
                    "first, or pass the file's bytes",
                )
                for found in problems
            ]
        return resolved, problems

    def open_source(
        self, value: Any, context: IntakeContext
    ) -> tuple[ImageSource | None, list[Problem]]:
        max_bytes = context.limits.max_bytes
        name = getattr(value, "name", None)
        stem = Path(name).stem if isinstance(name, str) and name else "image"
        # Quoted as a person's value (quoted): a host's name of thousands of characters went
        # whole into the refusal of one over the cap, and to the model with it.
        label = f"file object {quoted(name)}" if isinstance(name, str) else "file object"
        on_disk = _bytes_left_on_disk(value)
        too_large = None if on_disk is None else size_problem_of(max(on_disk, 1), max_bytes)
        if too_large is not None:
            # From its size on disk, as a path's: the cap was read for nothing, and said to
            # be "32 MiB (33,554,433 bytes)" whatever the file's size.
            return None, [too_large]
        try:
            chunk = _read_to_cap(value, max_bytes + 1)
        except UnicodeDecodeError:
            # A PNG's or JPEG's first byte is no UTF-8: a text-mode read fails at once.
            return None, [problem("the image file is open in text mode: open it with 'rb'")]
        except (OSError, ValueError) as error:
            if _is_closed(value):
                return None, [
                    problem(
                        "the image file object is closed: give it while it is open (inside "
                        "its with block), or give the file's path or bytes"
                    )
                ]
            # reason() speaks of paths: a ValueError here is the file object's, no name's.
            why = reason(error) if isinstance(error, OSError) else type(error).__name__
            return None, [problem(f"the image file object cannot be read ({why})")]
        if isinstance(chunk, str):
            return None, [problem("the image file is open in text mode: open it with 'rb'")]
        if not isinstance(chunk, (bytes, bytearray, memoryview)):
            return None, [problem("the image file object's read() did not return bytes")]
        if not chunk:
            ended = _position_past_its_start(value)
            if ended:
                # Written, then not rewound (Image.save(buffer), then buffer given as it is).
                return None, [
                    problem(
                        f"the image file object is read from where it stands, and it stands "
                        f"at its end (position {ended}): rewind it with seek(0) first"
                    )
                ]
        if len(chunk) > max_bytes:  # the rest left unread: it may be far more than cap + 1
            return None, [
                problem(
                    f"the image {label} is over the {byte_limit(max_bytes)} limit (more than "
                    f"{max_bytes:,} bytes came, and the rest was not read): send a smaller "
                    "file (Slack shows photos at most 1024x1024 pixels)"
                )
            ]
        return source_from_bytes(bytes(chunk), label, stem, max_bytes)


# What a file object's read() may give that is taken as its bytes (open_source).
_BYTES_READ: Final = (bytes, bytearray, memoryview)


def _read_to_cap(file: Any, most: int) -> Any:
    """``file.read(most)``, asked first for no more than an open disk file holds from where it
    stands, plus one byte: a buffered file allocates what it is asked for, and a block of
    the cap (32 MiB) mapped afresh for a 1 MB file took ten times the read itself. One
    that grew since, or tells no size, is read on up to ``most`` as before."""
    left = _bytes_left_on_disk(file)
    if left is None or left + 1 >= most:
        return _read_on(file, most)
    chunk = file.read(left + 1)
    if isinstance(chunk, _BYTES_READ) and len(chunk) == left + 1:  # it grew: the rest, to the cap
        more = _read_on(file, most - len(chunk))
        if isinstance(more, _BYTES_READ):
            chunk = bytes(chunk) + more
    return chunk


# What _read_on asks for after a short read: a raw read allocates all it is asked for.
_READ_ON_PIECE: Final = 1024 * 1024


def _read_on(file: Any, most: int) -> Any:
    """``file.read(most)``, asked again after a short read until it ends or gives ``most``:
    an unbuffered file (a pipe's, a socket's: ``Popen(bufsize=0).stdout``) gives what one
    system read has, 64 KiB of a pipe, and its first piece was taken as the whole image
    ("truncated"). What is not bytes is given back as it came, for open_source to name."""
    chunk = file.read(most)
    if not isinstance(chunk, _BYTES_READ) or not chunk or len(chunk) >= most:
        return chunk
    if isinstance(file, io.BufferedIOBase):  # it reads on itself to its end (BytesIO too)
        return chunk
    whole = bytearray(chunk)
    while len(whole) < most:
        more = file.read(min(most - len(whole), _READ_ON_PIECE))
        if not isinstance(more, _BYTES_READ) or not more:  # its end (None: nothing yet)
            break
        whole += more
    return whole


def _bytes_left_on_disk(file: Any) -> int | None:
    """How many bytes a file object on a regular disk file has from where it stands.

    Only an ``io`` file is asked: a SpooledTemporaryFile's ``fileno()`` writes what it holds
    in memory out to a file on disk (Starlette's and Werkzeug's uploads are ones, the
    latter's wrapper handing every attribute on to it), changing the caller's file."""
    # Looked up, not imported: while tempfile is not imported, no such file can exist.
    spooled = getattr(sys.modules.get("tempfile"), "SpooledTemporaryFile", None)
    if not isinstance(file, io.IOBase) or (spooled is not None and isinstance(file, spooled)):
        return None
    try:
        status = os.fstat(file.fileno())
        if not stat.S_ISREG(status.st_mode):
            return None
        position = file.tell()
    except Exception:  # no descriptor, not seekable, or a caller's method that raises
        return None
    if not isinstance(position, int) or position < 0:
        return None
    return max(status.st_size - position, 0)


def _is_closed(file: Any) -> bool:
    """Whether a file object says it is closed (one that cannot say is taken as open)."""
    try:
        return getattr(file, "closed", False) is True
    except Exception:  # a caller's property may raise anything
        return False


def _position_past_its_start(file: Any) -> int:
    """Where a seekable file object stands, if past its start; else 0."""
    try:
        position = file.tell() if file.seekable() else 0
    except (AttributeError, OSError, ValueError):
        return 0
    return position if isinstance(position, int) and position > 0 else 0


class Base64Resolver(SourceResolver):
    """Plain base64 text; a text that could also be a file name is a path if that file exists."""

    decodes_text = True

    def open_source(
        self, value: Any, context: IntakeContext
    ) -> tuple[ImageSource | None, list[Problem]]:
        text = str(value)
        if len(text) <= MAX_PATH_CHARS and path_exists(text, context.image_roots):
            return PathResolver().open_source(text, context)
        source, problems = decode_base64(text, "base64 text", context.limits.max_bytes)
        if source is None and len(text) > MAX_PATH_CHARS and not looks_like_base64(text):
            # Taken for base64 by its length alone: it may be a path, too long to be one.
            return None, [
                problem(
                    f"image is {len(text)} characters of text that is not base64, and too "
                    f"long for a file path ({MAX_PATH_CHARS} characters at most): give a "
                    "shorter path, or the file's bytes as base64 or a data: URI"
                )
            ]
        return source, problems

    async def resolve(self, value: Any, context: IntakeContext) -> Resolution:
        resolved, problems = await super().resolve(value, context)
        if resolved is None and problems and _may_name_a_file(value):
            # A long path without an extension, mistyped or missing, is shaped like base64:
            # told only that its "base64" is no image, a model that meant a path is lost.
            hint = _NO_SUCH_FILE if context.image_roots is None else _NO_SUCH_FILE_IN_ROOTS
            problems = [Problem(found.path, f"{found.message}; {hint}") for found in problems]
        return resolved, problems


_NO_SUCH_FILE: Final = "if it is meant as a file's path, no file is there: check the path"
# The same whether a file is outside the folders or missing (as path_exists tells it).
_NO_SUCH_FILE_IN_ROOTS: Final = (
    "if it is meant as a file's path, no file by that name is in the folders images may be "
    "read from: check the path"
)


def _may_name_a_file(value: Any) -> bool:
    """Whether base64-shaped text could have been meant as a file's path: short enough for
    one, and not beginning as an image's base64 does (a PNG's "iVBOR", a JPEG's "/9j/")."""
    if not isinstance(value, str):
        return False
    text = value.strip()
    return len(text) <= MAX_PATH_CHARS and not starts_as_image_base64(text)


class DataUriResolver(SourceResolver):
    """A ``data:image/...;base64,`` URI (decoded off the loop: it may be megabytes)."""

    decodes_text = True

    def open_source(
        self, value: Any, context: IntakeContext
    ) -> tuple[ImageSource | None, list[Problem]]:
        return decode_data_uri(str(value), context.limits.max_bytes)


class RefusedUrls(SourceResolver):
    """Web URLs, refused with what to do instead: for an intake that fetches nothing.

    The tool never uses it: its ``UrlResolver`` takes the ``url`` kind, and refuses too
    while no host is allowed.
    """

    opens_in_memory = True

    def offline_problems(self, value: Any, context: IntakeContext) -> list[Problem]:
        return [
            problem(
                "image is a web URL, and this tool does not fetch URLs: download the file "
                "first, then give its path, a data: URI or base64 text"
            )
        ]

    def open_source(
        self, value: Any, context: IntakeContext
    ) -> tuple[ImageSource | None, list[Problem]]:
        return None, self.offline_problems(value, context)


def default_resolvers() -> dict[str, ImageResolver]:
    """A resolver for each kind of argument, URLs refused (the tool puts its ``UrlResolver``
    in place of ``RefusedUrls``)."""
    return {
        "path": PathResolver(),
        "bytes": BytesResolver(),
        "file": FileObjectResolver(),
        "base64": Base64Resolver(),
        "data_uri": DataUriResolver(),
        "url": RefusedUrls(),
    }


@dataclass
class ImageIntake:
    """Tells the kind of an ``image`` argument and hands it to that kind's resolver."""

    resolvers: Mapping[str, ImageResolver] = field(default_factory=default_resolvers)

    async def resolve(self, value: object, context: IntakeContext) -> Resolution:
        if isinstance(value, str) and len(value) > max_text_chars(context.limits):
            # Refused before any work proportional to its size (no scan, no decoding).
            return None, [too_much_text(len(value), context.limits)]
        kind, normalised, problems = kind_of(value)
        if kind is None:
            return None, problems
        resolver = self.resolvers[kind]
        if not context.fetches and isinstance(resolver, ChecksOffline):
            return None, resolver.offline_problems(normalised, context)
        making = bytes_made(kind, normalised, context.limits)
        if not making:
            return await resolver.resolve(normalised, context)
        if isinstance(resolver, ChecksOffline):
            refused = resolver.offline_problems(normalised, context)
            if refused:  # told at once: no bytes to wait for, none made
                return None, refused
        taking = _Taking(byte_budget.image_bytes)  # looked up at each use, as paths.py does
        try:
            if isinstance(resolver, TakesWhenKnown):
                resolved, problems = await resolver.resolve_taking(normalised, context, taking.take)
            else:
                await taking.take(making)  # its turn, within the call's deadline
                resolved, problems = await resolver.resolve(normalised, context)
        except BaseException:
            taking.release()
            raise
        if resolved is None:
            taking.release()
        elif taking.held is not None:
            resolved.source.keep_held(taking.held)
        return resolved, problems


class _Taking:
    """What one resolution took from ``budget``: ``take`` once, then given back or kept."""

    def __init__(self, budget: ByteBudget) -> None:
        self._budget = budget
        self.held: Held | None = None

    async def take(self, count: int) -> None:
        """Take ``count`` bytes, waiting its turn (the bytes are not taken if cancelled)."""
        if self.held is not None:
            raise RuntimeError("a resolution takes from the byte budget once")
        self.held = await self._budget.hold(count)

    def release(self) -> None:
        if self.held is not None:
            self.held.release()


def bytes_made(kind: str, value: object, limits: ImageLimits) -> int:
    """The bytes resolving an image of ``kind`` makes in memory, at most: base64's decoded
    size, the cap for a file object or a URL (read up to it), a bytearray's or a
    memoryview's copy; none for a path (read as it is sent), bytes (the caller's, sent as
    they are) or a copy over the cap (refused before it is made). A resolver that
    ``TakesWhenKnown`` (a URL) takes what it learns instead, when it learns it."""
    if kind in ("base64", "data_uri") and isinstance(value, str):
        return min(len(value) // 4 * 3 + 3, limits.max_bytes + 3)
    if kind in ("file", "url"):
        return limits.max_bytes
    if kind == "bytes" and isinstance(value, bytearray | memoryview):
        copied = copied_bytes(value)
        return copied if copied <= limits.max_bytes else 0
    return 0


def max_text_chars(limits: ImageLimits) -> int:
    """The longest text an image may come as: base64 of the byte cap, a little whitespace
    (line breaks every 64 characters and more), and a data: URI's header."""
    encoded = (limits.max_bytes + 2) // 3 * 4
    return encoded + encoded // 16 + 4096


def too_much_text(length: int, limits: ImageLimits) -> Problem:
    return problem(
        f"the image text is {length:,} characters, more than the {max_text_chars(limits):,} "
        f"that base64 of the {byte_limit(limits.max_bytes)} limit can take: send a smaller "
        "image, or a file path"
    )


def open_image_source(
    value: object, *, image_roots: tuple[Path, ...] | None, limits: ImageLimits
) -> tuple[ImageSource | None, list[Problem]]:
    """The bytes or open file behind ``value`` with the default resolvers; no header read.

    Blocking (it may touch the disk): for tools and tests that need only the bytes.
    """
    kind, normalised, problems = kind_of(value)
    if kind is None:
        return None, problems
    resolver = default_resolvers()[kind]
    assert isinstance(resolver, SourceResolver)
    return resolver.open_source(normalised, IntakeContext(image_roots=image_roots, limits=limits))
