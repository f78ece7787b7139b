"""Checks that import pipecat, run in pipecat's venv by ``test_in_pipecat_venv.py`` (one
subprocess per check): ``python in_venv_checks.py <check name>`` exits 0 when it holds.

The serializer against the wire, message by message: one wire message per output chunk,
replies ending in checkpoints (marks) whose answers resolve them, the clear and what was
heard, the end of the stream, hostile input refused with the ``AudioforkError`` family; and
pipecat-vobiz's serializer reading the messages our core builds for the platform, and ours
reading the messages it builds for the app.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import numpy as np
from pipecat.frames.frames import (
    BotSpeakingFrame,
    EndFrame,
    Frame,
    InputAudioRawFrame,
    InputDTMFFrame,
    InterruptionFrame,
    OutputAudioRawFrame,
)
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.runner import PipelineRunner
from pipecat.pipeline.task import PipelineTask
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.serializers.vobiz import VobizFrameSerializer

from audiofork import (
    ArgumentError,
    AudioforkError,
    ClearAudio,
    FormatError,
    MediaFormat,
    PlayAudio,
    ProtocolError,
    Stop,
    StreamStateError,
    ulaw_decode,
    ulaw_encode,
    wire,
)
from audiofork.integrations.pipecat import AudioforkPlayout, AudioforkSerializer
from audiofork.integrations.pipecat._frames import DrainFrame, ReplyEndFrame
from audiofork.integrations.pipecat._serializer import (
    Drain,
    Ended,
    Note,
    ReplyResolved,
    ReplyStarted,
)

RATE = 16000
MULAW = MediaFormat("audio/x-mulaw", 8000)


def tone(ms: int, rate: int = RATE, hz: float = 440.0) -> bytes:
    t = np.arange(rate * ms // 1000) / rate
    return (8000 * np.sin(2 * np.pi * hz * t)).astype("<i2").tobytes()


async def serializer(dialect: str, **options: Any) -> tuple[AudioforkSerializer, list[Note]]:
    """A set-up serializer for stream ``s-1`` and the notes it gives its listener."""
    made = AudioforkSerializer("s-1", "c-1", dialect=dialect, **options)
    notes: list[Note] = []
    made.listen(notes.append)
    await made.setup(SimpleNamespace(audio_in_sample_rate=RATE))
    return made, notes


async def sent_for(made: AudioforkSerializer, notes: list[Note], frame: Any) -> list[str]:
    """The messages ``frame`` makes: the one ``serialize`` returns, then one per
    ``DrainFrame`` while the serializer says more wait (as ``AudioforkPlayout`` does)."""
    first = await made.serialize(frame)
    sent = [first] if first is not None else []
    while notes and isinstance(notes[-1], Drain):
        notes.pop()
        text = await made.serialize(DrainFrame())
        assert text is not None
        sent.append(text)
    return sent


def app_message(text: str, dialect: str) -> Any:
    return wire.parse_message(text, dialect=dialect, sender="app")


async def check_each_chunk_is_one_wire_message() -> None:
    for dialect in ("vobiz", "plivo", "twilio"):
        made, notes = await serializer(dialect)
        sent = [await made.serialize(OutputAudioRawFrame(tone(40), RATE, 1)) for _ in range(25)]
        events = [app_message(text, dialect) for text in sent if text is not None]
        assert len(events) == 25 and all(type(e) is PlayAudio for e in events), sent[:2]
        assert all(e.media_format == MULAW and e.stream_id == "s-1" for e in events)
        pcm = np.concatenate([ulaw_decode(base64.b64decode(e.payload)) for e in events])
        assert len(pcm) == 8000  # a second at 8 kHz: nothing held back, nothing added
        assert notes == [ReplyStarted()], notes


async def check_inbound_media_and_keys_become_pipecat_frames() -> None:
    for dialect in ("vobiz", "twilio"):
        made, _ = await serializer(dialect)
        payload = base64.b64encode(ulaw_encode(np.frombuffer(tone(20, 8000), "<i2"))).decode()
        text = wire.media(
            "s-1", payload, sequence_number=2, chunk=1, timestamp_ms=0, dialect=dialect
        )
        frame = await made.deserialize(text)
        assert isinstance(frame, InputAudioRawFrame) and frame.sample_rate == RATE
        assert len(frame.audio) == 2 * 320  # 20 ms at 16 kHz
        key = wire.dtmf("s-1", "7", sequence_number=3, timestamp_ms=0, dialect=dialect)
        frame = await made.deserialize(key)
        assert isinstance(frame, InputDTMFFrame) and frame.button.value == "7"
        # A key pipecat has no KeypadEntry for gives no frame.
        key = wire.dtmf("s-1", "A", sequence_number=4, timestamp_ms=0, dialect=dialect)
        assert await made.deserialize(key) is None


async def check_a_reply_ends_in_a_checkpoint_its_answer_resolves() -> None:
    for dialect in ("vobiz", "twilio"):
        made, notes = await serializer(dialect)
        for _ in range(10):
            await made.serialize(OutputAudioRawFrame(tone(40), RATE, 1))
        *tail, mark = await sent_for(made, notes, ReplyEndFrame())
        # The resampler's last samples, padded to a frame, then the checkpoint.
        assert [type(app_message(t, dialect)) for t in tail] == [PlayAudio] * len(tail)
        checkpoint = app_message(mark, dialect)
        assert type(checkpoint).__name__ == "Checkpoint", mark
        assert (
            await made.deserialize(wire.played_stream(checkpoint.name, "s-1", dialect=dialect))
            is None
        )
        resolved = notes[-1]
        assert isinstance(resolved, ReplyResolved) and resolved.quiet
        heard = resolved.utterance
        assert (heard.id, heard.outcome.value, heard.duration_ms) == ("reply-1", "played", 400)
        assert heard.heard_ms == 400
        # Played to its end: an interruption now has nothing to clear.
        assert await made.serialize(InterruptionFrame()) is None


async def check_an_interruption_clears_and_reports_what_was_heard() -> None:
    for dialect, clear_event in (("vobiz", "clearAudio"), ("twilio", "clear")):
        made, notes = await serializer(dialect)
        # Nothing pending (pipecat interrupts at each user turn): nothing to clear.
        assert await made.serialize(InterruptionFrame()) is None and notes == []
        for _ in range(50):
            await made.serialize(OutputAudioRawFrame(tone(40), RATE, 1))
        text = await made.serialize(InterruptionFrame())
        assert text is not None and json.loads(text)["event"] == clear_event
        assert type(app_message(text, dialect)) is ClearAudio
        resolved = notes[-1]
        assert isinstance(resolved, ReplyResolved) and resolved.quiet
        heard = resolved.utterance
        assert (heard.outcome.value, heard.duration_ms) == ("cleared", 2000)
        assert 0 <= heard.heard_ms < 2000  # sent in an instant: little of it heard yet
        # The reply after the clear is a new one, and its end a new checkpoint.
        await made.serialize(OutputAudioRawFrame(tone(40), RATE, 1))
        assert notes[-1] == ReplyStarted()
        assert await sent_for(made, notes, ReplyEndFrame())
        assert made.session.pending_utterances == ("reply-2",)


async def check_the_end_stops_the_stream_and_hangs_up_once() -> None:
    calls: list[str] = []

    async def hang_up() -> None:
        calls.append("hang_up")

    for dialect, last in (("vobiz", "stop"), ("twilio", None)):
        calls.clear()
        made, notes = await serializer(dialect, hang_up=hang_up)
        await made.serialize(OutputAudioRawFrame(tone(40), RATE, 1))
        text = await made.serialize(EndFrame())
        assert (json.loads(text)["event"] if text else None) == last
        if text:
            assert type(app_message(text, dialect)) is Stop
        assert await made.serialize(EndFrame()) is None
        await made.cleanup()
        assert calls == ["hang_up"]
        resolved, ended = notes[-2:]
        assert isinstance(resolved, ReplyResolved) and resolved.utterance.outcome.value == "closed"
        assert ended == Ended()
        assert await made.serialize(OutputAudioRawFrame(tone(40), RATE, 1)) is None


async def check_end_frame_while_messages_are_waiting() -> None:
    """16 kHz audio on an 8 kHz stream: a reply's end is two messages (the resampler's
    padding, then the checkpoint). An ``EndFrame`` before the second is carried out still
    gives the ``stop``, and nothing waits after it."""
    for dialect in ("vobiz", "plivo"):
        made, notes = await serializer(dialect)
        for _ in range(10):
            await made.serialize(OutputAudioRawFrame(tone(40), RATE, 1))
        padding = await made.serialize(ReplyEndFrame())
        assert padding is not None and type(app_message(padding, dialect)) is PlayAudio
        assert notes[-1] == Drain()
        text = await made.serialize(EndFrame())
        assert text is not None and type(app_message(text, dialect)) is Stop, text
        assert notes[-1] == Ended()
        assert await made.serialize(DrainFrame()) is None


async def check_hang_up_runs_after_stop_and_its_error_is_logged() -> None:
    order: list[str] = []

    async def hang_up() -> None:
        order.append("hang_up")
        raise RuntimeError("the REST call failed")

    logged: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = logged.append  # type: ignore[method-assign]
    logging.getLogger("audiofork.integrations.pipecat").addHandler(handler)
    made, _ = await serializer("plivo", hang_up=hang_up)
    text = await made.serialize(EndFrame())
    assert text is not None and type(app_message(text, "plivo")) is Stop
    order.append("stop")
    await made.cleanup()  # awaits the hang-up, which logs its error instead of raising
    assert order == ["stop", "hang_up"], order
    assert any("the REST call failed" in str(r.exc_info[1]) for r in logged if r.exc_info), logged


async def check_output_after_the_platforms_stop_gives_no_message() -> None:
    for dialect in ("vobiz", "twilio"):
        made, _ = await serializer(dialect)
        await made.serialize(OutputAudioRawFrame(tone(40), RATE, 1))
        await made.deserialize(wire.stop("s-1", dialect=dialect))
        assert made.session.closed
        assert await made.serialize(OutputAudioRawFrame(tone(40), RATE, 1)) is None
        assert await made.serialize(ReplyEndFrame()) is None


async def check_a_serializer_without_its_playout_is_refused_at_setup() -> None:
    made = AudioforkSerializer("s-1")
    try:
        await made.setup(SimpleNamespace(audio_in_sample_rate=RATE))
    except StreamStateError as refused:
        assert "AudioforkPlayout" in str(refused), refused
    else:
        raise AssertionError("set up a serializer without its AudioforkPlayout")


class Recorder(FrameProcessor):
    """The end of a test pipeline: the names of the frames that reach it."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        self.names.append(type(frame).__name__)
        await self.push_frame(frame, direction)


class Output(Recorder):
    """Stands for the output transport: at ``EndFrame`` it first writes an 80 ms frame
    (two messages: the second waits for a drain), carries drains out as they come, and
    ends the stream once nothing waits."""

    def __init__(self, serializer: AudioforkSerializer) -> None:
        super().__init__()
        self.serializer = serializer
        self.sent: list[str] = []
        self.drained = asyncio.Event()

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        if isinstance(frame, DrainFrame):
            text = await self.serializer.serialize(frame)
            if text is not None:
                self.sent.append(text)
                self.drained.set()
        elif isinstance(frame, EndFrame):
            first = await self.serializer.serialize(OutputAudioRawFrame(tone(80), RATE, 1))
            assert first is not None
            self.sent.append(first)
            with contextlib.suppress(asyncio.TimeoutError):  # what was sent tells
                await asyncio.wait_for(self.drained.wait(), 30)
            text = await self.serializer.serialize(frame)
            if text is not None:
                self.sent.append(text)
        await super().process_frame(frame, direction)


async def check_the_playout_carries_drains_out_until_the_serializer_ends() -> None:
    """The output transport writes the audio before an ``EndFrame`` after the playout has
    passed it on: the playout still turns the serializer's drains into ``DrainFrame``s, and
    the ``stop`` goes out last."""
    made = AudioforkSerializer("s-1", dialect="plivo")
    playout = AudioforkPlayout(made)
    await made.setup(SimpleNamespace(audio_in_sample_rate=RATE))
    output = Output(made)
    task = PipelineTask(Pipeline([playout, output]))
    runner = asyncio.create_task(PipelineRunner(handle_sigint=False).run(task))
    while "StartFrame" not in output.names:
        await asyncio.sleep(0.01)
    await task.queue_frame(EndFrame())
    await asyncio.wait_for(runner, 60)
    kinds = [type(app_message(text, "plivo")) for text in output.sent]
    assert kinds == [PlayAudio, PlayAudio, Stop], output.sent


async def check_bot_speaking_frames_come_while_notes_come_faster_than_the_period() -> None:
    """Notes every tenth of ``speaking_period_s`` (a drain per 80 ms frame) for more than
    four periods: BotSpeakingFrame still comes each period."""
    period = 0.05
    made = AudioforkSerializer("s-1", dialect="vobiz")
    playout = AudioforkPlayout(made, speaking_period_s=period)
    await made.setup(SimpleNamespace(audio_in_sample_rate=RATE))
    recorder = Recorder()
    task = PipelineTask(Pipeline([playout, recorder]))
    runner = asyncio.create_task(PipelineRunner(handle_sigint=False).run(task))
    while "StartFrame" not in recorder.names:
        await asyncio.sleep(0.01)
    loop = asyncio.get_running_loop()
    began = loop.time()
    while loop.time() - began < 4 * period or recorder.names.count("DrainFrame") < 40:
        await made.serialize(OutputAudioRawFrame(tone(80), RATE, 1))  # two messages: a drain
        await asyncio.sleep(period / 10)
    names = list(recorder.names)
    await task.queue_frame(EndFrame())
    await asyncio.wait_for(runner, 30)
    assert names.count("BotStartedSpeakingFrame") == 1, names
    assert names.count(BotSpeakingFrame.__name__) >= 1, names


async def check_a_long_frame_goes_out_in_order_through_drains() -> None:
    """A 200 ms frame is five messages: the first returned, four through drains; the audio
    is what five 40 ms frames make, in order."""
    made, notes = await serializer("vobiz")
    sent = await sent_for(made, notes, OutputAudioRawFrame(tone(200), RATE, 1))
    assert len(sent) == 5 and notes == [ReplyStarted()], notes
    chunked, _ = await serializer("vobiz")
    audio = tone(200)
    step = len(audio) // 5
    expected = [
        await chunked.serialize(OutputAudioRawFrame(audio[i : i + step], RATE, 1))
        for i in range(0, len(audio), step)
    ]
    assert sent == expected


HOSTILE = [
    (b"\xff\xfe", "bad_utf8"),
    ("not json", "bad_json"),
    ('{"event": "media"}', "field_missing"),
    ("[" * 100_000, "too_deep"),
    ('{"event": "media", "x": "' + "a" * (2 << 20) + '"}', "too_large"),
    ('{"event": "mark", "streamSid": "s-1", "mark": {"name": "x"}}', "wrong_dialect"),
    (
        '{"event": "media", "streamId": "s-1", "sequenceNumber": 1,'
        ' "media": {"track": "inbound", "chunk": 1, "timestamp": "0", "payload": "%%%"}}',
        "bad_base64",
    ),
    ('{"event": "playAudio", "streamId": "s-1", "media": {}}', None),
]


async def check_hostile_input_raises_the_audiofork_error_family() -> None:
    made, _ = await serializer("vobiz")
    payload = base64.b64encode(bytes(160)).decode()
    good = wire.media("s-1", payload, sequence_number=9, chunk=1, timestamp_ms=0)
    for data, kind in HOSTILE:
        try:
            await made.deserialize(data)
        except AudioforkError as error:
            assert isinstance(error, ProtocolError), (data[:40], error)
            assert kind is None or error.kind == kind, (data[:40], error.kind, error)
        else:
            raise AssertionError(f"accepted {data[:40]!r}")
        # Refused input changes nothing: the next good message still reads.
        assert isinstance(await made.deserialize(good), InputAudioRawFrame)


async def check_pipecat_vobiz_reads_what_our_core_builds_for_the_platform() -> None:
    theirs = VobizFrameSerializer(
        "", params=VobizFrameSerializer.InputParams(auto_hang_up=False, sample_rate=8000)
    )
    await theirs.setup(SimpleNamespace(audio_in_sample_rate=8000))
    pcm = np.frombuffer(tone(20, 8000), "<i2")
    start = wire.start("s-9", MULAW, call_id="c-9")
    assert await theirs.deserialize(start) is None
    assert theirs._stream_id == "s-9"  # pipecat-vobiz keeps the id it read from start
    payload = base64.b64encode(ulaw_encode(pcm)).decode()
    frame = await theirs.deserialize(
        wire.media("s-9", payload, sequence_number=1, chunk=1, timestamp_ms=0)
    )
    assert isinstance(frame, InputAudioRawFrame)
    assert np.array_equal(np.frombuffer(frame.audio, "<i2"), ulaw_decode(ulaw_encode(pcm)))
    key = await theirs.deserialize(wire.dtmf("s-9", "#", sequence_number=2, timestamp_ms=0))
    assert isinstance(key, InputDTMFFrame) and key.button.value == "#"


async def check_our_core_reads_what_pipecat_vobiz_builds_for_the_app() -> None:
    theirs = VobizFrameSerializer(
        "s-9", params=VobizFrameSerializer.InputParams(auto_hang_up=False, sample_rate=8000)
    )
    await theirs.setup(SimpleNamespace(audio_in_sample_rate=8000))
    pcm = np.frombuffer(tone(40, 8000), "<i2")
    play = app_message(await theirs.serialize(OutputAudioRawFrame(pcm.tobytes(), 8000, 1)), "vobiz")
    assert type(play) is PlayAudio and play.media_format == MULAW and play.stream_id == "s-9"
    assert base64.b64decode(play.payload) == ulaw_encode(pcm)
    clear = app_message(await theirs.serialize(InterruptionFrame()), "vobiz")
    assert type(clear) is ClearAudio and clear.stream_id == "s-9"


async def check_the_package_never_imports_pipecat() -> None:
    """Where pipecat is installed, importing audiofork and its integrations package leaves
    it unimported: only audiofork.integrations.pipecat imports it (the pytest plugin is
    held to the same by an import-linter contract; this venv has no pytest)."""
    code = (
        "import sys, audiofork, audiofork.integrations, audiofork.aio, audiofork.session;"
        " sys.exit(1 if any(m.split('.')[0] == 'pipecat' for m in sys.modules) else 0)"
    )
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", code)
    assert await process.wait() == 0


async def check_bad_arguments_are_refused_naming_them() -> None:
    refusals: list[tuple[Callable[[], object], type[Exception], str]] = [
        (lambda: AudioforkSerializer("s", dialect="sip"), FormatError, "dialect"),
        (lambda: AudioforkSerializer("s", dialect=None), ArgumentError, "dialect"),
        (lambda: AudioforkSerializer(""), ArgumentError, "stream_id"),
        (lambda: AudioforkSerializer(7), TypeError, "stream_id"),  # type: ignore[arg-type]
        (lambda: AudioforkSerializer("s", 7), TypeError, "call_id"),  # type: ignore[arg-type]
        (lambda: AudioforkSerializer("s", auto_hang_up=1), TypeError, "auto_hang_up"),
        (lambda: AudioforkSerializer("s", frame_ms=0), ArgumentError, "frame_ms"),
        (lambda: AudioforkSerializer("s", sample_rate=8000.0), TypeError, "sample_rate"),
        (lambda: AudioforkSerializer("s", media_format="audio/x-mulaw"), TypeError, "media_format"),
        (lambda: AudioforkSerializer("s", hang_up="stop"), TypeError, "hang_up"),
        (lambda: AudioforkPlayout(object()), TypeError, "serializer"),
        (
            lambda: AudioforkPlayout(AudioforkSerializer("s"), speaking_period_s=0),
            ArgumentError,
            "speaking_period_s",
        ),
    ]
    for make, error, field in refusals:
        try:
            make()
        except error as refused:
            assert field in str(refused), (field, refused)
        else:
            raise AssertionError(f"accepted a bad {field}")
    made = AudioforkSerializer("s")
    try:
        await made.deserialize("{}")
    except StreamStateError as refused:
        assert "setup" in str(refused)
    else:
        raise AssertionError("read a message before setup")
    AudioforkPlayout(made)
    try:
        AudioforkPlayout(made)
    except StreamStateError as refused:
        assert "already" in str(refused)
    else:
        raise AssertionError("a serializer took two AudioforkPlayouts")
    twilio_l16 = AudioforkSerializer(
        "s", dialect="twilio", media_format=MediaFormat("audio/x-l16", 16000)
    )
    twilio_l16.listen(lambda note: None)
    try:
        await twilio_l16.setup(SimpleNamespace(audio_in_sample_rate=RATE))
    except FormatError:
        pass
    else:
        raise AssertionError("a Twilio stream took L16")


CHECKS: dict[str, Callable[[], Awaitable[None]]] = {
    name: check for name, check in dict(globals()).items() if name.startswith("check_")
}


if __name__ == "__main__":
    asyncio.run(CHECKS[sys.argv[1]]())
    print("ok", sys.argv[1])
