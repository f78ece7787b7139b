"""Who runs a forked stream's media: the emulator's own :class:`StreamRunner`, or a driver
a program hands the emulator (:data:`DriverFactory`).

The emulator keeps the call around the stream either way: the answer URL and its XML, the
status callbacks (from the :class:`StreamNotice` values the driver reports), billing from
:attr:`StreamDriver.started_at`, and the hangup (:meth:`StreamDriver.stop`). A driver owns
the stream's platform side: the WebSocket to the app, the caller's audio and the playout.
``audiofork simulate --answer-url`` drives its scripted caller this way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, Protocol

from audiofork.emulator.clock import VirtualClock
from audiofork.emulator.stream_spec import StreamEnd, StreamNotice, StreamSpec, StreamStats

__all__ = ["DriverFactory", "StreamDriver"]


class StreamDriver(Protocol):
    """Runs one stream to its end (see the module doc); what :class:`StreamRunner` does."""

    @property
    def stream_id(self) -> str:
        """The stream's current id."""
        ...

    @property
    def rate(self) -> int:
        """The stream's sample rate."""
        ...

    @property
    def started_at(self) -> float | None:
        """Virtual time of the first ``start`` sent (``None`` before)."""
        ...

    @property
    def ended_at(self) -> float | None:
        """Virtual time the stream ended (``None`` before)."""
        ...

    @property
    def stats(self) -> StreamStats:
        """The stream's counters so far."""
        ...

    def stop(self, reason: Literal["api_stop", "hangup"]) -> None:
        """End the stream now (idempotent; the first reason wins)."""
        ...

    async def run(self) -> StreamEnd:
        """Connect, stream and return how it ended; network and app faults do not raise."""
        ...


#: Makes the driver of a stream the emulator starts, from its spec, the emulator's clock and
#: where to report its notices (they become status callbacks); ``None`` leaves the stream to
#: the emulator's own :class:`StreamRunner`.
DriverFactory = Callable[
    [StreamSpec, VirtualClock, Callable[[StreamNotice], None]], "StreamDriver | None"
]
