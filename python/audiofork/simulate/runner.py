"""One simulated call: a :class:`~audiofork.platform.PlatformStream` driven over an aiohttp
WebSocket client against the app's URL, a scenario played as the caller, everything logged.

Four tasks share the call. The *pacer* passes each 20 ms frame boundary as its time comes
(late wake-ups catch up; nothing is skipped); the *receiver* hands each app message to the
stream, after passing any boundary already due, so app audio never plays in a frame period
that ended before it arrived; the *writer* sends the stream's messages in order, each when
the impairment (:mod:`audiofork.simulate.impairment`) lets it leave; the *script* plays the
scenario's steps. Call time runs ``speed`` times faster than real time.

Every fault of the app or the network ends in :attr:`CallResult.failures` (with the step it
happened in), never an exception: bad messages, an app that closes the socket or ends the
stream mid-scenario, checkpoints never answered because of it, no answer to the upgrade. So
does a step the platform refuses (a clip that does not fit the caller's queue) and, should
one of the four tasks itself fail, that failure.

A call placed through the emulator (:mod:`audiofork.simulate.placed`) may also be ended by
the platform (``hangup`` in :func:`run_call`): its XML hung up, or the stream was stopped.
Before the scenario has finished, that is a failure too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import numpy as np

from audiofork import wire
from audiofork.codec import decode_payload
from audiofork.dialects import Dialect, check_dialect
from audiofork.errors import ArgumentError, AudioforkError, StreamStateError
from audiofork.events import PlayAudio
from audiofork.formats import MediaFormat
from audiofork.platform import (
    AudioCleared,
    AudioQueue,
    AudioQueued,
    BadInput,
    CheckpointAnswered,
    CheckpointReceived,
    ClearAnswered,
    Degraded,
    Notice,
    PlatformState,
    PlatformStats,
    PlatformStream,
    StopReceived,
    Track,
)
from audiofork.simulate.impairment import Impairer, Impairment
from audiofork.simulate.log import MAX_EVENTS, Event, EventLog, Pcm, level, payload_hash
from audiofork.simulate.metrics import AUDIBLE_RMS
from audiofork.simulate.placement import PlacedCall
from audiofork.simulate.scenario import (
    BargeIn,
    Dtmf,
    Expect,
    Hangup,
    Say,
    Scenario,
    Silence,
    Step,
    StopStream,
    WaitFor,
)
from audiofork.wire import DEFAULT_MAX_MESSAGE_BYTES

__all__ = ["CallOptions", "CallResult", "StepOutcome", "run_call"]

FRAME_MS = 20.0
#: Real seconds for flushing and closing at the end of a call.
CLOSE_TIMEOUT_S = 2.0
DEFAULT_CONTENT_TYPE = "audio/x-mulaw;rate=8000"
#: Endings that came from the app's side.
_APP_ENDED = ("app_closed", "connection_lost", "app_stop")
#: What ended the call when it was not the scenario, as the failure tells it.
_ENDED_BY = {
    "app_closed": "the app closed the socket",
    "connection_lost": "the connection was lost",
    "app_stop": "the app ended the stream",
    "platform_hangup": "the platform hung up the call",
    "platform_api_stop": "the platform stopped the stream",
}
#: Twilio's only stream format.
TWILIO_CONTENT_TYPE = "audio/x-mulaw;rate=8000"
#: Call seconds of the caller's audio queued at once: a longer ``say`` is fed as it drains.
SAY_PIECE_S = 60.0
#: Call seconds still queued when the next piece of a long ``say`` goes in (no gap).
SAY_REFILL_S = 2.0
#: The ``stop`` reason the platform sends for each ending of ours.
_STOP_REASONS = {
    "hangup": "hangup",
    "api_stop": "api_stop",
    "time_limit": "timeout",
    "simulator_error": "error",
    "platform_hangup": "hangup",
    "platform_api_stop": "api_stop",
}


@dataclass(frozen=True)
class CallOptions:
    """How to place one call; call-time durations are scaled by ``speed`` in real time."""

    url: str
    scenario: Scenario
    content_type: str = DEFAULT_CONTENT_TYPE
    tracks: tuple[Track, ...] = ("inbound",)
    bidirectional: bool = True  # whether the app may play audio, checkpoint and clear
    extra_headers: Mapping[str, str] = field(default_factory=dict)
    speed: float = 1.0
    max_call_s: float = 600.0  # call time after which the platform ends the call
    impairment: Impairment = field(default_factory=Impairment)
    seed: int = 0
    connect_timeout_s: float = 10.0  # real seconds for the WebSocket upgrade
    record: bool = False  # keep the caller's and the played audio in memory
    trace_payloads: bool = False  # log each message's audio payload, not only its hash
    max_events: int = MAX_EVENTS  # events the call's log keeps (later ones are counted)
    max_payload_bytes: int = 64 << 20  # payload text kept with trace_payloads (then hashes)
    dialect: Dialect = Dialect.VOBIZ  # the platform's message shapes (a Dialect or its name)

    def __post_init__(self) -> None:
        if not isinstance(self.scenario, Scenario):
            raise TypeError(f"scenario must be a Scenario, got {type(self.scenario).__name__}")
        object.__setattr__(self, "dialect", check_dialect(self.dialect) or Dialect.VOBIZ)
        try:
            media_format = MediaFormat.parse(self.content_type)
        except AudioforkError as exc:
            raise ArgumentError(f"content_type {self.content_type!r:.80}: {exc}") from None
        if self.dialect is Dialect.TWILIO and media_format != MediaFormat.parse(
            TWILIO_CONTENT_TYPE
        ):
            raise ArgumentError(
                f"content_type {self.content_type!r:.80}: Twilio streams are "
                f"{TWILIO_CONTENT_TYPE} only"
            )
        for name in ("speed", "max_call_s", "connect_timeout_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"{name} must be a number, got {value!r:.40}")
            if not 0 < value < math.inf:
                raise ArgumentError(f"{name} must be a positive number, got {value!r}")
        for name in ("max_events", "max_payload_bytes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be an integer, got {value!r:.40}")
            if value < 1:
                raise ArgumentError(f"{name} must be a positive integer, got {value}")
        if self.tracks not in (("inbound",), ("inbound", "outbound")):
            raise ArgumentError(
                f"tracks must be ('inbound',) or ('inbound', 'outbound'), got {self.tracks!r}"
            )


@dataclass(frozen=True)
class StepOutcome:
    """What became of one scenario step; times in ms of call time."""

    index: int  # from 1, as the scenario file counts
    kind: str
    status: str  # passed, failed, timed_out, skipped
    started_ms: float | None = None
    ended_ms: float | None = None
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "kind": self.kind,
            "status": self.status,
            "started_ms": _rounded(self.started_ms),
            "ended_ms": _rounded(self.ended_ms),
            "detail": self.detail,
        }


@dataclass
class CallResult:
    """One call: its log, how it ended, its steps and what went wrong."""

    call: int
    stream_id: str
    rate: int
    log: EventLog
    ended: str = ""
    failures: list[str] = field(default_factory=list)
    steps: list[StepOutcome] = field(default_factory=list)
    stats: PlatformStats = field(default_factory=PlatformStats)
    caller_audio: Pcm = field(default_factory=lambda: np.zeros(0, np.int16))
    played_audio: Pcm = field(default_factory=lambda: np.zeros(0, np.int16))
    payloads_dropped: int = 0  # payloads left out of the log past max_payload_bytes
    placed: PlacedCall | None = None  # the platform's view, for a call through the emulator

    @property
    def passed(self) -> bool:
        return not self.failures


class _Ended(Exception):
    """The call ended while a step was waiting."""


class _Call:
    def __init__(self, options: CallOptions, number: int, stream_id: str, call_id: str) -> None:
        self.options = options
        self.loop = asyncio.get_running_loop()
        self.t0 = self.loop.time()
        self.log = EventLog(self.now, options.max_events)
        self.payload_bytes = 0  # payload text kept in the log so far
        self.dropped_by_clears = 0  # checkpoints the app's clears dropped
        self.changed = asyncio.Event()
        self.log.listeners.append(lambda _event: self.changed.set())
        self.stream = PlatformStream(
            options.content_type,
            stream_id=stream_id,
            call_id=call_id,
            tracks=options.tracks,
            bidirectional=options.bidirectional,
            extra_headers=options.extra_headers,
            dialect=options.dialect,
        )
        self.result = CallResult(number, stream_id, self.stream.rate, self.log)
        self.impairer = Impairer(options.impairment, options.seed, number)
        self.outgoing: deque[tuple[float, str]] = deque()
        self.wake = asyncio.Event()
        self.next_frame = 0
        self.limit_frames = math.floor(options.max_call_s * 1000 / FRAME_MS)
        self.last_audible_ms = 0.0  # end of the last audible frame the caller heard
        self.audible_queued_until = 0.0  # when the audible app audio queued so far runs out
        self.step_index = 0
        self.end_reason: str | None = None
        self.recorded: dict[str, list[Pcm]] = {"caller": [], "played": []}
        self.refusals: set[str] = set()  # kinds of bad input already reported
        self.watchers: list[Callable[[Event], None]] = []  # the waiting step's event checks
        self.log.listeners.append(self.notify_watchers)

    # --- time --------------------------------------------------------------------------

    def now(self) -> float:
        """Call time in ms."""
        return (self.loop.time() - self.t0) * self.options.speed * 1000

    def real_at(self, t_ms: float) -> float:
        return self.t0 + t_ms / 1000 / self.options.speed

    async def sleep_until(self, t_ms: float) -> None:
        delay = self.real_at(t_ms) - self.loop.time()
        if delay > 0:
            await asyncio.sleep(delay)

    def notify_watchers(self, event: Event) -> None:
        for watch in self.watchers:
            watch(event)

    def fail(self, message: str) -> None:
        step = self.options.scenario.steps[self.step_index - 1] if self.step_index else None
        where = f" (step {self.step_index}, {step.kind})" if step is not None else ""
        text = f"{message}{where}"
        if text not in self.result.failures:
            self.result.failures.append(text)

    # --- frames and messages -------------------------------------------------------------

    def catch_up(self) -> None:
        """Pass every frame boundary whose time has come."""
        now = self.now()
        while self.stream.state is PlatformState.STREAMING and self.next_frame < self.limit_frames:
            boundary = (self.next_frame + 1) * FRAME_MS
            if now < boundary:
                return
            self.next_frame += 1
            frame = self.stream.tick()
            rms, peak = level(frame.played)
            if frame.played_samples and rms >= AUDIBLE_RMS:
                self.last_audible_ms = boundary
            self.log.add(
                "heard",
                boundary,
                frame=frame.index,
                samples=frame.played_samples,
                rms=round(rms, 1),
                peak=peak,
                queued_ms=round(self.stream.queued_ms, 1),
                late_ms=round((now - boundary) / self.options.speed, 3),
            )
            if self.options.record:
                self.recorded["played"].append(frame.played)
                if "inbound" in frame.sent:
                    self.recorded["caller"].append(frame.sent["inbound"])
            self.flush(boundary, frame.sent)
            self.notices(frame.notices)

    def flush(self, boundary: float | None = None, sent: Mapping[Track, Pcm] | None = None) -> None:
        """Route what the stream has to send through the impairment to the writer."""
        tracks = iter(self.options.tracks)
        now = self.now()
        for text in self.stream.data_to_send():
            head = text[:48]
            if '"event":"media"' in head and boundary is not None and sent is not None:
                track = next(tracks)
                decision = self.impairer.media(boundary)
                rms, peak = level(sent[track])
                self.log.add(
                    "sent",
                    boundary,
                    frame=self.next_frame - 1,
                    track=track,
                    rms=round(rms, 1),
                    peak=peak,
                    lost=decision.lost,
                    deliver_ms=round(decision.deliver_ms, 3),
                    hash=payload_hash(text),
                    **self.payload(text, "media"),
                )
                if not decision.lost:
                    self.outgoing.append((decision.deliver_ms, text))
                continue
            if '"event":"dtmf"' in head or '"event": "dtmf"' in head:
                self.log.add("dtmf", now, digit=json.loads(text)["dtmf"]["digit"])
            self.outgoing.append((self.impairer.other(now), text))
        if self.outgoing:
            self.wake.set()

    def payload(self, text: str, field_name: str) -> dict[str, str]:
        """``{"payload": base64}`` of a media or playAudio message, with ``trace_payloads``,
        while the call's payloads stay within ``max_payload_bytes`` (the hash is kept
        always; payloads left out are counted in :attr:`CallResult.payloads_dropped`)."""
        if not self.options.trace_payloads:
            return {}
        payload = json.loads(text)[field_name]["payload"]
        if self.payload_bytes + len(payload) > self.options.max_payload_bytes:
            self.result.payloads_dropped += 1
            return {}
        self.payload_bytes += len(payload)
        return {"payload": payload}

    def notices(self, notices: list[Notice], text: str = "") -> None:
        echoed = False  # Twilio echoes the marks a clear dropped: they were never played
        for notice in notices:
            if isinstance(notice, AudioQueued):
                rms = _play_audio_rms(text, self.options.dialect)
                if rms >= AUDIBLE_RMS:
                    self.audible_queued_until = self.now() + notice.queued_ms
                self.log.add(
                    "play_audio",
                    ms=round(notice.duration_ms, 3),
                    content_type=notice.media_format.content_type,
                    bytes=len(text),
                    rms=round(rms, 1),
                    queued_ms=round(notice.queued_ms, 1),
                    hash=payload_hash(text),
                    **self.payload(text, "media"),
                )
            elif isinstance(notice, CheckpointReceived):
                self.log.add("checkpoint", name=notice.name)
            elif isinstance(notice, CheckpointAnswered):
                cleared = {"cleared": True} if echoed else {}
                self.log.add("played_stream", name=notice.name, **cleared)
            elif isinstance(notice, AudioCleared):
                echoed = self.options.dialect is Dialect.TWILIO
                self.audible_queued_until = self.now()
                self.dropped_by_clears += notice.checkpoints_dropped
                self.log.add(
                    "clear",
                    cleared_ms=round(notice.cleared_ms, 1),
                    checkpoints_dropped=notice.checkpoints_dropped,
                )
            elif isinstance(notice, ClearAnswered):
                self.log.add("cleared_audio")
            elif isinstance(notice, StopReceived):
                self.log.add("app_stop")
            elif isinstance(notice, BadInput):
                self.log.add("bad", refused=notice.kind, detail=notice.detail)
                self.fail_once(
                    notice.kind, f"the app sent a bad message ({notice.kind}): {notice.detail}"
                )
            elif isinstance(notice, Degraded):
                self.log.add("degraded", refused=notice.kind, detail=notice.detail)
                self.fail_once(
                    notice.kind,
                    f"the platform could not keep up with the app ({notice.kind}): {notice.detail}",
                )

    def fail_once(self, kind: str, message: str) -> None:
        """Fail the call for the first refusal of each kind (all are counted in the log)."""
        if kind not in self.refusals:
            self.refusals.add(kind)
            self.fail(message)

    # --- tasks ---------------------------------------------------------------------------

    async def pace(self) -> str:
        while True:
            if self.next_frame >= self.limit_frames:
                return "time_limit"
            await self.sleep_until((self.next_frame + 1) * FRAME_MS)
            if self.stream.state is not PlatformState.STREAMING:
                return "app_stop"
            self.catch_up()

    async def receive(self, ws: aiohttp.ClientWebSocketResponse) -> str:
        while True:
            message = await ws.receive()
            if message.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                self.catch_up()
                data = message.data
                self.notices(self.stream.receive(data), data if isinstance(data, str) else "")
                self.flush()
                if self.stream.state is PlatformState.CLOSED:
                    return "app_stop"
            elif message.type == aiohttp.WSMsgType.ERROR:
                self.log.add("closed", error=str(message.data))
                error = message.data
                if getattr(error, "code", None) == aiohttp.WSCloseCode.MESSAGE_TOO_BIG:
                    self.fail(
                        "the app sent a message over the platform's limit of "
                        f"{DEFAULT_MAX_MESSAGE_BYTES} bytes"
                    )
                return "connection_lost"
            else:
                self.log.add("closed", code=ws.close_code)
                return "app_closed"

    async def write(self, ws: aiohttp.ClientWebSocketResponse) -> str:
        while True:
            await self.wake.wait()
            self.wake.clear()
            while self.outgoing:
                due, text = self.outgoing[0]
                await self.sleep_until(due)
                self.outgoing.popleft()
                try:
                    await ws.send_str(text)
                except (aiohttp.ClientError, ConnectionError, RuntimeError) as exc:
                    self.log.add("closed", error=f"send failed: {exc}")
                    return "connection_lost"

    async def until(self, check: Callable[[], bool], deadline_ms: float = math.inf) -> bool:
        """Wait until ``check()`` holds (True) or call time ``deadline_ms`` (False);
        :class:`_Ended` when the call ends first."""
        while True:
            if check():
                return True
            self.ensure_live()
            if self.now() >= deadline_ms:
                return False
            self.changed.clear()
            timeout = None
            if deadline_ms != math.inf:
                timeout = max(self.real_at(deadline_ms) - self.loop.time(), 0.0) + 0.001
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.changed.wait(), timeout)

    def ensure_live(self) -> None:
        """:class:`_Ended` once the call has ended (or the app's ``stop`` closed it)."""
        if self.end_reason is not None or self.stream.state is not PlatformState.STREAMING:
            raise _Ended

    async def script(self) -> str:
        steps = self.options.scenario.steps
        for index, step in enumerate(steps):
            self.step_index = index + 1
            started = self.now()
            try:
                status, detail, stop = await self.checked_step(step)
            except _Ended:
                ended = self.end_reason or "app_stop"
                moot = isinstance(step, (Hangup, StopStream))
                self.result.steps.append(
                    StepOutcome(
                        index + 1,
                        step.kind,
                        "skipped" if moot else "failed",
                        started,
                        self.now(),
                        f"the call had already ended: {ended}"
                        if moot
                        else f"the call ended first: {ended}",
                    )
                )
                self.skip(index + 1)
                return self.end_reason or "ended"
            self.result.steps.append(
                StepOutcome(index + 1, step.kind, status, started, self.now(), detail)
            )
            self.log.add(
                "step",
                index=index + 1,
                step=step.kind,
                status=status,
                detail=detail,
                started_ms=round(started, 1),
            )
            if status == "timed_out":
                self.fail(f"the scenario timed out: {detail}")
                self.skip(index + 1)
                return "hangup"
            if status == "failed":
                self.fail(f"step failed: {detail}")
            if stop is not None:
                self.skip(index + 1)
                return stop
        return "hangup"

    def skip(self, done: int) -> None:
        for index, step in enumerate(self.options.scenario.steps[done:], done + 1):
            self.result.steps.append(StepOutcome(index, step.kind, "skipped"))

    async def checked_step(self, step: Step) -> tuple[str, str, str | None]:
        """:meth:`run_step`, with what the platform refuses as the step's failure: a closed
        stream is the call's end (:class:`_Ended`), anything else (a clip that does not fit
        the caller's queue, too many keys) fails the step."""
        try:
            return await self.run_step(step)
        except StreamStateError:
            raise _Ended from None
        except AudioforkError as exc:
            return "failed", f"the platform refused the step: {exc}", None

    async def run_step(self, step: Step) -> tuple[str, str, str | None]:
        """``(status, detail, end reason or None)`` of one step."""
        start = self.now()
        self.ensure_live()
        if isinstance(step, Say):
            await self.say(step.clip.pcm, step.clip.rate)
            return "passed", f"said {step.clip.source} ({step.clip.seconds:.2f} s)", None
        if isinstance(step, Silence):
            await self.until(lambda: False, start + step.seconds * 1000)
            return "passed", f"{step.seconds:g} s of silence", None
        if isinstance(step, Dtmf):
            self.stream.press(step.digits, spacing_ms=step.spacing_ms)
            self.flush()
            await self.until(lambda: self.stream.keys_pending == 0)
            return "passed", f"pressed {step.digits}", None
        if isinstance(step, (WaitFor, Expect)):
            check = self.matcher(step.target, step.name, step.quiet_ms, start)
            limit = step.timeout_s * 1000 if isinstance(step, WaitFor) else step.within_ms
            what = step.target + (f" {step.name!r}" if step.name else "")
            try:
                came = await self.until(check, start + limit)
            finally:
                self.watchers.clear()
            if came:
                return "passed", f"{what} after {self.now() - start:.0f} ms", None
            if isinstance(step, WaitFor):
                return "timed_out", f"no {what} within {step.timeout_s:g} s", None
            return "failed", f"expected {what} within {step.within_ms:g} ms; none came", None
        if isinstance(step, BargeIn):
            return await self.barge_in(step, start)
        if isinstance(step, Hangup):
            return "passed", "hung up", "hangup"
        assert isinstance(step, StopStream)
        return "passed", "stopped the stream", "api_stop"

    async def say(self, pcm: Pcm, rate: int) -> None:
        """Say ``pcm``, after what the caller is still saying; return once it is said. A
        long clip goes into the caller's queue a piece at a time, each while the one before
        still plays."""
        source = self.stream.source("inbound")
        assert isinstance(source, AudioQueue)
        piece = round(SAY_PIECE_S * rate)
        refill = round(SAY_REFILL_S * source.rate)
        for begin in range(0, len(pcm), piece):
            if begin:
                await self.until(lambda: source.queued_samples <= refill)
                self.ensure_live()
            self.stream.send_audio(pcm[begin : begin + piece], rate)
        await self.until(lambda: source.queued_samples == 0)

    async def barge_in(self, step: BargeIn, start: float) -> tuple[str, str, str | None]:
        if not await self.until(
            lambda: self.last_audible_ms > start, start + step.timeout_s * 1000
        ):
            return "timed_out", f"the app's audio did not start within {step.timeout_s:g} s", None
        await self.until(lambda: False, self.last_audible_ms - FRAME_MS + step.after_ms)
        over = self.stream.queued_ms > 0 or self.last_audible_ms >= self.now() - FRAME_MS
        at = self.now()
        self.ensure_live()
        self.log.add("barge_in", clip=step.clip.source)
        source = self.stream.source("inbound")
        assert isinstance(source, AudioQueue)
        pushed = self.stream.send_audio(step.clip.pcm, step.clip.rate)
        # the step ends as the caller starts talking; the clip plays on under the next steps
        await self.until(lambda: source.queued_samples < pushed)
        if not over:
            return (
                "failed",
                f"the app's audio had ended before the caller spoke at {at:.0f} ms",
                None,
            )
        return "passed", f"spoke {step.clip.source} over the app's audio at {at:.0f} ms", None

    def matcher(
        self, target: str, name: str | None, quiet_ms: float, since: float
    ) -> Callable[[], bool]:
        """A check that an event of ``target`` happened since call time ``since``."""
        if target == "audio":
            return lambda: self.last_audible_ms > since + FRAME_MS
        if target == "quiet":  # nothing audible heard for quiet_ms, nor still queued
            return lambda: (
                self.now() >= self.audible_queued_until
                and self.now() - max(since, self.last_audible_ms) >= quiet_ms
            )
        kinds = {
            "playAudio": ("play_audio",),
            "checkpoint": ("checkpoint",),
            "playedStream": ("played_stream",),
            "clearAudio": ("clear",),
            "stop": ("app_stop", "closed"),
        }[target]
        seen = False

        def watch(event: Event) -> None:  # sees every event, kept in the log or not
            nonlocal seen
            if event.kind in kinds and (name is None or event.data.get("name") == name):
                seen = True

        self.watchers.append(watch)
        return lambda: seen


def _play_audio_rms(text: str, dialect: Dialect) -> float:
    """The RMS of a ``playAudio``'s audio (the stream has already accepted it)."""
    try:
        event = wire.parse_message(text, dialect=dialect, sender="app")
        if not isinstance(event, PlayAudio):
            return 0.0
        return level(decode_payload(event.payload, event.media_format))[0]
    except AudioforkError:
        return 0.0


async def run_call(
    options: CallOptions,
    number: int = 1,
    *,
    session: aiohttp.ClientSession | None = None,
    stream_id: str | None = None,
    call_id: str | None = None,
    on_start: Callable[[CallResult], None] | None = None,
    hangup: asyncio.Future[str] | None = None,
) -> CallResult:
    """Place one call against ``options.url`` and return what happened. Network and app
    faults are reported in :attr:`CallResult.failures`, never raised. ``hangup`` is the
    platform's own ending: once it resolves with ``"hangup"`` or ``"api_stop"``, the call
    ends so (``platform_hangup``, ``platform_api_stop``)."""
    if session is None:
        async with aiohttp.ClientSession() as own:
            return await run_call(
                options,
                number,
                session=own,
                stream_id=stream_id,
                call_id=call_id,
                on_start=on_start,
                hangup=hangup,
            )
    call = _Call(
        options,
        number,
        stream_id or f"sim-{number:04d}-{options.seed}",
        call_id or f"call-{number}",
    )
    result = call.result
    if on_start is not None:
        on_start(result)
    try:
        ws = await asyncio.wait_for(
            session.ws_connect(options.url, autoping=True, max_msg_size=DEFAULT_MAX_MESSAGE_BYTES),
            options.connect_timeout_s,
        )
    except asyncio.TimeoutError:
        result.ended = "no_upgrade"
        result.failures.append(
            f"no answer to the WebSocket upgrade at {options.url} within "
            f"{options.connect_timeout_s:g} s"
        )
        _skip_all(result, options.scenario)
        return result
    except aiohttp.WSServerHandshakeError as exc:
        result.ended = "upgrade_refused"
        result.failures.append(
            f"the app refused the WebSocket upgrade: HTTP {exc.status} {exc.message}"
        )
        _skip_all(result, options.scenario)
        return result
    except (aiohttp.ClientError, OSError) as exc:
        result.ended = "unreachable"
        result.failures.append(f"cannot connect to {options.url}: {exc}")
        _skip_all(result, options.scenario)
        return result
    call.t0 = call.loop.time()
    call.stream.start()
    call.log.add(
        "start",
        0.0,
        stream_id=call.stream.stream_id,
        content_type=options.content_type,
        rate=call.stream.rate,
        tracks=list(options.tracks),
    )
    call.flush()
    await _stream(call, ws, hangup)
    return result


def _skip_all(result: CallResult, scenario: Scenario) -> None:
    result.steps = [StepOutcome(i, s.kind, "skipped") for i, s in enumerate(scenario.steps, 1)]


async def _stream(
    call: _Call, ws: aiohttp.ClientWebSocketResponse, hangup: asyncio.Future[str] | None
) -> None:
    result = call.result
    tasks = {
        asyncio.ensure_future(call.script()): "script",
        asyncio.ensure_future(call.pace()): "pacer",
        asyncio.ensure_future(call.receive(ws)): "receiver",
        asyncio.ensure_future(call.write(ws)): "writer",
    }
    if hangup is not None:  # shielded: the caller's future outlives the call's tasks
        tasks[asyncio.ensure_future(asyncio.shield(hangup))] = "platform"
    by_name = {name: task for task, name in tasks.items()}
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        # The script sees an ending only after another task caused it: when both are done,
        # the other one says how the call ended.
        first = min(done, key=lambda task: (tasks[task] == "script", list(tasks).index(task)))
        reason = _reason(call, first, tasks[first])
        call.end_reason = reason
        call.changed.set()
        if tasks[first] != "script":
            await _settle_script(by_name["script"])
            if reason == "time_limit":
                call.fail(f"the call reached its time limit of {call.options.max_call_s:g} s")
            elif reason in _ENDED_BY:
                who = _ENDED_BY[reason]
                unfinished = [s for s in result.steps if s.status in ("skipped", "failed")]
                waiting_stop = any(
                    isinstance(step, (WaitFor, Expect)) and step.target == "stop"
                    for step in call.options.scenario.steps
                )
                if unfinished and not (reason == "app_stop" and waiting_stop):
                    call.fail(f"{who} at {call.now():.0f} ms, before the scenario finished")
        if call.stream.state is PlatformState.STREAMING and reason not in _APP_ENDED:
            call.catch_up()
            call.notices(call.stream.stop(_STOP_REASONS.get(reason, reason)))
            call.flush()
            try:
                await asyncio.wait_for(_drained(call, by_name["writer"]), CLOSE_TIMEOUT_S)
            except asyncio.TimeoutError:
                call.fail("the app did not read the platform's last messages")
        elif reason in _APP_ENDED:
            if reason == "app_stop":  # the answers owed at the app's stop still leave
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(_drained(call, by_name["writer"]), CLOSE_TIMEOUT_S)
            call.stream.connection_lost()
            never = call.stream.stats.checkpoints_dropped - call.dropped_by_clears
            if never > 0:
                call.fail(
                    f"{never} checkpoint(s) never acknowledged: the app ended the stream "
                    "before their audio had played"
                )
        call.log.add("end", reason=reason, error="; ".join(result.failures))
        result.ended = reason
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if not ws.closed:
            with contextlib.suppress(aiohttp.ClientError, OSError, asyncio.TimeoutError):
                await asyncio.wait_for(ws.close(), CLOSE_TIMEOUT_S)
        call.stream.connection_lost()
        result.stats = call.stream.stats
        if call.options.record:
            result.caller_audio = _joined(call.recorded["caller"])
            result.played_audio = _joined(call.recorded["played"])


def _reason(call: _Call, task: asyncio.Future[Any], name: str) -> str:
    """How the call ended, by the first task to finish; a task that failed is the
    simulator's own fault, reported as the call's failure (``simulator_error``)."""
    error = task.exception()
    if error is None:
        reason = task.result()
        assert isinstance(reason, str)
        return f"platform_{reason}" if name == "platform" else reason
    call.log.add("closed", error=f"the {name} failed: {error!r:.200}")
    call.fail(f"the simulator's {name} failed: {type(error).__name__}: {error}")
    return "simulator_error"


def _joined(chunks: list[Pcm]) -> Pcm:
    return np.concatenate(chunks) if chunks else np.zeros(0, np.int16)


async def _settle_script(script: asyncio.Future[Any]) -> None:
    """Let the script record how its step ended (it sees the call's end at once)."""
    try:
        await asyncio.wait_for(asyncio.shield(script), 1.0)
    except asyncio.TimeoutError:
        script.cancel()


async def _drained(call: _Call, writer: asyncio.Future[Any]) -> None:
    """Until the writer has sent everything queued (or has stopped: the socket broke)."""
    while call.outgoing and not writer.done():
        await asyncio.sleep(0.005)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
