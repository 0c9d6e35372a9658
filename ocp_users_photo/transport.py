"""The HTTP call: one multipart POST, the token in the Authorization header, bounded retries.

Retried: HTTP 429 after its Retry-After (unless that is longer than
``max_retry_wait``), HTTP 5xx, connection failures and timeouts, with
exponential backoff and jitter, at most ``max_retries`` times. Setting a photo
twice sets the same photo, so repeating a POST whose reply was lost is safe.
Nothing else is retried: a Slack error is an answer, not a fault.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import random
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Final

import httpx

from ocp_users_photo.credentials import SlackToken
from ocp_users_photo.errors import TransportError
from ocp_users_photo.image import PreparedImage

logger = logging.getLogger("ocp_users_photo")

MAX_REPLY_BYTES: Final = 1024 * 1024
# httpx's multipart encoder yields each boundary, part header and 64 KB file block on
# its own, and every piece costs a write through httpcore and anyio (~20 us each, from
# a profile). Handing them on in pieces of this size keeps the encoding httpx's and
# cuts the writes of a 1 MB upload from ~25 to ~5.
WRITE_PIECE_BYTES: Final = 256 * 1024
# Network faults worth another try; protocol misuse on our side (LocalProtocolError,
# UnsupportedProtocol) would fail the same way again.
_RETRYABLE: Final = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to try again."""

    max_retries: int = 2
    max_retry_wait: float = 30.0
    backoff: float = 0.5
    backoff_cap: float = 8.0

    def backoff_delay(self, attempt: int, jitter: random.Random) -> float:
        """Seconds before retry number ``attempt`` (1-based): doubling, capped, half jittered."""
        ceiling = min(self.backoff_cap, self.backoff * 2 ** (attempt - 1))
        return float(ceiling * (0.5 + jitter.random() / 2))


@dataclass(frozen=True)
class HttpReply:
    """The final HTTP answer: status, headers, the (bounded) body, and how many attempts it took."""

    status_code: int
    headers: httpx.Headers
    body: bytes
    attempts: int


class PhotoTransport:
    """Sends a prepared image to ``{base_url}/users.setPhoto``, retrying transient faults."""

    def __init__(
        self,
        *,
        url: str,
        timeout: float,
        policy: RetryPolicy,
        user_agent: str,
        max_reply_bytes: int = MAX_REPLY_BYTES,
    ) -> None:
        self.url = url
        self._timeout = httpx.Timeout(timeout)
        self._policy = policy
        self._user_agent = user_agent
        self._max_reply_bytes = max_reply_bytes
        self._jitter = random.Random()  # noqa: S311 - jitter, not cryptography

    async def send(
        self, client: httpx.AsyncClient, token: SlackToken, image: PreparedImage
    ) -> HttpReply:
        """POST the image until a final answer comes back; TransportError if none does."""
        policy = self._policy
        last_attempt = policy.max_retries + 1
        for attempt in range(1, last_attempt + 1):
            started = time.perf_counter()
            # httpx errors keep the request, Authorization header included; only their
            # description leaves this block, and TransportError is raised outside it so the
            # httpx error is not reachable as its __context__.
            failure: str | None = None
            retryable = False
            try:
                reply = await self._attempt(client, token, image, attempt)
            except _RETRYABLE as error:
                failure, retryable = _describe(error), True
            except httpx.HTTPError as error:
                failure = _describe(error)
            if failure is not None:
                self._log(image, attempt, last_attempt, f"failed: {failure}", started)
                if not retryable:
                    raise TransportError(f"the request to {self.url} failed: {failure}")
                if attempt == last_attempt:
                    raise TransportError(
                        f"could not reach Slack at {self.url} after {attempt} attempts: "
                        f"{failure}. Check the network and base_url, then try again"
                    )
                await asyncio.sleep(policy.backoff_delay(attempt, self._jitter))
                continue
            self._log(image, attempt, last_attempt, f"HTTP {reply.status_code}", started)
            if _rate_limited(reply):
                wait = retry_after_seconds(reply.headers)
                if attempt == last_attempt or (wait is not None and wait > policy.max_retry_wait):
                    return reply
                await asyncio.sleep(
                    wait if wait is not None else policy.backoff_delay(attempt, self._jitter)
                )
                continue
            if reply.status_code >= 500 and attempt < last_attempt:
                await asyncio.sleep(policy.backoff_delay(attempt, self._jitter))
                continue
            return reply
        raise AssertionError("unreachable: the last attempt always returns or raises")

    async def _attempt(
        self, client: httpx.AsyncClient, token: SlackToken, image: PreparedImage, attempt: int
    ) -> HttpReply:
        request = client.build_request(
            "POST",
            self.url,
            headers={
                "Authorization": f"Bearer {token.reveal()}",
                "User-Agent": self._user_agent,
                "Accept": "application/json",
            },
            data=image.crop_box.form_fields() if image.crop_box is not None else None,
            files={"image": (image.filename, image.body(), image.content_type)},
            timeout=self._timeout,
        )
        request.stream = _LargeWrites(request.stream)
        response = await client.send(request, stream=True)
        try:
            body = await self._read_bounded(response)
        finally:
            await response.aclose()
        return HttpReply(
            status_code=response.status_code,
            headers=response.headers,
            body=body,
            attempts=attempt,
        )

    async def _read_bounded(self, response: httpx.Response) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._max_reply_bytes:
            raise TransportError(
                f"Slack's reply declares {declared} bytes, more than the "
                f"{self._max_reply_bytes} a users.setPhoto reply can need; not read",
                status_code=response.status_code,
            )
        chunks: list[bytes] = []
        received = 0
        async for chunk in response.aiter_bytes():
            received += len(chunk)
            if received > self._max_reply_bytes:
                raise TransportError(
                    f"Slack's reply is larger than {self._max_reply_bytes} bytes, more than a "
                    "users.setPhoto reply can need; reading stopped",
                    status_code=response.status_code,
                )
            chunks.append(chunk)
        return b"".join(chunks)

    def _log(
        self, image: PreparedImage, attempt: int, last_attempt: int, outcome: str, started: float
    ) -> None:
        if not logger.isEnabledFor(logging.DEBUG):
            return
        elapsed_ms = (time.perf_counter() - started) * 1000
        logger.debug(
            "users.setPhoto attempt %d/%d: POST %s image=%s %dx%d %d bytes crop=%s: %s in %.1f ms",
            attempt,
            last_attempt,
            self.url,
            image.format,
            image.width,
            image.height,
            image.byte_count,
            image.crop_box if image.crop_box is not None else "none",
            outcome,
            elapsed_ms,
        )


class _LargeWrites(httpx.AsyncByteStream):
    """A request body, httpx's own encoding, passed on in pieces of WRITE_PIECE_BYTES."""

    def __init__(self, stream: httpx.SyncByteStream | httpx.AsyncByteStream) -> None:
        if not isinstance(stream, httpx.AsyncByteStream):
            raise TypeError("an async byte stream is needed")
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        pending = bytearray()
        async for chunk in self._stream:
            pending += chunk
            if len(pending) >= WRITE_PIECE_BYTES:
                yield bytes(pending)
                pending.clear()
        if pending:
            yield bytes(pending)

    async def aclose(self) -> None:
        await self._stream.aclose()


def _rate_limited(reply: HttpReply) -> bool:
    """HTTP 429, or Slack's ``ratelimited`` error with a Retry-After in another status."""
    if reply.status_code == 429:
        return True
    if "retry-after" not in reply.headers or b"ratelimited" not in reply.body:
        return False
    try:
        body = json.loads(reply.body)
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("ok") is False and body.get("error") == "ratelimited"


def retry_after_seconds(headers: httpx.Headers) -> float | None:
    """Retry-After as seconds (it may be a number or an HTTP date); None when absent or unusable."""
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        seconds = moment.timestamp() - time.time()
    if seconds != seconds or seconds == float("inf"):
        return None
    return max(0.0, seconds)


def _describe(error: BaseException) -> str:
    text = str(error).strip()
    name = type(error).__name__
    return f"{name}: {text}" if text else name
