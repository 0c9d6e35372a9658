"""A file named as a person sees it, where its name on disk differs only in what looks the same.

macOS names every screenshot "Screenshot 2026-12-01 at 10.00.00 AM.png" with a narrow
no-break space (U+202F) before "AM"; a name synced from macOS may be in decomposed form
(NFD: "e" and a combining accent) where one typed is composed (NFC). A person reading the
name, or a model given it, writes a plain space and composed letters: byte for byte, no
such file, and a refusal naming what looks exactly like the file in the folder.

Only the last part of a path is matched, only in its own folder (which the image roots
already allow), and only a space for a space and a letter for its other Unicode form:
nothing else is taken for a match. Blocking: run in a thread, as the opening is.
"""

from __future__ import annotations

import json
import os
import unicodedata
from dataclasses import dataclass
from typing import Final

from ocp_users_photo.safe_text import joins_previous, printable, without_tokens

# A folder's entries read at most, and look-alikes named at most: a folder of a million
# files must not hold a call, nor fill a message.
MAX_ENTRIES_READ: Final = 20_000
MAX_LOOK_ALIKES: Final = 4


def folded(name: str) -> str:
    """``name`` with each space separator (Unicode's Zs: no-break, narrow, thin, ideographic
    spaces) a plain space, in composed form (NFC): how it reads."""
    spaced = "".join(" " if unicodedata.category(ch) == "Zs" else ch for ch in name)
    return unicodedata.normalize("NFC", spaced)


@dataclass(frozen=True)
class LookAlikes:
    """The names in a folder, other than the one given, that read as it does (``folded``),
    at most MAX_LOOK_ALIKES; ``complete`` when the whole folder was read (a name further
    on could make one found not the only one)."""

    names: list[str]
    complete: bool

    @property
    def the_one(self) -> str | None:
        """The name to open instead: the only look-alike of a folder read whole."""
        return self.names[0] if self.complete and len(self.names) == 1 else None


def look_alikes_in(folder: int | str, name: str, *, folders: bool = False) -> LookAlikes:
    """The look-alikes of ``name`` in ``folder`` (an open folder's descriptor, or a path);
    none, and not complete, when the folder cannot be read. With ``folders``, only the
    folders among them: a file whose name reads as a folder's on the path's way was named
    as "no folder ... is on its way, but ... is", and no path goes through a file."""
    if not name:
        return LookAlikes([], complete=True)
    wanted = folded(name)
    found: list[str] = []
    try:
        with os.scandir(folder) as entries:
            for read, entry in enumerate(entries):
                if read >= MAX_ENTRIES_READ or len(found) >= MAX_LOOK_ALIKES:
                    return LookAlikes(sorted(found), complete=False)
                if entry.name == name or folded(entry.name) != wanted:
                    continue
                if not folders or entry.is_dir():
                    found.append(entry.name)
    except (OSError, ValueError):
        return LookAlikes(sorted(found), complete=False)
    return LookAlikes(sorted(found), complete=True)


def as_found(path: str) -> str:
    """``path``, or, where nothing has that very name, the one file in its folder whose
    name reads the same: the file an image path opens (images/paths.py), for a check made
    before it is opened (that ``--preview`` is not the image itself)."""
    if os.path.lexists(path):
        return path
    folder, name = os.path.split(path)
    the_one = look_alikes_in(folder or os.curdir, name).the_one
    return path if the_one is None else os.path.join(folder, the_one)


def first_missing(folder: str) -> tuple[str, str]:
    """The deepest folder of ``folder``'s path that is there, and the name in it that is
    not (empty where ``folder`` is there): where a look-alike of a folder is looked for."""
    name = ""
    while folder and not os.path.isdir(folder):
        folder, name = os.path.split(folder)
    return folder, name


def folder_named_alike(name: str, alike: LookAlikes) -> str:
    """A clause naming the folders of ``alike``, which read as ``name``: "no file" or "no
    folder" alone told a person who sees that very folder nothing."""
    if not alike.names:
        return ""
    listed = ", ".join(f"'{shown_name(found)}'" for found in alike.names)
    return (
        f"no folder '{shown_name(name)}' is on its way, but {listed} "
        f"{'is' if len(alike.names) == 1 else 'are'}, whose name reads the same (other spaces "
        "or another Unicode form, the characters that differ written here as escapes)"
    )


def shown_name(name: str) -> str:
    """``name`` with each character that may make the difference written as its escape
    as JSON writes it (``\\u202f``, ``\\u0306``, ``\\u001b``: ``_written_as_escape``,
    ``_escaped``), a token shape masked, at most 300 characters, cut between letters: the
    difference a message points at is seen, a model can send the name back, and the rest
    of a Cyrillic, Chinese or Hindi name stays readable (all of it as escapes, a person
    read none of it)."""
    pieces: list[str] = []
    length = 0
    for cluster in _clusters(without_tokens(name)):
        piece = "".join(
            _escaped(ch) if ch.isascii() or _written_as_escape(ch, cluster) else ch
            for ch in cluster
        )
        length += len(piece)
        if length > 300:
            # Cut between letters: cut in an escape ("\\u030") or between a letter and a
            # mark kept as it is, the name showed one it does not have.
            return "".join(pieces) + "..."
        pieces.append(piece)
    return "".join(pieces)


def escapes_told(names: list[str], listed: str) -> str:
    """What the escapes ``listed`` writes for ``names`` stand for, as " (\\u00a0 is no-break
    space)": the one hint given before, "\\u202f is a narrow space", named a character
    none of the names listed might hold, and left the others unexplained. Spaces first:
    after three accents of a decomposed name ("\\u0300" sorts before "\\u202f"), the narrow
    space two files differed by went unexplained, and nothing said more were left out."""
    characters = {ch for name in names for ch in name if not ch.isascii()}
    told = [
        f"{_escaped(ch)} is {_character_told(ch)}"
        for ch in sorted(characters, key=lambda ch: (unicodedata.category(ch) != "Zs", ch))
        if _escaped(ch).startswith("\\u") and _escaped(ch) in listed
    ]
    more = f", and {len(told) - 3} more" if len(told) > 3 else ""
    return f" ({', '.join(told[:3])}{more})" if told else ""


# What a character Unicode gives no name is, by its category: "a character with no name"
# told a person nothing of a byte of the name that is no UTF-8, or of a control character.
_UNNAMED: Final = {
    "Cc": "a C1 control character",
    "Co": "a private-use character",
    "Cn": "a code point Unicode assigns no character",
}


def _character_told(character: str) -> str:
    """What ``character`` is, for a person: its Unicode name, in lower case, or, where it
    has none, its kind; of a lone surrogate a file name holds, the byte it stands for
    (Python reads a byte that is no UTF-8 as U+DC80 to U+DCFF)."""
    name = unicodedata.name(character, "")
    if name:
        return name.lower()
    code = ord(character)
    if 0xDC80 <= code <= 0xDCFF:
        return f"a lone surrogate: the byte 0x{code - 0xDC00:02x} of a name not in UTF-8"
    if unicodedata.category(character) == "Cs":
        return "a lone surrogate: half of a pair, without its other half"
    return _UNNAMED.get(unicodedata.category(character), "a character with no name")


def _escaped(character: str) -> str:
    """``character`` as a JSON string writes it (printable ASCII as it is, but a backslash
    and a quote; ``\\u00a0``; one past U+FFFF as its two ``\\u`` halves): a model sends the
    name back in JSON, which reads no ``\\xa0`` nor ``\\U000e0041``."""
    if character == "\x7f":  # ASCII, so JSON writes it as it is: a control all the same
        return "\\u007f"
    return json.dumps(character)[1:-1]


def _clusters(text: str) -> list[str]:
    """``text`` as its characters, each with the marks and jamo drawn with it."""
    clusters: list[str] = []
    for character in text:
        if clusters and joins_previous(character):
            clusters[-1] += character
        else:
            clusters.append(character)
    return clusters


def _written_as_escape(character: str, cluster: str) -> bool:
    """Whether ``character`` (not ASCII) of ``cluster`` is one in which names that read the
    same differ: a space other than the plain one, one drawn as nothing or not printable (a
    bidi override), one that composes to another (U+212B, the Angstrom sign, is U+00C5), and
    the accents and jamo of a cluster NFC composes (a decomposed name's "\\u0438\\u0306",
    where a composed one has its letter). A Hindi vowel sign composes with nothing: kept."""
    if printable(character) != character or unicodedata.category(character) == "Zs":
        return True
    if unicodedata.normalize("NFC", character) != character:
        return True
    composes = unicodedata.normalize("NFC", cluster) != cluster
    return composes and (joins_previous(character) or "\u1100" <= character <= "\u115f")
