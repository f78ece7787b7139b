"""A platform on a real socket: a :class:`~audiofork.PlatformStream` driven over a
``websockets`` client connection to an app, a frame every 20 ms of real time."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import TracebackType

from websockets.asyncio.client import ClientConnection, connect

from audiofork import PlatformStream
from audiofork.platform import PlatformState


class PlatformDriver:
    """``async with PlatformDriver(url, stream) as platform:`` connects and reads the app's
    messages into ``stream``; :meth:`run_until` passes frame boundaries; leaving closes the
    connection."""

    def __init__(self, url: str, stream: PlatformStream) -> None:
        self.url = url
        self.stream = stream
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Future[None] | None = None

    @property
    def ws(self) -> ClientConnection:
        assert self._ws is not None, "not connected"
        return self._ws

    async def __aenter__(self) -> PlatformDriver:
        self._ws = await connect(self.url)
        self._reader = asyncio.ensure_future(self._read())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._reader is not None
        self._reader.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)
        await self.ws.close()

    async def _read(self) -> None:
        async for message in self.ws:
            if self.stream.state is PlatformState.STREAMING:
                self.stream.receive(message)

    async def run_until(
        self, done: Callable[[], bool], talk: Callable[[int], None] | None = None
    ) -> None:
        """Start the stream if it is not, then a frame every 20 ms until ``done()``;
        ``talk(frame)`` before each, to push the caller's audio."""
        stream = self.stream
        if stream.state is PlatformState.IDLE:
            stream.start()
        while not done():
            if talk is not None:
                talk(stream.frames)
            stream.tick()
            await self.flush()
            await asyncio.sleep(0.02)

    async def flush(self) -> None:
        """Send what the stream has queued."""
        for text in self.stream.data_to_send():
            await self.ws.send(text)

    async def stop(self) -> None:
        """End the stream as the platform (``stop`` after the answers owed)."""
        self.stream.stop()
        await self.flush()

    def abort(self) -> None:
        """Drop the TCP connection: no close frame, no ``stop``."""
        self.ws.transport.abort()


def bidirectional_stream(content_type: str = "audio/x-l16;rate=8000") -> PlatformStream:
    """A bidirectional stream as a platform would open it to the app."""
    return PlatformStream(content_type, stream_id="s-1", call_id="c-1", bidirectional=True)
