"""Shared fixtures: images made on the fly, a scripted loopback server, a tool pointed at it."""

from __future__ import annotations

import gc
import inspect
import io
import logging
import os
import signal
import ssl
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from blockbuster import BlockBuster
from hypothesis import settings
from PIL import Image

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import Fault, RecordedRequest, RunningEmulator
from ocp_users_photo.slack.stacks import StackName
from tests.http_stacks import stack_params
from tests.loopback import LoopbackServer, serve
from tests.readme_blocks import not_run, readme_blocks
from tests.reliability_report import ReliabilityCollector, ReliabilityReport, session_report

pytest_plugins = ["tests.emulator_fixtures", "tests.framework_fixtures", "tests.postgres_fixtures"]

# No Hypothesis deadline: one example over 200 ms fails a test as "Unreliable test timings"
# (FlakyFailure), and one pause of a busy worker (three on two processors) is that. No test
# here bounds its time with it; those that time something assert it themselves.
settings.register_profile("suite", deadline=None)
settings.load_profile("suite")

CANARY_TOKEN = "xoxp-1111111111-2222222222-3333333333-canary0c4a7e9f1b2d3c4e5f60718293a4b5c6"
# For a test that forks a threaded process on purpose (what a pre-fork server or
# multiprocessing does to the package): Python 3.12 and later warn of every such fork.
FORKS_ON_PURPOSE = "ignore:This process .* is multi-threaded, use of fork:DeprecationWarning"


def make_image(
    size: tuple[int, int] = (600, 600),
    fmt: str = "PNG",
    mode: str = "RGB",
    color: Any = (200, 40, 40),
    **save_options: Any,
) -> bytes:
    """Encode a solid image; a right-hand quarter in another colour shows crops and rotations."""
    picture = Image.new(mode, size, color)
    if mode in ("RGB", "RGBA"):
        width, height = size
        picture.paste(
            (20, 40, 220) if mode == "RGB" else (20, 40, 220, 255),
            (width // 2, 0, width, height // 2),
        )
    buffer = io.BytesIO()
    picture.save(buffer, format=fmt, **save_options)
    return buffer.getvalue()


def pixel_at(picture: Image.Image, point: tuple[int, int]) -> tuple[int, ...]:
    """The pixel at point of a picture of several bands: a tuple (one band's is a number)."""
    value = picture.getpixel(point)
    assert isinstance(value, tuple), value
    return value


@pytest.fixture(autouse=True, scope="session")
def reply_validator_built() -> None:
    """The reply validator built once, before any test's event loop runs: its first build
    reads jsonschema's metaschemas from disk, which the blocking check refuses on a loop
    (tests call it inside async tests; the package itself calls it off the loop)."""
    from ocp_users_photo.spec import response_validator

    response_validator()


@pytest.fixture
def write_image(tmp_path: Path) -> Callable[..., Path]:
    """Write an image made by make_image to tmp_path/name and return its path."""

    def write(name: str = "photo.png", **options: Any) -> Path:
        path = tmp_path / name
        path.write_bytes(make_image(**options))
        return path

    return write


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    """A certificate authority of the test module's own, for loopback servers over TLS."""
    return trustme.CA()


def company_ca(folder: Path) -> tuple[ssl.SSLContext, Path]:
    """A company gateway's CA of its own: the TLS context of a loopback server (127.0.0.1)
    whose certificate it signed, and its certificate written to ``folder`` as the PEM
    bundle an operator names in SSL_CERT_FILE."""
    authority = trustme.CA()
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(server_tls)
    bundle = folder / "corp-ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    return server_tls, bundle


@pytest.fixture
def client_tls(ca: trustme.CA) -> ssl.SSLContext:
    """A client's TLS context that trusts ``ca``."""
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


@pytest.fixture
async def host(ca: trustme.CA) -> AsyncIterator[LoopbackServer]:
    """An https server on loopback (127.0.0.1, also named images.test and localhost) whose
    certificate ``ca`` signed: an image host for the web image tests, routes added by each."""
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "images.test", "localhost").configure_cert(server_tls)
    async with serve(server_tls) as running:
        yield running


@pytest.fixture(params=stack_params())
def http_stack(request: pytest.FixtureRequest) -> StackName:
    """Each HTTP stack the tool's own client can use (tests/http_stacks.py), in turn."""
    stack: StackName = request.param
    return stack


@pytest.fixture
async def tool(emulator: RunningEmulator) -> AsyncIterator[UsersSetPhoto]:
    """The tool, with the canary token, against the emulator (faults script its answers)."""
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=emulator.base_url, retry_backoff=0.01, environ={}
    ) as photo_tool:
        yield photo_tool


def photo_requests(emulator: RunningEmulator) -> list[RecordedRequest]:
    """The users.setPhoto requests that reached the emulator, in order."""
    return emulator.requests.for_path("/api/users.setPhoto")


def shown_avatar_hash(emulator: RunningEmulator, token: str = CANARY_TOKEN) -> str:
    """The avatar_hash Slack (the emulator) now shows for the token's user."""
    return emulator.state.person_for_token(token).avatar_hash


@pytest.fixture(autouse=True)
def private_data_folder(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """The user's data folder, where the photo history lives by default, is a fresh one.

    Model doors keep replaced photos by default; no test writes into the real home.
    Subprocesses inherit it through the environment.
    """
    folder = tmp_path_factory.mktemp("user-data")
    monkeypatch.setenv("XDG_DATA_HOME", str(folder))
    monkeypatch.delenv("OCP_USERS_PHOTO_HISTORY", raising=False)
    return folder


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every log record at DEBUG and above, from every logger."""
    caplog.set_level(logging.DEBUG)
    return caplog


@pytest.fixture(scope="session")
def package_blockbuster() -> BlockBuster:
    """The blocking-call detector for the package's code, built once per test process.

    Building it finds and wraps every blocking function (about 15 ms); turning it on
    and off around each test costs a hundredth of that.
    """
    blocker = BlockBuster("ocp_users_photo", excluded_modules=["ocp_users_photo.emulator"])
    for blocking_call, module_file, functions in _MAY_BLOCK:
        blocker.functions[blocking_call].can_block_in(module_file, functions)
    return blocker


@pytest.fixture(autouse=True)
def no_blocking_in_the_package(request: pytest.FixtureRequest) -> Iterator[None]:
    """Async tests fail if the package's own code blocks the event loop (blockbuster).

    Scoped to ocp_users_photo's modules; the emulator (which runs in the test's loop
    but is the test's server, not the package's client) is left out.
    """
    if request.node.get_closest_marker("blocking_by_design") is not None or not (
        inspect.iscoroutinefunction(getattr(request.node, "function", None))
    ):
        yield
        return
    blocker: BlockBuster = request.getfixturevalue("package_blockbuster")
    blocker.activate()
    try:
        yield
    finally:
        blocker.deactivate()


# Blocking calls the package makes on the event loop on purpose, each with why.
_MAY_BLOCK: tuple[tuple[str, str, set[str]], ...] = (
    # ocp-agent's constructor creates its cache folder; this package's OCPAgent calls it.
    ("os.mkdir", "ocp_users_photo/agents/agent.py", {"__init__"}),
    ("os.stat", "ocp_users_photo/agents/agent.py", {"__init__"}),
    # ocp-agent's classes are imported on first use (once per process), when it is installed.
    ("os.listdir", "ocp_users_photo/agents/definitions.py", {"ocp_agent_class"}),
    ("os.stat", "ocp_users_photo/agents/definitions.py", {"ocp_agent_class"}),
    ("io.BufferedReader.read", "ocp_users_photo/agents/definitions.py", {"ocp_agent_class"}),
    ("io.TextIOWrapper.read", "ocp_users_photo/agents/definitions.py", {"ocp_agent_class"}),
    # The manifest is read once per process (a 9 KB file), cached after that.
    ("os.stat", "ocp_users_photo/spec.py", {"manifest_path", "_manifest_bytes"}),
    ("io.BufferedReader.read", "ocp_users_photo/spec.py", {"_manifest_bytes"}),
    # Image roots are checked when a tool is built (once), so a wrong root fails at once.
    ("os.stat", "ocp_users_photo/settings.py", {"resolve_roots", "door_image_roots"}),
    ("os.readlink", "ocp_users_photo/settings.py", {"resolve_roots"}),
    ("os.path.abspath", "ocp_users_photo/settings.py", {"resolve_roots", "door_image_roots"}),
    ("os.getcwd", "ocp_users_photo/settings.py", {"resolve_roots", "door_image_roots"}),
)


REQUIRE_OCP_AGENT = "OCP_USERS_PHOTO_REQUIRE_OCP_AGENT"
README_TESTS = "tests/test_readme_blocks.py"


@pytest.fixture
def ocp_agent_library() -> Any:
    """The real ocp-agent package; skipped when it is absent, a failure when CI requires it.

    ocp-agent is not on the package index: .ci/run installs it from ../shared/vendor and
    sets OCP_USERS_PHOTO_REQUIRE_OCP_AGENT, so these tests cannot be skipped there.
    """
    try:
        import ocp_agent
    except ImportError:
        if os.environ.get(REQUIRE_OCP_AGENT):
            pytest.fail(f"{REQUIRE_OCP_AGENT} is set but ocp-agent is not installed")
        pytest.skip(
            "ocp-agent is not installed (it is not on the package index): README, 'Use it "
            "from an agent', installs it (.ci/run installs it from ../shared/vendor)"
        )
    return ocp_agent


@pytest.fixture(scope="session")
def reliability(pytestconfig: pytest.Config) -> ReliabilityReport:
    """The session's reliability figures (printed at the end of the run, all workers')."""
    return session_report(pytestconfig)


def pytest_configure(config: pytest.Config) -> None:
    ctrl_c_reaches_children()
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(ReliabilityCollector(config), "ocp_users_photo_reliability")


def ctrl_c_reaches_children() -> None:
    """Ctrl-C tests play a person at a terminal; a suite started in the background of a
    script (``pytest &`` in a non-interactive shell) has SIGINT ignored, as POSIX asks.

    Every process the suite started inherited that: the commands under test rightly kept
    ignoring it (asyncio.run installs its handler only over Python's default), and their
    Ctrl-C tests failed as if the interruption were lost. Put back here, before any worker
    or command starts, each child gets the terminal's default. Off the main thread nothing
    can be set, and nothing needs to be: the main thread's process set it for its children.
    """
    on_main_thread = threading.current_thread() is threading.main_thread()
    if on_main_thread and signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Everything imported so far lives as long as the run: keep it out of the collector.

    The test modules import half a million objects (the agent frameworks, the provider
    SDKs); every full collection walked them all, 0.7 s each, whether a test called
    gc.collect() or Python did. Frozen, a full collection walks only what tests make.
    """
    gc.freeze()


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """``-n auto`` starts one worker more than this process may use processors.

    A quarter of the suite's worker time waits, not computes: on subprocesses (the command
    line, the MCP server, mypy) and on uploads the emulator holds for seconds to cancel
    them mid-flight. On two processors, two workers left them idle that quarter of the
    time; a third fills it. ``PYTEST_XDIST_AUTO_NUM_WORKERS`` still decides where set.
    """
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # pytest-xdist's own reading of it
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (usable or 1) + 1


def in_run_order(items: list[pytest.Item]) -> list[pytest.Item]:
    """The long tests first, the waiting ones spread through the first two thirds of the rest.

    Started last, a 30-second test would keep one worker busy after the others ran out of
    work; started first, the short ones fill in around it. A test that waits (on a deadline,
    a settle time, another process) leaves the processor to the other workers, but only
    while they have work: the waiting ones all started first left both processors idle
    for whole seconds at a time (a quarter of the suite's first three minutes), each
    worker waiting at once. Spread out, at most one worker waits most of the time.
    """

    def marked(item: pytest.Item, name: str) -> bool:
        return item.get_closest_marker(name) is not None

    waiting = sorted(
        (item for item in items if marked(item, "waits")),
        key=lambda item: not marked(item, "runs_long"),  # the longest wait first
    )
    long_ones = [item for item in items if marked(item, "runs_long") and item not in waiting]
    rest = [item for item in items if not marked(item, "runs_long") and item not in waiting]
    every = max(1, (2 * len(rest) // 3) // (len(waiting) + 1))
    ordered = [*long_ones]
    for index, item in enumerate(rest):
        if waiting and index % every == 0:
            ordered.append(waiting.pop(0))
        ordered.append(item)
    return [*ordered, *waiting]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The tests in their run order (``in_run_order``); under pytest-xdist, the PostgreSQL
    tests on one worker: one server starts."""
    items[:] = in_run_order(items)
    if not config.pluginmanager.hasplugin("xdist"):
        return
    for item in items:
        if "postgres_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("postgresql"))


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):
        return
    figures = session_report(config)
    if figures:
        terminalreporter.section("reliability figures")
        terminalreporter.write_line(figures.markdown())
    reports = [report for reports in terminalreporter.stats.values() for report in reports]
    if any(getattr(report, "nodeid", "").startswith(README_TESTS) for report in reports):
        terminalreporter.section("README blocks not run, and why")
        for what, reason in not_run(readme_blocks()):
            terminalreporter.write_line(f"- {what}\n  {reason}")


def inject(emulator: RunningEmulator, *faults: Fault, method: str = "users.setPhoto") -> None:
    """The next requests to ``method`` answer these faults, one each, in this order."""
    for fault in faults:
        emulator.faults.inject(fault, path=method)


AVATAR_HASH = "0123456789ab"


def success_reply(base: str = "https://avatars.example.com/u1") -> dict[str, Any]:
    """A users.setPhoto reply that satisfies the seed's response schema."""
    profile: dict[str, Any] = {
        f"image_{size}": f"{base}/{size}.png" for size in (24, 32, 48, 72, 192, 512, 1024)
    }
    profile["image_original"] = f"{base}/original.png"
    profile["avatar_hash"] = AVATAR_HASH
    return {"ok": True, "profile": profile}
