"""Echo servers on loopback, one per transport, for bench_transport.py.

    python benches/echo_servers.py websockets|aiohttp|starlette bare|audiofork

Serves ``/ws`` on ``127.0.0.1`` at a free port and prints the port on the first line of
stdout. ``bare`` sends every text message back as it came: the transport's own cost.
``audiofork`` runs the echo app a voice app would be: ``AudioStream`` over that transport,
playing every inbound frame straight back (one ``playAudio`` per ``media``). Starlette runs
on uvicorn with its default WebSocket implementation, as ``uvicorn app:app`` would.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import audiofork as af

TRANSPORTS = ("websockets", "aiohttp", "starlette")
APPS = ("bare", "audiofork")
APP_RATE = 8000  # the μ-law/8 kHz stream's own rate: one frame in, one frame out


async def echo_audio(websocket: Any) -> None:
    """The voice app: ``AudioStream`` over any supported WebSocket, echoing the caller."""
    async with af.AudioStream(websocket, app_rate=APP_RATE) as stream:
        async for event in stream:
            if isinstance(event, af.Media) and event.track == "inbound":
                await stream.play(event.pcm, APP_RATE)


async def serve_websockets(sock: socket.socket, app: str) -> None:
    from websockets.asyncio.server import ServerConnection, serve

    async def bare(ws: ServerConnection) -> None:
        async for message in ws:
            await ws.send(message)

    async with serve(bare if app == "bare" else echo_audio, sock=sock) as server:
        await server.serve_forever()


async def serve_aiohttp(sock: socket.socket, app: str) -> None:
    from aiohttp import WSMsgType, web

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        if app == "bare":
            async for message in ws:
                if message.type is WSMsgType.TEXT:
                    await ws.send_str(message.data)
        else:
            await echo_audio(ws)
        return ws

    application = web.Application()
    application.router.add_get("/ws", handler)
    runner = web.AppRunner(application, access_log=None)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    await asyncio.Event().wait()


async def serve_starlette(sock: socket.socket, app: str) -> None:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.routing import WebSocketRoute
    from starlette.websockets import WebSocket, WebSocketDisconnect

    async def endpoint(ws: WebSocket) -> None:
        await ws.accept()
        if app == "bare":
            try:
                while True:
                    await ws.send_text(await ws.receive_text())
            except WebSocketDisconnect:
                return
        else:
            await echo_audio(ws)

    application = Starlette(routes=[WebSocketRoute("/ws", endpoint)])
    config = uvicorn.Config(application, log_level="warning", lifespan="off")
    await uvicorn.Server(config).serve(sockets=[sock])


SERVERS: dict[str, Callable[[socket.socket, str], Awaitable[None]]] = {
    "websockets": serve_websockets,
    "aiohttp": serve_aiohttp,
    "starlette": serve_starlette,
}


def main() -> None:
    transport, app = sys.argv[1:3]
    if transport not in TRANSPORTS or app not in APPS:
        sys.exit(f"usage: echo_servers.py {'|'.join(TRANSPORTS)} {'|'.join(APPS)}")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    print(sock.getsockname()[1], flush=True)
    asyncio.run(SERVERS[transport](sock, app))


if __name__ == "__main__":
    main()
