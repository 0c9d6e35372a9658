"""What the review and the mutation run of 2026-12-06 16:40 UTC found in the day's fixes
(the EXIF turn has its own file, test_exif_mistyped_tag.py): each test fails without the
change it names.

- The emulator's request log kept a credential member's value where it was an array or
  an object (``"client_secret": ["..."]``, at any depth), though its docstring and
  docs/emulator.md say each such value is replaced.
- Mutation survivors of the log's wide readings: the NUL looked for in the whole body,
  and the bytes before a wide reading kept as they came.
- The example Bolt app's revocation: a store that said it held the installation, then was
  busy after its deletion, had it deleted again blind and was said to have "never said";
  and a store that says "from before" to the end is deleted from at every attempt.
"""

from __future__ import annotations

import json
import logging

import pytest

from ocp_users_photo.emulator import redaction
from ocp_users_photo.emulator.redaction import redact_json
from ocp_users_photo.examples import bolt_revocation
from ocp_users_photo.examples.bolt_revocation import _deleted
from tests.test_bolt_review39 import Store

SECRET = "s3cr3t-value-0123456789"

# The emulator's request log ------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        # Valid JSON: at the top level, nested, in an array of objects.
        {"client_secret": [SECRET]},
        {"a": {"client_secret": [SECRET]}},
        {"a": {"code": {"v": SECRET}}},
        {"items": [1, {"refresh_token": {"a": ["]", "}", SECRET]}}, 2]},
        {"token": {"nested": [[[SECRET]]]}, "note": "kept"},
    ],
)
def test_a_credential_whose_value_is_an_array_or_object_is_redacted(body: object) -> None:
    written = json.dumps(body).encode()
    redacted = redact_json(written)
    assert SECRET.encode() not in redacted, redacted
    assert b'"[redacted]"' in redacted
    if b'"note"' in written:  # what is no credential is kept
        assert json.loads(redacted)["note"] == "kept"


@pytest.mark.parametrize(
    "body",
    [
        # What the emulator refuses as invalid_json, but logs: a trailing comma, cut short.
        b'{"client_secret":["' + SECRET.encode() + b'"],}',
        b'{"a":{"code":{"v":"' + SECRET.encode() + b'"}},',
        b'{"code":["abc", {"x": "' + SECRET.encode(),
        b'{"token": [ "]", "' + SECRET.encode() + b'" ] , }',
    ],
)
def test_an_array_or_object_value_in_a_body_that_is_no_json_is_redacted(body: bytes) -> None:
    redacted = redact_json(body)
    assert SECRET.encode() not in redacted, redacted


def test_only_the_credentials_array_is_replaced_and_what_follows_is_kept() -> None:
    body = b'{"code":[1,[2,{"x":"]"}]],"next":"kept",}'  # no JSON: read as written
    assert redact_json(body) == b'{"code":"[redacted]","next":"kept",}'


def test_a_member_with_no_value_written_is_left_as_it_came() -> None:
    body = b'{"token": ,"a":1}'
    assert redact_json(body) == body


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le"])
def test_a_wide_body_with_an_array_credential_is_redacted(encoding: str) -> None:
    body = json.dumps({"a": {"client_secret": [SECRET]}}).encode(encoding)
    redacted = redact_json(body)
    assert SECRET.encode(encoding) not in redacted
    assert '"[redacted]"'.encode(encoding) in redacted


def test_a_wide_body_behind_four_ascii_bytes_is_redacted() -> None:
    # Mutation: the NUL looked for in the body's first bytes only.
    body = b"abcd" + json.dumps({"a": {"token": SECRET}}).encode("utf-16-le")
    redacted = redact_json(body)
    assert SECRET.encode("utf-16-le") not in redacted, redacted


def test_the_stray_bytes_before_a_wide_body_are_logged_as_they_came() -> None:
    # Mutation: the body written again from the wide reading alone.
    body = b"\x01" + json.dumps({"token": SECRET}).encode("utf-16-le")
    redacted = redact_json(body)
    assert redacted.startswith(b"\x01{\x00"), redacted[:8]
    assert SECRET.encode("utf-16-le") not in redacted


# The example Bolt app's revocation -----------------------------------------------------


@pytest.fixture(name="no_pauses")
def no_pauses_fixture(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bolt_revocation, "_PAUSES_BEFORE_DELETING_AGAIN", (0.0,) * 5)


@pytest.mark.usefixtures("no_pauses")
async def test_a_store_busy_after_the_deletion_it_asked_for_is_not_deleted_from_blind(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = Store(iter(["from before", *[None] * 6]))
    with caplog.at_level(logging.WARNING):
        assert await _deleted(store.delete, store.kept, "the installation of U1") is False
    assert store.deletions == 1  # the one the store's answer asked for
    assert "never said" not in caplog.text
    assert "held the installation of U1 and was busy or failing after it was deleted" in (
        caplog.text
    )


@pytest.mark.usefixtures("no_pauses")
async def test_a_store_that_holds_it_to_the_end_is_deleted_from_each_time_and_said_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = Store(iter(["from before"] * 7))
    with caplog.at_level(logging.WARNING):
        assert await _deleted(store.delete, store.kept, "the installation of U1") is False
    assert store.deletions == 7
    assert "could not remove the installation of U1" in caplog.text
    assert "never said" not in caplog.text


# The review of these changes (2026-12-06 17:10 UTC) ---------------------------------------


def test_names_no_credential_could_be_written_as_are_not_decoded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Decoding every member's name (a failing decoding builds an error each time) doubled
    # the time a body of short names took to list.
    decoded: list[str] = []
    real = json.loads

    def counting(text: str) -> object:
        decoded.append(text)
        return real(text)

    monkeypatch.setattr("ocp_users_photo.emulator.redaction.json.loads", counting)
    body = b'{"a":1,"\\x":2,"":3,"a_name_far_too_long_to_be_one":4,' * 100 + b"}"
    assert redaction._redact_members(body) == body
    assert decoded == []
    assert redaction._redact_members(b'{"\\u0074oken":"' + SECRET.encode() + b'"}') == (
        b'{"\\u0074oken":"[redacted]"}'
    )
    assert decoded == ['"\\u0074oken"']


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # A bare value at depth, as a whole word or number.
        (b'{"a":{"code":12345}},', b'{"a":{"code":"[redacted]"}},'),
        (b'{"a":{"token":abcdef}},', b'{"a":{"token":"[redacted]"}},'),
        # Space before the colon, at depth.
        (b'{"a":{"token" :"S3CRET"}},', b'{"a":{"token" :"[redacted]"}},'),
        # An escaped name, at depth (the JSON reading replaces a top-level one itself).
        (b'{"a":{"\\u0074oken":"S3CRET"}},', b'{"a":{"\\u0074oken":"[redacted]"}},'),
        # Its escape in capitals, as JSON allows.
        (b'{"a":{"t\\u006Fken":"S3CRET"}},', b'{"a":{"t\\u006Fken":"[redacted]"}},'),
        # A credential inside a credential's value: replaced once, with what follows kept.
        (b'{"a":1,"token":{"code":"x"}},"b":2}', b'{"a":1,"token":"[redacted]"},"b":2}'),
    ],
)
def test_a_body_that_is_no_json_is_redacted_exactly(body: bytes, expected: bytes) -> None:
    assert redact_json(body) == expected
