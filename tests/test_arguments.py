"""Argument checks against the parameter spec: every problem at once, each naming its argument."""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest

from ocp_users_photo.arguments import parse_arguments
from ocp_users_photo.credentials import SlackToken, check_token
from ocp_users_photo.crop import CropBox
from ocp_users_photo.errors import Problem
from ocp_users_photo.spec import input_validator, load_manifest

USER = SlackToken("xoxp-1-2-3-abc")


def parse(arguments: Any, token: SlackToken | None = USER) -> tuple[Any, list[Problem]]:
    return parse_arguments(arguments, configured_token=token, configured_token_problems=[])


def paths(problems: list[Problem]) -> list[str]:
    return [problem.path for problem in problems]


def test_image_alone_is_a_complete_call() -> None:
    parsed, problems = parse({"image": "me.png"})
    assert problems == []
    assert parsed.image == "me.png"
    assert parsed.crop_box is None
    assert parsed.token == USER


def test_a_crop_box_as_integers_or_decimal_text() -> None:
    parsed, problems = parse({"image": "a", "crop_x": 0, "crop_y": "12", "crop_w": "512"})
    assert problems == []
    assert parsed.crop_box == CropBox(x=0, y=12, width=512)


def test_integral_floats_are_whole_numbers() -> None:
    parsed, problems = parse({"image": "a", "crop_x": 1.0, "crop_y": 2.0, "crop_w": 600.0})
    assert problems == []
    assert parsed.crop_box == CropBox(1, 2, 600)


def test_null_crop_values_mean_not_given() -> None:
    parsed, problems = parse({"image": "a", "crop_x": None, "crop_y": None, "crop_w": None})
    assert problems == []
    assert parsed.crop_box is None


def test_every_problem_is_reported_at_once() -> None:
    _, problems = parse({"crop_x": -1, "colour": "red", "size": 3})
    assert sorted(paths(problems)) == sorted(
        ["$.colour", "$.size", "$.image", "$.crop_x", "$.crop_y", "$.crop_w"]
    )
    unknown = next(problem for problem in problems if problem.path == "$.colour")
    assert "image, crop_x, crop_y and crop_w" in unknown.message


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (True, "not a boolean"),
        (False, "not a boolean"),
        (1.5, "got 1.5"),
        (float("nan"), "got nan"),
        (float("inf"), "got a number too large to hold"),
        (-3, "got -3"),
        ("-3", "digits 0-9 only"),
        ("3.0", "digits 0-9 only"),
        (" 3", "digits 0-9 only"),
        ("1_000", "digits 0-9 only"),
        ("\u0663", "digits 0-9 only"),  # Arabic-Indic three: int() would take it
        ("", "got an empty text: give a number, or leave crop_x, crop_y and crop_w all out"),
        ("  ", "got an empty text"),
        ("ten", "digits 0-9 only"),
        (70000, "from 0 to 65535"),
        ("70000", "from 0 to 65535, got 70000"),  # the number read, not the text
        ("9" * 13, "written with at most 5 digits; got a number of 13 digits"),
        ("000070", "written with at most 5 digits; got a number of 6 digits"),  # as the schema
        (10**40, "bit integer"),
        (1e308, "got 1e+308"),  # a model's JSON number as written, not a 1024-bit integer
        (70000.0, "got 70000.0"),
        ("9" * 400, "got a number of 400 digits"),
        ("x" * 400, "a text of 400 characters"),
        ([1], "not list"),
        ({"x": 1}, "not dict"),
    ],
)
def test_a_bad_crop_value_is_refused_and_explained(value: object, says: str) -> None:
    _, problems = parse({"image": "a", "crop_x": value, "crop_y": 0, "crop_w": 600})
    assert paths(problems) == ["$.crop_x"]
    assert says in problems[0].message
    assert "crop_x must be a whole number of pixels from 0 to 65535" in problems[0].message


@pytest.mark.parametrize(
    "text",
    ["0", "00000", "000000", "7", "0007", "00007", "000007", "65535", "065535",
     "65536", "70000", "99999", "9" * 6, "0" * 12 + "1"],
)  # fmt: skip
def test_a_crop_text_is_taken_exactly_when_the_input_schema_takes_it(text: str) -> None:
    """The tool checks what its published input schema says (digits only, at most 5 of
    them, at most 65535): a host that validates, and one that does not, get the same
    answer. Before, the tool took up to 12 digits ("000000007"), which the schema refuses;
    and the schema's pattern took any 5 digits ("70000": its maximum binds numbers only),
    which the tool refuses: its pattern now spells out the bounds (an exports review)."""
    arguments = {"image": "a.png", "crop_x": text, "crop_y": "0", "crop_w": "600"}
    by_schema = not any(input_validator().iter_errors(arguments))
    _, problems = parse(arguments)
    assert (not problems) == by_schema, (text, by_schema, problems)


@pytest.mark.parametrize("text", ["0", "00", "00000", "1", "00001", "65535", "65536"])
def test_a_crop_w_text_is_taken_exactly_when_the_input_schema_takes_it(text: str) -> None:
    """crop_w's text of zeros ("0", "00000") passed the schema's pattern and was refused by
    the tool (a side of 0); the pattern now takes 1-65535 alone."""
    arguments = {"image": "a.png", "crop_x": "0", "crop_y": "0", "crop_w": text}
    by_schema = not any(input_validator().iter_errors(arguments))
    _, problems = parse(arguments)
    assert (not problems) == by_schema, (text, by_schema, problems)


def test_crop_w_must_be_at_least_one() -> None:
    _, problems = parse({"image": "a", "crop_x": 0, "crop_y": 0, "crop_w": 0})
    assert paths(problems) == ["$.crop_w"]
    assert "from 1 to 65535" in problems[0].message


@pytest.mark.parametrize("given", [["crop_x"], ["crop_x", "crop_w"], ["crop_y"]])
def test_the_crop_box_comes_whole_or_not_at_all(given: list[str]) -> None:
    arguments: dict[str, Any] = {"image": "a", **{name: 5 for name in given}}
    _, problems = parse(arguments)
    missing = sorted({"crop_x", "crop_y", "crop_w"} - set(given))
    assert sorted(paths(problems)) == sorted(f"$.{name}" for name in missing)
    assert all("together" in problem.message for problem in problems)


def test_the_image_is_required_and_null_is_not_an_image() -> None:
    for arguments in ({}, {"image": None}):
        _, problems = parse(arguments)
        assert paths(problems) == ["$.image"]
        # No door offers users.deletePhoto: the message names where a photo is removed.
        assert "users.deletePhoto" not in problems[0].message
        assert "removed in Slack's own profile settings" in problems[0].message


def test_arguments_must_be_a_mapping() -> None:
    for value in (["image"], "image=me.png", None, 3):
        _, problems = parse(value)
        assert paths(problems) == ["$"]
        assert "JSON object" in problems[0].message


def test_odd_argument_names_get_a_readable_path() -> None:
    _, problems = parse({"image": "a", "two words": 1, 7: 1})
    assert sorted(paths(problems)) == sorted(["$['two words']", "$[7]"])


def test_a_token_in_the_call_overrides_the_configured_one() -> None:
    parsed, problems = parse({"image": "a", "token": "xoxp-9-9-9-other"})
    assert problems == []
    assert parsed.token == SlackToken("xoxp-9-9-9-other")


def test_no_token_anywhere_says_where_to_put_one() -> None:
    _, problems = parse({"image": "a"}, token=None)
    assert paths(problems) == ["$.token"]
    assert "SLACK_USER_TOKEN" in problems[0].message


def test_problems_with_the_configured_token_are_reported_when_the_call_needs_it() -> None:
    token, token_problems = check_token("xoxb-1-2-bot", origin="SLACK_TOKEN")
    assert token is None
    parsed, problems = parse_arguments(
        {"image": "a"}, configured_token=None, configured_token_problems=token_problems
    )
    assert parsed.token is None
    assert paths(problems) == ["$.token"]
    assert "SLACK_TOKEN" in problems[0].message
    assert "bot token" in problems[0].message


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("xoxb-123-456-bot", "bot token (xoxb-)"),
        ("xoxe.xoxb-1-abc", "bot token (xoxb-)"),
        ("xapp-1-A1-123-abc", "app-level token (xapp-)"),
        ("", "is empty"),
        ("xoxp-1 2", "spaces, control or non-ASCII"),
        ("xoxp-1\r\nX-Evil: 1", "spaces, control or non-ASCII"),
        ("xoxp-\u00e9t\u00e9", "spaces, control or non-ASCII"),
        (12345, "must be text"),
        ("0", "not a Slack token (they start with xox)"),
        ("my-signing-secret-abc", "not a Slack token (they start with xox)"),
    ],
)
def test_tokens_that_cannot_set_a_photo_are_refused_locally(value: object, says: str) -> None:
    _, problems = parse({"image": "a", "token": value})
    assert paths(problems) == ["$.token"]
    assert says in problems[0].message
    if isinstance(value, str) and value:
        assert value not in problems[0].message


def test_messages_never_quote_a_long_string_such_as_a_pasted_token() -> None:
    secret = "xoxp-1111-2222-3333-deadbeefdeadbeef"
    _, problems = parse({"image": "a", "crop_x": secret, "crop_y": 0, "crop_w": 1, secret: 1})
    # Both are refused (the name and the value), each described by its length.
    assert sorted(paths(problems)) == ["$.crop_x", f"$[a text of {len(secret)} characters]"]
    assert all(secret not in problem.message and secret not in problem.path for problem in problems)


def test_user_tokens_of_every_documented_shape_are_accepted() -> None:
    for value in ("xoxp-1-2-3-abc", "xoxe.xoxp-1-abc", "xoxc-legacy-browser"):
        token, problems = check_token(value, origin="test")
        assert problems == []
        assert token is not None
        assert token.reveal() == value


def test_a_long_argument_name_is_described_not_quoted() -> None:
    _, problems = parse({"image": "me.png", "k" * 100_000: 1})
    assert paths(problems) == ["$[a text of 100000 characters]"]
    assert all(len(problem.message) < 300 for problem in problems)
    _, problems = parse({"image": "me.png", "k" * 64: 1})
    assert paths(problems) == ["$." + "k" * 64]


def test_many_unknown_names_are_counted_not_listed() -> None:
    _, problems = parse({"image": "me.png", **{f"name{index}": 1 for index in range(2000)}})
    assert paths(problems) == [f"$.name{index}" for index in range(10)] + ["$"]
    assert problems[-1].message.startswith("1990 more unknown arguments: usersSetPhoto takes")


def test_each_crop_pattern_takes_exactly_the_texts_within_its_bounds() -> None:
    """Over every text of one to five digits (and six-digit ones): the manifest's pattern
    for each crop value takes a text exactly when it is at most 5 digits long and its
    value lies within the number's bounds, the rule the tool applies."""
    properties = load_manifest()["input_schema"]["properties"]
    for name in ("crop_x", "crop_y", "crop_w"):
        schema = properties[name]
        pattern = re.compile(schema["pattern"])
        low, high = schema["minimum"], schema["maximum"]
        texts = (
            "".join(digits)
            for length in range(1, 6)
            for digits in itertools.product("0123456789", repeat=length)
        )
        for text in [*texts, "000000", "065535", "100000", "655350"]:
            within = len(text) <= 5 and low <= int(text) <= high
            assert bool(pattern.fullmatch(text)) == within, (name, text)


@pytest.mark.parametrize("arguments", ["me.png", ["me.png"], None, b"\x89PNG"])
def test_arguments_that_are_no_mapping_are_refused_with_the_shape_to_send(
    arguments: object,
) -> None:
    parsed, problems = parse(arguments)
    assert parsed.image is None
    assert paths(problems) == ["$"]
    message = problems[0].message
    assert f"not {type(arguments).__name__}" in message
    assert '{"image": "me.png"}' in message
