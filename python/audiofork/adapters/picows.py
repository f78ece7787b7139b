"""Transport over a picows connection, and a server that hands each one to an app.

picows calls a listener back for every frame instead of offering an awaitable ``recv()``.
:class:`PicowsConnection` is that listener, and the :class:`~audiofork.adapters.Transport`
that :class:`~audiofork.aio.AudioStream` reads it through: it keeps the text and binary
frames the app has not read yet. Once ``max_queue`` frames are held it stops reading the
socket until the app has taken half of them, as websockets does, so a peer cannot fill
memory: it holds at most ``max_queue`` messages of at most ``max_frame_bytes`` each (a
fragmented message is put together up to that size; past it the connection is closed with
1009), plus the messages of the socket read that reached the limit (one read is at most 256
KiB on asyncio's loop, 64 KiB on uvloop)::

    async def handler(connection: PicowsConnection) -> None:
        async with af.AudioStream(connection) as stream:
            ...

    server = await serve(handler, "127.0.0.1", 8765)  # ws://127.0.0.1:8765/ws
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable

from picows import WSCloseCode, WSFrame, WSListener, WSMsgType, WSTransport, ws_create_server
from picows.common import WSUpgradeRequest

from audiofork.adapters import TransportClosed

__all__ = ["PicowsConnection", "serve"]

logger = logging.getLogger(__name__)

#: Frames kept for the app by default before the socket stops being read.
MAX_QUEUE = 16
#: The largest frame accepted by default (bytes); picows disconnects past it.
MAX_FRAME_BYTES = 1 << 20


def _wake(waiter: asyncio.Future[None] | None) -> None:
    if waiter is not None and not waiter.done():
        waiter.set_result(None)


class PicowsConnection(WSListener):
    """One WebSocket connection: the frames the app has not read (at most ``max_queue``),
    and whether the socket may be written to.

    As a transport: ``receive()`` is safe to cancel (the frame stays queued); ``send()``
    hands its message to the socket before it waits for the write buffer; ``send_nowait()``
    sends unless the write buffer is full.
    """

    close_ends_receive = True

    def __init__(
        self,
        handler: Callable[[PicowsConnection], Awaitable[None]] | None = None,
        *,
        max_queue: int = MAX_QUEUE,
        max_frame_bytes: int = MAX_FRAME_BYTES,
        path: str = "",
    ) -> None:
        if max_queue < 1:
            raise ValueError(f"max_queue must be at least 1, got {max_queue}")
        self.path = path
        self._max_frame_bytes = max_frame_bytes
        self._partial: bytearray | None = None  # a fragmented message so far
        self._partial_text = False
        self.transport: WSTransport | None = None
        self.closed = False
        self._handler = handler
        self._task: asyncio.Task[None] | None = None
        self._max_queue = max_queue
        self._frames: deque[str | bytes] = deque()
        self._reading_paused = False
        self._receiver: asyncio.Future[None] | None = None
        self._writable: asyncio.Future[None] | None = None
        # the connection's loop, set on connect: asking asyncio each time costs a getpid()
        self._loop: asyncio.AbstractEventLoop | None = None

    # --- picows callbacks -------------------------------------------------------------------

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport
        self._loop = asyncio.get_running_loop()
        if self._handler is not None:
            self._task = self._loop.create_task(self._run(self._handler))

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        kind = frame.msg_type
        if kind is WSMsgType.TEXT and frame.fin:
            self._keep(frame.get_payload_as_utf8_text())
        elif kind is WSMsgType.CLOSE:
            transport.send_close(frame.get_close_code(), frame.get_close_message())
            transport.disconnect()
        elif kind is WSMsgType.BINARY and frame.fin:
            self._keep(frame.get_payload_as_bytes())
        elif kind in (WSMsgType.TEXT, WSMsgType.BINARY, WSMsgType.CONTINUATION):
            self._fragment(transport, frame)

    def _fragment(self, transport: WSTransport, frame: WSFrame) -> None:
        """A part of a fragmented message: kept until its last part, bounded in bytes."""
        if frame.msg_type is not WSMsgType.CONTINUATION:
            self._partial_text = frame.msg_type is WSMsgType.TEXT
            self._partial = bytearray()
        elif self._partial is None:
            transport.send_close(WSCloseCode.PROTOCOL_ERROR, b"continuation without a start")
            transport.disconnect()
            return
        self._partial += frame.get_payload_as_memoryview()
        if len(self._partial) > self._max_frame_bytes:
            self._partial = None
            transport.send_close(WSCloseCode.MESSAGE_TOO_BIG)
            transport.disconnect()
        elif frame.fin:
            data, self._partial = bytes(self._partial), None
            if not self._partial_text:
                self._keep(data)
                return
            try:
                self._keep(data.decode())
            except UnicodeDecodeError:
                transport.send_close(WSCloseCode.INVALID_TEXT)
                transport.disconnect()

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self.closed = True
        _wake(self._receiver)
        _wake(self._writable)

    def pause_writing(self) -> None:
        if self._writable is None or self._writable.done():
            self._writable = self._running_loop().create_future()

    def resume_writing(self) -> None:
        _wake(self._writable)

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop

    # --- the transport ---------------------------------------------------------------------

    async def open(self) -> None:
        """Nothing to do: the connection is open when its handler runs."""

    def _keep(self, message: str | bytes) -> None:
        self._frames.append(message)
        if len(self._frames) >= self._max_queue and not self._reading_paused:
            self._reading_paused = True
            assert self.transport is not None
            self.transport.underlying_transport.pause_reading()
        _wake(self._receiver)

    async def receive(self) -> str | bytes | None:
        """The next frame's data, or ``None`` once the socket is gone and all is read."""
        while not self._frames:
            if self.closed:
                return None
            self._receiver = self._running_loop().create_future()
            try:
                await self._receiver
            finally:
                self._receiver = None
        message = self._frames.popleft()
        if self._reading_paused and len(self._frames) < self._max_queue // 2 + 1:
            self._reading_paused = False
            if not self.closed and self.transport is not None:
                self.transport.underlying_transport.resume_reading()
        return message

    def send_nowait(self, text: str) -> bool:
        """Send ``text`` unless the write buffer is full (then ``False``, nothing sent).
        :class:`TransportClosed` once the socket is gone or closing."""
        transport = self._open_transport()
        writable = self._writable
        if writable is not None and not writable.done():
            return False
        transport.send(WSMsgType.TEXT, text)
        return True

    async def send(self, text: str) -> None:
        """Send ``text``; waits while the write buffer is full. :class:`TransportClosed`
        once the socket is gone or closing."""
        self._open_transport().send(WSMsgType.TEXT, text)
        writable = self._writable
        if writable is not None and not writable.done():
            await asyncio.shield(writable)
            if self.closed:
                raise TransportClosed("the picows connection closed while sending")

    def _open_transport(self) -> WSTransport:
        transport = self.transport
        if transport is None or self.closed or transport.is_close_frame_sent:
            raise TransportClosed("the picows connection is closed")
        return transport

    async def close(self) -> None:
        """Send a close frame and disconnect; nothing for a socket already gone."""
        transport = self.transport
        if transport is None or self.closed:
            return
        if not transport.is_close_frame_sent:
            transport.send_close(WSCloseCode.OK)
        transport.disconnect()
        await transport.wait_disconnected()

    async def _run(self, handler: Callable[[PicowsConnection], Awaitable[None]]) -> None:
        try:
            await handler(self)
        except Exception:
            logger.exception("the handler of %s failed", self.path or "a connection")
        finally:
            await self.close()


async def serve(
    handler: Callable[[PicowsConnection], Awaitable[None]],
    host: str | None,
    port: int,
    *,
    path: str = "/ws",
    max_queue: int = MAX_QUEUE,
    max_frame_bytes: int = MAX_FRAME_BYTES,
    reuse_port: bool = False,
) -> asyncio.Server:
    """A picows server that runs ``handler(connection)`` in a task of its own for each
    WebSocket opened on ``path`` (other paths: 404), and closes the connection when the
    handler returns."""

    def listener(request: WSUpgradeRequest) -> PicowsConnection | None:
        if request.path.partition(b"?")[0].decode("latin-1") != path:
            return None
        return PicowsConnection(
            handler, max_queue=max_queue, max_frame_bytes=max_frame_bytes, path=path
        )

    server: asyncio.Server = await ws_create_server(
        listener, host, port, max_frame_size=max_frame_bytes, reuse_port=reuse_port or None
    )
    return server
