"""Random interleavings of platform messages and app calls on a StreamSession.

Only documented exceptions occur, every checkpoint and every utterance resolves exactly once
(and all of them by the end of the stream), an utterance's heard figure stays within its own
audio, and played <= heard <= playable <= queued holds throughout. Inputs
the session must refuse are mixed in: each refused one leaves everything observable as it
was, and a twin session that never saw it keeps answering every later input exactly as the
session does. The media held before ``start`` stays within its documented bounds.
"""

from __future__ import annotations

import base64
import json
import os
import sys
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

import audiofork as af
from audiofork import (
    CheckpointResolved,
    StreamClosed,
    StreamSession,
    StreamState,
    UtteranceResolved,
)
from audiofork.session import MAX_EARLY_MEDIA, MAX_EARLY_MEDIA_BYTES
from support.clock import ManualClock
from support.scripted_platform import (
    cleared_message,
    l16,
    media_message,
    played_message,
    start_message,
)

# The formats a start may announce: (encoding, rate, bytes per sample).
FORMATS = {"l16": ("audio/x-l16", 16000, 2), "ulaw": ("audio/x-mulaw", 8000, 1)}
REFUSED = (af.AudioforkError, TypeError)


def comparable(result: Any) -> Any:
    """A call's outcome in a form == can compare (arrays by value)."""
    if isinstance(result, list):
        return [comparable(item) for item in result]
    if isinstance(result, af.Media):
        return ("media", result.track, result.sequence_number, result.pcm.tobytes())
    return result


def snapshot(session: StreamSession) -> tuple[Any, ...]:
    """What the session shows, and what it holds, without changing anything."""
    return (
        session.state,
        session.close_reason,
        session.stream_id,
        session.playback_format,
        session.queued_ms,
        session.playable_ms,
        session.played_ms,
        session.heard_ms(),
        session.pending_checkpoints,
        session.pending_utterances,
        session.current_utterance,
        session.hold_deadline,
        session.has_data_to_send,
        session.stats,
        tuple(session._outbox.messages),
        session._outbox.held_ms,
        tuple(session._prestart.media),
    )


class SessionMachine(RuleBasedStateMachine):
    @initialize(
        known_format=st.booleans(), hold=st.booleans(), app_rate=st.sampled_from([8000, 16000])
    )
    def setup(self, known_format: bool, hold: bool, app_rate: int) -> None:
        self.clock = ManualClock()
        fmt = af.MediaFormat("audio/x-l16", 16000) if known_format else None

        def make() -> StreamSession:
            return StreamSession(
                app_rate=app_rate, playback_format=fmt, hold_after_clear=hold, clock=self.clock
            )

        self.session, self.twin = make(), make()
        self.app_rate = app_rate
        self.started_format: str | None = None
        # Names may be reused once resolved, so count issues and resolutions per name.
        self.issued: Counter[str] = Counter()
        self.resolved: Counter[str] = Counter()
        self.sent_checkpoints: list[str] = []
        # Utterance ids, likewise: issued when first queued or begun, and resolved.
        self.utterances_issued: Counter[str] = Counter()
        self.utterances_resolved: Counter[str] = Counter()
        self.sequence = 0
        self.closed_events = 0

    # --- applying inputs ---------------------------------------------------------------

    def apply(self, call: Callable[[StreamSession], Any], *, app: bool) -> Any:
        """``call`` on the session; if refused, nothing changed and the twin is spared it,
        else the twin answers it the same. Returns the result (None if refused)."""
        before = snapshot(self.session)
        try:
            result = call(self.session)
        except REFUSED as error:
            assert snapshot(self.session) == before, f"{error!r} left a trace"
            # The app's own mistakes are not protocol errors; the platform's are.
            assert isinstance(error, af.ProtocolError) != app, repr(error)
            return None
        assert comparable(call(self.twin)) == comparable(result)
        if isinstance(result, list):
            self.absorb(result)
        return result

    def absorb(self, events: list[Any]) -> None:
        for event in events:
            if isinstance(event, CheckpointResolved):
                assert self.resolved[event.name] < self.issued[event.name], f"{event} twice"
                self.resolved[event.name] += 1
            if isinstance(event, UtteranceResolved):
                uid = event.id
                assert self.utterances_resolved[uid] < self.utterances_issued[uid], event
                self.utterances_resolved[uid] += 1
                assert 0 <= event.heard_ms <= event.duration_ms, event
            if isinstance(event, StreamClosed):
                self.closed_events += 1
            if isinstance(event, af.Start):
                self.started_format = next(
                    key
                    for key, (mime, rate, _) in FORMATS.items()
                    if (mime, rate) == (event.media_format.encoding, event.media_format.sample_rate)
                )
            if isinstance(event, af.Media) and self.started_format is not None:
                self.check_decoded_length(event)

    def check_decoded_length(self, media: af.Media) -> None:
        """A frame decodes to its duration at the app rate, in the format ``start`` set."""
        _, rate, width = FORMATS[self.started_format or "l16"]
        samples = len(base64.b64decode(media.payload)) // width
        expected = samples * self.app_rate // rate
        assert abs(len(media.pcm) - expected) <= 1, (len(media.pcm), expected)

    @property
    def closed(self) -> bool:
        return self.session.state is StreamState.CLOSED

    # --- the platform ------------------------------------------------------------------

    @rule(fmt=st.sampled_from(sorted(FORMATS)))
    def start(self, fmt: str) -> None:
        encoding, rate, _ = FORMATS[fmt]
        self.apply(lambda s: s.receive(start_message(encoding, rate)), app=False)

    def media_frame(self, ms: int) -> str:
        self.sequence += 1
        _, rate, width = FORMATS[self.started_format or "l16"]
        payload = np.full(rate * ms // 1000 * width // 2, 0x1234, np.int16)
        return media_message(l16(payload), self.sequence)

    @rule(ms=st.integers(0, 60))
    def media(self, ms: int) -> None:
        frame = self.media_frame(ms)
        self.apply(lambda s: s.receive(frame), app=False)

    @precondition(lambda self: self.session.state is StreamState.AWAITING_START)
    @rule(ms=st.integers(2000, 9000))
    def large_media_before_start(self, ms: int) -> None:
        frame = self.media_frame(ms)
        self.apply(lambda s: s.receive(frame), app=False)

    @precondition(lambda self: bool(self.sent_checkpoints))
    @rule(data=st.data())
    def played(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(self.sent_checkpoints))
        self.apply(lambda s: s.receive(played_message(name)), app=False)

    @rule()
    def cleared(self) -> None:
        self.sequence += 1
        message = cleared_message(self.sequence)
        self.apply(lambda s: s.receive(message), app=False)

    @rule(
        garbage=st.sampled_from(
            [
                "{",
                "[]",
                '{"event": "media"}',
                '"x"',
                '{"event": "media", "media": {"payload": "AAEC"}}',
                json.dumps({"event": "playAudio", "streamId": "s", "media": {}}),
                json.dumps({"event": "checkpoint", "streamId": "s", "name": "a"}),
                json.dumps({"event": "clearAudio", "streamId": "s"}),
            ]
        )
    )
    def bad_message(self, garbage: str) -> None:
        state = self.session.state
        self.apply(lambda s: s.receive(garbage), app=False)
        assert self.session.state is state

    # --- the app -----------------------------------------------------------------------

    @rule(ms=st.integers(0, 700), rate=st.sampled_from([8000, 16000, 24000, 44100]))
    def play(self, ms: int, rate: int) -> None:
        pcm = np.zeros(rate * ms // 1000, np.int16)
        self.apply(lambda s: s.play(pcm, rate), app=True)

    @rule(
        bad=st.sampled_from(
            [
                (np.zeros(160, np.int16), 7),
                (np.zeros(160, np.int16), 0),
                (np.zeros(160, np.int16), "16000"),
                (b"\x00\x01\x02", 16000),
                ([1, 2, 3], 16000),
                (np.zeros(160, np.int32), 16000),
            ]
        )
    )
    def bad_play(self, bad: tuple[Any, Any]) -> None:
        pcm, rate = bad
        assert self.apply(lambda s: s.play(pcm, rate), app=True) is None

    @rule()
    def flush(self) -> None:
        self.apply(lambda s: s.flush(), app=True)

    @rule(name=st.sampled_from([None, "a", "b", "cp-2", "", "cp-\ud800", 5]))
    def checkpoint(self, name: Any) -> None:
        issued = self.apply(lambda s: s.checkpoint(name), app=True)
        if issued is not None:
            self.issued[issued] += 1

    @rule(uid=st.sampled_from(["u1", "u2", "u3", "", 5]), begin=st.booleans())
    def utterance(self, uid: Any, begin: bool) -> None:
        """Queue or begin an utterance: issued if it was not pending already."""
        new = uid not in self.session.pending_utterances
        call = StreamSession.begin_utterance if begin else StreamSession.queue_utterance
        before = self.session.pending_utterances
        self.apply(lambda s: call(s, uid), app=True)
        if new and self.session.pending_utterances != before:
            self.utterances_issued[uid] += 1

    @rule(uid=st.sampled_from(["u1", "u2", "u3", "", 5]))
    def end_utterance(self, uid: Any) -> None:
        name = self.apply(lambda s: s.end_utterance(uid), app=True)
        if name is not None:
            self.issued[name] += 1

    @rule()
    def send(self) -> None:
        for text in self.apply(lambda s: s.data_to_send(), app=True):
            message = json.loads(text)
            if message["event"] == "checkpoint":
                self.sent_checkpoints.append(message["name"])

    @rule()
    def clear(self) -> None:
        self.apply(lambda s: s.clear(), app=True)

    @rule(seconds=st.floats(0, 2))
    def tick(self, seconds: float) -> None:
        self.clock.now += seconds

    @rule(how=st.sampled_from(["stop", "close", "connection_lost", "stop_received"]))
    def end(self, how: str) -> None:
        if how == "stop_received":
            self.apply(lambda s: s.receive(json.dumps({"event": "stop"})), app=False)
        else:
            self.apply(lambda s: getattr(s, how)(), app=True)
        assert self.closed

    # --- after every step --------------------------------------------------------------

    @invariant()
    def checkpoints_resolve_exactly_once(self) -> None:
        pending = self.session.pending_checkpoints
        assert Counter(pending) == self.issued - self.resolved
        if self.closed:
            assert not pending and self.closed_events == 1
        else:
            assert self.closed_events == 0

    @invariant()
    def utterances_resolve_exactly_once(self) -> None:
        pending = self.session.pending_utterances
        assert Counter(pending) == self.utterances_issued - self.utterances_resolved
        for uid in pending:
            heard = self.session.utterance_heard_ms(uid)
            assert 0 <= heard <= self.session.utterance_duration_ms(uid)
        assert self.session.current_utterance in (None, *pending)
        if self.closed:
            assert not pending

    @invariant()
    def played_heard_queued_are_ordered(self) -> None:
        s = self.session
        assert s.played_ms <= s.heard_ms() + 1e-6
        assert s.heard_ms() <= s.playable_ms + 1e-6
        assert s.playable_ms <= s.queued_ms + 1e-6

    @invariant()
    def media_held_before_start_stays_within_its_bounds(self) -> None:
        held = self.session._prestart.media
        assert len(held) <= MAX_EARLY_MEDIA
        assert sum(sys.getsizeof(m) for m in held) == self.session._prestart.media_bytes
        assert self.session._prestart.media_bytes <= MAX_EARLY_MEDIA_BYTES

    @invariant()
    def the_twin_agrees(self) -> None:
        assert snapshot(self.session) == snapshot(self.twin)

    def teardown(self) -> None:
        """Every checkpoint accepted is resolved once the stream ends, if not before."""
        if not hasattr(self, "session"):
            return
        self.apply(lambda s: s.close(), app=True)
        assert not self.session.pending_checkpoints
        assert self.resolved == self.issued
        assert not self.session.pending_utterances
        assert self.utterances_resolved == self.utterances_issued
        assert self.closed_events == 1


# SESSION_MACHINE_EXAMPLES raises the number of runs for a longer search.
SessionMachine.TestCase.settings = settings(
    max_examples=int(os.environ.get("SESSION_MACHINE_EXAMPLES", "200")),
    stateful_step_count=40,
    deadline=None,
)
TestSessionMachine = SessionMachine.TestCase
