"""The tool's spec, read from tool_manifest.json, with its validators compiled once.

tool_manifest.json is the single source of the tool's name, parameters and
schemas. An installed wheel carries it inside the package; a source checkout
(editable install) reads it from the repository root.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator, Draft202012Validator, FormatChecker

MANIFEST_NAME = "tool_manifest.json"

_PACKAGE_DIR = Path(__file__).resolve().parent


def manifest_path() -> Path:
    """Where the manifest this process uses lives (the wheel's copy, else the checkout's)."""
    packaged = _PACKAGE_DIR / MANIFEST_NAME
    if packaged.is_file():
        return packaged
    checkout = _PACKAGE_DIR.parent / MANIFEST_NAME
    if checkout.is_file():
        return checkout
    raise FileNotFoundError(
        f"{MANIFEST_NAME} is missing: looked in {packaged} and {checkout}; "
        "reinstall ocp-users-photo"
    )


@cache
def load_manifest() -> Mapping[str, Any]:
    """The parsed manifest, read once per process. Treat it as read-only."""
    with manifest_path().open("rb") as manifest_file:
        manifest: dict[str, Any] = json.load(manifest_file)
    return manifest


@cache
def response_validator() -> Draft7Validator:
    """Checks an ok:true reply against the seed's response schema, formats included."""
    schema = load_manifest()["response_schema"]
    return Draft7Validator(schema, format_checker=FormatChecker())


@cache
def input_validator() -> Draft202012Validator:
    """Checks model-facing arguments against the manifest's input_schema."""
    schema = load_manifest()["input_schema"]
    return Draft202012Validator(schema, format_checker=FormatChecker())
