"""A token a server echoes in full-width letters, or spaced out, is still the token.

An attack review (2026-12-07) had a loopback Slack answer ``needed`` with the caller's
token in full-width letters (U+FF01-U+FF5E, which NFKC and any reader read as the
token) and a message with its secret spaced out ("a b c d ..."): both reached
the model's result, ``str(SlackApiError)`` and the log whole. The redaction found the
token's ASCII spellings, its escapes, its base64 and hex, and marks drawn as nothing
between its characters, but not a separator or a wider letter a reader reads past.
A piece of the secret cut short (a run of 12 of its characters) is looked for in its plain
spellings only, not spaced out: safe_text.Needles looks for a secret's whole forms so.
"""

from __future__ import annotations

import json
import logging
import pickle
import unicodedata

import pytest

from ocp_users_photo.credentials import SecretTexts, held_in, token_secret_forms
from ocp_users_photo.safe_text import (
    as_read,
    folded_secrets,
    redacted,
    shown,
    spelled_otherwise,
)
from tests.conftest import CANARY_TOKEN
from tests.test_invisible_characters import told_by_a_hostile_slack

SECRET = CANARY_TOKEN.rsplit("-", 1)[1]


def full_width(text: str) -> str:
    """``text`` with each printable ASCII character as its full-width form (U+FF01-U+FF5E)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


# Each spells the token, or its secret, as a reader reads it.
ECHOES = {
    "full-width token": full_width(CANARY_TOKEN),
    "full-width secret": full_width(SECRET),
    "secret spaced out": " ".join(SECRET),
    "secret with a dash after each": "-".join(SECRET),
    "secret one per line": "\n".join(SECRET),
    "token with dots": ".".join(CANARY_TOKEN),
    "upper-case full-width secret": full_width(SECRET.upper()),
}


def read(text: str) -> str:
    """What a reader makes of ``text``: NFKC, lower case, its letters and digits only."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return "".join(c for c in folded if c.isascii() and c.isalnum())


def test_the_echoes_spell_the_secret_as_read() -> None:
    # The cases are what they say: each spells the secret whole, read as a reader does.
    for echo in ECHOES.values():
        assert read(SECRET) in read(echo), echo


@pytest.mark.parametrize("echo", ECHOES.values(), ids=ECHOES.keys())
@pytest.mark.parametrize("ensure_ascii", [True, False], ids=["as-escapes", "as-utf-8"])
async def test_a_token_echoed_as_a_reader_reads_it_is_redacted(
    http_stack: str, echo: str, ensure_ascii: bool, caplog: pytest.LogCaptureFixture
) -> None:
    warned = {"ok": True, "warning": f"superseded: {echo}"}
    refused = {"ok": False, "error": "invalid_auth", "needed": echo}
    refused["response_metadata"] = {"messages": [f"[ERROR] token {echo} revoked"]}
    caplog.set_level(logging.DEBUG)
    told = await told_by_a_hostile_slack(http_stack, warned, refused, ensure_ascii=ensure_ascii)
    assert told.result["ok"] is True
    assert told.to_the_model["ok"] is False
    assert told.to_the_model["error"] == "invalid_auth"  # the refusal itself still said
    assert told.raised.error == "invalid_auth"
    for text in told.texts(caplog):
        assert SECRET[3:17].lower() not in read(text), text


@pytest.mark.parametrize("echo", ECHOES.values(), ids=ECHOES.keys())
def test_the_reply_search_finds_each_echo_in_the_bytes(echo: str) -> None:
    secrets = SecretTexts(token_secret_forms(CANARY_TOKEN))
    for ensure_ascii in (True, False):
        raw = json.dumps({"ok": False, "error": echo}, ensure_ascii=ensure_ascii).encode()
        assert held_in(raw, secrets), raw
    assert spelled_otherwise(f"said {echo} (ok)", token_secret_forms(CANARY_TOKEN))
    assert redacted(f"said {echo}", token_secret_forms(CANARY_TOKEN)) == "[redacted]"


def test_a_full_width_token_shape_is_masked_without_knowing_the_token() -> None:
    # Any token, not only the caller's: shaped like one once read in ASCII.
    assert shown(f"use {full_width('xoxb-1234567890-abcdefabcdef')} now") == "[redacted]"
    assert shown(full_width("photo set")) == full_width("photo set")  # text alone stays


@pytest.mark.parametrize(
    "text",
    [
        "https://avatars.slack-edge.com/2026-12-07/1234567890_0a1b2c3d4e5f_512.png",
        "a b c d e f",
        "missing_scope: users.profile:write",
        full_width("invalid_auth"),
        "2026-12-07 10:12:34.567890",
    ],
)
def test_ordinary_text_is_left_as_it_is(text: str) -> None:
    forms = token_secret_forms(CANARY_TOKEN)
    assert not spelled_otherwise(text, forms)
    assert redacted(text, forms) == text
    # As UTF-8: a \u escape makes the search look for every secret, as it must.
    raw = json.dumps({"ok": True, "x": text}, ensure_ascii=False).encode()
    assert not held_in(raw, SecretTexts(forms))


def test_a_short_secret_spaced_out_is_ordinary_text() -> None:
    # Fifteen letters and digits: as likely to be words spaced out as a secret.
    assert len(as_read("pass-word-1234567")) == 15
    assert not spelled_otherwise("p a s s w o r d 1 2 3 4 5 6 7", ["password1234567"])
    assert spelled_otherwise("p a s s w o r d 1 2 3 4 5 6 7 8", ["password12345678"])


def test_every_whole_form_of_the_token_is_found_spaced_out_in_a_few_searches() -> None:
    """The token's base64 and hex forms too; its thirty-odd forms are a few searches (those
    holding another's are found by it), not one each in every reply."""
    forms = token_secret_forms(CANARY_TOKEN)
    whole = [form for form in forms if len(as_read(form)) >= 16]
    assert len(whole) >= 8  # the token, its secret, base64 and hex of both
    for form in whole:
        assert spelled_otherwise(f"said: {' '.join(form)}.", forms), form
        raw = json.dumps({"ok": False, "error": "-".join(form)}).encode()
        assert held_in(raw, SecretTexts(forms)), form
    searched = set(folded_secrets(forms).read) - {b"\xff"}
    # Five whole forms, and the base64 and hex of each run of the secret (a dump of the
    # header cut short): each a search of bytes in C.
    assert 0 < len(searched) <= 60, len(searched)


def test_the_searches_forms_of_a_token_are_never_shown_or_pickled() -> None:
    """Needles, held for a call's log records, keeps the token's forms: a traceback's locals
    or an error reporter's pickled frames would write them out."""
    needles = SecretTexts(token_secret_forms(CANARY_TOKEN)).needles()
    assert SECRET.lower() not in repr(needles) + str(needles)
    assert "[redacted]" in repr(needles)
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(needles)


# Cyrillic and Greek letters drawn as the Latin ones (Unicode's confusables.txt): NFKC keeps
# them, and a reader reads the token they spell (an attack review, 2026-12-07: the CLI
# quoted a page that echoed the header so, whole).
LOOK_ALIKES = str.maketrans("acepxyo", "\u0430\u0441\u0435\u0440\u0445\u0443\u03bf")
LOOKING_ALIKE = {
    "token": CANARY_TOKEN.translate(LOOK_ALIKES),
    "secret": SECRET.translate(LOOK_ALIKES),
    "header": f"Bearer {CANARY_TOKEN}".translate(LOOK_ALIKES),
}


@pytest.mark.parametrize("echo", LOOKING_ALIKE.values(), ids=LOOKING_ALIKE.keys())
def test_a_token_in_look_alike_letters_is_redacted(echo: str) -> None:
    forms = token_secret_forms(CANARY_TOKEN)
    raw = json.dumps({"ok": False, "error": echo}, ensure_ascii=False).encode()
    assert held_in(raw, SecretTexts(forms)), raw
    assert redacted(f"said {echo}", forms) == "[redacted]"


def test_a_token_shape_in_look_alike_letters_is_masked_without_knowing_the_token() -> None:
    assert shown("use xoxb-1234567890-abcdefabcdef now".translate(LOOK_ALIKES)) == "[redacted]"
    assert shown("\u0441\u0430\u0444\u0435 photo") == "\u0441\u0430\u0444\u0435 photo"


@pytest.mark.parametrize("ensure_ascii", [True, False], ids=["as-escapes", "as-utf-8"])
async def test_a_token_in_look_alike_letters_reaches_no_model_and_no_log(
    http_stack: str, ensure_ascii: bool, caplog: pytest.LogCaptureFixture
) -> None:
    echo = LOOKING_ALIKE["header"]
    warned = {"ok": True, "warning": f"superseded: {echo}"}
    refused = {"ok": False, "error": "invalid_auth", "needed": echo}
    caplog.set_level(logging.DEBUG)
    told = await told_by_a_hostile_slack(http_stack, warned, refused, ensure_ascii=ensure_ascii)
    assert told.raised.error == "invalid_auth"
    for text in told.texts(caplog):
        assert SECRET[3:17].translate(LOOK_ALIKES) not in text, text


# Some of the token's letters so written, the rest plain (a run of 12 plain among them),
# and the look-alikes the first table left out (Greek rho and lunate sigma).
PARTLY = {
    "c as Cyrillic es": str.maketrans("c", "\u0441"),
    "a, c, e as Cyrillic": str.maketrans("ace", "\u0430\u0441\u0435"),
    "c as Greek lunate sigma": str.maketrans("c", "\u03f2"),
    "p as Greek rho": str.maketrans("p", "\u03c1"),
}


@pytest.mark.parametrize("table", PARTLY.values(), ids=PARTLY.keys())
def test_a_token_partly_in_look_alike_letters_is_redacted_whole(table: dict[int, str]) -> None:
    """A run of 12 plain characters found and redacted, the rest of the secret, in
    look-alikes, was quoted (20 of its characters); the prefix plain, the token shape was
    masked to its first look-alike and the rest shown (the secret whole)."""
    echo = CANARY_TOKEN.translate(table)
    said = f"invalid_auth: Bearer {echo}"
    assert redacted(said, token_secret_forms(CANARY_TOKEN)) == "[redacted]"
    assert shown(said, limit=300) == "[redacted]"


def test_names_in_cyrillic_and_greek_are_shown_as_they_are() -> None:
    names = (
        "\u041a\u0441\u0435\u043d\u0438\u044f \u0425\u043e\u0445\u043b\u043e\u0432\u0430, "
        "\u03a3\u03bf\u03c6\u03af\u03b1 "
        "\u03a0\u03b1\u03c0\u03b1\u03b4\u03bf\u03c0\u03bf\u03cd\u03bb\u03bf\u03c5"
    )
    assert shown(names) == names
    assert redacted(names, token_secret_forms(CANARY_TOKEN)) == names
