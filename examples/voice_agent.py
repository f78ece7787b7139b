"""A voice agent on FastAPI: it greets, replies after each caller utterance, lets the caller
barge in, and hangs up on ``#``.

    VOBIZ_AUTH_TOKEN=... python examples/voice_agent.py --host 127.0.0.1 --port 8000

- ``/answer`` returns the ``<Stream>`` XML that points the call at ``/ws``.
- ``/ws`` says a greeting, then a reply each time the caller stops talking (detected by
  :class:`audiofork.vad.EnergyVad`). When the caller talks over a reply, ``interrupt()``
  stops it and the log says how much of it, and which words, the caller heard: what an
  LLM's context should keep of it. ``#`` ends the stream, and with it the call.
- ``/stream-status`` accepts only status callbacks signed with ``VOBIZ_AUTH_TOKEN``.

The heard figures are estimated on this process's clock: with ``audiofork emulator``, run it
at ``--speed 1`` (the default). The "TTS" is a stand-in: the bundled speech sample, with the
reply's words spread evenly over it; a real engine gives audio and word timings in the same
shape.
"""

from __future__ import annotations

import argparse
import logging
import os

import numpy as np
import numpy.typing as npt
import uvicorn
from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import Response

import audiofork as af
from audiofork import vobiz
from audiofork.samples import speech
from audiofork.vad import EnergyVad, VadEvent

log = logging.getLogger("voice_agent")
RATE = 16000
GREETING = "Hello, this is the audiofork agent. How can I help?"
REPLY = "Thanks, I heard you. Here is a long answer that you can cut short by talking over me."
app = FastAPI()
nonces = vobiz.NonceCache()
Words = list[tuple[str, float, float]]


def synthesize(text: str) -> tuple[npt.NDArray[np.int16], Words]:
    """Stand-in TTS: about 0.4 s of the bundled speech per word, and the words' timings."""
    words = text.split()
    pcm = speech(RATE)[0][: len(words) * RATE * 2 // 5]
    step_ms = len(pcm) * 1000 / RATE / len(words)
    return pcm, [(word, i * step_ms, (i + 1) * step_ms) for i, word in enumerate(words)]


def say(stream: af.AudioStream, text: str) -> af.Utterance:
    pcm, words = synthesize(text)
    return stream.say(pcm, RATE, text=text, words=words)


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
    vad = EnergyVad()
    async with af.AudioStream(websocket, app_rate=RATE, pace_ms=300) as stream:
        greeting = say(stream, GREETING)
        async for event in stream:
            match event:
                case af.Media(track="inbound", level_dbfs=level):
                    change = vad.update(level)
                    if change is VadEvent.SPEECH_STARTED and stream.speaking:
                        cut = await stream.interrupt()
                        if cut is not None:  # glue: nothing was playing
                            log.info(
                                "barge-in: the caller heard %.0f of %.0f ms: %r",
                                cut.heard_ms,
                                cut.duration_ms,
                                cut.heard_text,
                            )
                    elif change is VadEvent.SPEECH_ENDED:
                        log.info("replying as %s", say(stream, REPLY).id)
                case af.UtteranceResolved(id=greeting.id, outcome=outcome):
                    log.info("greeting %s", outcome.value)
                case af.Dtmf(digit="#"):
                    log.info("hanging up")
                    await stream.stop()
        log.info("stream ended: %s", stream.session.close_reason)


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
