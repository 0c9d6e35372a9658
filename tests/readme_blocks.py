"""The README's fenced code blocks, each with what the README says about running it.

A block's info string says what it is: ``python`` and ``sh`` are run, ``json`` is
data (parsed), ``text`` is a picture in words (a tree, a diagram). A fence with no
info string right after a ``sh`` block (only blank lines between) is that block's
expected output. HTML comments on the lines just above a fence steer the runner:

- ``<!-- not run: REASON -->``: the block is not run (or, on an output block, not
  compared), and the runner lists it with the reason. The exception, not the rule.
- ``<!-- in the background -->``: a ``sh`` block that starts a server, which keeps
  running for the blocks after it (a second shell, in the README's words).

Blocks are grouped by their ``##`` section: a section is one session, one shell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

README: Final = Path(__file__).resolve().parent.parent / "README.md"
RUN_KINDS: Final = ("python", "sh")
KINDS: Final = (*RUN_KINDS, "json", "text", "")

_FENCE: Final = re.compile(r"^(?P<indent> *)```(?P<info>[A-Za-z0-9_-]*)\s*$")
_NOT_RUN: Final = re.compile(r"^<!-- not (?:run|compared): (?P<reason>.+?) -->$")
_BACKGROUND: Final = "<!-- in the background -->"


@dataclass
class Block:
    """One fenced block: where it is, what it is, its text (indentation removed)."""

    line: int  # the opening fence's line number, from 1
    section: str  # the ## heading above it
    kind: str  # the info string: python, sh, json, text, or "" for output
    code: str
    not_run: str | None = None  # the reason given by a "not run" comment
    background: bool = False
    output: Block | None = field(default=None, repr=False)  # a sh block's expected output

    @property
    def label(self) -> str:
        return f"README.md:{self.line} ({self.section}): {first_line(self.code)[:60]}"


def _comments_above(lines: list[str], index: int) -> list[str]:
    """The HTML comment lines just above line ``index`` (blank lines skipped)."""
    found: list[str] = []
    at = index - 1
    while at >= 0 and (not lines[at].strip() or lines[at].strip().startswith("<!--")):
        if lines[at].strip():
            found.append(lines[at].strip())
        at -= 1
    return found


def read_blocks(text: str) -> list[Block]:
    """Every fenced block of ``text``, expected outputs attached to their commands."""
    lines = text.splitlines()
    blocks: list[Block] = []
    section = "(top)"
    index = 0
    previous_end = -1
    previous_was_output = False
    while index < len(lines):
        line = lines[index]
        if line.startswith("## "):
            section = line[3:].strip()
        opened = _FENCE.match(line)
        if not opened:
            index += 1
            continue
        indent, info = len(opened["indent"]), opened["info"]
        if info not in KINDS:
            raise ValueError(f"README.md:{index + 1}: a ```{info} block: use one of {KINDS}")
        end = index + 1
        while end < len(lines) and lines[end].strip() != "```":
            end += 1
        if end == len(lines):
            raise ValueError(f"README.md:{index + 1}: a fence that is never closed")
        body = [text_line[indent:] for text_line in lines[index + 1 : end]]
        comments = _comments_above(lines, index)
        reasons = [found["reason"] for found in map(_NOT_RUN.match, comments) if found]
        block = Block(
            line=index + 1,
            section=section,
            kind=info,
            code="\n".join(body) + "\n",
            not_run=reasons[0] if reasons else None,
            background=_BACKGROUND in comments,
        )
        if info == "":
            command = blocks[-1] if blocks and not previous_was_output else None
            between = lines[previous_end + 1 : index]
            right_after = all(
                not text_line.strip() or text_line.strip().startswith("<!--")
                for text_line in between
            )
            if command is None or command.kind != "sh" or not right_after:
                raise ValueError(
                    f"README.md:{index + 1}: a block with no language that follows no sh "
                    "block: mark it ```text (or put it right after its command)"
                )
            command.output = block
        else:
            blocks.append(block)
        previous_end = end
        previous_was_output = info == ""
        index = end + 1
    return blocks


def readme_blocks() -> list[Block]:
    return read_blocks(README.read_text())


def sections(blocks: list[Block]) -> dict[str, list[Block]]:
    """The blocks to run, by section, in the README's order (not-run blocks left out)."""
    found: dict[str, list[Block]] = {}
    for block in blocks:
        if block.kind in RUN_KINDS and block.not_run is None:
            found.setdefault(block.section, []).append(block)
    return found


def first_line(code: str) -> str:
    return next((line for line in code.splitlines() if line.strip()), "")


def not_run(blocks: list[Block]) -> list[tuple[str, str]]:
    """What the runner leaves out (commands, and outputs it does not compare), and why.

    Each is named by its command's first line; an output as "output of: " and that line.
    """
    left_out: list[tuple[str, str]] = []
    for block in blocks:
        if block.kind in RUN_KINDS and block.not_run is not None:
            left_out.append((first_line(block.code), block.not_run))
        if block.output is not None and block.output.not_run is not None:
            left_out.append((f"output of: {first_line(block.code)}", block.output.not_run))
    return left_out
