"""What a fresh machine, a packager and a catalog see of the package.

Each test states what must hold; each failed when written.
"""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
import tomllib
import traceback
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]


def _pyproject() -> dict[str, Any]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return tomllib.load(file)


def _run_without(modules: tuple[str, ...], code: str) -> str:
    blocked = "".join(f"sys.modules[{name!r}] = None\n" for name in modules)
    script = f"import sys\n{blocked}{code}\n"
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    return done.stdout + done.stderr


EMULATOR_EXTRA = ("starlette", "uvicorn", "multipart", "python_multipart")
CLI = "from ocp_users_photo.cli import main\nsys.exit(main({argv!r}))"


@pytest.mark.parametrize(
    "argv",
    [
        ["emulator", "--port", "8765"],  # README, "Use it from an MCP host"
        ["demo", "--serve"],  # what the demo itself suggests running next
        ["demo", "--out", "/tmp/x"],
    ],
)
def test_an_extra_command_with_options_names_its_missing_extra(argv: list[str]) -> None:
    # Without [emulator], these said "unrecognized arguments: --port (see: ocp-users-photo
    # emulator --help)", and that help shows no options and no extra either.
    output = _run_without(EMULATOR_EXTRA, CLI.format(argv=argv))
    assert "unrecognized arguments" not in output
    assert "'.[emulator]'" in output


@pytest.mark.parametrize("command", ["demo", "emulator"])
def test_an_extra_commands_help_says_it_needs_its_extra(command: str) -> None:
    output = _run_without(EMULATOR_EXTRA, CLI.format(argv=[command, "--help"]))
    assert "[emulator]" in output


@pytest.mark.parametrize(
    ("blocked", "module", "extra"),
    [
        (EMULATOR_EXTRA, "ocp_users_photo.emulator", "emulator"),
        # starlette and uvicorn without python-multipart (as FastAPI installs them): the
        # import raised "No module named 'python_multipart'" from deep inside.
        (("multipart", "python_multipart"), "ocp_users_photo.emulator", "emulator"),
        (("slack_bolt",), "ocp_users_photo.examples.bolt_photo_app", "bolt"),
    ],
)
def test_importing_an_extras_module_without_it_names_the_extra(
    blocked: tuple[str, ...], module: str, extra: str
) -> None:
    # As ocp_users_photo.frameworks.* and ocp_users_photo.installations already do.
    output = _run_without(blocked, f"import {module}")
    assert f"'.[{extra}]'" in output


def test_each_extra_installs_on_the_lowest_python_the_package_claims() -> None:
    # requires-python and the README say 3.10; langchain-core 1.8, pydantic-ai-slim 2.68
    # (and, for [test], langchain 1.5 and google-genai 3.6) require Python 3.11, so
    # `pip install '.[langchain]'`, '.[pydantic-ai]' and '.[test]' find no version on 3.10.
    project = _pyproject()["project"]
    floor = Version(next(iter(SpecifierSet(project["requires-python"]))).version)
    unreachable = []
    for extra, requirements in project["optional-dependencies"].items():
        if extra == "bench":
            continue
        for line in requirements:
            requirement = Requirement(line)
            lows = [Version(s.version) for s in requirement.specifier if s.operator == ">="]
            try:
                installed = metadata.distribution(requirement.name)
            except metadata.PackageNotFoundError:
                continue
            version = Version(installed.version)
            # Only where the installed version is in the lowest series the extra allows,
            # so its Requires-Python is that of the oldest version pip could pick.
            if not lows or lows[0].major == 0 or version.release[:2] != lows[0].release[:2]:
                continue
            # PackageMetadata has get() only from Python 3.12 on.
            needs = None
            if "Requires-Python" in installed.metadata:
                needs = installed.metadata["Requires-Python"]
            if needs and not SpecifierSet(needs).contains(floor):
                unreachable.append(f"[{extra}] {line}: Requires-Python {needs}")
    assert unreachable == [], f"not installable on Python {floor}: {unreachable}"


def test_a_pytest_plugin_is_said_to_be_one_to_whoever_indexes_them() -> None:
    """The package registers a pytest11 plugin (the emulator's fixtures): a catalog of
    pytest plugins finds it by its Framework :: Pytest classifier, which it lacked (a
    catalog audit). Every classifier is one the index knows."""
    from trove_classifiers import classifiers as known

    project = _pyproject()["project"]
    assert "pytest11" in project["entry-points"]
    assert "Framework :: Pytest" in project["classifiers"]
    assert set(project["classifiers"]) <= known


def test_the_license_text_ships_with_the_package() -> None:
    # license = "MIT" with no license file: the wheel and sdist carry no copyright notice,
    # which the MIT license itself requires copies to include.
    project = _pyproject()["project"]
    declared = project.get("license-files")
    found = [
        path for pattern in ("LICEN[CS]E*", "COPYING*", "NOTICE*") for path in ROOT.glob(pattern)
    ]
    assert declared or found, "no license file for the wheel's .dist-info/licenses"


# A token that a hostile or broken server echoes back in a malformed header line.
_ECHOED_SECRET = "SECRETSECRETSECRETSECRET"
_ECHOED_TOKEN = f"xoxp-1111111111-2222222222-3333333333-{_ECHOED_SECRET}"


def _python_task_factory(loop: asyncio.AbstractEventLoop, coro: Any) -> asyncio.Task[Any]:
    # The pure-Python Task: what nest_asyncio (Jupyter) and backports.asyncio.runner
    # (pytest-asyncio on Python 3.10, the floor this package claims) run coroutines in.
    task: asyncio.Task[Any] = asyncio.tasks._PyTask(coro, loop=loop)  # type: ignore[attr-defined]
    return task


@pytest.mark.blocking_by_design
def test_an_echoed_token_stays_out_of_the_error_chain_under_a_python_task() -> None:
    from PIL import Image

    from ocp_users_photo import UsersSetPhoto
    from ocp_users_photo.errors import UsersPhotoError

    async def echo_in_a_malformed_header(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        line = next(x for x in head.split(b"\r\n") if x.lower().startswith(b"authorization"))
        writer.write(b"HTTP/1.1 200 OK\r\nno colon here " + line.split(b": ", 1)[1] + b"\r\n\r\n")
        await writer.drain()
        writer.close()

    async def call() -> BaseException:
        server = await asyncio.start_server(echo_in_a_malformed_header, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        image = io.BytesIO()
        Image.new("RGB", (600, 600)).save(image, "PNG")
        environ = {"OCP_USERS_PHOTO_HTTP_STACK": "aiohttp"}
        base_url = f"http://127.0.0.1:{port}/api"
        try:
            async with UsersSetPhoto(
                _ECHOED_TOKEN,
                base_url=base_url,
                environ=environ,
                max_retries=0,
                keep_previous=False,
            ) as tool:
                with pytest.raises(UsersPhotoError) as failed:
                    await tool.call({"image": image.getvalue()})
                return failed.value
        finally:
            server.close()

    loop = asyncio.new_event_loop()
    loop.set_task_factory(_python_task_factory)
    try:
        error = loop.run_until_complete(loop.create_task(call()))
    finally:
        loop.close()
    # Under the C Task the chain is empty; under the Python Task the aiohttp error quoting
    # the header line is the typed error's __context__, printed by logging.exception.
    logged = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    assert _ECHOED_SECRET not in logged
