"""``StreamSession`` driven straight from picows callbacks: the echo of ``echo_bot.py``
without ``AudioStream``, to show what the asyncio plumbing costs. A ``make load`` reference.

    python benches/load/apps/session_echo.py [--uvloop] --host 127.0.0.1 --port 8765
"""

from __future__ import annotations

import argparse
import asyncio

from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_create_server
from picows.common import WSUpgradeRequest

import audiofork as af

RATE = 16000


class SessionEcho(WSListener):
    """Echoes each inbound frame, with a checkpoint after each second (as echo_bot.py)."""

    def __init__(self) -> None:
        self.session = af.StreamSession(app_rate=RATE)
        self.since_checkpoint = 0

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type is WSMsgType.CLOSE:
            transport.send_close(frame.get_close_code())
            transport.disconnect()
            return
        if frame.msg_type is not WSMsgType.TEXT:
            return
        session = self.session
        try:
            events = session.receive(frame.get_payload_as_utf8_text())
        except af.ProtocolError:
            return
        for event in events:
            if isinstance(event, af.Media) and event.track == "inbound":
                session.play(event.pcm, RATE)
                self.since_checkpoint += len(event.pcm)
                if self.since_checkpoint >= RATE:
                    self.since_checkpoint = 0
                    session.checkpoint()
        if session.has_data_to_send:
            for text in session.data_to_send():
                transport.send(WSMsgType.TEXT, text)

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self.session.connection_lost()


async def main(host: str, port: int, reuse_port: bool) -> None:
    def listener(request: WSUpgradeRequest) -> SessionEcho | None:
        return SessionEcho() if request.path.partition(b"?")[0] == b"/ws" else None

    server = await ws_create_server(listener, host, port, reuse_port=reuse_port or None)
    print(f"listening on ws://{host}:{server.sockets[0].getsockname()[1]}/ws", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--uvloop", action="store_true")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--reuse-port", action="store_true")
    args = parser.parse_args()
    coroutine = main(args.host, args.port, args.reuse_port)
    if args.uvloop:
        import uvloop

        uvloop.run(coroutine)
    else:
        asyncio.run(coroutine)
