"""Hostile and malformed input: the same answer through every front door.

Each item of ``tests/corpus.py`` goes through ``UsersSetPhoto.call``, ``UsersSetPhoto.run``,
a registered stand-in agent's ``call_tool``, the ``ocp-users-photo set`` command and the
MCP server, all configured alike (one emulator on 127.0.0.1, the corpus folder as the
only image root, the canary token), except where the corpus says a door cannot carry
the input. A refusal must have the same error code and problem paths everywhere, the
same messages wherever the values arrive with the same types; an accepted item must
reach the emulator from every door as the same bytes with the expected content type.
The canary token must appear in nothing any door produced.

As root, the subprocess doors run under ``unshare --user`` (no CAP_DAC_OVERRIDE), and so
do the in-process doors for items that need file permissions to bind (a runner module).
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import stat
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import httpx
import pytest
from PIL import Image

from ocp_users_photo.emulator import (
    EmulatorConfig,
    RecordedRequest,
    RunningEmulator,
    start_emulator_in_thread,
)
from ocp_users_photo.set_command import crop_arguments_as_flags
from tests import ocp_agent_dependents
from tests.conftest import CANARY_TOKEN
from tests.corpus import (
    CLI,
    CORPUS,
    DOORS,
    MCP,
    Accepted,
    Item,
    Refused,
    build_corpus_folder,
    cli_words,
    expressible_doors,
    mcp_arguments,
    release_corpus_folder,
)
from tests.corpus_doors import McpDoor, Outcome, through_cli, through_python_doors
from tests.reliability_report import ReliabilityReport
from tests.without_ocp_agent import environment_without_ocp_agent

CANARY_SECRET = CANARY_TOKEN.split("-", 1)[1]  # the part that identifies the token
REPOSITORY = Path(__file__).resolve().parent.parent
AS_ROOT = os.geteuid() == 0
SECTION = "hostile input"


def unprivileged() -> list[str]:
    """The command prefix that takes root's power to read anything away (none needed otherwise)."""
    if not AS_ROOT:
        return []
    unshare = shutil.which("unshare")
    assert unshare is not None, "as root, the corpus needs unshare --user to drop CAP_DAC_OVERRIDE"
    return [unshare, "--user"]


def command_line() -> list[str]:
    script = Path(sys.executable).with_name("ocp-users-photo")
    assert script.exists(), f"the console script is installed next to python: {script}"
    return [*unprivileged(), str(script)]


@pytest.fixture(scope="module")
def corpus_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("corpus") / "images"
    build_corpus_folder(root)
    yield root
    release_corpus_folder(root)


@pytest.fixture(scope="module")
def corpus_emulator() -> Iterator[RunningEmulator]:
    """One emulator for the whole corpus (in a thread: the CLI doors are subprocesses)."""
    with start_emulator_in_thread(
        EmulatorConfig(rate_limit_per_minute=None, record_bodies=False)
    ) as running:
        yield running


@pytest.fixture(scope="module")
def command_doors(pytestconfig: pytest.Config) -> bool:
    """Whether the command line and the MCP server are among the doors: not in the run of
    the tests that may meet ocp-agent (test_quick_start_without_ocp_agent.py), since they
    run without it here already (``door_env``)."""
    return not pytestconfig.pluginmanager.has_plugin(ocp_agent_dependents.__name__)


@pytest.fixture(scope="module")
def door_env(
    corpus_emulator: RunningEmulator, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """The subprocess doors' environment: the canary token and the emulator, nothing else Slack,
    and a data folder of their own (made before any test's own, so it is not inherited):
    the photos the model doors keep never go to the real home. ocp-agent is hidden from
    them, as on a newcomer's machine: the command line and the MCP server must not need it.
    """
    hidden = environment_without_ocp_agent(tmp_path_factory.mktemp("hide"), os.environ)
    environment = {key: value for key, value in hidden.items() if not key.startswith("SLACK_")}
    environment.pop("OCP_USERS_PHOTO_HISTORY", None)
    environment.update(
        {
            "SLACK_USER_TOKEN": CANARY_TOKEN,
            "SLACK_API_URL": corpus_emulator.base_url,
            "XDG_DATA_HOME": str(tmp_path_factory.mktemp("corpus-user-data")),
        }
    )
    return environment


@pytest.fixture(scope="module")
def mcp_door(
    corpus_root: Path, door_env: dict[str, str], command_doors: bool
) -> Iterator[McpDoor | None]:
    """One MCP server for the whole corpus; at the end, all it sent and logged is checked too."""
    if not command_doors:
        yield None
        return
    command = [*command_line(), "mcp", "--image-root", str(corpus_root), "--log-level", "debug"]
    stderr_path = corpus_root.parent / "mcp-server-stderr.txt"
    with McpDoor(command, door_env, corpus_root.parent, stderr_path) as door:
        yield door
    everything = [*door.received, door.stderr_text()]
    assert not [text for text in everything if CANARY_SECRET in text]
    assert "Traceback" not in door.stderr_text()


def last_sequence(emulator: RunningEmulator) -> int:
    return max((request.sequence for request in emulator.requests.all()), default=0)


def set_photo_requests_since(emulator: RunningEmulator, sequence: int) -> list[RecordedRequest]:
    """users.setPhoto requests after ``sequence`` (the log is bounded, so not by position)."""
    requests = emulator.requests.for_path("users.setPhoto")
    return [request for request in requests if request.sequence > sequence]


def python_doors_unprivileged(item: Item, root: Path, emulator: RunningEmulator) -> list[Outcome]:
    """call, run and agent for ``item`` in a runner process that file permissions bind."""
    finished = subprocess.run(
        [
            *unprivileged(),
            sys.executable,
            "-m",
            "tests.corpus_runner",
            str(root),
            emulator.base_url,
            item.name,
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "SLACK_USER_TOKEN": CANARY_TOKEN},
        cwd=REPOSITORY,
        timeout=60,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    report = json.loads(finished.stdout)
    outcomes = [Outcome.from_json(data) for data in report["outcomes"]]
    outcomes[0].texts.extend([finished.stdout, finished.stderr, *report["log"]])
    return outcomes


async def run_every_door(
    item: Item, root: Path, emulator: RunningEmulator, env: dict[str, str], mcp: McpDoor | None
) -> list[Outcome]:
    """The item through each door the corpus lists for it, in the order of DOORS (the
    command line and MCP only with ``mcp``)."""
    if item.unprivileged and AS_ROOT:
        outcomes = python_doors_unprivileged(item, root, emulator)
    else:
        if item.unprivileged:
            with pytest.raises(PermissionError):
                (root / str(item.arguments["image"])).open("rb")
        token = {"SLACK_USER_TOKEN": CANARY_TOKEN}
        outcomes = await through_python_doors(item.arguments, root, emulator.base_url, token)
    if mcp is None:
        return outcomes
    if CLI in item.doors:
        words = cli_words(item.arguments)
        # Run from the image folder: the CLI takes a relative path from the current folder,
        # the other doors from the first image folder; the same file either way.
        outcomes.append(through_cli(command_line(), words, root, env, root))
    if MCP in item.doors:
        outcomes.append(mcp.call(mcp_arguments(item.arguments)))
    return outcomes


def same_value_types_as_the_cli(item: Item) -> bool:
    """The CLI receives text: its messages match the others' when every value is text."""
    return all(isinstance(value, str) for value in item.arguments.values())


def check_refused_the_same_way(item: Item, expected: Refused, outcomes: list[Outcome]) -> None:
    seen = "\n".join(outcome.brief() for outcome in outcomes)
    for outcome in outcomes:
        assert not outcome.ok, seen
        assert outcome.error == "invalid_arguments", seen
        assert outcome.paths == expected.paths, seen
    typed = [outcome for outcome in outcomes if outcome.problems is not None]
    reference = typed[0].problems
    assert reference is not None
    for outcome in typed:
        assert outcome.problems == reference, seen
    for path, part in expected.problems.items():
        assert any(found == path and part in message for found, message in reference), (
            path,
            part,
            reference,
        )
    for outcome in outcomes:
        if outcome.door != CLI:
            continue
        line = outcome.stderr or ""
        assert line.startswith("ocp-users-photo: nothing was sent to Slack"), line
        assert line.endswith("\n"), line
        assert line[:-1].isprintable(), f"one printable line on stderr, got {line!r}"
        if same_value_types_as_the_cli(item):
            for path, message in reference:
                # The terminal names the crop box's flags where the tool names its arguments.
                in_flags = (
                    crop_arguments_as_flags(message) if path.startswith("$.crop_") else message
                )
                if _LOOKED_IN_ROOT.search(in_flags):
                    # The command runs in the first root, where a relative path is looked for
                    # in the current folder (its own rule), and says so; the same place.
                    assert "(looked in the current folder, " in line, (message, line)
                    in_flags, line = _LOOKED_IN_ROOT.sub("", in_flags), _LOOKED_IN_CWD.sub("", line)
                assert f"{path}: {in_flags}" in line, (message, line)


_LOOKED_IN_ROOT = re.compile(
    r" \(looked for '.*?': a relative path is taken from the first image folder\)"
)
_LOOKED_IN_CWD = re.compile(r" \(looked in the current folder, '.*?'\)")


# What `set --json` says on stderr beside a reply (set_command.py): the entry keeping the
# photo it replaced, or that nothing was kept for the same photo; the letterbox hint.
_SAID_BESIDE_THE_REPLY: Final = re.compile(
    r"The photo it replaced is kept as #\d+: 'ocp-users-photo undo' puts it back\.$"
    r"|Slack showed this very photo already \(the same image and crop box\), so nothing new "
    r"was kept: the photos kept before it stay as they were\.$"
    r"|Not square: Slack shows all of it, with bars [^.]+\. --crop-x \d+ --crop-y \d+ "
    r"--crop-w \d+ cuts the middle square[^\n]*\.$"
)


def check_accepted_by_every_door(
    expected: Accepted, outcomes: list[Outcome], requests: list[RecordedRequest]
) -> None:
    seen = "\n".join(outcome.brief() for outcome in outcomes)
    assert all(outcome.ok for outcome in outcomes), seen
    assert len(requests) == len(outcomes), "each door made exactly one request"
    digests = set()
    for outcome, request in zip(outcomes, requests, strict=True):
        image = request.file("image")
        assert image is not None, outcome.door
        digests.add(image.sha256)
        assert image.content_type == expected.content_type, outcome.door
        crop = {name: request.field(name) for name in ("crop_x", "crop_y", "crop_w")}
        wanted = expected.crop or dict.fromkeys(crop)
        assert crop == wanted, outcome.door
        if outcome.door == CLI:
            # stdout holds the reply alone; stderr only what the text says beside it.
            said = (outcome.stderr or "").splitlines()
            assert all(_SAID_BESIDE_THE_REPLY.match(line) for line in said), said
    # Every door sent the same bytes and got the same photo.
    assert len(digests) == 1, digests
    hashes = {(outcome.reply or {})["profile"]["avatar_hash"] for outcome in outcomes}
    assert len(hashes) == 1, hashes
    for outcome in outcomes:
        original = httpx.get((outcome.reply or {})["profile"]["image_original"], timeout=10)
        assert original.status_code == 200, outcome.door
        assert original.headers["content-type"] == expected.content_type
        with Image.open(io.BytesIO(original.content)) as stored:
            assert getattr(stored, "n_frames", 1) == expected.frames, outcome.door


def canary_check(
    outcomes: list[Outcome], logs: pytest.LogCaptureFixture, reliability: ReliabilityReport
) -> None:
    texts = [text for outcome in outcomes for text in outcome.texts]
    texts.extend(record.getMessage() for record in logs.records)
    texts.append(logs.text)
    leaks = [text[:300] for text in texts if CANARY_SECRET in text]
    reliability.count("secrets", "texts inspected for the canary", len(texts))
    reliability.count("secrets", "leaks found", len(leaks))
    assert leaks == []


@pytest.mark.parametrize("item", CORPUS, ids=[item.name for item in CORPUS])
async def test_every_door_gives_the_same_outcome(
    item: Item,
    corpus_root: Path,
    corpus_emulator: RunningEmulator,
    door_env: dict[str, str],
    mcp_door: McpDoor | None,
    debug_logs: pytest.LogCaptureFixture,
    reliability: ReliabilityReport,
) -> None:
    emulator = corpus_emulator
    before = last_sequence(emulator)
    outcomes = await run_every_door(item, corpus_root, emulator, door_env, mcp_door)
    doors = [door for door in item.doors if mcp_door is not None or door not in (CLI, MCP)]
    assert [outcome.door for outcome in outcomes] == doors
    reliability.count(SECTION, "corpus items x doors run", len(outcomes))
    canary_check(outcomes, debug_logs, reliability)
    requests = set_photo_requests_since(emulator, before)
    if isinstance(item.expected, Refused):
        check_refused_the_same_way(item, item.expected, outcomes)
        assert requests == [], "a refused call sent nothing"
        reliability.count(SECTION, "items refused the same way by every door")
    else:
        check_accepted_by_every_door(item.expected, outcomes, requests)
        reliability.count(SECTION, "items accepted by every door")


@pytest.mark.parametrize("item", CORPUS, ids=[item.name for item in CORPUS])
def test_a_door_is_left_out_only_when_it_cannot_carry_the_input(
    item: Item, reliability: ReliabilityReport
) -> None:
    assert expressible_doors(item.arguments) == item.doors
    assert all(item.not_through.values()), "each left-out door says why"
    assert set(item.not_through) <= set(DOORS)
    reliability.count(SECTION, "item x door combinations left out by design", len(item.not_through))


def test_the_corpus_covers_the_issue(reliability: ReliabilityReport) -> None:
    names = [item.name for item in CORPUS]
    assert len(set(names)) == len(names)
    refused = [item for item in CORPUS if isinstance(item.expected, Refused)]
    accepted = [item for item in CORPUS if isinstance(item.expected, Accepted)]
    assert len(refused) >= 20
    assert len(accepted) >= 8
    assert any(item.doors == DOORS for item in refused)
    assert any(item.doors == DOORS for item in accepted)
    reliability.count(SECTION, "corpus items", len(CORPUS))


def test_the_corpus_files_are_what_the_items_say(corpus_root: Path) -> None:
    def opened(name: str) -> Any:
        return Image.open(corpus_root / name)

    assert stat.S_IMODE((corpus_root / "locked.png").stat().st_mode) == 0
    sparse = (corpus_root / "over-cap.png").stat()
    assert sparse.st_size == 32 * 1024 * 1024 + 1
    assert sparse.st_blocks * 512 < 1024 * 1024, "a hole, not 32 MiB of data"
    assert (corpus_root / "empty.png").stat().st_size == 0
    with pytest.raises((OSError, RuntimeError)):
        (corpus_root / "loop-a.png").resolve(strict=True)
    assert not (corpus_root / "escape.png").resolve().is_relative_to(corpus_root)
    assert (corpus_root / "escape.png").is_file()
    assert (corpus_root.parent / "outside.png").is_file()
    assert (corpus_root / "really-a-png.jpg").read_bytes().startswith(b"\x89PNG")
    assert b"IEND" not in (corpus_root / "cut.png").read_bytes()
    with opened("animated.gif") as gif, opened("cmyk.jpg") as cmyk, opened("deep.png") as deep:
        assert gif.n_frames == 5
        assert cmyk.mode == "CMYK"
        assert deep.mode == "I;16"
    with opened("rotated.jpg") as rotated:
        assert rotated.size == (800, 600)
        assert rotated.getexif()[0x0112] == 6
    header = (corpus_root / "huge-header.png").read_bytes()[16:24]
    assert struct.unpack(">II", header) == (100_000, 100_000)
    assert os.fsencode("photo\udcff.png") in os.listdir(os.fsencode(corpus_root))
    assert stat.S_ISFIFO((corpus_root / "fifo.png").stat().st_mode)
    assert (corpus_root / "notes.png").read_text().startswith("not a picture")
    with opened("photo.webp") as webp:
        assert webp.format == "WEBP"
    with opened("layers.png") as psd, opened("tiny-frames.gif") as tiny:
        assert psd.format == "PSD"
        assert (tiny.size, tiny.n_frames) == ((1025, 1025), 237)
    assert (corpus_root / "tiny-frames.gif").stat().st_size < 5600
    assert (corpus_root / "million-frames.gif").stat().st_size > 29_000_000
    with opened("budget.gif") as budget:
        assert (budget.size, budget.n_frames) == ((1100, 1000), 47)
    with opened("turned-late-exif.png") as late, opened("turned.webp") as turned:
        assert late.size == turned.size == (800, 600)
        assert "exif" not in late.info, "the eXIf chunk comes after the pixels"
        assert turned.getexif()[0x0112] == 6
        late.load()
        assert late.getexif()[0x0112] == 6
    with opened("wide.png") as wide:
        assert wide.size == (3000, 2000)


def test_the_command_doors_run_without_ocp_agent(door_env: dict[str, str]) -> None:
    """As on a newcomer's machine, which the run without ocp-agent counts on (it leaves
    these doors out: ``command_doors``)."""
    probe = "import ocp_users_photo; print('OCPAgent' in ocp_users_photo.__all__)"
    finished = subprocess.run(
        [sys.executable, "-c", probe],
        env=door_env,
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert finished.stdout.strip() == "False", finished.stderr
