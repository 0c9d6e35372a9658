"""What a program sees of the process it runs in, printed as JSON; then it ends as asked.

    python -m tests.program_probe [exit N | unclosed FILE | raise | interrupt | terminated | parent]

tests/test_program_forks.py runs it both in a new interpreter and in a fork of the
program server, and compares what the two print and how they end.
"""

from __future__ import annotations

import io
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import TextIO, cast

kept: list[TextIO] = []  # what only this module holds, to the interpreter's end


def stream_seen(stream: TextIO | None) -> object:
    if stream is None:
        return None
    text = cast(io.TextIOWrapper, stream)
    return (
        repr(text),
        text.encoding,
        text.errors,
        text.line_buffering,
        text.write_through,
        type(text.buffer).__name__,
        text.isatty(),
    )


def seen() -> dict[str, object]:
    umask = os.umask(0)
    os.umask(umask)
    return {
        "name": __name__,
        "globals": sorted(name for name in globals() if not name.startswith("__")),
        "argv": sys.argv,
        "cwd": os.getcwd(),
        "path0": sys.path[0],
        "umask": umask,
        "variable": os.environ.get("PROBE_VARIABLE"),
        "zone": time.tzname,
        "stdin": sys.stdin.read() if sys.stdin else None,
        "streams": [stream_seen(stream) for stream in (sys.stdin, sys.stdout, sys.stderr)],
        "signals": [
            str(signal.getsignal(number))
            for number in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE, signal.SIGCHLD)
        ],
    }


def main(how: list[str]) -> None:
    print(json.dumps(seen()))
    print("to stderr", file=sys.stderr)
    if how[:1] == ["exit"]:
        sys.exit(int(how[1]))
    if how[:1] == ["unclosed"]:  # written, never closed: the interpreter's end flushes it
        kept.append(open(how[1], "w"))  # noqa: SIM115
        kept[-1].write("written but never closed\n")
    if how == ["raise"]:
        raise LookupError("raised by the probe")
    if how == ["interrupt"]:
        raise KeyboardInterrupt
    if how == ["parent"]:  # the command line of the process that started this one
        parent = Path(f"/proc/{os.getppid()}/cmdline").read_bytes()
        print(parent.replace(b"\0", b" ").decode(errors="replace"), file=sys.stderr)
    if how == ["terminated"]:
        sys.stdout.flush()
        os.kill(os.getpid(), signal.SIGTERM)


if __name__ == "__main__":
    main(sys.argv[1:])
