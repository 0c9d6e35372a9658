"""The example Bolt app's tool reads image paths from a folder, whatever image choice a
host gives it, and takes the image hosts a host names (the review of 2026-12-06
10:25 UTC: a choice with no ``folder`` left the tool reading any file the process could
read, so anyone who installed the app could make one their Slack photo; and the links the
docs described could not be set up, ``build_app`` taking no ``url_hosts``)."""

from __future__ import annotations

from pathlib import Path

import anyio.to_thread
import pytest
from aiohttp import web

from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.examples.bolt_photo_app import build_app
from tests.installation_helpers import photo_tokens, portrait
from tests.test_bolt_app_as_slack_drives_it import answers_accepted
from tests.test_bolt_photo_app import (
    RunningApp,
    app_settings,
    direct_message,
    emulator_config,  # noqa: F401 (fixture: the app's emulator)
    install_through_the_app,
    posted,
)


class HandsOn:
    """An image choice that hands on what the person typed (a link, a name)."""

    async def image_for(self, requested: str) -> str:
        return requested.strip()


class NamesItsRoots(HandsOn):
    image_roots = ()  # no folder at all: links only


async def test_a_choice_without_a_folder_reads_only_the_apps_image_folder(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    settings, listener, url = app_settings(emulator, tmp_path, base_url=emulator.base_url)
    private = tmp_path / "server-private"
    private.mkdir()
    (private / "someone-elses.png").write_bytes(portrait((1, 200, 1)))
    app = await anyio.to_thread.run_sync(lambda: build_app(settings, image_choice=HandsOn()))
    folder = await anyio.to_thread.run_sync(Path(settings.image_folder).resolve)
    assert app.tool.image_roots == (folder,)
    runner = web.AppRunner(app.bolt.web_app())
    await runner.setup()
    await web.SockSite(runner, listener).start()
    running = RunningApp(url=url, app=app, database=settings.database)
    try:
        answers_accepted(emulator)
        await install_through_the_app(running, "UMALLORY01")
        await direct_message(running, "UMALLORY01", f"photo {private}/someone-elses.png")
        await direct_message(running, "UMALLORY01", f"photo {settings.image_folder}/red.png")
        first, second = await posted(emulator, "chat.postMessage", 2)
    finally:
        await runner.cleanup()
        await app.aclose()
    assert str(first["text"]).startswith("Your photo was not changed"), first
    assert str(second["text"]).startswith("Done: your Slack photo is now red.png"), second
    assert len(photo_tokens(emulator)) == 1  # the app's own image only


async def test_a_choice_names_its_roots_and_build_app_takes_url_hosts(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    settings, listener, _ = app_settings(emulator, tmp_path, base_url=emulator.base_url)
    listener.close()
    app = await anyio.to_thread.run_sync(
        lambda: build_app(settings, image_choice=NamesItsRoots(), url_hosts=["images.example.com"])
    )
    try:
        assert app.tool.image_roots == ()
        assert app.tool.url_hosts == ("images.example.com",)
    finally:
        await app.aclose()


@pytest.mark.parametrize("given", ["str", "path", "home"])
async def test_a_choice_naming_one_folder_as_its_roots_reads_from_it(
    emulator: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    # One folder, as UsersSetPhoto takes image_roots, was read as a list of its characters
    # (a str) or refused (a Path) (the review of the fix).
    settings, listener, _ = app_settings(emulator, tmp_path, base_url=emulator.base_url)
    listener.close()
    monkeypatch.setenv("HOME", str(tmp_path))
    folder = {"str": str(tmp_path / "portraits"), "path": tmp_path / "portraits"}.get(
        given, "~/portraits"
    )

    class OneFolder(HandsOn):
        image_roots = folder

    app = await anyio.to_thread.run_sync(lambda: build_app(settings, image_choice=OneFolder()))
    try:
        expected = await anyio.to_thread.run_sync((tmp_path / "portraits").resolve)
        assert app.tool.image_roots == (expected,)
    finally:
        await app.aclose()
