"""The echo bot written the way pipecat's serializers do it, by hand: FastAPI on uvicorn,
``json`` + ``base64`` + ``audioop`` for each message, soxr VHQ streams between the wire's
8 kHz and the app's 16 kHz. A reference for ``make load``, not an example to follow.

    python benches/load/apps/pipecat_style_echo.py --host 127.0.0.1 --port 8765
"""

from __future__ import annotations

import argparse
import audioop
import base64
import json

import numpy as np
import soxr
import uvicorn
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

APP_RATE = 16000
WIRE_RATE = 8000
app = FastAPI()


@app.websocket("/ws")
async def echo(websocket: WebSocket) -> None:
    await websocket.accept()
    up = soxr.ResampleStream(WIRE_RATE, APP_RATE, 1, dtype="int16", quality="VHQ")
    down = soxr.ResampleStream(APP_RATE, WIRE_RATE, 1, dtype="int16", quality="VHQ")
    stream_id = ""
    try:
        while True:
            message = json.loads(await websocket.receive_text())
            event = message.get("event")
            if event == "start":
                stream_id = message.get("streamId", "")
            elif event == "media" and message["media"].get("track", "inbound") == "inbound":
                mulaw = base64.b64decode(message["media"]["payload"])
                pcm = np.frombuffer(audioop.ulaw2lin(mulaw, 2), dtype=np.int16)
                app_audio = up.resample_chunk(pcm)  # what a pipeline would see
                wire = down.resample_chunk(app_audio)
                if len(wire):
                    payload = base64.b64encode(audioop.lin2ulaw(wire.tobytes(), 2)).decode()
                    reply = {
                        "event": "playAudio",
                        "streamId": stream_id,
                        "media": {
                            "contentType": "audio/x-mulaw",
                            "sampleRate": WIRE_RATE,
                            "payload": payload,
                        },
                    }
                    await websocket.send_text(json.dumps(reply))
            elif event == "stop":
                break
    except WebSocketDisconnect:
        pass


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    print(f"listening on ws://{args.host}:{args.port}/ws", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
