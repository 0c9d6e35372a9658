"""The Slack token, kept out of every text this package produces.

A ``SlackToken`` only gives up its value through ``reveal()``, which the
transport calls to fill the ``Authorization`` header. Its repr and str name the
kind of token, never the token. ``scrub`` removes the token from anything that
came back from a server, in case a faulty or hostile server echoes it.
"""

from __future__ import annotations

import base64
import re
import unicodedata
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Final, NoReturn

from ocp_users_photo.errors import TOKEN_PATH, Problem
from ocp_users_photo.safe_text import (
    REDACTED,
    Needles,
    as_read_bytes,
    ascii_lower,
    folded_secrets,
    may_spell_otherwise,
    redacted_folded,
)
from ocp_users_photo.token_kinds import TokenKind, token_kind


class SlackToken:
    """A Slack token whose value never reaches a repr, a log line or a message.

    ``companions``: other secrets the server this token goes to knows as well, and could
    echo in an answer to it (an installation's refresh token, the app's client secret):
    redacted wherever the token is, though they never travel with it.
    """

    __slots__ = ("_companions", "_secret_texts", "_value")

    def __init__(self, value: str, *, companions: SecretTexts | None = None) -> None:
        self._value = value
        self._companions = companions
        self._secret_texts: SecretTexts | None = None

    @property
    def kind(self) -> TokenKind:
        return token_kind(self._value)

    def reveal(self) -> str:
        """The token itself: for the Authorization header and nothing else."""
        return self._value

    def redaction_forms(self) -> tuple[str, ...]:
        """What to remove wherever the token might be echoed (see ``token_secret_forms``)."""
        return self.secret_texts().texts()

    def secret_texts(self) -> SecretTexts:
        """``redaction_forms`` held as SecretTexts, made once: every call with this token
        searches its reply for them, and their searchable forms are kept with them."""
        if self._secret_texts is None:
            own = SecretTexts(token_secret_forms(self._value))
            companions = self._companions
            self._secret_texts = own if companions is None else SecretTexts.joined(own, companions)
        return self._secret_texts

    def __repr__(self) -> str:
        return f"SlackToken(kind={self.kind!r}, value={REDACTED!r})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SlackToken) and other._value == self._value

    def __hash__(self) -> int:
        return hash((SlackToken, self._value))

    def __reduce__(self) -> NoReturn:
        raise TypeError("a SlackToken cannot be pickled: it would write the token out")


# Up to this many bytes, one search for all of a token's forms beats a search for each
# (measured: 2 against 11 us at 30 bytes, even at about 160).
_ONE_SEARCH_BYTES: Final = 128
# The characters JSON may write with a short escape (\" \\ \/ \b \f \n \r \t).
_SHORT_ESCAPED: Final = frozenset('"\\/\b\f\n\r\t')


class SecretTexts:
    """Texts no output may show (a token's forms, a client secret, a proxy's password), held
    so that a traceback's locals, an error reporter's captured frames (Sentry's default) or
    pytest's shown arguments say how many there are, never which: a tuple of them in a
    frame an error passes through would be printed whole."""

    __slots__ = ("_escapable", "_folded", "_needles", "_one_search", "_texts")

    def __init__(self, *groups: Iterable[str]) -> None:
        self._texts = tuple(dict.fromkeys(text for group in groups for text in group if text))
        self._folded: tuple[bytes, ...] | None = None
        self._one_search: re.Pattern[bytes] | None = None
        self._escapable: tuple[bool, ...] | None = None
        self._needles: Needles | None = None

    @classmethod
    def joined(cls, *parts: SecretTexts) -> SecretTexts:
        """The texts of every part, in one; the part itself where it is the only one with
        any (a call's token alone, the usual case), so what it has worked out is kept."""
        holding = [part for part in parts if part._texts]
        if len(holding) == 1:
            return holding[0]
        return cls(*(part._texts for part in holding))

    def texts(self) -> tuple[str, ...]:
        """The texts themselves: for redaction, called where they are used, never kept."""
        return self._texts

    def folded(self) -> tuple[bytes, ...]:
        """Each text with A-Z lower-cased, as UTF-8: what to look for in bytes lower-cased
        the same way (an echo in another case is found too). Made once."""
        if self._folded is None:
            self._folded = tuple(ascii_lower(text).encode() for text in self._texts)
        return self._folded

    def found_in(self, folded: bytes) -> bool:
        """Whether ``folded`` (A-Z lower-cased, as ``folded()``) holds one of the texts as it
        is. A short text (an argument's view) is searched once for all of them, with a
        pattern made once: a token's 60 forms searched one by one took 11 us, the pattern 2;
        past ``_ONE_SEARCH_BYTES`` the searches one by one are the faster."""
        if not self._texts:
            return False
        if len(folded) > _ONE_SEARCH_BYTES:
            return any(form in folded for form in self.folded())
        if self._one_search is None:
            self._one_search = re.compile(b"|".join(map(re.escape, self.folded())))
        return self._one_search.search(folded) is not None

    def needles(self) -> Needles:
        """The texts as ``safe_text``'s searches look for them (``folded_secrets``): A-Z
        lower-cased, and as a reader reads them (letters and digits only, full-width ones
        as ASCII). Made once."""
        if self._needles is None:
            self._needles = folded_secrets(self._texts)
        return self._needles

    def escapable(self) -> tuple[bool, ...]:
        """For each text, whether JSON may spell one of its characters with a short escape
        (``\\"``, ``\\/``, ...): then an escaped echo of it hides from a plain search. Made once."""
        if self._escapable is None:
            self._escapable = tuple(not _SHORT_ESCAPED.isdisjoint(text) for text in self._texts)
        return self._escapable

    def __add__(self, other: SecretTexts) -> SecretTexts:
        return SecretTexts.joined(self, other)

    def __bool__(self) -> bool:
        return bool(self._texts)

    def __repr__(self) -> str:
        return f"SecretTexts({len(self._texts)} texts, {REDACTED})"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("SecretTexts cannot be pickled: it would write the secrets out")


class AuthorizationHeader:
    """The ``Authorization`` header's value, kept as a SlackToken keeps the token: the HTTP
    stack puts it on the request as the request is built, so no mapping of headers in a
    frame an error passes through holds it (an error reporter walks mappings)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"AuthorizationHeader({REDACTED!r})"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("an AuthorizationHeader cannot be pickled: it would write it out")


def form_text(value: str | SlackToken) -> str:
    """A form field's value as sent: a credential (a refresh token, an OAuth code) travels
    in a SlackToken until the body is encoded, so no frame's locals show it as text."""
    return value.reveal() if isinstance(value, SlackToken) else value


def field_secret_forms(value: str | SlackToken | None) -> tuple[str, ...]:
    """What to remove wherever a credential field's value might be echoed."""
    if isinstance(value, SlackToken):
        return value.redaction_forms()
    return token_secret_forms(value or "")


# A part of a token shorter than this is not removed on its own: it could be ordinary text.
_MIN_PART_CHARS: Final = 16
# Any run this long of a token's random last segment is removed too: a server may echo a
# piece of it, cut short, with no prefix to know it by (12 hex digits are 48 random bits).
SECRET_RUN_CHARS: Final = 12


# Asked for a fresh token when Slack answers token_expired; None when none can be had.
Renew = Callable[[SlackToken], Awaitable["SlackToken | None"]]


def token_secret_forms(token: str) -> tuple[str, ...]:
    """The token, and the parts of it a server might echo without the rest: what follows
    its prefix (``xoxp-``, ``xoxe.xoxp-``), its last segment, the random secret itself, and
    every run of SECRET_RUN_CHARS of that segment (a piece of it, cut short); the token
    and its secret as base64 writes them, wherever they stand in what was encoded; and
    the token, what follows its prefix and its last segment, whole, in hex.
    Parts under 16 characters are left out (a test's ``xoxp-1-2-3`` would scrub digits)."""
    if not token:
        return ()
    forms = [token, *_base64_forms(token)]
    if len(token) >= _MIN_PART_CHARS:
        forms.append(token.encode("utf-8", "surrogatepass").hex())
    dash = token.find("-")
    if dash != -1:
        body = token[dash + 1 :]
        last = token.rsplit("-", 1)[1]
        whole_parts = [part for part in (body, last) if len(part) >= _MIN_PART_CHARS]
        forms.extend(whole_parts)
        # Written in hex as well (a server dumping what it got), whole: found in any case.
        forms.extend(part.encode("utf-8", "surrogatepass").hex() for part in whole_parts)
        if len(last) >= _MIN_PART_CHARS:
            runs = secret_runs(last)
            forms.extend(runs)
            forms.extend(_base64_forms(last))
            # Each run in base64 and hex as well: a dump of the header cut at a length holds
            # no whole form above. Base64 writes whole every third run, those starting at a
            # multiple of three from where the encoding began: together they cover what
            # the dump holds of the secret, but for a character or two at either end.
            forms.extend(_run_encodings(runs))
    return tuple(dict.fromkeys(forms))


def _base64_forms(text: str) -> list[str]:
    """``text`` as it shows in base64 of anything holding it (a server echoing the token in
    a Basic header's value, a warning, an image's metadata): base64 writes each three bytes
    as four characters, so the text's bytes from the first, second or third on, in whole
    threes, come out the same wherever they stood. Standard and URL-safe alphabets (a
    token's characters make neither "+" nor "/", so a JSON reply's escaped slashes never
    call for a careful search on their account)."""
    raw = text.encode("utf-8", "surrogatepass")
    forms: list[str] = []
    for start in range(3):
        whole = raw[start : start + (len(raw) - start) // 3 * 3]
        if len(whole) * 4 // 3 < _MIN_PART_CHARS:
            continue
        forms.append(base64.b64encode(whole).decode("ascii"))
        forms.append(base64.urlsafe_b64encode(whole).decode("ascii"))
    return forms


def _run_encodings(runs: list[str]) -> list[str]:
    """Each run in base64 (both alphabets; a run written from the start of a three-byte
    group) and in hex."""
    forms: list[str] = []
    for run in runs:
        raw = run.encode("utf-8", "surrogatepass")
        forms.append(base64.b64encode(raw).decode("ascii"))
        forms.append(base64.urlsafe_b64encode(raw).decode("ascii"))
        forms.append(raw.hex())
    return forms


def secret_runs(secret: str, length: int = SECRET_RUN_CHARS) -> list[str]:
    """Every run of ``length`` characters of ``secret``, in order."""
    return [secret[start : start + length] for start in range(len(secret) - length + 1)]


# Far past any Slack token (a rotating one is some 150 characters), yet under the header
# size servers take (8 KiB and more): a longer value is a paste gone wrong, which Slack's
# front end would refuse as a malformed request, and the advice then blamed the address.
MAX_TOKEN_CHARS: Final = 4096
# Slack's client ids: two runs of digits joined by a dot (1234567890.1234567890).
_CLIENT_ID_SHAPE: Final = re.compile(r"[0-9]{1,32}\.[0-9]{1,32}")


def shown_client_id(value: object) -> str:
    """``value`` quoted when it is shaped like a Slack client id, else said not to be: a
    host that swapped its client id and secret (SLACK_CLIENT_ID holding the secret) would
    otherwise have the secret quoted in an error or a repr."""
    if isinstance(value, str) and _CLIENT_ID_SHAPE.fullmatch(value):
        return repr(value)
    return "<not shaped like a Slack client id (digits.digits): the client secret?>"


def _credential_refusal(name: str, value: object) -> str | None:
    """Why ``value`` cannot be the app's ``name``; None when it can."""
    if not isinstance(value, str) or not value:
        return f"{name} must be the app's {name} (text) from its Basic Information page"
    # Such characters would corrupt the Basic header (a ':' would split the pair).
    usable = value.isascii() and value.isprintable() and not value.isspace()
    if not usable or " " in value or (name == "client_id" and ":" in value):
        return f"{name} holds characters Slack's credentials never have: copy it again"
    return None


class ClientCredentials:
    """An OAuth app's client id and secret, for oauth.v2.access; the secret never in a repr.

    Sent by HTTP Basic auth, as Slack recommends for oauth.v2.access, never as form fields.
    """

    __slots__ = ("_secret", "client_id")

    def __init__(self, client_id: str, client_secret: str) -> None:
        self.client_id = client_id
        self._secret = client_secret
        # Held only here when a refusal raises: an error reporter sends a frame's locals.
        del client_secret
        refusal = _credential_refusal("client_id", client_id) or _credential_refusal(
            "client_secret", self._secret
        )
        if refusal is not None:
            raise ValueError(refusal)

    def basic_authorization(self) -> str:
        """The ``Authorization`` header value: HTTP Basic of the id and the secret."""
        return "Basic " + basic_credentials(self.client_id, self._secret)

    def secrets(self) -> tuple[str, str]:
        """What a reply must never show: the secret, and the Basic pair that encodes it."""
        return self._secret, basic_credentials(self.client_id, self._secret)

    def __repr__(self) -> str:
        shown = shown_client_id(self.client_id)
        return f"ClientCredentials(client_id={shown}, client_secret={REDACTED!r})"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("ClientCredentials cannot be pickled: it would write the secret out")


def basic_credentials(user: str, password: str) -> str:
    """HTTP Basic's credentials (RFC 7617): ``user:password`` in UTF-8, base64-encoded."""
    return base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def check_token(value: object, *, origin: str) -> tuple[SlackToken | None, list[Problem]]:
    """Check a token for users.setPhoto: well formed, and a person's user token.

    ``origin`` names where the value came from (``"the call"``, ``"SLACK_USER_TOKEN"``) so
    the message says where to fix it. Problems never quote the value.
    """
    token, problems = check_token_text(value, origin=origin)
    if token is None:
        return None, problems
    problem = user_token_problem(token, origin=origin)
    return (None, [problem]) if problem is not None else (token, [])


def check_token_text(value: object, *, origin: str) -> tuple[SlackToken | None, list[Problem]]:
    """A well-formed Slack token of any kind, or why the value is not one."""
    path = TOKEN_PATH
    if not isinstance(value, str):
        return None, [
            Problem(
                path,
                f"the token from {origin} must be text, not {type(value).__name__}: give the "
                "user token as a string (xoxp-...)",
            )
        ]
    if not value:
        return None, [Problem(path, f"the token from {origin} is empty: give a user token")]
    if len(value) > MAX_TOKEN_CHARS:
        return None, [
            Problem(
                path,
                f"the token from {origin} is {len(value)} characters long, longer than any "
                "Slack token: copy the user token (xoxp-...) alone from the app's OAuth & "
                "Permissions page",
            )
        ]
    bare = value.strip()
    if not bare:
        # A placeholder cleared but not its white space: no token to copy "again".
        return None, [
            Problem(
                path,
                f"the token from {origin} is blank (white space only): set it to the user "
                "token (xoxp-...)",
            )
        ]
    if bare[:7].lower() == "bearer " and bare[7:].lstrip().startswith(("xox", "xapp-")):
        # Copied from an Authorization header: the tool writes that header itself.
        return None, [
            Problem(
                path,
                f"the token from {origin} starts with 'Bearer ': give the token alone "
                "(xoxp-...), the tool adds 'Bearer ' itself",
            )
        ]
    clean = bare.isascii() and bare.isprintable() and not any(ch.isspace() for ch in bare)
    if bare != value and clean and bare.startswith(("xox", "xapp-")):
        # Read from a file with its line end, or pasted with a space.
        return None, [
            Problem(
                path,
                f"the token from {origin} has spaces or a line end around it: remove them "
                "(a token read from a file keeps the file's line end: strip it)",
            )
        ]
    if value.startswith(("xox", "xapp-")) and _is_placeholder(value):
        return None, [_placeholder_problem(origin)]
    if not value.isascii() or not value.isprintable() or any(ch.isspace() for ch in value):
        # Such a value would corrupt or split the Authorization header.
        return None, [
            Problem(
                path,
                f"the token from {origin} holds spaces, control or non-ASCII characters: "
                "copy the token again without surrounding text",
            )
        ]
    if (value[0] in "\"'" or value[-1] in "\"'") and value.strip("\"'").startswith(
        ("xox", "xapp-")
    ):
        # Pasted with its quotes (or the closing one alone): from a .env file or a shell
        # line, or quoted again in JSON; Slack would answer invalid_auth.
        return None, [
            Problem(
                path,
                f"the token from {origin} has {_stray_quotes(value)} (in a JSON env block, "
                "the value's own quotes are the only ones it needs)",
            )
        ]
    if value.startswith(("xox", "xapp-")):
        cut = _cut_token_problem(value, origin)
        if cut is not None:
            return None, [cut]
    if value[0] in _PASTED_OPENERS and value.lstrip(_PASTED_OPENERS).startswith(("xox", "xapp-")):
        # "`xoxp-...`" copied whole from a README was told it is no Slack token, "not a
        # client or signing secret": its giver had given the user token.
        return None, [
            Problem(
                path,
                f"the token from {origin} starts with punctuation (a Markdown backtick or "
                "asterisk, a bracket), which no Slack token has: it was copied with the text "
                "around it; copy the token alone",
            )
        ]
    if not value.startswith("xox") and not value.startswith("xapp-"):
        return None, [
            Problem(
                path,
                f"the token from {origin} is not a Slack token (they start with xox): give the "
                "user token (xoxp-...) from the app's OAuth page, not a client or signing secret",
            )
        ]
    return SlackToken(value), []


def _stray_quotes(value: str) -> str:
    """Where a token's stray quote marks are, and what to do: one alone at its end was
    told "quote marks around it", which its reader looked for at the start too."""
    if value[0] not in "\"'":
        return "a quote mark at its end: remove it"
    if value[-1] not in "\"'":
        return "a quote mark at its start: remove it"
    return "quote marks around it: remove them"


# What prose puts after a word, and Markdown after code or bold text ("`xoxp-...`"): a
# token pasted from a sentence, a list or a README keeps it.
_PASTED_PUNCTUATION: Final = ".,;:!?)]}>`*"
# What prose and Markdown put before a word: "`xoxp-...`", "**xoxp-...**", "(xoxp-...)".
_PASTED_OPENERS: Final = "`*([{<"


def _cut_token_problem(value: str, origin: str) -> Problem | None:
    """Why a value that starts as a token cannot be one, or None: only its kind
    ("xoxp", "xoxp-") or ending in punctuation pasted with it ("xoxp-1-2-abc;"). Slack's
    tokens are letters, digits and hyphens after their kind; sent, either was Slack's
    invalid_auth, which says nothing of the paste."""
    _, dash, rest = value.partition("-")
    if not dash or not any(character.isalnum() for character in rest):
        return Problem(
            TOKEN_PATH,
            f"the token from {origin} is only a token's kind, with nothing after it: copy "
            "the whole user token (xoxp- and digits) from the app's OAuth & Permissions page",
        )
    if value[-1] in _PASTED_PUNCTUATION:
        return Problem(
            TOKEN_PATH,
            f"the token from {origin} ends in punctuation, which no Slack token has (they "
            "are letters, digits and hyphens): it was copied with the text after it; copy "
            "the token alone",
        )
    return None


def _is_placeholder(value: str) -> bool:
    """Whether a token is an example's stand-in ("xoxp-...", "xoxp-…", "xoxp-your-user-token",
    "xoxp-xxxx"): no Slack token has dots after its kind, and what follows the kind's
    dash is digits first (a rotating token's too), never those words."""
    body = value.partition("-")[2].lower()
    return "..." in value or "\u2026" in value or body.startswith(("your", "xxxx", "<"))


def _placeholder_problem(origin: str) -> Problem:
    return Problem(
        TOKEN_PATH,
        f"{origin} holds a placeholder, not a token (as the documentation's examples write "
        "one): replace it with the person's user token (xoxp- and digits) from the app's "
        "OAuth & Permissions page",
    )


def user_token_problem(token: SlackToken, *, origin: str) -> Problem | None:
    """Why ``token`` cannot change a person's photo (a bot or app token); None if it can."""
    path = TOKEN_PATH
    if token.kind == "bot":
        return Problem(
            path,
            f"the token from {origin} is a bot token (xoxb-); users.setPhoto changes a "
            "person's photo and needs that person's user token (xoxp-) with scope "
            "users.profile:write",
        )
    if token.kind == "refresh":
        return Problem(
            path,
            f"the token from {origin} is a refresh token (xoxe-), which only gets new access "
            "tokens: give the user token (xoxe.xoxp-... or xoxp-...) instead",
        )
    if token.kind == "app":
        return Problem(
            path,
            f"the token from {origin} is an app-level token (xapp-), which cannot call "
            "users.setPhoto: use a user token (xoxp-) with scope users.profile:write",
        )
    return None


def quotable(value: object) -> bool:
    """Whether a value may be quoted in a message or a record: a number, or a short text.

    Slack tokens are long and start with "xox" or "xapp", so one pasted into the wrong
    argument is never quoted back.
    """
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return abs(value) < 10**15
    if isinstance(value, float):
        return True
    return isinstance(value, str) and value.isprintable() and short_untokenlike(value)


def short_untokenlike(text: str) -> bool:
    """Whether ``text`` is short enough to quote and does not start as a Slack token does
    (``xox``/``xapp``, in any case: "XOXP-..." is one typed with caps lock).

    Read without what is invisible or blank, and as NFKC reads it: a paste's zero-width
    space or tab before the token ("\u200bxoxp-..."), quoted escaped, says the token all
    the same."""
    if len(text) > 16:
        return False
    seen = "".join(
        character
        for character in unicodedata.normalize("NFKC", text)
        if character.isprintable() and not character.isspace()
    )
    return not seen[:4].lower().startswith(("xox", "xapp"))


def redactor(secret: str | Sequence[str] | SecretTexts, raw: bytes) -> Callable[[Any], Any]:
    """What removes ``secret`` (one, or several) from values decoded from the JSON text ``raw``.

    A decoded string can hold a secret only if the raw text does, or if the raw text has
    an escape that could stand for one of its characters: \\u for any, and for a secret
    holding ``"``, ``\\``, ``/`` or a control character (a client secret, a base64 pair,
    a proxy password) the short escapes too (Slack writes every ``/`` as ``\\/``). A
    token's characters need none of those; otherwise nothing needs walking, which spares
    every reply a full pass over its values.
    """
    if not isinstance(secret, SecretTexts):
        secret = SecretTexts([secret] if isinstance(secret, str) else secret)
    present = held_in(raw, secret)
    if not present:
        return _unchanged

    def redact(value: Any) -> Any:
        return scrub(value, present)

    return redact


def appears_in(data: bytes, secrets: SecretTexts) -> bool:
    """Whether bytes that are no text to decode (an image's) hold one of ``secrets`` as it
    is, in any case: what may not be stored or passed on. Blocking for large data.

    A search per form costs about 0.4 ms a MiB here, and a rotated token with the secrets
    beside it has some 100 forms (every run of its secret): past ``_FORMS_SEARCHED_WHOLE``
    the data is read once for runs of printable characters as long as the shortest form
    (few in an image's compressed bytes), and only those are searched, never more bytes
    than the whole.
    """
    if not secrets:
        return False
    forms = secrets.folded()
    shortest = min(len(form) for form in forms)
    if (
        len(forms) <= _FORMS_SEARCHED_WHOLE
        or shortest < 2
        or not all(_PRINTABLE.fullmatch(form) for form in forms)
    ):
        folded = data.lower()  # A-Z only, as SecretTexts.folded
        return any(form in folded for form in forms)
    # The runs, found and joined in C, a piece of the data at a time (pieces overlapping by
    # a form's length, so that none is missed at an edge): bytes made of short runs (an
    # image of text, or a hostile server's) cost one search a form over them, as a search
    # of the whole would, and the memory of a few pieces, not ten times the data.
    runs_of = re.compile(rb"[\x21-\x7e]{%d,}" % shortest).findall
    overlap = max(len(form) for form in forms) - 1
    whole = memoryview(data)
    for start in range(0, len(data), _PIECE_BYTES):
        runs = runs_of(whole[start : start + _PIECE_BYTES + overlap])
        if runs:
            joined = b"\x00".join(runs).lower()  # no form holds a NUL: none spans two runs
            if any(form in joined for form in forms):
                return True
    return False


# A line break, as JSON escapes it or as a page has it.
_LINE_BREAK_MARKS: Final = (b"\\n", b"\\r", b"\n", b"\r")
_FORMS_SEARCHED_WHOLE: Final = 30
_PIECE_BYTES: Final = 1024 * 1024
_PRINTABLE: Final = re.compile(rb"[\x21-\x7e]+")
_OUTSIDE_ASCII: Final = bytes(range(0x80, 0x100))


def held_in(raw: bytes, secrets: SecretTexts) -> tuple[str, ...]:
    """The secrets the strings decoded from JSON text ``raw`` could hold, in any case."""
    if b"\x00" in raw:
        # UTF-16 or UTF-32 (which JSON readers take, and json.loads does): every ASCII
        # character has NULs beside it, and no form is found in the bytes as they are.
        return secrets.texts()
    if may_spell_otherwise(raw):
        # \u can spell any character, and so can a percent-escape, an HTML character
        # reference or a \x, \U or octal escape (\\x78 in JSON, \x78 or \170 in a body
        # that is no JSON, which an error quotes) in a decoded string
        # (safe_text.spelled_otherwise reads them back): each may be there.
        return secrets.texts()
    folded = raw.lower()  # A-Z only, as SecretTexts.folded
    # A secret with a character outside ASCII after each of its own (U+034F, which a
    # terminal draws as nothing) is looked for with those bytes taken out, in C: the walk
    # then reads each string so (safe_text.spelled_otherwise).
    bare = None if raw.isascii() else folded.translate(None, _OUTSIDE_ASCII)
    escaped = b"\\" in raw
    unwrapped, unwrap = folded, None
    if any(mark in raw for mark in _LINE_BREAK_MARKS):
        # A line-wrapped echo (base64 as the base64 command writes it: a line break every 76
        # characters, JSON's \n or a page's own, lines indented or not) is looked for with
        # every blank and line break taken out: more than joining its lines takes out, as
        # spelled_otherwise does (what this finds, the walk checks string by string), and
        # in C, linear (joining lines here with a pattern was quadratic in a run of blanks).
        # Each secret is looked for with the same taken out of it (a password may hold one).
        unwrap = _without_blanks
        unwrapped = _without_blanks(folded)
    # As a reader reads it (safe_text.as_read): a token spaced out, a dash or a line between
    # its characters, or in full-width letters, which none of the searches above finds.
    # Each secret is looked for so only when one of them is found (one search each for a
    # token's forms, not one for each of its pieces: safe_text.Needles.read).
    needles = secrets.needles()
    reading = as_read_bytes(unwrapped if unwrap is not None else _without_blanks(folded))
    read_found = needles.read_in(reading)
    return tuple(
        text
        for text, searched, read, escapable in zip(
            secrets.texts(), secrets.folded(), needles.read, secrets.escapable(), strict=True
        )
        if searched in folded
        or (bare is not None and searched.isascii() and searched in bare)
        or (unwrap is not None and unwrap(searched) in unwrapped)
        or (read_found and read in reading)
        or (escaped and escapable)
    )


def _without_blanks(data: bytes) -> bytes:
    """``data`` with every space, tab and line break taken out, as written or as JSON
    escapes them (in C: linear)."""
    data = data.translate(None, b" \t\r\n")
    for escaped_blank in (b"\\n", b"\\r", b"\\t"):
        data = data.replace(escaped_blank, b"")
    return data


def _unchanged(value: Any) -> Any:
    return value


def scrub(value: Any, secret: str | Sequence[str]) -> Any:
    """A copy of a JSON value with every place a secret (one, or several) stands in its
    strings redacted (``safe_text.redacted``: overlapping ones as one stretch).

    A hostile reply may hold 300,000 strings, and an escape mark that could spell a secret
    in any of them: its strings, keys too, are first searched as one text (a separator no
    escape spans between them; 0.1 s for 1 MiB here), and walked one by one only where
    that finds a secret, each shorter than every secret passed by (4 s for such a reply
    when each was searched alone)."""
    needles = folded_secrets((secret,) if isinstance(secret, str) else tuple(secret))
    if not needles.folded:
        return value
    if isinstance(value, str):
        return redacted_folded(value, needles)
    strings: list[str] = []
    _gather_strings(value, strings)
    joined = _STRING_SEPARATOR.join(strings)
    if redacted_folded(joined, needles) is joined:
        return value  # nothing in any string: the value as it came
    return _scrubbed(value, needles, min(map(len, needles.folded)))


# Between the strings searched as one text: no escape a reader decodes spans it, no line
# break it is, and no secret holds it (a token's, a client secret's, a password's forms).
_STRING_SEPARATOR: Final = "\x1f"


def _gather_strings(value: Any, strings: list[str]) -> None:
    if isinstance(value, str):
        strings.append(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            strings.append(key)
            _gather_strings(item, strings)
    elif isinstance(value, list):
        for item in value:
            _gather_strings(item, strings)


def _scrubbed(value: Any, needles: Needles, shortest: int) -> Any:
    """``scrub``'s walk: a string of ASCII shorter than the shortest secret holds none,
    however it is spelled (an escape is longer than what it stands for; outside ASCII, NFKC
    reads one character as several: U+FB03 is "ffi")."""
    if isinstance(value, str):
        if len(value) < shortest and value.isascii():
            return value
        return redacted_folded(value, needles)
    if isinstance(value, dict):
        return {
            _scrubbed(key, needles, shortest): _scrubbed(item, needles, shortest)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_scrubbed(item, needles, shortest) for item in value]
    return value
