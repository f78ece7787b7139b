"""The figures computed on synthetic event logs whose answers are known."""

from __future__ import annotations

from audiofork.simulate.log import Event
from audiofork.simulate.metrics import call_metrics, summarize, utterances

LOUD, QUIET = 2000.0, 10.0


def start() -> Event:
    return Event(
        0.0,
        "start",
        {
            "stream_id": "s",
            "content_type": "audio/x-mulaw;rate=8000",
            "rate": 8000,
            "tracks": ["inbound"],
        },
    )


def caller(voiced: range, frames: int) -> list[Event]:
    """Caller frames 0..frames-1, loud in ``voiced``; frame k is sent at 20(k + 1)."""
    return [
        Event(
            20.0 * (k + 1),
            "sent",
            {
                "frame": k,
                "track": "inbound",
                "rms": LOUD if k in voiced else QUIET,
                "peak": 0,
                "lost": False,
                "deliver_ms": 20.0 * (k + 1),
            },
        )
        for k in range(frames)
    ]


def heard(samples: dict[int, int], frames: int, loud: range | None = None) -> list[Event]:
    """Heard frames: ``samples[k]`` app samples in frame k (160 is a full frame)."""
    return [
        Event(
            20.0 * (k + 1),
            "heard",
            {
                "frame": k,
                "samples": samples.get(k, 0),
                "rms": LOUD if (loud is None or k in loud) and samples.get(k, 0) else 0.0,
                "peak": 0,
                "queued_ms": 0.0,
                "late_ms": 0.5,
            },
        )
        for k in range(frames)
    ]


def play(t: float, rms: float, ms: float = 20.0, queued: float = 20.0) -> Event:
    return Event(
        t,
        "play_audio",
        {
            "ms": ms,
            "content_type": "audio/x-l16;rate=8000",
            "bytes": 0,
            "rms": rms,
            "queued_ms": queued,
        },
    )


def ordered(events: list[Event]) -> list[Event]:
    return sorted(events, key=lambda e: e.t_ms)


def test_first_audio_and_response_latency() -> None:
    events = ordered([start(), *caller(range(0, 50), 150), play(100.0, 0.0), play(1250.0, LOUD)])
    m = call_metrics(events)
    assert utterances(events) == [(0.0, 1000.0)]
    assert m.first_audio_ms == 1250.0  # the silent playAudio at 100 ms is not audio
    assert m.response_ms == [250.0]
    assert m.unanswered_utterances == 0
    assert m.play_audio == 2 and m.off_frame_chunks == 0


def test_a_reply_after_the_next_utterance_started_answers_nothing() -> None:
    voiced = [*range(0, 10), *range(40, 50)]  # two utterances: 0-200 ms and 800-1000 ms
    events = ordered([start(), *caller(voiced, 60), play(900.0, LOUD)])  # type: ignore[arg-type]
    m = call_metrics(events)
    assert utterances(events) == [(0.0, 200.0), (800.0, 1000.0)]
    assert m.response_ms == []
    assert m.unanswered_utterances == 2


def test_pauses_shorter_than_the_utterance_gap_join_an_utterance() -> None:
    voiced = [*range(0, 10), *range(25, 30)]  # a 300 ms pause
    assert utterances(caller(voiced, 40)) == [(0.0, 600.0)]  # type: ignore[arg-type]


def test_barge_in_reaction_time_to_silence_and_heard() -> None:
    app = heard({k: 160 for k in range(100)}, 120, loud=range(0, 65))  # audible until 1300 ms
    events = ordered(
        [
            start(),
            *caller(range(50, 75), 120),
            *app,
            Event(1150.0, "clear", {"cleared_ms": 700.0, "checkpoints_dropped": 0}),
        ]
    )
    m = call_metrics(events)
    (barge,) = m.barge_ins
    assert barge.onset_ms == 1000.0
    assert barge.reaction_ms == 150.0
    assert barge.silence_ms == 300.0
    assert barge.heard_ms == 1300.0  # the reply as heard: from its start at 0 to 1300 ms


def test_the_interrupted_reply_starts_after_the_quiet_before_it() -> None:
    loud = [*range(0, 10), *range(30, 70)]  # an earlier reply, 400 ms of quiet, the reply
    samples = {k: 160 for k in loud}
    app = heard(samples, 100)
    m = call_metrics(ordered([start(), *caller(range(50, 60), 100), *app]))
    (barge,) = m.barge_ins
    assert barge.silence_ms == 400.0  # audible to frame 69, which ends at 1400 ms
    assert barge.heard_ms == 800.0  # frames 30..69 (600-1400 ms): not the earlier reply


def test_an_app_that_never_stops_has_no_time_to_silence() -> None:
    app = heard({k: 160 for k in range(120)}, 120)
    m = call_metrics(ordered([start(), *caller(range(50, 75), 120), *app]))
    (barge,) = m.barge_ins
    assert barge.reaction_ms is None and barge.silence_ms is None
    assert barge.heard_ms == 120 * 20.0  # the reply never stopped: all of it to the log's end


def test_caller_speech_over_silence_is_no_barge_in() -> None:
    m = call_metrics(ordered([start(), *caller(range(50, 75), 120), *heard({}, 120)]))
    assert m.barge_ins == []


def test_checkpoint_turnaround_and_unanswered() -> None:
    events = [
        start(),
        Event(100.0, "checkpoint", {"name": "a"}),
        Event(600.0, "played_stream", {"name": "a"}),
        Event(700.0, "checkpoint", {"name": "b"}),
    ]
    m = call_metrics(events)
    assert m.checkpoint_turnaround_ms == [500.0]
    assert m.checkpoints_unanswered == 1


def test_underrun_gaps_counted_only_inside_the_apps_speech() -> None:
    samples = {k: 160 for k in range(10)} | {10: 80, 13: 160, 14: 160}  # 80 + 2 x 160 missing
    samples |= {
        k: 160 for k in range(20, 22)
    }  # 5 empty frames before, but a caller utterance ends in them
    samples |= {k: 160 for k in range(200, 202)}  # 178 frames later: a pause, not an underrun
    events = ordered([start(), *caller(range(14, 16), 220), *heard(samples, 220)])
    m = call_metrics(events)
    assert m.gaps_ms == [50.0]


def test_off_frame_chunks_bad_messages_loss_and_pacing() -> None:
    events = [
        start(),
        play(10.0, LOUD, ms=95.0),
        play(20.0, LOUD, ms=40.0),
        Event(30.0, "bad", {"kind": "bad_json", "detail": "x"}),
        Event(
            40.0,
            "sent",
            {
                "frame": 1,
                "track": "inbound",
                "rms": 0.0,
                "peak": 0,
                "lost": True,
                "deliver_ms": 40.0,
            },
        ),
        *heard({}, 3),
    ]
    m = call_metrics(events)
    assert m.off_frame_chunks == 1
    assert m.bad_messages == {"bad_json": 1}
    assert (m.frames_sent, m.frames_lost) == (1, 1)
    assert m.pacing_late_ms == [0.5, 0.5, 0.5]
    assert m.run_ahead_ms == [20.0, 20.0]


def test_nothing_observed_is_none_never_zero() -> None:
    m = call_metrics([start(), *caller(range(0), 10), *heard({}, 10)])
    assert m.first_audio_ms is None
    assert m.response_ms == [] and m.barge_ins == [] and m.gaps_ms == []
    assert m.app_audio_heard is False
    empty = summarize([])
    assert (empty.n, empty.mean, empty.p50, empty.max) == (0, None, None, None)


def test_percentiles_need_enough_samples() -> None:
    few = summarize([3.0, 1.0, 2.0, 4.0])
    assert (few.p50, few.p90, few.max, few.mean) == (None, None, 4.0, 2.5)
    ten = summarize(float(v) for v in range(1, 11))
    assert (ten.p50, ten.p90, ten.p99, ten.max) == (5.0, 9.0, None, 10.0)
    hundred = summarize(float(v) for v in range(1, 101))
    assert hundred.p99 == 99.0
