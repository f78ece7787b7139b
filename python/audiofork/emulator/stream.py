"""One forked stream: connecting, retrying and pacing a :class:`PlatformStream` over aiohttp.

:class:`StreamRunner` connects to the app's ``service_url`` and drives one
:class:`~audiofork.platform.PlatformStream` per connection, which owns the protocol: the
``start``, one ``media`` per 20 ms per forked track, the playout of the app's audio, its
checkpoints and clears, and the refusal of bad frames (counted in
:attr:`StreamRunner.stats` and reported once per kind and connection as ``DegradedStream``).
The runner keeps the I/O: the socket (one reader, one writer, so messages leave in sequence
order), the pacing, the recordings and the retries.

Pacing is against absolute deadlines on the emulator's :class:`VirtualClock`: frame *k*
carries the audio of ``[20k ms, 20(k + 1) ms)`` after the first ``start`` and leaves at the
end of that period. A late wake-up sends what is due at once; nothing is skipped or added.
Recordings (``record_dir``) and the in-memory capture share that timeline: sample ``i`` of
``caller.wav`` / ``callee.wav`` was forked, and sample ``i`` of ``played.wav`` was heard,
at ``i / rate`` seconds after that connection's ``start``.

The caller's track is a :class:`~audiofork.platform.TalkOver`: the call's caller audio with
whatever :meth:`StreamRunner.talk` pushes over it (at most :data:`TALK_OVER_MAX_S` waiting),
kept across reconnects. :meth:`StreamRunner.press` presses keys on the live connection.

Endings (:class:`StreamEnd`): ``timeout`` (``stream_timeout``), ``app_stop``,
``api_stop`` / ``hangup`` (:meth:`StreamRunner.stop`), ``dropped`` (the app closed the
socket: ``completed``; the socket broke: ``failed``) and ``unreachable`` (``failed``).
On ``timeout``, ``api_stop`` and ``hangup`` the platform ends the stream: it sends ``stop``
(``{"callId", "reason"}``, the reason being that ending's name) after the answers it owes,
so the app sees a clean stop before the socket closes; no frame boundary after the instant
of :meth:`StreamRunner.stop` is passed. At the end of a connection what is
queued is sent (for at most :data:`CLOSE_TIMEOUT_S` real seconds) before the socket closes.
A dropped or unreachable stream tries again up to ``max_retries`` times in all: after a drop
it reconnects at once with a new ``streamId`` (from ``new_stream_id``) and the same
``callId``; a failed attempt is retried a virtual second later with the id it never used.
"""

from __future__ import annotations

import asyncio
import logging
import math
import pathlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

import aiohttp
import numpy as np
import numpy.typing as npt

from audiofork.dialects import Dialect
from audiofork.emulator.audio import AudioSource
from audiofork.emulator.clock import VirtualClock
from audiofork.emulator.monitor import StreamMonitor
from audiofork.emulator.recorder import WavRecorder, recording_dir
from audiofork.emulator.stream_spec import (
    StreamEnd,
    StreamNotice,
    StreamSpec,
    StreamStats,
    extra_header_pairs,
)
from audiofork.errors import StreamStateError
from audiofork.formats import MediaFormat
from audiofork.platform import (
    MAX_PENDING_KEYS,
    BadInput,
    CheckpointAnswered,
    ClearAnswered,
    Degraded,
    Notice,
    PcmInput,
    PlatformLimits,
    PlatformState,
    PlatformStream,
    TalkMode,
    TalkOver,
    Track,
    TrackSource,
)

__all__ = [
    "StreamEnd",
    "StreamNotice",
    "StreamRunner",
    "StreamSpec",
    "StreamStats",
    "extra_header_pairs",
]

logger = logging.getLogger("audiofork.emulator")

Pcm = npt.NDArray[np.int16]
T = TypeVar("T")

#: Media frame period (seconds of virtual time).
FRAME_S = 0.02
FRAMES_PER_S = 50
#: Real seconds allowed for the WebSocket handshake, and for flushing and closing at the end.
CONNECT_TIMEOUT_S = 10.0
CLOSE_TIMEOUT_S = 2.0
#: Virtual seconds between a failed connection attempt and the next.
RETRY_DELAY_S = 1.0
#: Messages handled in a row before the receiver lets other tasks run.
RECEIVE_BURST = 100
#: The most talk-over (:meth:`StreamRunner.talk`) one stream holds waiting, in seconds of
#: audio at the stream's rate (2 bytes a sample: 3.84 MB at 16 kHz).
TALK_OVER_MAX_S = 120.0
#: Endings on which the platform sends ``stop`` before it closes the socket.
_STOPPED_BY_PLATFORM = ("timeout", "api_stop", "hangup")


@dataclass(frozen=True)
class _Outcome:
    reason: Literal["app_stop", "timeout", "hangup", "api_stop", "dropped", "unreachable"]
    error: str = ""
    broken: bool = False


class _Link:
    """One WebSocket connection of a stream: its protocol object, writer signals and
    recordings."""

    def __init__(
        self,
        ws: aiohttp.ClientWebSocketResponse,
        stream: PlatformStream,
        recorder: WavRecorder | None,
    ) -> None:
        self.ws = ws
        self.stream = stream
        self.recorder = recorder
        self.wake = asyncio.Event()  # the stream has something to send
        self.idle = asyncio.Event()  # the writer has sent everything it took
        self.idle.set()
        self.degraded: set[str] = set()

    @property
    def stream_id(self) -> str:
        return self.stream.stream_id

    def kick(self) -> None:
        """Wake the writer if the stream has messages to send."""
        if self.stream.has_data_to_send:
            self.idle.clear()
            self.wake.set()


class StreamRunner:
    """Run one stream: connect, fork audio, play the app's audio, end; see the module doc.

    ``notify`` is called (synchronously) for each :class:`StreamNotice`. With
    ``capture_audio``, :attr:`sent_audio` and :attr:`played_audio` keep the caller track
    and what the caller heard in memory, on one timeline. ``limits`` bound each
    connection's :class:`PlatformStream`. ``monitor`` sees every frame, notice and key.
    """

    def __init__(
        self,
        spec: StreamSpec,
        *,
        clock: VirtualClock,
        caller: AudioSource,
        callee: AudioSource,
        notify: Callable[[StreamNotice], None],
        new_stream_id: Callable[[], str],
        record_dir: pathlib.Path | None = None,
        capture_audio: bool = False,
        limits: PlatformLimits | None = None,
        monitor: StreamMonitor | None = None,
    ) -> None:
        self.spec = spec
        self.monitor = monitor
        self._clock = clock
        self._notify = notify
        self._new_stream_id = new_stream_id
        self._record_dir = record_dir
        self._limits = limits if limits is not None else PlatformLimits()
        self._format = MediaFormat.parse(spec.content_type)
        self.rate = self._format.sample_rate
        self._frame = self._format.samples_per_frame(20)
        self._tracks = spec.tracks
        opened = {"inbound": caller, "outbound": callee}
        self._readers: dict[Track, TrackSource] = {
            track: opened[track].open(self.rate) for track in self._tracks
        }
        self._voice: TalkOver | None = None
        self._forks_caller = "inbound" in self._readers
        if self._forks_caller:
            self._voice = TalkOver(self._readers["inbound"], self.rate, TALK_OVER_MAX_S)
            self._readers["inbound"] = self._voice
        self._extra_headers = extra_header_pairs(spec.extra_headers)
        self._stream_id = spec.stream_id
        self._stop_reason: Literal["api_stop", "hangup"] | None = None
        self._stop_at: float | None = None  # virtual time of the stop: no frame passes it
        self._stop_requested = asyncio.Event()
        self._ended_stats = StreamStats(media_sent={track: 0 for track in self._tracks})
        self._link: _Link | None = None
        self._capture: dict[str, list[Pcm]] | None = (
            {"sent": [], "played": []} if capture_audio else None
        )
        self.recording_dirs: list[pathlib.Path] = []
        self._origin = 0.0  # virtual time of the first start (of run() until then)
        self._connected_once = False
        self._ended_at: float | None = None
        self._next_frame = 0

    @property
    def stream_id(self) -> str:
        """The current stream id (a reconnect takes a new one)."""
        return self._stream_id

    @property
    def started_at(self) -> float | None:
        """Virtual time of the first ``start`` sent (``None`` before): the stream's time 0."""
        return self._origin if self._connected_once else None

    @property
    def ended_at(self) -> float | None:
        """Virtual time the last connection ended (``None`` before): when the stop, the
        app's ``stop``, the timeout or the drop happened, not when the socket finished
        closing (closing takes real time, which a fast clock would stretch)."""
        return self._ended_at

    @property
    def stats(self) -> StreamStats:
        """A snapshot of the stream's counters, over every connection so far."""
        stats = self._ended_stats.copy()
        assert isinstance(stats, StreamStats)
        if self._link is not None:
            stats.add(self._link.stream.stats)
        return stats

    @property
    def sent_audio(self) -> Pcm:
        """The caller track as forked (int16 at the stream's rate), with ``capture_audio``."""
        return self._captured("sent")

    @property
    def played_audio(self) -> Pcm:
        """What the caller heard from the app, frame-aligned with :attr:`sent_audio`."""
        return self._captured("played")

    def _captured(self, name: str) -> Pcm:
        chunks = self._capture[name] if self._capture is not None else []
        return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)

    def stop(self, reason: Literal["api_stop", "hangup"]) -> None:
        """End the stream now (idempotent; the first reason wins): no frame boundary after
        this virtual instant is passed, however late the tasks notice."""
        if self._stop_reason is None:
            self._stop_reason = reason
            self._stop_at = self._clock.now()
            self._stop_requested.set()

    @property
    def forks_caller(self) -> bool:
        """Whether the stream forks the caller's (inbound) track."""
        return self._forks_caller

    @property
    def connected(self) -> bool:
        """Whether a connection is streaming now."""
        link = self._link
        return link is not None and link.stream.state is PlatformState.STREAMING

    def _caller_voice(self) -> TalkOver:
        if self._voice is None:
            why = "has ended" if self._forks_caller else "does not fork the caller's track"
            raise StreamStateError(f"stream {self._stream_id} {why}")
        return self._voice

    def talk(self, pcm: PcmInput, rate: int, mode: TalkMode = "replace") -> int:
        """The caller says ``pcm`` (mono, at ``rate`` Hz) from the next frame on, after the
        talk-over already waiting, replacing the caller audio or mixed over it (``mode``).
        The samples queued at the stream's rate;
        :class:`~audiofork.errors.BufferOverflowError` (nothing queued) past
        :data:`TALK_OVER_MAX_S`."""
        return self._caller_voice().push(pcm, rate, mode)

    def talk_room(self) -> int:
        """Samples of talk-over (at the stream's rate) that still fit."""
        voice = self._caller_voice()
        return voice.capacity - voice.queued_samples

    def stop_talking(self) -> int:
        """Drop the talk-over not yet said; the samples dropped."""
        return self._caller_voice().clear()

    def press(self, digits: str, spacing_ms: int) -> None:
        """Press ``digits`` on the live connection (:meth:`PlatformStream.press`);
        :class:`~audiofork.errors.StreamStateError` when none is streaming."""
        link = self._link
        if link is None or not self.connected:
            raise StreamStateError(f"stream {self._stream_id} is not connected")
        link.stream.press(digits, spacing_ms=spacing_ms)
        link.kick()
        if self.monitor is not None:
            self.monitor.dtmf(digits)

    @property
    def keys_room(self) -> int:
        """Keys the live connection can still take (0 when none is streaming)."""
        link = self._link
        if link is None or not self.connected:
            return 0
        return MAX_PENDING_KEYS - link.stream.keys_pending

    async def run(self) -> StreamEnd:
        """Connect, stream and return how it ended; network and app faults do not raise.
        The audio sources are let go at the end: an ended stream holds only its counters."""
        try:
            return await self._run()
        finally:
            self._readers = {}
            self._voice = None

    async def _run(self) -> StreamEnd:
        self._origin = self._clock.now()
        timeout_frames = math.floor(self.spec.stream_timeout * FRAMES_PER_S + 1e-6)
        readers = self._readers
        retries = 0
        async with aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=CONNECT_TIMEOUT_S)
        ) as session:
            while self._stop_reason is None:
                outcome = await self._connect_and_stream(session, readers, timeout_frames)
                if outcome.reason not in ("dropped", "unreachable"):
                    return StreamEnd("completed", outcome.reason)
                past_timeout = self._frame_now() >= timeout_frames
                if retries >= self.spec.max_retries or past_timeout:
                    return self._failed(outcome)
                retries += 1
                if outcome.reason == "dropped":
                    self._ended_stats.reconnects += 1
                    self._stream_id = self._new_stream_id()
                else:
                    await self._wait(self._clock.now() + RETRY_DELAY_S)
        return StreamEnd("completed", self._stop_reason)

    def _failed(self, outcome: _Outcome) -> StreamEnd:
        if outcome.reason == "unreachable":
            self._notify(StreamNotice("DroppedStream", self._stream_id, error=outcome.error))
            return StreamEnd("failed", "unreachable", outcome.error)
        status: Literal["completed", "failed"] = "failed" if outcome.broken else "completed"
        return StreamEnd(status, "dropped", outcome.error)

    def _frame_now(self) -> int:
        """Frames whose period has ended by now."""
        return math.floor((self._clock.now() - self._origin) * FRAMES_PER_S + 1e-9)

    async def _wait(self, t: float) -> None:
        """Sleep until virtual time ``t`` or until :meth:`stop`, whichever comes first."""
        await self._unless_stopped(self._clock.sleep_until(t))

    async def _unless_stopped(self, work: Awaitable[T]) -> asyncio.Future[T]:
        """Run ``work`` until it finishes or :meth:`stop` is called; its future, cancelled
        if the stop came first."""
        task = asyncio.ensure_future(work)
        stopper = asyncio.ensure_future(self._stop_requested.wait())
        try:
            await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            task.cancel()
            stopper.cancel()
            await asyncio.gather(task, stopper, return_exceptions=True)
        return task

    async def _connect_and_stream(
        self,
        session: aiohttp.ClientSession,
        readers: dict[Track, TrackSource],
        timeout_frames: int,
    ) -> _Outcome:
        connecting = await self._unless_stopped(
            session.ws_connect(
                self.spec.service_url,
                max_msg_size=self._limits.max_message_bytes,
                timeout=aiohttp.ClientWSTimeout(ws_close=CLOSE_TIMEOUT_S),
            )
        )
        if connecting.cancelled() and self._stop_reason is not None:
            return _Outcome(self._stop_reason)  # stopped during the handshake: no start
        try:
            ws = connecting.result()
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError, ValueError) as exc:
            error = f"cannot connect to {self.spec.service_url}: {type(exc).__name__}: {exc}"
            logger.warning("stream %s: %s", self._stream_id, error)
            return _Outcome("unreachable", error)
        if self._stop_reason is not None:
            await ws.close()
            return _Outcome(self._stop_reason)
        if not self._connected_once:
            self._connected_once = True
            self._origin = self._clock.now()  # the stream's timeline starts at its first start
        # The caller's audio runs on whether or not anyone listens: skip what a gap missed.
        gap = self._frame_now() - self._next_frame
        if gap > 0:
            for reader in readers.values():
                reader.read(gap * self._frame)
            self._next_frame += gap
        try:
            recorder = self._open_recorder()
        except BaseException:
            await ws.close()
            raise
        link = self._link = _Link(ws, self._platform_stream(readers), recorder)
        link.stream.start(self._first_timestamp_ms())
        link.kick()
        self._notify(StreamNotice("StartStream", self._stream_id))
        tasks: dict[asyncio.Future[object], str] = {
            asyncio.ensure_future(self._pace(link, timeout_frames)): "pacer",
            asyncio.ensure_future(self._receive(link, timeout_frames)): "receiver",
            asyncio.ensure_future(self._write(link)): "writer",
            asyncio.ensure_future(self._stop_requested.wait()): "stop",
        }
        outcome: _Outcome | None = None
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            outcome = self._outcome({tasks[task]: task for task in done})
            ended = self._clock.now() if self._stop_at is None else self._stop_at
            self._ended_at = min(ended, self._origin + self.spec.stream_timeout)
        finally:
            await self._close(link, tasks, outcome)
        self._end_link(link, outcome)
        return outcome

    def _first_timestamp_ms(self) -> int:
        """The next frame's ``media`` timestamp: wall-clock ms, or (Twilio) ms since the
        stream's first start."""
        if self.spec.dialect is Dialect.TWILIO:
            return self._next_frame * round(FRAME_S * 1000)
        return self._clock.wall_ms(self._origin + self._next_frame * FRAME_S)

    def _platform_stream(self, readers: dict[Track, TrackSource]) -> PlatformStream:
        return PlatformStream(
            self._format,
            stream_id=self._stream_id,
            call_id=self.spec.call_uuid,
            account_id=self.spec.account_id,
            tracks=self._tracks,
            bidirectional=self.spec.bidirectional,
            extra_headers=self._extra_headers,
            sources=readers,
            limits=self._limits,
            clock=lambda: self._clock.wall().timestamp(),
            dialect=self.spec.dialect,
        )

    def _outcome(self, done: dict[str, asyncio.Future[object]]) -> _Outcome:
        if "stop" in done and self._stop_reason is not None:
            return _Outcome(self._stop_reason)
        for name in ("receiver", "pacer", "writer"):
            if name in done:
                result = done[name].result()
                assert isinstance(result, _Outcome)
                return result
        raise AssertionError(f"no outcome among {sorted(done)}")

    async def _close(
        self, link: _Link, tasks: dict[asyncio.Future[object], str], outcome: _Outcome | None
    ) -> None:
        """Stop the tasks; unless the socket was dropped, send the answers owed (and, when
        the platform ends the stream, ``stop``) within :data:`CLOSE_TIMEOUT_S`; close the
        socket and the recordings."""
        writer = [task for task, name in tasks.items() if name == "writer" and not task.done()]
        for task, name in tasks.items():
            if name != "writer":
                task.cancel()
        if outcome is not None and outcome.reason != "dropped" and writer:
            if outcome.reason in _STOPPED_BY_PLATFORM:
                self._report(link, link.stream.stop(outcome.reason))
            else:
                self._report(link, link.stream.close())
            link.kick()
            try:
                await asyncio.wait_for(link.idle.wait(), CLOSE_TIMEOUT_S)
            except asyncio.TimeoutError:
                logger.warning("stream %s: app not reading; closing anyway", link.stream_id)
        for task in writer:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        try:
            await link.ws.close()
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
            logger.info("stream %s: close failed: %s", link.stream_id, exc)
        if link.recorder is not None:
            link.recorder.close()

    def _end_link(self, link: _Link, outcome: _Outcome) -> None:
        link.stream.connection_lost()  # whatever was not sent by now never will be
        self._ended_stats.add(link.stream.stats)
        self._link = None
        if outcome.reason == "dropped":
            self._notify(StreamNotice("DroppedStream", link.stream_id, error=outcome.error))
        else:
            self._notify(StreamNotice("StopStream", link.stream_id))

    def _open_recorder(self) -> WavRecorder | None:
        if self._record_dir is None:
            return None
        names = ["caller"] if "inbound" in self._tracks else []
        names += ["callee"] if "outbound" in self._tracks else []
        directory = recording_dir(self._record_dir, self.spec.call_uuid, self._stream_id)
        self.recording_dirs.append(directory)
        return WavRecorder(directory, self.rate, [*names, "played"])

    # --- pacing ---------------------------------------------------------------------------

    async def _pace(self, link: _Link, timeout_frames: int) -> _Outcome:
        """Pass each frame boundary as its time comes, until the timeout."""
        while True:
            k = self._next_frame
            if k + 1 > timeout_frames:
                await self._clock.sleep_until(self._origin + self.spec.stream_timeout)
                return _Outcome("timeout")
            await self._clock.sleep_until(self._origin + (k + 1) * FRAME_S)
            if link.stream.state is not PlatformState.STREAMING:  # the app's stop came first
                return _Outcome("app_stop")
            self._catch_up(link, timeout_frames)
            link.kick()

    def _catch_up(self, link: _Link, timeout_frames: int) -> None:
        """Pass every frame boundary whose time has come (up to the timeout): one media
        frame per track each, the playout one frame on. The receiver calls this before it
        hands the stream an app message, so app audio never plays in a frame period that
        ended before it arrived, however late the pacer wakes."""
        now = self._clock.now() if self._stop_at is None else min(self._clock.now(), self._stop_at)
        while self._next_frame < timeout_frames:
            if now < self._origin + (self._next_frame + 1) * FRAME_S:
                return
            self._next_frame += 1
            frame = link.stream.tick()
            if self.monitor is not None and self.monitor.wants_frames:
                self.monitor.frame(frame, link.stream.queued_ms)
            for track, pcm in frame.sent.items():
                self._record(link, "caller" if track == "inbound" else "callee", pcm)
            self._record(link, "played", frame.played)
            self._report(link, frame.notices)

    def _record(self, link: _Link, name: str, pcm: Pcm) -> None:
        if link.recorder is not None and name in link.recorder.paths:
            link.recorder.write(name, pcm)
        if self._capture is not None and name in ("caller", "played"):
            self._capture["sent" if name == "caller" else "played"].append(pcm)

    # --- the socket -----------------------------------------------------------------------

    async def _write(self, link: _Link) -> _Outcome:
        """The one task that sends, so messages leave in sequence order."""
        while True:
            await link.wake.wait()
            link.wake.clear()
            for text in link.stream.data_to_send():
                try:
                    await link.ws.send_str(text)
                except (aiohttp.ClientError, ConnectionError, RuntimeError) as exc:
                    return _Outcome("dropped", f"send failed: {exc}", broken=True)
            if not link.wake.is_set():
                link.idle.set()

    async def _receive(self, link: _Link, timeout_frames: int) -> _Outcome:
        handled = 0
        while True:
            message = await link.ws.receive()
            if message.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                self._catch_up(link, timeout_frames)
                self._report(link, link.stream.receive(message.data))
                link.kick()
                if link.stream.state is PlatformState.CLOSED:  # the app's stop
                    return _Outcome("app_stop")
            elif message.type == aiohttp.WSMsgType.ERROR:
                return _Outcome("dropped", f"socket broke: {message.data}", broken=True)
            elif message.type in (
                aiohttp.WSMsgType.CLOSE,
                aiohttp.WSMsgType.CLOSING,
                aiohttp.WSMsgType.CLOSED,
            ):
                code = link.ws.close_code
                broken = code in (None, aiohttp.WSCloseCode.ABNORMAL_CLOSURE)
                what = "connection lost" if broken else "app closed the socket"
                return _Outcome("dropped", f"{what} (code {code})", broken=broken)
            handled += 1
            if handled % RECEIVE_BURST == 0:
                await asyncio.sleep(0)

    # --- notices --------------------------------------------------------------------------

    def _report(self, link: _Link, notices: Sequence[Notice]) -> None:
        """Turn the stream's notices into status-callback notices."""
        if self.monitor is not None and notices:
            self.monitor.notices(notices)
        for notice in notices:
            if isinstance(notice, CheckpointAnswered):
                self._notify(StreamNotice("PlayedStream", link.stream_id, name=notice.name))
            elif isinstance(notice, ClearAnswered):
                self._notify(StreamNotice("ClearedAudio", link.stream_id))
            elif isinstance(notice, BadInput):
                detail = f"bad frame from the app ({notice.kind}): {notice.detail}"
                self._degraded(link, notice.kind, detail)
            elif isinstance(notice, Degraded):
                self._degraded(link, notice.kind, notice.detail)

    def _degraded(self, link: _Link, kind: str, error: str) -> None:
        """Report a kind of trouble once per connection."""
        if kind not in link.degraded:
            link.degraded.add(kind)
            logger.warning("stream %s: %s", link.stream_id, error)
            self._notify(StreamNotice("DegradedStream", link.stream_id, error=error))
