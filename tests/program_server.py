"""A pre-imported interpreter that runs the package's programs in forks of itself.

    python -m tests.program_server SOCKET

SOCKET is a path in a folder of the server's own, which it removes as it ends.

Most of a command's run in a test is Python importing the package and what it uses (a
third of a second of processor time each, hundreds of runs a session). This process
imports them once, then, for each request of ``tests/program_launcher.py``, forks a
child that takes the launcher's standard streams, working folder, umask, environment
and arguments, and runs the module as ``python -m`` would: a fresh ``__main__``, its
exit code or the signal that ended it handed back to the launcher, which exits alike.

Per request: a first fork (the waiter) forks the program and waits for it, relaying the
launcher's signals to it and killing it if the launcher goes away (a test's timeout).
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import io
import json
import os
import runpy
import select
import shutil
import signal
import socket
import struct
import sys
import threading
import time
import traceback
import types
import warnings
from pathlib import Path
from typing import Any

from ocp_users_photo import warm_imports

# What the commands import on their way: imported here once, not in every run (the
# modules a long-running server warms, then those the command line starts with).
PREIMPORTED = (
    *warm_imports._CALL_PATH,
    "ocp_users_photo.cli",
    "ocp_users_photo.command_line",
    "ocp_users_photo.mcp_server",
    "httpcore",
    "PIL.Image",
)
HEADER = struct.Struct("!I")
STREAMS = 3  # stdin, stdout, stderr
SERVER_FOLDER = os.path.realpath(os.getcwd())  # where the server imported from


def preimport() -> None:
    """Import what the commands use; a warning on the way would be printed by every real run
    (and lost from a forked one's stderr), so the server refuses to start instead."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        for name in PREIMPORTED:
            importlib.import_module(name)
        from PIL import Image

        Image.init()
    if caught:
        raise SystemExit(f"importing the programs warned: {[str(w.message) for w in caught]}")


def received(connection: socket.socket) -> tuple[dict[str, Any], list[int]]:
    """The launcher's request and its three standard streams' descriptors."""
    header, fds, _flags, _address = socket.recv_fds(connection, HEADER.size, STREAMS)
    if len(header) != HEADER.size or len(fds) != STREAMS:
        raise ConnectionError("an incomplete request")
    (length,) = HEADER.unpack(header)
    body = bytearray()
    while len(body) < length:
        chunk = connection.recv(length - len(body))
        if not chunk:
            raise ConnectionError("a request cut short")
        body += chunk
    request: dict[str, Any] = json.loads(bytes(body))
    return request, fds


def standard_stream(fd: int, template: io.TextIOWrapper, buffered: bool) -> io.TextIOWrapper:
    """A standard stream on ``fd`` as a new interpreter makes it: the encoding and error
    handler the same environment chose for ours; buffered unless ``-u``/PYTHONUNBUFFERED
    (stdin always), then line by line on a terminal, and on stderr."""
    binary = (
        open(fd, "rb", closefd=False)  # noqa: SIM115 - it lives as long as the program
        if fd == 0
        else open(fd, "wb", buffering=-1 if buffered else 0, closefd=False)  # noqa: SIM115
    )
    return io.TextIOWrapper(
        binary,
        encoding=template.encoding,
        errors=template.errors,
        newline="\n",
        line_buffering=buffered and (fd == 2 or os.isatty(fd)),
        write_through=not buffered,
    )


def exit_code_of(exit_: SystemExit) -> int:
    """What the interpreter makes of an uncaught SystemExit: an int as the system keeps it
    (its last byte; one past a C long, -1), None 0, anything else printed and 1."""
    if exit_.code is None:
        return 0
    if isinstance(exit_.code, int):
        return exit_.code & 0xFF if -(2**63) <= exit_.code < 2**63 else 0xFF
    print(exit_.code, file=sys.stderr)
    return 1


def print_uncaught(error: BaseException) -> None:
    """The traceback as a new interpreter prints it: from runpy's frames, not ours."""
    below_us = error.__traceback__.tb_next if error.__traceback__ else None
    traceback.print_exception(type(error), error, below_us)


def shadowed(cwd: str) -> bool:
    """Whether the run's folder holds a module or package named as one the server imported:
    a new interpreter (that folder first on sys.path) would import that one instead."""
    if os.path.realpath(cwd) == SERVER_FOLDER:
        return False
    try:
        entries = os.listdir(cwd)
    except OSError:
        return False
    imported = {name.partition(".")[0] for name in sys.modules}
    return any(
        entry.removesuffix(".py") in imported
        for entry in entries
        if entry.endswith(".py") or os.path.isdir(os.path.join(cwd, entry))
    )


def finish(code: int, interrupted: bool = False) -> None:
    """End as the interpreter's shutdown does: threads joined, atexit run, streams flushed,
    what __main__ alone kept finalized (an unclosed file written, its ResourceWarning
    shown); then exit with ``code``, or, ``interrupted``, be killed by SIGINT."""
    threading._shutdown()  # type: ignore[attr-defined]
    atexit._run_exitfuncs()
    flushed_stdout = True
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except OSError as error:
            if stream is sys.stdout:
                flushed_stdout = False
                print(f"Exception ignored in: {stream!r}", file=sys.stderr)
                traceback.print_exception(type(error), error, None)
    vars(sys.modules["__main__"]).clear()
    gc.collect()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError):
            if stream is not None:
                stream.flush()
    if interrupted:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    os._exit(code if flushed_stdout else 120)


def run_program(request: dict[str, Any], fds: list[int]) -> None:
    """In the program's own process: become it, run it, end as its interpreter would."""
    for fd, target in zip(fds, range(STREAMS), strict=True):
        os.dup2(fd, target)
    for fd in fds:
        if fd >= STREAMS:
            os.close(fd)
    for fd in request["closed"]:  # closed in the launcher: closed here, its sys.std* None
        os.close(fd)
    for number in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.chdir(request["cwd"])
    os.umask(request["umask"])
    os.environ.clear()
    os.environ.update(request["environ"])
    time.tzset()  # the zone the run's TZ names, not the server's
    arguments = [request["module"], *request["arguments"]]
    if shadowed(request["cwd"]):
        for number in (signal.SIGPIPE, signal.SIGXFSZ):  # as subprocess restores them
            signal.signal(number, signal.SIG_DFL)
        os.execv(sys.executable, [sys.executable, "-m", *arguments])
    templates = (sys.stdin, sys.stdout, sys.stderr)
    # The server's own stdout: raw (unbuffered) where -u or PYTHONUNBUFFERED made it so.
    buffered = not isinstance(getattr(sys.stdout, "buffer", None), io.FileIO)
    for fd, (name, template) in enumerate(
        zip(("stdin", "stdout", "stderr"), templates, strict=True)
    ):
        stream = None
        if fd not in request["closed"]:
            stream = standard_stream(fd, template, buffered)  # type: ignore[arg-type]
            setattr(getattr(stream.buffer, "raw", stream.buffer), "name", f"<{name}>")  # noqa: B010
            stream.mode = "r" if fd == 0 else "w"  # type: ignore[misc]
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)
    sys.argv = ["-m", *request["arguments"]]
    sys.path[0] = request["cwd"]
    # A new interpreter has not imported the module it runs as __main__ (runpy warns if so),
    # and its __main__ holds nothing of the server's.
    sys.modules.pop(request["module"], None)
    sys.modules["__main__"] = types.ModuleType("__main__")
    code, interrupted = 0, False
    try:
        runpy._run_module_as_main(request["module"])  # type: ignore[attr-defined]
    except SystemExit as exit_:
        code = exit_code_of(exit_)
    except KeyboardInterrupt as error:
        print_uncaught(error)
        interrupted = True
    except BaseException as error:
        print_uncaught(error)
        code = 1
    finish(code, interrupted)


def wait_for_program(connection: socket.socket) -> None:
    """In the waiter: fork the program, relay signals, report how it ended."""
    request, fds = received(connection)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    program = os.fork()
    if program == 0:
        connection.close()
        try:
            run_program(request, fds)
        except BaseException:  # the server's own failure to set the program up
            os.write(2, traceback.format_exc().encode(errors="replace"))
        finally:
            os._exit(1)
    for fd in fds:
        os.close(fd)
    ended = os.pidfd_open(program)
    launcher_gone = False
    while True:
        waiting_on = [ended] if launcher_gone else [ended, connection.fileno()]
        ready, _, _ = select.select(waiting_on, [], [])
        if ended in ready:
            break
        relayed = connection.recv(64)
        if not relayed:
            launcher_gone = True
            with contextlib.suppress(ProcessLookupError):
                os.kill(program, signal.SIGKILL)
        for number in relayed:
            with contextlib.suppress(OSError, ValueError):  # only signals are sent here
                os.kill(program, number)
    _, status = os.waitpid(program, 0)
    with contextlib.suppress(OSError):
        connection.sendall(f"{os.waitstatus_to_exitcode(status)}\n".encode())


def serve(path: str) -> None:
    """Serve until the test process that started this one closes its end of our stdin (or
    ends, which closes it): a server of a killed test run does not outlive it. The socket's
    folder is the server's own: removed as it ends (a worker's exit runs no atexit)."""
    try:
        serve_in(path)
    finally:
        shutil.rmtree(Path(path).parent, ignore_errors=True)


def serve_in(path: str) -> None:
    preimport()
    os.close(os.pidfd_open(os.getpid()))  # a kernel without pidfds: refused at start, not later
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the waiters are reaped as they end
    print("ready", flush=True)
    while True:
        ready, _, _ = select.select([listener.fileno(), 0], [], [])
        if 0 in ready:
            return
        connection, _ = listener.accept()
        if os.fork() == 0:  # the waiter: it never returns into the server's code
            try:
                listener.close()
                wait_for_program(connection)
            finally:
                os._exit(0)
        connection.close()


if __name__ == "__main__":
    serve(sys.argv[1])
