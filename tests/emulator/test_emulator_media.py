"""The emulator's media parts: virtual clock, audio sources, playout queue, WAV recorder."""

from __future__ import annotations

import asyncio
import pathlib
import wave

import numpy as np
import numpy.typing as npt
import pytest

from audiofork import ValidationError
from audiofork.emulator.audio import AudioSource
from audiofork.emulator.clock import VirtualClock
from audiofork.emulator.playout import MAX_PENDING_CHECKPOINT_BYTES, Playout
from audiofork.emulator.recorder import WavRecorder

Pcm = npt.NDArray[np.int16]


def dominant_hz(pcm: Pcm, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(pcm.astype(np.float64) * np.hanning(len(pcm))))
    return float(np.argmax(spectrum)) * rate / len(pcm)


def write_wav(path: pathlib.Path, pcm: Pcm, rate: int, channels: int = 1) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.astype("<i2").tobytes())


# --- clock ---------------------------------------------------------------------------------


@pytest.mark.parametrize("speed", [0, -1, float("nan"), float("inf")])
def test_clock_rejects_bad_speed(speed: float) -> None:
    with pytest.raises(ValueError, match="speed"):
        VirtualClock(speed)


def test_clock_rejects_non_number() -> None:
    with pytest.raises(TypeError, match="speed"):
        VirtualClock("fast")  # type: ignore[arg-type]


async def test_clock_sleep_until_never_returns_early() -> None:
    clock = VirtualClock(50)
    async with asyncio.timeout(10):
        for k in range(1, 30):
            await clock.sleep_until(k * 0.02)
            assert clock.now() >= k * 0.02
        before = clock.now()
        await clock.sleep(0.5)
        assert clock.now() >= before + 0.5
        await clock.sleep_until(0.0)  # past deadlines return at once


async def test_clock_past_deadline_still_yields() -> None:
    """A loop that has fallen behind must not starve the other tasks."""
    clock = VirtualClock(1)
    ran: list[int] = []

    async def other() -> None:
        ran.append(1)

    async with asyncio.timeout(10):
        task = asyncio.ensure_future(other())
        await clock.sleep_until(-1.0)
        assert ran == [1]
        await task


def test_clock_wall_time_follows_virtual_time() -> None:
    clock = VirtualClock(1000)
    first_now, first_wall = clock.now(), clock.wall()
    second_now, second_wall = clock.now(), clock.wall()
    assert first_wall.tzinfo is not None
    assert second_now >= first_now and second_wall >= first_wall
    assert clock.wall_ms(1.5) - clock.wall_ms(0.0) == 1500


# --- audio sources -------------------------------------------------------------------------


@pytest.mark.parametrize("rate", [8000, 16000, 24000])
def test_speech_source_at_each_rate(rate: int) -> None:
    source = AudioSource.from_spec("speech")
    assert source.duration_s == pytest.approx(10.0, abs=0.1)
    assert source.duration_s is not None
    reader = source.open(rate)
    total = int(source.duration_s * rate)
    audio = np.concatenate([reader.read(160) for _ in range(total // 160)])
    assert audio.dtype == np.int16 and np.abs(audio).max() > 1000  # it is speech, not silence
    tail = reader.read(rate)  # past the end: exactly n samples of silence
    assert len(tail) == rate and np.count_nonzero(tail[len(tail) // 2 :]) == 0


@pytest.mark.parametrize(("spec", "hz"), [("tone", 440.0), ("tone:1000", 1000.0)])
@pytest.mark.parametrize("rate", [8000, 24000])
def test_tone_source(spec: str, hz: float, rate: int) -> None:
    source = AudioSource.from_spec(spec)
    assert source.duration_s is None
    reader = source.open(rate)
    chunks = [reader.read(n) for n in (1, 159, 4000, rate - 4160)]  # any chunking, no seams
    audio = np.concatenate(chunks)
    assert abs(dominant_hz(audio, rate) - hz) <= 1.0
    t = np.arange(rate) / rate
    assert np.abs(audio - 8192 * np.sin(2 * np.pi * hz * t)).max() <= 1


def test_silence_source() -> None:
    source = AudioSource.from_spec("silence")
    assert source.duration_s is None
    assert not source.open(16000).read(320).any()


def test_wav_source_of_any_rate_is_resampled(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "tone.wav"
    rate = 44100
    write_wav(path, np.round(8000 * np.sin(2 * np.pi * 600 * np.arange(rate) / rate)), rate)
    source = AudioSource.from_spec(str(path))
    assert source.duration_s == pytest.approx(1.0)
    reader = source.open(16000)
    audio = reader.read(16000)
    assert abs(dominant_hz(audio, 16000) - 600) <= 1.0
    middle = audio[4000:12000].astype(np.float64)
    assert 7000 < np.abs(middle).max() < 8800  # level kept


@pytest.mark.parametrize("spec", ["tone:0", "tone:-5", "tone:abc", "tone:5000", "tone:nan"])
def test_bad_tone_spec(spec: str) -> None:
    with pytest.raises(ValidationError, match="tone frequency"):
        AudioSource.from_spec(spec)


def test_bad_wav_specs(tmp_path: pathlib.Path) -> None:
    with pytest.raises(ValidationError, match=r"missing\.wav"):
        AudioSource.from_spec(str(tmp_path / "missing.wav"))
    stereo = tmp_path / "stereo.wav"
    write_wav(stereo, np.zeros(200, dtype=np.int16), 8000, channels=2)
    with pytest.raises(ValidationError, match="mono 16-bit"):
        AudioSource.from_spec(str(stereo))
    not_wav = tmp_path / "notes.txt"
    not_wav.write_text("hello")
    with pytest.raises(ValidationError, match=r"notes\.txt"):
        AudioSource.from_spec(str(not_wav))


# --- playout -------------------------------------------------------------------------------


def ramp(n: int, start: int = 1) -> Pcm:
    return np.arange(start, start + n, dtype=np.int16)


def test_playout_plays_a_frame_per_tick_then_silence() -> None:
    playout = Playout(8000, 160)
    assert playout.push(ramp(400), 8000) == 0
    first = playout.tick()  # nothing was playing before the first tick
    assert (first.audio_samples, first.chunk.any(), first.finished) == (0, False, [])
    chunks = [playout.tick() for _ in range(4)]
    assert [c.audio_samples for c in chunks] == [160, 160, 80, 0]
    played = np.concatenate([c.chunk for c in chunks])
    assert np.array_equal(played[:400], ramp(400)) and not played[400:].any()
    assert all(len(c.chunk) == 160 for c in chunks)


def test_checkpoint_is_answered_when_its_audio_has_played() -> None:
    playout = Playout(8000, 160)
    assert playout.checkpoint("idle") == "now"  # nothing queued or playing: at once
    playout.push(ramp(320), 8000)
    assert playout.checkpoint("after-320") == "pending"
    playout.push(ramp(160), 8000)
    assert [playout.tick().finished for _ in range(2)] == [[], []]
    assert playout.tick().finished == ["after-320"]  # the second frame has now finished
    assert playout.queued_samples == 0  # the third is playing
    # The last frame is still in the loudspeaker: a checkpoint now waits for it.
    assert playout.checkpoint("tail") == "pending"
    assert playout.tick().finished == ["tail"]
    assert playout.checkpoint("idle-again") == "now"


def test_clear_drops_audio_and_pending_checkpoints() -> None:
    playout = Playout(8000, 160)
    playout.push(ramp(1600), 8000)
    assert playout.checkpoint("never") == "pending"
    playout.tick()
    assert playout.clear() == (1600 - 160, 1)
    later = [playout.tick() for _ in range(3)]
    assert [t.finished for t in later] == [[], [], []]
    assert later[0].audio_samples == 160  # the frame in the loudspeaker plays out
    assert [t.audio_samples for t in later[1:]] == [0, 0]


def test_pending_checkpoints_are_bounded() -> None:
    """Checkpoint names pile up only to a fixed budget; answered or cleared ones free it."""
    playout = Playout(8000, 160)
    playout.push(ramp(320), 8000)
    name = "n" * 4000  # 4064 bytes each with the overhead: 1032 fit in 4 MiB
    fits = MAX_PENDING_CHECKPOINT_BYTES // (len(name) + 64)
    answers = [playout.checkpoint(f"{i:04d}{name[4:]}") for i in range(fits + 5)]
    assert answers == ["pending"] * fits + ["refused"] * 5
    playout.tick()  # the first frame starts playing
    assert len(playout.tick().finished) == 0
    assert len(playout.tick().finished) == fits  # all marked after the audio: answered
    playout.push(ramp(160), 8000)
    assert playout.checkpoint(name) == "pending"  # the budget is free again
    playout.clear()
    playout.push(ramp(160), 8000)
    assert [playout.checkpoint(name) for _ in range(fits)] == ["pending"] * fits


def test_playout_is_bounded_and_reports_overflow() -> None:
    playout = Playout(8000, 160, max_queue_s=0.1)  # 800 samples
    assert playout.push(ramp(500), 8000) == 0
    assert playout.push(ramp(500), 8000) == 200
    assert playout.queued_samples == 800
    assert playout.push(ramp(10), 8000) == 10


def test_playout_converts_other_rates_with_the_streaming_resampler() -> None:
    playout = Playout(8000, 160)
    tone16k = np.round(8000 * np.sin(2 * np.pi * 500 * np.arange(16000) / 16000)).astype(np.int16)
    for i in range(0, 16000, 758):  # odd chunk sizes, one continuous stream
        playout.push(tone16k[i : i + 758], 16000)
    assert abs(playout.queued_samples - 8000) <= 1
    playout.tick()
    audio = np.concatenate([playout.tick().chunk for _ in range(45)])
    assert abs(dominant_hz(audio, 8000) - 500) <= 2


# --- recorder ------------------------------------------------------------------------------


def test_wav_recorder(tmp_path: pathlib.Path) -> None:
    recorder = WavRecorder(tmp_path / "call" / "stream", 16000, ["caller", "played"])
    recorder.write("caller", ramp(320))
    recorder.write("caller", ramp(320, start=-500))
    recorder.write("played", np.zeros(640, dtype=np.int16))
    recorder.close()
    recorder.close()  # idempotent
    assert recorder.paths == {
        "caller": tmp_path / "call" / "stream" / "caller.wav",
        "played": tmp_path / "call" / "stream" / "played.wav",
    }
    with wave.open(str(recorder.paths["caller"]), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 16000)
        audio = np.frombuffer(w.readframes(w.getnframes()), "<i2")
    assert np.array_equal(audio, np.concatenate([ramp(320), ramp(320, start=-500)]))
