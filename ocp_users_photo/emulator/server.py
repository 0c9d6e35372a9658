"""Running the emulator: in this event loop (run_emulator) or in a thread (EmulatorThread)."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
import threading
from collections.abc import AsyncIterator, Generator, Iterator
from dataclasses import dataclass
from typing import Final

import uvicorn

from ocp_users_photo.emulator.app import create_app
from ocp_users_photo.emulator.config import EmulatorConfig
from ocp_users_photo.emulator.connections import UvicornConnections
from ocp_users_photo.emulator.faults import FaultQueue
from ocp_users_photo.emulator.requestlog import RequestLog
from ocp_users_photo.emulator.state import EmulatorState
from ocp_users_photo.forwarding import Forwarded
from ocp_users_photo.safe_text import shown

_STARTUP_TIMEOUT_SECONDS = 10.0
# Where a client on this machine reaches a server listening on every interface.
_CONNECTABLE: Final = {"0.0.0.0": "127.0.0.1", "::": "::1"}  # noqa: S104 (named, not bound)


@dataclass(frozen=True)
class RunningEmulator:
    """A handle on a serving emulator: where it is and what it holds."""

    host: str
    port: int
    state: EmulatorState

    @property
    def root_url(self) -> str:
        """http://host:port, without the /api suffix (for the /_emulator/ endpoints).

        A wildcard host (0.0.0.0, ::) is named by its loopback address: it is no address to
        connect to, and the host guard refuses it as a Host (421 to the handle's own URLs).
        """
        host = _CONNECTABLE.get(self.host, self.host)
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The Slack Web API base URL, e.g. http://127.0.0.1:54321/api (no trailing slash)."""
        return self.root_url + "/api"

    @property
    def authorize_url(self) -> str:
        """Slack's https://slack.com/oauth/v2/authorize, here: where an install link points."""
        return self.root_url + "/oauth/v2/authorize"

    @property
    def control_url(self) -> str:
        """The control API's index (GET lists every endpoint)."""
        return self.root_url + "/_emulator/"

    # The state's parts, for short: emulator.faults is emulator.state.faults.
    config = Forwarded[EmulatorConfig]("state")
    faults = Forwarded[FaultQueue]("state")
    requests = Forwarded[RequestLog]("state")


class _Server(uvicorn.Server):
    """uvicorn's server without its signal handlers (the caller owns Ctrl-C) that stops at once.

    uvicorn looks at ``should_exit`` every 0.1 s and then pauses another 0.1 s for open
    connections even when there are none: 0.2 s per emulator, which a test suite starting
    hundreds of them pays in full. Here ``request_exit`` wakes the serve loop, and a
    shutdown with no connection open skips the pause.
    """

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._exit_requested = asyncio.Event()

    def request_exit(self) -> None:
        self.should_exit = True
        self._exit_requested.set()

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield

    async def main_loop(self) -> None:
        # on_tick refreshes the Date header when its counter is a multiple of 10, which
        # uvicorn's own loop reaches once a second; here every wake-up is a second.
        ticks = 0
        while not await self.on_tick(ticks):
            ticks = (ticks + 10) % 864000
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._exit_requested.wait(), timeout=1.0)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self.server_state.connections or self.server_state.tasks:
            await super().shutdown(sockets)
            return
        for server in self.servers:
            server.close()
        for listener in sockets or []:
            listener.close()
        for server in self.servers:
            await server.wait_closed()
        if not self.force_exit:
            await self.lifespan.shutdown()


@contextlib.asynccontextmanager
async def run_emulator(
    config: EmulatorConfig | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    state: EmulatorState | None = None,
) -> AsyncIterator[RunningEmulator]:
    """Serve the emulator in this event loop until the block ends; port 0 picks a free one."""
    state = state if state is not None else EmulatorState(config)
    if config is not None and config is not state.config:
        raise ValueError("give either a config or a state built from it, not two different ones")
    try:
        listener = _bind(host, port)
    except OSError as error:
        # "[Errno 98] Address already in use" alone, of no address, with none of the advice
        # EmulatorThread and the command line give: said beside it, the error kept (errno).
        error.add_note(
            f"cannot listen on {shown(host, 80)}:{port}: "
            f"{listen_advice(error, 'port', 'host and port')}"
        )
        raise
    connections = UvicornConnections()
    app = create_app(state=state, connections=connections)
    with _HOSTS_UVICORN_LOGGING.kept_while_serving():
        server = _Server(
            uvicorn.Config(
                app,
                log_config=None,
                access_log=False,
                log_level="warning",
                lifespan="off",
                # h11 is always there; the wire faults rely on its connection objects.
                http="h11",
                # X-Forwarded-For must not rewrite the peer address the wire faults look up.
                proxy_headers=False,
                server_header=False,
                timeout_graceful_shutdown=state.config.shutdown_grace_seconds,
            )
        )
        connections.attach(server)
        serving = asyncio.create_task(server.serve(sockets=[listener]))
        try:
            await _wait_started(server, serving)
            bound_host, bound_port = listener.getsockname()[:2]
            yield RunningEmulator(host=str(bound_host), port=int(bound_port), state=state)
        finally:
            server.request_exit()
            try:
                await serving
            finally:
                listener.close()


# The loggers uvicorn.Config sets up for itself (levels; the access log's handlers).
_UVICORN_LOGGERS = ("uvicorn.error", "uvicorn.access", "uvicorn.asgi")
# What uvicorn cancels a request's task with once the shutdown's grace is over (it says
# so first, in one line: "Cancel 1 running task(s), timeout graceful shutdown exceeded").
_GRACE_OVER: Final = "Task cancelled, timeout graceful shutdown exceeded"


class _NoTracebackForGraceOver(logging.Filter):
    """Drops uvicorn's "Exception in ASGI application" for a request its shutdown cancelled.

    Ctrl-C with an upload under way printed a 20-line traceback of a CancelledError: no
    fault of the emulator's nor of the request's, and uvicorn's own line before it already
    says a request was cut short. Only that cancellation's record goes (its exact words);
    any other error of an application, the host's too, is logged as before.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not (isinstance(error, asyncio.CancelledError) and error.args == (_GRACE_OVER,))


_GRACE_OVER_FILTER: Final = _NoTracebackForGraceOver()


class _HostsUvicornLogging:
    """The host's uvicorn loggers as they were before the first emulator running started."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = 0
        self._saved: list[tuple[logging.Logger, int, list[logging.Handler], bool]] = []

    @contextlib.contextmanager
    def kept_while_serving(self) -> Iterator[None]:
        """uvicorn.Config quiets its loggers for the whole process (levels; the access log's
        handlers emptied, the only way its access log goes off: the emulator's requests
        carry tokens). The emulator runs inside a host (its tests, its demo), whose logging
        is the host's: put back as it was once the last emulator running stops."""
        with self._lock:
            if self._running == 0:
                self._saved = [
                    (logger, logger.level, logger.handlers[:], logger.propagate)
                    for logger in map(logging.getLogger, _UVICORN_LOGGERS)
                ]
                logging.getLogger("uvicorn.error").addFilter(_GRACE_OVER_FILTER)
            self._running += 1
        try:
            yield
        finally:
            with self._lock:
                self._running -= 1
                if self._running == 0:
                    logging.getLogger("uvicorn.error").removeFilter(_GRACE_OVER_FILTER)
                    for logger, level, handlers, propagate in self._saved:
                        logger.setLevel(level)
                        logger.handlers[:] = handlers
                        logger.propagate = propagate


_HOSTS_UVICORN_LOGGING = _HostsUvicornLogging()


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP spelled out: asyncio sets TCP_NODELAY only on sockets whose
    # proto says TCP, and without it every reply waits ~40 ms for delayed ACKs.
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(128)
        listener.setblocking(False)
    except OSError:
        listener.close()
        raise
    return listener


async def _wait_started(server: uvicorn.Server, serving: asyncio.Task[None]) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _STARTUP_TIMEOUT_SECONDS
    while not server.started:
        if serving.done():
            # serve() ended before starting: re-raise its error, if any.
            serving.result()
            raise RuntimeError("the emulator's server stopped before it started")
        if loop.time() > deadline:
            raise TimeoutError("the emulator's server did not start in time")
        await asyncio.sleep(0.005)


def listen_advice(error: OSError, port: str, settings: str) -> str:
    """What to do when the emulator cannot listen (``port``, ``settings``: the names its
    caller gives them: ``--port`` on the command line, ``port`` in Python)."""
    if error.errno == errno.EADDRINUSE:
        return (
            "another program (perhaps another emulator) listens there: stop it, or give "
            f"another {port}, or leave it out for a free one"
        )
    if error.errno == errno.EACCES:
        return f"this user may not listen on that port: give a {port} above 1023"
    return f"{error.strerror or error}: check {settings}"


class EmulatorThread:
    """The emulator in a background thread with its own event loop, for synchronous code.

    Use it as a context manager: `with EmulatorThread(config) as emulator:` gives
    the same RunningEmulator handle as run_emulator().
    """

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        state: EmulatorState | None = None,
    ) -> None:
        self._config = config
        self._host = host
        self._port = port
        self._state = state
        self._ready = threading.Event()
        self._handle: RunningEmulator | None = None
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="slack-emulator", daemon=True)

    def start(self) -> RunningEmulator:
        """Start serving and wait until the server accepts connections."""
        self._thread.start()
        if not self._ready.wait(_STARTUP_TIMEOUT_SECONDS + 5):
            raise TimeoutError("the emulator thread did not start in time")
        if self._error is not None:
            self._thread.join()
            # "failed to start" alone, the port taken said only in the chained traceback: the
            # advice run_emulator notes on a listener it could not make is told here too.
            notes = getattr(self._error, "__notes__", None) or [""]
            said = f": {notes[-1]}" if isinstance(self._error, OSError) and notes[-1] else ""
            raise RuntimeError(f"the emulator failed to start{said}") from self._error
        assert self._handle is not None
        return self._handle

    def stop(self) -> None:
        """Stop serving and wait for the thread to finish."""
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join()
        if self._error is not None:
            raise RuntimeError("the emulator stopped with an error") from self._error

    def __enter__(self) -> RunningEmulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as error:  # handed to the caller's thread, not lost
            self._error = error
        finally:
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with run_emulator(
            self._config, host=self._host, port=self._port, state=self._state
        ) as handle:
            self._handle = handle
            self._ready.set()
            await self._stop.wait()


@contextlib.contextmanager
def start_emulator_in_thread(
    config: EmulatorConfig | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    state: EmulatorState | None = None,
) -> Iterator[RunningEmulator]:
    """Context manager form of EmulatorThread."""
    with EmulatorThread(config, host=host, port=port, state=state) as handle:
        yield handle
