"""One forked stream: the platform's WebSocket client, both directions.

:class:`StreamRunner` connects to the app's ``service_url``, sends ``start`` (newest form:
nested ids, ``mediaFormat``), then one ``media`` message per 20 ms per forked track, paced
against absolute deadlines on the emulator's :class:`VirtualClock`. Frame *k* carries the
audio of ``[20k ms, 20(k + 1) ms)`` after the first ``start`` and leaves at the end of
that period. A late wake-up sends what is due at once; nothing is skipped or added.

On a bidirectional stream it reads the app's messages with audiofork's parser and codec:
``playAudio`` (any size, any allowed format) is queued in a :class:`Playout` that drains in
(virtual) real time, ``checkpoint`` is answered with ``playedStream`` once its audio has
played, ``clearAudio`` flushes the queue, drops pending checkpoints unanswered and is
answered with ``clearedAudio``, and ``stop`` ends the stream. A bad frame (not JSON, wrong
format, bad base64, odd L16 length, …) is counted in :attr:`StreamRunner.stats`, reported
once per kind through a ``DegradedStream`` notice, and the stream goes on.

Recordings (``record_dir``) and the in-memory capture share the frame timeline: sample
``i`` of ``caller.wav`` / ``callee.wav`` was forked, and sample ``i`` of ``played.wav``
was heard, at ``i / rate`` seconds after that connection's ``start``.

Endings (:class:`StreamEnd`): ``timeout`` (``stream_timeout``), ``app_stop``,
``api_stop`` / ``hangup`` (:meth:`StreamRunner.stop`), ``dropped`` (the app closed the
socket: ``completed``; the socket broke: ``failed``) and ``unreachable`` (``failed``).
A dropped or unreachable stream tries again up to ``max_retries`` times in all: after a drop
it reconnects at once with a new ``streamId`` (from ``new_stream_id``) and the same
``callId``; a failed attempt is retried a virtual second later with the id it never used.
An app that does not read loses media past :data:`MAX_SEND_BACKLOG` and answers past
:data:`MAX_SEND_BACKLOG_CHARS` (both counted), so nothing it does grows memory without bound.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import math
import pathlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal, TypeVar

import aiohttp
import numpy as np
import numpy.typing as npt

from audiofork import wire
from audiofork.codec import decode_payload, encode_payload
from audiofork.emulator.audio import AudioReader, AudioSource
from audiofork.emulator.clock import VirtualClock
from audiofork.emulator.playout import Playout
from audiofork.emulator.recorder import WavRecorder, recording_dir
from audiofork.errors import AudioforkError, CodecError
from audiofork.events import Checkpoint, ClearAudio, PlayAudio, Stop, UnknownEvent
from audiofork.formats import MediaFormat

__all__ = ["StreamEnd", "StreamNotice", "StreamRunner", "StreamSpec", "StreamStats"]

logger = logging.getLogger("audiofork.emulator")

Pcm = npt.NDArray[np.int16]
T = TypeVar("T")
Track = Literal["inbound", "outbound"]

#: Media frame period (seconds of virtual time).
FRAME_S = 0.02
FRAMES_PER_S = 50
#: Largest message accepted from an app, on the socket and by the parser. A larger one
#: breaks the socket (aiohttp closes it with 1009), which ends the stream as dropped.
MAX_MESSAGE_BYTES = 16 << 20
#: Media messages waiting for a slow app beyond this are dropped (and counted): ~10 s of
#: one track. The pacer never waits for the socket.
MAX_SEND_BACKLOG = 500
#: Answers (``playedStream``, ``clearedAudio``) are dropped (and counted) while the messages
#: waiting for a slow app hold this many characters: an app that sends commands but does
#: not read cannot grow the queue without bound.
MAX_SEND_BACKLOG_CHARS = 4 << 20
#: Real seconds allowed for the WebSocket handshake, and for flushing and closing at the end.
CONNECT_TIMEOUT_S = 10.0
CLOSE_TIMEOUT_S = 2.0
#: Virtual seconds between a failed connection attempt and the next.
RETRY_DELAY_S = 1.0
#: Messages handled in a row before the receiver lets other tasks run.
RECEIVE_BURST = 100


@dataclass(frozen=True)
class StreamSpec:
    """A stream's configuration, as the call or the REST API gave it (already validated)."""

    stream_id: str
    call_uuid: str
    account_id: str
    service_url: str
    audio_track: Literal["inbound", "outbound", "both"]
    bidirectional: bool
    content_type: str
    stream_timeout: float
    max_retries: int
    extra_headers: str | None


@dataclass(frozen=True)
class StreamNotice:
    """Something the platform reports through status callbacks."""

    event: Literal[
        "StartStream",
        "PlayedStream",
        "ClearedAudio",
        "StopStream",
        "DroppedStream",
        "DegradedStream",
    ]
    stream_id: str
    name: str | None = None
    error: str = ""


@dataclass(frozen=True)
class StreamEnd:
    """How a stream ended."""

    status: Literal["completed", "failed"]
    reason: Literal["app_stop", "timeout", "hangup", "api_stop", "dropped", "unreachable"]
    error: str = ""


@dataclass
class StreamStats:
    """Counters of one stream (over all its connections); durations in ms of audio."""

    media_sent: dict[str, int] = field(default_factory=dict)  # per track
    media_dropped: int = 0  # media not sent because the app was not reading
    answers_dropped: int = 0  # playedStream / clearedAudio not sent: the app was not reading
    play_audio_received: int = 0
    bad_frames: dict[str, int] = field(default_factory=dict)  # per reason
    played_ms: float = 0.0  # app audio the caller heard
    cleared_ms: float = 0.0  # app audio flushed by clearAudio before it played
    overflow_ms: float = 0.0  # app audio refused because the playout queue was full
    checkpoints_received: int = 0
    checkpoints_acknowledged: int = 0
    checkpoints_dropped: int = 0  # dropped unanswered by clearAudio or the stream's end
    clears: int = 0
    reconnects: int = 0


@dataclass(frozen=True)
class _Outcome:
    reason: Literal["app_stop", "timeout", "hangup", "api_stop", "dropped", "unreachable"]
    error: str = ""
    broken: bool = False


class _Link:
    """One WebSocket connection of a stream: its messages out, playout and recordings."""

    def __init__(
        self,
        ws: aiohttp.ClientWebSocketResponse,
        stream_id: str,
        rate: int,
        frame: int,
        recorder: WavRecorder | None,
    ) -> None:
        self.ws = ws
        self.stream_id = stream_id
        self.outbox: asyncio.Queue[str] = asyncio.Queue()
        self.outbox_chars = 0  # characters of the messages in the outbox
        self.sequence = 0
        self.playout = Playout(rate, frame)
        self.recorder = recorder
        self.degraded: set[str] = set()
        self.chunks: dict[str, int] = {}  # media sent per track on this connection

    def next_sequence(self) -> int:
        self.sequence += 1
        return self.sequence

    def queue(self, text: str) -> None:
        """Hand ``text`` to the writer."""
        self.outbox_chars += len(text)
        self.outbox.put_nowait(text)


class StreamRunner:
    """Run one stream: connect, fork audio, play the app's audio, end; see the module doc.

    ``notify`` is called (synchronously) for each :class:`StreamNotice`. With
    ``capture_audio``, :attr:`sent_audio` and :attr:`played_audio` keep the caller track
    and what the caller heard in memory, on one timeline.
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
    ) -> None:
        self.spec = spec
        self._clock = clock
        self._notify = notify
        self._new_stream_id = new_stream_id
        self._record_dir = record_dir
        self._format = MediaFormat.parse(spec.content_type)
        self.rate = self._format.sample_rate
        self._frame = self._format.samples_per_frame(20)
        self._tracks: tuple[Track, ...] = (
            ("inbound", "outbound") if spec.audio_track == "both" else (spec.audio_track,)
        )
        self._sources = {"inbound": caller, "outbound": callee}
        self._extra_headers = _extra_headers_json(spec.extra_headers)
        self._stream_id = spec.stream_id
        self._stop_reason: Literal["api_stop", "hangup"] | None = None
        self._stop_requested = asyncio.Event()
        self._stats = StreamStats(media_sent={track: 0 for track in self._tracks})
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
        """A snapshot of the stream's counters."""
        return dataclasses.replace(
            self._stats,
            media_sent=dict(self._stats.media_sent),
            bad_frames=dict(self._stats.bad_frames),
        )

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
        """End the stream (idempotent; the first reason wins)."""
        if self._stop_reason is None:
            self._stop_reason = reason
            self._stop_requested.set()

    async def run(self) -> StreamEnd:
        """Connect, stream and return how it ended; network and app faults do not raise."""
        self._origin = self._clock.now()
        timeout_frames = math.floor(self.spec.stream_timeout * FRAMES_PER_S + 1e-6)
        readers = {track: self._sources[track].open(self.rate) for track in self._tracks}
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
                    self._stats.reconnects += 1
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
        readers: dict[Track, AudioReader],
        timeout_frames: int,
    ) -> _Outcome:
        connecting = await self._unless_stopped(
            session.ws_connect(
                self.spec.service_url,
                max_msg_size=MAX_MESSAGE_BYTES,
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
        link = _Link(ws, self._stream_id, self.rate, self._frame, recorder)
        link.queue(
            wire.start(
                self._stream_id,
                self._format,
                call_id=self.spec.call_uuid,
                account_id=self.spec.account_id,
                tracks=list(self._tracks),
                extra_headers=self._extra_headers,
            )
        )
        self._notify(StreamNotice("StartStream", self._stream_id))
        tasks: dict[asyncio.Future[object], str] = {
            asyncio.ensure_future(self._pace(link, readers, timeout_frames)): "pacer",
            asyncio.ensure_future(self._receive(link)): "receiver",
            asyncio.ensure_future(self._write(link)): "writer",
            asyncio.ensure_future(self._stop_requested.wait()): "stop",
        }
        outcome: _Outcome | None = None
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            outcome = self._outcome({tasks[task]: task for task in done})
            self._ended_at = min(self._clock.now(), self._origin + self.spec.stream_timeout)
        finally:
            await self._close(
                link, tasks, flush=outcome is not None and outcome.reason != "dropped"
            )
        self._end_link(link, outcome)
        return outcome

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
        self, link: _Link, tasks: dict[asyncio.Future[object], str], *, flush: bool
    ) -> None:
        """Stop the tasks, send what is queued (bounded), close the socket and recordings."""
        writer = [task for task, name in tasks.items() if name == "writer" and not task.done()]
        for task, name in tasks.items():
            if name != "writer":
                task.cancel()
        if flush and writer:
            try:
                await asyncio.wait_for(link.outbox.join(), CLOSE_TIMEOUT_S)
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
        self._stats.checkpoints_dropped += link.playout.clear()[1]
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

    # --- platform → app -------------------------------------------------------------------

    async def _pace(
        self, link: _Link, readers: dict[Track, AudioReader], timeout_frames: int
    ) -> _Outcome:
        """Every 20 ms of virtual time: one playout chunk, one media frame per track."""
        while True:
            k = self._next_frame
            if k + 1 > timeout_frames:
                await self._clock.sleep_until(self._origin + self.spec.stream_timeout)
                return _Outcome("timeout")
            await self._clock.sleep_until(self._origin + (k + 1) * FRAME_S)
            self._next_frame = k + 1
            self._play(link)
            timestamp = self._clock.wall_ms(self._origin + k * FRAME_S)
            for track, reader in readers.items():
                self._send_media(link, track, reader.read(self._frame), timestamp)

    def _play(self, link: _Link) -> None:
        tick = link.playout.tick()
        for name in tick.finished:
            self._acknowledge(link, name)
        self._stats.played_ms += tick.audio_samples * 1000 / self.rate
        self._record(link, "played", tick.chunk)

    def _send_media(self, link: _Link, track: Track, pcm: Pcm, timestamp: int) -> None:
        self._record(link, "caller" if track == "inbound" else "callee", pcm)
        if link.outbox.qsize() >= MAX_SEND_BACKLOG:
            self._stats.media_dropped += 1
            self._degraded(link, "send_backlog", "app is not reading; media frames dropped")
            return
        self._stats.media_sent[track] += 1
        chunk = link.chunks[track] = link.chunks.get(track, 0) + 1
        link.queue(
            wire.media(
                link.stream_id,
                encode_payload(pcm, self._format),
                sequence_number=link.next_sequence(),
                chunk=chunk,
                timestamp_ms=timestamp,
                track=track,
                extra_headers=self._extra_headers,
            )
        )

    def _record(self, link: _Link, name: str, pcm: Pcm) -> None:
        if link.recorder is not None and name in link.recorder.paths:
            link.recorder.write(name, pcm)
        if self._capture is not None and name in ("caller", "played"):
            self._capture["sent" if name == "caller" else "played"].append(pcm)

    async def _write(self, link: _Link) -> _Outcome:
        """The one task that sends, so messages leave in sequence order."""
        while True:
            text = await link.outbox.get()
            try:
                await link.ws.send_str(text)
            except (aiohttp.ClientError, ConnectionError, RuntimeError) as exc:
                return _Outcome("dropped", f"send failed: {exc}", broken=True)
            finally:
                link.outbox_chars -= len(text)
                link.outbox.task_done()

    # --- app → platform -------------------------------------------------------------------

    async def _receive(self, link: _Link) -> _Outcome:
        handled = 0
        while True:
            message = await link.ws.receive()
            if message.type == aiohttp.WSMsgType.TEXT:
                if self._handle(link, message.data):
                    return _Outcome("app_stop")
            elif message.type == aiohttp.WSMsgType.BINARY:
                self._bad(link, "binary", "binary WebSocket frame")
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

    def _handle(self, link: _Link, text: str) -> bool:
        """Act on one app message; ``True`` for ``stop``."""
        try:
            event = wire.parse_message(text, max_size=MAX_MESSAGE_BYTES)
        except AudioforkError as exc:
            self._bad(link, _bad_reason(exc), str(exc))
            return False
        if isinstance(event, Stop):
            return True
        if not isinstance(event, (PlayAudio, Checkpoint, ClearAudio)):
            what = event.event if isinstance(event, UnknownEvent) else type(event).__name__
            self._bad(link, "unexpected_event", f"unexpected message from the app: {what[:80]!r}")
        elif not self.spec.bidirectional:
            self._bad(link, "not_bidirectional", f"{type(event).__name__} on a one-way stream")
        elif isinstance(event, PlayAudio):
            self._play_audio(link, event)
        elif isinstance(event, Checkpoint):
            self._stats.checkpoints_received += 1
            answer = link.playout.checkpoint(event.name)
            if answer == "now":
                self._acknowledge(link, event.name)
            elif answer == "refused":
                self._stats.checkpoints_dropped += 1
                self._bad(link, "checkpoint_limit", "too many checkpoints pending; dropped")
        else:
            self._clear(link)
        return False

    def _play_audio(self, link: _Link, event: PlayAudio) -> None:
        self._stats.play_audio_received += 1
        try:
            pcm = decode_payload(event.payload, event.media_format)
        except CodecError as exc:
            self._bad(link, _bad_reason(exc), str(exc))
            return
        refused = link.playout.push(pcm, event.media_format.sample_rate)
        if refused:
            self._stats.overflow_ms += refused * 1000 / self.rate
            self._degraded(link, "overflow", "playout queue full (10 minutes); audio dropped")

    def _acknowledge(self, link: _Link, name: str) -> None:
        """Answer checkpoint ``name`` with ``playedStream``."""
        self._stats.checkpoints_acknowledged += 1
        self._answer(link, lambda sequence: wire.played_stream(name, link.stream_id, sequence))
        self._notify(StreamNotice("PlayedStream", link.stream_id, name=name))

    def _clear(self, link: _Link) -> None:
        samples, checkpoints = link.playout.clear()
        self._stats.clears += 1
        self._stats.cleared_ms += samples * 1000 / self.rate
        self._stats.checkpoints_dropped += checkpoints
        self._answer(link, lambda sequence: wire.cleared_audio(link.stream_id, sequence))
        self._notify(StreamNotice("ClearedAudio", link.stream_id))

    def _answer(self, link: _Link, build: Callable[[int], str]) -> None:
        """Queue the answer ``build(sequence)``, unless the app has left too much unread."""
        if link.outbox_chars >= MAX_SEND_BACKLOG_CHARS:
            self._stats.answers_dropped += 1
            self._degraded(link, "send_backlog", "app is not reading; answers dropped")
            return
        link.queue(build(link.next_sequence()))

    def _bad(self, link: _Link, reason: str, detail: str) -> None:
        self._stats.bad_frames[reason] = self._stats.bad_frames.get(reason, 0) + 1
        self._degraded(link, reason, f"bad frame from the app ({reason}): {detail}")

    def _degraded(self, link: _Link, kind: str, error: str) -> None:
        """Report a kind of trouble once per connection."""
        if kind not in link.degraded:
            link.degraded.add(kind)
            logger.warning("stream %s: %s", link.stream_id, error)
            self._notify(StreamNotice("DegradedStream", link.stream_id, error=error))


def _bad_reason(exc: AudioforkError) -> str:
    """A short kind for a refused app message, from the error audiofork raised."""
    text = str(exc)
    if "not valid JSON" in text:
        return "not_json"
    if text.startswith("message is ") and "limit" in text:
        return "too_large"
    if ".contentType" in text or ".sampleRate" in text:
        return "wrong_format"
    if "base64" in text:
        return "bad_base64"
    if "even number of bytes" in text:
        return "odd_length"
    return "malformed"


def extra_header_pairs(extra_headers: str | None) -> dict[str, str]:
    """``"k=v,k2=v2"`` (a stream's ``extraHeaders``) as ``{"k": "v", "k2": "v2"}``."""
    pairs = (item.partition("=") for item in (extra_headers or "").split(","))
    return {key: value for key, sep, value in pairs if sep}


def _extra_headers_json(extra_headers: str | None) -> str:
    """``"k=v,k2=v2"`` as the JSON object string ``start`` and ``media`` carry."""
    return json.dumps(extra_header_pairs(extra_headers), separators=(",", ":"))
