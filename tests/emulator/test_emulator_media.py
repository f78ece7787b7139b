"""The emulator's media parts: virtual clock, audio sources, WAV recorder (the playout
is the platform stream's: tests/platform)."""

from __future__ import annotations

import asyncio
import datetime
import pathlib
import wave

import numpy as np
import numpy.typing as npt
import pytest

from audiofork import ValidationError
from audiofork.emulator.audio import AudioSource
from audiofork.emulator.clock import ManualTime, VirtualClock
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


async def test_manual_time_moves_only_when_advanced() -> None:
    """A VirtualClock on ManualTime: sleepers wake exactly when time is advanced past their
    deadline, in deadline order, with no real waiting."""
    manual = ManualTime()
    origin = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    clock = VirtualClock(2.0, time_source=manual, wall_origin=origin)
    woke: list[tuple[str, float]] = []

    async def sleeper(name: str, t: float) -> None:
        await clock.sleep_until(t)
        woke.append((name, clock.now()))

    async with asyncio.timeout(10):
        tasks = [asyncio.ensure_future(sleeper(n, t)) for n, t in (("b", 1.0), ("a", 0.5))]
        cancelled = asyncio.ensure_future(sleeper("never", 0.8))
        await asyncio.sleep(0)
        assert manual.next_deadline == 0.25  # virtual 0.5 s at speed 2
        cancelled.cancel()
        manual.advance(0.2)
        await asyncio.sleep(0)
        assert woke == [] and clock.now() == pytest.approx(0.4)
        manual.advance(0.1)  # virtual 0.6: "a" is due, "b" is not
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert [name for name, _ in woke] == ["a"] and woke[0][1] == pytest.approx(0.6)
        manual.advance(0.4)
        await asyncio.gather(*tasks)
        assert [name for name, _ in woke] == ["a", "b"]
        assert manual.next_deadline is None
    assert clock.wall() == origin + datetime.timedelta(seconds=1.4)  # 0.7 s at speed 2
    assert clock.wall_ms(1.5) == round(origin.timestamp() * 1000) + 1500


@pytest.mark.parametrize("seconds", [-1.0, float("nan"), float("inf")])
def test_manual_time_refuses_going_back(seconds: float) -> None:
    with pytest.raises(ValueError, match="seconds"):
        ManualTime().advance(seconds)


def test_clock_refuses_a_naive_wall_origin() -> None:
    with pytest.raises(ValueError, match="wall_origin"):
        VirtualClock(wall_origin=datetime.datetime(2026, 1, 1))


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


# --- recorder ------------------------------------------------------------------------------


def ramp(n: int, start: int = 1) -> Pcm:
    return np.arange(start, start + n, dtype=np.int16)


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
