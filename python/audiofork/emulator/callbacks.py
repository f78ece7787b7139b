"""Status callbacks from the platform to an app (PROTOCOL §5): signed, retried, in order.

:meth:`CallbackSender.send` returns at once; delivery happens in a background task, so a
slow or dead callback server never holds up a call. Callbacks sharing an ``order_key`` (one
stream's) are delivered one after another in the order sent. Each is signed with the
account's auth token (``X-Vobiz-Signature-V3`` and ``-V2`` with their nonces, over the URL
without its query string), sent as a form POST or as a GET query, and retried with
exponential backoff on a connection failure or a non-2xx answer; the last failure is logged.

Memory is bounded in bytes, and every refusal is counted and logged (a burst as a few lines
and a summary with its count, see :class:`~audiofork.emulator.logs.FloodLog`):

- a callback whose form is over :data:`MAX_CALLBACK_BYTES` (a huge checkpoint name, say) is
  not sent (:attr:`CallbackSender.refused`): a receiver refuses more, audiofork's own
  included;
- callbacks waiting for delivery are at most :data:`MAX_PENDING_PER_KEY` and
  :data:`MAX_PENDING_BYTES_PER_KEY` per key (one stream's), and :data:`MAX_PENDING_BYTES`
  in all; past that (an app flooding checkpoints while the callback server is slow) new
  ones are dropped (:attr:`CallbackSender.dropped`);
- of each reply, at most :data:`MAX_REPLY_BYTES` are read: only its status matters, and a
  longer body is left unread and its connection closed (:attr:`CallbackSender.replies_cut`).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

import aiohttp
from yarl import URL

from audiofork.emulator.logs import FloodLog, clip
from audiofork.vobiz.callbacks import MAX_BODY_BYTES
from audiofork.vobiz.signature import sign, signature_header_names

__all__ = [
    "MAX_CALLBACK_BYTES",
    "MAX_PENDING_BYTES",
    "MAX_PENDING_BYTES_PER_KEY",
    "MAX_PENDING_PER_KEY",
    "MAX_REPLY_BYTES",
    "CallbackSender",
    "RetrySchedule",
    "signed_headers",
]

_log = logging.getLogger("audiofork.emulator")

#: Callbacks of one ``order_key`` (one stream) waiting for delivery, at most.
MAX_PENDING_PER_KEY = 1000
#: Bytes (the memory of their URLs and fields) of the callbacks of one ``order_key``
#: waiting, at most.
MAX_PENDING_BYTES_PER_KEY = 4 << 20
#: Bytes of all callbacks waiting, at most.
MAX_PENDING_BYTES = 32 << 20
#: The largest callback sent (URL and form, in bytes): what a receiver reads at most
#: (:data:`audiofork.vobiz.callbacks.MAX_BODY_BYTES`).
MAX_CALLBACK_BYTES = MAX_BODY_BYTES
#: Bytes of a callback's reply read, at most; the rest is never read.
MAX_REPLY_BYTES = 4096


@dataclass(frozen=True)
class RetrySchedule:
    """``attempts`` tries in all, waiting ``backoff_s * 2**n`` real seconds before retry
    ``n`` (from 0); each try gives up after ``timeout_s``."""

    attempts: int = 4
    backoff_s: float = 0.5
    timeout_s: float = 5.0


def signed_headers(url: str, auth_token: str) -> dict[str, str]:
    """The V3 and V2 signature headers of a callback to ``url``, each with a fresh nonce."""
    headers: dict[str, str] = {}
    for version in ("v3", "v2"):
        nonce = str(secrets.randbelow(10**20)).zfill(20)
        signature_name, nonce_name = signature_header_names(version)
        headers[signature_name] = sign(url, nonce, auth_token, version)
        headers[nonce_name] = nonce
    return headers


class CallbackSender:
    """Delivers status callbacks in the background over one aiohttp client session;
    ``on_result(order_key, event, outcome, delivered, attempt)`` hears each try's outcome
    (``HTTP 200``, ``HTTP 500``, a connection error)."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        retry: RetrySchedule | None = None,
        *,
        on_result: Callable[[str, str, str, bool, int], None] | None = None,
    ) -> None:
        self._http = http
        self._on_result = on_result
        self._retry = retry or RetrySchedule()
        self._tails: dict[str, asyncio.Task[None]] = {}
        self._waiting: dict[str, int] = {}  # callbacks not yet finished, per order key
        self._waiting_bytes: dict[str, int] = {}  # their bytes, per order key
        self._tasks: set[asyncio.Task[None]] = set()
        self._log = FloodLog(_log)
        self.pending_bytes = 0
        self.delivered = 0
        self.failed = 0
        self.dropped = 0
        self.refused = 0
        self.replies_cut = 0

    def send(
        self,
        url: str,
        method: str,
        fields: Mapping[str, str],
        auth_token: str,
        *,
        order_key: str,
    ) -> None:
        """Queue one callback; it leaves after every earlier one with the same key. It is
        dropped (:attr:`dropped`) while the key's or all waiting callbacks are at their
        bound, else refused (:attr:`refused`) over :data:`MAX_CALLBACK_BYTES` (see the module
        doc); either is logged, a burst summarised."""
        event = fields.get("Event", "?")
        waiting = self._waiting.get(order_key, 0)
        waiting_bytes = self._waiting_bytes.get(order_key, 0)
        if waiting >= MAX_PENDING_PER_KEY:  # first: the cheap check, for a flood
            self._drop(url, event, order_key, waiting, waiting_bytes)
            return
        sent_bytes = _sent_bytes(url, fields)
        if sent_bytes > MAX_CALLBACK_BYTES:
            self.refused += 1
            self._log.log(
                _log_key(order_key, "too large"),
                logging.WARNING,
                "status callback %s of stream %s not sent: %d bytes, over the %d a receiver reads",
                event,
                order_key,
                sent_bytes,
                MAX_CALLBACK_BYTES,
            )
            return
        size = _held_bytes(url, fields)
        if (
            waiting_bytes + size > MAX_PENDING_BYTES_PER_KEY
            or self.pending_bytes + size > MAX_PENDING_BYTES
        ):
            self._drop(url, event, order_key, waiting, waiting_bytes)
            return
        self._waiting[order_key] = waiting + 1
        self._waiting_bytes[order_key] = waiting_bytes + size
        self.pending_bytes += size
        previous = self._tails.get(order_key)
        task = asyncio.create_task(
            self._deliver(previous, order_key, url, method, dict(fields), auth_token)
        )
        self._tails[order_key] = task
        self._tasks.add(task)
        task.add_done_callback(lambda done: self._forget(order_key, size, done))

    def _drop(self, url: str, event: str, order_key: str, waiting: int, waiting_bytes: int) -> None:
        self.dropped += 1
        self._log.log(
            _log_key(order_key, "dropped"),
            logging.WARNING,
            "status callback %s of stream %s dropped: %d callbacks (%d bytes) of the stream "
            "are waiting for %s",
            event,
            order_key,
            waiting,
            waiting_bytes,
            url,
        )

    def _forget(self, order_key: str, size: int, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self.pending_bytes -= size
        self._waiting[order_key] -= 1
        self._waiting_bytes[order_key] -= size
        if not self._waiting[order_key]:
            del self._waiting[order_key]
            del self._waiting_bytes[order_key]
            self._flush_log(order_key)
        if self._tails.get(order_key) is task:
            del self._tails[order_key]

    def _flush_log(self, order_key: str) -> None:
        for what in _LOGGED:
            self._log.flush(_log_key(order_key, what))

    async def _deliver(
        self,
        previous: asyncio.Task[None] | None,
        order_key: str,
        url: str,
        method: str,
        fields: dict[str, str],
        auth_token: str,
    ) -> None:
        if previous is not None:
            await asyncio.wait({previous})
        event = fields.get("Event", "?")
        problem = ""
        for attempt in range(self._retry.attempts):
            if attempt:
                await asyncio.sleep(self._retry.backoff_s * 2 ** (attempt - 1))
            outcome, delivered = await self._try_once(order_key, url, method, fields, auth_token)
            if self._on_result is not None:
                self._on_result(order_key, event, outcome, delivered, attempt + 1)
            problem = "" if delivered else outcome
            if delivered:
                self.delivered += 1
                _log.debug("callback %s to %s delivered", event, url)
                return
        self.failed += 1
        self._log.log(
            _log_key(order_key, "failed"),
            logging.WARNING,
            "callback %s of stream %s to %s failed after %d attempts: %s",
            event,
            order_key,
            url,
            self._retry.attempts,
            clip(problem),
        )

    async def _try_once(
        self, order_key: str, url: str, method: str, fields: dict[str, str], auth_token: str
    ) -> tuple[str, bool]:
        """One delivery attempt: its outcome (``HTTP 200``, or what went wrong) and whether
        it was delivered (a 2xx answer). At most :data:`MAX_REPLY_BYTES` of the reply are
        read; a longer one's connection is closed."""
        headers = signed_headers(url, auth_token)
        timeout = aiohttp.ClientTimeout(total=self._retry.timeout_s)
        try:
            if method == "GET":
                target = URL(url).extend_query(fields)
                request = self._http.get(target, headers=headers, timeout=timeout)
            else:
                request = self._http.post(url, data=fields, headers=headers, timeout=timeout)
            async with request as response:
                if not await _read_short_reply(response):
                    self.replies_cut += 1
                    self._log.log(
                        _log_key(order_key, "replies cut"),
                        logging.INFO,
                        "callback reply from %s is over %d bytes; the rest is not read",
                        url,
                        MAX_REPLY_BYTES,
                    )
                return f"HTTP {response.status}", 200 <= response.status < 300
        # asyncio.TimeoutError: aiohttp's total timeout; not the builtin before Python 3.11.
        except (aiohttp.ClientError, asyncio.TimeoutError, TimeoutError, ValueError) as exc:
            return (f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__), False

    @property
    def pending(self) -> int:
        """Callbacks not yet delivered or given up."""
        return len(self._tasks)

    async def settled(self, order_key: str) -> None:
        """Wait until every callback queued so far with ``order_key`` has been delivered or
        given up (they leave in order: the last one's end is theirs)."""
        tail = self._tails.get(order_key)
        if tail is not None:
            await asyncio.wait({tail})

    async def flush(self, timeout_s: float) -> None:
        """Wait up to ``timeout_s`` for queued callbacks, then cancel what is left."""
        tasks = set(self._tasks)
        if not tasks:
            return
        _, late = await asyncio.wait(tasks, timeout=timeout_s)
        for task in late:
            task.cancel()
        if late:
            _log.warning("%d status callbacks were still pending at shutdown", len(late))
            await asyncio.wait(late)
        self._log.flush_all()


_LOGGED = ("too large", "dropped", "failed", "replies cut")
#: The most bytes one character of a field becomes on the wire: 4 in UTF-8, each written
#: as 3 (``%XX``) in a form or query.
_WIRE_BYTES_PER_CHAR = 12


def _sent_bytes(url: str, fields: Mapping[str, str]) -> int:
    """The callback's size on the wire (URL and form), at least: exact when it could be
    near :data:`MAX_CALLBACK_BYTES`, else the character count (encoding a form for every
    callback would cost more than sending the ones that fit)."""
    chars = len(url) + sum(len(key) + len(value) + 2 for key, value in fields.items())
    if chars * _WIRE_BYTES_PER_CHAR <= MAX_CALLBACK_BYTES:
        return chars
    return len(url.encode("utf-8", "surrogateescape")) + len(urlencode(fields))


def _held_bytes(url: str, fields: Mapping[str, str]) -> int:
    """The memory a queued callback holds: its URL's and fields' string objects."""
    return sys.getsizeof(url) + sum(
        sys.getsizeof(key) + sys.getsizeof(value) for key, value in fields.items()
    )


def _log_key(order_key: str, what: str) -> str:
    """The :class:`FloodLog` key of one kind of trouble with one stream's callbacks."""
    return f"status callbacks of stream {order_key} {what}"


async def _read_short_reply(response: aiohttp.ClientResponse) -> bool:
    """Read and discard the reply body if it is at most :data:`MAX_REPLY_BYTES`; ``False``
    (the connection closed, the rest unread) if it is longer."""
    left = MAX_REPLY_BYTES
    while left >= 0:
        chunk = await response.content.read(left + 1)
        if not chunk:
            return True
        left -= len(chunk)
    response.close()
    return False
