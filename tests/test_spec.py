"""The manifest is the seed's spec, and an installed package reads the very same file."""

from __future__ import annotations

import email.parser
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.spec import load_manifest, manifest_path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


def seed_block(title: str, next_title: str) -> Any:
    """A JSON block of the seed document, between its title line and the next title."""
    text = (DATA / "seed_usersSetPhoto.txt").read_text()
    start = text.index(f"{title}\n") + len(title) + 1
    end = text.index(next_title, start)
    return json.loads(text[start:end])


def test_parameters_are_the_seeds() -> None:
    assert load_manifest()["parameters"] == seed_block("Parameters", "Response Schema")


def test_response_schema_is_the_seeds() -> None:
    assert load_manifest()["response_schema"] == seed_block("Response Schema", "Usage")


def test_error_schema_is_slacks_with_its_list_of_codes_open() -> None:
    openapi = json.loads((DATA / "slack-openapi-users-photo.json").read_text())
    slack_error = openapi["paths"]["/users.setPhoto"]["post"]["responses"]["default"]["schema"]
    ours = load_manifest()["error_schema"]
    documented = slack_error["properties"]["error"]["enum"]
    assert ours["properties"]["error"]["examples"][: len(documented)] == documented
    assert ours["required"] == slack_error["required"]
    assert ours["properties"]["ok"] == openapi["definitions"]["defs_ok_false"]
    for name, field in slack_error["properties"].items():
        if name not in ("error", "ok"):  # ok: Slack's $ref, compared above
            assert ours["properties"][name] == field, name


@pytest.mark.parametrize(
    "reply",
    [
        # Codes Slack sends beside the ones it documents for this method (SLACK.md: "the
        # list is open"), and the fields they carry: the closed enum refused each.
        {"ok": False, "error": "missing_scope", "needed": "users.profile:write", "provided": "x"},
        {"ok": False, "error": "not_allowed_token_type"},
        {"ok": False, "error": "ratelimited"},
        {"ok": False, "error": "a_code_slack_adds_next_year"},
        {"ok": False, "error": "bad_image", "warning": "superfluous_charset"},
        {"ok": False, "error": "invalid_auth", "response_metadata": {"warnings": ["x"]}},
    ],
)
def test_error_schema_takes_the_error_replies_slack_sends(reply: dict[str, object]) -> None:
    schema = load_manifest()["error_schema"]
    Draft202012Validator.check_schema(schema)
    assert Draft202012Validator(schema).is_valid(reply)


@pytest.mark.parametrize("reply", [{"ok": True, "error": "x"}, {"ok": False}, {"error": "x"}])
def test_error_schema_still_refuses_what_is_no_error_reply(reply: dict[str, object]) -> None:
    assert not Draft202012Validator(load_manifest()["error_schema"]).is_valid(reply)


def test_tool_attributes_come_from_the_manifest() -> None:
    tool = UsersSetPhoto(environ={})
    manifest = load_manifest()
    assert tool.name == "usersSetPhoto"
    assert tool.method == "POST"
    assert tool.path == "/users.setPhoto"
    assert tool.operation_id == "users_setPhoto"
    assert tool.description.startswith("Set the user profile photo")
    assert tool.parameters == seed_block("Parameters", "Response Schema")
    assert tool.response_schema == seed_block("Response Schema", "Usage")
    assert tool.input_schema == manifest["input_schema"]


def test_attributes_are_copies_a_caller_cannot_corrupt() -> None:
    tool = UsersSetPhoto(environ={})
    tool.parameters["token"]["required"] = False
    tool.input_schema["properties"].clear()
    assert load_manifest()["parameters"]["token"]["required"] is True
    assert UsersSetPhoto(environ={}).input_schema["properties"]


def test_input_schema_is_valid_2020_12_and_never_offers_the_token() -> None:
    schema = load_manifest()["input_schema"]
    Draft202012Validator.check_schema(schema)
    # Providers get this dict as it is, and Gemini's types refuse a "$schema" key.
    assert "$schema" not in schema
    assert "token" not in schema["properties"]
    assert set(schema["properties"]) == set(load_manifest()["parameters"]) - {"token"}
    for name, prop in schema["properties"].items():
        assert prop["description"], name
    assert schema["additionalProperties"] is False


def test_manifest_in_use_is_the_repository_file() -> None:
    assert manifest_path().read_bytes() == (ROOT / "tool_manifest.json").read_bytes()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("ocp_users_photo-*.whl")
    return built


def test_the_wheel_carries_the_manifest(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        packaged = archive.read("ocp_users_photo/tool_manifest.json")
    assert packaged == (ROOT / "tool_manifest.json").read_bytes()


def test_the_sdist_alone_builds_the_same_wheel(wheel: Path, tmp_path: Path) -> None:
    """A packager's build: the sdist, unpacked with no checkout beside it, builds the wheel
    the checkout builds, byte for byte (the manifest included, which the sdist holds outside
    the package). A guard for the sdist's include list: it held when written."""

    def run(arguments: list[str], cwd: Path) -> None:
        done = subprocess.run(
            [sys.executable, "-m", *arguments], cwd=cwd, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]

    run(["hatchling", "build", "-t", "sdist", "-d", str(tmp_path / "sdist")], ROOT)
    (sdist,) = (tmp_path / "sdist").glob("ocp_users_photo-*.tar.gz")
    wheel_dir = tmp_path / "wheel"
    run(
        [
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(wheel_dir),
            str(sdist),
        ],
        tmp_path,
    )
    (rebuilt,) = wheel_dir.glob("ocp_users_photo-*.whl")

    def contents(path: Path) -> dict[str, bytes]:
        with zipfile.ZipFile(path) as archive:
            return {name: archive.read(name) for name in archive.namelist()}

    ours, theirs = contents(wheel), contents(rebuilt)
    assert sorted(set(ours) ^ set(theirs)) == []
    assert [name for name in ours if ours[name] != theirs[name]] == []


def test_the_wheels_metadata_declares_its_license(wheel: Path) -> None:
    # What a package index shows as the licence: built by hatchling 1.26.1 (which the
    # build floor 'hatchling>=1.26' allowed), the METADATA said nothing about it.
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = email.parser.BytesHeaderParser().parsebytes(archive.read(name))
        licenses = [n for n in archive.namelist() if ".dist-info/licenses/" in n]
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("License-File") == ["LICENSE"]
    assert [name.rpartition("/licenses/")[2] for name in licenses] == ["LICENSE"]


def test_an_installed_package_reads_the_same_manifest(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    probe = (
        "import json, ocp_users_photo.spec as s;"
        "print(json.dumps([str(s.manifest_path()), s.load_manifest()['name']]))"
    )
    environment = {**os.environ, "PYTHONPATH": str(target)}
    finished = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env=environment,
        check=True,
        capture_output=True,
        text=True,
    )
    used_path, name = json.loads(finished.stdout)
    assert Path(used_path).is_relative_to(target)
    assert Path(used_path).read_bytes() == (ROOT / "tool_manifest.json").read_bytes()
    assert name == "usersSetPhoto"


EXTENSIONS = {
    "error_schema",
    "input_schema",
    "auth",
    "rate_limit",
    "entry_point",
    "companion_tools",
}


def test_the_manifest_is_an_ocp_tool_plus_documented_extensions() -> None:
    """OCP's tool schema, with one deviation: parameter locations are Slack's formData."""
    from jsonschema import Draft7Validator

    ocp_schema = json.loads((DATA / "ocp-tool.schema.json").read_text())
    manifest = dict(load_manifest())
    assert set(manifest) - set(ocp_schema["properties"]) == EXTENSIONS
    ocp_fields = {key: value for key, value in manifest.items() if key not in EXTENSIONS}
    errors = list(Draft7Validator(ocp_schema).iter_errors(ocp_fields))
    assert {error.json_path for error in errors} == {
        f"$.parameters.{name}.location" for name in manifest["parameters"]
    }
    assert all(error.instance == "formData" for error in errors)
    widened = json.loads(json.dumps(ocp_schema))
    location = widened["properties"]["parameters"]["patternProperties"]["^[a-zA-Z][a-zA-Z0-9_]*$"]
    location["properties"]["location"]["enum"].append("formData")
    Draft7Validator(widened).validate(ocp_fields)


def test_the_catalog_extensions_say_what_a_catalog_needs() -> None:
    import importlib

    from ocp_users_photo.settings import TOKEN_VARIABLES

    manifest = load_manifest()
    # read: the model doors keep the replaced photo by default, and refuse without it.
    assert manifest["auth"]["scopes"] == ["users.profile:write", "users.profile:read"]
    assert tuple(manifest["auth"]["environment"]) == TOKEN_VARIABLES
    assert manifest["rate_limit"]["tier"] == 2
    module_name, _, attribute = manifest["entry_point"]["python"].partition(":")
    assert getattr(importlib.import_module(module_name), attribute).__name__ == "register"
    # ocp-agent 0.3.0 reads no entry points, so the package declares none for it.
    assert "ocp_agent.tools" not in (ROOT / "pyproject.toml").read_text()
    assert set(manifest["entry_point"]) == {"python", "package"}


def test_the_package_imported_from_its_zipped_wheel_reads_its_manifest(
    wheel: Path, tmp_path: Path
) -> None:
    """A pure-Python wheel on sys.path (zipimport, as a zipapp or PEX holds it) imported,
    but the manifest was looked for as a file on disk, so every tool, export and register()
    failed with "tool_manifest.json is missing ... reinstall"; it is read as a resource."""
    probe = (
        "import json, ocp_users_photo, ocp_users_photo.exports as e;"
        "print(json.dumps([ocp_users_photo.__file__, e.export_tool('mcp')['name']]))"
    )
    finished = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={"PYTHONPATH": str(wheel), "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        capture_output=True,
        text=True,
    )
    assert finished.returncode == 0, finished.stderr[-600:]
    imported_from, name = json.loads(finished.stdout)
    assert imported_from.startswith(str(wheel))
    assert name == "usersSetPhoto"
