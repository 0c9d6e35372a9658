"""open_beneath: a file opened one name at a time, each from the folder before it, in the roots.

Given a whole path, the system looks up every name on it: for ``X/..`` it looks X up (a
file there: "not a directory"; nothing there: "no such file"), and it follows a link on
the way wherever it leads. An open's outcome so told what lies outside the roots through
a path that reads as inside them: a hostile model's ``/etc/shadow/../../photos/me.png``,
or a link in a root that leads out and back in (``../outside/X/../../photos/me.png``).

Here each name is judged against the roots before anything looks it up (inside one, or a
folder on the way to one), ``..`` is the folder held before, and a link is read and its
text walked the same way. Each step opens from the handle of the folder before it with
no link followed by the system, so a link swapped in meanwhile is met as a link, never
followed. What a step that fails says is about a name inside the roots.

A walk begins at the outermost root holding the path that is a real folder (its own real
path, as resolved when the roots were given: no writer of a root controls a name on its
way), else at the file system's top: a root nested in another is walked into from the
outer one. A path written through a root given through a link (macOS's ``/tmp``) is
taken as written through the folder that link leads to: the links on a root's own way
are the host's.
"""

from __future__ import annotations

import collections
import contextlib
import errno
import functools
import os
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, TypeVar

__all__ = [
    "LeadsOut",
    "Missing",
    "can_open_beneath",
    "exists_beneath",
    "file_beneath",
    "inside_roots",
    "open_beneath",
]

T = TypeVar("T")

_NO_FOLLOW: Final = getattr(os, "O_NOFOLLOW", 0)
# A folder on the way is held only to look names up in: O_PATH (Linux) needs no leave to
# read it, as the system's own walk needs none (a home folder of mode 711 lets its owner's
# photos be opened, not listed); elsewhere it is opened for reading.
_FOLDER_FLAGS: Final = (
    (getattr(os, "O_PATH", 0) or os.O_RDONLY)
    | getattr(os, "O_DIRECTORY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | _NO_FOLLOW
)
# As many links as Linux follows for one path (its ELOOP past 40).
_MOST_LINKS: Final = 40


class LeadsOut(Exception):
    """A step of the path, or of a link on it, leaves the roots: nothing is looked up there.
    ``through_a_link``: a link was followed before that step (else the path as written
    leaves them, as ``/etc/X/../../photos/me.png`` does at ``/etc``)."""

    def __init__(self, *, through_a_link: bool) -> None:
        super().__init__("leads out of the image folders")
        self.through_a_link = through_a_link


@dataclass(frozen=True)
class Missing:
    """Where a walk found no name, or a file where it went on as through a folder: the
    folder it looked in (a real one, inside the roots or on the way to one), the name, and
    whether that was the path's last name as given, not one a link's text gave (a link
    leading nowhere is that link, not a misspelt name)."""

    folder: str
    name: str
    last_as_given: bool


# Read once, at import: a wrapper put around os.open later (a tool watching for blocking
# calls, as the tests' blockbuster does) is in no such set, and the walk would be left out.
_CAN_OPEN_BENEATH: Final = (
    bool(_NO_FOLLOW)
    and os.open in os.supports_dir_fd
    and os.readlink in os.supports_dir_fd
    and os.stat in os.supports_dir_fd
)


def can_open_beneath() -> bool:
    """Whether this system opens from a folder's handle without following links (POSIX)."""
    return _CAN_OPEN_BENEATH


def open_beneath(named: str, roots: Sequence[Path], flags: int) -> tuple[int, str]:
    """The descriptor of ``named`` (absolute, ``.`` and ``..`` applied as written) opened with
    ``flags``, and where it was found, each link on the way followed here, not by the system.

    ``LeadsOut`` where a step would leave the roots; else the OSError of the step that
    failed (a missing name's ``filename`` is where it was looked for, its ``missing`` a
    ``Missing``), ELOOP past 40 links.
    """

    def opened(name: str, folder: int) -> int:
        return os.open(name, flags | _NO_FOLLOW, dir_fd=folder)

    return _walk(named, roots, opened, os.dup)


def exists_beneath(named: str, roots: Sequence[Path]) -> bool:
    """Whether ``named`` is something inside the roots, reached as ``open_beneath`` reaches it
    (a way out and back in is nothing there: what lies outside decides nothing)."""
    return _found_beneath(named, roots) is not None


def file_beneath(named: str, roots: Sequence[Path]) -> bool:
    """Whether ``named`` is a regular file inside the roots, reached as ``open_beneath``
    reaches it: told by the one walk, so a link swapped meanwhile tells nothing of outside."""
    status = _found_beneath(named, roots)
    return status is not None and stat.S_ISREG(status.st_mode)


def _found_beneath(named: str, roots: Sequence[Path]) -> os.stat_result | None:
    """What ``named`` is inside the roots (its links followed by the walk), else None."""

    def looked_at(name: str, folder: int) -> os.stat_result:
        status = os.stat(name, dir_fd=folder, follow_symlinks=False)
        if stat.S_ISLNK(status.st_mode):
            raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), name)  # walked as a link
        return status

    try:
        status, found = _walk(named, roots, looked_at, os.fstat)
    except (LeadsOut, OSError, ValueError):
        return None
    # A folder on the way to a root (a link in one to "..", to "/") is no place inside one:
    # the open refuses it as a link leading out, and so nothing is there.
    return status if inside_roots(found, roots) else None


def _walk(
    named: str,
    roots: Sequence[Path],
    last_step: Callable[[str, int], T],
    folder_itself: Callable[[int], T],
) -> tuple[T, str]:
    """``last_step`` on the last name of ``named`` in the handle of the folder holding it, and
    where that was, every link on the way followed here (``last_step`` raises for a link);
    ``folder_itself`` on the handle of the folder where only folders are named."""
    folders, names = _start(named, roots)
    # Each name to walk, and whether a link's text gave it (else the path as given).
    pending = collections.deque((name, False) for name in names)
    if named.endswith(os.sep) and pending:
        # "x.png/" names a folder, as the system has it: a file there is "not a directory".
        pending.append((os.curdir, False))
    links = 0
    try:
        while pending:
            name, from_a_link = pending.popleft()
            if name == os.curdir:
                continue  # (after a name, that name was opened as a folder: see below)
            if name == os.pardir:
                _up(folders)
                continue
            path, handle = folders[-1]
            candidate = os.path.join(path, name)
            if not _within_or_on_the_way(candidate, roots):
                raise LeadsOut(through_a_link=links > 0)
            try:
                if not pending:
                    return last_step(name, handle), candidate
                opened = os.open(name, _FOLDER_FLAGS, dir_fd=handle)
            except OSError as failed:
                target = _link_text(name, handle)
                if target is None:
                    rest = [left for left, _ in pending]
                    failed.filename = os.path.join(candidate, *rest)
                    if failed.errno in (errno.ENOENT, errno.ENOTDIR):
                        # ENOTDIR: a file where a folder was walked through (a root, even).
                        last = not pending and not from_a_link
                        failed.missing = Missing(path, name, last)  # type: ignore[attr-defined]
                    raise
                links += 1
                if links > _MOST_LINKS:
                    raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), candidate) from None
                parts = [part for part in target.split(os.sep) if part]
                if os.path.isabs(target):
                    _close_all(folders)
                    folders, pending = _restarted(target, pending, roots)
                else:
                    pending.extendleft((part, True) for part in reversed(parts))
                continue
            folders.append((candidate, opened))
        # Only folders named ("/", a root itself, a link to ".."): the folder itself, to be
        # refused as a folder, or as outside, by the caller's checks of the handle.
        path, handle = folders[-1]
        return folder_itself(handle), path
    finally:
        _close_all(folders)


def _restarted(
    target: str, pending: collections.deque[tuple[str, bool]], roots: Sequence[Path]
) -> tuple[list[tuple[str, int]], collections.deque[tuple[str, bool]]]:
    """The walk begun again for a link whose text is a whole path: where it begins, and the
    names after it, those that followed the link keeping where they came from."""
    after = list(pending)
    folders, names = _start(os.path.join(target, *(name for name, _ in after)), roots)
    given = [True] * max(len(names) - len(after), 0) + [from_link for _, from_link in after]
    return folders, collections.deque(zip(names, given[len(given) - len(names) :], strict=True))


def _start(named: str, roots: Sequence[Path]) -> tuple[list[tuple[str, int]], list[str]]:
    """Where the walk of ``named`` begins (the module's docstring): the outermost real root
    holding it, opened by its path, and the names after it; else the file system's top.
    A root that is a link now (moved since it was given) is walked to from the top."""
    real_roots, aliases = _roots_as_found(tuple(os.fspath(root) for root in roots))
    parts = [part for part in _through_aliases(named, aliases).split(os.sep) if part]
    if os.pardir not in parts:
        folded = os.path.normcase(os.sep + os.sep.join(parts))
        for root in real_roots:
            if folded.startswith(os.path.normcase(root) + os.sep):
                depth = len([part for part in root.split(os.sep) if part])
                with contextlib.suppress(OSError):
                    return [(root, os.open(root, _FOLDER_FLAGS))], parts[depth:]
                break
    return [(os.sep, os.open(os.sep, _FOLDER_FLAGS))], parts


@functools.lru_cache(maxsize=64)
def _roots_as_found(roots: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The roots that were their own real path when first used, outermost first, and the
    others (given through a link: macOS's /tmp, a home folder that is a link), longest
    first. Where each of those leads is read at each use (``_through_aliases``): a link
    changed since leads where it leads now. A root kept as real that is a link now is
    walked to from the top (``_start``)."""
    real: list[str] = []
    aliases: list[str] = []
    for root in roots:
        text = root.rstrip(os.sep)
        if not text:
            continue
        with contextlib.suppress(OSError, ValueError):
            (real if os.path.realpath(text) == text else aliases).append(text)
    real.sort(key=lambda text: text.count(os.sep))
    aliases.sort(key=lambda text: -len(text))
    return tuple(real), tuple(aliases)


def _through_aliases(named: str, aliases: Sequence[str]) -> str:
    """``named`` with a root given through a link written as the folder it leads to now: the
    links on that root's own way are the host's, and walked from the top they would
    leave the roots (``/tmp`` leads to ``/private/tmp``, on the way to no root). Where it
    leads is then judged as any path is: outside every root, refused."""
    folded = os.path.normcase(named)
    for alias in aliases:
        folded_alias = os.path.normcase(alias)
        if folded == folded_alias or folded.startswith(folded_alias + os.sep):
            try:
                resolved = os.path.realpath(alias)
            except (OSError, ValueError):
                return named
            return resolved + named[len(alias) :]
    return named


def _up(folders: list[tuple[str, int]]) -> None:
    """``..``: the folder held before, or, from where the walk began (a real folder), the one
    holding it."""
    if len(folders) > 1:
        os.close(folders.pop()[1])
        return
    path, handle = folders[0]
    parent = os.path.dirname(path)
    if parent != path:
        folders[0] = (parent, os.open(parent, _FOLDER_FLAGS))
        os.close(handle)


def _close_all(folders: list[tuple[str, int]]) -> None:
    while folders:
        with contextlib.suppress(OSError):
            os.close(folders.pop()[1])


def _link_text(name: str, folder: int) -> str | None:
    """What the link ``name`` in ``folder`` says, or None when it is no link (any more)."""
    try:
        return os.readlink(name, dir_fd=folder)
    except (OSError, ValueError):
        return None


def inside_roots(resolved: str, roots: Sequence[Path]) -> bool:
    """Whether ``resolved`` is a root or lies in one (as text: the callers resolved it); as
    images/paths.py's ``_inside``, which the tests run with Windows' path rules patched in."""
    # normcase: Windows' file names are case-insensitive (c:\users\... is C:\Users\...);
    # on POSIX it changes nothing. The opened file is checked again by its real path.
    resolved = os.path.normcase(resolved)
    for root in roots:
        text = os.path.normcase(os.fspath(root))
        if resolved == text or resolved.startswith(text.rstrip(os.sep) + os.sep):
            return True
    return False


def _within_or_on_the_way(candidate: str, roots: Sequence[Path]) -> bool:
    """Whether ``candidate`` is inside a root, or a folder holding one (passed on the way)."""
    if inside_roots(candidate, roots):
        return True
    folded = os.path.normcase(candidate).rstrip(os.sep) + os.sep
    return any(os.path.normcase(os.fspath(root)).startswith(folded) for root in roots)
