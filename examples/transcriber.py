"""Transcriber skeleton: writes each call's inbound audio to a WAV file, in 200 ms chunks.

    python examples/transcriber.py --host 127.0.0.1 --port 8766 --out-dir calls/ \\
        [--dialect vobiz|plivo|twilio]

A one-way ``<Stream>`` (``bidirectional="false"``) at ``ws://HOST:PORT/ws``. Files are named
after the stream id. Swap the WAV
writer for a speech recogniser: ``stream.audio()`` yields 16 kHz int16 chunks, bounded and
drop-oldest if the consumer falls behind.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import re
import wave
from pathlib import Path

from websockets.asyncio.server import ServerConnection, serve

import audiofork as af

RATE = 16000


async def transcribe(
    ws: ServerConnection, out_dir: Path, dialect: af.Dialect | None = None
) -> None:
    async with af.AudioStream(ws, app_rate=RATE, dialect=dialect) as stream:
        chunks = stream.audio(chunk_ms=200)
        first = await anext(chunks, None)
        if first is None:
            return  # the call ended before any audio
        # Media is decoded only after start, so the id is known. It comes from the network:
        # keep it to safe file-name characters.
        name = re.sub(r"[^A-Za-z0-9_-]", "_", stream.session.stream_id or "stream")
        path = out_dir / f"{name}.wav"
        samples = 0
        with wave.open(str(path), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(RATE)
            chunk = first
            while chunk is not None:
                wav.writeframes(chunk.astype("<i2").tobytes())
                samples += len(chunk)
                chunk = await anext(chunks, None)
        dropped = chunks.dropped_ms
        print(f"wrote {path}: {samples * 1000 // RATE} ms, {dropped:.0f} ms dropped", flush=True)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766, help="0 picks a free port")
    parser.add_argument("--out-dir", type=Path, default=Path("calls"))
    parser.add_argument(
        "--dialect",
        choices=[d.value for d in af.Dialect],
        help="the platform's message shapes (default: detected from its first message)",
    )
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    dialect = af.Dialect(args.dialect) if args.dialect else None
    handler = functools.partial(transcribe, out_dir=args.out_dir, dialect=dialect)
    async with serve(handler, args.host, args.port) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        print(f"listening on ws://{args.host}:{port}/ws", flush=True)
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
