"""Real loopback servers, one per WebSocket library, each running an app handler at ``/ws``.

Each ``serve_*`` is an async context manager yielding the ``ws://`` URL; the handler gets
the library's own connection object, exactly as an app would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any

import uvicorn
from aiohttp import web
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket
from websockets.asyncio.server import ServerConnection, serve

from audiofork.adapters import picows

Handler = Callable[[Any], Awaitable[None]]
Server = Callable[[Handler], AbstractAsyncContextManager[str]]


@asynccontextmanager
async def serve_websockets(handler: Handler) -> AsyncIterator[str]:
    async with serve(handler, "127.0.0.1", 0) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield f"ws://127.0.0.1:{port}/ws"


class DuckSocket:
    """Only ``send_text`` and ``receive_text``, over a websockets connection."""

    def __init__(self, ws: ServerConnection) -> None:
        self._ws = ws

    async def send_text(self, text: str) -> None:
        await self._ws.send(text)

    async def receive_text(self) -> str | bytes:
        return await self._ws.recv()

    async def close(self) -> None:
        await self._ws.close()


@asynccontextmanager
async def serve_generic(handler: Handler) -> AsyncIterator[str]:
    async def duck(ws: ServerConnection) -> None:
        await handler(DuckSocket(ws))

    async with serve_websockets(duck) as url:
        yield url


@asynccontextmanager
async def serve_asgi(app: Any) -> AsyncIterator[str]:
    """Any ASGI app under uvicorn; yields the base ``http://`` URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def serve_starlette(handler: Handler) -> AsyncIterator[str]:
    async def endpoint(websocket: WebSocket) -> None:
        await handler(websocket)

    app = Starlette(routes=[WebSocketRoute("/ws", endpoint)])
    async with serve_asgi(app) as base:
        yield base.replace("http://", "ws://") + "/ws"


@asynccontextmanager
async def serve_aiohttp_app(app: web.Application) -> AsyncIterator[str]:
    """An aiohttp application on loopback; yields the base ``http://`` URL."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def serve_aiohttp(handler: Handler) -> AsyncIterator[str]:
    async def endpoint(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await handler(ws)
        return ws

    app = web.Application()
    app.router.add_get("/ws", endpoint)
    async with serve_aiohttp_app(app) as base:
        yield base.replace("http://", "ws://") + "/ws"


@asynccontextmanager
async def serve_picows(handler: Handler) -> AsyncIterator[str]:
    server = await picows.serve(handler, "127.0.0.1", 0)
    async with server:
        port = server.sockets[0].getsockname()[1]
        yield f"ws://127.0.0.1:{port}/ws"


SERVERS: dict[str, Server] = {
    "websockets": serve_websockets,
    "starlette": serve_starlette,
    "aiohttp": serve_aiohttp,
    "generic": serve_generic,
    "picows": serve_picows,
}


class LoopbackApp:
    """Base of the tests' aiohttp apps: a subclass adds its handlers in ``routes``;
    ``start`` serves them on a free loopback port at ``url`` (its socket at ``ws_url``)."""

    url = ""

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    @property
    def ws_url(self) -> str:
        """The app's WebSocket URL."""
        return self.url.replace("http://", "ws://", 1) + "/ws"

    async def start(self) -> None:
        app = web.Application()
        self.routes(app)
        self._served = AsyncExitStack()
        self.url = await self._served.enter_async_context(serve_aiohttp_app(app))

    async def close(self) -> None:
        """Stop serving (open sockets are closed)."""
        await self._served.aclose()
