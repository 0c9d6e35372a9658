"""SlackClient: calls any Slack Web API method with a token, under deadlines and bounded retries.

Retried: HTTP 429 after its Retry-After (unless that is longer than
``max_retry_wait``, or would end past the call's deadline), HTTP 5xx, and the
connection failures and timeouts after which sending again cannot do more than the
first sending did (``slack/retry.py``: a request none of which went out, a read, a
photo change whose connection dropped before any answer), with exponential backoff
and jitter, at most ``max_retries`` times. Nothing else is retried: a Slack error is
an answer, not a fault, and a change Slack may be making is not sent twice.

Bounds, whatever the server does: each attempt ends within ``timeout`` seconds (the
whole attempt: connecting, sending, waiting and reading, not each read), the whole
call within ``deadline`` seconds (retries and waits included), and a reply is read
no further than ``max_reply_bytes`` (counted after decompression). Redirects are
never followed, whatever client is passed: the token must not travel to another
address, and a redirected POST is no answer. Nothing derived from a response (an
error's text, a log record of the HTTP stack) keeps the token.

Without a client from the caller, the client opens its own stack per event loop
(``slack/stacks.py``: aiohttp with the ``[fast]`` extra, else httpx's transport) and
hands each request to it directly. A failure is "not reached" (nothing can have taken
effect) exactly when the stack had not begun to take the request's body
(``FormBody.started``), whatever the error's type says: a connection that never
opened, or a deadline spent before it did.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import ipaddress
import logging
import random
import re
import ssl
import sys
import time
import weakref
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, NoReturn
from urllib.parse import urlsplit

import httpx

from ocp_users_photo.bounded_body import BodyTooLarge, BoundedBody, UnreadableBody
from ocp_users_photo.credentials import (
    AuthorizationHeader,
    ClientCredentials,
    Renew,
    SecretTexts,
    SlackToken,
    field_secret_forms,
    redactor,
)
from ocp_users_photo.errors import (
    MAY_HAVE_HAPPENED_FOR_MODELS,
    READ_ONLY_METHODS,
    SLACK_ADDRESS,
    SlackApiError,
    TransportError,
    UsersPhotoError,
    after_an_earlier_attempt,
    raise_alone,
)
from ocp_users_photo.fork_safe_lock import ForkSafeLock
from ocp_users_photo.safe_text import REDACTED, redacted, shown, spelled_otherwise_folded
from ocp_users_photo.slack.aiohttp_stack import httpx_error_of
from ocp_users_photo.slack.deadlines import attempt_timeout, call_ends, call_started
from ocp_users_photo.slack.form import EncodedForm, FilePart, FileShrank, encode_form
from ocp_users_photo.slack.log_redaction import secret_in_flight
from ocp_users_photo.slack.loop_stacks import LoopStacks
from ocp_users_photo.slack.proxies import check_callers_client, proxy_secrets
from ocp_users_photo.slack.replies import (
    NO_SLACK_REPLY_ADVICE,
    UNSAID_RETRY_AFTER,
    HttpReply,
    Redact,
    decode_reply,
    is_rate_limited,
    is_server_error,
)
from ocp_users_photo.slack.retry import (
    RetryPolicy,
    may_resend_after_server_error,
    may_send_again,
    retry_after_seconds,
)
from ocp_users_photo.slack.stacks import (
    Answer,
    OwnedStack,
    RequestHead,
    StackName,
    check_stack_name,
    expire_unasked_replies_of,
    loaded_for,
    open_stack,
    resolve_stack,
    stack_proxy_refusal,
)
from ocp_users_photo.trusted_roots import TrustedRoots, unreadable_roots
from ocp_users_photo.worker_threads import in_worker_thread

logger = logging.getLogger("ocp_users_photo")

MAX_REPLY_BYTES: Final = 1024 * 1024
DEFAULT_DEADLINE: Final = 120.0
# Network faults worth another try; protocol misuse on our side (LocalProtocolError,
# UnsupportedProtocol) would fail the same way again. ProxyError: the proxy refused the
# tunnel (CONNECT), so nothing went to Slack. Whether Slack may have had the request is
# told by FormBody.started, not by these types (a stack may report a dropped connection
# as a ConnectError).
# The largest reply decoded on the event loop (bytes); a larger one goes to a worker thread.
DECODED_ON_LOOP: Final = 64 * 1024
# httpx's words (httpcore) for a connection closed before any byte of an answer.
_NO_ANSWER: Final = re.compile(r"without sending a response")
# The ssl module's failure of a handshake ("[SSL: WRONG_VERSION_NUMBER] ..."), as both
# stacks' connection errors quote it: a server answered, not in TLS.
_TLS_FAILED: Final = re.compile(r"\[SSL[:\]]")
# OpenSSL's words for a certificate that does not verify, and its reason ("unable to get
# local issuer certificate", "Hostname mismatch...", "certificate has expired"), as httpx
# and aiohttp both pass them on.
# OpenSSL's reason may quote the name asked for ("Hostname mismatch, certificate is not
# valid for 'slack.example'."): the base URL's own host, kept (cut at the quote, the
# reason ended at "valid for").
_UNVERIFIED: Final = re.compile(
    r"certificate[ _]verify[ _]failed(?:\]|:)?\s*(?:certificate verify failed:?\s*)?"
    r"((?:[^'\"()\]]|'[^'\"()\]\n]{1,100}'){0,160})",
    re.IGNORECASE,
)
# A proxy's answer that its credentials were refused (a CONNECT answered 407).
_PROXY_AUTH: Final = re.compile(r"\b407\b")
# httpcore's words for a SOCKS5 proxy that refused the user name and password, or wants
# another way of signing in than the one the proxy URL gives (none, or a password).
_SOCKS_SIGN_IN: Final = re.compile(
    r"Invalid username/password|Requested [A-Z /]{1,40} from proxy server, but got [A-Z /]{1,40}\."
)
_RETRYABLE: Final = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
    httpx.ProxyError,
)
# Form fields that carry credentials in Slack's OAuth methods: removed from any reply that
# echoes them, like the token.
CREDENTIAL_FIELDS: Final = ("client_secret", "code", "refresh_token")


@dataclass(frozen=True)
class SlackReply:
    """Slack's ``ok: true`` answer to one call: the JSON object, and how it came."""

    method: str
    # Not in the repr: oauth.v2.access answers with a new access token and refresh token.
    body: dict[str, Any] = field(repr=False)
    status_code: int
    headers: httpx.Headers
    attempts: int
    # Fields of ``issued=`` left redacted in ``body``: each held a whole credential the
    # request sent (the client secret, the spent refresh token), so it is no credential
    # Slack issued (``_with_issued``). The caller refuses such an answer.
    withheld: frozenset[str] = frozenset()


@dataclass(frozen=True)
class _Failure:
    """One failed attempt, described: never the exception itself (it holds the request)."""

    text: str
    retryable: bool
    reached: bool  # the request may have reached Slack (so its effect may have happened)
    # What to check before trying again, when it is not the network and the Slack address
    # (a door's own next step names it too: the CLI's "next:" line).
    to_check: str | None = None
    # What to do, when it is not "Nothing was sent; check <to_check>, then try again".
    advice: str | None = None
    # ``to_check`` is at fault for certain: trying again later meets the same failure.
    setting_at_fault: bool = False
    # What a model is told to do instead, when ``to_check`` is the person's to mend (a
    # model can neither start a server on this machine nor change the Slack address).
    model_advice: str | None = None


@dataclass
class _Progress:
    """How far one attempt got: its body went out (the form's own flag), an answer began."""

    form: EncodedForm
    answer_began: bool = False

    @property
    def body_started(self) -> bool:
        return self.form.content.started


class SlackClient:
    """One HTTP client for every Slack method the package calls; closes what it opened."""

    def __init__(
        self,
        *,
        base_url: str,
        user_agent: str,
        http_client: httpx.AsyncClient | None = None,
        timeout: float = 30.0,
        deadline: float = DEFAULT_DEADLINE,
        retry: RetryPolicy | None = None,
        max_reply_bytes: int = MAX_REPLY_BYTES,
        proxy: str | None = None,
        http_stack: StackName = "auto",
        trusted_roots: TrustedRoots | None = None,
    ) -> None:
        # The proxy may hold a password: held only by this client from here, so no local of
        # a frame a refusal below raises through shows it (an error reporter sends them).
        self._proxy = proxy
        self._proxy_secrets = SecretTexts(proxy_secrets(proxy))  # redacted like the token
        del proxy
        if self._proxy is not None and not base_url.lower().startswith("https://"):
            # Only an https tunnel keeps the token from the proxy (settings.py's defaults).
            raise ValueError(
                "a proxy is used for an https base_url only: over plain http it would read "
                "the token in the Authorization header; leave proxy unset"
            )
        if http_client is not None:
            check_callers_client(http_client, base_url)  # no proxy reads the token
        self.base_url = base_url
        self._user_agent = user_agent
        self._agent_with_library: str | None = None  # user_agent and the library that sends
        self._external_client = http_client
        # The loop that first used the caller's client: its connections belong to that loop.
        self._client_loop: weakref.ref[asyncio.AbstractEventLoop] | None = None
        self._stack_name = check_stack_name(http_stack, origin="http_stack")
        refusal = stack_proxy_refusal(self._stack_name, self._proxy)
        if refusal is not None:
            raise ValueError(refusal)
        # One stack per event loop that calls (connections belong to the loop that opened
        # them): a tool may be shared by threads that each run a loop. Each is held by its
        # loop (slack/loop_stacks.py): a loop its program dropped unclosed goes with it.
        self._owned = LoopStacks()
        # Dropped without aclose(), it has each running loop close its stack there.
        weakref.finalize(self, self._owned.close_on_their_loops).atexit = False
        # When aclose() last ran on each loop: calls that began before it end.
        self._closed_at: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, float] = (
            weakref.WeakKeyDictionary()
        )
        # Its changes and copies: walked a step at a time, it may be changed by another
        # thread's loop meanwhile (slack/loop_stacks.py holds its own set alike).
        self._closings = ForkSafeLock()
        self._ssl_context: ssl.SSLContext | None = None  # loaded once, shared by every loop
        # The operator's CA certificates (trusted_roots.py), for Slack and its image hosts.
        self.trusted_roots = trusted_roots
        self.timeout = timeout
        self.deadline = deadline
        self._timeout = httpx.Timeout(timeout)
        self.retry = retry if retry is not None else RetryPolicy()
        self._max_reply_bytes = max_reply_bytes
        self._jitter = random.Random()  # noqa: S311 - jitter, not cryptography

    def url_for(self, method: str) -> str:
        return f"{self.base_url}/{method}"

    async def call(
        self,
        method: str,
        *,
        token: SlackToken | None,
        fields: Mapping[str, str | SlackToken] | None = None,
        files: Mapping[str, FilePart] | None = None,
        renew: Renew | None = None,
        log_detail: str = "",
        client_auth: ClientCredentials | None = None,
        issued: tuple[str, ...] = (),
    ) -> SlackReply:
        """Call ``method``; Slack's ok reply, or a typed error (``ocp_users_photo.errors``).

        ``renew``, when given, is asked once for a fresh token if Slack answers
        ``token_expired``, and the call is made again with it. ``client_auth``, instead of
        a token, authenticates an app by HTTP Basic (oauth.v2.access). ``issued`` names
        the ok reply's top-level fields that hold credentials Slack issues (oauth.v2.access's
        new tokens): see ``_with_issued``.
        """
        if client_auth is not None and token is not None:
            raise ValueError("give a token or client_auth, not both: each is an Authorization")
        require_asyncio()
        try:
            return await self._call(method, token, fields, files, log_detail, client_auth, issued)
        except SlackApiError as refused:
            if renew is None or token is None or refused.error != "token_expired":
                raise
            # An attempt before the token_expired one may have made the change.
            reached = refused.earlier_attempt_reached
        renewed = await renew(token)
        try:
            if renewed is None:
                raise SlackApiError(
                    "token_expired",
                    # No refresh may have been tried (a fixed token has none): not said that one
                    # failed, but what gets a current token either way.
                    hint="The token expired, and where it came from gave no new one: set a "
                    "current token (one set in the environment or given to the tool is never "
                    "renewed); in an app each person installs, that person installs the app "
                    "again",
                    reply={"ok": False, "error": "token_expired"},
                    method=method,
                )
            return await self._call(method, renewed, fields, files, log_detail, client_auth, issued)
        except UsersPhotoError as failed:
            if reached:
                after_an_earlier_attempt(failed, method)
            raise

    async def _call(
        self,
        method: str,
        token: SlackToken | None,
        fields: Mapping[str, str | SlackToken] | None,
        files: Mapping[str, FilePart] | None,
        log_detail: str,
        client_auth: ClientCredentials | None = None,
        issued: tuple[str, ...] = (),
    ) -> SlackReply:
        # Held in SecretTexts, never a tuple of text: an error passes through this frame.
        kept_out = SecretTexts.joined(
            token.secret_texts() if token is not None else _NO_SECRETS,
            SecretTexts(client_auth.secrets()) if client_auth is not None else _NO_SECRETS,
            # A refresh token's parts too, as a bearer token's.
            *(_field_secrets((fields or {}).get(name)) for name in CREDENTIAL_FIELDS),
        )
        # The proxy sees a TLS tunnel only (https, see __init__): what it can echo its
        # credentials in is its refusal (an error's text) and the stack's log records, never
        # Slack's reply, where a short password would be "redacted" out of Slack's words.
        in_flight = kept_out + self._proxy_secrets
        with secret_in_flight(*in_flight.texts()):
            reply, ends_at = await self._send_until_answered(
                method, token, fields or {}, files or {}, log_detail, client_auth, in_flight
            )
        # The headers are cleaned before anything reads them: an error's text quotes one
        # (a body that is no JSON names its Content-Type), and the reply carries them on.
        # A head past DECODED_ON_LOOP (aiohttp takes up to ~1 MB) is searched in a worker
        # thread: reading back its escapes (1 MB of "%") held the loop for 0.4 s.
        headers = reply.headers
        if _head_bytes(headers) <= DECODED_ON_LOOP:
            headers = _headers_without(headers, kept_out)
        else:
            headers = await in_worker_thread(_headers_without, headers, kept_out)
        if headers is not reply.headers:  # a secret was found and redacted (a copy)
            reply = dataclasses.replace(reply, headers=headers)
        redact = redactor(kept_out, reply.body)
        # Noted before redaction, so as any answer came (a refusal's, a 429's too): held
        # where an error's frame locals show how many, never which (it may echo a secret).
        as_issued = _Issued()
        if issued:
            redact = _noting_issued(redact, issued, as_issued)
        decode = functools.partial(decode_reply, reply, method=method, redact=redact)
        try:
            # Slack's replies are about 1 KB: decoded here. A big one (up to the 1 MiB cap)
            # is parsed and walked in a worker thread; one of very many values is refused
            # before its parse (replies.MOST_REPLY_VALUES), which holds Python's lock in C
            # whatever thread runs it.
            body = (
                decode()
                if len(reply.body) <= DECODED_ON_LOOP
                else await self._decoded_by(ends_at, decode, method, len(reply.body))
            )
        except UsersPhotoError as failed:
            if isinstance(failed, SlackApiError):
                # A refusal comes as HTTP 200: the attempt's record alone would not tell it.
                logger.debug("%s answered ok=false: %s", method, shown(failed.code, 80))
            if reply.earlier_attempt_reached:
                after_an_earlier_attempt(failed, method)
            raise
        withheld: frozenset[str] = frozenset()
        if as_issued.fields:
            body, withheld = _with_issued(
                body, as_issued, _sent_whole(token, client_auth, fields), fields
            )
        return SlackReply(
            method=method,
            body=body,
            status_code=reply.status_code,
            headers=headers,
            attempts=reply.attempts,
            withheld=withheld,
        )

    async def _send_until_answered(
        self,
        method: str,
        token: SlackToken | None,
        fields: Mapping[str, str | SlackToken],
        files: Mapping[str, FilePart],
        log_detail: str,
        client_auth: ClientCredentials | None,
        secrets: SecretTexts,
    ) -> tuple[HttpReply, float]:
        """POST until a final answer comes back, and when the call must end by (its
        ``time.monotonic()``); TransportError if no answer comes in time."""
        policy = self.retry
        url = self.url_for(method)
        last_attempt = policy.max_retries + 1
        # Opened first (on its first use, its package and TLS context loaded from disk): that
        # is no network time, and must not eat into an attempt's timeout or the deadline.
        if self._external_client is None:
            self._refuse_if_closed_under_call(method)
            stack: OwnedStack | None = await self._owned_stack(method)
        else:
            stack = None
            self._check_client_loop(method)
        ends_at = call_ends(time.monotonic() + self.deadline)
        reached = False
        for attempt in range(1, last_attempt + 1):
            started = time.perf_counter()
            left = ends_at - time.monotonic()
            if left <= 0:  # the call's work before this request used its whole deadline
                raise_alone(_out_of_time(method, self.deadline, reached))
            # httpx errors keep the request, Authorization header included; only their
            # description leaves this block, and TransportError is raised outside it so the
            # httpx error is not reachable as its __context__.
            failure: _Failure | None = None
            closed_under_it = False
            progress = _Progress(encode_form(fields, files))
            if stack is not None and stack.is_closed:
                # aclose() came while the call was under way: its stack takes no more requests.
                raise _closed_under_way(method, reached)
            try:
                async with attempt_timeout(min(self.timeout, max(left, 0.0))):
                    reply = await self._attempt(
                        method, url, progress, token, attempt, client_auth, stack
                    )
            except Exception as raised:
                shrank = file_shrank_in(raised)
                if shrank is not None:
                    # Cut off before its end, so no server took it as a request: said
                    # of the file, at once, not tried again with a file that changed.
                    raise_alone(_file_shrank(method, shrank, reached))
                # aiohttp's timeouts are TimeoutErrors too: its errors are told apart first.
                error = httpx_error_of(raised)
                if error is not None:
                    failure = self._failure_of(method, error, left, progress, secrets)
                elif isinstance(raised, TimeoutError):
                    failure = self._no_answer_in_time(method, left, progress, "")
                elif stack is not None and stack.is_closed:
                    # aiohttp's own RuntimeError("Session is closed"), or whatever a stack
                    # closed under a request raises: the call ends as a transport failure
                    # (raised below, so that error is not reachable as its __context__).
                    closed_under_it = True
                else:
                    raise  # not a fault of the HTTP exchange (a TransportError of ours, a bug)
                # The library's error may quote what a server echoed (the Authorization
                # header in a status line): not left in this frame, whose locals an error
                # reporter shows with the TransportError raised below.
                del error
            finally:
                progress.form.content.let_go()  # what httpx's cycles keep, kept small
            if closed_under_it:
                raise_alone(_closed_under_way(method, reached or progress.body_started))
            if failure is not None:
                reached = reached or failure.reached
                outcome = f"failed: {failure.text}"
                self._log(method, url, log_detail, attempt, last_attempt, outcome, started)
                delay = policy.backoff_delay(attempt, self._jitter)
                out_of_time = time.monotonic() + delay >= ends_at
                if not failure.retryable or attempt == last_attempt or out_of_time:
                    raise_alone(_transport_error(url, method, attempt, failure, reached))
                logger.debug("%s: sending again in %.2f s", method, delay)
                await asyncio.sleep(delay)
                continue
            outcome = f"HTTP {reply.status_code}"
            self._log(method, url, log_detail, attempt, last_attempt, outcome, started)
            # A server error answered a request it had: whatever later attempts meet (no
            # connection at all), the change may have been made by this one.
            reached = reached or is_server_error(reply.status_code)
            pause = self._pause_before_retrying(method, reply, attempt, last_attempt, ends_at)
            if pause is None:
                # Reached by an earlier attempt, not this one (whose answer is no 5xx).
                if reached and not is_server_error(reply.status_code):
                    return dataclasses.replace(reply, earlier_attempt_reached=True), ends_at
                return reply, ends_at
            logger.debug("%s: sending again in %.2f s", method, pause)
            await asyncio.sleep(pause)
        raise AssertionError("unreachable: the last attempt always returns or raises")

    def _pause_before_retrying(
        self, method: str, reply: HttpReply, attempt: int, last_attempt: int, ends_at: float
    ) -> float | None:
        """How long to wait before sending again after ``reply``; None when it is the answer.

        Rate limits wait what ``Retry-After`` says (unless over ``max_retry_wait``), server
        errors back off for the methods whose second sending does what the first did
        (``slack/retry.py``: not a refresh grant); neither is retried on the last attempt
        or past the deadline.
        """
        policy = self.retry
        if attempt == last_attempt:
            return None
        server_error = is_server_error(reply.status_code)
        if server_error and not may_resend_after_server_error(method):
            # The server had the request, whatever its body says (a 503 saying ratelimited
            # with a Retry-After too): a refresh grant it may have spent is not sent again.
            return None
        if is_rate_limited(reply):
            # Unsaid, Slack's limits reset within the minute: 60 s assumed, as RateLimited says.
            wait = retry_after_seconds(reply.headers)
            wait = UNSAID_RETRY_AFTER if wait is None else wait
            if wait > policy.max_retry_wait:
                return None
            # Never less than the backoff: a Retry-After of 0 (or in the past) would have the
            # retries follow each other within milliseconds.
            pause = max(wait, policy.backoff_delay(attempt, self._jitter))
        elif server_error:
            pause = policy.backoff_delay(attempt, self._jitter)
        else:
            return None
        return pause if time.monotonic() + pause < ends_at else None

    def _failure_of(
        self,
        method: str,
        error: httpx.HTTPError,
        left: float,
        progress: _Progress,
        secrets: SecretTexts,
    ) -> _Failure:
        """What a failed attempt says, whether to try again, and whether Slack may have acted."""
        if isinstance(error, httpx.TimeoutException):
            return self._no_answer_in_time(method, left, progress, type(error).__name__)
        setup = self._setup_failure(error, progress, secrets)
        if setup is not None:
            return setup
        again = isinstance(error, _RETRYABLE) and may_send_again(
            method,
            body_started=progress.body_started,
            answer_began=progress.answer_began or _answer_arrived(error),
            dropped=True,
        )
        proxy = self._proxy_in_use()
        if (
            proxy is not None
            and isinstance(error, (httpx.ConnectError, httpx.RemoteProtocolError))
            and not progress.body_started
        ):
            # Through a proxy, the connection made is the proxy's (Slack's name is resolved
            # by it): one that cannot be reached is the proxy's setting to check, not only
            # the Slack address. Only the tool's own stack is known to use it: a client the
            # caller gave goes as it was configured (trust_env=False: directly). A proxy
            # that closes or answers its CONNECT with what is not HTTP is no answer of
            # Slack's, which nothing had reached yet.
            said = (
                _describe(error, secrets)
                if isinstance(error, httpx.ConnectError)
                else "the proxy closed the connection or answered the tunnel request with "
                f"what is not HTTP ({_detail(error, secrets)})"
            )
            return _Failure(
                f"the connection through the proxy {proxy} failed ({said})",
                retryable=again,
                reached=False,
                to_check=_PROXY_TO_CHECK,
            )
        local = _local_server(self.base_url)
        if (
            local is not None
            and isinstance(error, httpx.ConnectError)
            and not progress.body_started
        ):
            if _TLS_FAILED.search(str(error)):
                # A server listens there, but did not answer https's handshake: the local
                # emulator serves plain http, and starting it again would not help.
                to_check = (
                    f"the address's scheme: the server at {local} on this machine does not "
                    "speak https (the local Slack emulator serves plain http: "
                    f"http://{local}/api) and {SLACK_ADDRESS}"
                )
                mend = (
                    f"the server at {local} on this machine does not speak https (the local "
                    f"Slack emulator serves plain http: http://{local}/api), so "
                    f"{SLACK_ADDRESS} must be corrected"
                )
            else:
                # Nothing listens on this machine's own address: no network is involved, and
                # the server meant (the emulator, most often) was never started, or stopped.
                to_check = (
                    f"that a server listens at {local} on this machine (the local Slack "
                    f"emulator: 'ocp-users-photo emulator' in another shell) and {SLACK_ADDRESS}"
                )
                mend = (
                    f"nothing listens at {local} on this machine: the local Slack emulator "
                    f"must be started there, or {SLACK_ADDRESS} corrected"
                )
            return _Failure(
                _describe(error, secrets),
                retryable=again,
                reached=False,
                to_check=to_check,
                model_advice=(
                    "Nothing was sent; calling again will not help until it is mended: tell "
                    f"the person that {mend}"
                ),
            )
        return _Failure(_describe(error, secrets), retryable=again, reached=progress.body_started)

    def _setup_failure(
        self, error: httpx.HTTPError, progress: _Progress, secrets: SecretTexts
    ) -> _Failure | None:
        """A failure of this host's setup, not of the network: a certificate that does not
        verify, a proxy that refuses the tunnel. Sending again would meet it again (a 407
        sends the same wrong password, which can lock a directory account), so each is
        said once, with where it is mended. None for any other failure."""
        if progress.body_started:
            return None
        text = str(error)
        unverified = _UNVERIFIED.search(text)
        if unverified is not None:
            reason = shown(unverified.group(1).strip(" ,.") or "no reason given", 120)
            return _Failure(
                f"the TLS certificate the server presented could not be verified ({reason})",
                retryable=False,
                reached=False,
                advice=(
                    "Nothing was sent, and trying again will not help: if this network "
                    "re-signs TLS (a company proxy or gateway), set SSL_CERT_FILE (or "
                    f"SSL_CERT_DIR) to its CA certificates; otherwise check {SLACK_ADDRESS}"
                ),
                to_check=f"SSL_CERT_FILE (or SSL_CERT_DIR) and {SLACK_ADDRESS}",
                setting_at_fault=True,
            )
        if not isinstance(error, httpx.ProxyError):
            return None
        if self._external_client is not None:
            # A client the caller gave goes through the proxy it was configured with,
            # which may be none of the environment's: it is named as that client's.
            where = "the proxy of the httpx client passed as client="
            credentials = "in that client's proxy URL"
            to_check = _CLIENTS_PROXY_TO_CHECK
        elif self._proxy is not None:
            where = f"the proxy {_proxy_shown(self._proxy)}"
            credentials = "in HTTPS_PROXY (or ALL_PROXY), or set NO_PROXY for this host"
            to_check = _PROXY_TO_CHECK
        else:
            return None
        socks_refusal = _SOCKS_SIGN_IN.fullmatch(text)
        if _PROXY_AUTH.search(text) or socks_refusal is not None:
            if socks_refusal is None:
                said = "407 Proxy Authentication Required"
            elif text.startswith("Invalid"):
                said = f"SOCKS5 sign-in refused ({text})"
            else:  # it wants a password where the URL gives none, or none where it gives one
                said = f"its way of signing in is not the proxy URL's ({text})"
            return _Failure(
                f"{where} refused the tunnel: {said}",
                retryable=False,
                reached=False,
                advice=(
                    "Nothing was sent, and it was not tried again with the same credentials: "
                    f"check the user name and password {credentials}"
                ),
                to_check=f"the proxy's user name and password {credentials}",
                setting_at_fault=True,
            )
        return _Failure(
            f"{where} refused the tunnel ({_describe(error, secrets)})",
            retryable=True,
            reached=False,
            to_check=to_check,
        )

    def _no_answer_in_time(
        self, method: str, left: float, progress: _Progress, stalled: str
    ) -> _Failure:
        """A timeout: an attempt's whole time, or the call's deadline, or one stalled read."""
        why = f" ({stalled})" if stalled else ""
        what = "no complete answer" if progress.body_started else "no connection to Slack"
        proxy = None if progress.body_started else self._proxy_in_use()
        to_check = None
        if proxy is not None:  # the proxy did not open the tunnel in time
            what = f"no connection to Slack through the proxy {proxy}"
            to_check = _PROXY_TO_CHECK
        if left <= self.timeout:
            return _Failure(
                f"{what} before the call's {self.deadline:g} s deadline{why}",
                retryable=False,
                reached=progress.body_started,
                to_check=to_check,
            )
        again = may_send_again(
            method,
            body_started=progress.body_started,
            answer_began=progress.answer_began,
            dropped=False,
        )
        return _Failure(
            f"{what} within the {self.timeout:g} s an attempt may take{why}",
            retryable=again,
            reached=progress.body_started,
            to_check=to_check,
        )

    def _proxy_in_use(self) -> str | None:
        """The proxy the tool's own stack goes through, as messages name it (host and port);
        None without one, or for a caller's client (which goes as it was configured)."""
        if self._proxy is None or self._external_client is not None:
            return None
        return _proxy_shown(self._proxy)

    async def _attempt(
        self,
        method: str,
        url: str,
        progress: _Progress,
        token: SlackToken | None,
        attempt: int,
        client_auth: ClientCredentials | None,
        stack: OwnedStack | None,
    ) -> HttpReply:
        form = progress.form
        headers = {
            **form.headers,
            "User-Agent": self._agent_with_library or self._user_agent_now(),
            "Accept": "application/json",
        }
        authorization = None  # given to the request as it is built, never put in `headers`
        if token is not None:
            authorization = AuthorizationHeader(f"Bearer {token.reveal()}")
        elif client_auth is not None:
            authorization = AuthorizationHeader(client_auth.basic_authorization())
        # Slack's replies are ~1 KB of JSON: decoding them costs more than it saves. A caller's
        # client would ask for its own list (zstd, br), which the bounded read does not decode.
        headers["Accept-Encoding"] = "identity"
        if stack is not None:
            answer = await stack.post(url, RequestHead(headers, authorization), form.content)
        else:
            client = self._external_client
            assert client is not None, "without a stack of its own, the client was given one"
            # Built without the client's defaults (its headers, query parameters and cookies
            # are for whatever else it serves: an API key there must not reach Slack), and
            # sent with auth=None (its own auth would replace the token's header).
            request = httpx.Request(
                "POST",
                url,
                headers=RequestHead(headers, authorization).sent(),
                content=form.content,
                extensions={"timeout": self._timeout.as_dict()},
            )
            expire_unasked_replies_of(client)
            sent = client.send(request, stream=True, auth=None, follow_redirects=False)
            try:
                answer = Answer.of(await sent, client)
            except httpx.HTTPStatusError as refused:
                if refused.request is not request:
                    raise
                # The client's own response hook (raise_for_status, as httpx's docs show)
                # refused the status before its body was read, and httpx closed it: the
                # status and headers are Slack's answer still (a 429's Retry-After, a 5xx
                # that may have acted, a 4xx that did not), never "a usable answer lost".
                answer = _status_alone(refused.response)
        progress.answer_began = True
        try:
            body = await self._read_bounded(answer, method)
        finally:
            await answer.aclose()
        return HttpReply(
            status_code=answer.status_code,
            headers=answer.headers,
            body=body,
            attempts=attempt,
        )

    async def _read_bounded(self, answer: Answer, method: str) -> bytes:
        declared = answer.headers.get("content-length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > self._max_reply_bytes:
            raise TransportError(
                f"Slack's reply declares {declared[:20]} bytes, more than the "
                f"{self._max_reply_bytes} a reply to {method} can need; not read. "
                f"{_unread_reply_advice(method)}",
                status_code=answer.status_code,
                method=method,
            )
        read = await _read_within(answer, self._max_reply_bytes)
        if isinstance(read, bytes):
            return read
        # Raised here, in a frame holding no part of the body (a reporter that renders each
        # frame's locals, as Sentry does, would show a chunk echoing the token), and outside
        # any except block, so that no error of the read stays as this one's context.
        if read is None:
            raise TransportError(
                f"Slack's reply is larger than {self._max_reply_bytes} bytes, more than a reply "
                f"to {method} can need; reading stopped. {_unread_reply_advice(method)}",
                status_code=answer.status_code,
                method=method,
            )
        raise TransportError(
            f"Slack's reply to {method} cannot be read: {read}; Slack sends JSON as it is "
            f"or gzipped: check {SLACK_ADDRESS}",
            status_code=answer.status_code,
            method=method,
        )

    def _user_agent_now(self) -> str:
        """The User-Agent with the HTTP library that really sends (httpx for a caller's
        client, whatever its transport), found once the stack is known."""
        library = "aiohttp" if self.http_stack == "aiohttp" else "httpx"
        version = getattr(sys.modules.get(library), "__version__", "")  # imported by now
        self._agent_with_library = f"{self._user_agent} {library}/{version}".rstrip("/")
        return self._agent_with_library

    @property
    def http_stack(self) -> str:
        """Which stack calls go through: ``client`` (the caller's), ``aiohttp`` or ``httpx``."""
        if self._external_client is not None:
            return "client"
        return resolve_stack(self._stack_name, self._proxy)

    async def _owned_stack(self, method: str) -> OwnedStack:
        """The transport this object owns for the running event loop, opened on first use.

        It trusts no environment of its own (the proxy comes from the settings, https
        only). What it reads from disk (the stack's package, the certificate store) is
        loaded in a worker thread, once: on the loop it would stall every other task.
        A call of ``method`` that began before an ``aclose()`` made during that load ends
        there, and opens no stack.
        """
        loop = asyncio.get_running_loop()
        owned = self._owned.get(loop)
        if owned is not None:
            return owned
        ssl_context = self._ssl_context
        if ssl_context is None:
            try:
                ssl_context = self._ssl_context = await in_worker_thread(
                    loaded_for,
                    self._stack_name,
                    self._proxy,
                    # A plain-http base URL (the loopback emulator) never makes a TLS
                    # connection: proxies serve https only (checked above). Anything else
                    # gets the trusted roots: aiohttp (yarl) reads " https://..." as https.
                    not self.base_url.lower().startswith("http://"),
                    self.trusted_roots,
                )
            except ValueError as unreadable:  # the operator's CA file (trusted_roots.py)
                raise unreadable_roots(unreadable, self.trusted_roots) from None
        # aclose() may have come while the worker thread loaded: this call began before it.
        self._refuse_if_closed_under_call(method)
        name = resolve_stack(self._stack_name, self._proxy)  # known by now: no file read
        # Checked again after the wait, and opened without one: concurrent first calls on
        # a loop share one stack. Each step on the dict is atomic: other threads' loops
        # may be adding theirs (under other keys) at the same time.
        owned = self._owned.get(loop)
        if owned is None:
            self._let_go_of_ended_loops()
            owned = open_stack(
                name, proxy=self._proxy, ssl_context=ssl_context, timeout=self.timeout
            )
            self._owned.set(loop, owned)
            await _closed_as_the_loop_ends(owned, weakref.ref(self._owned))
        return owned

    async def image_tls_context(self) -> ssl.SSLContext | None:
        """The TLS context for Slack's image hosts (the replaced photo's download): the
        operator's roots when given (the context Slack's stack uses); None for the fetch's
        own default."""
        roots = self.trusted_roots
        return None if roots is None else await in_worker_thread(roots.context)

    def _check_client_loop(self, method: str) -> None:
        """The caller's client is open, and serves the loop that first used it: on another
        (call_sync's and asyncio.run's new loops, other threads') a connection it kept alive
        would carry the request, then fail to read the answer ('Event loop is closed') after
        Slack may have acted. Refused before anything is sent."""
        assert self._external_client is not None
        if self._external_client.is_closed:  # httpx would raise a bare RuntimeError
            raise TransportError(
                f"the client= given has been closed, so nothing was sent to {method}: keep "
                "it open while the tool is used (or give no client= and the tool opens and "
                "closes its own)",
                reached=False,
                method=method,
            )
        loop = asyncio.get_running_loop()
        if self._client_loop is None:
            self._client_loop = weakref.ref(loop)
            return
        if self._client_loop() is not loop:  # another loop, or the first one is gone
            raise TransportError(
                f"the client= given was first used on another event loop, and an "
                f"httpx.AsyncClient's connections belong to the loop that opened them, so "
                f"nothing was sent to {method}: make the client in the loop that calls (each "
                "call_sync and asyncio.run runs a new one), or give no client= and the tool "
                "opens its own per loop",
                reached=False,
                method=method,
            )

    def _let_go_of_ended_loops(self) -> None:
        """Drop the stacks of loops that have been closed: their connections close as they are
        collected (slack/aiohttp_stack.py), with no call left to use them."""
        self._owned.let_go_of_closed()
        with self._closings:  # another thread's aclose() may be adding its loop
            for loop in list(self._closed_at):
                if loop.is_closed():
                    self._closed_at.pop(loop, None)

    async def _decoded_by(
        self, ends_at: float, decode: Callable[[], Any], method: str, size: int
    ) -> Any:
        """A big reply decoded in a worker thread, by the call's end: a hostile one (300,000
        strings, each searched for the token's escaped spellings) must not hold the call
        past its deadline. The thread, abandoned, ends on its own (its work is bounded)."""
        try:
            async with attempt_timeout(max(ends_at - time.monotonic(), 0.0)):
                return await in_worker_thread(decode)
        except TimeoutError:
            pass
        raise_alone(_reply_unread(method, self.deadline, size))

    def _refuse_if_closed_under_call(self, method: str) -> None:
        """A call that began before ``aclose()`` on this loop opens no new stack after it (it
        would change the photo after the close and leave that stack open): it ends here."""
        closed = self._closed_at.get(asyncio.get_running_loop())
        started = call_started()
        if closed is not None and started is not None and started <= closed:
            raise_alone(_closed_under_way(method, reached=False))

    async def aclose(self) -> None:
        """Close the stack this object opened for the running loop (a client passed in is left
        to its owner); those of loops that have ended are let go. A stack another running
        loop still uses is that loop's to close. Calls under way end (TransportError); later
        ones open a new stack."""
        loop = asyncio.get_running_loop()
        with self._closings:
            self._closed_at[loop] = time.monotonic()
        owned = self._owned.pop(loop)
        self._let_go_of_ended_loops()
        if owned is not None:
            await owned.aclose()

    def _log(
        self,
        method: str,
        url: str,
        detail: str,
        attempt: int,
        last_attempt: int,
        outcome: str,
        started: float,
    ) -> None:
        if not logger.isEnabledFor(logging.DEBUG):
            return
        elapsed_ms = (time.perf_counter() - started) * 1000
        logger.debug(
            "%s attempt %d/%d: POST %s%s: %s in %.1f ms",
            method,
            attempt,
            last_attempt,
            url,
            f" {detail}" if detail else "",
            outcome,
            elapsed_ms,
        )


def _status_alone(response: httpx.Response) -> Answer:
    """An answer of ``response``'s status and headers, and its body if the hook read it
    (``await response.aread()`` first, to log it, as httpx's docs show); empty if closed
    unread. Dropped, Slack's own refusal (a 400's invalid_form_data) was told as an empty
    body from a proxy on the way, and a 5xx's error code went unsaid."""
    try:
        content = response.content
    except httpx.ResponseNotRead:
        content = b""
    # Decoded as it was read, or empty: its encoding's headers no longer say what it is (a
    # gzipped 429 closed unread was "compressed data that ends early": not retried, and
    # said to have maybe taken effect).
    headers = response.headers.copy()
    for name in ("content-encoding", "content-length"):
        headers.pop(name, None)

    async def no_body() -> AsyncIterator[bytes]:
        if content:
            yield content

    async def nothing_to_close() -> None:
        return None

    return Answer(response.status_code, headers, no_body(), nothing_to_close)


def _answer_arrived(error: httpx.HTTPError) -> bool:
    """Whether the failure says some of an answer came back (a malformed status line, too
    many header lines, a head aiohttp read in part): the server had the request, and sending
    it again would be a second one. Only "disconnected without a response" says none came
    (httpx's own transport says so of a head cut short too: it cannot be told apart)."""
    return isinstance(error, httpx.RemoteProtocolError) and not (
        _NO_ANSWER.search(str(error)) or str(error) == "Server disconnected"
    )


def _head_bytes(headers: httpx.Headers) -> int:
    """How many bytes the headers' names and values take."""
    return sum(len(name) + len(value) for name, value in headers.raw)


def _headers_without(headers: httpx.Headers, secrets: SecretTexts) -> httpx.Headers:
    """``headers`` with every secret redacted from their names and values: they travel on
    beside the body (whoami reads X-OAuth-Scopes; the SlackReply's repr shows them), and a
    server can echo the token in any of them, as a header's name too."""
    fields = b"\n".join(b"%s: %s" % field for field in headers.raw).lower()  # in any case
    if not any(
        searched in fields for searched in secrets.folded()
    ) and not spelled_otherwise_folded(fields.decode("latin-1"), secrets.needles()):
        return headers  # the usual case: one scan, no copy
    texts = secrets.texts()
    # Encoded back as they were decoded (ASCII, else UTF-8, else latin-1): given as text,
    # httpx would encode them as ASCII, and a "café" beside the echo would raise.
    encoding = headers.encoding
    return httpx.Headers(
        [
            (redacted(name, texts).encode(encoding), redacted(value, texts).encode(encoding))
            for name, value in headers.multi_items()
        ],
        encoding=encoding,
    )


_NO_SECRETS: Final = SecretTexts()


class _Issued:
    """The issued fields of an answer as it came, before redaction: held, as SecretTexts
    holds its texts, so that a traceback's locals (an error reporter's, Sentry's default)
    say how many there are, never which. Any answer is noted, a refusal's or a 429's too,
    and its "tokens" may echo the refresh token or the client secret sent."""

    __slots__ = ("fields",)

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"_Issued({len(self.fields)} fields, {REDACTED})"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("_Issued cannot be pickled: it would write the credentials out")


def _noting_issued(redact: Redact, names: tuple[str, ...], noted: _Issued) -> Redact:
    """``redact``, noting first the text values of the reply object's fields ``names`` as
    they came (``_with_issued`` puts them back into an ok reply)."""

    def noting(value: Any) -> Any:
        if isinstance(value, dict):
            noted.fields = {name: value[name] for name in names if isinstance(value.get(name), str)}
        return redact(value)

    return noting


def _with_issued(
    body: dict[str, Any],
    noted: _Issued,
    sent: SecretTexts,
    fields: Mapping[str, str | SlackToken] | None,
) -> tuple[dict[str, Any], frozenset[str]]:
    """The ok reply with the credentials Slack issued in it as they came, not redacted.

    Slack's rotating tokens are base64 of "<kind>-<version>-<workspace's number>-<person's
    number>-...": a new refresh token and access token share runs of the refresh token they
    replace, which redaction (every run of a secret's last segment) cut out of them, and the
    tokens saved were ones no request can use. A field that holds a whole credential sent
    (the client secret echoed, the spent refresh token as the access token) stays redacted,
    unless it is the very value the request sent under that name: OAuth lets a server hand
    the refresh token back unchanged (RFC 6749, section 6), to be kept as it is. Never in
    an error: only the ok reply, which is read, never shown. Returned with the names of the
    fields left redacted (``SlackReply.withheld``)."""
    texts = sent.texts()
    kept = {
        name: value
        for name, value in noted.fields.items()
        if redacted(value, texts) == value or _revealed((fields or {}).get(name)) == value
    }
    withheld = frozenset(noted.fields) - frozenset(kept)
    return ({**body, **kept} if kept else body), withheld


def _revealed(value: str | SlackToken | None) -> str | None:
    return value.reveal() if isinstance(value, SlackToken) else value


def _sent_whole(
    token: SlackToken | None,
    client_auth: ClientCredentials | None,
    fields: Mapping[str, str | SlackToken] | None,
) -> SecretTexts:
    """The credentials a request sent, each whole (not its parts)."""
    whole = [token.reveal()] if token is not None else []
    if client_auth is not None:
        whole.extend(client_auth.secrets())
    for name in CREDENTIAL_FIELDS:
        value = (fields or {}).get(name)
        if value is not None:
            whole.append(value.reveal() if isinstance(value, SlackToken) else value)
    return SecretTexts(whole)


def _unread_reply_advice(method: str) -> str:
    """What to do about an answer too large to read: as for any answer that is no Slack
    reply, the address to check, and for a change, that the request went whole, so it may
    have taken effect."""
    if method in READ_ONLY_METHODS:
        return f"{method} only reads, so nothing changed: check {SLACK_ADDRESS}"
    return NO_SLACK_REPLY_ADVICE


def _field_secrets(value: str | SlackToken | None) -> SecretTexts:
    """A credential field's secret forms (a refresh token's parts too, as a bearer token's)."""
    if value is None:
        return _NO_SECRETS
    if isinstance(value, SlackToken):
        return value.secret_texts()
    return SecretTexts(field_secret_forms(value))


_PROXY_TO_CHECK: Final = f"the proxy (HTTPS_PROXY or ALL_PROXY, NO_PROXY) and {SLACK_ADDRESS}"
_CLIENTS_PROXY_TO_CHECK: Final = (
    f"the proxy of the httpx client passed as client=, and {SLACK_ADDRESS}"
)


def _transport_error(
    url: str, method: str, attempts: int, failure: _Failure, reached: bool
) -> TransportError:
    tries = f"after {attempts} attempts" if attempts > 1 else "on the only attempt"
    if not reached:
        check = failure.to_check or f"the network and {SLACK_ADDRESS}"
        advice = failure.advice or f"Nothing was sent; check {check}, then try again"
        unreached = TransportError(
            f"could not reach Slack at {url} {tries}: {failure.text}. {advice}",
            reached=False,
            method=method,
            to_check=failure.to_check,
            setting_at_fault=failure.setting_at_fault,
        )
        if failure.model_advice is not None:
            unreached.model_message = (
                f"could not reach Slack at {url} {tries}: {failure.text}. {failure.model_advice}"
            )
        return unreached
    if method in READ_ONLY_METHODS:
        return TransportError(
            f"Slack did not give a usable answer to {method} {tries}: {failure.text}. "
            f"{method} only reads, so nothing changed; try again",
            reached=True,
            method=method,
        )
    said = f"Slack did not give a usable answer to {method} {tries}: {failure.text}. The request "
    lost = TransportError(
        f"{said}reached Slack, so it may have taken effect; check before trying again",
        reached=True,
        method=method,
    )
    lost.model_message = (
        f"{said}reached Slack, so it may have taken effect: {MAY_HAVE_HAPPENED_FOR_MODELS}"
    )
    return lost


def require_asyncio() -> None:
    """RuntimeError saying what to do when no asyncio loop runs (trio, or a hand-driven
    coroutine): the deadlines, retries and HTTP stacks are asyncio's, and asyncio's own
    error ('no running event loop') would come from deep inside, after the checks."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        raise RuntimeError(
            "ocp-users-photo runs on asyncio, and no asyncio event loop is running: call it "
            "from asyncio code (asyncio.run, an asyncio framework, anyio's asyncio backend; "
            "trio has none), or use call_sync() from code without a loop"
        ) from None


def file_shrank_in(raised: BaseException) -> FileShrank | None:
    """The FileShrank an HTTP stack raised, as it is or among the causes and contexts of
    its own error (aiohttp's writer wraps what its body raises; a caller's transport may
    raise its own from another), looked at a few links deep."""
    waiting: list[BaseException] = [raised]
    for _ in range(16):
        if not waiting:
            return None
        seen = waiting.pop(0)
        if isinstance(seen, FileShrank):
            return seen
        waiting.extend(link for link in (seen.__cause__, seen.__context__) if link is not None)
    return None


def _file_shrank(method: str, shrank: FileShrank, reached: bool) -> TransportError:
    """The image file was cut short while it was being sent."""
    earlier = (
        "; an earlier attempt had reached Slack, so that one may have taken effect: check it"
        if reached
        else ", so nothing of it can have taken effect"
    )
    return TransportError(
        f"the image file became shorter while it was being sent ({shrank.found} of the "
        f"{shrank.expected} bytes checked were there): the {method} request was cut off "
        f"before its end{earlier}. Something wrote to the file meanwhile: send it again "
        "once nothing is writing it",
        reached=reached,
        method=method,
    )


async def _read_within(answer: Answer, cap: int) -> bytes | str | None:
    """The reply's body, decoded, or why it cannot be (None: it is past ``cap``): a
    server that compresses anyway is decoded with no more output asked for than the room
    left under the cap (gzip or deflate, one layer; any other coding is refused). The body
    and its errors stay in this frame, which has ended by the time an error is raised."""
    try:
        body = BoundedBody(answer.headers.get("content-encoding", ""), cap)
        async for chunk in answer.body:
            await body.take(chunk)
        body.finish()
    except BodyTooLarge:
        return None
    except UnreadableBody as error:
        return str(error)
    return body.decoded


def _reply_unread(method: str, deadline: float, size: int) -> TransportError:
    """Slack answered, but its big reply was still being read at the call's deadline."""
    if method in READ_ONLY_METHODS:
        outcome = f"{method} only reads, so nothing changed"
    else:
        outcome = "the request reached Slack, so it may have taken effect: check it"
    return TransportError(
        f"Slack answered {method}, but reading its answer ({size} bytes, where Slack's are "
        f"about 1 KB) took past the call's {deadline:g} s deadline; {outcome}. Try again "
        "(or give the tool a longer deadline=)",
        reached=True,
        method=method,
    )


def _out_of_time(method: str, deadline: float, reached: bool) -> TransportError:
    """No time was left of the call's deadline for (another) attempt: not sent."""
    if reached and method not in READ_ONLY_METHODS:
        outcome = "an earlier attempt had reached Slack, so it may have taken effect: check it"
    else:
        outcome = "this request was not sent, so nothing of it can have taken effect"
    return TransportError(
        f"no time was left of the call's {deadline:g} s deadline for {method}; {outcome}. "
        "Try again (or give the tool a longer deadline=)",
        reached=reached,
        method=method,
    )


def _closed_under_way(method: str, reached: bool) -> TransportError:
    """The client was closed (``aclose``) while a call was under way: it ends here."""
    if not reached or method in READ_ONLY_METHODS:
        outcome = "nothing of it can have taken effect" if not reached else f"{method} only reads"
    else:
        outcome = "the request had reached Slack, so it may have taken effect: check it"
    return TransportError(
        f"the tool was closed while {method} was under way; {outcome}. Close the tool only "
        "after its calls have ended",
        reached=reached,
        method=method,
    )


async def _closed_as_the_loop_ends(owned: OwnedStack, stacks: weakref.ref[LoopStacks]) -> None:
    """Close ``owned`` when its loop is shut down (asyncio.run, or any loop ended with
    ``shutdown_asyncgens``): an async generator started here waits at its yield, and the
    loop closes it before closing itself, on the loop. A web view running each call with
    asyncio.run left each loop's connection to the garbage collector ("unclosed transport").
    Held by the stack: a loop never shut down lets both go together, as before. The client's
    stacks are held weakly: the loop keeps no client alive."""
    if getattr(asyncio.get_running_loop(), "_asyncgens_shutdown_called", False):
        # Shut down already (a generator's cleanup, a loop that goes on): a generator
        # started now is never closed by the loop, which warns of it. Left as before.
        return
    closer = _closer_of(owned, stacks)
    await anext(closer)
    owned.closer = closer  # type: ignore[attr-defined]


async def _closer_of(owned: OwnedStack, stacks: weakref.ref[LoopStacks]) -> AsyncIterator[None]:
    try:
        yield
    finally:
        # The loop's no more (if it still is): a call after this, in another generator's
        # cleanup or on a loop that goes on, opens a new stack, not this closed one.
        loop_stacks = stacks()
        loop = asyncio.get_running_loop()
        if loop_stacks is not None and loop_stacks.get(loop) is owned:
            loop_stacks.pop(loop)
        if not owned.is_closed:
            await owned.aclose()


def _local_server(base_url: str) -> str | None:
    """``host:port`` of a base URL on a loopback address (a local server, such as the
    emulator), else None."""
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    try:
        local = host.lower() == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        local = False
    if not local:
        return None
    port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    return f"{'[' + host + ']' if ':' in host else host}:{port}"


def _proxy_shown(proxy: str) -> str:
    """The proxy as a message names it: its host and port, never its user information."""
    parts = urlsplit(proxy)
    port = f":{parts.port}" if parts.port else ""
    host = parts.hostname or "?"
    return f"{'[' + host + ']' if ':' in host else host}{port}"


# What each kind of HTTP stack failure means, in words, before the library's own detail.
_FAILURE_WORDS: Final = (
    (httpx.ConnectError, "the connection could not be made"),
    (httpx.ReadError, "the connection failed while Slack's answer was read"),
    (httpx.WriteError, "the connection failed while the request was sent"),
    (httpx.LocalProtocolError, "the request could not be written"),
)
# How the stacks' own texts for a connection closed early begin (h11's, httpx's, aiohttp's):
# matched at the start only, as the rest may quote the server (h11 quotes a header line).
_CLOSED_EARLY: Final = re.compile(r"Server disconnected|peer closed connection", re.IGNORECASE)


def _detail(error: BaseException, secrets: SecretTexts) -> str:
    """The library's type and text of ``error``, the token redacted, bounded."""
    text = shown(redacted(str(error), secrets.texts()), 160).rstrip()
    if text.endswith(".") and not text.endswith("..."):  # its full stop; not a cut's mark
        text = text[:-1]
    name = type(error).__name__
    return f"{name}: {text}" if text else name


def _describe(error: BaseException, secrets: SecretTexts) -> str:
    """An HTTP stack error as one safe line: what it means in words, then the library's type
    and text (for whoever looks further), the token redacted, bounded.

    The text can hold what the server sent (h11 quotes a malformed header line).
    """
    detail = _detail(error, secrets)
    text = detail.partition(": ")[2]
    words = next((said for kind, said in _FAILURE_WORDS if isinstance(error, kind)), None)
    if isinstance(error, httpx.RemoteProtocolError):
        words = (
            "the connection closed before Slack answered"
            if _CLOSED_EARLY.match(text)
            else "Slack's answer broke HTTP's rules"
        )
    return f"{words} ({detail})" if words else detail
