"""A bidirectional Vobiz stream app on aiohttp: ``/answer``, ``/ws`` and ``/stream-status``.

    VOBIZ_AUTH_TOKEN=... python examples/aiohttp_app.py --host 127.0.0.1 --port 8080

The same app as ``fastapi_app.py``: ``/answer`` returns the ``<Stream>`` XML, ``/ws``
echoes the caller (``*`` clears what is queued, ``#`` waits until it played), and
``/stream-status`` accepts only callbacks signed with ``VOBIZ_AUTH_TOKEN``.
"""

from __future__ import annotations

import argparse
import logging
import os

from aiohttp import web

import audiofork as af
from audiofork import vobiz

log = logging.getLogger("aiohttp_app")
RATE = 16000
NONCES = web.AppKey("nonces", vobiz.NonceCache)


async def answer(request: web.Request) -> web.Response:
    base = request.url.with_path("").with_query(None)
    ws_url = base.with_scheme("wss" if request.secure else "ws").with_path("/ws")
    stream = vobiz.StreamElement(
        str(ws_url),
        bidirectional=True,
        keep_call_alive=True,
        content_type=f"audio/x-l16;rate={RATE}",
        status_callback_url=str(base.with_path("/stream-status")),
    )
    return web.Response(text=vobiz.Response([stream]).to_xml(), content_type="application/xml")


async def ws(request: web.Request) -> web.WebSocketResponse:
    websocket = web.WebSocketResponse()
    await websocket.prepare(request)
    async with af.AudioStream(websocket, app_rate=RATE) as stream:
        async for event in stream:
            match event:
                case af.Media(pcm=pcm):
                    await stream.play(pcm, RATE)
                case af.Dtmf(digit="*"):
                    await stream.clear()
                    log.info("barge-in: the caller heard %.0f ms", stream.heard_ms())
                case af.Dtmf(digit="#"):
                    log.info("echo drained: %s", (await stream.drain()).value)
    return websocket


async def stream_status(request: web.Request) -> web.Response:
    token = os.environ.get("VOBIZ_AUTH_TOKEN", "")
    if not token:
        log.warning("refused a status callback: VOBIZ_AUTH_TOKEN is not set")
        raise web.HTTPForbidden()
    try:
        callback = await vobiz.read_aiohttp_callback(
            request, token, nonce_cache=request.app[NONCES]
        )
    except af.SignatureError as exc:
        log.warning("refused a status callback: %s", exc)
        raise web.HTTPForbidden() from exc
    except af.AudioforkError as exc:  # a callback that cannot be read (ProtocolError)
        raise web.HTTPBadRequest(text=str(exc)) from exc
    log.info("stream %s: %s", callback.stream_id, callback.event)
    return web.Response()


def make_app() -> web.Application:
    app = web.Application()
    app[NONCES] = vobiz.NonceCache()
    app.router.add_route("*", "/answer", answer)
    app.router.add_get("/ws", ws)
    app.router.add_post("/stream-status", stream_status)
    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    web.run_app(make_app(), host=args.host, port=args.port)
