"""The photo history's SQLite file: where it lives, how it is opened, its tables, its failures.

The standard library's ``sqlite3``, called from worker threads (``store.py`` does
that), and not SQLAlchemy: the history is one local file with three small tables,
so it needs nothing SQLAlchemy adds, and the package gains no dependency (SQLAlchemy
is only in the ``[postgres]`` extra). A ``PhotoHistory`` keeps one connection open
and uses it from one worker thread at a time (``check_same_thread=False`` under its
own lock): opening a WAL database and closing its last connection costs a checkpoint
and its fsyncs, about 20 ms a time here, four times a change; a connection that met
an error is closed and the next operation opens a fresh one.

Durability: WAL journal; the commit that keeps a photo runs with
``synchronous=FULL``, fsynced before it returns, and so before the change is sent.
The others (a person's turn, how a change ended) run with ``synchronous=NORMAL``: WAL
stays consistent, and what a power cut could undo is only that bookkeeping, which
errs the safe way (a turn given back, an entry still saying "may not have happened").
The folder is fsynced when the file is made; the file is created readable by its
owner only, as it holds people's photos. ``PRAGMA quick_check`` runs on the first
opening by each ``PhotoHistory``, so a damaged file is found before anything is kept
in it, not halfway through.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import re
import sqlite3
import stat
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final, TypeVar

from ocp_users_photo.file_kinds import loops, non_file_kind
from ocp_users_photo.private_folders import make_private_folders
from ocp_users_photo.safe_text import shown_path
from ocp_users_photo.sqlite_busy import is_busy
from ocp_users_photo.undo.errors import HistoryBusy, HistoryUnavailable
from ocp_users_photo.undo.others_files import others_may_write

__all__ = [
    "APP_NAME",
    "HISTORY_FILE_NAME",
    "SCHEMA_VERSION",
    "default_history_path",
    "in_transaction",
    "only_readable",
    "only_readable_note",
    "open_history",
    "read_only_snapshot",
    "translated_failures",
]

APP_NAME: Final = "ocp-users-photo"
HISTORY_FILE_NAME: Final = "photo-history.sqlite3"
SCHEMA_VERSION: Final = 1

_PHOTO_INDEX: Final = "CREATE INDEX IF NOT EXISTS entries_by_photo ON entries (photo_sha256)"
# A WAL left larger than this after a big write is cut back to it when it is next reset.
_WAL_KEPT_BYTES: Final = 4 * 1024 * 1024
# The tables checked when a history is first opened: all but the photos' bytes, which would
# make every command read the whole file (gigabytes after a year); damage there is found
# by SQLite when a photo is read, and said as a damaged history then.
_CHECKED_TABLES: Final = ("entries", "leases")

_SCHEMA: Final = (
    """CREATE TABLE IF NOT EXISTS photos (
        sha256 TEXT PRIMARY KEY,
        content_type TEXT NOT NULL,
        byte_count INTEGER NOT NULL,
        data BLOB NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS entries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        workspace TEXT NOT NULL,
        user_id TEXT NOT NULL,
        kept_at REAL NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('custom', 'default')),
        photo_sha256 TEXT REFERENCES photos (sha256),
        avatar_hash TEXT NOT NULL,
        crop_x INTEGER,
        crop_y INTEGER,
        crop_w INTEGER,
        replaced_by TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'changed', 'unknown')),
        result_avatar_hash TEXT,
        ended_at REAL,
        CHECK ((kind = 'custom') = (photo_sha256 IS NOT NULL))
    )""",
    "CREATE INDEX IF NOT EXISTS entries_by_person ON entries (workspace, user_id, id)",
    # Whether a photo is still used, asked each time an entry goes: without it, a scan of
    # every person's entries, twice (the foreign key's check too), in the write lock.
    _PHOTO_INDEX,
    """CREATE TABLE IF NOT EXISTS leases (
        workspace TEXT NOT NULL,
        user_id TEXT NOT NULL,
        holder TEXT NOT NULL,
        expires_at REAL NOT NULL,
        PRIMARY KEY (workspace, user_id)
    )""",
)

T = TypeVar("T")


# Where each door takes a history's path; a refusal that asks for another names them all,
# since the one text reaches a Python caller, a terminal and an MCP host's person.
_WAYS_TO_GIVE_A_PATH: Final = "(photo_history=..., --history PATH or $OCP_USERS_PHOTO_HISTORY)"
# How every SQLite database file begins (its header string).
_SQLITE_MAGIC: Final = b"SQLite format 3\x00"


# What a model can do about a history it cannot mend: wait, or tell the person.
_MODEL_WAITS: Final = "call again in a minute, once the other change is done"
_MODEL_TELLS: Final = (
    "calling again will not help: tell the person that whoever runs this tool must mend its "
    "photo history or give it another one"
)


def default_history_path() -> Path:
    """Where the history lives unless configured: the user's data folder (``platformdirs``).

    Linux ``~/.local/share/ocp-users-photo/`` (or ``$XDG_DATA_HOME``), macOS
    ``~/Library/Application Support/ocp-users-photo/``, Windows
    ``%LOCALAPPDATA%\\ocp-users-photo\\``; the file is ``photo-history.sqlite3``.
    """
    import platformdirs

    try:
        folder = platformdirs.user_data_path(APP_NAME, appauthor=False)
    except (RuntimeError, KeyError, OSError):  # no HOME and no passwd entry for the user
        nowhere = (
            "the photo history has no default place (no home folder can be found for this "
            "user); nothing was changed in Slack: "
        )
        refused = HistoryUnavailable(f"{nowhere}give a path {_WAYS_TO_GIVE_A_PATH}")
        refused.model_message = nowhere + _MODEL_TELLS
        raise refused from None
    return folder / HISTORY_FILE_NAME


def open_history(path: Path, busy_timeout: float, *, check: bool) -> sqlite3.Connection:
    """A connection to the history at ``path``, made if missing, with its tables. Blocking.

    ``check`` runs SQLite's quick integrity check first. Raises HistoryUnavailable.
    """
    with translated_failures(path):
        _refuse_what_others_may_write(path)
        _create_private(path)
        # isolation_level=None: transactions are begun and ended by hand (BEGIN IMMEDIATE).
        database = sqlite3.connect(
            path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
        )
        try:
            _refuse_what_is_no_history(database, path)  # before WAL mode is written into it
            _use_wal(database, busy_timeout)
            database.execute("PRAGMA synchronous = NORMAL")
            database.execute("PRAGMA foreign_keys = ON")
            # A removed photo's pages are overwritten with zeros, not left in the file.
            database.execute("PRAGMA secure_delete = ON")
            database.execute(f"PRAGMA journal_size_limit = {_WAL_KEPT_BYTES}")
            if check:
                _quick_check(database, path)
            _ensure_schema(database, path)
        except BaseException:
            database.close()
            raise
        return database


def _check_makeable(path: str) -> None:
    """Whether the first change could make the history file at ``path`` (as given: the
    change makes its folders by that spelling, links not followed first) and the folders
    above it: the nearest part of the path that exists must be a folder it can write in.
    Raised as the change's own attempt would fail (translated_failures words it)."""
    above = os.path.dirname(path)
    while above and not os.path.lexists(above):
        parent = os.path.dirname(above)
        if parent == above:
            return
        above = parent
    if not above:
        above = os.curdir
    if os.path.islink(above) and not os.path.exists(above):  # a link to nothing, or a loop
        raise _link_failure(above)
    if not os.path.isdir(above):
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))
    if not _may(above, os.W_OK | os.X_OK):
        if _on_read_only_file_system(above):  # no chmod helps: said as the change says it
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))


def _on_read_only_file_system(path: str) -> bool:
    """Whether ``path`` is on a file system mounted read-only (a read-only mount, media)."""
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):  # AttributeError: no statvfs (Windows)
        return False


def _link_failure(link: str) -> OSError:
    """Why the link ``link`` leads nowhere, as opening through it says: a loop of links
    ("Too many levels of symbolic links"), else a link to nothing."""
    if loops(link):
        return OSError(errno.ELOOP, os.strerror(errno.ELOOP))
    return FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT))


def check_read_only(path: Path, busy_timeout: float) -> None:
    """What ``open_history`` would refuse in the file at ``path``, found without writing a
    byte or making a file (a dry run): HistoryUnavailable saying why. No file (a link to
    none included), an empty one, or a -wal file alone is a history the first change
    makes, and passes. Blocking."""
    with translated_failures(path):
        target = os.path.realpath(path)  # SQLite keeps the -wal file beside the link's target
        if not os.path.exists(target):
            if os.path.islink(path) and loops(path):
                # A loop of links: the change's opening fails on it ("Too many levels").
                raise _link_failure(os.fspath(path))
            if os.path.islink(path) and not os.path.isdir(os.path.dirname(target)):
                # The change makes the link's own folder, not its target's: it would fail.
                raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT))
            _check_makeable(os.path.abspath(path))
            _refuse_what_others_may_write(path)
            return
        found = os.stat(target)
        if stat.S_ISDIR(found.st_mode):
            raise _folder_refusal(path)
        if not stat.S_ISREG(found.st_mode):
            raise _refused(
                path,
                f"is {non_file_kind(found.st_mode)}, not a file",
                f"give a file's path {_WAYS_TO_GIVE_A_PATH}",
            )
        if not _writable(target):
            raise _read_only_refusal(path)
        _refuse_what_others_may_write(path)
        if found.st_size == 0:
            return
        database = _connect_read_only(target, busy_timeout)
        try:
            _quick_check(database, path)
            _refuse_what_is_no_history(database, path)
        finally:
            database.close()


def _may(path: str | Path, mode: int) -> bool:
    """Whether this process may open ``path`` so (``os.R_OK``, ``os.W_OK``...), judged by
    its effective user and group, as the open itself is: a setuid or setgid program's real
    ones would refuse its owner's own history."""
    ids_differ = os.geteuid() != os.getuid() or os.getegid() != os.getgid()
    if ids_differ and os.access in os.supports_effective_ids:
        # Only then: faccessat2, which it takes, is refused (EPERM, not ENOSYS) by some
        # container sandboxes, and every file would read as one nobody may write.
        return os.access(path, mode, effective_ids=True)
    return os.access(path, mode)


def _writable(target: str) -> bool:
    """Whether this user may write what a change writes in the history file ``target`` (a
    link's target): the file, the -wal and -shm files there are, and the folder when it
    must make them (a connection open elsewhere keeps both)."""
    beside = [f"{target}-wal", f"{target}-shm"]
    written = [target, *(name for name in beside if os.path.exists(name))]
    if not all(os.path.exists(name) for name in beside):
        written.append(os.path.dirname(target))
    return all(_may(name, os.W_OK) for name in written)


def _connect_read_only(target: str, busy_timeout: float) -> sqlite3.Connection:
    """A connection that reads the history file ``target`` and writes no byte of it.

    A connection open elsewhere keeps both a -wal and a -shm file: then its pages are read
    through them (read-only; SQLite marks its reads in the -shm, as every reader does).
    Otherwise "immutable" reads the file alone, with no lock, making neither file
    (read-only mode would make both, or change the -wal file's mode)."""
    options = "mode=ro" if _live(target) else "mode=ro&immutable=1"
    location = f"{Path(target).as_uri()}?{options}"
    return sqlite3.connect(
        location, uri=True, timeout=busy_timeout, isolation_level=None, check_same_thread=False
    )


def _live(target: str) -> bool:
    """Whether a connection open elsewhere keeps the history's -wal and -shm files."""
    return os.path.exists(f"{target}-wal") and os.path.exists(f"{target}-shm")


def only_readable(path: Path) -> bool:
    """Whether the history file at ``path`` holds bytes this user cannot write as a change
    writes them (the file, its -wal and -shm files, or its folder read-only), or may not
    trust (another user could have written them: undo/others_files.py): it can be listed,
    not changed. Blocking."""
    try:
        target = os.path.realpath(path)  # a relative one: the working folder may be gone
        found = os.stat(target)
    except OSError:
        return False  # opening it says why, as for any history
    if not stat.S_ISREG(found.st_mode) or found.st_size == 0:
        return False
    return not _writable(target) or others_may_write(target, _WAYS_TO_GIVE_A_PATH) is not None


def only_readable_note(path: Path) -> str | None:
    """Why the history at ``path`` can only be listed here, and what to do, for the listing's
    last line; None when it can be changed. Read-only and open to other writers are two
    causes with opposite cures: "make it writable" is no advice for a folder any user may
    write. Blocking."""
    if not only_readable(path):
        return None
    target = os.path.realpath(path)
    if not _writable(target):
        return (
            "the file, its -wal or -shm file, or its folder is read-only: make it writable "
            "to put one back or forget them"
        )
    others = others_may_write(target, _WAYS_TO_GIVE_A_PATH)
    if others is None:  # changed between the two looks: said as the first says it
        return "make it writable to put one back or forget them"
    return f"it {others.what}: {others.advice}, to put one back or forget them"


# How many times a read-only reading is tried while another program writes the file.
_READ_ATTEMPTS: Final = 5


def read_only_snapshot(
    path: Path, busy_timeout: float, read: Callable[[sqlite3.Connection], T]
) -> T:
    """``read`` done on the history at ``path``, which this user may read but not write
    (``only_readable``: a folder made read-only, a copy on read-only media, another user's
    history), through a connection that writes nothing and makes no file beside it: SQLite
    would make the -wal and -shm files as this user's, and their owner's next change
    would be refused. Checked as ``open_history`` checks; raises HistoryUnavailable
    (HistoryBusy for a file that never held still). Blocking.

    Two ways to read it, chosen before each attempt:

    - Its -wal file holds no pages: the file alone is read "immutable", with no lock.
      Its owner may write it meanwhile, so a reading during which the file or its -wal
      changed is not trusted, and is done again, as is one that failed while they did.
    - Pages in the -wal file (the owner's program has it open, or stopped with it so) are
      read through SQLite's read-only mode, whose locks keep a reading whole, where
      ``_refuse_unreadable_wal`` allows it: where any file SQLite makes there would be
      one its owner can write (this user cannot make one in the folder, or is the owner).
      Otherwise the side files' state is refused, after it held in every attempt (the
      owner's program opening or closing it makes and removes them). Failures SQLite
      gives while that program opens it (its index being rebuilt) are passing too.

    A failure while the files did not change is the file's own (a damaged history is told
    so)."""
    held_up: HistoryUnavailable | None = None  # the side files' state, the last time
    # Refused only when it held in every attempt: the owner's program making the -wal file
    # (before SQLite gives it the history's mode) held up the last attempt alone, and that
    # passing moment was said as the history's state.
    held_every_time = True
    for attempt in range(_READ_ATTEMPTS):
        if attempt:
            time.sleep(0.02 * attempt)
        with translated_failures(path):
            target = os.path.realpath(path)
            before = _files_stamp(target)
            wal_pages = _has_bytes(f"{target}-wal")
            options = "mode=ro" if wal_pages else "mode=ro&immutable=1"
            if wal_pages:
                try:
                    _refuse_unreadable_wal(path, target)
                except HistoryUnavailable as refused:
                    # Often passing (the owner's program opening or closing it makes and
                    # removes the side files): said only if it stays so.
                    held_up = refused
                    continue
            held_up = None
            held_every_time = False
            try:
                database = sqlite3.connect(
                    f"{Path(target).as_uri()}?{options}",
                    uri=True,
                    timeout=busy_timeout,
                    isolation_level=None,
                    check_same_thread=False,
                )
                try:
                    _refuse_what_is_no_history(database, path)
                    if int(database.execute("PRAGMA user_version").fetchone()[0]) != (
                        SCHEMA_VERSION
                    ):
                        # No history's tables yet, or older ones: making or upgrading
                        # them writes, which a change refuses here too.
                        raise _read_only_refusal(path)
                    _quick_check(database, path)
                    done = read(database)
                finally:
                    database.close()
            except (sqlite3.Error, HistoryUnavailable) as failed:
                passing = wal_pages and "readonly" in str(failed).lower()
                if _files_stamp(target) == before and not passing:
                    raise
                continue
            if wal_pages or _files_stamp(target) == before:
                return done
    if held_up is not None and held_every_time:
        raise held_up  # what held it up each time, said as it is
    raise _refused(
        path,
        "was being written by another program all the while it was read",
        "try again in a moment",
        kind=HistoryBusy,
    )


def _refuse_unreadable_wal(path: Path, target: str) -> None:
    """Pages in the -wal file that this user cannot read without making a file its owner
    could not then write, or whose -wal and -shm files it may not read
    (``read_only_snapshot``): refused, saying who can do what. Read through SQLite's
    read-only mode otherwise: with the -shm file there, where this user can make no file
    beside it or owns the history (a file it makes there is then its owner's), and with no
    -shm file where its owner may make one that it can then write."""
    wal, shm = f"{target}-wal", f"{target}-shm"
    folder_writable = _may(os.path.dirname(target), os.W_OK)
    owner = _owns(target)
    unreadable = [name for name in (wal, shm) if os.path.exists(name) and not _may(name, os.R_OK)]
    if unreadable:
        named = " or ".join(shown_path(name) for name in unreadable)
        raise _refused(
            path,
            f"has changes in its -wal file, and this user may not read {named}",
            "make them readable by their owner (chmod u+r)"
            if owner
            else "have the history's owner run the command, or let this user read those files",
        )
    if os.path.exists(shm):
        if not folder_writable or owner:
            return
        raise _refused(
            path,
            "is open in another program (or was left so), with changes still in its -wal "
            "file, which this user could read only by making files beside it that its "
            "owner could not then write",
            "try again once that program is done, or have the history's owner run the command",
            kind=HistoryBusy,
        )
    if owner and folder_writable and _may(target, os.W_OK):
        return  # the -shm file SQLite makes is its owner's, writable as the file is
    if owner:
        what, advice = (
            ("beside it, which would be made read-only as the file is", "make the file writable")
            if folder_writable
            else ("beside it, in a folder that cannot be written", "make its folder writable")
        )
        raise _refused(
            path,
            f"holds changes in its -wal file that can be read only by making a -shm file {what}",
            f"{advice} (then any command writes them into the file)",
        )
    if not folder_writable:
        raise _refused(
            path,
            "holds changes in its -wal file that can be read only by making a -shm file "
            "beside it, in a folder this user may not write",
            "have the history's owner run any history command once (it writes them into "
            "the file), or copy the three files where this user may write",
        )
    raise _refused(
        path,
        "holds changes in its -wal file that can be read only by making a -shm file beside "
        "it, which its owner could not then write",
        "try again once its owner's program is done, or have the history's owner run the command",
        kind=HistoryBusy,  # often passing: the owner's program opening or closing it
    )


def _refuse_what_others_may_write(path: Path) -> None:
    """HistoryUnavailable when another user could have written the history at ``path``
    (undo/others_files.py): checked before any change opens it, or makes it."""
    found = others_may_write(os.path.realpath(path), _WAYS_TO_GIVE_A_PATH)
    if found is not None:
        raise _refused(path, found.what, found.advice)


def _owns(target: str) -> bool:
    """Whether this process's effective user owns the history file."""
    try:
        return os.stat(target).st_uid == os.geteuid()
    except OSError:
        return False


def _read_only_refusal(path: Path) -> HistoryUnavailable:
    """A history this user may not write, found before SQLite is asked to (a dry run, or
    a change or upgrade of a history that can only be read): which parts to make writable."""
    return _refused(
        path,
        "cannot be written (the file, its -wal or -shm file, or its folder is read-only)",
        f"make {_what_to_make_writable(path)} writable, or give another path "
        f"{_WAYS_TO_GIVE_A_PATH}",
    )


def _files_stamp(target: str) -> tuple[object, ...]:
    """What changes when another program writes the history file or its -wal file, or
    makes or removes the -shm file: the first two's identity, size and time of last write
    (None where there is none), and whether the -shm file is there. Not what a reader
    changes itself: the -shm file's bytes, and the -wal file's status (SQLite gives it
    the history file's owner and mode as it opens it)."""

    def stamp(name: str) -> tuple[int, ...] | None:
        try:
            found = os.stat(name)
        except OSError:
            return None
        return (found.st_ino, found.st_size, found.st_mtime_ns)

    return (stamp(target), stamp(f"{target}-wal"), os.path.exists(f"{target}-shm"))


def _has_bytes(name: str) -> bool:
    try:
        return os.stat(name).st_size > 0
    except OSError:
        return False


@contextlib.contextmanager
def translated_failures(path: Path) -> Iterator[None]:
    """SQLite's and the file system's failures as one HistoryUnavailable saying what to do.

    SQLite's own texts are short and fixed (they never quote a row), so the reason is kept.
    """
    try:
        yield
    except HistoryUnavailable:
        raise
    except sqlite3.OperationalError as error:
        raise _operational(path, error) from None
    except sqlite3.DatabaseError as error:
        raise _damaged(path, _reason(error)) from None
    except OSError as error:
        reason = error.strerror or type(error).__name__
        if isinstance(error, (FileExistsError, NotADirectoryError)):
            reason = "a part of the path is a file, not a folder"
        raise _refused(
            path,
            f"cannot be created or written ({reason})",
            f"give a writable path {_WAYS_TO_GIVE_A_PATH}",
        ) from None


def in_transaction(
    database: sqlite3.Connection,
    work: Callable[[sqlite3.Connection], T],
    *,
    durable: bool = False,
) -> T:
    """``work`` inside BEGIN IMMEDIATE ... COMMIT (one writer at a time), rolled back on failure.

    ``durable``: the commit is fsynced before this returns (``synchronous=FULL``); the
    connection is back to ``NORMAL`` afterwards.
    """
    if durable:
        database.execute("PRAGMA synchronous = FULL")
    database.execute("BEGIN IMMEDIATE")
    try:
        result = work(database)
    except BaseException:
        # SQLite rolls back by itself on some errors (a full disk, an I/O error writing a
        # large photo out): a ROLLBACK then raises "cannot rollback - no transaction is
        # active", which hid the error that says why ("check the file", not "free space").
        if database.in_transaction:
            database.execute("ROLLBACK")
        raise
    database.execute("COMMIT")
    if durable:
        database.execute("PRAGMA synchronous = NORMAL")
    return result


def _create_private(path: Path) -> None:
    """Make the folder and an empty file, owner-only, and fsync the folder (once).

    An empty file already there (``touch``ed beforehand) is made owner-only too: the
    history is made in it, and would hold photos with the umask's mode (often 644). A file
    with content is its owner's, left as it is; one not this user's to change, too.
    """
    if path.exists():
        with contextlib.suppress(OSError):
            if os.name != "nt" and path.is_file() and path.stat().st_size == 0:
                os.chmod(path, 0o600)
        return
    make_private_folders(path.parent)
    descriptor = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(descriptor)
    if hasattr(os, "O_DIRECTORY"):
        folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def _use_wal(database: sqlite3.Connection, busy_timeout: float) -> None:
    """Switch to WAL, waiting out another process doing the same on a new file.

    The switch takes the file for itself and reports "database is locked" at once, without
    SQLite's busy wait, while another connection holds it (two programs opening a history
    that does not exist yet): retried, with short sleeps, for up to ``busy_timeout``.
    """
    deadline = time.monotonic() + busy_timeout
    pause = 0.005
    while True:
        try:
            database.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if not is_busy(error) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.1)


def _quick_check(database: sqlite3.Connection, path: Path) -> None:
    tables = {
        str(row[0])
        for row in database.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    for table in _CHECKED_TABLES:
        if table not in tables:
            continue  # a new file: made below
        # The table and its indexes only (SQLite 3.33+; the name is one of ours).
        rows = database.execute(f"PRAGMA quick_check({table})").fetchall()
        found = [str(row[0]) for row in rows[:5]]
        if found != ["ok"]:
            raise _damaged(path, _check_summary(found))


# The heading SQLite's check puts before its findings: a line of its own, saying nothing.
_CHECK_HEADING: Final = re.compile(r"\*\*\* in database \w+ \*\*\*")
_CHECK_SUMMARY_CHARS: Final = 120


def _check_summary(found: list[str]) -> str:
    """SQLite's findings on one line, whole words, bounded: they reach a model's message
    and a terminal's line, where its newlines and a word cut in two read as garbage."""
    lines = [
        line.strip()
        for text in found
        for line in text.splitlines()
        if line.strip() and not _CHECK_HEADING.fullmatch(line.strip())
    ]
    summary = "; ".join(lines) or "its check found faults"
    if len(summary) <= _CHECK_SUMMARY_CHARS:
        return summary
    cut = summary[: _CHECK_SUMMARY_CHARS + 1].rsplit(" ", 1)[0].rstrip(";,:")
    return f"{cut} ..."


def forget_removed_bytes(database: sqlite3.Connection, busy_timeout: float) -> None:
    """After a photo was removed: its bytes out of the WAL too (a checkpoint that empties
    it), so a removed face is on no disk page. Not waited for: another program reading
    the history keeps it for later (the WAL is emptied at the next checkpoint then)."""
    database.execute("PRAGMA busy_timeout = 0")
    try:
        database.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    finally:
        database.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")


def _ensure_schema(database: sqlite3.Connection, path: Path) -> None:
    version = int(database.execute("PRAGMA user_version").fetchone()[0])
    if version == SCHEMA_VERSION:
        indexed = database.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'entries_by_photo'"
        ).fetchone()
        if indexed is None:  # a history written before the index was part of the schema
            in_transaction(database, lambda connection: connection.execute(_PHOTO_INDEX))
        return
    if version > SCHEMA_VERSION:
        raise _newer(path, version)

    def create(connection: sqlite3.Connection) -> None:
        for statement in _SCHEMA:
            connection.execute(statement)
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    in_transaction(database, create)


def _refuse_what_is_no_history(database: sqlite3.Connection, path: Path) -> None:
    """Refuse, before anything is written into it (WAL mode included), a file that holds
    what no history holds: a newer history, or another program's SQLite database (a table
    of another name, or one of a history's names with other columns), into which the
    history's tables, and people's photos, would be written."""
    version = int(database.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise _newer(path, version)
    expected = _history_columns()
    for (table,) in database.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        name = str(table)
        if name.startswith("sqlite_"):
            continue  # SQLite's own (AUTOINCREMENT's counter, ANALYZE's statistics)
        if name not in expected or _columns(database, name) != expected[name]:
            raise _refused(
                path,
                "is another program's SQLite database (it holds tables no photo history "
                "has), which the history's tables would be written into",
                f"give the history's own path {_WAYS_TO_GIVE_A_PATH}, or leave it out for "
                "the default one",
            )


@functools.cache
def _history_columns() -> dict[str, tuple[str, ...]]:
    """Each table of a history and its columns, as the schema makes them (made once in a
    scratch database in memory, so they cannot drift from ``_SCHEMA``)."""
    scratch = sqlite3.connect(":memory:")
    try:
        for statement in _SCHEMA:
            scratch.execute(statement)
        return {name: _columns(scratch, name) for name in ("photos", "entries", "leases")}
    finally:
        scratch.close()


def _columns(database: sqlite3.Connection, table: str) -> tuple[str, ...]:
    """The column names of ``table``, one of the history's own (a name of the schema's)."""
    return tuple(str(row[1]) for row in database.execute(f"PRAGMA table_info({table})"))


def _folder_refusal(path: Path) -> HistoryUnavailable:
    return _refused(
        path,
        "is a folder, and the history is a file",
        f"give a file's path, such as {shown_history_path(path / HISTORY_FILE_NAME)} "
        + _WAYS_TO_GIVE_A_PATH,
    )


def _newer(path: Path, version: int) -> HistoryUnavailable:
    return _refused(
        path,
        f"was written by a newer ocp-users-photo (schema {version}, this one reads "
        f"{SCHEMA_VERSION})",
        "upgrade ocp-users-photo, or give another path",
    )


def _operational(path: Path, error: sqlite3.OperationalError) -> HistoryUnavailable:
    reason = _reason(error)
    if is_busy(error):
        return _refused(
            path,
            f"is locked by another program (SQLite: {reason})",
            "try again once it is done, or give another path",
            kind=HistoryBusy,
        )
    if "unable to open" in reason and path.is_dir():
        return _folder_refusal(path)
    if "readonly" in reason or "unable to open" in reason or "disk" in reason:
        return _unwritable(path, reason)
    if "malformed" in reason or "not a database" in reason:
        return _damaged(path, reason)
    return _refused(
        path, f"could not be used (SQLite: {reason})", "check the file, or give another path"
    )


def _unwritable(path: Path, reason: str) -> HistoryUnavailable:
    """A history SQLite could not open or write, said by its cause: "make it writable" was
    the advice for a full disk, a FIFO, a path too long and read-only side files alike."""
    other = f"or give another path {_WAYS_TO_GIVE_A_PATH}"
    if "full" in reason:
        return _refused(
            path, f"cannot be written: the disk is full (SQLite: {reason})", f"free space, {other}"
        )
    kind = _not_a_file(path)
    if kind is not None:
        return _refused(
            path, f"is {kind}, not a file", f"give a file's path {_WAYS_TO_GIVE_A_PATH}"
        )
    if "readonly" in reason:
        return _refused(
            path,
            f"cannot be written (SQLite: {reason})",
            f"make {_what_to_make_writable(path)} writable, {other}",
        )
    if "unable to open" in reason:
        denied = _denied_to_this_user(path)
        if denied is not None:
            return _refused(
                path,
                f"cannot be opened: {denied} (SQLite: {reason})",
                f"give this user read and write access to it (chmod u+rw), {other}",
            )
        return _refused(
            path,
            f"cannot be opened (SQLite: {reason})",
            "check that its folder can be written and that the path is not too long for "
            f"SQLite (about 500 characters), {other}",
        )
    return _refused(
        path, f"could not be read or written (SQLite: {reason})", f"check the disk, {other}"
    )


def _denied_to_this_user(path: Path) -> str | None:
    """What the file's own permissions deny this user, when it exists: "its folder can be
    written" was the advice for a file this user may not read (mode 000, another user's)."""
    target = Path(os.path.realpath(path))
    try:
        if not target.is_file():
            return None
    except (OSError, ValueError):
        return None
    if not _may(target, os.R_OK):
        return "this user may not read the file (its permissions)"
    if not _may(target, os.W_OK):
        return "this user may not write the file (its permissions)"
    return None


def _not_a_file(path: Path) -> str | None:
    """What is at ``path`` when it is neither a file, a folder (which has its own refusal)
    nor missing: a named pipe, a device."""
    try:
        mode = path.stat().st_mode
    except (OSError, ValueError):
        return None
    return None if stat.S_ISDIR(mode) else non_file_kind(mode)


def _what_to_make_writable(path: Path) -> str:
    """Which of the history's files and its folder cannot be written: SQLite writes the file,
    and its -wal and -shm files beside it, which a failed run may have left read-only."""
    # SQLite keeps the -wal and -shm files beside the file a link names, in its folder.
    target = Path(os.path.realpath(path))
    beside = (target.with_name(target.name + end) for end in ("-wal", "-shm"))
    found = [
        shown_path(part) for part in (target, *beside) if part.exists() and not _may(part, os.W_OK)
    ]
    if not _may(target.parent, os.W_OK | os.X_OK):
        found.append(f"its folder {shown_path(target.parent)}")
    if not found:
        return "it, the -wal and -shm files beside it and its folder"
    return found[0] if len(found) == 1 else f"{', '.join(found[:-1])} and {found[-1]}"


def _damaged(path: Path, reason: str) -> HistoryUnavailable:
    if "not a database" in reason:
        other = _not_sqlite(path)
        if other is not None:
            return _refused(
                path,
                f"is {other}, not the SQLite file a history is",
                f"give the history's own path {_WAYS_TO_GIVE_A_PATH}, or leave it out for the "
                "default one",
            )
    return _refused(
        path,
        f"is damaged (SQLite: {reason})",
        "move the file away (its kept photos may be recoverable with sqlite3's .recover) and "
        "a new history is started, or give another path",
    )


def emptied_refusal(path: Path) -> HistoryUnavailable:
    """The history file this process saw holding photos is now empty (zero bytes, the same
    file): SQLite would start a new history in it as if nothing had been kept (what an open
    connection still holds in the -wal file may not be all of it)."""
    return _refused(
        path,
        "was emptied since this program last used it (it is 0 bytes now): the photos it "
        "kept may be gone",
        "put back a copy if there is one, or move the file away and a new history is "
        "started, or give another path",
    )


def _not_sqlite(path: Path) -> str | None:
    """What the file is, when it does not begin as every SQLite database does: another
    file given for the history (a photo, as ``--history me.png``), not a damaged history,
    for which "move it away, its kept photos may be recoverable" would be wrong. None when
    it begins as SQLite's (then damaged) or cannot be read."""
    try:
        with path.open("rb") as file:
            head = file.read(len(_SQLITE_MAGIC))
    except OSError:
        return None
    if not head.strip(b"\0") or head.startswith(_SQLITE_MAGIC):
        return None  # empty, SQLite's, or its first page zeroed (a history emptied, refilled)
    from ocp_users_photo.web_image.sniff import sniff_image_type

    image_type = sniff_image_type(head)
    if image_type is not None:
        return f"a {image_type.removeprefix('image/').upper()} image"
    return "a file of another kind"


def _refused(
    path: Path, what: str, advice: str, *, kind: type[HistoryUnavailable] = HistoryUnavailable
) -> HistoryUnavailable:
    """Every refusal of the history alike: what is wrong, that Slack is untouched, what to do
    (a model, which can change none of it, is told whom to tell)."""
    named = shown_history_path(path)
    refusal = kind(f"the photo history {named} {what}; nothing was changed in Slack: {advice}")
    refusal.model_message = f"the photo history {named} {what}; nothing was changed in Slack: " + (
        _MODEL_WAITS if kind is HistoryBusy else _MODEL_TELLS
    )
    return refusal


def shown_history_path(path: Path) -> str:
    """The history's path for a message: a relative one as the file it names, since it is
    taken from the working directory, which an MCP host chooses (often ``/``). Bounded, and
    anything in it shaped like a Slack token masked (a token pasted as a folder's name)."""
    if path.is_absolute():
        return shown_path(path)
    try:
        return shown_path(Path.cwd() / path)
    except OSError:  # the working directory was removed under the process
        return f"{shown_path(path)} (relative to a working directory that no longer exists)"


def _reason(error: sqlite3.Error) -> str:
    text = str(error)[:120]
    return "".join(ch if ch.isprintable() else "?" for ch in text) or type(error).__name__
