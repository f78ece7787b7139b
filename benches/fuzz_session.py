"""Fuzz ``StreamSession.receive`` with mutated message sequences (hypothesis, driven by atheris).

    python benches/fuzz_session.py [CORPUS_DIR] -max_total_time=SECONDS   # coverage-guided
    python benches/fuzz_session.py --examples N                         # hypothesis alone

Each example builds a session (app rate, playback format, hold after clear, a clock the
example moves) and runs a sequence of steps: platform messages, valid or mutated (bytes
flipped, cut, inserted; values swapped for ones of the wrong type or range), some as
bytes, interleaved with the app's ``play``, ``checkpoint``, ``clear``, ``stop``, ``close``,
``connection_lost`` and ``data_to_send``, and its utterance calls (``queue_utterance``,
``begin_utterance``, ``end_utterance``, ``discard_utterance``, on a few ids so they collide).
What must hold:

- the only exceptions are the documented ones, the ``AudioforkError`` family (``receive``
  raises ``ProtocolError`` and friends; the app's calls ``StreamStateError`` when the
  state does not allow them), each with a kind of the documented set;
- a refused message leaves no trace: state, counters, queued audio and pending
  checkpoints are as before;
- after ``clear`` no checkpoint is pending, nor after ``stop``, ``close``,
  ``connection_lost`` or a ``stop`` received;
- every checkpoint resolves exactly once (the sequence ends with ``close``);
- every utterance resolves exactly once unless discarded, with ``0 <= heard_ms <=
  duration_ms``; the session's pending ones are exactly those made and not yet resolved or
  discarded, and none is pending after ``clear``, ``stop``, ``close``, ``connection_lost``
  or a ``stop`` received;
- everything ``data_to_send`` returns parses as an app message.

atheris instruments audiofork's Python modules for coverage; the Rust core underneath is
fuzzed on its own by cargo-fuzz (rust/core/fuzz).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, get_args

import atheris
import numpy as np
from hypothesis import strategies as st

from fuzz_mutations import as_property, mutated
from fuzz_runner import fuzz

with atheris.instrument_imports(include=["audiofork"]):
    import audiofork as af
    from audiofork import wire
    from audiofork.errors import ErrorKind

KINDS = set(get_args(ErrorKind))

STREAM_ID = "c4dfd815-a92a-4140-ab85-5ff28c004116"
FORMATS = [
    af.MediaFormat("audio/x-mulaw", 8000),
    af.MediaFormat("audio/x-alaw", 8000),
    af.MediaFormat("audio/x-l16", 8000),
    af.MediaFormat("audio/x-l16", 16000),
    af.MediaFormat("audio/x-l16", 24000),
]


def payload(media_format: af.MediaFormat, ms: int) -> str:
    samples = media_format.sample_rate * ms // 1000
    tone = (3000 * np.sin(np.arange(samples) * 0.3)).astype(np.int16)
    return af.encode_payload(tone, media_format.content_type)


def valid_messages(media_format: af.MediaFormat, names: list[str], sequence: int) -> list[str]:
    """What a platform sends in this stream (and a few things it should not)."""
    name = names[-1] if names else "cp-1"
    frame = payload(media_format, 20)
    return [
        wire.start(STREAM_ID, media_format, call_id="c", account_id="a"),
        wire.media(STREAM_ID, frame, sequence_number=sequence, chunk=sequence, timestamp_ms=1),
        wire.media(STREAM_ID, frame, sequence_number=1, chunk=1, timestamp_ms=0, track="outbound"),
        wire.played_stream(name, STREAM_ID, sequence),
        wire.cleared_audio(STREAM_ID, sequence),
        wire.dtmf(STREAM_ID, "5", sequence_number=sequence, timestamp_ms=1),
        wire.stop(STREAM_ID),
        '{"event":"somethingNew","streamId":"s"}',
        wire.play_audio(STREAM_ID, af.MediaFormat("audio/x-mulaw", 8000), "AAAA"),
        wire.checkpoint(STREAM_ID, name),
        wire.clear_audio(STREAM_ID),
    ]


def trace(session: af.StreamSession) -> tuple[Any, ...]:
    """What a refused message must leave as it was."""
    return (
        session.state,
        session.stats,
        session.queued_ms,
        session.pending_checkpoints,
        session.pending_utterances,
        session.has_data_to_send,
    )


class Run:
    """One example: the session, its clock, the checkpoints issued and resolved."""

    def __init__(self, data: st.DataObject) -> None:
        self.data = data
        self.now = 0.0
        playback = data.draw(st.sampled_from([None, FORMATS[0], FORMATS[4]]), "playback")
        self.session = af.StreamSession(
            app_rate=data.draw(st.sampled_from([8000, 16000, 24000]), "app_rate"),
            playback_format=playback,
            hold_after_clear=data.draw(st.booleans(), "hold_after_clear"),
            clock=lambda: self.now,
        )
        self.format = data.draw(st.sampled_from(FORMATS), "start format")
        self.issued: list[str] = []
        self.resolved: list[str] = []
        self.sequence = 1
        # Utterance ids pending by the model (an id may be used again once resolved).
        self.utterances: list[str] = []
        self.opened: str | None = None  # the id begun last (a hint for end_utterance)

    def note(self, events: list[Any]) -> None:
        for event in events:
            if isinstance(event, af.CheckpointResolved):
                assert event.name in self.issued, event
                assert event.name not in self.resolved, f"{event.name} resolved twice"
                self.resolved.append(event.name)
            elif isinstance(event, af.UtteranceResolved):
                assert event.id in self.utterances, f"{event.id} resolved twice, or never made"
                self.utterances.remove(event.id)
                assert 0 <= event.heard_ms <= event.duration_ms, event

    def no_pending(self, after: str) -> None:
        assert not self.session.pending_checkpoints, (after, self.session.pending_checkpoints)
        assert not self.session.pending_utterances, (after, self.session.pending_utterances)
        assert not self.utterances, (after, self.utterances)

    def utterance_call(self, action: str) -> None:
        """One of the session's utterance calls on an id drawn from a few."""
        session = self.session
        ids = ["u-1", "u-2", "u-3"]
        if action == "end_utterance" and self.opened:  # mostly the one begun last
            ids += [self.opened] * 6
        uid = self.data.draw(st.sampled_from(ids), "utterance")
        if action == "queue_utterance":
            session.queue_utterance(uid)
            self.utterances.append(uid)
        elif action == "begin_utterance":
            session.begin_utterance(uid)
            self.opened = uid
            if uid not in self.utterances:
                self.utterances.append(uid)
        elif action == "end_utterance":
            name = session.end_utterance(uid)
            if name is not None:
                self.issued.append(name)
        else:
            session.discard_utterance(uid)
            if uid in self.utterances and uid not in session.pending_utterances:
                self.utterances.remove(uid)

    def receive(self) -> None:
        text = self.data.draw(
            st.sampled_from(valid_messages(self.format, self.issued, self.sequence)), "message"
        )
        message = self.data.draw(mutated(text, st.booleans()), "as sent")
        self.sequence += 1
        before = trace(self.session)
        try:
            events = self.session.receive(message)
        except af.AudioforkError as error:
            assert error.kind in KINDS, error
            assert trace(self.session) == before, "a refused message changed the session"
            return
        self.note(events)
        if any(isinstance(e, af.StreamClosed) for e in events):
            self.no_pending("stop received")
        assert sorted(self.session.pending_utterances) == sorted(self.utterances), message

    def app_call(self, action: str) -> None:
        session = self.session
        try:
            if action == "play":
                ms = self.data.draw(st.integers(1, 200), "ms")
                rate = self.data.draw(st.sampled_from([8000, 16000, 24000, 44100]), "rate")
                session.play(np.zeros(rate * ms // 1000, np.int16), rate)
            elif action == "checkpoint":
                self.issued.append(session.checkpoint())
            elif action == "flush":
                session.flush()
            elif action == "clear":
                self.note(session.clear())
                self.no_pending("clear")
            elif action in ("stop", "close", "connection_lost"):
                self.note(getattr(session, action)())
                self.no_pending(action)
            elif action == "data_to_send":
                for text in session.data_to_send():
                    event = af.parse_message(text)
                    assert isinstance(event, (af.PlayAudio, af.Checkpoint, af.ClearAudio, af.Stop))
            elif action == "tick":
                self.now += self.data.draw(st.sampled_from([0.02, 0.5, 1.5]), "seconds")
            else:
                self.utterance_call(action)
        except af.StreamStateError as error:
            assert error.kind in KINDS, error
        assert sorted(session.pending_utterances) == sorted(self.utterances), action

    def finish(self) -> None:
        self.note(self.session.close())
        self.no_pending("close")
        assert sorted(self.resolved) == sorted(self.issued), (self.issued, self.resolved)


ACTIONS = ["play", "checkpoint", "flush", "clear", "stop", "close", "connection_lost"]
ACTIONS += ["data_to_send", "tick"]
ACTIONS += ["queue_utterance", "begin_utterance", "end_utterance", "discard_utterance"]


def check(data: st.DataObject) -> None:
    run = Run(data)
    for _ in range(data.draw(st.integers(1, 40), "steps")):
        if data.draw(st.integers(0, 2), "kind") > 0:  # two thirds platform messages
            run.receive()
        else:
            run.app_call(data.draw(st.sampled_from(ACTIONS), "action"))
    run.finish()


def session_receive(max_examples: int = 200) -> Callable[[], None]:
    """The property as a hypothesis test (it also has ``.hypothesis.fuzz_one_input``)."""
    return as_property(check, max_examples)


if __name__ == "__main__":
    fuzz(sys.argv, session_receive)
