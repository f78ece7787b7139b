"""EchoCall measures what it should: driven by hand against a StreamSession echo, with the
clock in the test's hands, so every latency and gap is known exactly."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import audiofork as af
from audiofork.loadtest import EchoCall

Replies = Callable[[int, list[str]], list[tuple[int, list[str]]]]


class PayloadEcho:
    """Plays each frame's payload back untouched: a frame's echo is exactly one message."""

    def __call__(self, messages: list[str]) -> list[str]:
        out = []
        for message in messages:
            event = af.parse_message(message)
            if isinstance(event, af.Media):
                fmt = '{"event":"playAudio","media":{"contentType":"audio/x-mulaw",'
                out.append(fmt + f'"sampleRate":8000,"payload":"{event.payload}"}}}}')
        return out


class SessionEcho:
    """The echo of examples/echo_bot.py, without I/O: a StreamSession at 16 kHz."""

    def __init__(self) -> None:
        self.session = af.StreamSession(app_rate=16000)

    def __call__(self, messages: list[str]) -> list[str]:
        out: list[str] = []
        for message in messages:
            for event in self.session.receive(message):
                if isinstance(event, af.Media):
                    self.session.play(event.pcm, 16000)
            out += self.session.data_to_send()
        return out


def drive(
    call: EchoCall,
    deliver: Callable[[int, list[str]], list[tuple[float, list[str]]]],
    app: Callable[[list[str]], list[str]] | None = None,
) -> None:
    """Tick the call every 20 ms (frame k at k * 20 ms); ``deliver(k, app_messages)`` says
    when (s after the tick) each batch of the app's answer to frame k arrives."""
    app = app or SessionEcho()
    app(call.start())
    pending: list[tuple[float, list[str]]] = []
    frame = 0
    while not call.done:
        now = frame * 0.02
        for at, messages in sorted(p for p in pending if p[0] <= now):
            for message in messages:
                call.receive(message, at)
        pending = [p for p in pending if p[0] > now]
        answer = app(call.tick(now))
        pending += [(now + delay, messages) for delay, messages in deliver(frame, answer)]
        frame += 1
        assert frame < 1000


def test_a_clean_echo_loses_nothing_and_adds_exactly_its_delay() -> None:
    call = EchoCall(1.0)
    drive(call, lambda frame, answer: [(0.003, answer)])
    result = call.finish()
    assert (result.frames_sent, result.frames_echoed) == (50, 50)
    assert (result.lost, result.duplicated, result.reordered) == (0, 0, 0)
    assert result.latencies_ms == pytest.approx([3.0] * 50)
    assert result.first_audio_ms == pytest.approx(3.0)
    assert result.gaps_ms == [] and result.skipped_ms == 0 and result.refused == 0


def test_a_late_answer_is_a_gap_in_the_playout_and_a_longer_latency() -> None:
    call = EchoCall(1.0)
    # from frame 20 on, echoes come 20 ms later: the loudspeaker runs dry for one frame
    drive(call, lambda frame, answer: [(0.023 if frame >= 20 else 0.003, answer)])
    result = call.finish()
    assert (result.lost, result.duplicated, result.reordered) == (0, 0, 0)
    assert result.gaps_ms == [20.0]
    assert result.latencies_ms[:19] == pytest.approx([3.0] * 19)
    assert result.latencies_ms[21:] == pytest.approx([23.0] * 29)


def test_lost_duplicated_and_reordered_frames_are_counted() -> None:
    held: list[str] = []

    def deliver(frame: int, answer: list[str]) -> list[tuple[float, list[str]]]:
        if frame == 10:  # lost
            return []
        if frame == 20:  # sent twice
            return [(0.003, answer + answer)]
        if frame == 30:  # held back, sent after frame 31's
            held[:] = answer
            return []
        if frame == 31:
            return [(0.003, answer + held)]
        return [(0.003, answer)]

    call = EchoCall(1.0)
    drive(call, deliver, PayloadEcho())
    result = call.finish()
    assert (result.lost, result.duplicated, result.reordered) == (1, 1, 1)
    assert result.frames_echoed == 49


def test_an_app_that_never_answers_loses_every_frame_and_the_call_ends() -> None:
    call = EchoCall(0.5, tail_frames=10)
    drive(call, lambda frame, answer: [])
    result = call.finish()
    assert (result.frames_sent, result.lost) == (25, 25)
    assert result.first_audio_ms is None and result.latencies_ms == []


def test_refused_app_messages_are_counted() -> None:
    call = EchoCall(0.2)
    call.start()
    call.tick(0.0)
    call.receive("not json", 0.001)
    call.receive('{"event":"playAudio"}', 0.001)
    assert call.finish().refused == 2


def test_messages_after_the_hang_up_are_ignored() -> None:
    call, echo = EchoCall(0.2), SessionEcho()
    echo(call.start())
    late = echo(call.tick(0.0))
    assert call.hang_up()[-1].startswith('{"event":"stop"')
    assert call.receive(late[0], 0.01) == []
    assert call.finish().frames_echoed == 0
