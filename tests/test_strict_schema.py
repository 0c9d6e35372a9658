"""The strict variants: how they are derived, and that they accept no more than the tool takes.

- the derivation's shape (every property required, nullable where it was optional,
  one type per branch, closed objects), and its refusals of what it cannot carry;
- over generated arguments, a model's strict call (every name, null for what it
  leaves out) passes the strict variant exactly when the arguments pass the
  manifest's schema;
- the tool (``prepare`` with a model's arguments, nothing sent) accepts exactly what
  the old schema accepted, the cross-field rule now being the tool's alone;
- what the Anthropic variant lets through beyond the manifest's schema (the bounds
  it says in words), the tool refuses.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from ocp_users_photo import InvalidArguments, UsersSetPhoto
from ocp_users_photo.exports import anthropic_strict_input_schema, strict_input_schema
from ocp_users_photo.spec import load_manifest
from ocp_users_photo.strict_schema import as_given
from tests.conftest import make_image

MANIFEST_SCHEMA: dict[str, Any] = json.loads(json.dumps(load_manifest()["input_schema"]))
NAMES = tuple(MANIFEST_SCHEMA["properties"])
BEFORE = json.loads((Path(__file__).parent / "data" / "input_schema_before.json").read_text())

manifest_check = Draft202012Validator(MANIFEST_SCHEMA)
strict_check = Draft202012Validator(strict_input_schema(MANIFEST_SCHEMA))
anthropic_check = Draft202012Validator(anthropic_strict_input_schema(MANIFEST_SCHEMA))
before_check = Draft202012Validator(BEFORE)

EXAMPLES = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def as_strict_call(arguments: dict[str, Any]) -> dict[str, Any]:
    """The same call as a model in strict mode writes it: every name, null for the rest."""
    return {**dict.fromkeys(NAMES), **arguments}


# --- The derivation.


def test_every_property_is_required_and_the_optional_ones_take_null() -> None:
    strict = strict_input_schema(MANIFEST_SCHEMA)
    assert strict["required"] == list(NAMES)
    assert strict["additionalProperties"] is False
    assert strict["properties"]["image"] == MANIFEST_SCHEMA["properties"]["image"]
    for name in ("crop_x", "crop_y", "crop_w"):
        source = MANIFEST_SCHEMA["properties"][name]
        derived = strict["properties"][name]
        assert derived["description"] == source["description"]
        assert derived["anyOf"] == [
            {"type": "integer", "minimum": source["minimum"], "maximum": source["maximum"]},
            {"type": "string", "pattern": source["pattern"]},
            {"type": "null"},
        ]


def test_an_optional_single_type_becomes_nullable_and_nested_objects_are_closed() -> None:
    schema = {
        "type": "object",
        "properties": {
            "size": {"type": "integer", "minimum": 1},
            "box": {
                "type": "object",
                "properties": {"side": {"type": "number"}},
                "required": ["side"],
            },
            "tags": {"type": "array", "items": {"type": "string", "format": "email"}},
        },
        "required": ["box"],
    }
    original = copy.deepcopy(schema)
    strict = strict_input_schema(schema)
    assert schema == original, "the schema given is left as it was"
    assert strict["required"] == ["size", "box", "tags"]
    assert strict["properties"]["size"] == {
        "anyOf": [{"type": "integer", "minimum": 1}, {"type": "null"}]
    }
    assert strict["properties"]["box"] == {
        "type": "object",
        "properties": {"side": {"type": "number"}},
        "required": ["side"],
        "additionalProperties": False,
    }
    assert strict["properties"]["tags"]["anyOf"][0] == {
        "type": "array",
        "items": {"type": "string", "format": "email"},
    }


@pytest.mark.parametrize(
    ("schema", "named"),
    [
        (BEFORE, "dependentSchemas"),
        ({"type": "object", "properties": {"a": {"type": "string", "minLength": 1}}}, "minLength"),
        (
            {"type": "object", "properties": {}, "additionalProperties": True},
            "additionalProperties",
        ),
        ({"type": "object", "patternProperties": {"^x": {}}}, "patternProperties"),
        ({"type": "object", "properties": {"a": {"oneOf": [{"type": "string"}]}}}, "oneOf"),
        ({"type": "object", "properties": {"a": {"type": "string", "format": "uri"}}}, "uri"),
        (
            {
                "type": "object",
                "properties": {"a": {"enum": [1, "x"], "type": ["integer", "string"]}},
            },
            "enum",
        ),
        ({"type": "array", "items": {"type": "string"}}, "root"),
        ({"type": "object", "properties": {"a": {"description": "untyped"}}}, "type"),
    ],
    ids=[
        "before",
        "minLength",
        "open-object",
        "patternProperties",
        "oneOf",
        "format",
        "enum-of-two-types",
        "array-root",
        "untyped",
    ],
)
def test_what_strict_mode_cannot_carry_is_refused_not_dropped(
    schema: dict[str, Any], named: str
) -> None:
    with pytest.raises(ValueError, match=named):
        strict_input_schema(schema)


def test_the_anthropic_variant_says_the_bounds_in_words() -> None:
    anthropic = anthropic_strict_input_schema(MANIFEST_SCHEMA)
    crop_w = anthropic["properties"]["crop_w"]
    assert crop_w["anyOf"] == [{"type": "integer"}, {"type": "string"}, {"type": "null"}]
    assert crop_w["description"].startswith(MANIFEST_SCHEMA["properties"]["crop_w"]["description"])
    assert crop_w["description"].endswith(
        "Limits the tool checks: integer: minimum 1, maximum 65535; string: digits 0-9 only "
        "(at most 5), for a whole number within those bounds."
    )


# --- Over generated arguments: the strict variants against the manifest's schema.


def crop_values() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.integers(-3, 70_000),
        st.integers(0, 99_999).map(str),
        st.sampled_from(["", "-1", " 5", "1e3", "0x10", "\u0665", "10\n", 1.0, 2.5, True]),
        st.lists(st.integers(), max_size=1),
    )


def argument_objects() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {},
        optional={
            "image": st.one_of(st.text(max_size=8), st.none(), st.integers()),
            "crop_x": crop_values(),
            "crop_y": crop_values(),
            "crop_w": crop_values(),
            "token": st.just("xoxp-from-the-model"),
        },
    )


@EXAMPLES
@given(arguments=argument_objects())
def test_a_strict_call_passes_the_strict_variant_exactly_when_the_manifest_takes_it(
    arguments: dict[str, Any],
) -> None:
    strict_call = as_strict_call(arguments)
    assert strict_check.is_valid(strict_call) == manifest_check.is_valid(arguments)
    # Whatever the strict variant accepts, the manifest's schema accepts.
    if strict_check.is_valid(arguments):
        assert manifest_check.is_valid(arguments)
    if strict_check.is_valid(strict_call):
        assert anthropic_check.is_valid(strict_call)


# --- The tool, with a model's arguments: prepared locally, nothing sent.


@pytest.fixture(scope="module")
def picture_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pictures")
    (folder / "portrait.png").write_bytes(make_image((600, 600)))
    return folder


def tool_accepts(folder: Path, arguments: dict[str, Any]) -> bool:
    """Whether the tool would send this model call (every local check, nothing sent)."""

    async def prepare() -> bool:
        tool = UsersSetPhoto("xoxp-1-test", image_roots=[folder], environ={})
        try:
            upload = await tool.prepare(arguments, model_facing=True)
        except InvalidArguments:
            return False
        upload.close()
        return True

    return asyncio.run(prepare())


def box_values() -> st.SearchStrategy[Any]:
    """Crop values that keep any whole box inside a 600x600 image, and ones no box may have."""
    return st.one_of(
        st.none(),
        st.integers(0, 300),
        st.integers(0, 300).map(str),
        st.sampled_from([-1, 0.0, 7.0, 2.5, True, 70_000, "", "-1", "abc", " 5", [], {}]),
    )


@EXAMPLES
@given(
    crop=st.fixed_dictionaries(
        {},
        optional={
            "crop_x": box_values(),
            "crop_y": box_values(),
            "crop_w": box_values(),
            "token": st.just("xoxp-from-the-model"),
        },
    )
)
@example(crop={"crop_x": 0, "crop_y": 0, "crop_w": "0"})  # the old schema took it
def test_what_the_tool_accepts_every_schema_accepts(
    picture_folder: Path, crop: dict[str, Any]
) -> None:
    # The tool is the stricter side: the old schema let crop_w "0" through as text (its
    # pattern had no bounds), and the tool, then as now, refuses a square of side 0; the
    # manifest's pattern now spells the bounds out, as the tool checks them.
    arguments = {"image": "portrait.png", **crop}
    if tool_accepts(picture_folder, arguments):
        assert before_check.is_valid(arguments), arguments
        assert manifest_check.is_valid(arguments), arguments
        assert strict_check.is_valid(as_strict_call(arguments)), arguments
    elif before_check.is_valid(arguments):
        # Otherwise the two agree: that side of "0" is the one call only the old one let by.
        assert crop.get("crop_w") == "0", arguments


def untyped_by_anthropic() -> st.SearchStrategy[Any]:
    """Values of the types the Anthropic variant allows, whatever their bounds or text."""
    return st.one_of(st.none(), st.integers(-5, 99_999), st.text(max_size=6))


@EXAMPLES
@given(
    crop=st.fixed_dictionaries(
        {
            "crop_x": untyped_by_anthropic(),
            "crop_y": untyped_by_anthropic(),
            "crop_w": untyped_by_anthropic(),
        }
    )
)
def test_what_only_the_anthropic_variant_lets_through_the_tool_refuses(
    picture_folder: Path, crop: dict[str, Any]
) -> None:
    arguments = {"image": "portrait.png", **crop}
    assume(anthropic_check.is_valid(arguments) and not manifest_check.is_valid(arguments))
    assert not tool_accepts(picture_folder, arguments), arguments


def test_a_pattern_that_is_no_bounded_number_is_said_as_it_is() -> None:
    """Only a pattern that takes exactly the integer branch's values in digits is said as
    "digits 0-9 only": a caller's ``^(low|high)$`` beside a bounded integer was told to a
    model as digits, which its tool refuses (a review of this change)."""
    level_schema: dict[str, Any] = {
        "description": "A level.",
        "type": ["integer", "string"],
        "minimum": 0,
        "maximum": 10,
        "pattern": "^(low|high)$",
    }
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {"level": level_schema},
        "required": ["level"],
        "additionalProperties": False,
    }
    level = anthropic_strict_input_schema(schema)["properties"]["level"]
    assert level["description"].endswith(
        "Limits the tool checks: integer: minimum 0, maximum 10; string: pattern ^(low|high)$."
    )
    digits_only = {**level_schema, "pattern": "^[0-9]{1,2}$"}  # takes 11-99 too
    said = anthropic_strict_input_schema({**schema, "properties": {"level": digits_only}})
    assert said["properties"]["level"]["description"].endswith("string: pattern ^[0-9]{1,2}$.")


# A host's own tool behind a strict door -----------------------------------------------

HOSTS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "who": {"type": "string"},
        "times": {"type": "integer", "minimum": 1},
        "note": {"type": ["string", "null"]},
        "box": {
            "type": "object",
            "properties": {"side": {"type": "number"}, "label": {"type": "string"}},
            "required": ["side"],
            "additionalProperties": False,
        },
        "marks": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"n": {"type": "integer"}},
                "additionalProperties": False,
            },
        },
    },
    "required": ["who"],
    "additionalProperties": False,
}


@pytest.mark.parametrize(
    ("written", "taken"),
    [
        (
            {"who": "Ann", "times": None, "note": None, "box": None, "marks": None},
            {"who": "Ann", "note": None},
        ),
        (
            {
                "who": "Ann",
                "times": 2,
                "note": "hi",
                "box": {"side": 1, "label": None},
                "marks": [{"n": None}, {"n": 3}],
            },
            {"who": "Ann", "times": 2, "note": "hi", "box": {"side": 1}, "marks": [{}, {"n": 3}]},
        ),
    ],
)
def test_as_given_takes_strict_modes_nulls_back_out(
    written: dict[str, Any], taken: dict[str, Any]
) -> None:
    """What a strict model must write (every property, null for one it leaves out) is what
    the schema it came from takes, once as_given has taken those nulls out; a null the
    schema itself takes stays."""
    strict = strict_input_schema(HOSTS_SCHEMA)
    assert Draft202012Validator(strict).is_valid(written)
    assert not Draft202012Validator(HOSTS_SCHEMA).is_valid(written)
    assert as_given(written, HOSTS_SCHEMA) == taken
    assert Draft202012Validator(HOSTS_SCHEMA).is_valid(taken)


def test_as_given_leaves_what_the_schema_does_not_describe_to_the_tool() -> None:
    odd = {"who": None, "extra": None, "box": "not an object"}
    assert as_given(odd, HOSTS_SCHEMA) == odd  # required, unknown, or of another type


async def test_a_hosts_own_tool_behind_the_openai_agents_door_gets_no_null_it_did_not_declare() -> (
    None
):
    """The host's tool checks its arguments against its own schema: each call that left an
    optional argument out was refused ("None is not of type 'integer'"), and strict mode
    left the model no way to write it otherwise."""
    from agents import FunctionTool
    from agents.tool_context import ToolContext

    from ocp_users_photo.frameworks.openai_agents import openai_agents_tools

    class Greet:
        name = "greet"
        description = "Greet someone."
        input_schema = HOSTS_SCHEMA

        async def run(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
            problems = [
                e.message for e in Draft202012Validator(HOSTS_SCHEMA).iter_errors(arguments)
            ]
            return {"ok": not problems, "problems": problems}

    (greet,) = openai_agents_tools(Greet())
    assert isinstance(greet, FunctionTool)
    text = json.dumps({"who": "Ann", "times": None, "note": None, "box": None, "marks": None})
    context = ToolContext(context=None, tool_name="greet", tool_call_id="c1", tool_arguments=text)
    assert json.loads(await greet.on_invoke_tool(context, text)) == {"ok": True, "problems": []}
