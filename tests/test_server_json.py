"""server.json, the MCP registry's entry for the server: valid, and true to the package.

The schema is the registry's published one, kept offline in tests/data: a byte-for-byte
copy of https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json
(modelcontextprotocol/registry, MIT licence), pinned here by its SHA-256.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator, FormatChecker

from ocp_users_photo import mcp_command
from ocp_users_photo._version import __version__
from ocp_users_photo.settings import BASE_URL_VARIABLE, DEFAULT_BASE_URL
from ocp_users_photo.tokens import TOKEN_VARIABLES

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = Path(__file__).resolve().parent / "data" / "mcp-server-2025-12-11.schema.json"
SCHEMA_SHA256 = "3fba09590c99f61735d234822279f4223fab9e300c0a81e81c91ab62a4114de0"


def server_json() -> dict[str, Any]:
    entry: dict[str, Any] = json.loads((ROOT / "server.json").read_text())
    return entry


def registry_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA.read_text())
    return schema


def test_the_schema_is_the_registrys_published_one() -> None:
    assert hashlib.sha256(SCHEMA.read_bytes()).hexdigest() == SCHEMA_SHA256
    assert server_json()["$schema"] == registry_schema()["$id"]


def test_server_json_is_valid_against_the_registry_schema() -> None:
    validator = Draft7Validator(registry_schema(), format_checker=FormatChecker())
    assert [error.message for error in validator.iter_errors(server_json())] == []


def test_the_schema_check_is_live() -> None:
    validator = Draft7Validator(registry_schema(), format_checker=FormatChecker())
    broken = server_json()
    broken["description"] = "x" * 101  # the registry's limit is 100 characters
    del broken["packages"][0]["transport"]
    messages = [error.message for error in validator.iter_errors(broken)]
    assert any("is too long" in message for message in messages)
    assert any("'transport' is a required property" in message for message in messages)


def test_the_package_is_this_one_on_pypi_at_this_version() -> None:
    entry = server_json()
    (package,) = entry["packages"]
    assert package["registryType"] == "pypi"
    assert package["identifier"] == "ocp-users-photo"
    assert package["version"] == entry["version"] == __version__
    assert package["transport"] == {"type": "stdio"}
    # uvx runs the console script of the same name, with the mcp extra's one dependency.
    assert package["runtimeHint"] == "uvx"
    pyproject = (ROOT / "pyproject.toml").read_text()
    (mcp_extra,) = re.findall(r'^mcp = \["(.+)"\]$', pyproject, re.MULTILINE)
    assert package["runtimeArguments"] == [
        {
            "type": "named",
            "name": "--with",
            "value": mcp_extra,
            "description": package["runtimeArguments"][0]["description"],
        }
    ]
    # The registry warns that hosts may build the command in a shell: no character a shell
    # reads as a redirection or a separator (">=2,<3" redirected stdio there).
    assert not set(mcp_extra) & set("<>|;&$`'\"\\ ")


def test_the_arguments_are_the_mcp_commands_own() -> None:
    (package,) = server_json()["packages"]
    positional, *named = package["packageArguments"]
    assert positional == {
        "type": "positional",
        "value": "mcp",
        "description": positional["description"],
    }
    parser = argparse.ArgumentParser()
    mcp_command.configure_parser(parser)
    options = {action.option_strings[0]: action for action in parser._actions[1:]}
    for argument in named:
        action = options[argument["name"]]
        if "choices" in argument:
            assert list(action.choices or ()) == argument["choices"]
            assert action.default == argument["default"]
        if argument.get("isRepeated"):
            assert action.__class__.__name__ == "_AppendAction"
    # A host's command line as the registry entry builds it parses as the server's own.
    parsed = parser.parse_args(["--image-root", "/pictures", "--log-level", "info"])
    assert parsed.image_roots == ["/pictures"]
    assert parsed.log_level == "info"


def test_the_environment_is_the_token_marked_secret_and_the_base_url() -> None:
    (package,) = server_json()["packages"]
    variables = {variable["name"]: variable for variable in package["environmentVariables"]}
    assert set(variables) == {TOKEN_VARIABLES[0], BASE_URL_VARIABLE}
    token = variables[TOKEN_VARIABLES[0]]
    assert token["isSecret"] is True
    assert token["isRequired"] is True
    assert "xoxp-" in token["description"]
    assert "value" not in token
    assert "default" not in token
    base_url = variables[BASE_URL_VARIABLE]
    assert base_url.get("isSecret", False) is False
    assert base_url["default"] == DEFAULT_BASE_URL


def test_the_readme_carries_the_registrys_ownership_marker() -> None:
    # The registry proves a PyPI package is the server's by finding this line in the
    # package's description, which is README.md.
    name = server_json()["name"]
    assert f"<!-- mcp-name: {name} -->" in (ROOT / "README.md").read_text()
