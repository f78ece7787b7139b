"""Random interleavings of receive/play/checkpoint/clear/close on a StreamSession.

Only documented exceptions occur, every checkpoint resolves exactly once (and all of them by
the end of the stream), and played <= heard <= playable <= queued holds throughout.
"""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

import audiofork as af
from audiofork import CheckpointResolved, StreamClosed, StreamSession, StreamState
from support.scripted_platform import (
    cleared_message,
    l16,
    media_message,
    played_message,
    start_message,
)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class SessionMachine(RuleBasedStateMachine):
    @initialize(
        known_format=st.booleans(), hold=st.booleans(), app_rate=st.sampled_from([8000, 16000])
    )
    def setup(self, known_format: bool, hold: bool, app_rate: int) -> None:
        self.clock = Clock()
        fmt = af.MediaFormat("audio/x-l16", 16000) if known_format else None
        self.session = StreamSession(
            app_rate=app_rate, playback_format=fmt, hold_after_clear=hold, clock=self.clock
        )
        # Names may be reused once resolved, so count issues and resolutions per name.
        self.issued: Counter[str] = Counter()
        self.resolved: Counter[str] = Counter()
        self.sent_checkpoints: list[str] = []
        self.sequence = 0
        self.closed_events = 0

    def absorb(self, events: list[object]) -> None:
        for event in events:
            if isinstance(event, CheckpointResolved):
                assert self.resolved[event.name] < self.issued[event.name], f"{event} twice"
                self.resolved[event.name] += 1
            if isinstance(event, StreamClosed):
                self.closed_events += 1

    def drain_outbox(self) -> None:
        for text in self.session.data_to_send():
            message = json.loads(text)
            if message["event"] == "checkpoint":
                self.sent_checkpoints.append(message["name"])

    @property
    def closed(self) -> bool:
        return self.session.state is StreamState.CLOSED

    @rule()
    def start(self) -> None:
        try:
            self.absorb(self.session.receive(start_message()))
        except af.ProtocolError:
            assert self.session.state is StreamState.STREAMING

    @rule(ms=st.integers(0, 60))
    def media(self, ms: int) -> None:
        self.sequence += 1
        pcm = np.full(16 * ms, 100, np.int16)
        self.absorb(self.session.receive(media_message(l16(pcm), self.sequence)))

    @rule(ms=st.integers(0, 700), rate=st.sampled_from([8000, 16000, 24000, 44100]))
    def play(self, ms: int, rate: int) -> None:
        try:
            self.session.play(np.zeros(rate * ms // 1000, np.int16), rate)
        except af.StreamStateError:
            assert self.closed or self.session.playback_format is None

    @rule(name=st.none() | st.sampled_from(["a", "b", "cp-2"]))
    def checkpoint(self, name: str | None) -> None:
        try:
            self.issued[self.session.checkpoint(name)] += 1
        except af.StreamStateError:
            assert (
                self.closed
                or self.session.playback_format is None
                or name in self.session.pending_checkpoints
            )

    @rule()
    def send(self) -> None:
        self.drain_outbox()

    @precondition(lambda self: bool(self.sent_checkpoints))
    @rule(data=st.data())
    def played(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(self.sent_checkpoints))
        self.absorb(self.session.receive(played_message(name)))

    @rule()
    def cleared(self) -> None:
        self.sequence += 1
        self.absorb(self.session.receive(cleared_message(self.sequence)))

    @rule()
    def clear(self) -> None:
        self.absorb(self.session.clear())

    @rule(garbage=st.sampled_from(["{", "[]", '{"event": "media"}', '"x"']))
    def bad_message(self, garbage: str) -> None:
        state = self.session.state
        try:
            self.absorb(self.session.receive(garbage))
        except af.ProtocolError:
            assert not self.closed
        assert self.session.state is state

    @rule(seconds=st.floats(0, 2))
    def tick(self, seconds: float) -> None:
        self.clock.now += seconds

    @rule(how=st.sampled_from(["stop", "close", "connection_lost", "stop_received"]))
    def end(self, how: str) -> None:
        if how == "stop_received":
            events = self.session.receive(json.dumps({"event": "stop"}))
        else:
            events = getattr(self.session, how)()
        self.absorb(events)
        assert self.closed

    @invariant()
    def checkpoints_resolve_exactly_once(self) -> None:
        pending = self.session.pending_checkpoints
        assert Counter(pending) == self.issued - self.resolved
        if self.closed:
            assert not pending and self.closed_events == 1
        else:
            assert self.closed_events == 0

    @invariant()
    def played_heard_queued_are_ordered(self) -> None:
        s = self.session
        assert s.played_ms <= s.heard_ms() + 1e-6
        assert s.heard_ms() <= s.playable_ms + 1e-6
        assert s.playable_ms <= s.queued_ms + 1e-6


SessionMachine.TestCase.settings = settings(max_examples=200, stateful_step_count=40, deadline=None)
TestSessionMachine = SessionMachine.TestCase
