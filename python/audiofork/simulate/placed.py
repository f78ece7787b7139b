"""``--answer-url``: calls placed through an in-process emulator, so the app's answer URL,
its XML (TwiML in the Twilio dialect) and its status-callback endpoint are exercised as the
platform exercises them, while the simulator plays the platform's side of the stream the
XML starts: the scripted caller, the impairment, the event log and the figures.

An :class:`~audiofork.emulator.Emulator` serves on a free loopback port with one account,
whose auth token (``auth_token``, else a random one) signs the answer request and every
status callback. Each simulated call is a call of that account to the answer URL. The
first stream its XML starts that forks the caller's track is handed to the simulator (the
emulator's :mod:`~audiofork.emulator.driver` seam): :func:`~audiofork.simulate.runner.run_call`
connects to the stream's URL with its format, tracks, direction, extra headers and dialect,
and the call's notices become the emulator's status callbacks. Any other stream runs in the
emulator with a silent caller.

The scenario's ``hangup`` hangs the call up as the caller; the XML's end or ``<Hangup>``
ends the stream as the platform does, which before the scenario has finished fails the
call. After each call its status callbacks are waited for (each tried
:data:`CALLBACK_RETRY` times), and its :class:`~audiofork.simulate.placement.PlacedCall`
says how the call ended and what every callback got. A call also fails when the answer
fails (``answer_failed: …``), when it starts no stream the caller is on, and when the app
does not accept a callback.
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Literal

import aiohttp

from audiofork.emulator import Emulator, EmulatorConfig, RetrySchedule
from audiofork.emulator.calls import Call
from audiofork.emulator.clock import VirtualClock
from audiofork.emulator.driver import StreamDriver
from audiofork.emulator.monitor import CallbackTry
from audiofork.emulator.stream_spec import (
    StreamEnd,
    StreamNotice,
    StreamSpec,
    StreamStats,
    extra_header_pairs,
)
from audiofork.errors import AudioforkError
from audiofork.formats import MediaFormat
from audiofork.simulate.log import Event, EventLog
from audiofork.simulate.placement import AnswerUrl, Callback, PlacedCall
from audiofork.simulate.runner import CallOptions, CallResult, StepOutcome, run_call

__all__ = ["CALLBACK_RETRY", "CALLBACK_WAIT_S", "PlacedCalls"]

#: The emulator's account the calls are placed from.
ACCOUNT = "MA_SIMULATE"
FROM, TO = "+15550100001", "+15550100002"
#: How each status callback is tried: 3 times, 0.25 s and then 0.5 s apart.
CALLBACK_RETRY = RetrySchedule(attempts=3, backoff_s=0.25, timeout_s=5.0)
#: Real seconds a call's status callbacks have, after the call, to be delivered or given up.
CALLBACK_WAIT_S = 30.0
_Reason = Literal["app_stop", "timeout", "hangup", "api_stop", "dropped", "unreachable"]
#: How each ending of a simulated call ends the emulator's stream (others: unreachable).
_ENDS: dict[str, tuple[Literal["completed", "failed"], _Reason]] = {
    "hangup": ("completed", "hangup"),
    "platform_hangup": ("completed", "hangup"),
    "api_stop": ("completed", "api_stop"),
    "platform_api_stop": ("completed", "api_stop"),
    "time_limit": ("completed", "timeout"),
    "app_stop": ("completed", "app_stop"),
    "app_closed": ("completed", "dropped"),
    "connection_lost": ("failed", "dropped"),
    "simulator_error": ("failed", "dropped"),
}


class _Driver:
    """One simulated call as the emulator's driver of the stream it is on."""

    def __init__(
        self,
        options: CallOptions,
        number: int,
        spec: StreamSpec,
        clock: VirtualClock,
        notify: Callable[[StreamNotice], None],
        session: aiohttp.ClientSession,
        on_start: Callable[[CallResult], None] | None,
        hang_up: Callable[[], None],
    ) -> None:
        self.stream_id = spec.stream_id
        self.rate = MediaFormat.parse(spec.content_type).sample_rate
        self.started_at: float | None = None
        self.ended_at: float | None = None
        self.result: CallResult | None = None
        self._options = options
        self._number = number
        self._call_uuid = spec.call_uuid
        self._clock = clock
        self._notify = notify
        self._session = session
        self._on_start = on_start
        self._hang_up = hang_up
        self._stop: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._degraded: set[str] = set()

    @property
    def stats(self) -> StreamStats:
        """The stream's counters (known once the call has ended)."""
        if self.result is None:
            return StreamStats(media_sent={track: 0 for track in self._options.tracks})
        return StreamStats(**dataclasses.asdict(self.result.stats))

    def stop(self, reason: Literal["api_stop", "hangup"]) -> None:
        if not self._stop.done():
            self._stop.set_result(reason)

    async def run(self) -> StreamEnd:
        result = await run_call(
            self._options,
            self._number,
            session=self._session,
            stream_id=self.stream_id,
            call_id=self._call_uuid,
            on_start=self._started,
            hangup=self._stop,
        )
        status, reason = _ENDS.get(result.ended, ("failed", "unreachable"))
        error = "; ".join(result.failures) if reason in ("dropped", "unreachable") else ""
        if self.ended_at is None:
            self.ended_at = self._clock.now()
        if reason in ("dropped", "unreachable"):
            self._notify(StreamNotice("DroppedStream", self.stream_id, error=error))
        else:
            self._notify(StreamNotice("StopStream", self.stream_id))
        if result.ended == "hangup":  # the scenario's caller hung up: so ends the call
            self._hang_up()
        return StreamEnd(status, reason, error)

    def _started(self, result: CallResult) -> None:
        self.result = result
        result.log.listeners.append(self._on_event)
        if self._on_start is not None:
            self._on_start(result)

    def _on_event(self, event: Event) -> None:
        """Turn what the call logs into the stream's notices (the status callbacks)."""
        kind, data = event.kind, event.data
        if kind == "start":
            self.started_at = self._clock.now()
            self._notify(StreamNotice("StartStream", self.stream_id))
        elif kind == "played_stream":
            self._notify(StreamNotice("PlayedStream", self.stream_id, name=data["name"]))
        elif kind == "cleared_audio":
            self._notify(StreamNotice("ClearedAudio", self.stream_id))
        elif kind in ("bad", "degraded") and data["refused"] not in self._degraded:
            self._degraded.add(data["refused"])
            detail = data["detail"]
            if kind == "bad":
                detail = f"bad frame from the app ({data['refused']}): {detail}"
            self._notify(StreamNotice("DegradedStream", self.stream_id, error=detail))
        elif kind == "end":
            self.ended_at = self._clock.now()


@dataclass
class _Placement:
    number: int
    driver: _Driver | None = None
    problem: str = ""  # why the caller's stream could not be simulated


class PlacedCalls:
    """The emulator the run's calls go through; :meth:`call` places one (see the module
    doc). ``on_call`` sees each call's live result as its stream starts."""

    def __init__(
        self,
        options: CallOptions,
        answer: AnswerUrl,
        session: aiohttp.ClientSession,
        on_call: Callable[[CallResult], None] | None = None,
    ) -> None:
        self._options = options
        self._answer = answer
        self._session = session
        self._on_call = on_call
        self._placements: dict[str, _Placement] = {}
        token = answer.auth_token or secrets.token_hex(16)
        config = EmulatorConfig(
            {ACCOUNT: token},
            speed=options.speed,
            caller_audio="silence",
            callback_retry=CALLBACK_RETRY,
            dialect=options.dialect,
        )
        self._emulator = Emulator(config, stream_driver=self._driver_for)

    async def __aenter__(self) -> PlacedCalls:
        await self._emulator.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._emulator.close()

    def _driver_for(
        self, spec: StreamSpec, clock: VirtualClock, notify: Callable[[StreamNotice], None]
    ) -> StreamDriver | None:
        """The simulated caller for the first stream of a call that forks the caller's
        track; ``None`` (the emulator runs it) for any other."""
        placement = self._placements.get(spec.call_uuid)
        if placement is None or placement.driver is not None or "inbound" not in spec.tracks:
            return None
        try:
            options = dataclasses.replace(
                self._options,
                url=spec.service_url,
                content_type=spec.content_type,
                tracks=spec.tracks,
                bidirectional=spec.bidirectional,
                extra_headers=extra_header_pairs(spec.extra_headers),
                max_call_s=min(self._options.max_call_s, spec.stream_timeout),
                dialect=spec.dialect,
            )
        except AudioforkError as exc:
            placement.problem = f"the answer's stream cannot be simulated: {exc}"
            return None
        placement.driver = _Driver(
            options,
            placement.number,
            spec,
            clock,
            notify,
            self._session,
            self._on_call,
            hang_up=lambda: self._emulator.hangup(spec.call_uuid),
        )
        return placement.driver

    async def call(self, number: int) -> CallResult:
        """Place call ``number``, wait for it and its status callbacks; its result."""
        exchange = self._emulator.exchange
        answer = self._answer
        call = exchange.place_call(ACCOUNT, FROM, TO, answer.url, answer.method)
        placement = self._placements[call.uuid] = _Placement(number)
        try:
            await call.finished()
        finally:
            del self._placements[call.uuid]
        driver = placement.driver
        result = driver.result if driver is not None else None
        if result is None:
            result = self._unstreamed(number)
            if self._on_call is not None:
                self._on_call(result)
        fork = next((f for f in call.forks if driver is not None and f.driver is driver), None)
        url = None if fork is None else fork.element.status_callback_url
        tries: Iterable[CallbackTry] = ()
        if fork is not None:
            waited = await _settled(self._emulator, fork.ids[0])
            tries = fork.monitor.callback_tries
            if not waited:
                result.failures.append(
                    f"status callbacks to {url} still undelivered {CALLBACK_WAIT_S:g} s "
                    "after the call"
                )
        placed = PlacedCall(call.uuid, call.status, call.hangup_cause, call.error, url)
        placed.callbacks = _callbacks(tries)
        result.placed = placed
        result.failures.extend(self._failures(call, placement, result))
        return result

    def _unstreamed(self, number: int) -> CallResult:
        """The result of a call whose answer put no stream on the caller."""
        rate = MediaFormat.parse(self._options.content_type).sample_rate
        result = CallResult(number, "", rate, EventLog(lambda: 0.0), ended="no_stream")
        steps = self._options.scenario.steps
        result.steps = [StepOutcome(i, s.kind, "skipped") for i, s in enumerate(steps, 1)]
        return result

    def _failures(self, call: Call, placement: _Placement, result: CallResult) -> list[str]:
        """What the platform's side found wrong with the call."""
        failures = []
        if call.error:
            failures.append(f"the platform's call failed: {call.error}")
        elif placement.problem:
            failures.append(placement.problem)
        elif placement.driver is None:
            failures.append(
                "the answer started no stream that forks the caller's track "
                '(audioTrack "inbound" or "both"): there was no call to simulate'
            )
        if result.ended == "platform_hangup" and result.failures:
            cause = call.hangup_cause or "hangup"
            hint = (
                ': the answer\'s XML ended while the stream ran (keepCallAlive="true" on '
                "its <Stream> holds the call until the stream ends)"
                if cause == "xml_end"
                else ""
            )
            failures.append(f"the platform hung up the call ({cause}){hint}")
        refused: dict[str, Callback] = {}
        for callback in result.placed.callbacks if result.placed is not None else ():
            if not callback.delivered:
                refused.setdefault(callback.event, callback)
        for event, callback in refused.items():
            hint = ""
            if callback.outcome in ("HTTP 401", "HTTP 403"):
                hint = " (callbacks are signed with --auth-token: the app must verify with it)"
            failures.append(
                f"the app did not accept the status callback {event}: {callback.outcome} "
                f"after {callback.tries} tries{hint}"
            )
        return failures


async def _settled(emulator: Emulator, order_key: str) -> bool:
    """Wait for the callbacks of one stream; whether they all ended in time."""
    callbacks = emulator.exchange.services.callbacks
    try:
        await asyncio.wait_for(callbacks.settled(order_key), CALLBACK_WAIT_S)
    except asyncio.TimeoutError:
        return False
    return True


def _callbacks(tries: Iterable[CallbackTry]) -> list[Callback]:
    """One :class:`Callback` per callback sent: a callback's tries come one after another,
    its first numbered 1, and its last says how it went."""
    callbacks: list[Callback] = []
    for t in tries:
        if t.attempt == 1 or not callbacks:
            callbacks.append(Callback(t.event, t.outcome, t.delivered, t.attempt))
        else:
            callbacks[-1] = Callback(t.event, t.outcome, t.delivered, t.attempt)
    return callbacks
