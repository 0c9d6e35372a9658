"""The exported tool definitions: derived from the manifest, valid schemas, the right shapes."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator, Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError

from ocp_users_photo import UsersSetPhoto, cli
from ocp_users_photo.emulator import Fault, RunningEmulator
from ocp_users_photo.errors import (
    InvalidArguments,
    Problem,
    RateLimited,
    ReplySchemaError,
    SlackApiError,
    TokenUnavailable,
    TransportError,
    UsersPhotoError,
)
from ocp_users_photo.exports import (
    FORMATS,
    anthropic_strict_input_schema,
    export_tool,
    export_tools,
    mcp_input_schema,
    restore_result_schema,
    run_result_schema,
    strict_input_schema,
)
from ocp_users_photo.model_result import error_result
from ocp_users_photo.spec import load_manifest
from ocp_users_photo.tokens import install_page_of
from tests.conftest import inject, photo_requests, success_reply

DATA = Path(__file__).parent / "data"
# OpenAI and Anthropic both take tool names of letters, digits, '_' and '-', 64 at most.
TOOL_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")


def manifest() -> dict[str, Any]:
    copied: dict[str, Any] = json.loads(json.dumps(load_manifest()))
    return copied


def result_validator() -> Draft202012Validator:
    return Draft202012Validator(run_result_schema(), format_checker=FormatChecker())


def test_formats_are_the_six_named() -> None:
    assert FORMATS == ("ocp", "openai", "anthropic", "anthropic-strict", "gemini", "mcp")


def test_unknown_format_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="ocp, openai, anthropic, anthropic-strict, gemini, mcp"):
        export_tool("yaml")


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_export_is_plain_json(fmt: str) -> None:
    exported = export_tool(fmt)
    assert json.loads(json.dumps(exported)) == exported


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_export_is_a_copy_callers_may_edit(fmt: str) -> None:
    first = export_tool(fmt)
    first.clear()
    assert export_tool(fmt) != {}
    assert load_manifest()["name"] == "usersSetPhoto"


def test_ocp_export_is_the_manifests_ocp_fields_only() -> None:
    source = manifest()
    exported = export_tool("ocp")
    assert set(exported) == {
        "name",
        "description",
        "method",
        "path",
        "operation_id",
        "tags",
        "parameters",
        "response_schema",
        "security",
        "servers",
    }
    for field, value in exported.items():
        if field != "description":
            assert value == source[field], field
    # The description is register()'s: the manifest's, then what to pass instead of the
    # seed's parameters (token required, image optional), which a model must not follow.
    assert exported["description"].startswith(source["description"] + " Arguments: ")
    assert "`image` is required" in exported["description"]
    assert "Do not pass `token`" in exported["description"]


def test_ocp_export_matches_the_ocp_tool_schema_but_for_formdata_locations() -> None:
    # The manifest keeps Slack's OpenAPI location "formData", which the OCP schema's
    # location enum does not list; every other rule of the OCP schema holds.
    schema = json.loads((DATA / "ocp-tool.schema.json").read_text())
    errors = list(Draft7Validator(schema).iter_errors(export_tool("ocp")))
    assert errors, "the manifest changed: drop this exception if formData is gone"
    for error in errors:
        assert re.fullmatch(r"\$\.parameters\.\w+\.location", error.json_path), error.message
        assert error.instance == "formData"


def test_openai_export_shape_and_schema() -> None:
    source = manifest()
    exported = export_tool("openai")
    assert set(exported) == {"type", "function"}
    assert exported["type"] == "function"
    function = exported["function"]
    assert set(function) == {"name", "description", "parameters", "strict"}
    assert TOOL_NAME.fullmatch(function["name"])
    assert function["name"] == source["name"]
    assert function["description"] == source["description"]
    assert function["strict"] is True
    assert function["parameters"] == strict_input_schema(source["input_schema"])
    assert function["parameters"]["type"] == "object"


def test_anthropic_strict_export_shape_and_schema() -> None:
    source = manifest()
    exported = export_tool("anthropic-strict")
    assert set(exported) == {"name", "description", "input_schema", "strict"}
    assert exported["name"] == source["name"]
    assert exported["description"] == source["description"]
    assert exported["strict"] is True
    assert exported["input_schema"] == anthropic_strict_input_schema(source["input_schema"])


def test_gemini_export_shape_and_schema() -> None:
    source = manifest()
    exported = export_tool("gemini")
    assert set(exported) == {"name", "description", "parametersJsonSchema"}
    assert exported["name"] == source["name"]
    assert exported["description"] == source["description"]
    assert exported["parametersJsonSchema"] == source["input_schema"]


def test_the_same_variant_is_the_same_schema_in_every_export() -> None:
    manifest_schema = manifest()["input_schema"]
    assert export_tool("anthropic")["input_schema"] == manifest_schema
    assert export_tool("gemini")["parametersJsonSchema"] == manifest_schema
    # MCP lists it open (mcp_input_schema: google-genai fails on a boolean subschema).
    assert export_tool("mcp")["inputSchema"] == mcp_input_schema(manifest_schema)
    assert export_tool("openai")["function"]["parameters"] == strict_input_schema(manifest_schema)
    assert export_tool("anthropic-strict")["input_schema"] == anthropic_strict_input_schema(
        manifest_schema
    )


CONDITIONAL_KEYWORDS = {
    "if",
    "then",
    "else",
    "dependentSchemas",
    "dependentRequired",
    "oneOf",
    "allOf",
    "anyOf",
    "not",
    "patternProperties",
}


def keywords_in(schema: Any) -> set[str]:
    """Every key used anywhere in ``schema``, property names aside."""
    if isinstance(schema, list):
        return set().union(*(keywords_in(item) for item in schema))
    if not isinstance(schema, dict):
        return set()
    found = set(schema) - {"properties"}
    for key, value in schema.items():
        if key == "properties":
            found |= set().union(*(keywords_in(item) for item in value.values()))
        else:
            found |= keywords_in(value)
    return found


def test_the_manifest_schema_has_no_conditional_keywords() -> None:
    # Hosts and MCP clients vary in what conditional keywords they understand; the
    # cross-field crop rule is in the descriptions instead, and the tool enforces it.
    schema = manifest()["input_schema"]
    assert keywords_in(schema) & CONDITIONAL_KEYWORDS == set()
    for name in ("crop_x", "crop_y", "crop_w"):
        assert "together, or none of them" in schema["properties"][name]["description"]
    assert "inside the image" in schema["properties"]["crop_w"]["description"]
    before = json.loads((DATA / "input_schema_before.json").read_text())
    assert keywords_in(before) & CONDITIONAL_KEYWORDS == {"dependentSchemas", "if", "then"}


def test_exports_are_derived_from_the_tool_they_are_given() -> None:
    tool = UsersSetPhoto(environ={})
    assert export_tool("openai", tool) == export_tool("openai")
    told_otherwise = _Described(
        name="usersSetPhoto",
        description="Set the photo; image may also be an https URL on an allowed host.",
        input_schema={
            **tool.input_schema,
            "properties": {
                **tool.input_schema["properties"],
                "image": {"type": "string", "description": "A path or an https URL."},
            },
        },
    )
    for fmt in ("openai", "anthropic", "anthropic-strict", "gemini", "mcp"):
        text = json.dumps(export_tool(fmt, told_otherwise))
        assert "A path or an https URL." in text, fmt
        assert "an allowed host" in text, fmt
    assert "outputSchema" not in export_tool("mcp", told_otherwise)


@pytest.mark.parametrize(
    ("tool", "error"),
    [
        (object(), TypeError),
        (lambda: None, TypeError),
    ],
)
def test_an_export_of_something_else_is_refused(tool: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match="name, description and input_schema"):
        export_tool("openai", tool)


def test_an_export_of_a_schema_offering_a_token_is_refused() -> None:
    offering = _Described(
        name="leaky",
        description="d",
        input_schema={"type": "object", "properties": {"token": {"type": "string"}}},
    )
    with pytest.raises(ValueError, match="offers token"):
        export_tool("anthropic", offering)


@dataclass(frozen=True)
class _Described:
    name: str
    description: str
    input_schema: dict[str, Any]


def test_anthropic_export_shape_and_schema() -> None:
    source = manifest()
    exported = export_tool("anthropic")
    assert set(exported) == {"name", "description", "input_schema"}
    assert TOOL_NAME.fullmatch(exported["name"])
    assert exported["name"] == source["name"]
    assert exported["description"] == source["description"]
    assert exported["input_schema"] == source["input_schema"]
    assert exported["input_schema"]["type"] == "object"


def test_mcp_export_shape_and_schemas() -> None:
    source = manifest()
    exported = export_tool("mcp")
    assert set(exported) == {
        "name",
        "title",
        "description",
        "inputSchema",
        "outputSchema",
        "annotations",
    }
    assert exported["name"] == source["name"]
    assert exported["title"] == "Set Slack profile photo"
    # It changes the profile, replacing the photo there was; the same call again keeps the
    # photo it replaces once more (undo), so it is not idempotent; it reaches Slack.
    assert exported["annotations"] == {
        "title": "Set Slack profile photo",
        "readOnlyHint": False,
        "destructiveHint": True,
        "idempotentHint": False,
        "openWorldHint": True,
    }
    assert exported["description"] == source["description"]
    assert exported["inputSchema"] == mcp_input_schema(source["input_schema"])
    assert "additionalProperties" not in json.dumps(exported["inputSchema"])
    output = exported["outputSchema"]
    assert output == run_result_schema()
    assert output["type"] == "object"  # MCP wants an object schema at the root


def test_no_export_offers_a_token_argument() -> None:
    assert "token" not in export_tool("openai")["function"]["parameters"]["properties"]
    assert "token" not in export_tool("anthropic")["input_schema"]["properties"]
    assert "token" not in export_tool("anthropic-strict")["input_schema"]["properties"]
    assert "token" not in export_tool("gemini")["parametersJsonSchema"]["properties"]
    assert "token" not in export_tool("mcp")["inputSchema"]["properties"]


def test_output_schema_pieces_are_the_manifests() -> None:
    source = manifest()
    success, bare, error = run_result_schema()["anyOf"]
    response = source["response_schema"]
    for name, schema in response["properties"].items():
        assert success["properties"][name] == schema, name
    assert success["required"] == response["required"]
    assert success["additionalProperties"] == response["additionalProperties"]
    assert bare["properties"]["ok"] == response["properties"]["ok"]
    assert error["properties"]["ok"] == source["error_schema"]["properties"]["ok"]
    for code in source["error_schema"]["properties"]["error"]["examples"]:
        assert code in error["properties"]["error"]["examples"]


def input_schemas() -> list[dict[str, Any]]:
    return [
        manifest()["input_schema"],
        export_tool("openai")["function"]["parameters"],
        export_tool("anthropic")["input_schema"],
        export_tool("anthropic-strict")["input_schema"],
        export_tool("gemini")["parametersJsonSchema"],
        export_tool("mcp")["inputSchema"],
        export_tool("mcp")["outputSchema"],
    ]


@pytest.mark.parametrize("schema", input_schemas(), ids=lambda _: "schema")
def test_schemas_are_valid_json_schema_2020_12(schema: dict[str, Any]) -> None:
    Draft202012Validator.check_schema(schema)


def test_the_meta_schema_check_does_catch_a_broken_schema() -> None:
    broken = manifest()["input_schema"]
    broken["properties"]["crop_x"]["minimum"] = "zero"
    with pytest.raises(SchemaError):
        Draft202012Validator.check_schema(broken)


def test_input_schema_accepts_and_refuses_as_documented() -> None:
    # The manifest's schema, as every export but MCP's carries it (MCP's: the next test).
    validator = Draft202012Validator(manifest()["input_schema"])
    assert validator.is_valid({"image": "me.png"})
    assert validator.is_valid({"image": "me.png", "crop_x": 0, "crop_y": "10", "crop_w": 512})
    # A partial box passes the schema (its descriptions say the rule); the tool refuses it.
    assert validator.is_valid({"image": "me.png", "crop_x": 0})
    assert not validator.is_valid({"image": "me.png", "crop_x": -1})
    assert not validator.is_valid({"image": "me.png", "crop_x": "1e3"})
    # null means not given, for models that send every property
    assert validator.is_valid({"image": "me.png", "crop_x": None})
    assert validator.is_valid({"image": "me.png", "crop_x": None, "crop_y": None, "crop_w": None})
    assert not validator.is_valid({"image": "me.png", "token": "xoxp-1"})
    assert not validator.is_valid({})


async def test_the_mcp_schema_leaves_unknown_names_to_the_tool() -> None:
    """MCP's inputSchema is open (google-genai's MCP support fails on a boolean subschema):
    the checks are the same but for names it does not list, which the tool refuses."""
    validator = Draft202012Validator(export_tool("mcp")["inputSchema"])
    assert validator.is_valid({"image": "me.png", "crop_x": None})
    assert not validator.is_valid({"image": "me.png", "crop_x": -1})
    assert not validator.is_valid({})
    assert validator.is_valid({"image": "me.png", "token": "xoxp-1"})
    async with UsersSetPhoto("xoxp-1-2-3-abcdefabcdef", environ={}) as tool:
        refused = await tool.run({"image": "me.png", "token": "xoxp-1"})
    assert refused["error"] == "invalid_arguments"
    assert "$.token" in [problem["path"] for problem in refused["problems"]]


ERRORS: list[UsersPhotoError] = [
    InvalidArguments([Problem("$.crop_y", "crop_y is missing")]),
    ReplySchemaError([Problem("$.profile", "missing")], {"ok": True}),
    TransportError("Slack answered HTTP 502 after 3 attempts"),
    SlackApiError("invalid_auth", hint="check the token", reply={"ok": False}),
    SlackApiError(
        "missing_scope",
        hint="add the scope",
        reply={
            "ok": False,
            "error": "missing_scope",
            "needed": "users.profile:write",
            "provided": "users:read",
            "warning": "superfluous_charset",
        },
    ),
    RateLimited(30.0, hint="wait", reply={"ok": False, "error": "ratelimited"}),
    SlackApiError("some_future_code", hint="see the docs", reply={"ok": False}),
]


@pytest.mark.parametrize("error", ERRORS, ids=lambda error: type(error).__name__)
def test_output_schema_holds_for_every_error_result(error: UsersPhotoError) -> None:
    result = error_result(error)
    assert result_validator().is_valid(result), list(result_validator().iter_errors(result))


def test_output_schema_holds_for_results_with_an_install_page() -> None:
    page = "https://photos.example.com/slack/install"
    revoked = SlackApiError("token_revoked", hint="install again", reply={"ok": False})
    results = [
        error_result(revoked, install_url=page),
        error_result(TokenUnavailable("install the app first", install_url=page)),
    ]
    assert [result["install_url"] for result in results] == [page, page]
    for result in results:
        assert result_validator().is_valid(result), list(result_validator().iter_errors(result))


@pytest.mark.parametrize(
    "page",
    ["https://photos.example.com/slack install", "https://exämple.com/i", "ftp://x.example/"],
)
def test_an_install_page_that_is_no_uri_is_not_passed_on(page: str) -> None:
    """A host's own token source may name any text: the result keeps its format uri promise."""

    class OwnSource:
        install_url = page

    revoked = SlackApiError("token_revoked", hint="install again", reply={"ok": False})
    results = [
        error_result(revoked, install_url=page),
        error_result(revoked, install_url=install_page_of(OwnSource())),  # type: ignore[arg-type]
        error_result(TokenUnavailable("install the app first", install_url=page)),
    ]
    for result in results:
        assert "install_url" not in result
        assert page not in result["message"]
        assert result_validator().is_valid(result), list(result_validator().iter_errors(result))


@pytest.mark.parametrize(
    "result",
    [
        success_reply(),
        {**success_reply(), "warning": "superfluous_charset"},
        {**success_reply(), "response_metadata": {"warnings": ["superfluous_charset"]}},
        {"ok": True},
        {"ok": True, "warning": "superfluous_charset"},
    ],
    ids=["full", "warning", "metadata", "bare", "bare-warning"],
)
def test_output_schema_holds_for_success_results(result: dict[str, Any]) -> None:
    assert result_validator().is_valid(result)


@pytest.mark.parametrize(
    "result",
    [
        {**success_reply(), "extra": 1},
        {"ok": True, "profile": {"avatar_hash": "0123456789ab"}},
        {"ok": False, "error": "invalid_auth"},
        {"ok": False, "error": "invalid_auth", "message": "m", "problems": [], "token": "x"},
        {"ok": "yes"},
        [],
    ],
    ids=["extra-field", "partial-profile", "no-message", "extra-error-field", "ok-text", "list"],
)
def test_output_schema_refuses_other_shapes(result: Any) -> None:
    assert not result_validator().is_valid(result)


# (name, the emulator's scripted answers, the error code run returns, or None for a success)
SCRIPTS: list[tuple[str, list[Fault], str | None]] = [
    ("success", [], None),
    ("warning", [Fault.json({**success_reply(), "warning": "superfluous_charset"})], None),
    ("bare-ok", [Fault.json({"ok": True})], None),
    ("slack-error", [Fault.json({"ok": False, "error": "invalid_auth"})], "invalid_auth"),
    (
        "missing-scope",
        [
            Fault.json(
                {
                    "ok": False,
                    "error": "missing_scope",
                    "needed": "users.profile:write",
                    "provided": "identify",
                }
            )
        ],
        "missing_scope",
    ),
    (
        "rate-limited",
        [
            Fault.json(
                {"ok": False, "error": "ratelimited"},
                status_code=429,
                headers={"retry-after": "90"},
            )
        ],
        "ratelimited",
    ),
    (
        "bad-reply",
        [Fault.json({"ok": True, "profile": {"image_24": "not a uri"}})],
        "invalid_reply",
    ),
    ("not-json", [Fault.status(200, body=b"<html>")], "transport_error"),
    (
        "server-error",
        [Fault.json({"ok": False, "error": "fatal_error"}, status_code=500)] * 3,
        "transport_error",
    ),
]


@pytest.mark.parametrize(("answers", "code"), [s[1:] for s in SCRIPTS], ids=[s[0] for s in SCRIPTS])
async def test_output_schema_holds_for_what_run_returns(
    emulator: RunningEmulator,
    tool: UsersSetPhoto,
    write_image: Callable[..., Path],
    answers: list[Fault],
    code: str | None,
) -> None:
    inject(emulator, *answers)
    result = await tool.run({"image": write_image().read_bytes()})
    assert photo_requests(emulator), "the call reached the server"
    assert result.get("error") == code
    assert result["ok"] is (code is None)
    errors = list(result_validator().iter_errors(result))
    assert not errors, (result, errors)


async def test_output_schema_holds_for_refused_arguments(
    emulator: RunningEmulator, tool: UsersSetPhoto, write_image: Callable[..., Path]
) -> None:
    result = await tool.run({"image": str(write_image()), "crop_x": 1, "colour": "red"})
    assert result["error"] == "invalid_arguments"
    assert result_validator().is_valid(result)
    assert not photo_requests(emulator)


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_manifest_command_prints_each_export(
    fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["manifest", "--format", fmt]) == 0
    assert json.loads(capsys.readouterr().out) == export_tool(fmt)


def test_the_manifest_command_prints_the_ocp_export_by_default(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["manifest"]) == 0
    assert json.loads(capsys.readouterr().out) == export_tool("ocp")


def test_the_manifest_command_refuses_an_unknown_format(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.main(["manifest", "--format", "yaml"])
    assert stopped.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


async def test_the_mcp_export_of_a_tool_object_is_the_manifests_with_its_result_schema() -> None:
    """``export_tool("mcp", tool)`` for a UsersSetPhoto (bound to a person or not) left
    out its outputSchema, title and annotations, which ``manifest --format mcp`` has: a
    host listing it advertised no structured result (a review of 2026-12-05). The MCP
    server added them back by hand."""
    tool = UsersSetPhoto("xoxp-1-2-3-abcdef", base_url="http://127.0.0.1:9/api", environ={})
    try:
        catalogued = export_tool("mcp")
        for given in (tool, tool.acting_as(team_id="T0TEAM0001", user_id="U0PERSON01")):
            exported = export_tool("mcp", given)
            assert exported["outputSchema"] == catalogued["outputSchema"]
            assert exported["title"] == catalogued["title"]
            assert exported["annotations"] == catalogued["annotations"]
            assert exported["name"] == "usersSetPhoto"
    finally:
        await tool.aclose()


def test_the_ocp_security_asks_for_every_scope_a_model_door_change_needs() -> None:
    # A catalog or host that asks only for the scopes in `security` got a token every
    # model-door change refused (previous_photo_not_kept: it keeps the replaced photo by
    # default, which reads it with users.profile:read).
    manifest = load_manifest()
    needed = set(manifest["auth"]["scopes"])
    assert needed == {"users.profile:write", "users.profile:read"}
    for exported in (export_tool("ocp"), manifest):
        (requirement,) = exported["security"]
        assert set(requirement["slackAuth"]) == needed


async def test_the_python_mcp_export_of_the_undo_tool_is_what_the_server_lists() -> None:
    """``export_tool("mcp", tool.restore_tool())`` left out the outputSchema, title and
    annotations that ``manifest --format mcp --tool usersRestorePhoto`` and the MCP server
    give it (a review): only usersSetPhoto was known as the package's own."""
    async with UsersSetPhoto("xoxp-1-2-3", base_url="http://127.0.0.1:9/api") as tool:
        undo = tool.restore_tool()
        exported = export_tool("mcp", undo)
        bound = export_tool("mcp", tool.acting_as(team_id="T1", user_id="U1").restore_tool())
    assert exported == export_tools("mcp")[1]
    assert bound == exported
    assert exported["outputSchema"] == restore_result_schema()
    assert exported["title"] == "Restore a kept Slack profile photo"
    assert exported["annotations"]["destructiveHint"] is True
