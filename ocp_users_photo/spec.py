"""The tool's spec, read from tool_manifest.json, with its validators compiled once.

tool_manifest.json is the single source of the tool's name, parameters and
schemas. An installed wheel carries it inside the package; a source checkout
(editable install) reads it from the repository root. Its top level is
usersSetPhoto, as every OCP consumer reads it; the tools offered beside it
(usersRestorePhoto, the undo) are complete definitions of the same shape in its
``companion_tools`` extension (``companion_spec``).

Two validators check an ok reply against the response schema: fastjsonschema's,
compiled once to Python code, answers "valid or not" on every call in
microseconds; jsonschema's explains a failure (every problem, with its path).
Both use the same format check for ``uri`` (an http(s) URI by rfc3986-validator), so
they agree.
jsonschema and fastjsonschema are imported when a validator is first needed.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from ocp_users_photo.safe_text import without_tokens

if TYPE_CHECKING:
    from jsonschema import Draft7Validator, Draft202012Validator

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
    manifest: dict[str, Any] = json.loads(_manifest_bytes())
    return manifest


def _manifest_bytes() -> bytes:
    """The wheel's copy (or the checkout's) from the disk; from a package imported out of a
    zip (a zipapp, a PEX, a wheel on sys.path), the wheel's copy as a package resource."""
    if _PACKAGE_DIR.is_dir():
        with manifest_path().open("rb") as manifest_file:
            return manifest_file.read()
    import importlib.resources  # its readers, only where they are needed

    packaged = importlib.resources.files(__package__ or "ocp_users_photo") / MANIFEST_NAME
    try:
        return packaged.read_bytes()
    except (FileNotFoundError, KeyError):
        return manifest_path().read_bytes()  # raises, saying where it looked


@dataclass(frozen=True)
class ToolSpec:
    """A tool's definition from the manifest, frozen: JSON objects are read-only mappings.

    ``json_copy`` gives a field as plain, editable JSON (a deep copy).
    """

    name: str
    description: str
    method: str
    path: str
    operation_id: str
    tags: tuple[str, ...]
    parameters: Mapping[str, Any]
    response_schema: Mapping[str, Any]
    input_schema: Mapping[str, Any]

    @property
    def slack_method(self) -> str:
        """The Slack Web API method the tool calls: its path without the slash."""
        return self.path.lstrip("/")

    def json_copy(self, field_name: str) -> Any:
        """A field as plain JSON that the caller may edit (a fresh deep copy)."""
        return thaw(getattr(self, field_name))


@cache
def tool_spec() -> ToolSpec:
    """The usersSetPhoto tool's spec, built once per process from the manifest."""
    return _spec_of(load_manifest())


def companion_manifest(name: str) -> Mapping[str, Any]:
    """The definition of a tool offered beside usersSetPhoto, from ``companion_tools``."""
    for definition in load_manifest().get("companion_tools", ()):
        if definition.get("name") == name:
            found: Mapping[str, Any] = definition
            return found
    raise KeyError(f"{MANIFEST_NAME} defines no companion tool named {name!r}")


def companion_names() -> tuple[str, ...]:
    """The names of the tools offered beside usersSetPhoto, in the manifest's order."""
    return tuple(str(tool["name"]) for tool in load_manifest().get("companion_tools", ()))


@cache
def companion_spec(name: str) -> ToolSpec:
    """A companion tool's spec (``usersRestorePhoto``), built once per process."""
    return _spec_of(companion_manifest(name))


def _spec_of(manifest: Mapping[str, Any]) -> ToolSpec:
    return ToolSpec(
        name=str(manifest["name"]),
        description=str(manifest["description"]),
        method=str(manifest["method"]),
        path=str(manifest["path"]),
        operation_id=str(manifest["operation_id"]),
        tags=tuple(str(tag) for tag in manifest.get("tags", ())),
        parameters=freeze(manifest["parameters"]),
        response_schema=freeze(manifest["response_schema"]),
        input_schema=freeze(manifest["input_schema"]),
    )


def freeze(value: Any) -> Any:
    """JSON made read-only: objects as mapping proxies, arrays as tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType({key: freeze(item) for key, item in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(item) for item in value)
    return value


def thaw(value: Any) -> Any:
    """Frozen JSON back to plain dicts and lists, copied."""
    if isinstance(value, Mapping):
        return {key: thaw(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [thaw(item) for item in value]
    return copy.copy(value)


# The longest http(s) URI passed on to a model or a terminal: a reply's image URLs, and
# an install page (tokens.install_page).
MAX_WEB_URI_CHARS: Final = 2048
_WEB_SCHEME = re.compile(r"(?i)https?://")
# An http(s) URL of unreserved and sub-delimiter characters only (no "%", no "[", no
# userinfo): every string it matches is a URI by RFC 3986's grammar, so the full check,
# about 2 us each, runs only for the others. It answers exactly as the full check.
_PLAIN_HTTP_URL = re.compile(
    r"https?://[A-Za-z0-9.-]+(?::[0-9]*)?(?:/[A-Za-z0-9._~!$&'()*+,;=:@/-]*)?"
)


def is_web_uri(value: object) -> bool:
    """An http(s) URI by RFC 3986: what the reply's image URLs must be (format ``uri``), and
    the install page a model is given (``tokens.install_page``).

    Stricter than JSON Schema's ``uri``, on purpose: an image URL a client may open or
    show is http or https, never ``javascript:``, ``file:`` or ``data:``, and at most
    MAX_WEB_URI_CHARS long (Slack's are ~100; a reply is shown to a model and a terminal),
    with nothing in it shaped like a Slack token (a server echoing one, even cut short).
    """
    if not isinstance(value, str):
        return True  # the schema's "type" says what a non-string is
    if len(value) > MAX_WEB_URI_CHARS or without_tokens(value) != value:
        return False
    if _PLAIN_HTTP_URL.fullmatch(value):
        return True
    if not _WEB_SCHEME.match(value):
        return False
    from rfc3986_validator import validate_rfc3986  # type: ignore[import-untyped]

    return bool(validate_rfc3986(value, rule="URI"))


@cache
def response_validator() -> Draft7Validator:
    """Explains where an ok reply breaks the seed's response schema, formats included."""
    from jsonschema import Draft7Validator, FormatChecker

    schema = load_manifest()["response_schema"]
    checker = FormatChecker(formats=())
    checker.checks("uri")(is_web_uri)
    return Draft7Validator(schema, format_checker=checker)


@cache
def response_check() -> Callable[[Any], tuple[str, str] | None]:
    """The compiled check of an ok reply: None when valid, else (JSON path, message).

    This check decides. jsonschema explains failures in full, but follows Python's
    ``re``, where ``$`` also matches before a final newline; fastjsonschema follows the
    JSON Schema rule (ECMA-262: ``$`` is the end), so "0123456789ab\\n" is no avatar_hash.
    """
    import fastjsonschema

    validate = fastjsonschema.compile(
        dict(load_manifest()["response_schema"]), formats={"uri": is_web_uri}
    )

    def check(reply: Any) -> tuple[str, str] | None:
        try:
            validate(reply)
        except fastjsonschema.JsonSchemaValueException as error:
            path = "$" + "".join(f".{part}" for part in error.path[1:])
            return path, error.message.removeprefix(f"{error.name} ")
        except fastjsonschema.JsonSchemaException as error:
            return "$", str(error)
        return None

    return check


def response_check_built() -> bool:
    """Whether ``response_check`` is compiled already (building it imports and compiles)."""
    return response_check.cache_info().currsize > 0


@cache
def input_validator() -> Draft202012Validator:
    """Checks model-facing arguments against the manifest's input_schema."""
    from jsonschema import Draft202012Validator, FormatChecker

    schema = load_manifest()["input_schema"]
    return Draft202012Validator(schema, format_checker=FormatChecker())
