"""What a forked stream is given and what it reports: :class:`StreamSpec` (its configuration,
from a ``<Stream>`` or a REST start), :class:`StreamNotice` (what status callbacks carry),
:class:`StreamEnd` (how it ended) and :class:`StreamStats` (its counters over every
connection)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from audiofork.dialects import Dialect
from audiofork.platform import PlatformStats, Track
from audiofork.vobiz.xml import StreamElement

__all__ = ["StreamEnd", "StreamNotice", "StreamSpec", "StreamStats", "extra_header_pairs"]


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
    dialect: Dialect = Dialect.VOBIZ

    @classmethod
    def from_element(
        cls,
        element: StreamElement,
        *,
        stream_id: str,
        call_uuid: str,
        account_id: str,
        dialect: Dialect = Dialect.VOBIZ,
    ) -> StreamSpec:
        """The spec of a ``<Stream>`` (or a REST start, which makes one) for a call."""
        return cls(
            dialect=dialect,
            stream_id=stream_id,
            call_uuid=call_uuid,
            account_id=account_id,
            service_url=element.url,
            audio_track=element.audio_track,
            bidirectional=element.bidirectional,
            content_type=element.content_type,
            stream_timeout=float(element.stream_timeout),
            max_retries=element.max_retries,
            extra_headers=element.extra_headers,
        )

    @property
    def tracks(self) -> tuple[Track, ...]:
        """The forked tracks, in ``start`` order."""
        if self.audio_track == "both":
            return ("inbound", "outbound")
        return (self.audio_track,)


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
class StreamStats(PlatformStats):
    """Counters of one stream over all its connections (see :class:`PlatformStats`)."""

    reconnects: int = 0


def extra_header_pairs(extra_headers: str | None) -> dict[str, str]:
    """``"k=v,k2=v2"`` (a stream's ``extraHeaders``) as ``{"k": "v", "k2": "v2"}``."""
    pairs = (item.partition("=") for item in (extra_headers or "").split(","))
    return {key: value for key, sep, value in pairs if sep}
