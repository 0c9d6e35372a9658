"""Properties of the text a person or a model is shown, over any text Hypothesis makes.

``shown`` (a server's or a model's text), ``shown_name`` (a file name that reads as another)
and the status line's ``_fitted``: nothing a terminal obeys or draws as nothing comes out
unescaped, no token shape comes out however its letters are spelled, the bounds hold, a cut
falls between letters, and a name shown can be sent back (in JSON, as a model sends it) to
name that very file.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import unicodedata
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from ocp_users_photo import UsersSetPhoto
from ocp_users_photo.emulator import RunningEmulator
from ocp_users_photo.images.look_alike_names import (
    _clusters,
    first_missing,
    folded,
    shown_name,
)
from ocp_users_photo.safe_text import REDACTED, as_read, letters_up_to, printable, shown
from ocp_users_photo.set_command import _fitted
from tests.conftest import CANARY_TOKEN, make_image

MODEST = settings(max_examples=150)
# What a terminal obeys (C0, DEL, C1), turns (bidi embeddings, overrides, isolates) or
# draws as nothing (zero-width space, joiners, word joiner, BOM).
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
    "\u2028-\u202e\u2060-\u2069\u3164\ufe00-\ufe0f\ufeff\uffa0\U0001d173-\U0001d17a"
    "\U000e0000-\U000e0fff]"
)
# Characters that make names differ and still read the same, and some that are hostile.
_ODD = (
    " \u00a0\u202f\u3000\u2009\u0301\u0306\u0323\u200b\u200d\u202e\u2066\x1b\x85\ufeff"
    "\u212b\u00c5\u0438\u0439\\\"'"
)
texts = st.text(
    st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(_ODD),
        st.sampled_from("xoxpab-0123"),
    ),
    max_size=120,
)
SECRET_READ = as_read(CANARY_TOKEN.split("-", 1)[1])


def _spellings(token: str) -> st.SearchStrategy[str]:
    """``token`` as it reads to a person: a mark on some letters, composed accents, full-width
    letters, or something drawn as nothing between its characters."""
    full_width = "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in token)
    return st.one_of(
        st.builds(
            lambda marks: (
                "".join(ch + mark for ch, mark in zip(token, marks, strict=False))
                + token[len(marks) :]
            ),
            st.lists(
                st.sampled_from(["", "", "", "\u0301", "\u0323", "\u0308"]), max_size=len(token)
            ),
        ),
        st.just(unicodedata.normalize("NFC", "".join(ch + "\u0301" for ch in token))),
        st.just(full_width),
        st.just(full_width[0] + "\u0301" + full_width[1:]),
        st.sampled_from(["\u200b", "\u034f", "\u00a0", "\ufe0f"]).map(
            lambda mark: mark.join(token)
        ),
    )


def _reading(text: str) -> bytes:
    """``text`` as a person reads a token in it: accents and escapes aside (``as_read``)."""
    return as_read(
        "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    )


@MODEST
@given(texts, st.integers(10, 300))
@example("\u0301" * 20, 10)
@example("\u0438\u0306" * 100, 80)
def test_shown_is_bounded_and_draws_nothing_unseen(text: str, limit: int) -> None:
    out = shown(text, limit)
    assert len(out) <= limit
    assert not _UNSAFE.search(out), ascii(out)
    assert not any(0xD800 <= ord(ch) <= 0xDFFF for ch in out)
    whole = shown(text, 10 * len(text) + 10)
    if out != whole and REDACTED not in whole:
        cut = out.removesuffix("...")
        assert whole.startswith(cut)
        if cut:  # a text that starts with marks may be cut before them all
            assert not unicodedata.category(whole[len(cut)]).startswith("M"), ascii(out)


@MODEST
@given(texts, st.integers(0, 130))
def test_a_cut_never_falls_between_a_letter_and_its_marks(text: str, end: int) -> None:
    cut = letters_up_to(text, end)
    assert text.startswith(cut)
    assert len(cut) <= end
    if 0 < len(cut) < len(text):
        assert not unicodedata.category(text[len(cut)]).startswith("M")


@MODEST
@given(_spellings(CANARY_TOKEN), st.text(max_size=20), st.text(max_size=20))
@example(CANARY_TOKEN[0] + "\u0301" + CANARY_TOKEN[1:], "", "")
@example(CANARY_TOKEN[:5] + "\u0301" + CANARY_TOKEN[5:], "", "")
@example(CANARY_TOKEN.replace("o", "\u00f3", 1), "", "")
@example(CANARY_TOKEN.replace("canary", "ca\u0301nary"), "", "")
def test_no_spelling_of_a_token_is_shown(token: str, before: str, after: str) -> None:
    out = shown(f"{before} {token} {after}", 300)
    assert SECRET_READ not in _reading(out), ascii(out)


@MODEST
@given(texts)
def test_a_name_shown_escapes_what_is_unseen_and_is_bounded(name: str) -> None:
    out = shown_name(name)
    assert len(out) <= 303
    assert not _UNSAFE.search(out), ascii(out)
    assert printable(out) == out, ascii(out)


@MODEST
@given(st.integers(200, 300), texts)
@example(40, unicodedata.normalize("NFD", "\u0439" * 50 + " a.png"))
@example(299, "\u0915\u094d\u0937.png")
def test_a_long_name_shown_is_cut_between_letters(plain: int, tail: str) -> None:
    """Cut at 300 characters: a decomposed Russian name's quote ended in "\\u030" (half an
    escape), a Hindi one's in a letter without the sign drawn on it."""
    name = "a" * plain + tail
    out = shown_name(name)
    if "xox" in name.lower() or "xapp" in name.lower() or not out.endswith("..."):
        return
    read = json.loads(f'"{out[:-3]}"')  # whole escapes only
    clusters = _clusters(name)
    assert read == "".join(clusters[: len(_clusters(read))]), ascii(out[-12:])


@MODEST
@given(texts, texts)
def test_names_that_read_the_same_are_shown_apart_and_sent_back_whole(
    left: str, right: str
) -> None:
    one, other = f"a{left}.png", f"a{left}{right}.png"
    other = unicodedata.normalize("NFD", other.replace(" ", "\u202f"))
    for name in (one, other):
        if "xox" in name.lower() or "xapp" in name.lower() or len(name) > 40:
            return
        # A model writes the name it was shown as a JSON string: the very name comes back.
        assert json.loads(f'"{shown_name(name)}"') == name, ascii(shown_name(name))
    if folded(one) == folded(other) and one != other:
        assert shown_name(one) != shown_name(other)


@MODEST
@given(texts, st.integers(1, 100), st.sampled_from(["…", "..."]))
def test_a_status_line_fits_its_columns(text: str, columns: int, ellipsis: str) -> None:
    if columns <= len(ellipsis):  # the status line shows nothing then (_Status.show)
        return
    line = _fitted(printable(text), columns, ellipsis)
    width = sum(
        0
        if unicodedata.category(ch) in ("Mn", "Me")
        else 2
        if unicodedata.east_asian_width(ch) in ("W", "F")
        else 1
        for ch in line
    )
    assert width <= columns, (ascii(line), width)
    if line.endswith(ellipsis) and line != printable(text):
        assert not unicodedata.category(printable(text)[len(line) - len(ellipsis)]).startswith("M")


async def test_a_model_that_sends_a_look_alike_back_as_shown_gets_that_very_file(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    """Two photos whose names read the same, one with a no-break space: the refusal named it
    with "\\xa0", which JSON (a model's call) reads as no escape, so the model could not
    name that file at all. Each name shown, read as a JSON string, opens the file it names."""
    typed = "me and you.png"
    for name in ("me\u00a0and you.png", "me\u202fand you.png"):
        (tmp_path / name).write_bytes(make_image())
    async with UsersSetPhoto(
        CANARY_TOKEN, base_url=emulator.base_url, image_roots=[tmp_path], environ={}
    ) as tool:
        to_the_model = json.dumps(await tool.run({"image": typed}))
        listed = re.findall(r"'(me\\[^']*\.png)'", json.loads(to_the_model)["message"])
        assert len(listed) == 2, to_the_model
        for shown_as in listed:
            sent = json.loads(f'{{"image": "{shown_as}"}}')  # the model's call, as it writes it
            assert (await tool.call(sent))["ok"] is True


@MODEST
@given(
    st.lists(
        st.sampled_from(["a", "b", "\u0439", unicodedata.normalize("NFD", "\u0439")]), max_size=5
    ),
    st.integers(0, 5),
)
def test_the_first_folder_missing_is_the_one_below_the_deepest_there(
    names: list[str], made: int
) -> None:
    root = Path(tempfile.mkdtemp())
    try:
        Path(root, *names[:made]).mkdir(parents=True, exist_ok=True)
        path = os.path.join(root, *names)
        folder, name = first_missing(path)
        assert os.path.isdir(folder)
        if os.path.isdir(path):
            assert (folder, name) == (path, "")
        else:
            assert name
            assert not os.path.isdir(os.path.join(folder, name))
            assert path.startswith(os.path.join(folder, name))
    finally:
        shutil.rmtree(root)
