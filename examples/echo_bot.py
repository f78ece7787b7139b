"""Echo bot: plays the caller's audio back, with a checkpoint after each second of it.

    python examples/echo_bot.py --host 127.0.0.1 --port 8765

Point a bidirectional ``<Stream>`` at ``ws://HOST:PORT/ws``. Each checkpoint's outcome
(``played``, ``cleared`` or ``closed``) is logged when it resolves.
"""

from __future__ import annotations

import argparse
import asyncio
import logging

from websockets.asyncio.server import ServerConnection, serve

import audiofork as af

log = logging.getLogger("echo_bot")
RATE = 16000


async def echo(ws: ServerConnection) -> None:
    if ws.request is None or ws.request.path.partition("?")[0] != "/ws":
        await ws.close(1008, "no such path")
        return
    async with af.AudioStream(ws, app_rate=RATE) as stream:
        checkpoints: set[asyncio.Task[af.CheckpointOutcome]] = set()
        since_checkpoint = 0
        async for event in stream:
            if isinstance(event, af.Start):
                log.info("stream %s started (%s)", event.stream_id, event.media_format)
            elif isinstance(event, af.Media) and event.track == "inbound":
                await stream.play(event.pcm, RATE)
                since_checkpoint += len(event.pcm)
                if since_checkpoint >= RATE:
                    since_checkpoint = 0
                    task = asyncio.create_task(stream.checkpoint())
                    checkpoints.add(task)
                    task.add_done_callback(checkpoints.discard)
            elif isinstance(event, af.CheckpointResolved):
                log.info("checkpoint %s: %s", event.name, event.outcome.value)
            elif isinstance(event, af.StreamClosed):
                log.info("stream ended: %s", event.reason.value)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    args = parser.parse_args()
    async with serve(echo, args.host, args.port) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        print(f"listening on ws://{args.host}:{port}/ws", flush=True)
        await server.serve_forever()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    asyncio.run(main())
