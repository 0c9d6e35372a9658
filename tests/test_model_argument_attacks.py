"""A model whose arguments an attacker controls (prompt injection), at the model doors
(run(), an agent's call_tool, the framework adapters): a home path that is no text, a
data: URI header of millions of parameters, a link in an image root leading out, a token
as an image's name, parallel conversions of a tiny image of 49 million pixels.

(The OpenAI Agents SDK itself fails on the lone surrogate: it encodes the arguments to
hash them before any tool runs, so that door is the SDK's to mend.)
"""

from __future__ import annotations

import base64
import io
import json
import os
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, ToolMessage
from PIL import Image

from ocp_users_photo import InvalidArguments, UsersSetPhoto
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.images.limits import ImageLimits
from ocp_users_photo.images.paths import open_confined
from ocp_users_photo.images.resolvers import ImageIntake, IntakeContext, max_text_chars
from tests.conftest import CANARY_TOKEN, make_image, photo_requests
from tests.framework_fixtures import PhotoHost
from tests.test_frameworks_langchain import run_agent as run_langchain_agent
from tests.test_frameworks_langchain import tool_call

# A home-folder path whose user name holds a lone UTF-16 surrogate: JSON's "\ud800" escape,
# which json.loads (the OpenAI Agents SDK's, the adapter's, langchain-openai's) decodes as is.
SURROGATE_HOME = "~\ud800/portrait.png"


# --- 1. An argument that makes run() raise instead of answering ------------------------


async def test_run_answers_a_home_path_whose_user_name_is_no_text(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """run() promises an error object for anything a model sends. os.path.expanduser looks
    the user up with pwd.getpwnam, which cannot encode a lone surrogate: UnicodeEncodeError
    escapes run() (images/paths.py: lexically_inside and open_confined call expanduser
    outside any try)."""
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=emulator.base_url, image_roots=[tmp_path], environ={}
    ) as tool:
        refused = await tool.run({"image": SURROGATE_HOME})
    assert refused["error"] == "invalid_arguments"
    assert refused["problems"][0]["path"] == "$.image"
    assert photo_requests(emulator) == []


async def test_langchain_run_goes_on_after_a_home_path_that_is_no_text(
    photo_host: PhotoHost,
) -> None:
    """Only ToolException is turned into an error ToolMessage: UnicodeEncodeError ends the
    host's agent.ainvoke()."""
    _, state = await run_langchain_agent(
        photo_host, [tool_call({"image": SURROGATE_HOME}, 1), AIMessage("Ok.")]
    )
    (answer,) = [m for m in state["messages"] if isinstance(m, ToolMessage)]
    assert answer.status == "error"
    assert json.loads(str(answer.content))["error"] == "invalid_arguments"


# --- 2. A data: URI whose header is millions of parameters ------------------------------


async def test_a_data_uri_header_of_many_parameters_costs_no_more_than_its_payload() -> None:
    """decode_data_uri splits the whole header on ';' into a list before looking for
    'base64': a text at the length cap made of 'ab;' repeated becomes millions of string
    objects. Measured at the default 32 MiB cap: 4.6 s and 1.2 GiB peak for one call
    (a plain data: URI of the same length: 0.3 s and 93 MiB). Here at a 2 MiB cap."""
    limits = ImageLimits(max_bytes=2 * 1024 * 1024)
    room = max_text_chars(limits) - 100
    text = "data:image/png;" + "ab;" * (room // 3) + "base64,AAAA"
    context = IntakeContext(image_roots=None, limits=limits)
    tracemalloc.start()
    try:
        resolved, problems = await ImageIntake().resolve(text, context)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert resolved is None
    assert "header (before its comma) is over 1024 characters" in problems[0].message
    # A few copies of the text is what a plain data: URI costs; this one costs ~25.
    assert peak < 6 * len(text), f"peak {peak / 2**20:.0f} MiB for {len(text) / 2**20:.1f} MB"


# --- 3. Through a symlink in a root, what exists outside is told -------------------------


@pytest.fixture
def root_with_a_way_out(tmp_path: Path) -> Path:
    """An image root holding a symlink to a folder outside it (a shared folder, a mounted
    drive, a project's link to its data): common in a working directory."""
    root = tmp_path / "root"
    root.mkdir()
    (root / "photo.png").write_bytes(make_image())
    outside = tmp_path / "elsewhere"
    (outside / "folder").mkdir(parents=True)
    (outside / "secret.txt").write_text("x")
    (root / "shared").symlink_to(outside)
    (root / "slash").symlink_to("/")
    return root


@pytest.mark.parametrize(
    ("exists", "missing"),
    [
        ("shared/secret.txt", "shared/no-such-name"),  # "outside" / "no file at"
        ("shared/folder", "shared/no-such-name"),  # "is a folder"
        ("shared/secret.txt/x", "shared/no-such-name/x"),  # "a folder on its way is a file"
        ("slash/dev/null", "slash/dev/no-such-name"),  # "is not a regular file"
    ],
)
def test_a_path_through_a_symlink_out_says_nothing_of_what_is_there(
    root_with_a_way_out: Path, exists: str, missing: str
) -> None:
    """README (Security): the roots decide first, and a path outside 'gets the same refusal
    whether or not it exists'. A path through a symlink that leads out of the root is
    opened first (os.open follows it), and the answer then depends on what is at the
    far end: 'no file at ...' when nothing is, else 'outside', 'is a folder', 'not a
    regular file' or 'a folder on its way is a file'. A model learns which files and
    folders exist anywhere the link reaches; opening a device there has its own effects."""
    answers = []
    for text in (exists, missing):
        source, problems = open_confined(text, (root_with_a_way_out,), 1024 * 1024)
        assert source is None
        (problem,) = problems
        answers.append(problem.message.replace(text, "PATH").split(" (looked for")[0])
    assert answers[0] == answers[1], answers


# --- 4. A token-shaped image name kept in an agent's history -----------------------------


@pytest.mark.blocking_by_design
async def test_a_token_given_as_an_image_name_stays_out_of_the_agents_history(
    emulator: RunningEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    ocp_agent_library: Any,
) -> None:
    """README: no token reaches an agent's history (which ocp-agent sends, gzipped, in the
    OCP-Session header of every later request to any API). The refusal masks a token
    given as the image ('[redacted]'), but the history's safe view keeps the path's file
    name, 60 characters of it: all of the token but its last 4."""
    ocp_agent = ocp_agent_library
    from ocp_users_photo import register

    monkeypatch.chdir(tmp_path)
    pasted = "xoxp-9999999999-9999999999999-fedcba9876543210fedcba9876543210"
    agent = ocp_agent.OCPAgent(enable_cache=False)  # no ~/.ocp made in the real home
    photo = register(agent, token=CANARY_TOKEN, base_url=emulator.base_url, environ={})
    try:
        await agent.register_api("slack")
        for image in (f"{pasted}.png", f"pictures/{pasted}.png"):
            with pytest.raises(InvalidArguments) as refused:
                await agent.call_tool("usersSetPhoto", {"image": image})
            assert pasted[:24] not in str(refused.value)
        history = json.dumps(
            [getattr(entry, "__dict__", entry) for entry in agent.context.history], default=str
        )
    finally:
        await photo.aclose()
    assert pasted[:24] not in history, history[:400]
    assert os.path.basename(pasted)[5:30] not in history


# --- 5. Parallel tool calls of a tiny image that must be converted -----------------------

_CONVERSIONS = """
import asyncio, json, sys
from pathlib import Path
from ocp_users_photo import UsersSetPhoto


def peak_mib():
    # VmHWM: this process's own peak. ru_maxrss keeps a parent's across exec on Linux, and a
    # baseline raised by making the image here hid most of the growth (260 MiB for 750).
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    import resource  # no /proc (macOS): the process's own peak, in bytes there

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // (2**20 if sys.platform == "darwin" else 1024)


text = Path(sys.argv[3]).read_text()  # made by the test: this process only converts


async def main(calls):
    async with UsersSetPhoto(
        "xoxp-1-test", base_url="http://127.0.0.1:9/api", image_roots=[sys.argv[2]], environ={}
    ) as tool:
        before = peak_mib()

        async def one():
            async with tool.prepare({"image": text}) as upload:
                return upload.summary()["format"]

        formats = await asyncio.gather(*(one() for _ in range(calls)))
        grown = peak_mib() - before
    print(json.dumps({"formats": formats, "grown_mib": grown}))


asyncio.run(main(int(sys.argv[1])))
"""


def _conversion_peak(calls: int, folder: Path) -> int:
    import subprocess
    import sys

    image = folder / "webp.b64"
    if not image.exists():
        buffer = io.BytesIO()
        Image.new("RGBA", (7000, 7000), (10, 200, 10, 255)).save(buffer, "WEBP", lossless=True)
        image.write_text(base64.b64encode(buffer.getvalue()).decode())  # ~2.6 KB of base64
    done = subprocess.run(
        [sys.executable, "-c", _CONVERSIONS, str(calls), str(folder), str(image)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    outcome = json.loads(done.stdout)
    assert outcome["formats"] == ["PNG"] * calls
    grown: int = outcome["grown_mib"]
    return grown


def test_parallel_calls_of_a_tiny_image_to_convert_do_not_multiply_the_memory(
    tmp_path: Path,
) -> None:
    """A 1.9 KB lossless WEBP of 7000x7000 (within the 50-million-pixel decode cap) costs one
    call ~1 s and ~750 MiB (Pillow's and libwebp's buffers). Nothing bounded conversions
    across calls but the worker threads (min(32, cores + 4): 6 here), so a model's parallel
    tool calls (or an MCP host's concurrent requests) multiplied it: 6 at once took 13 s
    and 3.9 GiB here, from 16 KB of arguments; enough to have a 2 to 4 GiB container's
    server killed. Conversions take turns now: 4 at once cost about what one does."""
    one = _conversion_peak(1, tmp_path)
    four = _conversion_peak(4, tmp_path)
    assert one > 100, f"the measure missed the conversion: +{one} MiB"
    assert four < 2 * one + 64, f"1 call: +{one} MiB; 4 at once: +{four} MiB"
