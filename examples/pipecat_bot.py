"""A pipecat bot on a telephony media stream, with audiofork's serializer (or, to compare,
pipecat's own): pipecat's FastAPI WebSocket transport, a pipeline that greets the caller
with a tone (as a TTS reply: ``TTSStartedFrame``, audio, ``TTSStoppedFrame``), echoes the
caller's audio and stops talking when the caller presses a key (an interruption).
``--replies N`` says the greeting as N replies back to back.

    python examples/pipecat_bot.py --dialect twilio --host 127.0.0.1 --port 8765
        [--serializer audiofork|pipecat] [--greeting-ms 1500 [--replies 2]] [--no-echo]

It prints one JSON line per bot speaking frame and reply heard, with the wall-clock time
(``{"frame": "BotStoppedSpeakingFrame", "t": ...}``), so a test can compare them with the
caller's side. Needs ``audiofork[pipecat]`` (and ``pipecat-vobiz`` for
``--serializer pipecat --dialect vobiz``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import socket
import sys
import time
import warnings
from typing import Any

import numpy as np
import uvicorn
from fastapi import FastAPI, WebSocket
from loguru import logger
from pipecat.frames.frames import (
    BotSpeakingFrame,
    BotStartedSpeakingFrame,
    BotStoppedSpeakingFrame,
    Frame,
    InputAudioRawFrame,
    InputDTMFFrame,
    OutputAudioRawFrame,
    TTSAudioRawFrame,
    TTSStartedFrame,
    TTSStoppedFrame,
)
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.runner import PipelineRunner
from pipecat.pipeline.task import PipelineParams, PipelineTask
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.serializers.base_serializer import FrameSerializer
from pipecat.transports.websocket.fastapi import FastAPIWebsocketParams, FastAPIWebsocketTransport

from audiofork import Dialect, Start
from audiofork.integrations.pipecat import (
    AudioforkPlayout,
    AudioforkSerializer,
    UtteranceHeardFrame,
    read_start,
)

RATE = 16000
PATH = "/ws"


def say(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


class Bot(FrameProcessor):  # type: ignore[misc]
    """Echoes the caller's audio (unless ``echo`` is off); a key press interrupts the bot."""

    def __init__(self, echo: bool) -> None:
        super().__init__()
        self.echo = echo

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, InputAudioRawFrame):
            if self.echo:
                await self.push_frame(
                    OutputAudioRawFrame(frame.audio, frame.sample_rate, frame.num_channels)
                )
        elif isinstance(frame, InputDTMFFrame):
            say(frame="InputDTMFFrame", digit=frame.button.value, t=time.time())
            await self.broadcast_interruption()
        else:
            await self.push_frame(frame, direction)


class Report(FrameProcessor):  # type: ignore[misc]
    """Prints the bot speaking frames and replies heard that reach the end of the pipeline."""

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, (BotStartedSpeakingFrame, BotSpeakingFrame, BotStoppedSpeakingFrame)):
            say(frame=type(frame).__name__, t=time.time())
        elif isinstance(frame, UtteranceHeardFrame):
            say(
                frame="UtteranceHeardFrame",
                id=frame.utterance_id,
                outcome=frame.outcome,
                heard_ms=frame.heard_ms,
                duration_ms=frame.duration_ms,
                t=time.time(),
            )
        await self.push_frame(frame, direction)


def greeting(ms: int, replies: int) -> list[Frame]:
    """A ``ms`` tone at 660 Hz as ``replies`` TTS replies back to back, in 20 ms frames."""
    t = np.arange(RATE * ms // 1000) / RATE
    pcm = (0.3 * 32767 * np.sin(2 * np.pi * 660 * t)).astype("<i2").tobytes()
    step = RATE // 50 * 2
    audio = [TTSAudioRawFrame(pcm[i : i + step], RATE, 1) for i in range(0, len(pcm), step)]
    frames: list[Frame] = []
    for part in np.array_split(np.arange(len(audio)), replies):
        frames += [TTSStartedFrame(), *(audio[i] for i in part), TTSStoppedFrame()]
    return frames


def pipecat_serializer(start: Start, dialect: Dialect) -> FrameSerializer:
    """pipecat's own serializer for ``dialect`` (pipecat-vobiz's for Vobiz), no hang-up."""
    if dialect is Dialect.TWILIO:
        from pipecat.serializers.twilio import TwilioFrameSerializer as Twilio

        params = Twilio.InputParams(auto_hang_up=False)
        return Twilio(start.stream_id, start.call_id, params=params)
    if dialect is Dialect.PLIVO:
        from pipecat.serializers.plivo import PlivoFrameSerializer as Plivo

        return Plivo(start.stream_id, start.call_id, params=Plivo.InputParams(auto_hang_up=False))
    from pipecat.serializers.vobiz import VobizFrameSerializer as Vobiz

    fmt = start.media_format
    params = Vobiz.InputParams(
        auto_hang_up=False, encoding=fmt.encoding, vobiz_sample_rate=fmt.sample_rate
    )
    return Vobiz(start.stream_id, start.call_id, params=params)


def make_app(args: argparse.Namespace) -> FastAPI:
    app = FastAPI()

    @app.websocket(PATH)
    async def stream(websocket: WebSocket) -> None:
        await websocket.accept()
        start, dialect = await read_start(websocket, args.dialect)
        say(event="start", stream_id=start.stream_id, dialect=dialect.value, t=time.time())
        serializer: FrameSerializer
        playout: list[FrameProcessor] = []
        if args.serializer == "audiofork":
            serializer = AudioforkSerializer(
                start.stream_id, start.call_id, dialect=dialect, media_format=start.media_format
            )
            playout = [AudioforkPlayout(serializer)]
        else:
            serializer = pipecat_serializer(start, dialect)
        params = FastAPIWebsocketParams(
            audio_in_enabled=True, audio_out_enabled=True, serializer=serializer
        )
        transport = FastAPIWebsocketTransport(websocket, params)
        stages = [transport.input(), Bot(args.echo), *playout, transport.output(), Report()]
        task = PipelineTask(
            Pipeline(stages),
            params=PipelineParams(audio_in_sample_rate=RATE, audio_out_sample_rate=RATE),
        )

        @transport.event_handler("on_client_connected")
        async def on_connected(transport: object, client: object) -> None:
            if args.greeting_ms:
                await task.queue_frames(greeting(args.greeting_ms, args.replies))

        @transport.event_handler("on_client_disconnected")
        async def on_disconnected(transport: object, client: object) -> None:
            await task.cancel()

        await PipelineRunner(handle_sigint=False).run(task)
        say(event="stream ended", t=time.time())

    return app


async def serve(args: argparse.Namespace) -> None:
    sock = socket.socket()
    sock.bind((args.host, args.port))
    sock.listen()  # calls queue from now on, before uvicorn has started
    print(f"listening on ws://{args.host}:{sock.getsockname()[1]}{PATH}", flush=True)
    config = uvicorn.Config(make_app(args), log_level="warning")
    await uvicorn.Server(config).serve(sockets=[sock])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--dialect", choices=[d.value for d in Dialect], default=None)
    parser.add_argument("--serializer", choices=["audiofork", "pipecat"], default="audiofork")
    parser.add_argument("--greeting-ms", type=int, default=0, help="the greeting's length")
    parser.add_argument("--replies", type=int, default=1, help="the greeting in this many parts")
    parser.add_argument("--no-echo", dest="echo", action="store_false")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    logger.remove()
    logger.add(sys.stderr, level="ERROR")
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
