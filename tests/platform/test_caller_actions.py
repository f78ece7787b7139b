"""What the caller does on a PlatformStream besides talking: keys pressed as a string (one
``dtmf`` message each, spaced in whole frames), and speech pushed over a base recording
(:class:`TalkOver`, replacing or mixed). Driven by hand, the wire read back with ``json``."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from audiofork import ArgumentError, BufferOverflowError, StreamStateError
from audiofork.platform import (
    MAX_PENDING_KEYS,
    AudioQueue,
    PlatformStream,
    TalkOver,
)

Pcm = npt.NDArray[np.int16]
T0 = 1_700_000_000_000  # the stream's first frame, in ms since the epoch


class Constant:
    """A base source: every sample ``value``."""

    def __init__(self, value: int) -> None:
        self.value = value
        self.read_samples = 0

    def read(self, n: int) -> Pcm:
        self.read_samples += n
        return np.full(n, self.value, dtype=np.int16)


def started(**options: Any) -> PlatformStream:
    fields: dict[str, Any] = {
        "media_format": "audio/x-l16;rate=8000",
        "stream_id": "s1",
        "call_id": "c1",
        "bidirectional": True,
        "clock": lambda: T0 / 1000,
    }
    fields.update(options)
    stream = PlatformStream(**fields)
    stream.start()
    stream.data_to_send()  # the start
    return stream


def keys_sent(stream: PlatformStream) -> list[tuple[str, int]]:
    """The ``dtmf`` messages sent now: (digit, frame of their timestamp)."""
    out = []
    for text in stream.data_to_send():
        message = json.loads(text)
        if message["event"] == "dtmf":
            frame = (int(message["dtmf"]["timestamp"]) - T0) // 20
            out.append((message["dtmf"]["digit"], frame))
    return out


# --- keys ----------------------------------------------------------------------------------


def test_a_string_of_keys_leaves_one_key_per_spacing_the_first_at_once() -> None:
    stream = started()
    stream.tick()
    stream.press("12#", spacing_ms=100)  # 5 frames apart
    assert keys_sent(stream) == [("1", 1)]
    assert stream.keys_pending == 2
    seen = []
    for _ in range(11):
        frame = stream.tick()
        texts = [json.loads(t) for t in stream.data_to_send()]
        events = [m["event"] for m in texts]
        if "dtmf" in events:
            assert events.index("dtmf") > events.index("media")  # after the frame's media
            seen += [(m["dtmf"]["digit"], frame.index) for m in texts if m["event"] == "dtmf"]
            stamps = [m["dtmf"]["timestamp"] for m in texts if m["event"] == "dtmf"]
            assert stamps == [str(T0 + 20 * frame.index)]
    assert seen == [("2", 6), ("#", 11)]
    assert stream.keys_pending == 0 and stream.stats.dtmf_sent == 3


def test_spacing_is_rounded_up_to_whole_frames_and_a_later_press_queues_behind() -> None:
    stream = started()
    stream.press("12", spacing_ms=30)  # two frames apart
    stream.press("3", spacing_ms=20)  # behind "2", one frame after it
    assert keys_sent(stream) == [("1", 0)]
    sent = []
    for _ in range(4):
        stream.tick()
        sent += keys_sent(stream)
    assert sent == [("2", 2), ("3", 3)]


def test_a_key_meeting_a_full_backlog_waits_and_is_never_dropped_while_streaming() -> None:
    stream = started()
    stream.press("1", spacing_ms=20)
    stream.press("2")
    for _ in range(3000):  # the app reads nothing: the backlog fills with media
        stream.tick()
    assert stream.stats.media_dropped > 0
    assert stream.keys_pending == 0  # "2" found room: a media frame had been refused
    assert [d for d, _ in keys_sent(stream)] == ["1", "2"]


def test_keys_are_checked_whole_before_any_is_queued() -> None:
    stream = started()
    for bad, error, match in [
        ("12x", ArgumentError, "'x' at position 2"),
        ("", ArgumentError, "at least one key"),
        ("1a", ArgumentError, "'a' at position 1"),
        ("\u0661", ArgumentError, "position 0"),
        (5, TypeError, "digits"),
    ]:
        with pytest.raises(error, match=match):
            stream.press(bad)  # type: ignore[arg-type]
    for spacing, error in [(19, ArgumentError), (60_001, ArgumentError), (1.5, TypeError)]:
        with pytest.raises(error, match="spacing_ms"):
            stream.press("1", spacing_ms=spacing)  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="track"):
        stream.press("1", track="both")  # type: ignore[arg-type]
    assert stream.data_to_send() == [] and stream.keys_pending == 0


def test_at_most_max_pending_keys_wait_and_a_press_past_it_queues_nothing() -> None:
    stream = started()
    with pytest.raises(BufferOverflowError, match="may wait"):
        stream.press("1" * (MAX_PENDING_KEYS + 1))
    assert stream.keys_pending == 0 and stream.data_to_send() == []
    stream.press("1" * MAX_PENDING_KEYS)  # the first leaves at once
    assert stream.keys_pending == MAX_PENDING_KEYS - 1
    with pytest.raises(BufferOverflowError, match="may wait"):
        stream.press("22")
    assert stream.keys_pending == MAX_PENDING_KEYS - 1
    stream.press("2")
    assert stream.keys_pending == MAX_PENDING_KEYS


@pytest.mark.parametrize("ending", ["stop", "close", "connection_lost"])
def test_keys_not_yet_due_when_the_stream_ends_are_dropped_and_counted(ending: str) -> None:
    stream = started()
    stream.press("123")
    getattr(stream, ending)()
    assert stream.keys_pending == 0
    assert (stream.stats.dtmf_sent, stream.stats.dtmf_dropped) == (1, 2)
    with pytest.raises(StreamStateError):
        stream.press("4")


# --- talk-over -----------------------------------------------------------------------------


def test_replace_plays_the_speech_instead_of_the_base_which_runs_on_underneath() -> None:
    base = Constant(100)
    voice = TalkOver(base, 8000)
    assert voice.push(np.full(200, 7, dtype=np.int16), 8000) == 200
    first = voice.read(160)
    second = voice.read(160)
    assert (first == 7).all()
    assert (second[:40] == 7).all() and (second[40:] == 100).all()
    assert base.read_samples == 320  # muted, not paused


def test_mix_sums_the_speech_over_the_base_saturating() -> None:
    voice = TalkOver(Constant(30_000), 8000)
    voice.push(np.full(100, 5_000, dtype=np.int16), 8000, mode="mix")
    voice.push(np.full(100, -7, dtype=np.int16), 8000, mode="mix")
    out = voice.read(300)
    assert (out[:100] == 32_767).all()  # clipped, not wrapped
    assert (out[100:200] == 29_993).all() and (out[200:] == 30_000).all()


def test_each_push_keeps_its_own_mode_in_order() -> None:
    voice = TalkOver(Constant(1000), 8000)
    voice.push(np.full(50, 1, dtype=np.int16), 8000, mode="mix")
    voice.push(np.full(50, 2, dtype=np.int16), 8000, mode="replace")
    voice.push(np.full(50, 3, dtype=np.int16), 8000, mode="mix")
    out = voice.read(200)
    assert out[:50].tolist() == [1001] * 50
    assert out[50:100].tolist() == [2] * 50
    assert out[100:150].tolist() == [1003] * 50
    assert out[150:].tolist() == [1000] * 50


def test_speech_at_another_rate_is_resampled_and_clear_drops_what_waits() -> None:
    voice = TalkOver(Constant(0), 8000, max_seconds=1.0)
    t = np.arange(16000) / 16000
    queued = voice.push((np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16), 16000)
    assert abs(queued - 8000) <= 1 and voice.queued_ms == pytest.approx(queued / 8)
    heard = voice.read(4000)
    spectrum = np.abs(np.fft.rfft(heard.astype(np.float64)))
    assert abs(int(np.argmax(spectrum)) * 8000 / 4000 - 440) <= 2
    assert voice.clear() == queued - 4000
    assert not voice.read(160).any()


def test_a_push_that_does_not_fit_queues_nothing() -> None:
    voice = TalkOver(Constant(0), 8000, max_seconds=0.01)
    with pytest.raises(BufferOverflowError):
        voice.push(np.ones(81, dtype=np.int16), 8000)
    assert voice.queued_samples == 0 and not voice.read(80).any()
    with pytest.raises(ArgumentError, match="mode"):
        voice.push(np.ones(8, dtype=np.int16), 8000, mode="over")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="read"):
        TalkOver(object(), 8000)  # type: ignore[arg-type]


def test_send_audio_pushes_into_a_talk_over_source_with_its_mode() -> None:
    voice = TalkOver(Constant(10), 8000)
    stream = started(sources={"inbound": voice})
    stream.send_audio(np.full(160, 5, dtype=np.int16), 8000, mode="mix")
    stream.send_audio(np.full(160, 5, dtype=np.int16), 8000)
    frames = [stream.tick().sent["inbound"] for _ in range(3)]
    assert [int(f[0]) for f in frames] == [15, 5, 10]
    plain = started(sources={"inbound": AudioQueue(8000)})
    assert plain.send_audio(np.ones(10, dtype=np.int16), 8000, mode="mix") == 10
    with pytest.raises(ArgumentError, match="mode"):
        plain.send_audio(np.ones(10, dtype=np.int16), 8000, mode="x")  # type: ignore[arg-type]
    own = started(sources={"inbound": Constant(1)})
    with pytest.raises(StreamStateError, match="own source"):
        own.send_audio(np.ones(10, dtype=np.int16), 8000)
