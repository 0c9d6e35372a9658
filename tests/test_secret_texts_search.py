"""What a call searches its reply for: a token's secret forms, made once per token, found
however a JSON reply spells them (any case, escaped, cut short)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from ocp_users_photo.credentials import SecretTexts, SlackToken, redactor
from tests.conftest import CANARY_TOKEN

SECRETS = SlackToken(CANARY_TOKEN).secret_texts()
CLIENT_SECRET = 'c1ient"secret/with\\escapes'


def strings_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for pair in value.items() for part in pair for text in strings_in(part)]
    if isinstance(value, list):
        return [text for item in value for text in strings_in(item)]
    return []


def echoes() -> st.SearchStrategy[str]:
    """A piece of the token (whole, cut short, a run of its secret) in any case, in words."""
    piece = st.tuples(
        st.integers(0, len(CANARY_TOKEN) - 12), st.integers(12, len(CANARY_TOKEN))
    ).map(lambda span: CANARY_TOKEN[span[0] : span[0] + span[1]])
    casings: list[Callable[[str], str]] = [str.lower, str.upper, str.title, str]
    cased = st.tuples(piece, st.sampled_from(casings)).map(lambda pair: pair[1](pair[0]))
    return st.tuples(st.text(max_size=8), cased, st.text(max_size=8)).map("".join)


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(st.one_of(echoes(), st.text(max_size=20)), min_size=1, max_size=4),
    ensure_ascii=st.booleans(),
    slashes=st.booleans(),
    spelled=st.booleans(),
)
@example(values=[CANARY_TOKEN.upper()], ensure_ascii=False, slashes=False, spelled=False)
@example(values=["\u00e9" + CANARY_TOKEN[:40]], ensure_ascii=True, slashes=True, spelled=False)
@example(values=[CANARY_TOKEN], ensure_ascii=False, slashes=False, spelled=True)
def test_no_part_of_the_token_survives_however_the_reply_spells_it(
    values: list[str], ensure_ascii: bool, slashes: bool, spelled: bool
) -> None:
    raw_text = json.dumps(
        {"ok": False, "error": values[0], "more": values[1:]}, ensure_ascii=ensure_ascii
    )
    if slashes:
        raw_text = raw_text.replace("/", "\\/")  # as Slack writes every /
    if spelled:
        raw_text = raw_text.replace("y", "\\u0079")  # JSON may spell any character so
    raw = raw_text.encode()
    shown = redactor(SECRETS, raw)(json.loads(raw))
    for text in strings_in(shown):
        folded = text.lower()
        for form in SECRETS.texts():
            assert form.lower() not in folded


def test_a_secret_spelled_with_short_escapes_is_looked_for() -> None:
    secrets = SecretTexts([CLIENT_SECRET])
    raw = json.dumps({"error": f"bad {CLIENT_SECRET}"}).encode()  # \" and \\ in the raw text
    assert CLIENT_SECRET.encode() not in raw
    assert "[redacted]" in redactor(secrets, raw)(json.loads(raw))["error"]
    assert CLIENT_SECRET not in str(redactor(secrets, raw)(json.loads(raw)))


def test_a_reply_without_them_is_not_walked() -> None:
    raw = b'{"ok":true,"url":"https:\\/\\/avatars.slack-edge.com\\/a.png"}'
    value = json.loads(raw)
    assert redactor(SECRETS, raw)(value) is value


def test_a_tokens_forms_are_made_once_and_kept_by_a_call_of_it_alone() -> None:
    token = SlackToken(CANARY_TOKEN)
    forms = token.secret_texts()
    assert token.secret_texts() is forms
    assert SecretTexts.joined(forms, SecretTexts(), SecretTexts()) is forms
    assert forms + SecretTexts() is forms
    both = SecretTexts.joined(forms, SecretTexts([CLIENT_SECRET]))
    assert both.texts() == (*forms.texts(), CLIENT_SECRET)
    assert CANARY_TOKEN not in repr(token) + repr(forms) + repr(both)
    forms.folded()  # what is worked out stays out of the repr too
    assert CANARY_TOKEN.split("-")[-1] not in repr(forms)


@settings(max_examples=400, deadline=None)
@given(
    before=st.binary(max_size=150),
    piece=st.tuples(st.integers(0, len(CANARY_TOKEN)), st.integers(0, len(CANARY_TOKEN))),
    after=st.binary(max_size=150),
)
@example(before=b"", piece=(0, len(CANARY_TOKEN)), after=b"")
@example(before=b"x" * 200, piece=(0, len(CANARY_TOKEN)), after=b"")
def test_found_in_finds_what_a_search_for_each_form_finds(
    before: bytes, piece: tuple[int, int], after: bytes
) -> None:
    # found_in searches a short text once for all the forms (one pattern), a long one form
    # by form: either way it finds exactly what a search for each form finds.
    start, length = piece
    folded = before + CANARY_TOKEN[start : start + length].lower().encode() + after
    expected = any(form in folded for form in SECRETS.folded())
    assert SECRETS.found_in(folded) is expected


def test_found_in_with_no_texts_finds_nothing() -> None:
    # An empty pattern would match every text: no secrets is nothing found.
    assert SecretTexts().found_in(b"anything") is False
    assert SecretTexts().found_in(b"") is False
