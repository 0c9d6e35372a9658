"""Four loose ends earlier reviews left (leftovers10), each shown by a test first."""

from __future__ import annotations

import re

import pytest

from ocp_users_photo import safe_text
from ocp_users_photo.emulator import Fault, RunningEmulator
from tests.conftest import inject
from tests.test_reply9 import every_text_of_a_call, holds_the_token_in_any_spelling, spelled
from tests.test_secrets import holds_part_of_the_token

# Python's \U escape (eight hex digits) and its octal one (up to three digits): a reader
# decodes both at a glance, as \u and \x.
U_ESCAPED = spelled(lambda char: f"\\U{ord(char):08x}")
OCTAL_ESCAPED = spelled(lambda char: f"\\{ord(char):03o}")
_PYTHON_ESCAPE = re.compile(r"\\+(?:U([0-9a-fA-F]{8})|([0-7]{1,3}))")


def _python_read_back(text: str) -> str:
    return _PYTHON_ESCAPE.sub(
        lambda found: (
            chr(int(found.group(1), 16)) if found.group(1) else chr(int(found.group(2), 8))
        ),
        text,
    )


def holds_the_token_spelled_any_way(text: str) -> bool:
    return holds_the_token_in_any_spelling(text) or holds_part_of_the_token(_python_read_back(text))


@pytest.mark.parametrize("form", [U_ESCAPED, OCTAL_ESCAPED], ids=["U-escaped", "octal"])
def test_python_escapes_read_back_to_the_token(form: str) -> None:
    assert not holds_part_of_the_token(form)
    assert holds_the_token_spelled_any_way(form)
    assert holds_part_of_the_token(safe_text.read_back(form))
    assert safe_text.may_spell_otherwise(form.encode())
    assert safe_text.may_spell_otherwise(form.replace("\\", "\\\\").encode())  # as in JSON


def test_an_invalid_code_point_is_read_back_without_raising() -> None:
    for text in ("\\U7fffffff", "\\U00110000", "\\\\Uffffffff tail", "\\777", "\\UD800dc00"):
        assert isinstance(safe_text.read_back(text), str)
        assert safe_text.redacted(text, ["xoxp-secret"]) == text


def test_an_escape_is_matched_from_its_runs_first_backslash_only() -> None:
    """As test_diffreview9: the new escapes too may only start where a run of backslashes
    does, or a hostile run of them costs quadratic time."""
    for escape, decoded in (("U00000078", "x"), ("170", "x")):
        run = "\\" * 6 + escape
        assert safe_text._BACKSLASH_ESCAPE.match(run, 0) is not None
        assert all(safe_text._BACKSLASH_ESCAPE.match(run, start) is None for start in range(1, 6))
        assert safe_text.read_back(run) == decoded


@pytest.mark.parametrize(
    "fault",
    [
        Fault.status(401, body=f"bad token {U_ESCAPED}", headers={"content-type": "text/plain"}),
        Fault.status(
            401, body=f"bad token {OCTAL_ESCAPED}", headers={"content-type": "text/plain"}
        ),
        Fault.json({"ok": False, "error": "invalid_auth", "detail": U_ESCAPED}),
        Fault.json({"ok": False, "error": "invalid_auth", "detail": OCTAL_ESCAPED}),
        Fault.json({"ok": False, "error": U_ESCAPED}),
        Fault.json({"ok": False, "error": OCTAL_ESCAPED}),
    ],
    ids=[
        "401 text, U-escaped",
        "401 text, octal",
        "slack error field, U-escaped",
        "slack error field, octal",
        "error code, U-escaped",
        "error code, octal",
    ],
)
async def test_a_token_echoed_in_a_python_escape_reaches_no_output(
    emulator: RunningEmulator, http_stack: str, fault: Fault, caplog: pytest.LogCaptureFixture
) -> None:
    inject(emulator, fault, fault)
    for text in await every_text_of_a_call(emulator, http_stack, caplog):
        assert not holds_the_token_spelled_any_way(text), text[:400]
