"""A call: its answer URL, the VobizXML it returns executed in order, its streams, and the
hangup that ends them.

After the answer URL answers, the XML's elements run one after another: ``<Stream>`` starts
a fork (and, with ``keepCallAlive``, the next element waits for it to end), ``<Wait
length>`` waits on the virtual clock, ``<Hangup>`` hangs up; anything else is logged and
skipped. The end of the XML hangs up, as on the platform (a stream without
``keepCallAlive`` followed by nothing ends at once). A finite caller audio hangs up a grace
period after it has played, counted from the call's first stream start; ``DELETE`` on the
call hangs up too. Hanging up stops every stream of the call.

A call that fails says why in :attr:`Call.error` (the REST call object's ``error``, the
status page and the log): ``answer_failed: timeout after 10 s fetching http://…``, the
answer URL's HTTP status, the XML error, or the emulator's own fault; never an empty text.
The answer URL has :attr:`~audiofork.emulator.EmulatorConfig.answer_timeout_s` real
seconds (10 by default) to answer in full.

A call runs at most :data:`MAX_LIVE_STREAMS_PER_CALL` streams at once and starts at most
:data:`MAX_STREAMS_PER_CALL` in its life; a start past either is refused (a REST 400, a
``<Stream>`` skipped and logged), and an answer with more ``<Stream>`` elements than a call
may ever start is refused whole before any of it runs.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import aiohttp

from audiofork.dialects import Dialect
from audiofork.emulator.callbacks import signed_headers
from audiofork.emulator.forks import CallParty, Fork, StreamInfo, wall_text
from audiofork.emulator.logs import clip
from audiofork.emulator.services import Services
from audiofork.emulator.twiml import parse_twiml
from audiofork.errors import ValidationError
from audiofork.vobiz import _params, redact_url, redact_urls
from audiofork.vobiz.xml import Element, Response, StreamElement, parse_response

__all__ = [
    "ANSWER_LIMIT_BYTES",
    "MAX_LIVE_STREAMS_PER_CALL",
    "MAX_STREAMS_PER_CALL",
    "Call",
    "CallInfo",
    "CallStatus",
]

_log = logging.getLogger("audiofork.emulator")

CallStatus = Literal["ringing", "in-progress", "completed"]
#: The largest answer document read; a longer one fails the call.
ANSWER_LIMIT_BYTES = 1 << 20
#: Streams one call runs at once, at most.
MAX_LIVE_STREAMS_PER_CALL = 10
#: Streams one call starts in its life (reconnects not counted), at most.
MAX_STREAMS_PER_CALL = 100
_WAIT_DEFAULT_S = 1
#: The longest ``<Wait length>`` (virtual seconds).
_WAIT_MAX_S = 999_999_999
#: The most characters of a failing answer URL's reply quoted in the call's error.
_REPLY_QUOTED = 200


@dataclass(frozen=True)
class CallInfo:
    """A snapshot of a call: what :meth:`Emulator.call_info
    <audiofork.emulator.Emulator.call_info>` returns. ``duration`` is whole virtual seconds
    from answer to hangup (or now); ``error`` says why the call failed (``None`` unless it
    did), e.g. ``answer_failed: timeout after 10 s fetching http://…``; ``streams`` are in
    the order they started."""

    call_uuid: str
    account_id: str
    status: CallStatus
    hangup_cause: str | None
    duration: int
    streams: tuple[StreamInfo, ...]
    error: str | None = None

    @property
    def live(self) -> bool:
        """Whether the call has not hung up."""
        return self.status != "completed"


class Call:
    """One outbound call of an account. :meth:`run` answers it and executes its XML."""

    def __init__(
        self,
        party: CallParty,
        answer_url: str,
        answer_method: Literal["GET", "POST"],
        services: Services,
        *,
        on_finished: Callable[[Call], None] | None = None,
    ) -> None:
        self.party = party
        self.request_uuid = str(uuid.uuid4())
        self.answer_url = answer_url
        self.answer_method = answer_method
        self._services = services
        self.status: CallStatus = "ringing"
        self.hangup_cause: str | None = None
        #: Why the call failed (``None`` unless it did), URLs redacted.
        self.error: str | None = None
        self.initiated_at = services.clock.wall()
        self.answered_at: datetime | None = None
        self._answered_v: float | None = None
        self.ended_at: datetime | None = None
        self._ended_v: float | None = None
        self.forks: list[Fork] = []
        self._by_id: dict[str, Fork] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._hung_up = asyncio.Event()
        self._audio_timer: asyncio.Task[None] | None = None
        self._on_finished = on_finished

    @property
    def uuid(self) -> str:
        """The call's id."""
        return self.party.call_uuid

    @property
    def live(self) -> bool:
        """Whether the call has not hung up."""
        return self.status != "completed"

    def fork(self, stream_id: str) -> Fork | None:
        """The stream with this id (any id it had, across reconnects)."""
        return self._by_id.get(stream_id)

    def start(self) -> None:
        """Answer the call and run its XML in the background."""
        self._spawn(self._run())

    def _spawn(self, work: Awaitable[Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not self._tasks and not self.live and self._on_finished is not None:
            on_finished, self._on_finished = self._on_finished, None
            on_finished(self)

    async def _run(self) -> None:
        cause, error = "xml_end", None
        try:
            answer = asyncio.ensure_future(self._answer())
            await self._until_hangup(answer)  # a hangup while ringing abandons the fetch
            if not self.live:
                return
            response = answer.result()
            if isinstance(response, str):
                cause, error = "answer_failed", f"answer_failed: {response}"
            else:
                self.status = "in-progress"
                self.answered_at = self._services.clock.wall()
                self._answered_v = self._services.clock.now()
                _log.info("call %s: answered, %d XML elements", self.uuid, len(response.elements))
                await self._execute(response)
        except Exception as exc:
            _log.exception("call %s: executing the XML failed", self.uuid)
            cause, error = "emulator_error", f"emulator_error: {_described(exc)} (see the log)"
        self.hangup(cause, error=error)
        self._services.log.flush(self._skipped_key)

    async def _answer(self) -> Response | str:
        """Fetch and parse the answer URL: the response, or why that failed (redacted)."""
        fields = {
            "CallUUID": self.uuid,
            "RequestUUID": self.request_uuid,
            "From": self.party.from_,
            "To": self.party.to,
            "Direction": "outbound",
            "CallStatus": "in-progress",
            "Event": "StartApp",
            "ParentAuthID": self.party.account_id,
        }
        headers = signed_headers(self.answer_url, self.party.auth_token)
        limit_s = self._services.answer_timeout_s
        timeout = aiohttp.ClientTimeout(total=limit_s)
        http = self._services.http
        url = redact_url(self.answer_url)
        _log.info("call %s: %s %s", self.uuid, self.answer_method, self.answer_url)
        try:
            if self.answer_method == "GET":
                request = http.get(self.answer_url, params=fields, headers=headers, timeout=timeout)
            else:
                request = http.post(self.answer_url, data=fields, headers=headers, timeout=timeout)
            async with request as reply:
                body = await _read_limited(reply)
                if not 200 <= reply.status < 300:
                    return self._failed(
                        f"{self.answer_method} {url} answered HTTP {reply.status} "
                        f"{reply.reason or ''}".rstrip()
                        + _quoted(body)
                    )
        except asyncio.TimeoutError:  # aiohttp's timeouts, on 3.10 too; their text is empty
            return self._failed(f"timeout after {limit_s:g} s fetching {url}")
        except _AnswerTooLong:
            return self._failed(f"the answer from {url} is longer than {ANSWER_LIMIT_BYTES} bytes")
        except (aiohttp.ClientError, ValueError) as exc:
            return self._failed(f"cannot fetch {url}: {_described(exc)}")
        twilio = self._services.dialect is Dialect.TWILIO
        try:
            response = parse_twiml(body) if twilio else parse_response(body)
        except ValidationError as exc:
            language = "TwiML" if twilio else "VobizXML"
            return self._failed(f"the answer from {url} is not valid {language}: {exc}")
        streams = sum(isinstance(element, StreamElement) for element in response)
        if streams > MAX_STREAMS_PER_CALL:
            return self._failed(
                f"the answer from {url} has {streams} <Stream> elements, more than the "
                f"{MAX_STREAMS_PER_CALL} a call may start; refused"
            )
        return response

    def _failed(self, reason: str) -> str:
        """Log why the answer failed; the reason, redacted."""
        reason = redact_urls(reason)
        _log.warning("call %s: answer_failed: %s", self.uuid, clip(reason, 400))
        return reason

    async def _execute(self, response: Response) -> None:
        for element in response:
            if not self.live:
                return
            if isinstance(element, StreamElement):
                try:
                    fork = self.start_fork(element)
                except ValidationError as exc:
                    self._services.log.log(
                        self._skipped_key,
                        logging.WARNING,
                        "call %s: <Stream> skipped: %s",
                        self.uuid,
                        exc,
                    )
                    continue
                if element.keep_call_alive:
                    await self._until_hangup(fork.done.wait())
            elif element.tag == "Wait":
                try:
                    length = _wait_length(element)
                except ValidationError as exc:
                    _log.warning("call %s: <Wait> skipped: %s", self.uuid, exc)
                    continue
                _log.info("call %s: <Wait length=%d>", self.uuid, length)
                await self._until_hangup(self._services.clock.sleep(length))
            elif element.tag == "Hangup":
                self.hangup("xml_hangup")
                return
            else:
                _log.info("call %s: <%s> is not emulated; skipped", self.uuid, element.tag)

    async def _until_hangup(self, work: Awaitable[Any]) -> None:
        """Wait for ``work`` or the hangup, whichever comes first."""
        waits = [asyncio.ensure_future(work), asyncio.ensure_future(self._hung_up.wait())]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()
            await asyncio.gather(*waits, return_exceptions=True)

    @property
    def _skipped_key(self) -> str:
        return f"call {self.uuid} <Stream> skipped"

    def start_fork(self, element: StreamElement) -> Fork:
        """Start a stream on this (live) call (:class:`ValidationError` if the emulator
        cannot run ``element``, or the call is at a limit of its streams)."""
        if self.status != "in-progress":
            raise RuntimeError(f"call {self.uuid} is {self.status}, not in progress")
        live = sum(fork.live for fork in self.forks)
        if live >= MAX_LIVE_STREAMS_PER_CALL:
            raise ValidationError(
                f"call {self.uuid} already runs {live} streams, the most a call runs at once "
                f"(MAX_LIVE_STREAMS_PER_CALL); stop one first",
                kind="too_large",
            )
        if len(self.forks) >= MAX_STREAMS_PER_CALL:
            raise ValidationError(
                f"call {self.uuid} has started {len(self.forks)} streams, the most a call "
                f"starts (MAX_STREAMS_PER_CALL)",
                kind="too_large",
            )
        fork = Fork(
            self.party,
            element,
            self._services,
            on_new_id=self._index,
            on_audio=self._audio_started,
        )
        self.forks.append(fork)
        self._spawn(fork.run())
        return fork

    def _index(self, stream_id: str, fork: Fork) -> None:
        self._by_id[stream_id] = fork

    def _audio_started(self) -> None:
        duration = self._services.caller.duration_s
        if duration is None or self._audio_timer is not None or not self.live:
            return
        self._audio_timer = self._spawn(
            self._hangup_after(duration + self._services.hangup_grace_s)
        )

    async def _hangup_after(self, seconds: float) -> None:
        await self._services.clock.sleep(seconds)
        self.hangup("caller_audio_end")

    def hangup(self, cause: str, *, error: str | None = None) -> None:
        """Hang up (idempotent): stop every stream; the XML stops at its current element.
        ``error`` says why the call failed, if it did."""
        if not self.live:
            return
        self.status = "completed"
        self.hangup_cause = cause
        self.error = error
        self.ended_at = self._services.clock.wall()
        self._ended_v = self._services.clock.now()
        self._hung_up.set()
        if self._audio_timer is not None:
            self._audio_timer.cancel()
        for fork in self.forks:
            fork.stop("hangup")
        _log.info("call %s: hung up (%s) after %d s", self.uuid, cause, self.duration())

    async def finished(self) -> None:
        """Wait until the XML and every stream of the call have ended."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def abort(self) -> None:
        """Cancel whatever of the call is still running (shutdown past its deadline)."""
        tasks = set(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def info(self) -> CallInfo:
        """A snapshot of the call and its streams."""
        return CallInfo(
            call_uuid=self.uuid,
            account_id=self.party.account_id,
            status=self.status,
            hangup_cause=self.hangup_cause,
            duration=self.duration(),
            streams=tuple(fork.info() for fork in self.forks),
            error=self.error,
        )

    def duration(self) -> int:
        """Whole seconds from answer to hangup (or now)."""
        if self._answered_v is None:
            return 0
        until = self._ended_v if self._ended_v is not None else self._services.clock.now()
        return int(until - self._answered_v)

    def to_json(self, api_id: str) -> dict[str, Any]:
        """The REST call object."""
        party = self.party
        return {
            "api_id": api_id,
            "call_uuid": self.uuid,
            "request_uuid": self.request_uuid,
            "from": party.from_,
            "to": party.to,
            "direction": "outbound",
            "answer_url": self.answer_url,
            "answer_method": self.answer_method,
            "call_status": self.status,
            "hangup_cause": self.hangup_cause,
            "error": self.error,
            "initiation_time": wall_text(self.initiated_at),
            "answer_time": None if self.answered_at is None else wall_text(self.answered_at),
            "end_time": None if self.ended_at is None else wall_text(self.ended_at),
            "duration": self.duration(),
            "stream_count": len(self.forks),
            "resource_uri": f"/v1/Account/{party.account_id}/Call/{self.uuid}/",
        }


def _wait_length(element: Element) -> int:
    """``<Wait length>`` in seconds (:class:`ValidationError` naming ``length``)."""
    text = element.attributes.get("length", str(_WAIT_DEFAULT_S)).strip()
    return _params.integer("length", text, 1, _WAIT_MAX_S)


class _AnswerTooLong(Exception):
    """The answer passed :data:`ANSWER_LIMIT_BYTES`."""


async def _read_limited(reply: aiohttp.ClientResponse) -> bytes:
    body = bytearray()
    async for chunk in reply.content.iter_chunked(65536):
        body += chunk
        if len(body) > ANSWER_LIMIT_BYTES:
            raise _AnswerTooLong
    return bytes(body)


def _described(exc: BaseException) -> str:
    """``Type: message``, or the type alone when the message is empty."""
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _quoted(body: bytes) -> str:
    """``: <the reply's text>``, whitespace collapsed and clipped; ``""`` for no text."""
    text = " ".join(body[: _REPLY_QUOTED * 4].decode("utf-8", "replace").split())
    if not text:
        return ""
    return f": {text[:_REPLY_QUOTED]}" + ("…" if len(text) > _REPLY_QUOTED else "")
