"""The softphone (``/console/phone``): a browser's microphone as a call's caller, and what the
caller hears back to the browser's speakers, on the stream's playout clock.

The page opens the WebSocket and sends ``{"op": "dial", "rate": R, "source": "mic" |
"speech", "from", "to", …}`` with the call's target as the console's ``call`` takes it
(:meth:`Console.place`). With ``mic``, the call's caller audio is a
:class:`~audiofork.emulator.console.microphone.Microphone` fed by the page's binary messages
(16-bit little-endian mono PCM at ``R`` Hz, a few ms each), converted with a streaming
:class:`~audiofork.Resampler` to each stream's rate and read by its pacer frame by frame.
With ``speech`` (no microphone), the bundled speech sample is the caller. Talk-over, keys
and hang-up from the console work on a softphone call as on any other.

Every frame the first bidirectional stream plays to the caller (what the caller heard in
those 20 ms, silence included) goes back as one binary message at ``R`` Hz, converted with
a :class:`~audiofork.Resampler`, as soon as the frame has played; the page plays it from a
small jitter buffer. Text messages from the server: ``{"type": "dialing", "call_uuid"}``,
``stats`` every :data:`STATS_EVERY_S`, ``ended``, ``error``; from the page, ``{"op":
"hangup"}``. Closing the socket hangs up.

**Added latency**, measured by the emulator on its clock, frame by frame:

- ``mic_to_app_ms``: from a microphone chunk's arrival to the frame boundary that forks it
  to the app (the mean wait of the frame's samples in the microphone's jitter buffer);
- ``play_to_ear_ms``: from the instant the platform plays a frame to the caller (the middle
  of its 20 ms, on the virtual clock, which runs in real time at speed 1) to that frame
  being sent to the page.

Their sum is the delay the emulator adds to the mouth-to-ear path. Apart from it,
``app_queue_ms`` is how long the app's audio waited in the playout queue behind audio the
app had sent before (the app's own backlog, what "sent" versus "played" shows), and the page
adds its capture chunk (10 ms), jitter buffer and output latency (it shows them).

The softphone needs the emulator at speed 1: a microphone talks in real time.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from collections.abc import Sequence
from typing import Any

import aiohttp
import numpy as np
from aiohttp import web

from audiofork import Resampler
from audiofork.emulator import caller
from audiofork.emulator.audio import AudioSource
from audiofork.emulator.calls import Call
from audiofork.emulator.clock import VirtualClock
from audiofork.emulator.console import state
from audiofork.emulator.console.latency import Latency
from audiofork.emulator.console.microphone import Microphone
from audiofork.emulator.console.state import CONSOLE, Console
from audiofork.emulator.monitor import StreamMonitor
from audiofork.errors import AudioforkError, ValidationError
from audiofork.platform import FRAME_MS, AudioCleared, AudioQueued, Frame, Notice
from audiofork.samples import speech

__all__ = ["PAGE_RATES", "PHONE_PATH", "STATS_EVERY_S", "Softphone", "handle"]

_log = logging.getLogger("audiofork.emulator")

PHONE_PATH = "/console/phone"
#: The page's audio rates the softphone takes (what the resampler converts).
PAGE_RATES = (8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000)
#: Seconds between two ``stats`` messages.
STATS_EVERY_S = 0.5
#: Frames waiting to be sent to a page that does not read, at most (2 s); more are dropped.
MAX_EAR_BACKLOG = 100
#: The largest message from the page: a second of PCM at the highest rate.
MAX_MESSAGE_BYTES = 2 * 48000


class _Arrivals:
    """The app's audio waiting in the playout queue, by arrival time: what :meth:`take`
    consumes, oldest first, gives its mean arrival time."""

    def __init__(self) -> None:
        self._chunks: deque[list[float]] = deque()  # [arrival, samples left]

    def add(self, arrival: float, samples: int) -> None:
        if samples > 0:
            self._chunks.append([arrival, float(samples)])

    def take(self, samples: int) -> float | None:
        """Consume ``samples`` (or all there are); their mean arrival time, ``None`` if
        there were none."""
        weighted = 0.0
        taken = 0
        while samples > taken and self._chunks:
            chunk = self._chunks[0]
            part = min(samples - taken, int(chunk[1]))
            weighted += chunk[0] * part
            taken += part
            chunk[1] -= part
            if chunk[1] <= 0:
                self._chunks.popleft()
        return weighted / taken if taken else None

    def clear(self) -> None:
        self._chunks.clear()


class Softphone:
    """One page's phone on one call (see the module doc): a
    :class:`~audiofork.emulator.monitor.StreamListener` of the call's first bidirectional
    stream. ``microphone`` is the call's caller audio (``None``: the speech sample)."""

    def __init__(
        self, call: Call, page_rate: int, clock: VirtualClock, microphone: Microphone | None
    ) -> None:
        self.call = call
        self.page_rate = page_rate
        self.microphone = microphone
        self._clock = clock
        self._ear: StreamMonitor | None = None
        self._ear_resampler: Resampler | None = None
        self._queued = _Arrivals()
        self.outbox: asyncio.Queue[tuple[bytes, float]] = asyncio.Queue(MAX_EAR_BACKLOG)
        self.ear_latency = Latency()
        self.app_queue = Latency()
        self.ear_frames = 0  # frames sent to the page
        self.ear_audio_frames = 0  # of which carried app audio
        self.ear_dropped = 0  # frames dropped: the page did not read

    def stream_opened(self, monitor: StreamMonitor) -> None:
        """A stream of the call started: the first bidirectional one is what the page
        hears."""
        if monitor.bidirectional and self._ear is None:
            self._ear = monitor
            self._ear_resampler = Resampler(monitor.rate, self.page_rate)
            monitor.add_listener(self)

    def detach(self) -> None:
        """Stop listening to the call's stream."""
        if self._ear is not None:
            self._ear.remove_listener(self)

    def on_frame(self, monitor: StreamMonitor, frame: Frame, queued_ms: float) -> None:
        if monitor is not self._ear or self._ear_resampler is None:
            return
        if frame.played_samples:
            self.ear_audio_frames += 1
            arrival = self._queued.take(frame.played_samples)
            if arrival is not None:
                self.app_queue.add(time.monotonic() - arrival)
        pcm = self._ear_resampler.process(frame.played)
        played_at_ms = frame.timestamp_ms + FRAME_MS / 2  # the middle of the frame
        try:
            self.outbox.put_nowait((pcm.astype("<i2").tobytes(), played_at_ms))
        except asyncio.QueueFull:
            self.ear_dropped += 1

    def on_notices(self, monitor: StreamMonitor, notices: Sequence[Notice]) -> None:
        if monitor is not self._ear:
            return
        for notice in notices:
            if isinstance(notice, AudioQueued):
                samples = round(notice.duration_ms * monitor.rate / 1000)
                self._queued.add(time.monotonic(), samples)
            elif isinstance(notice, AudioCleared):
                self._queued.clear()

    def hear(self, data: bytes) -> None:
        """One chunk of the page's microphone (ignored on a speech-sample call)."""
        if len(data) % 2:
            raise ValidationError(f"microphone audio must be 16-bit samples, got {len(data)} bytes")
        if self.microphone is not None:
            self.microphone.push(np.frombuffer(data, dtype="<i2").astype(np.int16))

    def stats(self) -> dict[str, Any]:
        """What the page shows: the added latency of both paths and the counters."""
        mic = self.microphone
        return {
            "type": "stats",
            "call_status": self.call.status,
            "mic_to_app_ms": mic.latency.summary() if mic is not None else None,
            "play_to_ear_ms": self.ear_latency.summary(),
            "app_queue_ms": self.app_queue.summary(),
            **(mic.counters() if mic is not None else {}),
            "ear_frames": self.ear_frames,
            "ear_audio_frames": self.ear_audio_frames,
            "ear_dropped": self.ear_dropped,
        }

    async def send_ear(self, ws: web.WebSocketResponse) -> None:
        """Send the played frames to the page as they come (runs until cancelled)."""
        while True:
            data, played_at_ms = await self.outbox.get()
            await ws.send_bytes(data)
            self.ear_frames += 1
            sent_ms = self._clock.wall_ms(self._clock.now())
            self.ear_latency.add((sent_ms - played_at_ms) / 1000)


def _dial(console: Console, account: str, text: str) -> tuple[Call, Softphone]:
    """Place the call the page's first message asks for."""
    try:
        message = json.loads(text)
    except (ValueError, RecursionError):
        raise ValidationError("the first message must be a JSON dial request") from None
    if not isinstance(message, dict) or message.get("op") != "dial":
        raise ValidationError('the first message must be {"op": "dial", …}')
    if console.speed != 1:
        raise ValidationError(
            f"the softphone needs the emulator at speed 1 (it runs at {console.speed:g}): "
            "a microphone talks in real time"
        )
    rate = message.get("rate")
    if rate not in PAGE_RATES:
        raise ValidationError(f"rate must be one of {PAGE_RATES}, got {rate!r:.40}")
    source = message.get("source", "mic")
    if source not in ("mic", "speech"):
        raise ValidationError(f"source must be 'mic' or 'speech', got {source!r:.40}")
    microphone = Microphone(rate) if source == "mic" else None
    voice = microphone if microphone is not None else AudioSource(*speech())
    call = console.place(account, message, caller=voice)
    phone = Softphone(call, rate, console.exchange.services.clock, microphone)
    return call, phone


async def handle(request: web.Request) -> web.StreamResponse:
    """``GET /console/phone``: the softphone's WebSocket (see the module doc)."""
    console = request.app[CONSOLE]
    account = console.page_account(request, "the softphone takes pages of this server only")
    with Console.admitted(console.phones, state.MAX_PHONES, "softphones", MAX_MESSAGE_BYTES) as ws:
        await ws.prepare(request)
        await _serve(console, account, ws)
    return ws


async def _serve(console: Console, account: str, ws: web.WebSocketResponse) -> None:
    """Dial as the first message asks, then carry the call until the page or the call
    leaves; a bad message is answered with ``error`` and ends the call."""
    first = await ws.receive()
    if first.type != aiohttp.WSMsgType.TEXT:
        await ws.close()
        return
    try:
        call, phone = _dial(console, account, first.data)
    except (AudioforkError, ValueError) as exc:
        await _refuse(ws, exc)
        return
    monitors = console.exchange.services.monitors
    monitors.watch_call(call.uuid, phone.stream_opened)
    tasks: list[asyncio.Future[None]] = []
    try:
        await ws.send_str(json.dumps({"type": "dialing", "call_uuid": call.uuid}))
        tasks = [
            asyncio.ensure_future(phone.send_ear(ws)),
            asyncio.ensure_future(_report(ws, phone, call)),
        ]
        async for message in ws:
            if message.type == aiohttp.WSMsgType.BINARY:
                phone.hear(message.data)
            elif message.type == aiohttp.WSMsgType.TEXT and _op(message.data) == "hangup":
                caller.hang_up(call)
            elif message.type == aiohttp.WSMsgType.ERROR:
                break
    except ValidationError as exc:
        _log.info("softphone of call %s: %s", call.uuid, exc)
        await _refuse(ws, exc)
    except (ConnectionResetError, aiohttp.ClientError) as exc:
        _log.info("softphone of call %s: %s", call.uuid, exc)
    finally:
        caller.hang_up(call)
        monitors.unwatch_call(call.uuid, phone.stream_opened)
        phone.detach()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _refuse(ws: web.WebSocketResponse, problem: Exception) -> None:
    """Tell the page what was wrong and close (quietly if it has gone already)."""
    try:
        await ws.send_str(json.dumps({"type": "error", "error": str(problem)}))
        await ws.close()
    except (ConnectionResetError, aiohttp.ClientError):
        pass


def _op(text: str) -> object:
    """The ``op`` of a JSON message from the page (``None`` if it has none)."""
    try:
        message = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return message.get("op") if isinstance(message, dict) else None


async def _report(ws: web.WebSocketResponse, phone: Softphone, call: Call) -> None:
    """Send ``stats`` every :data:`STATS_EVERY_S`; ``ended`` once the call has ended."""
    while True:
        await asyncio.sleep(STATS_EVERY_S)
        await ws.send_str(json.dumps(phone.stats()))
        if not call.live:
            await call.finished()
            ended = {"type": "ended", "hangup_cause": call.hangup_cause, "error": call.error}
            await ws.send_str(json.dumps({**phone.stats(), "type": "stats"}))
            await ws.send_str(json.dumps(ended))
            await ws.close()
            return
