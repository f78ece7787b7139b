"""A real pipecat echo bot: pipecat-ai's FastAPI WebSocket transport with pipecat-vobiz's
``VobizFrameSerializer``, a pipeline that plays each input audio frame back. A reference
for ``make load``, run in a virtual environment of its own (``.venv-pipecat``).

    .venv-pipecat/bin/python benches/load/apps/pipecat_echo.py --host 127.0.0.1 --port 8765
"""

from __future__ import annotations

import argparse
import logging
import warnings

import uvicorn
from fastapi import FastAPI, WebSocket
from loguru import logger
from pipecat.frames.frames import Frame, InputAudioRawFrame, OutputAudioRawFrame
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.runner import PipelineRunner
from pipecat.pipeline.task import PipelineParams, PipelineTask
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.serializers.vobiz import VobizFrameSerializer, parse_vobiz_start
from pipecat.transports.websocket.fastapi import (
    FastAPIWebsocketParams,
    FastAPIWebsocketTransport,
)

APP_RATE = 16000
app = FastAPI()


class Echo(FrameProcessor):
    """Turns each input audio frame into an output audio frame."""

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, InputAudioRawFrame):
            await self.push_frame(
                OutputAudioRawFrame(frame.audio, frame.sample_rate, frame.num_channels)
            )
        else:
            await self.push_frame(frame, direction)


@app.websocket("/ws")
async def ws(websocket: WebSocket) -> None:
    await websocket.accept()
    start = await parse_vobiz_start(websocket)
    serializer = VobizFrameSerializer(
        start["stream_id"],
        call_id=start["call_id"],
        params=VobizFrameSerializer.InputParams(auto_hang_up=False),
    )
    transport = FastAPIWebsocketTransport(
        websocket,
        FastAPIWebsocketParams(
            audio_in_enabled=True,
            audio_out_enabled=True,
            add_wav_header=False,
            serializer=serializer,
        ),
    )
    task = PipelineTask(
        Pipeline([transport.input(), Echo(), transport.output()]),
        params=PipelineParams(audio_in_sample_rate=APP_RATE, audio_out_sample_rate=APP_RATE),
    )

    @transport.event_handler("on_client_disconnected")
    async def on_client_disconnected(transport: object, client: object) -> None:
        await task.cancel()

    await PipelineRunner(handle_sigint=False).run(task)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    # PipelineTask/PipelineRunner still run on 1.x; their deprecation notes are not load.
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    logger.remove()
    logger.add(lambda message: None, level="ERROR")
    logging.basicConfig(level=logging.WARNING)
    print(f"listening on ws://{args.host}:{args.port}/ws", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
