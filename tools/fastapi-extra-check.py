"""Run examples/fastapi_app.py in a venv holding only ``audiofork[fastapi]`` and check that
its ``/ws`` answers a stream: a ``start`` and one ``media`` frame in (plain json and base64),
a ``playAudio`` echo out. Without a WebSocket library in the extra, uvicorn answers the
upgrade with 404 and the first call drops.

Usage: python tools/fastapi-extra-check.py PATH/TO/fastapi_app.py
"""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import subprocess
import sys
import time

from websockets.asyncio.client import connect


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def echo_once(port: int) -> dict[str, object]:
    start = {
        "event": "start",
        "sequenceNumber": 0,
        "start": {
            "callId": "c",
            "streamId": "s",
            "accountId": "a",
            "tracks": ["inbound"],
            "mediaFormat": {"encoding": "audio/x-l16", "sampleRate": 16000},
        },
        "extra_headers": "{}",
    }
    payload = base64.b64encode(bytes(640)).decode()
    media = {
        "event": "media",
        "sequenceNumber": 1,
        "streamId": "s",
        "media": {"track": "inbound", "timestamp": "0", "chunk": 1, "payload": payload},
        "extra_headers": "{}",
    }
    async with connect(f"ws://127.0.0.1:{port}/ws", open_timeout=10) as ws:
        await ws.send(json.dumps(start))
        await ws.send(json.dumps(media))
        reply = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert isinstance(reply, dict)
    return reply


def main() -> int:
    app = sys.argv[1]
    port = free_port()
    server = subprocess.Popen([sys.executable, app, "--host", "127.0.0.1", "--port", str(port)])
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    print("FAIL: the FastAPI example did not start", file=sys.stderr)
                    return 1
                time.sleep(0.2)
        reply = asyncio.run(echo_once(port))
    finally:
        server.terminate()
        server.wait(10)
    if reply.get("event") != "playAudio":
        print(f"FAIL: expected a playAudio echo, got {reply}", file=sys.stderr)
        return 1
    print("ok: audiofork[fastapi] alone serves the FastAPI example's /ws (playAudio echoed)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
