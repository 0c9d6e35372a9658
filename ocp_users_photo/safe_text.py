"""Text from a server or a model, made safe to show: bounded, printable, no escape sequences.

Whatever a Slack endpoint (or anything between) sends back may reach a terminal, a log
or a model: an ANSI or OSC escape could rewrite a terminal, a 100 KB string could flood
a model's context, a token pasted or echoed (even cut short) must not be repeated.
``shown`` drops what a terminal draws as nothing (Unicode's default-ignorable characters:
a variation selector per byte hides a whole text, one between a token's characters hides
the token from its mask), masks what is shaped like a Slack token, keeps printable
characters only (an escape's ESC becomes ``?``), collapses runs of whitespace, and cuts
the text at ``limit`` characters.
"""

from __future__ import annotations

import functools
import html
import re
import string
import sys
import unicodedata
from collections.abc import Sequence
from typing import Final, NoReturn

DEFAULT_LIMIT: Final = 200
_ELLIPSIS: Final = "..."
# What stands where a secret was (credentials.py's JSON walk writes the same).
REDACTED: Final = "[redacted]"
# Slack's token shapes (xoxp-, xoxb-, xoxe.xoxp-, xoxe-, xapp-, xoxa-, xoxr-, xoxs-, xoxc-,
# xoxd-): masked wherever a person, a model or a server may have put one into text that is
# shown. At the start of a word any such prefix is a token; glued to a letter before it (an
# escape sequence's final letter, "\x1b[2Jxoxp-...", or "Bearerxoxb-...") only the prefix
# followed by digits and a dash, as every issued token is. "xoxo-party.png" or "maxoxa-1"
# are not tokens and stay. In any case: an upper-cased echo of a token is the token.
# Signs read as "-" that are no dash to Unicode (category Pd): minus, modifier letter
# minus, hyphen bullet, heavy minus.
MINUS_SIGNS: Final = "\u2212\u02d7\u2043\u2796"
# A dash is any a model, a chat app or a word processor writes for "-" (Unicode's dashes,
# category Pd: a non-breaking hyphen, an en or em dash; minus signs), white space after it
# (a line break where a chat wrapped the token, a space a model put there: see below) part
# of the token: "xoxp\u2013...", or of "xoxp-1-2-3-\nsecret" the secret, was shown whole.
_DASH: Final = (
    "[-\u058a\u05be\u1400\u1806\u2010-\u2015\u2e17\u2e1a\u2e3a\u2e3b\u2e40\u2e5d\u301c"
    f"\u3030\u30a0\ufe31\ufe32\ufe58\ufe63\uff0d\U00010ead{MINUS_SIGNS}]"
    # White space after it only before what a token's part is (six hex digits or more, or
    # six letters and digits or more with a digit: a rotating token's or a refresh token's
    # base64, a bot token's secret): prose's "a user token (xoxp- and digits)" is no token,
    # and stays; "xoxe.xoxp-1-\nMi0y..." was shown from its line break on.
    "(?:\\s+(?=[0-9A-Fa-f]{6}|(?=[A-Za-z]*[0-9])[A-Za-z0-9]{6}))?"
)
_SLACK_PREFIX: Final = rf"(?:xoxe\.)?(?:xox[abcdeprs]|xapp){_DASH}"
# What follows the prefix: letters, digits, "%", "." and "_", and dashes as above.
_TOKEN_REST: Final = rf"[A-Za-z0-9%._]*(?:{_DASH}[A-Za-z0-9%._]*)*"
_TOKEN_SHAPE: Final = re.compile(
    rf"(?<![A-Za-z0-9]){_SLACK_PREFIX}[A-Za-z0-9%]{_TOKEN_REST}"
    rf"|{_SLACK_PREFIX}[0-9]+{_DASH}{_TOKEN_REST}",
    re.IGNORECASE,
)
# As Slack issues them: the prefix, a number, a dash, then letters, digits and dashes.
_WHOLE_TOKEN: Final = re.compile(
    rf"{_SLACK_PREFIX}[0-9]+{_DASH}(?:[A-Za-z0-9]|{_DASH})+", re.IGNORECASE
)
# A dash of any kind the token shapes take: where none is, no token shape is, nor a reading.
_A_DASH: Final = re.compile(_DASH)
_ASCII_LOWER: Final = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
# What starts an escape a reader decodes at a glance: a percent-escape (a URL), an HTML
# character reference (an error page), a JSON or Python escape (\\u002d, \\x2d,
# \\U0000002d, \\055).
ESCAPE_MARKS: Final = ("%", "&", "\\")
# From a run's first backslash only: tried from each of a run's backslashes, each try runs
# to the run's end, which is quadratic in a hostile reply's run of them.
_BACKSLASH_ESCAPE: Final = re.compile(
    r"(?<!\\)\\+(?:u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2})|U([0-9a-fA-F]{8})|([0-7]{1,3}))"
)
# Escapes inside escapes (%2578 is %78 is x) are read back this many layers deep.
_READ_BACK_ROUNDS: Final = 8
# What read_back decodes, as it stands in raw text (a reply's JSON, a page quoted as it
# came). A backslash alone is not among them: Slack writes every "/" as "\/"; a backslash
# before an octal digit is (\170 is x).
# Searched for as a backslash first (a literal prefix re finds fast), the "%" and "&" apart:
# one pattern with all of them tries every position of the text.
_BACKSLASH_MARK: Final = re.compile(rb"\\[uxU0-7]")
# Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt): drawn as nothing.
# Some are printable to Python (U+034F, the variation selectors, U+3164 HANGUL FILLER).
_DRAWN_AS_NOTHING: Final = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
    "\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)


# Every byte but a-z and 0-9: what a reader skips in a secret spelled out with a separator
# between its characters ("a b c", "a-b-c", "a.b.c", one per line), or leaves unread.
_NOT_LETTER_OR_DIGIT: Final = bytes(
    byte for byte in range(256) if not (0x30 <= byte <= 0x39 or 0x61 <= byte <= 0x7A)
)
# A secret is looked for as read (``as_read``) only if this long so read, as a part of a
# token is on its own (credentials): a short password's letters spaced out are ordinary
# text, and a token's 12-character runs are found as they are spelled plainly.
READ_MIN_CHARS: Final = 16


# Cyrillic and Greek letters drawn as Latin ones (Unicode's confusables.txt, the letters
# a token's characters may be spelled with): NFKC leaves them as they are, and a token with
# its a, c, e, o, p and x so written reads as the token ("\u0445\u043e\u0445\u0440-...").
_LOOK_ALIKES: Final = str.maketrans(
    "\u0430\u0432\u0441\u0435\u043d\u0456\u0458\u043a\u043c\u043e\u0440\u0455\u0442\u0443\u0445"
    "\u0501\u04bb\u051b\u051d\u0410\u0412\u0421\u0415\u041d\u0406\u0408\u041a\u041c\u041e"
    "\u0420\u0405\u0422\u0425\u03bf\u039f\u03b1\u0391\u0392\u0395\u0396\u0397\u0399\u039a"
    "\u039c\u039d\u03a1\u03a4\u03a5\u03a7\u03bd"
    # Greek rho, lunate sigma (small and capital), yot and iota; Cyrillic palochka and
    # straight u (small and capital): "xox\u03c1-..." was shown whole.
    "\u03c1\u03f2\u03f9\u03f3\u03b9\u04cf\u04af\u04ae",
    "aBceHijKMopsTyxdhqwABCEHIJKMOPSTXooaABEZHIKMNPTYXvpcCjilyY",
)


def look_alikes_read(text: str) -> str:
    """``text`` with the Cyrillic and Greek letters drawn as Latin ones as those."""
    return text if text.isascii() else text.translate(_LOOK_ALIKES)


def as_read(text: str) -> bytes:
    """``text`` as a reader reads a secret in it: full-width and other compatibility forms
    as the ASCII they stand for (NFKC), Cyrillic and Greek look-alikes as the Latin letters
    they are drawn as, A-Z lower-cased, and only its letters and digits (a server that
    spaces a token out, or puts a dash after each of its characters, still shows it)."""
    if not text.isascii():
        text = look_alikes_read(unicodedata.normalize("NFKC", text))
    return ascii_lower(text).encode("utf-8", "surrogatepass").translate(None, _NOT_LETTER_OR_DIGIT)


# Stands for a secret too short to look for as read: no reading holds it (only a-z, 0-9).
_NEVER_READ: Final = b"\xff"


def as_read_bytes(data: bytes) -> bytes:
    """``as_read`` of UTF-8 text as it came (a reply's bytes), invalid bytes as U+FFFD."""
    if data.isascii():
        return data.lower().translate(None, _NOT_LETTER_OR_DIGIT)
    return as_read(data.decode("utf-8", "replace"))


def as_read_secret(secret: str) -> bytes:
    """``as_read`` of a secret, or what no reading holds when that is too short to tell
    from ordinary text (``READ_MIN_CHARS``): ``in`` a reading, with no length to test."""
    read = as_read(secret)
    return read if len(read) >= READ_MIN_CHARS else _NEVER_READ


def shown(text: str, limit: int = DEFAULT_LIMIT) -> str:
    """``text`` bounded to ``limit`` characters, printable, whitespace collapsed, anything
    shaped like a Slack token masked (a server may echo one cut short, which no exact
    redaction finds)."""
    # Look at a little more than the limit only: the rest is never shown.
    looked_at = text[: limit * 4 + 16]
    left_out = len(text) > len(looked_at)
    head = without_tokens(looked_at)
    if not head.isascii():
        # Masked again once they are out: one between a token's characters hid it, and one
        # between a word and a token ("Bearer\u200bxoxp-...") was masked with it in.
        head = without_tokens(_DRAWN_AS_NOTHING.sub("", head))
        # Looked at as it came: its plain letters masked first, a token whose prefix is
        # plain and whose secret is in look-alikes ("xoxp-1-2-3-\u0441\u0430...") was cut
        # at the first of them, and the rest quoted.
        if _look_alikes_spell_a_token(_DRAWN_AS_NOTHING.sub("", looked_at)):
            return REDACTED
        # In full-width letters (U+FF01-U+FF5E), read as the token they spell, accents aside
        # (where a dash is: no token is without one).
        compatible = unicodedata.normalize("NFKC", head)
        read = look_alikes_read(_unaccented(compatible) if has_dash(compatible) else compatible)
        if read != head and without_tokens(read) != read:
            return REDACTED
    if _hides_a_token(head):
        return REDACTED
    if head.isprintable():  # the usual text: one pass in C, no character made again
        cleaned = head
    else:
        cleaned = "".join(
            ch if ch.isprintable() else ("?" if not ch.isspace() else " ") for ch in head
        )
    cleaned = " ".join(cleaned.split())
    if len(cleaned) > limit or left_out:
        return letters_up_to(cleaned, max(0, limit - len(_ELLIPSIS))) + _ELLIPSIS
    return cleaned


def letters_up_to(text: str, end: int) -> str:
    """``text[:end]``, or up to the letter whose accents ``end`` falls among: a name in
    decomposed form (macOS's NFD, "\\u0438\\u0306" for "\\u0439") cut between a letter and
    its accent showed a letter it does not have."""
    while 0 < end < len(text) and joins_previous(text[end]):
        end -= 1
    return text[:end]


def joins_previous(character: str) -> bool:
    """Whether ``character`` is drawn with the one before it: a combining mark, or a Hangul
    vowel or final jamo (a Korean name in macOS's NFD: "\\u1112\\u1161" for "\\ud558"; cut
    or counted apart, a syllable showed a consonant alone)."""
    return unicodedata.category(character) in ("Mn", "Mc", "Me") or (
        "\u1160" <= character <= "\u11ff" or "\ud7b0" <= character <= "\ud7ff"
    )


def _look_alikes_spell_a_token(text: str) -> bool:
    """Whether ``text``'s look-alike letters, read as Latin, and its letters read without
    their accents make or change a token shape: "x\\u0301oxp-..." or "x\\u00f3xp-..." reads
    as the token, and was shown whole (an accent drawn on a letter hid it from the mask)."""
    if not has_dash(text):  # no token shape is without its dash, and none reads as one
        return False
    read = look_alikes_read(_unaccented(text))
    if read == text:
        return False
    return [found.group() for found in _TOKEN_SHAPE.finditer(read)] != [
        found.group() for found in _TOKEN_SHAPE.finditer(text)
    ]


def has_dash(text: str) -> bool:
    """Whether ``text`` holds a dash the token shapes take (``_DASH``): an en dash or a minus
    sign as well as "-" ("x\\u00f3xp\\u2013..." was shown whole, looked at for "-" only)."""
    return "-" in text or (not text.isascii() and _A_DASH.search(text) is not None)


def _unaccented(text: str) -> str:
    """``text`` with the marks drawn on its letters left out, a composed letter's too (NFD:
    "\\u00f3" is "o" and its accent): the letters a reader reads."""
    return "".join(
        character
        for character in unicodedata.normalize("NFD", text)
        if unicodedata.category(character) not in ("Mn", "Me")
    )


def _hides_a_token(head: str) -> bool:
    """Whether ``head`` (its token shapes masked) spells one with what is not printable
    left out (ESC or NUL after each of a token's characters, drawn as "?" or as nothing) or
    its escapes read back (a percent-escaped token): then it is shown as REDACTED whole."""
    bare = head if head.isprintable() else "".join(ch for ch in head if ch.isprintable())
    if any(mark in bare for mark in ESCAPE_MARKS):
        bare = read_back(bare)
    return bare != head and without_tokens(bare) != bare


def printable(text: str) -> str:
    """``text`` with what a terminal draws as nothing taken out and every other character
    that is not printable (ESC, BEL, a line break) as ``?``: one line, no escape sequence."""
    if not text.isascii():
        text = _DRAWN_AS_NOTHING.sub("", text)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def redacted(text: str, secrets: Sequence[str]) -> str:
    """``text`` with every place a secret stands replaced: where secrets overlap (a token's
    runs, cut short where a server echoed them), the whole stretch they cover is one
    REDACTED, so no part of any is left between two."""
    return redacted_folded(text, folded_secrets(secrets))


class Needles:
    """Secrets as the searches look for them, made once for the many strings of one reply:
    ``folded``, each A-Z lower-cased; ``read``, each as read (``as_read_secret``), made
    when first looked for (most texts are too short to spell a secret so)."""

    __slots__ = ("_read", "_searched", "_secrets", "folded")

    def __init__(self, secrets: Sequence[str]) -> None:
        self._secrets = tuple(secret for secret in secrets if secret)
        self.folded = tuple(ascii_lower(secret) for secret in self._secrets)
        self._read: tuple[bytes, ...] | None = None
        self._searched: tuple[bytes, ...] = ()

    @property
    def read(self) -> tuple[bytes, ...]:
        """Each secret as read, but those holding another's (``_innermost``)."""
        return self._made_read()

    def read_in(self, reading: bytes) -> bool:
        """Whether ``reading`` (``as_read`` of a text) holds a secret as read."""
        self._made_read()
        return any(read in reading for read in self._searched)

    def _made_read(self) -> tuple[bytes, ...]:
        """``read``, made on first use, with the distinct forms ``read_in`` searches."""
        if self._read is None:
            read = _innermost([as_read_secret(secret) for secret in self._secrets])
            self._searched = tuple(dict.fromkeys(form for form in read if form != _NEVER_READ))
            self._read = read
        return self._read

    def with_more(self, secrets: Sequence[str]) -> Needles:
        """These secrets and ``secrets``, in one."""
        return Needles((*self._secrets, *secrets))

    def __repr__(self) -> str:  # a traceback's locals show how many, never which
        return f"Needles({len(self.folded)} secrets, {REDACTED})"

    def __reduce__(self) -> NoReturn:
        raise TypeError("Needles cannot be pickled: it would write the secrets out")


def folded_secrets(secrets: Sequence[str]) -> Needles:
    """Each secret that is not empty, A-Z lower-cased and as read: what ``redacted_folded``
    looks for."""
    return Needles(secrets)


def _innermost(reads: list[bytes]) -> tuple[bytes, ...]:
    """``reads`` with each one that holds another (a token, what follows its prefix: both
    hold its secret) as what no reading holds: a reading that holds it holds that other, and
    is found by it. A token's forms are then a few searches (its secret, in hex, in base64),
    not thirty."""
    inner: list[bytes] = []
    for read in sorted(set(reads) - {_NEVER_READ}, key=len):
        if not any(shorter in read for shorter in inner):
            inner.append(read)
    return tuple(read if read in inner else _NEVER_READ for read in reads)


def redacted_folded(text: str, needles: Needles) -> str:
    """``redacted`` given the secrets as ``folded_secrets`` makes them."""
    spans: list[tuple[int, int]] = []
    folded = ascii_lower(text)  # a secret echoed in another case is found too
    for needle in needles.folded:
        start = folded.find(needle)
        while start != -1:
            spans.append((start, start + len(needle)))
            start = folded.find(needle, start + 1)
    if not spans:
        return REDACTED if spelled_otherwise_folded(text, needles) else text
    if not text.isascii():
        # A run left in plain letters is found above; the rest of the secret, in look-alike
        # letters, was quoted (redacted whole, as a text that spells it otherwise is).
        reading = ascii_lower(look_alikes_read(text))
        if reading != folded and any(
            reading.count(needle) > folded.count(needle) for needle in needles.folded
        ):
            return REDACTED
    if "\n" in text or "\r" in text:
        # Wrapped (base64 a line every 20 or 76 characters): a piece found in one line (a
        # run of the secret, in base64) is no reason to quote the rest of its lines. Counted:
        # the same form on one line as well (the header echoed twice) hid a wrapped one, and
        # the runs redacted in its lines broke it for the reading of what is left.
        joined = ascii_lower(joined_lines(text))
        if any(joined.count(needle) > folded.count(needle) for needle in needles.folded):
            return REDACTED
    spans.sort()
    pieces: list[str] = []
    done = 0  # text[:done] is written (or covered)
    cover_start, cover_end = spans[0]
    for start, end in spans[1:]:
        if start <= cover_end:
            cover_end = max(cover_end, end)
            continue
        pieces += (text[done:cover_start], REDACTED)
        done = cover_end
        cover_start, cover_end = start, end
    pieces += (text[done:cover_start], REDACTED, text[cover_end:])
    cleaned = "".join(pieces)
    return REDACTED if spelled_otherwise_folded(cleaned, needles) else cleaned


# A run of line breaks: wrapped text is joined back at each (its indents taken off too).
_LINE_BREAKS: Final = re.compile(r"[\r\n]+")


def joined_lines(text: str) -> str:
    """``text`` with each run of line breaks, and the blanks (spaces, tabs) on either side
    of it, taken out: a wrapped echo read as one line. Split at the breaks and each
    piece's ends stripped, in time linear in the text: a pattern with the blanks before
    the break tries every start in a run of blanks, to its end (quadratic, a reply of
    one long run of spaces held a thread for minutes)."""
    pieces = _LINE_BREAKS.split(text)
    last = len(pieces) - 1
    if last == 0:
        return text
    return "".join(
        piece.rstrip(" \t")
        if index == 0
        else piece.lstrip(" \t")
        if index == last
        else piece.strip(" \t")
        for index, piece in enumerate(pieces)
    )


def spelled_otherwise(text: str, secrets: Sequence[str]) -> bool:
    """Whether ``text`` holds a secret spelled with escapes a reader decodes at a glance:
    percent-escapes, HTML character references, JSON's or Python's \\u and \\x, Python's \\U
    and octal \\ooo (a server that echoes the token in a URL, an error page, or JSON that is
    quoted as it came).
    Such a text is redacted whole: where the secret stood in it is not known. So is one
    whose characters, NULs left out, spell a secret (UTF-16 or UTF-32 quoted), and one
    whose lines, joined, hold a secret: base64 as ``base64`` and MIME write it, a line
    break every 76 characters, cut the token's base64 form in two. So is one whose ASCII
    characters alone spell a secret: a character a terminal draws as nothing (U+034F, a
    variation selector) after each of the token's shows the token whole. So is one that
    spells a secret as a reader reads it (``as_read``): spaced out, a dash after each of
    its characters, or in full-width letters.
    """
    return spelled_otherwise_folded(text, folded_secrets(secrets))


def spelled_otherwise_folded(text: str, needles: Needles) -> bool:
    """``spelled_otherwise`` given the secrets as ``folded_secrets`` makes them."""
    escaped = any(mark in text for mark in ESCAPE_MARKS)
    broken = "\n" in text or "\r" in text
    if not escaped and not broken and "\x00" not in text and text.isascii():
        return _read_otherwise(text, needles)
    read = read_back(text) if escaped else text
    if broken:
        read = joined_lines(read)
    # UTF-16 or UTF-32 quoted as it came ("0\x00c\x00...", a stack's refusal of a line):
    # the NULs between its characters, read back, would hide every secret.
    read = read.replace("\x00", "")
    folded = ascii_lower(read)
    if any(needle in folded for needle in needles.folded):
        return True
    if not read.isascii():
        # What is not ASCII after each of an ASCII secret's characters (U+034F, drawn as
        # nothing) hides it: looked for with those taken out. A secret that is not all
        # ASCII (a proxy password) is looked for as it is, above.
        bare = ascii_lower(read.encode("ascii", "ignore").decode("ascii"))
        if any(needle in bare for needle in needles.folded if needle.isascii()):
            return True
    return _read_otherwise(read, needles)


def _read_otherwise(text: str, needles: Needles) -> bool:
    """Whether ``text`` spells a secret as a reader reads it (``as_read``): spaced out, a
    dash or a line between its characters, or in full-width letters."""
    reading = as_read(text)
    if len(reading) < READ_MIN_CHARS:  # a name, a number, a short word: no needle made
        return False
    return needles.read_in(reading)


def may_spell_otherwise(raw: bytes) -> bool:
    """Whether ``raw`` holds an escape ``read_back`` decodes: then a string read from it
    may spell a secret that no search of ``raw`` itself finds."""
    return b"%" in raw or b"&" in raw or _BACKSLASH_MARK.search(raw) is not None


def read_back(text: str) -> str:
    """``text`` as a reader decodes it: its escapes (``ESCAPE_MARKS``) replaced by what they
    stand for, layer after layer."""
    for _ in range(_READ_BACK_ROUNDS):
        decoded = _BACKSLASH_ESCAPE.sub(_escaped_character, text)
        decoded = percent_decoded(html.unescape(decoded))
        if decoded == text:
            break
        text = decoded
    return text


# A run of percent-escapes: decoded together, as UTF-8 (one character may take several).
_PERCENT_RUN: Final = re.compile(r"(?:%[0-9A-Fa-f]{2})+")


def percent_decoded(text: str) -> str:
    """``urllib.parse.unquote(text, errors="replace")``, with a bounded cost per character:
    unquote raises and catches an error for each "%" that starts no escape (0.7 s for a
    hostile reply head of 1 MB of "%", 0.02 s here), and a reply's text is the server's."""
    if "%" not in text:
        return text
    return _PERCENT_RUN.sub(_percent_run_decoded, text)


def _percent_run_decoded(found: re.Match[str]) -> str:
    run = found.group(0)
    if len(run) == 3:  # most runs: one escape (a "%41x%41x" text is all such)
        return _one_escape_decoded(run)
    return bytes.fromhex(run.replace("%", "")).decode("utf-8", "replace")


@functools.cache  # at most 22 x 22 spellings of one escape: made on first use, not on import
def _one_escape_decoded(run: str) -> str:
    return bytes.fromhex(run[1:]).decode("utf-8", "replace")


def _escaped_character(found: re.Match[str]) -> str:
    hexadecimal, octal = found.group(1) or found.group(2) or found.group(3), found.group(4)
    code_point = int(hexadecimal, 16) if hexadecimal else int(octal, 8)
    # \U7fffffff spells no character: it stays as it is.
    return chr(code_point) if code_point <= sys.maxunicode else found.group(0)


def without_tokens(text: str) -> str:
    """``text`` with anything shaped like a Slack token, in any case, replaced by
    ``[redacted]``."""
    folded = ascii_lower(text)
    if "xox" not in folded and "xapp" not in folded:
        return text
    return _TOKEN_SHAPE.sub(REDACTED, text)


def is_token(text: str) -> bool:
    """Whether ``text`` is a Slack token as a whole (quotes and spaces around it aside), as
    Slack issues them (``xoxp-123-...``): a name such as ``xoxb-2024.png`` or
    ``xoxp-notes`` is none, though masked like one where a token may hide in it."""
    return _WHOLE_TOKEN.fullmatch(text.strip().strip("'\"")) is not None


def has_lone_surrogate(text: str) -> bool:
    """Whether ``text`` cannot be written as UTF-8: JSON's "\\ud800" decodes to such a text,
    which no answer, file name or URL can carry."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def ascii_lower(text: str) -> str:
    """``text`` with A-Z in lower case and nothing else changed: the same length, so a
    place found in it is the same place in ``text`` (``str.lower`` lengthens some letters)."""
    return text.lower() if text.isascii() else text.translate(_ASCII_LOWER)


def quoted(text: str, limit: int = 120) -> str:
    """A person's or a model's value quoted back in a message: tokens masked, bounded,
    printable (``repr`` escapes what ``shown`` leaves, such as quotes)."""
    return repr(shown(text, limit))


def shown_path(path: object) -> str:
    """A path, URL or folder a person typed, printed back: tokens masked, printable, bounded."""
    return shown(str(path), 300)


_QUOTES: Final = ('"', "'", "`", "\u201c\u201d", "\u2018\u2019")


def wrapping_advice(typed: str) -> str:
    """What to leave out of a path a model or a person wrapped in white space or quotes,
    which are taken as part of the name (a file may really have them: nothing is dropped).

    A clause ending in "or ", put before what else to do; empty for a path not so wrapped.
    Said because ``shown`` collapses the white space a quoted path would show.
    """
    if typed != typed.strip():
        return "white space at its start or end is part of the name: leave it out, or "
    for quotes in _QUOTES:
        opening, closing = quotes[0], quotes[-1]
        if len(typed) > 2 and typed[0] == opening and typed[-1] == closing and typed[1:-1].strip():
            return "the quotes around it are part of the name: leave them out, or "
    return ""
