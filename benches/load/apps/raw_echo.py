"""The transport floor: picows answering each ``media`` message with a ``playAudio`` that
carries the same payload, found by string search: no JSON parsing, no audio work, no
session. What a call costs before any of audiofork runs. A ``make load`` reference.

    python benches/load/apps/raw_echo.py [--uvloop] --host 127.0.0.1 --port 8765
"""

from __future__ import annotations

import argparse
import asyncio

from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_create_server
from picows.common import WSUpgradeRequest

HEAD = b'{"event":"playAudio","media":{"contentType":"audio/x-mulaw","sampleRate":8000,"payload":"'
TAIL = b'"}}'
KEY = b'"payload":"'


class RawEcho(WSListener):
    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type is WSMsgType.CLOSE:
            transport.send_close(frame.get_close_code())
            transport.disconnect()
            return
        data = frame.get_payload_as_bytes()
        if b'"event":"media"' not in data:
            return
        start = data.find(KEY) + len(KEY)
        end = data.find(b'"', start)
        transport.send(WSMsgType.TEXT, HEAD + data[start:end] + TAIL)


async def main(host: str, port: int) -> None:
    def listener(request: WSUpgradeRequest) -> RawEcho | None:
        return RawEcho() if request.path.partition(b"?")[0] == b"/ws" else None

    server = await ws_create_server(listener, host, port)
    print(f"listening on ws://{host}:{server.sockets[0].getsockname()[1]}/ws", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--uvloop", action="store_true")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    if args.uvloop:
        import uvloop

        uvloop.run(main(args.host, args.port))
    else:
        asyncio.run(main(args.host, args.port))
