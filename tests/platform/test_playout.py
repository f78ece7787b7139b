"""The platform stream's parts: the audio queue (caller audio pushed live), the playout
(the caller's loudspeaker) and the ledger of what is owed to the app. Pure, no sockets."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from audiofork import BufferOverflowError
from audiofork.platform import AudioQueue
from audiofork.platform._answers import Answers
from audiofork.platform._playout import Playout

Pcm = npt.NDArray[np.int16]


def ramp(n: int, start: int = 1) -> Pcm:
    return np.arange(start, start + n, dtype=np.int16)


def dominant_hz(pcm: Pcm, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(pcm.astype(np.float64) * np.hanning(len(pcm))))
    return float(np.argmax(spectrum)) * rate / len(pcm)


# --- playout -------------------------------------------------------------------------------


def test_playout_plays_a_frame_per_tick_then_silence() -> None:
    playout = Playout(8000, 160)
    assert playout.push(ramp(400), 8000) == 400
    first = playout.tick()  # nothing was playing before the first tick
    assert (first.audio_samples, bool(first.chunk.any()), first.finished) == (0, False, [])
    chunks = [playout.tick() for _ in range(4)]
    assert [c.audio_samples for c in chunks] == [160, 160, 80, 0]
    played = np.concatenate([c.chunk for c in chunks])
    assert np.array_equal(played[:400], ramp(400)) and not played[400:].any()
    assert all(len(c.chunk) == 160 for c in chunks)


def test_checkpoint_is_due_when_its_audio_has_played() -> None:
    playout = Playout(8000, 160)
    assert playout.idle  # nothing queued or playing: a checkpoint now is answered at once
    playout.push(ramp(320), 8000)
    assert not playout.idle
    playout.mark("after-320")
    playout.push(ramp(160), 8000)
    assert [playout.tick().finished for _ in range(2)] == [[], []]
    assert playout.tick().finished == ["after-320"]  # the second frame has now finished
    assert playout.queued_samples == 0  # the third is playing
    # The last frame is still in the loudspeaker: a checkpoint now waits for it.
    assert not playout.idle
    playout.mark("tail")
    assert playout.tick().finished == ["tail"]
    assert playout.idle


def test_clear_drops_audio_and_pending_checkpoints() -> None:
    playout = Playout(8000, 160)
    playout.push(ramp(1600), 8000)
    playout.mark("never")
    playout.tick()
    assert playout.clear() == (1600 - 160, ["never"])
    later = [playout.tick() for _ in range(3)]
    assert [t.finished for t in later] == [[], [], []]
    assert later[0].audio_samples == 160  # the frame in the loudspeaker plays out
    assert [t.audio_samples for t in later[1:]] == [0, 0]


def test_clear_drops_a_checkpoint_waiting_on_the_frame_playing() -> None:
    playout = Playout(8000, 160)
    playout.push(ramp(160), 8000)
    playout.tick()
    playout.mark("on-the-speaker")
    assert playout.clear() == (0, ["on-the-speaker"])
    assert playout.tick().finished == []


def test_playout_is_bounded_and_refuses_whole_pushes() -> None:
    playout = Playout(8000, 160, max_queue_s=0.1)  # 800 samples
    assert playout.push(ramp(500), 8000) == 500
    with pytest.raises(BufferOverflowError):
        playout.push(ramp(500), 8000)
    assert playout.queued_samples == 500  # nothing of the refused push was queued
    assert playout.push(ramp(300), 8000) == 300
    with pytest.raises(BufferOverflowError):
        playout.push(ramp(1), 8000)


def test_playout_converts_other_rates_with_the_streaming_resampler() -> None:
    playout = Playout(8000, 160)
    tone16k = np.round(8000 * np.sin(2 * np.pi * 500 * np.arange(16000) / 16000)).astype(np.int16)
    for i in range(0, 16000, 758):  # odd chunk sizes, one continuous stream
        playout.push(tone16k[i : i + 758], 16000)
    assert abs(playout.queued_samples - 8000) <= 1
    playout.tick()
    audio = np.concatenate([playout.tick().chunk for _ in range(45)])
    assert abs(dominant_hz(audio, 8000) - 500) <= 2


# --- audio queue ---------------------------------------------------------------------------


def test_audio_queue_reads_frames_then_silence() -> None:
    queue = AudioQueue(8000)
    assert queue.push(ramp(200), 8000) == 200
    assert queue.push(ramp(10, 500).tobytes(), 8000) == 10  # little-endian int16 bytes
    assert queue.queued_ms == pytest.approx(210 / 8)
    first, second = queue.read(160), queue.read(160)
    assert np.array_equal(first, ramp(160))
    assert np.array_equal(second[:40], ramp(40, 161))
    assert np.array_equal(second[40:50], ramp(10, 500))
    assert not second[50:].any() and len(second) == 160
    assert queue.queued_samples == 0


def test_audio_queue_refused_push_leaves_no_trace() -> None:
    """A push at another rate that does not fit is refused before the resampler sees it:
    audio pushed after it continues the earlier audio exactly as if it never came."""
    tone = np.round(8000 * np.sin(2 * np.pi * 300 * np.arange(3200) / 16000)).astype(np.int16)
    reference = AudioQueue(8000, max_seconds=0.1)
    reference.push(tone[:800], 16000)
    reference.push(tone[800:1200], 16000)
    queue = AudioQueue(8000, max_seconds=0.1)  # 800 samples
    queue.push(tone[:800], 16000)  # 400 queued
    with pytest.raises(BufferOverflowError):
        queue.push(tone, 16000)  # 1600 more do not fit
    queue.push(tone[800:1200], 16000)
    assert np.array_equal(queue.read(800), reference.read(800))


def test_audio_queue_float_input_and_clear() -> None:
    queue = AudioQueue(16000)
    queue.push(np.full(320, 0.5, dtype=np.float32), 16000)
    assert queue.read(320)[100] == pytest.approx(16384, abs=1)
    queue.push(ramp(640), 8000)
    assert queue.clear()[0] == 1280
    assert queue.queued_samples == 0


# --- what is owed --------------------------------------------------------------------------


def test_answers_budget_covers_pending_and_owed() -> None:
    answers = Answers(max_bytes=300)
    assert answers.can_hold(100)
    answers.hold(100)  # a checkpoint waiting for its audio
    answers.owe("now", 120)  # one answered at once
    assert (answers.pending, answers.owed, answers.total_bytes) == (1, 1, 220)
    assert not answers.can_hold(81)
    assert answers.can_owe_after_clear(180)  # a clear frees the pending one first
    answers.finish(["waited"])
    assert (answers.pending, answers.owed, answers.total_bytes) == (0, 2, 220)
    assert answers.pop() == ("now", 120)
    assert answers.next_cost() == 100
    answers.owe(None, 50)  # a clearedAudio
    assert answers.drop_owed() == (1, 1)
    assert answers.total_bytes == 0
