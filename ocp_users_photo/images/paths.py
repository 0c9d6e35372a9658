"""Opening an image file a caller named, confined to the image roots. Blocking: run in a thread.

With roots set, the roots decide first: a path that is not inside one as written
(made absolute, ``.`` and ``..`` applied) gets the same refusal whether or not it
exists, so nothing about the rest of the file system is revealed. A path inside is
then opened without blocking (a FIFO must never stall), and the handle itself is
checked: a regular file, whose real path (read from the handle, every symlink
followed) lies inside a root. Only that handle is read, so swapping a folder for a
symlink, or a file for a FIFO, between a check and the open changes nothing. The
byte cap is checked on the handle's size before a byte is read. Symlinks that stay
inside a root keep working. A small file is read whole from the handle at once
(``READ_WHOLE_BYTES``): what is checked is then exactly what is sent.

Without roots (the Python API and the CLI by default) any readable file may be named.
An empty tuple of roots means no folder at all: every path is refused with how to
give one (a model door whose working directory is ``/``, the home folder or a folder holding it).
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import stat
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from ocp_users_photo.deferred_close import DeferredCloseFile
from ocp_users_photo.errors import IMAGE_PATH, Problem
from ocp_users_photo.images import byte_budget
from ocp_users_photo.images.beneath import (
    LeadsOut,
    Missing,
    can_open_beneath,
    exists_beneath,
    open_beneath,
)
from ocp_users_photo.images.look_alike_names import (
    LookAlikes,
    escapes_told,
    first_missing,
    folder_named_alike,
    look_alikes_in,
    shown_name,
)
from ocp_users_photo.images.source import ImageSource
from ocp_users_photo.safe_text import (
    REDACTED,
    letters_up_to,
    shown,
    without_tokens,
    wrapping_advice,
)
from ocp_users_photo.sizes import byte_limit, byte_size

# A file up to this size is read whole by the worker-thread call that opens it: sending
# it from the open file would read as much in one further trip (slack/form.py's
# READ_BLOCK_BYTES and READ_TAIL_BYTES), so the trip is spared and Pillow reads the
# header from memory, not the file (a 1 MB PNG from a path: 15% less client CPU a call,
# 12% more calls a second at 64 at once; benchmarks/read_whole.py). The bytes are held
# until the image is closed, not only while it is sent, so they are taken from the
# process's byte budget, without waiting: when it has no room, the file streams.
# Larger files stay open and stream.
READ_WHOLE_BYTES: Final = 1280 * 1024
_GROWN_PIECE_BYTES: Final = 64 * 1024
# The longest path Linux tells back for an open file (/proc/self/fd: a page, its NUL included).
_PATH_MAX_BYTES: Final = 4096
_OPEN_FLAGS: Final = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_NOCTTY", 0)
)
_FOLDER_FLAGS: Final = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
RELATIVE_RULE: Final = "a relative path is taken from the first image folder"
NO_ROOT_ADVICE: Final = (
    "image paths are not read here: no image folder is configured (an empty list was "
    "given, or none was and the working directory is /, the home folder, a folder holding "
    "it, or removed: never used as one). Start the MCP server with "
    "--image-root DIR, or give image_roots=[DIR] to register() or UsersSetPhoto, then name "
    "a file inside it; bytes, base64 text and data: URIs work as they are"
)
# What a model reads instead: what it can send now, and what the person does (a model
# knows no Python API; an MCP host reads the server's args only when it starts).
NO_ROOT_ADVICE_FOR_MODELS: Final = (
    "image paths are not read here: no image folder is configured for this tool. Send the "
    "image as base64 text or a data: URI instead, or ask the person to add a folder to the "
    "tool's configuration (for an MCP server: --image-root DIR in the host's configuration, "
    "then restart the host: quit it completely and open it again) and to put the image in it"
)


def _for_message(text: str) -> str:
    """``text`` quoted in a refusal: its token shapes masked, and redacted whole where it
    reads as a token otherwise (``shown``: "x\\u00f3xp-..." or look-alike letters was
    quoted whole, the path as typed kept, white space and all)."""
    if shown(text[:1000], 1000) == REDACTED:
        return REDACTED
    masked = without_tokens(text[:1000])
    return masked if len(masked) <= 200 else letters_up_to(masked, 200) + "..."


def problem(message: str) -> Problem:
    return Problem(IMAGE_PATH, message)


def anchor(path: str, image_roots: Sequence[Path] | None) -> str:
    """A relative path is taken from the first image root when roots are set, else the cwd."""
    if os.path.isabs(path) or not image_roots:
        return path
    return os.path.join(image_roots[0], path)


def lexically_inside(text: str, image_roots: Sequence[Path] | None) -> bool:
    """Whether ``text`` names a place inside the roots as written (no file system access).

    Always true without roots; never with an empty tuple of roots.
    """
    if image_roots is None:
        return True
    if not image_roots:
        return False
    expanded = _home_expanded(text)
    if expanded is None or expanded.startswith("~"):
        return False
    absolute = os.path.normpath(anchor(expanded, image_roots))
    return os.path.isabs(absolute) and _inside(absolute, image_roots)


def path_exists(text: str, image_roots: Sequence[Path] | None) -> bool:
    """Whether ``text`` names an existing file; with roots, only one inside them: a link in
    a root leading out counts as nothing there, whatever is at its far end (else the answer
    tells what exists outside: base64-shaped text is decoded when no file is found)."""
    if not lexically_inside(text, image_roots):
        return False
    try:
        named = anchor(os.path.expanduser(text), image_roots)
        if image_roots is not None and can_open_beneath():
            # As the open reaches it (walked within the roots): the system's lookup would
            # tell what lies outside on a way out and back in.
            return exists_beneath(named, image_roots)
        if not os.path.exists(named):
            return False
    except (OSError, ValueError, RuntimeError):
        return False
    return image_roots is None or _really_inside(named, image_roots, unfollowable=False)


def _home_expanded(text: str) -> str | None:
    """``text`` with ``~`` expanded; None when the system cannot look the name up (a lone
    surrogate in ``~name`` cannot be encoded for the password database)."""
    try:
        return os.path.expanduser(text)
    except (UnicodeError, ValueError, OSError):
        return None


def _really_inside(named: str, image_roots: Sequence[Path], *, unfollowable: bool = True) -> bool:
    """Whether ``named``, its links followed as far as they lead (no file is opened), is
    inside the roots; the opened file is checked again (a link may change meanwhile).
    A name that cannot be followed (NUL, a lone surrogate) counts as ``unfollowable``:
    inside before an open, which then refuses it; outside where nothing is opened."""
    try:
        real = os.path.realpath(named)
    except (OSError, ValueError, RuntimeError):
        return unfollowable
    return _inside(real, image_roots)


def _inside(resolved: str, image_roots: Sequence[Path]) -> bool:
    # normcase: Windows' file names are case-insensitive (c:\users\... is C:\Users\...);
    # on POSIX it changes nothing. The opened file is checked again by its real path.
    resolved = os.path.normcase(resolved)
    for root in image_roots:
        text = os.path.normcase(os.fspath(root))
        if resolved == text or resolved.startswith(text.rstrip(os.sep) + os.sep):
            return True
    return False


def _outside(shown_path: str, image_roots: Sequence[Path], *, by_a_link: bool = False) -> Problem:
    """Outside the roots: the file moved in, or the roots widened by whoever runs the tool
    (one text at every door: a model relays the second to the person). ``by_a_link``: the
    path as written is inside, and a link on its way leads out: said so (the path alone
    read as inside, against the words), never where it leads."""
    allowed = ", ".join(str(root) for root in image_roots)
    if by_a_link:
        return problem(
            f"image path {shown_path!r} is outside the folders images may be read from "
            f"({allowed}) through a link on its way: copy the file itself into one of them, "
            "or have whoever runs this tool add its folder (image_roots= in Python, "
            "--image-root for the command line and the MCP server)"
        )
    return problem(
        f"image path {shown_path!r} is outside the folders images may be read from "
        f"({allowed}): copy the file into one of them, or have whoever runs this tool add "
        "its folder (image_roots= in Python, --image-root for the command line and the MCP "
        "server)"
    )


def open_confined(
    text: str, image_roots: Sequence[Path] | None, max_bytes: int
) -> tuple[ImageSource | None, list[Problem]]:
    """The open file ``text`` names, if it lies inside the roots; else why not."""
    # Quoted with repr in messages: control characters and escapes come out escaped. A token
    # pasted as the image is not repeated.
    shown_path = _for_message(text)
    if image_roots is not None and not image_roots:
        return None, [Problem(IMAGE_PATH, NO_ROOT_ADVICE, model_message=NO_ROOT_ADVICE_FOR_MODELS)]
    # The roots first: outside them, "~name/..." gets the same refusal whether or not the
    # system knows that user (else the answer tells which accounts exist).
    if image_roots is not None and not lexically_inside(text, image_roots):
        return None, [_outside(shown_path, image_roots)]
    expanded = _home_expanded(text)
    if expanded is None or expanded.startswith("~"):  # "~name/..." of no user known here
        return None, [
            problem(
                f"image path {shown_path!r} starts with a home folder (~) that cannot be "
                "found: give the full path"
            )
        ]
    named = anchor(expanded, image_roots)
    # With roots, the path is walked (images/beneath.py): a way out of them, even one that
    # comes back, is refused where it leaves, nothing there looked up.
    beneath = image_roots is not None and can_open_beneath()
    if not beneath and image_roots is not None and not _really_inside(named, image_roots):
        # A link inside the roots that leads out: refused before anything is opened there
        # (what is at the far end is not told).
        return None, [_outside(shown_path, image_roots, by_a_link=True)]
    try:
        descriptor, named = _opened(named, shown_path, image_roots)
    except _Refused as refused:
        return None, [refused.problem]
    except (OSError, ValueError) as error:
        if beneath:
            # Every step was inside the roots (open_beneath): what failed is said.
            gone = _root_gone(error, image_roots or ())
            if gone is not None:
                return None, [gone]
            return None, [_not_opened(error, shown_path, named, expanded, text, image_roots)]
        if image_roots is not None and not _really_inside(named, image_roots):
            # A link swapped in since the check above: what is at its far end (a folder,
            # nothing, a file on the way) is not told, as for a link found there at once.
            return None, [_outside(shown_path, image_roots, by_a_link=True)]
        return None, [_not_opened(error, shown_path, named, expanded, text, image_roots)]
    try:
        source, problems = _checked_handle(descriptor, shown_path, named, image_roots, max_bytes)
    except BaseException:
        os.close(descriptor)
        raise
    if source is None:
        os.close(descriptor)
    return source, problems


def _root_gone(error: OSError | ValueError, image_roots: Sequence[Path]) -> Problem | None:
    """The image folder, or a folder holding it, missing where the walk looked (removed since
    it was given): said so, since "no file at" asked for another name, which none could answer."""
    where = getattr(error, "missing", None)
    gone = isinstance(error, FileNotFoundError)
    # A file put where the folder was ("a folder on its way is a file") is as gone: no name
    # the model tries can answer that either.
    if not (gone or isinstance(error, NotADirectoryError)) or not isinstance(where, Missing):
        return None
    missing = os.path.normcase(os.path.join(where.folder, where.name))
    state = "does not exist any more" if gone else "is no folder any more"
    since = "removed since it was given" if gone else "a file is there now"
    for root in image_roots:
        folded = os.path.normcase(os.fspath(root))
        if folded == missing or folded.startswith(missing.rstrip(os.sep) + os.sep):
            root_shown = _for_message(os.fspath(root))
            return Problem(
                IMAGE_PATH,
                f"the image folder {root_shown!r} {state} ({since}): create it again and put "
                "the image in it, or give another folder (image_roots= in Python, "
                "--image-root for the command line and the MCP server); bytes, base64 "
                "text and data: URIs work as they are",
                model_message=(
                    f"the image folder {root_shown!r} {state}, so no image path can be read: send "
                    "the image as base64 text or a data: URI instead, or ask the person to "
                    "create that folder again and put the image in it"
                ),
            )
    return None


class _Refused(Exception):
    """A refusal found while opening: its problem is the answer."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _opened(named: str, shown_path: str, image_roots: Sequence[Path] | None) -> tuple[int, str]:
    """The descriptor of ``named`` and that path, or, where nothing has that very name, of
    the one file in its folder whose name reads the same (look_alike_names: a macOS
    screenshot's narrow no-break space, a name in another Unicode form). The folder is
    read through a handle whose real path is checked against the roots first (a folder
    swapped for a link out must not have its names listed); the file found is confined
    as ``named`` was. Several such files, or a folder too large to read whole: _Refused,
    naming each found as it is written."""
    beneath = image_roots is not None and can_open_beneath()
    try:
        return _open(named, shown_path, image_roots)
    except FileNotFoundError as missing:
        if beneath:
            # Where the walk found no name (a real folder inside the roots): the look-alikes
            # are read there, never by a path the system would look up again, links followed.
            where = getattr(missing, "missing", None)
            if not isinstance(where, Missing) or not where.last_as_given:
                raise  # a folder on the way missing, or a link leading nowhere: that one
            folder, wanted = where.folder, where.name
        else:
            if os.path.lexists(named):  # a link by that very name, leading nowhere: that one
                raise
            folder, wanted = os.path.dirname(named) or os.curdir, os.path.basename(named)
        try:
            folder_handle = _open(folder, shown_path, image_roots, _FOLDER_FLAGS)[0]
        except (OSError, ValueError):
            raise FileNotFoundError(errno.ENOENT, "no such file", named) from None
        try:
            if image_roots is not None:
                real = real_path_of(folder_handle, os.fstat(folder_handle), folder)
                if real is None or not _inside(real, image_roots):
                    raise _Refused(_outside(shown_path, image_roots, by_a_link=True)) from None
            alike = look_alikes_in(folder_handle, wanted)
        finally:
            os.close(folder_handle)
        if alike.the_one is None:
            if alike.names:
                raise _Refused(_several_alike(shown_path, alike)) from None
            raise
        named = os.path.join(folder, alike.the_one)
    if image_roots is not None and not beneath and not _really_inside(named, image_roots):
        raise _Refused(_outside(shown_path, image_roots, by_a_link=True))
    return _open(named, shown_path, image_roots)


def _open(
    named: str, shown_path: str, image_roots: Sequence[Path] | None, flags: int = _OPEN_FLAGS
) -> tuple[int, str]:
    """``named`` opened, one step at a time within the roots where there are roots and the
    system can (``open_beneath``: a step out is refused as a link leading out), and where
    it was found."""
    if image_roots is None or not can_open_beneath():
        return os.open(named, flags), named
    try:
        return open_beneath(named, image_roots, flags)
    except LeadsOut as leads:
        by_a_link = leads.through_a_link
        raise _Refused(_outside(shown_path, image_roots, by_a_link=by_a_link)) from None


def _several_alike(shown_path: str, alike: LookAlikes) -> Problem:
    listed = ", ".join(f"'{shown_name(name)}'" for name in alike.names)
    count = f"{len(alike.names)} files" if alike.complete else "files"
    if not alike.complete:
        listed += " among others"
    return problem(
        f"no file at {shown_path!r}, and {count} in its folder have names that read the same "
        f"but differ in spaces or accents: {listed}: give the file's name exactly, with the "
        f"characters written here as escapes{escapes_told(alike.names, listed)}"
    )


def _not_opened(
    error: OSError | ValueError,
    shown_path: str,
    named: str,
    expanded: str,
    typed: str,
    image_roots: Sequence[Path] | None = None,
) -> Problem:
    """Why ``named`` could not be opened, saying what to do."""
    if isinstance(error, FileNotFoundError):
        looked = _where_looked(named, expanded, image_roots)
        alike = _folder_look_alikes(error, named, image_roots)
        return problem(
            f"no file at {shown_path!r}{looked}{alike}: {wrapping_advice(typed)}give the "
            "path of an existing PNG, JPEG or GIF file, a data: URI or base64 text"
        )
    if isinstance(error, OSError) and error.errno == errno.ENOTDIR:
        return problem(f"no file at {shown_path!r}: a folder on its way is a file")
    if isinstance(error, OSError) and error.errno == errno.ENXIO:
        # The open of a socket (or of a device with no driver) fails so: it was found, and
        # is what a FIFO is told it is, not a path that "cannot be resolved".
        return problem(f"image path {shown_path!r} is not a regular file: give an image file")
    if isinstance(error, PermissionError):
        return problem(
            f"image path {shown_path!r} cannot be opened ({reason(error)}): give the path of "
            "an image file this program may read"
        )
    if getattr(error, "errno", None) == errno.ELOOP:
        return problem(
            f"image path {shown_path!r} cannot be resolved ({reason(error)}): give the path "
            "of the image file itself, not a link that leads back to itself"
        )
    return problem(
        f"image path {shown_path!r} cannot be resolved ({reason(error)}): give the path of "
        "an existing image file"
    )


def _folder_look_alikes(error: OSError, named: str, image_roots: Sequence[Path] | None) -> str:
    """Where a folder on the path's way is missing and one beside it reads the same (a
    folder synced from macOS, its name decomposed: NFD), a clause naming it. Only the last
    name of a path is taken for its look-alike (``_opened``); a folder is named, not used,
    and read only where its real path is inside the roots, as the last name's are."""
    where = getattr(error, "missing", None)
    if isinstance(where, Missing):
        if where.last_as_given:
            return ""  # the file itself: its look-alikes were looked for
        folder, name = where.folder, where.name
    elif image_roots is None:
        folder, name = first_missing(os.path.dirname(named))
    else:
        return ""
    if not name:
        return ""
    try:
        handle = os.open(folder or os.curdir, _FOLDER_FLAGS)
    except (OSError, ValueError):
        return ""
    try:
        if image_roots is not None:
            real = real_path_of(handle, os.fstat(handle), folder)
            if real is None or not _inside(real, image_roots):
                return ""
        alike = look_alikes_in(handle, name, folders=True)
    finally:
        os.close(handle)
    clause = folder_named_alike(name, alike)
    return f"; {clause}" if clause else ""


def _where_looked(named: str, expanded: str, image_roots: Sequence[Path] | None) -> str:
    """Where a relative path was looked for, said beside "no file at": the first image folder,
    or the working folder where it is that folder (or there are no roots). With roots it
    is told from the path and the roots as written: resolving the model's path would
    follow links outside them (which ones are links, the wording told), and a working
    folder outside them is not named."""
    if image_roots is not None:
        if os.path.isabs(expanded):
            return ""
        with contextlib.suppress(OSError):
            working = os.getcwd()
            if image_roots and os.path.normcase(working) == os.path.normcase(
                os.fspath(image_roots[0])
            ):
                return f" (looked in the current folder, {_for_message(working)!r})"
        return f" (looked for {_for_message(named)!r}: {RELATIVE_RULE})"
    if named != expanded and not _in_working_folder(named, expanded):
        return f" (looked for {_for_message(named)!r}: {RELATIVE_RULE})"
    if not os.path.isabs(expanded):
        # Taken from the working directory: a terminal opened in the home folder, or a
        # host's '/', is not the folder holding the photo, and the refusal says so.
        with contextlib.suppress(OSError):
            return f" (looked in the current folder, {_for_message(os.getcwd())!r})"
    return ""


def _in_working_folder(named: str, expanded: str) -> bool:
    """Whether the first root ``named`` was anchored in is the working folder: then that is
    where it was looked for, and said so (the command line's rule for a relative path,
    which it leaves as typed there)."""
    with contextlib.suppress(OSError, ValueError):
        return os.path.realpath(named) == os.path.realpath(expanded)
    return False


def _checked_handle(
    descriptor: int,
    shown_path: str,
    named: str,
    image_roots: Sequence[Path] | None,
    max_bytes: int,
) -> tuple[ImageSource | None, list[Problem]]:
    """The opened handle, if it is a regular file inside the roots and not too large."""
    status = os.fstat(descriptor)
    # Where the opened file really is, before what it is: a link swapped in since the
    # checks must not tell what is at its far end (a folder, a device).
    real = real_path_of(descriptor, status, named)
    if image_roots is not None and (real is None or not _inside(real, image_roots)):
        if real is None and _too_long_to_read_back(named, image_roots):
            return None, [
                problem(
                    f"image path {shown_path!r} leads to a file whose full path is too long "
                    f"({_PATH_MAX_BYTES} bytes or more) for the system to tell where the opened "
                    "file is, so it cannot be checked to lie in the image folders: move the "
                    "file to a folder with a shorter path"
                )
            ]
        # Written inside (checked first): a link on its way leads out.
        return None, [_outside(shown_path, image_roots, by_a_link=True)]
    if stat.S_ISDIR(status.st_mode):
        return None, [problem(f"image path {shown_path!r} is a folder: give the path of a file")]
    if not stat.S_ISREG(status.st_mode):
        return None, [
            problem(f"image path {shown_path!r} is not a regular file: give an image file")
        ]
    os.set_blocking(descriptor, True)
    if status.st_size == 0 and _holds_a_byte(descriptor):
        # A file under /proc or /sys: a regular file by its mode, 0 bytes by its size,
        # text when read. It was told "the image is empty", which it is not.
        return None, [
            problem(
                f"image path {shown_path!r} is a special file (such as those under /proc or "
                "/sys) that tells no size, not an image file: give a PNG, JPEG or GIF file"
            )
        ]
    size_problem = size_problem_of(status.st_size, max_bytes)
    if size_problem is not None:
        return None, [size_problem]
    name = real or shown_path
    stem = os.path.splitext(os.path.basename(name))[0] or "image"
    # Held in memory until the image is closed, so only with the process's byte budget's
    # leave, never waiting for it: without it the file streams (an open file holds no bytes).
    held = None
    if status.st_size <= READ_WHOLE_BYTES:
        held = byte_budget.image_bytes.try_hold(status.st_size)
    if held is not None:
        # Read from the descriptor itself: until the last line, the caller alone closes it
        # (a file object made from it would close it a second time once collected).
        # No more than the cap, nor than READ_WHOLE_BYTES: a file that grew past either since
        # its size was checked goes as a grown streamed file does, no further than that size.
        whole = min(READ_WHOLE_BYTES, max_bytes)
        try:
            data = _read_up_to(descriptor, whole + 1)
        except OSError as error:
            held.release()
            return None, [problem(f"image path {shown_path!r} cannot be read ({reason(error)})")]
        except BaseException:
            held.release()
            raise
        if len(data) <= whole:  # else it grew since fstat: sent from the file
            os.close(descriptor)
            source = ImageSource(label=name, filename_stem=stem, byte_count=len(data), data=data)
            source.keep_held(held)
            return source, []
        held.release()
        os.lseek(descriptor, 0, os.SEEK_SET)
    # A file whose close on the loop never waits for a read in a worker thread.
    file = DeferredCloseFile(io.FileIO(descriptor, "rb"))
    return ImageSource(label=name, filename_stem=stem, byte_count=status.st_size, file=file), []


def _too_long_to_read_back(found: str, image_roots: Sequence[Path]) -> bool:
    """Whether ``found``, where the walk in the roots opened a file, is inside them and too
    long for /proc to tell back (its readlink fails past a page): no link led out, so
    "through a link on its way" would be untrue, and the file is refused all the same."""
    if not can_open_beneath() or not _inside(found, image_roots):
        return False
    try:
        return len(os.fsencode(found)) >= _PATH_MAX_BYTES
    except (UnicodeError, ValueError):
        return False


def _holds_a_byte(descriptor: int) -> bool:
    """Whether a file whose size says 0 gives a byte when read (one that gives none has
    not moved: it is read from its start as any other)."""
    try:
        return bool(os.read(descriptor, 1))
    except OSError:  # one that cannot be read is told so where it is read
        return False


def _read_up_to(descriptor: int, limit: int) -> bytes:
    """Up to ``limit`` bytes of ``descriptor`` from where it is (fewer only at its end).

    Each read asks for what the file holds, not for ``limit``: ``os.read`` allocates what
    it is asked for, and a block past the C allocator's threshold is mapped afresh each
    time, its pages faulted in one by one (a 1 MB file read under a 1.25 MiB limit took
    ten times as long as the read itself). Past the size told (a file still being
    written), it goes on in pieces of ``_GROWN_PIECE_BYTES``.
    """
    ask = _GROWN_PIECE_BYTES
    with contextlib.suppress(OSError):  # a descriptor that cannot tell: pieces from the start
        left = os.fstat(descriptor).st_size - os.lseek(descriptor, 0, os.SEEK_CUR)
        ask = max(left, 0) + 1  # one byte more: its end is seen by the next read
    pieces: list[bytes] = []
    while limit > 0:
        piece = os.read(descriptor, min(ask, limit))
        if not piece:
            break
        pieces.append(piece)
        limit -= len(piece)
        ask = _GROWN_PIECE_BYTES
    return pieces[0] if len(pieces) == 1 else b"".join(pieces)


def real_path_of(descriptor: int, status: os.stat_result, named: str) -> str | None:
    """Where an open file really is, read from the handle itself (None if it cannot be).

    Linux tells it through /proc, macOS through F_GETPATH; elsewhere, or where that
    fails (a Linux without /proc mounted: a chroot, some sandboxes), the named path is
    resolved and kept only if it is the very file the handle holds (device and inode).
    """
    if sys.platform.startswith("linux"):
        try:
            return os.readlink(f"/proc/self/fd/{descriptor}")
        except OSError:
            pass
    elif sys.platform == "darwin":
        import fcntl

        try:
            raw = fcntl.fcntl(descriptor, 50, bytes(1024))  # F_GETPATH
        except OSError:
            pass
        else:
            return os.fsdecode(raw.split(b"\0", 1)[0])
    try:
        resolved = os.path.realpath(named)
        again = os.stat(resolved)
    except (OSError, ValueError):
        return None
    same = (again.st_dev, again.st_ino) == (status.st_dev, status.st_ino)
    return resolved if same else None


def reason(error: BaseException) -> str:
    """A short, safe reason for an OS error: never the path again, never a long text."""
    if isinstance(error, PermissionError):
        return "permission denied"
    if isinstance(error, ValueError):
        # A NUL, or a lone surrogate that stands for no byte: no file system takes it.
        return "not a valid file name"
    if isinstance(error, RuntimeError) or getattr(error, "errno", None) == errno.ELOOP:
        return "a symlink loop"
    return getattr(error, "strerror", None) or type(error).__name__


def size_problem_of(byte_count: int, max_bytes: int) -> Problem | None:
    """Why an image of ``byte_count`` bytes is refused before it is read; None if it is not."""
    if byte_count == 0:
        return problem("the image is empty (0 bytes): give a PNG, JPEG or GIF file")
    if byte_count > max_bytes:
        return problem(
            f"the image is {byte_size(byte_count)}, over the {byte_limit(max_bytes)} limit: "
            "send a smaller file (Slack shows photos at most 1024x1024 pixels)"
        )
    return None
