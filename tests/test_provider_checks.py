"""Each export, checked offline by its provider's own code, each check failing on the old schema.

A converter that quietly rewrites a schema proves nothing, so where a provider's SDK
only has a converter (the OpenAI Agents SDK's ``ensure_strict_json_schema``,
Anthropic's ``transform_schema``), the check is that it finds nothing to change:
the export is already what the provider takes. ``BEFORE`` is the input schema as
it was before it lost its conditional keywords.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import mcp.types
import pytest
from agents import FunctionTool
from agents.tool_context import ToolContext
from anthropic.lib._parse._transform import transform_schema
from anthropic.types import ToolParam
from google.genai import types as genai_types
from jsonschema import Draft202012Validator
from openai.types.chat import ChatCompletionFunctionToolParam
from pydantic import TypeAdapter, ValidationError
from pydantic_ai.profiles.openai import OpenAIJsonSchemaTransformer

from ocp_users_photo.exports import (
    anthropic_strict_input_schema,
    export_tool,
    mcp_input_schema,
    strict_input_schema,
)
from ocp_users_photo.spec import load_manifest

BEFORE: dict[str, Any] = json.loads(
    (Path(__file__).parent / "data" / "input_schema_before.json").read_text()
)
BEFORE_WITHOUT_SCHEMA_KEY = {key: value for key, value in BEFORE.items() if key != "$schema"}


# --- OpenAI: the Agents SDK takes the strict variant as a strict FunctionTool, unchanged.


async def _no_call(context: ToolContext[Any], arguments: str) -> str:
    raise AssertionError("the schema check never calls the tool")


def openai_agents_sdk_changes(schema: dict[str, Any]) -> list[str]:
    """The top-level keys the Agents SDK rewrites when it makes ``schema`` a strict tool's."""
    tool = FunctionTool(
        name="usersSetPhoto",
        description="check",
        params_json_schema=copy.deepcopy(schema),
        on_invoke_tool=_no_call,
        strict_json_schema=True,
    )
    normalized = tool.params_json_schema
    return sorted(
        key
        for key in set(schema) | set(normalized)
        if json.dumps(schema.get(key)) != json.dumps(normalized.get(key))
    )


def test_openai_export_is_a_strict_function_tool_as_it_stands() -> None:
    exported = export_tool("openai")
    TypeAdapter(ChatCompletionFunctionToolParam).validate_python(exported)
    function = exported["function"]
    assert function["strict"] is True
    assert openai_agents_sdk_changes(function["parameters"]) == []


def test_openai_check_fails_on_the_old_schema() -> None:
    # The SDK would have to list every property as required: the old schema is not strict.
    assert openai_agents_sdk_changes(BEFORE) == ["required"]


def pydantic_ai_says_openai_strict(schema: dict[str, Any]) -> bool:
    """Pydantic AI's own detector of what OpenAI's strict mode takes (it sets strict by it)."""
    transformer = OpenAIJsonSchemaTransformer(copy.deepcopy(schema), strict=None)
    transformer.walk()
    return transformer.is_strict_compatible


def test_pydantic_ais_openai_detector_agrees() -> None:
    assert pydantic_ai_says_openai_strict(export_tool("openai")["function"]["parameters"])
    # minLength and the optional properties make the old schema not strict-compatible.
    assert not pydantic_ai_says_openai_strict(BEFORE)


# --- Anthropic: ToolParam's types; in strict mode, nothing for transform_schema to move.


def anthropic_strict_changes(schema: dict[str, Any]) -> str | None:
    """None when Anthropic's transform_schema leaves ``schema`` as it is, else what it did."""
    try:
        transformed = transform_schema(copy.deepcopy(schema))
    except (AssertionError, ValueError) as refused:  # assert_never: a type it cannot take
        return f"refused: {refused}"
    return None if transformed == schema else f"rewrote: {json.dumps(transformed)}"


def test_anthropic_export_is_a_tool_param() -> None:
    # Non-strict tool use takes any JSON Schema object (ToolParam's types cannot tell a good
    # schema from a bad one), so the schema is also checked to be the manifest's, the one
    # run() holds a model's arguments to, and a valid 2020-12 schema.
    exported = export_tool("anthropic")
    TypeAdapter(ToolParam).validate_python(exported)
    assert exported["input_schema"] == load_manifest()["input_schema"]
    Draft202012Validator.check_schema(exported["input_schema"])


def test_anthropic_strict_export_is_what_strict_mode_takes() -> None:
    exported = export_tool("anthropic-strict")
    TypeAdapter(ToolParam).validate_python(exported)
    assert exported["strict"] is True
    assert anthropic_strict_changes(exported["input_schema"]) is None


def test_anthropic_strict_check_fails_on_the_old_schema_and_the_openai_variant() -> None:
    refused = anthropic_strict_changes(BEFORE)
    assert refused is not None
    assert refused.startswith("refused:")  # a type list, ["integer", "string", "null"]
    # Anthropic's strict mode takes no minimum, maximum or pattern: the OpenAI variant fails.
    moved = anthropic_strict_changes(export_tool("openai")["function"]["parameters"])
    assert moved is not None
    assert "minimum: 0" in moved


# --- Gemini: a FunctionDeclaration, its schema in the SDK's own JSONSchema subset.


def check_gemini(declaration: dict[str, Any]) -> None:
    """Raise unless google-genai's types take ``declaration`` and its parametersJsonSchema."""
    genai_types.FunctionDeclaration.model_validate(declaration)
    schema = genai_types.JSONSchema.model_validate(declaration["parametersJsonSchema"])
    genai_types.Schema.from_json_schema(
        json_schema=schema, api_option="GEMINI_API", raise_error_on_unsupported_field=True
    )


def test_gemini_export_is_a_function_declaration() -> None:
    exported = export_tool("gemini")
    check_gemini(exported)
    declaration = genai_types.FunctionDeclaration.model_validate(exported)
    assert declaration.parameters_json_schema == exported["parametersJsonSchema"]


@pytest.mark.parametrize(
    ("schema", "refused"),
    [(BEFORE, "dependentSchemas"), (BEFORE_WITHOUT_SCHEMA_KEY, "dependentSchemas")],
    ids=["as-it-was", "without-$schema"],
)
def test_gemini_check_fails_on_the_old_schema(schema: dict[str, Any], refused: str) -> None:
    declaration = {"name": "usersSetPhoto", "description": "d", "parametersJsonSchema": schema}
    with pytest.raises(ValidationError, match=refused):
        check_gemini(declaration)


# --- MCP: mcp.types.Tool.


def test_mcp_export_is_an_mcp_tool() -> None:
    exported = export_tool("mcp")
    tool = mcp.types.Tool.model_validate(exported)
    assert tool.input_schema == exported["inputSchema"]
    assert exported["inputSchema"] == mcp_input_schema(load_manifest()["input_schema"])
    assert tool.output_schema == exported["outputSchema"]
    assert tool.title == "Set Slack profile photo"
    assert tool.annotations is not None
    assert tool.annotations.read_only_hint is False
    assert tool.annotations.destructive_hint is True
    assert tool.annotations.idempotent_hint is False
    assert tool.annotations.open_world_hint is True


# --- The strict variants, once more, from the derivation itself.


def test_the_derivation_refuses_the_old_schema_rather_than_widening_it() -> None:
    with pytest.raises(ValueError, match="dependentSchemas"):
        strict_input_schema(BEFORE)
    with pytest.raises(ValueError, match="dependentSchemas"):
        anthropic_strict_input_schema(BEFORE)


def test_both_strict_derivations_satisfy_their_providers_beyond_this_tool() -> None:
    # Nested objects, arrays and bounds at every level: what a second tool may bring.
    schema = {
        "type": "object",
        "properties": {
            "tags": {
                "type": "array",
                "items": {"type": "integer", "minimum": 2},
                "minItems": 3,
                "description": "Tags.",
            },
            "box": {
                "type": "object",
                "properties": {"side": {"type": "number", "maximum": 9, "description": "Side."}},
                "required": ["side"],
            },
            "note": {"type": ["string", "null"], "pattern": "^[a-z]+$"},
        },
        "required": ["tags", "box"],
    }
    assert openai_agents_sdk_changes(strict_input_schema(schema)) == []
    assert pydantic_ai_says_openai_strict(strict_input_schema(schema))
    assert anthropic_strict_changes(anthropic_strict_input_schema(schema)) is None
