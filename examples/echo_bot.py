"""Echo bot: plays the caller's audio back, with a checkpoint after each second of it.

    python examples/echo_bot.py --server websockets|aiohttp|picows [--uvloop] \\
        [--dialect vobiz|plivo|twilio] --host 127.0.0.1 --port 8765

Point a bidirectional ``<Stream>`` (Twilio: ``<Connect><Stream>``) at ``ws://HOST:PORT/ws``.
Without ``--dialect`` the platform's is detected from its first message. The same app runs on each
WebSocket library (websockets by default; picows needs ``audiofork[picows]``), optionally
on uvloop; ``--reuse-port`` lets several processes share the port (SO_REUSEPORT). Each
checkpoint's outcome (``played``, ``cleared`` or ``closed``) is logged when it resolves.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeAlias

import audiofork as af

log = logging.getLogger("echo_bot")
RATE = 16000
PATH = "/ws"


async def echo(ws: Any, dialect: af.Dialect | None = None) -> None:
    """One call: echo every inbound frame, a checkpoint after each second of audio."""
    async with af.AudioStream(ws, app_rate=RATE, dialect=dialect) as stream:
        checkpoints: set[asyncio.Task[af.CheckpointOutcome]] = set()
        since_checkpoint = 0
        async for event in stream:
            if isinstance(event, af.Media) and event.track == "inbound":
                await stream.play(event.pcm, RATE)
                since_checkpoint += len(event.pcm)
                if since_checkpoint >= RATE:
                    since_checkpoint = 0
                    task = asyncio.create_task(stream.checkpoint())
                    checkpoints.add(task)
                    task.add_done_callback(checkpoints.discard)
            elif isinstance(event, af.Start):
                dialect_name = stream.session.dialect
                log.info(
                    "stream %s started (%s, %s)", event.stream_id, event.media_format, dialect_name
                )
            elif isinstance(event, af.CheckpointResolved):
                log.info("checkpoint %s: %s", event.name, event.outcome.value)
            elif isinstance(event, af.StreamClosed):
                log.info("stream ended: %s", event.reason.value)


App: TypeAlias = Callable[[Any], Awaitable[None]]


async def serve_websockets(app: App, host: str, port: int, reuse_port: bool) -> None:
    from websockets.asyncio.server import ServerConnection, serve

    async def handler(ws: ServerConnection) -> None:
        if ws.request is None or ws.request.path.partition("?")[0] != PATH:
            await ws.close(1008, "no such path")
            return
        await app(ws)

    async with serve(handler, host, port, reuse_port=reuse_port or None) as server:
        listening(host, next(iter(server.sockets)).getsockname()[1])
        await server.serve_forever()


async def serve_aiohttp(app: App, host: str, port: int, reuse_port: bool) -> None:
    from aiohttp import web

    async def handler(request: web.Request) -> web.WebSocketResponse:
        websocket = web.WebSocketResponse()
        await websocket.prepare(request)
        await app(websocket)
        return websocket

    web_app = web.Application()
    web_app.router.add_get(PATH, handler)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_port=reuse_port or None)
    await site.start()
    listening(host, runner.addresses[0][1])
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


async def serve_picows(app: App, host: str, port: int, reuse_port: bool) -> None:
    from audiofork.adapters.picows import serve

    server = await serve(app, host, port, path=PATH, reuse_port=reuse_port)
    listening(host, server.sockets[0].getsockname()[1])
    async with server:
        await server.serve_forever()


SERVERS: dict[str, Callable[[App, str, int, bool], Awaitable[None]]] = {
    "websockets": serve_websockets,
    "aiohttp": serve_aiohttp,
    "picows": serve_picows,
}


def listening(host: str, port: int) -> None:
    print(f"listening on ws://{host}:{port}{PATH}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--server", choices=sorted(SERVERS), default="websockets")
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop")
    parser.add_argument(
        "--dialect",
        choices=[d.value for d in af.Dialect],
        help="the platform's message shapes (default: detected from its first message)",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--reuse-port", action="store_true", help="share the port (SO_REUSEPORT)")
    parser.add_argument("--quiet", action="store_true", help="log warnings only")
    args = parser.parse_args()
    level = logging.WARNING if args.quiet else logging.INFO
    logging.basicConfig(level=level, format="%(name)s: %(message)s")
    dialect = af.Dialect(args.dialect) if args.dialect else None
    app = functools.partial(echo, dialect=dialect)
    serve = SERVERS[args.server](app, args.host, args.port, args.reuse_port)
    if args.uvloop:
        import uvloop

        uvloop.run(serve)
    else:
        asyncio.run(serve)


if __name__ == "__main__":
    main()
