"""Status callbacks from the platform to an app (PROTOCOL §5): signed, retried, in order.

:meth:`CallbackSender.send` returns at once; delivery happens in a background task, so a
slow or dead callback server never holds up a call. Callbacks sharing an ``order_key`` (one
stream's) are delivered one after another in the order sent. Each is signed with the
account's auth token (``X-Vobiz-Signature-V3`` and ``-V2`` with their nonces, over the URL
without its query string), sent as a form POST or as a GET query, and retried with
exponential backoff on a connection failure or a non-2xx answer; the last failure is logged.
At most :data:`MAX_PENDING_PER_KEY` callbacks of one key wait at a time: past that (an app
flooding checkpoints or clears while the callback server is slow) they are dropped, counted
and logged, so memory stays bounded.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

import aiohttp
from yarl import URL

from audiofork.vobiz.signature import sign, signature_header_names

__all__ = ["MAX_PENDING_PER_KEY", "CallbackSender", "RetrySchedule", "signed_headers"]

_log = logging.getLogger("audiofork.emulator")

#: Callbacks of one ``order_key`` (one stream) waiting for delivery, at most.
MAX_PENDING_PER_KEY = 1000


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
    """Delivers status callbacks in the background over one aiohttp client session."""

    def __init__(self, http: aiohttp.ClientSession, retry: RetrySchedule | None = None) -> None:
        self._http = http
        self._retry = retry or RetrySchedule()
        self._tails: dict[str, asyncio.Task[None]] = {}
        self._waiting: dict[str, int] = {}  # callbacks not yet finished, per order key
        self._tasks: set[asyncio.Task[None]] = set()
        self.delivered = 0
        self.failed = 0
        self.dropped = 0

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
        dropped (counted in :attr:`dropped`; the first drop is logged) while
        :data:`MAX_PENDING_PER_KEY` callbacks of that key are waiting."""
        waiting = self._waiting.get(order_key, 0)
        if waiting >= MAX_PENDING_PER_KEY:
            if not self.dropped:
                _log.warning("callbacks to %s are backing up; dropping new ones", url)
            self.dropped += 1
            return
        self._waiting[order_key] = waiting + 1
        previous = self._tails.get(order_key)
        task = asyncio.create_task(self._deliver(previous, url, method, dict(fields), auth_token))
        self._tails[order_key] = task
        self._tasks.add(task)
        task.add_done_callback(lambda done: self._forget(order_key, done))

    def _forget(self, order_key: str, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._waiting[order_key] -= 1
        if not self._waiting[order_key]:
            del self._waiting[order_key]
        if self._tails.get(order_key) is task:
            del self._tails[order_key]

    async def _deliver(
        self,
        previous: asyncio.Task[None] | None,
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
            problem = await self._try_once(url, method, fields, auth_token)
            if not problem:
                self.delivered += 1
                _log.debug("callback %s to %s delivered", event, url)
                return
        self.failed += 1
        _log.warning(
            "callback %s to %s failed after %d attempts: %s",
            event,
            url,
            self._retry.attempts,
            problem,
        )

    async def _try_once(
        self, url: str, method: str, fields: dict[str, str], auth_token: str
    ) -> str:
        """One delivery attempt: ``""`` on a 2xx answer, else what went wrong."""
        headers = signed_headers(url, auth_token)
        timeout = aiohttp.ClientTimeout(total=self._retry.timeout_s)
        try:
            if method == "GET":
                target = URL(url).extend_query(fields)
                request = self._http.get(target, headers=headers, timeout=timeout)
            else:
                request = self._http.post(url, data=fields, headers=headers, timeout=timeout)
            async with request as response:
                await response.read()
                return "" if 200 <= response.status < 300 else f"HTTP {response.status}"
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__

    @property
    def pending(self) -> int:
        """Callbacks not yet delivered or given up."""
        return len(self._tasks)

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
