"""Tests that kill the mutants a sixth hand mutation round (6b: text shown to people and
models, URLs, schemas, replies, bodies, the MCP reader's answers, input kinds and the
argument view) let live.

Each test's docstring names the mutation it was written against and the promise that
mutation broke.
"""

from __future__ import annotations

from ocp_users_photo.safe_text import shown, shown_path

# --- safe_text.py -------------------------------------------------------------------


def test_shown_cuts_a_text_one_character_over_the_limit() -> None:
    """Mutation: ``len(cleaned) > limit`` made ``> limit + 1`` in ``shown``. Promise: no shown
    text is longer than its limit, and one that fits exactly is kept whole."""
    assert shown("a" * 10, 10) == "a" * 10
    over = shown("a" * 11, 10)
    assert len(over) <= 10
    assert over == "aaaaaaa..."


def test_a_cut_text_with_its_ellipsis_stays_within_the_limit() -> None:
    """Mutation: the cut ``cleaned[: limit - len(_ELLIPSIS)]`` made ``cleaned[:limit]``.
    Promise: the ellipsis counts toward the limit (200 characters, not 203)."""
    text = shown("b" * 5000)
    assert len(text) == 200
    assert text.endswith("...")


def test_a_text_cut_before_it_was_looked_at_says_so() -> None:
    """Mutation: ``or len(text) > len(looked_at)`` removed from ``shown``. Promise: a text
    cut short is marked with an ellipsis even when what was looked at collapses to little
    (a server's long run of whitespace must not hide that more followed)."""
    assert shown("a" + " " * 100 + "hidden tail", 10).endswith("...")


def test_a_path_printed_back_is_bounded() -> None:
    """Mutation: ``shown_path``'s bound of 300 characters raised to 3000. Promise: a path,
    URL or folder a person typed is printed back bounded (300 characters)."""
    printed = shown_path("/tmp/" + "d" * 5000)
    assert len(printed) == 300
    assert printed.endswith("...")
