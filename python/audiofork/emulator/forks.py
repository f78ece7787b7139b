"""One forked stream of a call as the platform keeps it: configuration, lifecycle, billing,
status callbacks and its REST representation (PROTOCOL §1 "Stream object", §5).

The media itself (WebSocket, pacing, playout, recordings) is the :class:`StreamRunner`'s, or
the driver's the emulator was given (:mod:`audiofork.emulator.driver`); a :class:`Fork`
starts one, turns its notices into status callbacks and log lines, and bills
from the stream's time 0 (its first ``StartStream``: audio flowing) to its stop or end on the
virtual clock.

Log lines quote a checkpoint name or an error clipped (:func:`~audiofork.emulator.logs.clip`),
and the frequent notices (``PlayedStream``, ``ClearedAudio``, ``DegradedStream``) go through
the emulator's :class:`~audiofork.emulator.logs.FloodLog`: a burst of them is a few lines and
a summary with the count.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from audiofork.emulator.billing import Bill
from audiofork.emulator.driver import StreamDriver
from audiofork.emulator.logs import clip
from audiofork.emulator.services import Services
from audiofork.emulator.stream import (
    StreamEnd,
    StreamNotice,
    StreamRunner,
    StreamSpec,
    StreamStats,
    extra_header_pairs,
)
from audiofork.errors import ValidationError
from audiofork.formats import MediaFormat
from audiofork.vobiz import redact_url, redact_urls
from audiofork.vobiz.xml import StreamElement

__all__ = [
    "MAX_STREAM_TIMEOUT_S",
    "CallParty",
    "Fork",
    "ForkStatus",
    "StreamInfo",
    "stats_of",
    "wall_text",
]

_log = logging.getLogger("audiofork.emulator")

ForkStatus = Literal["in-progress", "completed", "failed"]
#: The longest ``streamTimeout`` (seconds) the virtual clock holds exactly; more is refused.
MAX_STREAM_TIMEOUT_S = 2**53
#: Notices that can come in bursts, logged through the flood limiter.
_FREQUENT = ("PlayedStream", "ClearedAudio", "DegradedStream")


def wall_text(moment: datetime, *, micro: bool = False) -> str:
    """A time as the platform writes it: ``2025-11-14 02:44:50+00:00`` (with microseconds
    when ``micro``)."""
    return str(moment if micro else moment.replace(microsecond=0))


def _flag(value: bool) -> str:
    return "true" if value else "false"


@dataclass(frozen=True)
class CallParty:
    """What a stream needs to know of its call."""

    call_uuid: str
    account_id: str
    from_: str
    to: str
    auth_token: str = field(repr=False)


@dataclass(frozen=True)
class StreamInfo:
    """A snapshot of one stream of a call: its current id, format, status, counters,
    recording directories (one per connection, with ``record_dir``) and, once it has ended
    with one, the error that ended it (URLs redacted)."""

    stream_id: str
    call_uuid: str
    content_type: str
    sample_rate: int
    status: ForkStatus
    stats: StreamStats
    recording_dirs: tuple[Path, ...]
    error: str | None = None


class Fork:
    """A stream of a call, from start to its end; :meth:`run` drives it. Refuses (with
    :class:`ValidationError`) a ``streamTimeout`` above :data:`MAX_STREAM_TIMEOUT_S`."""

    def __init__(
        self,
        call: CallParty,
        element: StreamElement,
        services: Services,
        *,
        on_new_id: Callable[[str, Fork], None],
        on_audio: Callable[[], None],
    ) -> None:
        if element.stream_timeout > MAX_STREAM_TIMEOUT_S:
            raise ValidationError(
                f"stream_timeout must be at most {MAX_STREAM_TIMEOUT_S} seconds, "
                f"got {element.stream_timeout}"
            )
        self.call = call
        self.element = element
        self._services = services
        self._on_new_id = on_new_id
        self._on_audio = on_audio
        self.ids: list[str] = []
        first_id = self._new_id()
        clock = services.clock
        self.created_at = clock.wall()
        self.end_time: datetime | None = None
        self.status: ForkStatus = "in-progress"
        self.end: StreamEnd | None = None
        self._billed_from: float | None = None
        self._billed_to: float | None = None
        self.done = asyncio.Event()
        media_format = MediaFormat.parse(element.content_type)
        self.monitor = services.monitors.open(
            call.call_uuid,
            first_id,
            element.content_type,
            media_format.sample_rate,
            clock.now,
            bidirectional=element.bidirectional,
            forks_caller=element.audio_track in ("inbound", "both"),
        )
        spec = StreamSpec.from_element(
            element,
            stream_id=first_id,
            call_uuid=call.call_uuid,
            account_id=call.account_id,
            dialect=services.dialect,
        )
        outside = services.stream_driver
        driver = None if outside is None else outside(spec, clock, self._notice)
        #: The emulator's own runner of the stream (``None`` when an outside driver runs it):
        #: what the caller's actions, the recordings and the captured audio use.
        self.runner: StreamRunner | None = None
        if driver is None:
            driver = self.runner = StreamRunner(
                spec,
                clock=clock,
                caller=services.caller,
                callee=services.callee,
                notify=self._notice,
                new_stream_id=self._new_id,
                record_dir=services.record_dir,
                capture_audio=services.capture_audio,
                monitor=self.monitor,
            )
        self.driver: StreamDriver = driver

    def _new_id(self) -> str:
        stream_id = str(uuid.uuid4())
        self.ids.append(stream_id)
        self._on_new_id(stream_id, self)
        return stream_id

    @property
    def stream_id(self) -> str:
        """The current stream id (a ``maxRetries`` reconnect takes a new one)."""
        return self.ids[-1]

    @property
    def live(self) -> bool:
        """Whether the stream is still in progress."""
        return self.status == "in-progress"

    async def run(self) -> StreamEnd:
        """Run the stream to its end; never raises for network or app faults."""
        _log.info(
            "stream %s of call %s: connecting to %s (%s, %s, bidirectional=%s)",
            self.stream_id,
            self.call.call_uuid,
            redact_url(self.element.url),
            self.element.content_type,
            self.element.audio_track,
            _flag(self.element.bidirectional),
        )
        try:
            end = await self.driver.run()
        except Exception as exc:  # a fault in the media code must still end the stream
            _log.exception("stream %s: the media runner failed", self.stream_id)
            end = StreamEnd("failed", "dropped", f"{type(exc).__name__}: {exc}")
        self._finish(end)
        return end

    def _finish(self, end: StreamEnd) -> None:
        clock = self._services.clock
        ended = self.driver.ended_at
        self.end = end
        self.status = end.status
        self.end_time = clock.wall() if ended is None else clock.wall_at(ended)
        if self._billed_from is not None and self._billed_to is None:
            self._billed_to = clock.now() if ended is None else ended
        bill = self.bill()
        _log.info(
            "stream %s of call %s: %s (%s%s), billed %d s -> %d s, %s",
            self.stream_id,
            self.call.call_uuid,
            end.status,
            end.reason,
            f": {clip(end.error)}" if end.error else "",
            bill.bill_duration,
            bill.rounded_bill_duration,
            bill.billed_amount,
        )
        self.monitor.close(f"ended: {end.status} ({end.reason})")
        for stream_id in self.ids:
            for event in _FREQUENT:
                self._services.log.flush(_flood_key(stream_id, event))
        self.done.set()

    def stop(self, reason: Literal["api_stop", "hangup"]) -> None:
        """End the stream (idempotent); billing stops now, :attr:`done` is set once the
        socket has closed."""
        if self.live and self._billed_from is not None and self._billed_to is None:
            self._billed_to = self._services.clock.now()
        self.driver.stop(reason)

    def bill(self) -> Bill:
        """The bill so far: from the first audio to the stop or the stream's end (or now,
        while live), at most ``streamTimeout``; the socket's closing is not billed."""
        if self._billed_from is None:
            return self._services.tariff.bill(0.0)
        until = self._billed_to if self._billed_to is not None else self._services.clock.now()
        seconds = min(until - self._billed_from, float(self.element.stream_timeout))
        return self._services.tariff.bill(max(seconds, 0.0))

    def _notice(self, notice: StreamNotice) -> None:
        if notice.event == "StartStream" and self._billed_from is None:
            self._billed_from = self.driver.started_at  # the stream's time 0
            self._on_audio()
        error = redact_urls(notice.error)  # a connection error may quote the service URL
        details = f" {clip(repr(notice.name))}" if notice.name is not None else ""
        details += f" error: {clip(error)}" if error else ""
        line = ("stream %s of call %s: %s%s", notice.stream_id, self.call.call_uuid)
        if notice.event in _FREQUENT:
            key = _flood_key(notice.stream_id, notice.event)
            self._services.log.log(key, logging.INFO, *line, notice.event, details)
        else:
            _log.info(*line, notice.event, details)
        if error != notice.error:
            notice = dataclasses.replace(notice, error=error)
        self.monitor.stream_notice(notice)
        url = self.element.status_callback_url
        if url is not None:
            self._services.callbacks.send(
                url,
                self.element.status_callback_method,
                self.callback_fields(notice),
                self.call.auth_token,
                order_key=self.ids[0],
            )

    def callback_fields(self, notice: StreamNotice) -> dict[str, str]:
        """The form fields of the status callback for ``notice`` (PROTOCOL §5): the event's
        fields, the stream's configuration and its extra headers as ``X-VH-<key>``."""
        e = self.element
        fields = {
            "From": self.call.from_,
            "To": self.call.to,
            "CallUUID": self.call.call_uuid,
            "Event": notice.event,
            "StreamID": notice.stream_id,
            "ParentAuthID": self.call.account_id,
            "status_callback_url": e.status_callback_url or "",
            "status_callback_method": e.status_callback_method,
            "Timestamp": self._services.clock.wall().strftime("%Y-%m-%d %H:%M:%S"),
            "Error": notice.error,
            "bidirectional": _flag(e.bidirectional),
            "audioTrack": e.audio_track,
            "streamTimeout": str(e.stream_timeout),
            "statusCallbackUrl": e.status_callback_url or "",
            "statusCallbackMethod": e.status_callback_method,
            "contentType": e.content_type,
            "extraHeaders": e.extra_headers or "",
            "keepCallAlive": _flag(e.keep_call_alive),
        }
        if notice.event == "StartStream":
            fields["ServiceURL"] = e.url
        if notice.event == "PlayedStream" and notice.name is not None:
            fields["Name"] = notice.name
        for key, value in extra_header_pairs(e.extra_headers).items():
            fields[f"X-VH-{key}"] = value
        return fields

    def info(self) -> StreamInfo:
        """A snapshot of the stream."""
        return StreamInfo(
            stream_id=self.stream_id,
            call_uuid=self.call.call_uuid,
            content_type=self.element.content_type,
            sample_rate=self.driver.rate,
            status=self.status,
            stats=self.driver.stats,
            recording_dirs=() if self.runner is None else tuple(self.runner.recording_dirs),
            error=self.error,
        )

    @property
    def error(self) -> str | None:
        """The error that ended the stream (URLs redacted), ``None`` if none did."""
        if self.end is None or not self.end.error:
            return None
        return redact_urls(self.end.error)

    def captured_audio(self) -> tuple[npt.NDArray[np.int16], npt.NDArray[np.int16]]:
        """The caller track as forked and what the caller heard, on one timeline (empty
        unless the emulator captures audio and runs the stream itself)."""
        if self.runner is None:
            return np.zeros(0, np.int16), np.zeros(0, np.int16)
        return self.runner.sent_audio, self.runner.played_audio

    def resource_uri(self) -> str:
        """The stream's path as the platform names it."""
        call = self.call
        return f"/v1/Account/{call.account_id}/Call/{call.call_uuid}/Stream/{self.stream_id}/"

    def to_json(self, api_id: str) -> dict[str, Any]:
        """The REST Stream object, every field of PROTOCOL §1."""
        e = self.element
        bill = self.bill()
        return {
            "api_id": api_id,
            "stream_id": self.stream_id,
            "call_uuid": self.call.call_uuid,
            "account_id": self.call.account_id,
            "service_url": e.url,
            "audio_track": e.audio_track,
            "bidirectional": e.bidirectional,
            "content_type": e.content_type,
            "sampling_rate": MediaFormat.parse(e.content_type).sample_rate,
            "stream_timeout": e.stream_timeout,
            "status_callback_url": e.status_callback_url,
            "status_callback_method": e.status_callback_method,
            "status": self.status,
            "created_at": wall_text(self.created_at, micro=True),
            "start_time": wall_text(self.created_at),
            "end_time": None if self.end_time is None else wall_text(self.end_time),
            "bill_duration": bill.bill_duration,
            "rounded_bill_duration": bill.rounded_bill_duration,
            "billed_amount": bill.billed_amount,
            "resource_uri": self.resource_uri(),
        }


def _flood_key(stream_id: str, event: str) -> str:
    return f"stream {stream_id} {event}"


def stats_of(driver: StreamDriver) -> dict[str, Any]:
    """A stream's counters as a plain dict."""
    return dataclasses.asdict(driver.stats)
