"""A bidirectional Vobiz stream app on FastAPI: ``/answer``, ``/ws`` and ``/stream-status``.

    VOBIZ_AUTH_TOKEN=... python examples/fastapi_app.py --host 127.0.0.1 --port 8000

- ``/answer`` returns the ``<Stream>`` XML that points the call at ``/ws``.
- ``/ws`` echoes the caller through :class:`audiofork.AudioStream`; pressing ``*`` clears
  what is still queued (barge-in), ``#`` waits until the echo finished playing.
- ``/stream-status`` accepts only status callbacks signed with ``VOBIZ_AUTH_TOKEN``.
"""

from __future__ import annotations

import argparse
import logging
import os

import uvicorn
from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import Response

import audiofork as af
from audiofork import vobiz

log = logging.getLogger("fastapi_app")
RATE = 16000
app = FastAPI()
nonces = vobiz.NonceCache()


@app.api_route("/answer", methods=["GET", "POST"])
async def answer(request: Request) -> Response:
    secure = request.url.scheme == "https"
    stream = vobiz.StreamElement(
        str(request.url_for("ws").replace(scheme="wss" if secure else "ws")),
        bidirectional=True,
        keep_call_alive=True,
        content_type=f"audio/x-l16;rate={RATE}",
        status_callback_url=str(request.url_for("stream_status")),
    )
    return Response(vobiz.Response([stream]).to_xml(), media_type="application/xml")


@app.websocket("/ws")
async def ws(websocket: WebSocket) -> None:
    async with af.AudioStream(websocket, app_rate=RATE) as stream:
        async for event in stream:
            if isinstance(event, af.Media):
                await stream.play(event.pcm, RATE)
            elif isinstance(event, af.Dtmf) and event.digit == "*":
                await stream.clear()
                log.info("barge-in: the caller heard %.0f ms", stream.heard_ms())
            elif isinstance(event, af.Dtmf) and event.digit == "#":
                log.info("echo drained: %s", (await stream.drain()).value)


@app.post("/stream-status")
async def stream_status(request: Request) -> Response:
    token = os.environ.get("VOBIZ_AUTH_TOKEN", "")
    if not token:
        log.warning("refused a status callback: VOBIZ_AUTH_TOKEN is not set")
        return Response(status_code=403)
    try:
        callback = await vobiz.read_starlette_callback(request, token, nonce_cache=nonces)
    except af.SignatureError as exc:
        log.warning("refused a status callback: %s", exc)
        return Response(status_code=403)
    except af.AudioforkError as exc:  # a callback that cannot be read (ProtocolError)
        return Response(str(exc), status_code=400)
    log.info("stream %s: %s", callback.stream_id, callback.event)
    return Response(status_code=200)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    uvicorn.run(app, host=args.host, port=args.port)
