"""Strict-mode variants of a tool's input schema, derived mechanically, never kept by hand.

Providers that constrain a model's output to a schema (OpenAI's strict function
calling, which the OpenAI Agents SDK uses by default; Anthropic's strict tool use)
take a subset of JSON Schema: every property listed in ``required``, an optional
one written as nullable, ``additionalProperties: false``, and none of the
conditional keywords. ``strict_input_schema`` derives that variant from the
model-facing schema it is given:

- every property becomes required; one that was optional also accepts ``null``,
  which means "not given" (``as_given`` takes such nulls back out for a tool that
  checks its arguments against its own schema);
- a property with several types becomes an ``anyOf`` of one-type branches, each
  carrying only its own type's keywords, so ``pattern`` never sits beside
  ``integer`` and no branch has a type list;
- every object gets ``additionalProperties: false``; ``$schema`` is dropped.

It never widens what is accepted beyond that ``null``: a keyword strict mode cannot
carry (``if``, ``dependentSchemas``, ``minLength`` ...) is refused with a ValueError
rather than dropped, so whatever the strict variant accepts, the schema it came from
accepts once ``as_given`` has taken those nulls out.

Anthropic's strict mode takes less still (no numeric bounds, no ``pattern``):
``anthropic_strict_input_schema`` moves those into the description in words, and
the tool keeps enforcing them, as it enforces the cross-field crop rule.
"""

from __future__ import annotations

import copy
import functools
import itertools
import re
from collections.abc import Mapping
from typing import Any, Final

# Keywords of one instance type, handed to the branch of that type when a type list is split.
_KEYWORDS_BY_TYPE: Final[Mapping[str, frozenset[str]]] = {
    "string": frozenset({"pattern", "format"}),
    "integer": frozenset(
        {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}
    ),
    "number": frozenset(
        {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}
    ),
    "array": frozenset({"items", "minItems", "maxItems"}),
    "object": frozenset({"properties", "required", "additionalProperties"}),
    "boolean": frozenset(),
    "null": frozenset(),
}
_TYPED_KEYWORDS: Final = frozenset().union(*_KEYWORDS_BY_TYPE.values())
# Keywords that say what a value is for and constrain nothing.
_ANNOTATIONS: Final = frozenset({"title", "description"})
# Dropped: they declare or comment, and strict modes refuse or ignore them.
_DROPPED: Final = frozenset({"$schema", "$comment"})
# String formats OpenAI's strict mode takes (its structured-outputs documentation).
_STRICT_FORMATS: Final = frozenset(
    {"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"}
)
# What Anthropic's strict mode does not take, per the anthropic SDK's transform_schema,
# which moves these into descriptions; said here in words instead.
_ANTHROPIC_UNCARRIED: Final = (
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "pattern",
    "maxItems",
)


def strict_input_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The strict-mode variant of an object ``schema``: a new dict, ``schema`` untouched.

    Raises ValueError, naming the place, for anything strict mode cannot carry
    without widening what the schema accepts.
    """
    if schema.get("type") != "object":
        raise ValueError(
            f"$: a strict schema's root must be of type object, not {schema.get('type')!r}"
        )
    return _strict_object(schema, "$")


def as_given(arguments: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    """A strict model's ``arguments`` as the tool's own ``schema`` reads them: the ``null``
    strict mode makes it write for an optional property it leaves out (``null`` not
    among that property's own types) taken back out, in nested objects too.

    usersSetPhoto reads such a ``null`` as "not given" itself; a host's own tool that
    checks its arguments against its schema refused every call that left one out, and the
    model could not mend it (strict mode makes it write every property). A new dict;
    anything the schema does not describe is left as it came, for the tool to judge.
    """
    return _as_given_object(arguments, schema)


def _as_given_object(arguments: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    properties = schema.get("properties")
    if not isinstance(properties, Mapping):
        return dict(arguments)
    required = schema.get("required", ())
    given: dict[str, Any] = {}
    for name, value in arguments.items():
        property_schema = properties.get(name)
        if not isinstance(property_schema, Mapping):
            given[name] = value
        elif value is None and name not in required and not _takes_null(property_schema):
            continue  # strict mode's way of leaving it out
        else:
            given[name] = _as_given_value(value, property_schema)
    return given


def _as_given_value(value: Any, schema: Mapping[str, Any]) -> Any:
    if isinstance(value, Mapping) and _types_of(schema) & {"object"}:
        return _as_given_object(value, schema)
    items = schema.get("items")
    if isinstance(value, list) and isinstance(items, Mapping):
        return [_as_given_value(item, items) for item in value]
    return value


def _types_of(schema: Mapping[str, Any]) -> set[str]:
    declared = schema.get("type")
    if isinstance(declared, str):
        return {declared}
    return {name for name in declared or () if isinstance(name, str)}


def _takes_null(schema: Mapping[str, Any]) -> bool:
    return "null" in _types_of(schema) or None in schema.get("enum", ())


def anthropic_strict_input_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """``strict_input_schema`` for Anthropic's strict tool use, whose grammar has no bounds.

    The bounds and patterns its strict mode refuses are said in each property's
    description instead; the tool still enforces them, so a value outside them is
    answered with ``invalid_arguments`` and what to give.
    """
    strict = strict_input_schema(schema)
    for property_schema in strict["properties"].values():
        _move_uncarried(property_schema)
    return strict


def _strict_object(schema: Mapping[str, Any], path: str) -> dict[str, Any]:
    _refuse_unknown(schema, path, allowed=_ANNOTATIONS | _KEYWORDS_BY_TYPE["object"] | {"type"})
    properties = schema.get("properties", {})
    if not isinstance(properties, Mapping):
        raise ValueError(f"{path}.properties must be an object of property schemas")
    extra = schema.get("additionalProperties", False)
    if extra is not False:
        raise ValueError(
            f"{path}.additionalProperties must be false (or absent) for strict mode: strict "
            "mode cannot take properties the schema does not name"
        )
    required = set(schema.get("required", ()))
    strict: dict[str, Any] = {
        key: copy.deepcopy(schema[key]) for key in ("title", "description") if key in schema
    }
    strict["type"] = "object"
    strict["properties"] = {
        name: _strict_property(
            property_schema, f"{path}.properties.{name}", nullable=name not in required
        )
        for name, property_schema in properties.items()
    }
    strict["required"] = list(properties)
    strict["additionalProperties"] = False
    return strict


def _strict_property(schema: Any, path: str, *, nullable: bool) -> dict[str, Any]:
    if not isinstance(schema, Mapping):
        raise ValueError(f"{path} must be a schema object")
    _refuse_unknown(schema, path, allowed=_ANNOTATIONS | _TYPED_KEYWORDS | {"type", "enum"})
    declared = schema.get("type")
    types = [declared] if isinstance(declared, str) else list(declared or ())
    if not types or not all(isinstance(name, str) and name in _KEYWORDS_BY_TYPE for name in types):
        raise ValueError(f"{path}.type must name JSON types, got {declared!r}")
    if nullable and "null" not in types:
        types.append("null")
    format_name = schema.get("format")
    if format_name is not None and format_name not in _STRICT_FORMATS:
        raise ValueError(f"{path}.format {format_name!r} is not one strict mode takes")
    if "enum" in schema and len([name for name in types if name != "null"]) > 1:
        raise ValueError(f"{path}: an enum with several types is not derived; give one type")

    branches = [_branch(schema, type_name, path) for type_name in types]
    if len(branches) == 1:
        single = branches[0]
        single.update(_annotations(schema))
        return single
    return {**_annotations(schema), "anyOf": branches}


def _branch(schema: Mapping[str, Any], type_name: str, path: str) -> dict[str, Any]:
    """The part of ``schema`` that applies to values of ``type_name``."""
    if type_name == "object":
        return _strict_object({**schema, "type": "object"}, path)
    branch: dict[str, Any] = {"type": type_name}
    for keyword in [key for key in schema if key in _KEYWORDS_BY_TYPE[type_name]]:
        value = copy.deepcopy(schema[keyword])
        if keyword == "items":
            value = _strict_property(value, f"{path}.items", nullable=False)
        branch[keyword] = value
    if "enum" in schema and type_name != "null":
        branch["enum"] = copy.deepcopy(schema["enum"])
    return branch


def _annotations(schema: Mapping[str, Any]) -> dict[str, Any]:
    return {key: schema[key] for key in ("title", "description") if key in schema}


def _refuse_unknown(schema: Mapping[str, Any], path: str, *, allowed: frozenset[str]) -> None:
    unknown = sorted(set(schema) - allowed - _DROPPED)
    if unknown:
        listed = ", ".join(unknown)
        raise ValueError(
            f"{path}: strict mode cannot carry {listed}; say such a rule in the description "
            "and have the tool enforce it"
        )


def _said_uncarried(keyword: str, value: Any, integer_bounds: tuple[int, int] | None) -> str:
    """``keyword``'s limit in words. A string branch's pattern that takes exactly the
    integer branch's values written in digits (the crop values: such a pattern spells the
    bounds out, a regex of a hundred characters no model needs to read) is said so."""
    if (
        keyword == "pattern"
        and integer_bounds is not None
        and isinstance(value, str)
        and _takes_exactly_digits_within(value, *integer_bounds)
    ):
        digits = len(str(integer_bounds[1]))
        return f"digits 0-9 only (at most {digits}), for a whole number within those bounds"
    return f"{keyword} {value}"


@functools.cache
def _takes_exactly_digits_within(pattern: str, low: int, high: int) -> bool:
    """Whether ``pattern`` takes a text exactly when it is at most as many digits 0-9 as
    ``high`` has, of a value from ``low`` to ``high``: checked over every such text (for
    bounds of up to 5 digits: 111,110 of them, once per pattern), and a few others."""
    if not 0 <= low <= high <= 99_999:
        return False
    try:
        compiled = re.compile(pattern)
    except re.error:
        return False
    width = len(str(high))
    others = ("", "a", "-1", "+1", "1.0", " 1", "1 ", "0x1", "0" * (width + 1), "1" * (width + 1))
    if any(compiled.search(text) for text in others):
        return False
    return all(
        bool(compiled.search(text)) == (low <= int(text) <= high)
        for length in range(1, width + 1)
        for text in ("".join(digits) for digits in itertools.product("0123456789", repeat=length))
    )


def _move_uncarried(property_schema: dict[str, Any]) -> None:
    """Say in ``property_schema``'s description what Anthropic's strict grammar cannot carry."""
    limits: list[str] = []
    integer_bounds = next(
        (
            (branch["minimum"], branch["maximum"])
            for branch in property_schema.get("anyOf", ())
            if branch.get("type") == "integer"
            and isinstance(branch.get("minimum"), int)
            and isinstance(branch.get("maximum"), int)
        ),
        None,
    )
    for branch in property_schema.get("anyOf", [property_schema]):
        for nested in branch.get("properties", {}).values():
            _move_uncarried(nested)
        if isinstance(branch.get("items"), dict):
            _move_uncarried(branch["items"])
        moved = [
            _said_uncarried(keyword, branch.pop(keyword), integer_bounds)
            for keyword in _ANTHROPIC_UNCARRIED
            if keyword in branch
        ]
        if branch.get("minItems", 0) > 1:  # it takes minItems 0 and 1 only
            moved.append(f"minItems {branch.pop('minItems')}")
        if moved:
            limits.append(f"{branch['type']}: {', '.join(moved)}")
    if limits:
        description = property_schema.get("description", "")
        said = "; ".join(limits)
        property_schema["description"] = f"{description} Limits the tool checks: {said}.".strip()
