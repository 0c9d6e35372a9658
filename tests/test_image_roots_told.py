"""The image's description names the folders a path is read in, when the host gave them.

Only the MCP server's instructions named them, which hosts do not always show a model: a
model guessed a path, met "outside the image folders", and tried again.
"""

from __future__ import annotations

import json
from pathlib import Path

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.spec import load_manifest
from tests.conftest import CANARY_TOKEN
from tests.test_mcp_wire_requests import wire_server


def image_text(**options: object) -> str:
    tool = UsersSetPhoto(CANARY_TOKEN, environ={}, **options)  # type: ignore[arg-type]
    text: str = tool.input_schema["properties"]["image"]["description"]
    return text


def test_no_folder_given_leaves_the_manifests_words() -> None:
    manifest = load_manifest()["input_schema"]["properties"]["image"]["description"]
    assert image_text() == manifest


def test_one_folder_is_named_and_takes_relative_paths(tmp_path: Path) -> None:
    said = image_text(image_roots=[tmp_path])
    told = f"a path to a PNG, JPEG or GIF file inside {tmp_path} (a relative path is taken from"
    assert f"{told} there)" in said


def test_several_folders_are_named_the_first_taking_relative_paths(tmp_path: Path) -> None:
    roots = [tmp_path / str(number) for number in range(7)]
    for root in roots:
        root.mkdir()
    said = image_text(image_roots=roots)
    named = ", ".join(str(root) for root in roots[:5])
    assert f"inside one of {named}, 2 more (a relative path is taken from the first)" in said


def test_a_folder_named_like_a_token_is_masked(tmp_path: Path) -> None:
    folder = tmp_path / "xoxp-1234567890-1234567890-abcdefabcdefabcd"
    folder.mkdir()
    said = image_text(image_roots=[folder])
    assert "xoxp-1234567890" not in said


def test_the_mcp_servers_instructions_name_one_url_host_as_one() -> None:
    from ocp_users_photo.mcp_server import _instructions

    one = UsersSetPhoto(CANARY_TOKEN, environ={}, url_hosts=["images.example.com"])
    assert "image may also be an https URL of an image on this host: images.example.com;" in (
        _instructions(one)
    )
    two = UsersSetPhoto(CANARY_TOKEN, environ={}, url_hosts=["images.example.com", ".cdn.test"])
    said = _instructions(two)
    assert "on one of these hosts: images.example.com, .cdn.test (a leading dot allows" in said


def test_one_leading_dot_host_is_told_as_the_names_under_it() -> None:
    """ ".cdn.test" allows the names under it, not a host of that name: "this host" said
    the contrary, in the tool's schema and the MCP server's instructions."""
    from ocp_users_photo.mcp_server import _instructions

    tool = UsersSetPhoto(CANARY_TOKEN, environ={}, url_hosts=[".cdn.test"])
    for said in (image_text(url_hosts=[".cdn.test"]), _instructions(tool)):
        assert "on a host under this name: .cdn.test (a leading dot allows every name" in said
        assert "this host" not in said


def test_the_mcp_servers_instructions_name_at_most_as_many_hosts_as_the_schema() -> None:
    from ocp_users_photo.mcp_server import _instructions

    hosts = [f"images{number}.example.com" for number in range(30)]
    said = _instructions(UsersSetPhoto(CANARY_TOKEN, environ={}, url_hosts=hosts))
    assert "images19.example.com and 10 more the host allows" in said
    assert "images20.example.com" not in said


def test_a_leading_dot_host_past_those_named_gets_no_note() -> None:
    """The note on leading dots describes the hosts a model is shown: one past the twenty
    named is not."""
    hosts = [*(f"images{number}.example.com" for number in range(20)), ".cdn.test"]
    said = image_text(url_hosts=hosts)
    assert "and 1 more the host allows" in said
    assert "leading dot" not in said


async def test_with_no_image_folder_the_listing_offers_no_file_paths(tmp_path: Path) -> None:
    """Started in / without --image-root (a host's usual folder), the server refuses every
    image path, and its instructions say so; but tools/list, which is what a host hands the
    model, still described the image as "a path to a PNG, JPEG or GIF file", so the model's
    first call was a path, refused."""
    async with wire_server(tmp_path, image_root=False, cwd=Path("/")) as wire:
        await wire.send_line(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        answer = await wire.answer(1)
    assert answer is not None
    (listed,) = [tool for tool in answer["result"]["tools"] if tool["name"] == "usersSetPhoto"]
    told = listed["inputSchema"]["properties"]["image"]["description"]
    assert "a path to" not in told, told
    assert "File paths are refused" in told, told
    assert "--image-root" in told, told
    assert "base64" in told, told
