"""The compiled reply check against jsonschema, on replies good and broken.

The compiled check decides; it refuses all jsonschema refuses, and more only where
jsonschema follows Python's `re` (``$`` before a final newline) instead of JSON Schema.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ocp_users_photo.photo_reply import reply_problems
from ocp_users_photo.spec import response_check, response_validator
from tests.conftest import success_reply

FIELDS = [
    "avatar_hash",
    *(f"image_{size}" for size in (24, 32, 48, 72, 192, 512, 1024)),
    "image_original",
]
ODD_VALUES = st.one_of(
    st.text(max_size=30),
    # URL-shaped text, to hold the compiled check's fast path for plain http(s) URLs
    # to exactly the full RFC 3986 answer.
    st.from_regex(r"\Ahttps?://[a-z0-9.:@\[\]%_~!$&'()*+,;=/?#-]{0,24}\Z"),
    st.builds(lambda a, b: f"https://{a}/{b}", st.text(max_size=8), st.text(max_size=8)),
    st.sampled_from(
        [
            "0123456789ab",
            "0123456789AB",
            "0123456789a",
            "0123456789abc",
            "0123456789ab\n",
            "https://a.example/x.png",
            "http://a.example/x y.png",
            "//a.example/x.png",
            "a.example/x.png",
            "https://",
            "mailto:me@example.com",
            "urn:isbn:0451450523",
            "https://a.example/%zz",
            "https://[::1]/x",
            "https://a.example/\u00e9.png",
            "",
        ]
    ),
    st.integers(),
    st.none(),
    st.booleans(),
    st.lists(st.text(max_size=3), max_size=2),
)


@st.composite
def replies(draw: st.DrawFn) -> Any:
    reply: Any = copy.deepcopy(success_reply())
    for _ in range(draw(st.integers(0, 3))):
        action = draw(st.sampled_from(["set", "drop", "add", "ok", "top"]))
        field = draw(st.sampled_from(FIELDS))
        if action in ("set", "drop", "add") and not isinstance(reply.get("profile"), dict):
            continue
        if action == "set":
            reply["profile"][field] = draw(ODD_VALUES)
        elif action == "drop":
            reply["profile"].pop(field, None)
        elif action == "add":
            reply["profile"][draw(st.text(max_size=6))] = draw(ODD_VALUES)
        elif action == "ok":
            reply["ok"] = draw(st.one_of(st.booleans(), st.none(), st.integers(0, 1)))
        else:
            reply[draw(st.sampled_from(["profile", "extra", "ok"]))] = draw(ODD_VALUES)
    return reply


def _ends_a_string_with_a_newline(value: Any) -> bool:
    if isinstance(value, str):
        return value.endswith("\n")
    if isinstance(value, dict):
        return any(_ends_a_string_with_a_newline(item) for item in value.values())
    return False


@pytest.mark.runs_long
@settings(max_examples=3000, deadline=None, database=None)
@given(replies())
def test_the_compiled_check_agrees_with_jsonschema(reply: Any) -> None:
    compiled_valid = response_check()(reply) is None
    jsonschema_valid = response_validator().is_valid(reply)
    if compiled_valid != jsonschema_valid:
        # The one known difference: "$" before a final newline (Python re, not JSON Schema).
        assert jsonschema_valid
        assert _ends_a_string_with_a_newline(reply)
    assert (reply_problems(reply) == []) == (compiled_valid or reply == {"ok": True})


def test_both_accept_a_good_reply_and_refuse_a_bad_uri() -> None:
    good = success_reply()
    bad = copy.deepcopy(good)
    bad["profile"]["image_24"] = "not a uri"
    assert response_check()(good) is None
    assert response_check()(bad) is not None
    assert not response_validator().is_valid(bad)


def test_a_final_newline_is_no_avatar_hash() -> None:
    reply = copy.deepcopy(success_reply())
    reply["profile"]["avatar_hash"] = "0123456789ab\n"
    assert response_validator().is_valid(reply), "jsonschema's Python-re reading"
    (problem,) = reply_problems(reply)
    assert problem.path == "$.profile.avatar_hash"
    assert "must match pattern" in problem.message
