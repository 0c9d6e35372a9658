"""Runs a module in a fork of ``tests/program_server.py`` as if this process ran it.

    python -I -S tests/program_launcher.py SOCKET MODULE [ARGUMENT ...]

Standard library only, started without site: it costs a hundredth of a second, not the
third of a second the module's imports would. It hands the server its standard streams,
working folder, umask, environment and arguments, passes on the signals it is sent, and
ends as the program ended: its exit code, or killed by the same signal.
"""

import json
import os
import signal
import socket
import struct
import sys

HEADER = struct.Struct("!I")
RELAYED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1)


def closed_streams() -> list[int]:
    """The standard descriptors this process was started without, each now held by
    /dev/null so that the server's socket cannot take its number (the program closes it)."""
    closed = []
    for fd in range(3):
        try:
            os.fstat(fd)
        except OSError:
            closed.append(fd)
            os.open(os.devnull, os.O_RDWR)  # the lowest free number: this one
    return closed


def main() -> None:
    path, module, *arguments = sys.argv[1:]
    closed = closed_streams()
    umask = os.umask(0)
    os.umask(umask)
    request = {
        "module": module,
        "arguments": arguments,
        "cwd": os.getcwd(),
        "umask": umask,
        "closed": closed,
        "environ": dict(os.environ),
    }
    body = json.dumps(request).encode()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.connect(path)
    socket.send_fds(server, [HEADER.pack(len(body))], [0, 1, 2])
    server.sendall(body)

    def relay(number: int, _frame: object) -> None:
        server.sendall(bytes([number]))

    for number in RELAYED:
        signal.signal(number, relay)
    answer = b""
    while not answer.endswith(b"\n"):
        chunk = server.recv(64)
        if not chunk:
            sys.stderr.write("program_launcher: the program server went away\n")
            os._exit(1)
        answer += chunk
    code = int(answer)
    if code < 0:
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    os._exit(code)


if __name__ == "__main__":
    main()
