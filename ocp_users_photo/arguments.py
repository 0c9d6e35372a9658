"""Checks a call's arguments against the tool's parameter spec, collecting every problem.

The names, requiredness and limits come from the manifest (``parameters`` and
``input_schema``); nothing here restates them. What the spec cannot say (the
crop box comes whole or not at all, integers may arrive as decimal text, a
bot token cannot set a person's photo) is checked here too. The image itself
is only checked for presence here; images/resolvers.py and images/header.py look at it.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Final

from ocp_users_photo.credentials import SlackToken, check_token, quotable, short_untokenlike
from ocp_users_photo.crop import CropBox
from ocp_users_photo.errors import IMAGE_PATH, TOKEN_PATH, Problem
from ocp_users_photo.settings import MISSING_CREDENTIAL_ADVICE, missing_token_advice
from ocp_users_photo.spec import load_manifest

CROP_FIELDS: Final = ("crop_x", "crop_y", "crop_w")
_DECIMAL_TEXT: Final = re.compile(r"[0-9]+")
# A name quoted in a path as it is: short, so a model's 100 KB name is described instead.
_PLAIN_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
# Unknown names reported one by one; past this, one problem counts the rest.
MAX_UNKNOWN_REPORTED: Final = 10
# Said to a model that gave a token argument, by each model tool. Not a variable's name:
# the host's token may come from a person's installation or an agent's headers as well
# as from $SLACK_USER_TOKEN.
CREDENTIAL_ARGUMENT_ADVICE: Final = (
    "the Slack token is not an argument here, it comes from the tool's own configuration: "
    "leave it out"
)


@dataclass(frozen=True)
class ParsedArguments:
    """The arguments after the spec-level checks: a token, the raw image value, a crop box."""

    token: SlackToken | None
    # Never in a repr, as FilePart's content: a kept photo an undo puts back is the image
    # here, and a traceback's locals (capture_locals) showed it whole.
    image: object = field(repr=False)
    crop_box: CropBox | None


@dataclass(frozen=True)
class _ArgumentSpec:
    """What the manifest says about the arguments, gathered once per process."""

    names: tuple[str, ...]
    model_names: tuple[str, ...]
    model_names_listed: str
    crop_bounds: Mapping[str, tuple[int, int]]


@cache
def _argument_spec() -> _ArgumentSpec:
    manifest = load_manifest()
    properties = manifest["input_schema"]["properties"]
    bounds = {
        name: (int(properties[name]["minimum"]), int(properties[name]["maximum"]))
        for name in CROP_FIELDS
    }
    model_names = tuple(properties)
    return _ArgumentSpec(
        names=tuple(manifest["parameters"]),
        model_names=model_names,
        model_names_listed=", ".join(model_names[:-1]) + f" and {model_names[-1]}",
        crop_bounds=bounds,
    )


def argument_path(name: object) -> str:
    """A JSON path naming one argument: ``$.crop_x``, or ``$["odd name"]``."""
    if isinstance(name, str) and _PLAIN_NAME.fullmatch(name):
        return f"$.{name}"
    return f"$[{describe_value(name)}]"


def parse_arguments(
    arguments: object,
    *,
    configured_token: SlackToken | None,
    configured_token_problems: list[Problem],
    model_facing: bool = False,
) -> tuple[ParsedArguments, list[Problem]]:
    """Check names, token, image presence and crop values; return what parsed and every problem.

    ``configured_token`` is the tool's token from its configuration; a ``token`` argument
    overrides it, except for ``model_facing`` calls (arguments a model made up), which may
    only use the input schema's names: a model never chooses the credentials.
    ``configured_token_problems`` are the problems found with the configured token,
    reported only when the call does not bring its own.
    """
    spec = _argument_spec()
    if not isinstance(arguments, Mapping):
        problem = Problem(
            "$",
            f"the arguments must be a JSON object (a mapping of names to values), not "
            f"{type(arguments).__name__}: pass them as one, such as "
            '{"image": "me.png"} or {"image": "me.png", "crop_x": 0, "crop_y": 0, '
            '"crop_w": 512}',
        )
        return ParsedArguments(token=None, image=None, crop_box=None), [problem]

    problems: list[Problem] = []
    allowed = spec.model_names if model_facing else spec.names
    unknown = [name for name in arguments if name not in allowed]
    for name in unknown[:MAX_UNKNOWN_REPORTED]:
        message = (
            f"unknown argument {describe_value(name)}: usersSetPhoto takes "
            f"{spec.model_names_listed}"
        )
        if name == "token":
            message += f"; {CREDENTIAL_ARGUMENT_ADVICE}"
        problems.append(Problem(argument_path(name), message))
    if len(unknown) > MAX_UNKNOWN_REPORTED:
        problems.append(
            Problem(
                "$",
                f"{len(unknown) - MAX_UNKNOWN_REPORTED} more unknown arguments: usersSetPhoto "
                f"takes {spec.model_names_listed}",
            )
        )

    given = arguments if not model_facing else {k: v for k, v in arguments.items() if k != "token"}
    token = _token_of(given, configured_token, configured_token_problems, problems)

    image = arguments.get("image")
    if image is None:
        problems.append(
            Problem(
                IMAGE_PATH,
                "image is required: give a path to a PNG, JPEG or GIF file, a data:image/...;"
                "base64, URI, or the file's base64 text (this tool only sets photos: a "
                "photo is removed in Slack's own profile settings)",
            )
        )

    crop_box = _crop_box_of(arguments, spec.crop_bounds, problems)
    return ParsedArguments(token=token, image=image, crop_box=crop_box), problems


def _token_of(
    arguments: Mapping[Any, Any],
    configured_token: SlackToken | None,
    configured_token_problems: list[Problem],
    problems: list[Problem],
) -> SlackToken | None:
    if "token" in arguments:
        if arguments["token"] is None:
            # Not "must be text, not NoneType": a caller passing None meant no token.
            problems.append(
                Problem(
                    TOKEN_PATH,
                    "the token argument is None: leave token out to use the tool's own token "
                    "(its token=, or SLACK_USER_TOKEN), or give a user token (xoxp-...)",
                )
            )
            return None
        token, token_problems = check_token(arguments["token"], origin="the token argument")
        problems.extend(token_problems)
        return token
    if configured_token is not None:
        return configured_token
    if configured_token_problems:
        problems.extend(configured_token_problems)
        return None
    # Only a direct caller of parse_arguments gets here (the tool always passes its
    # configured token or why there is none): a Python caller.
    problems.append(Problem(TOKEN_PATH, MISSING_CREDENTIAL_ADVICE, missing_token_advice("model")))
    return None


def _crop_box_of(
    arguments: Mapping[Any, Any],
    bounds: Mapping[str, tuple[int, int]],
    problems: list[Problem],
) -> CropBox | None:
    given = [name for name in CROP_FIELDS if arguments.get(name) is not None]
    if not given:
        return None
    values: dict[str, int] = {}
    for name in CROP_FIELDS:
        if name not in given:
            problems.append(
                Problem(
                    f"$.{name}",
                    f"{name} is missing: give crop_x, crop_y and crop_w together, or none of "
                    "them to use the whole image",
                )
            )
            continue
        value, problem = _crop_value(name, arguments[name], bounds[name])
        if problem is not None:
            problems.append(problem)
        else:
            values[name] = value
    if len(values) != len(CROP_FIELDS):
        return None
    return CropBox(x=values["crop_x"], y=values["crop_y"], width=values["crop_w"])


def _crop_value(name: str, value: object, bounds: tuple[int, int]) -> tuple[int, Problem | None]:
    """A crop value as an int, from an int, an integral float or decimal text."""
    low, high = bounds
    path = f"$.{name}"
    wanted = f"{name} must be a whole number of pixels from {low} to {high}"
    if isinstance(value, bool):
        return 0, Problem(path, f"{wanted}, not a boolean")
    if isinstance(value, int):
        number = value
    elif isinstance(value, numbers.Integral):
        # An integer of another type: NumPy's, as a face detector's box gives them.
        number = int(value)
    elif isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            return 0, Problem(path, f"{wanted}, got {describe_value(value)}")
        number = int(value)
    elif isinstance(value, str):
        if not value.strip():
            # A host's form sends a field left blank so: the way out is to leave all three out.
            return 0, Problem(
                path,
                f"{wanted}, got an empty text: give a number, or leave crop_x, crop_y and "
                "crop_w all out to use the whole image",
            )
        # ASCII digits only: int() would also take spaces, signs, '_' and other scripts' digits.
        if not _DECIMAL_TEXT.fullmatch(value):
            return 0, Problem(
                path, f"{wanted}, written with the digits 0-9 only; got {describe_value(value)}"
            )
        # As the input schema's pattern: no more digits than the largest value has (leading
        # zeros too), and int() never sees a text of thousands of digits.
        if len(value) > len(str(high)):
            return 0, Problem(
                path,
                f"{wanted}, written with at most {len(str(high))} digits; got a number of "
                f"{len(value)} digits",
            )
        number = int(value)
    else:
        return 0, Problem(path, f"{wanted}, not {type(value).__name__}")
    if not low <= number <= high:
        # As given: 1e308 from a model's JSON is said as it was written, not as the
        # 1024-bit integer it stands for.
        given = value if isinstance(value, float) else number
        return 0, Problem(path, f"{wanted}, got {describe_value(given)}")
    return number, None


def describe_value(value: object) -> str:
    """A short, safe description of a value for a message: never a long string verbatim.

    Long strings are not quoted, so a token pasted into the wrong argument is never echoed.
    A short one is quoted with every character outside printable ASCII escaped: a name
    with a look-alike letter ("imag\\u0435", Cyrillic) or an invisible one ("image\\u200b")
    is refused as unknown, and quoted as it came it reads as the very name it stands for.
    """
    if isinstance(value, str) and short_untokenlike(value):
        return ascii(value)
    if isinstance(value, float) and math.isinf(value):
        # Python's json reads 1e309 and Infinity so (a framework door, thousands of digits).
        return "a number too large to hold"
    if isinstance(value, bool) or value is None or quotable(value):
        return repr(value)
    if isinstance(value, int):
        return _with_article(f"{value.bit_length()}-bit integer")
    if isinstance(value, str):
        return f"a text of {len(value)} characters"
    # "an int64", "an object" (numpy's whole numbers reach settings from Python); "a uint8".
    return _with_article(type(value).__name__)


def _with_article(noun: str) -> str:
    """``noun`` after "a" or "an" as it is said: "an int64", "an 86-bit integer" (eighty-six),
    "an 11000-bit integer" (eleven thousand), "a 1100-bit integer", "a uint8"."""
    digits = noun[: len(noun) - len(noun.lstrip("0123456789"))]
    if digits:
        said_with_a_vowel = digits[0] == "8" or (
            digits[:2] in ("11", "18") and len(digits) % 3 == 2
        )
    else:
        said_with_a_vowel = noun[:1].lower() in ("a", "e", "i", "o")
    return f"{'an' if said_with_a_vowel else 'a'} {noun}"


def check_max_retries(max_retries: object) -> int:
    """``max_retries`` as a whole number 0 or more, or ValueError naming it: one check and
    one wording for the tool's, a token source's and the Pydantic AI toolset's."""
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise ValueError(
            f"max_retries must be a whole number 0 or more, got {describe_value(max_retries)}"
        )
    return max_retries
