"""Review: a catalog indexing the tool from its artefacts, and a host loading it cold.

Each test states what a catalog or host reads and what it should find; they fail where
the artefacts disagree with each other or with what the tool does.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from ocp_users_photo import UsersSetPhoto, register
from ocp_users_photo.errors import InvalidArguments
from ocp_users_photo.exports import export_tool
from tests.conftest import CANARY_TOKEN, make_image

ROOT = Path(__file__).resolve().parent.parent


# --- 1. The OCP definition a catalog indexes is not the one register() offers. ---------


def test_the_ocp_export_of_a_tool_is_what_register_offers_for_it(
    ocp_agent_library: Any, tmp_path: Path
) -> None:
    """export_tool("ocp", tool) (and `manifest --format ocp`) is the OCP catalog entry; the
    README says every export is derived "from the tool object given". Its parameters are
    the seed's (token required, image optional "file contents"), and register() corrects
    that for the model in the description ("`image` is required", "Do not pass `token`",
    the allowed URL hosts). The export keeps the manifest's bare description, so an OCP
    host built from the catalog entry tells a model to supply the token."""
    tool = UsersSetPhoto(
        CANARY_TOKEN,
        environ={},
        image_roots=[tmp_path],
        url_hosts=["images.example.com"],
        photo_history=tmp_path / "history.sqlite3",
    )
    agent = ocp_agent_library.OCPAgent(enable_cache=False)
    register(agent, tool=tool)
    offered = agent.get_tool("usersSetPhoto")
    exported = export_tool("ocp", tool)
    assert exported["parameters"] == offered.parameters
    assert exported["description"] == offered.description


# --- 2. The description promises scaling that the tool does not do. --------------------


def test_a_tool_that_refuses_large_images_does_not_tell_models_they_are_scaled() -> None:
    """fit="reject" refuses an image over 1024 on a side; its description (every export,
    every framework adapter, MCP's tools/list) still says such an image "is scaled down"."""
    tool = UsersSetPhoto(CANARY_TOKEN, environ={}, fit="reject")
    for format_name in ("anthropic", "mcp"):
        described = json.dumps(export_tool(format_name, tool))
        assert "scaled down" not in described, format_name


async def test_an_image_the_description_allows_is_not_refused_for_its_shape() -> None:
    """The catalog description said: "Give `image` as a PNG, JPEG or GIF of at least 512x512
    pixels; larger than 1024 pixels on a side is scaled down." A 2000x800 PNG is all of
    that, and is refused (scaled, its short side would be under 512), which no catalog field
    said. The description says the rule now, and the crop box it names takes the image."""
    wide = make_image((2000, 800))
    async with UsersSetPhoto(CANARY_TOKEN, environ={}) as tool:
        assert "one longer than 2:1 needs the crop box" in tool.description
        for format_name in ("ocp", "anthropic", "mcp"):
            assert "longer than 2:1" in json.dumps(export_tool(format_name, tool)), format_name
        with pytest.raises(InvalidArguments, match="crop box"):
            await tool.prepare({"image": wide})
        async with tool.prepare({"image": wide, "crop_x": 600, "crop_y": 0, "crop_w": 800}) as up:
            assert (up.image.width, up.image.height) == (800, 800)


async def test_an_image_within_a_tools_stated_ratio_is_not_refused_for_its_shape() -> None:
    """With ImageLimits(min_side=600) the description said "one longer than 1.71:1 needs the
    crop box" (1024/600 rounded up): a 1709x1000 image, 1.709:1, was refused (scaled, its
    short side is 599), its refusal saying to cut it "to at most 1.71:1", which it was."""
    from ocp_users_photo.images.limits import ImageLimits

    async with UsersSetPhoto(CANARY_TOKEN, environ={}, limits=ImageLimits(min_side=600)) as tool:
        stated = re.search(r"one longer than ([0-9.]+):1 needs the crop box", tool.description)
        assert stated is not None
        short = 1000
        longest = int(float(stated[1]) * short) - 1  # within the stated ratio
        async with tool.prepare({"image": make_image((longest, short))}) as up:
            assert max(up.image.width, up.image.height) == 1024
            assert min(up.image.width, up.image.height) >= 600


def test_the_manifest_says_the_default_tools_size_rule() -> None:
    """The manifest is the default tool's description, which a catalog reads as is."""
    from ocp_users_photo.images.policy import size_rule
    from ocp_users_photo.spec import load_manifest

    assert size_rule("downscale") in load_manifest()["description"]


# --- 3. server.json names an option a registry-driven host cannot pass. -----------------


def test_every_option_server_json_tells_about_is_one_it_offers() -> None:
    """SLACK_USER_TOKEN's description says a change is refused without users.profile:read
    "unless the server runs with --no-keep-previous", but packageArguments offers only
    --image-root and --log-level: a host that builds the command from the entry cannot
    pass it."""
    entry = json.loads((ROOT / "server.json").read_text())
    (package,) = entry["packages"]
    offered = {argument.get("name") for argument in package["packageArguments"]}
    texts = [
        item.get("description", "")
        for key in ("packageArguments", "environmentVariables")
        for item in package[key]
    ]
    named = {flag for text in texts for flag in re.findall(r"(?<![\w-])--[a-z][a-z-]+", text)}
    assert named <= offered, sorted(named - offered)


def test_a_tools_own_least_size_is_said_in_its_image_argument() -> None:
    """With ImageLimits(min_side=400) the description said "at least 400x400" while the
    image argument's text still said "At least 512x512" (the review of this session)."""
    from ocp_users_photo.images.limits import ImageLimits

    tool = UsersSetPhoto(CANARY_TOKEN, environ={}, limits=ImageLimits(min_side=400))
    image = tool.input_schema["properties"]["image"]["description"]
    assert "At least 400x400 pixels." in image
    assert "512" not in image
    assert "longer than 2.56:1 needs the crop box" in tool.description


@pytest.mark.parametrize("format_name", ["WEBP", "BMP", "TIFF"])
async def test_the_description_names_each_format_converted_and_each_is_taken(
    format_name: str,
) -> None:
    """The description said "a PNG, JPEG or GIF" alone, so a model or a catalog turned away
    a WEBP, BMP or TIFF the tool converts and sends (a catalog audit)."""
    from PIL import Image

    from ocp_users_photo.images.formats import OTHER_FORMATS
    from ocp_users_photo.spec import load_manifest

    said = re.search(r"\(([A-Za-z, ]+) are converted\)", load_manifest()["description"])
    assert said is not None
    assert tuple(re.split(r", | and ", said[1])) == OTHER_FORMATS  # each one, none more
    assert format_name in OTHER_FORMATS
    written = io.BytesIO()
    Image.new("RGB", (600, 600), (30, 120, 200)).save(written, format=format_name)
    async with UsersSetPhoto(CANARY_TOKEN, environ={}) as tool:
        assert f"{format_name}" in tool.description
        async with tool.prepare({"image": written.getvalue()}) as prepared:
            assert prepared.image.format in ("PNG", "JPEG")  # converted to one Slack takes


# --- 4. A catalog that shows 1,024 characters loses the OCP entry's rules. ---------------


def test_the_ocp_descriptions_rules_come_before_the_hosts_own_lists(tmp_path: Path) -> None:
    """OCP's parameters say `token` is required; only the description says to leave it out
    and to give the crop values all three or none. Those came after the image text, which
    grows with the host's image folder and allowed URL hosts: with five hosts and one folder
    the description was 1,117 characters, and a catalog that shows its first 1,024 lost both
    rules (a model read `token` as required). The rules come first; the lists last."""
    from ocp_users_photo.ocp_description import CREDENTIAL_NOT_AN_ARGUMENT

    hosts = ["images.example.com", "cdn.example.org", ".googleusercontent.com"]
    hosts += ["a.b.c.example.net", "x.example"]
    tool = UsersSetPhoto(CANARY_TOKEN, environ={}, image_roots=[tmp_path], url_hosts=hosts)
    described = export_tool("ocp", tool)["description"]
    assert len(described) > 1024, "the lists are long enough to be cut"
    shown = described[:1024]
    assert CREDENTIAL_NOT_AN_ARGUMENT in shown
    assert "all three or none" in shown
    assert "`image` is required" in shown
