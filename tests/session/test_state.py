"""The session's rules: the transition table, the lifecycle moved through it, what each state
allows, and the diagram of the table in docs/session.md."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import audiofork as af
from audiofork.session._state import (
    START,
    TRANSITIONS,
    CloseReason,
    Lifecycle,
    StreamState,
    check_inbound,
    check_playback,
    diagram,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "session.md"
TRIGGERS = [START, *CloseReason]


def test_the_table_starts_once_and_closes_from_anywhere_open() -> None:
    allowed = {(state, trigger) for state, trigger in TRANSITIONS}
    assert allowed == {(StreamState.AWAITING_START, START)} | {
        (state, reason)
        for state in (StreamState.AWAITING_START, StreamState.STREAMING)
        for reason in CloseReason
    }
    assert TRANSITIONS[(StreamState.AWAITING_START, START)] is StreamState.STREAMING
    assert {TRANSITIONS[(s, r)] for s, r in allowed if r != START} == {StreamState.CLOSED}
    with pytest.raises(TypeError):
        TRANSITIONS[(StreamState.CLOSED, START)] = StreamState.STREAMING  # type: ignore[index]


@pytest.mark.parametrize("state", list(StreamState))
@pytest.mark.parametrize("trigger", TRIGGERS)
def test_a_trigger_the_table_does_not_allow_is_refused_and_changes_nothing(
    state: StreamState, trigger: str | CloseReason
) -> None:
    lifecycle = Lifecycle(state)
    if (state, trigger) in TRANSITIONS:
        assert lifecycle.check(trigger) is TRANSITIONS[(state, trigger)]
        assert lifecycle.state is state  # check alone moves nothing
        lifecycle.move(trigger)
        assert lifecycle.state is TRANSITIONS[(state, trigger)]
        reason = trigger if isinstance(trigger, CloseReason) else None
        assert lifecycle.close_reason is reason
        return
    with pytest.raises(af.ProtocolError, match=f"not allowed in state {state.value}") as caught:
        lifecycle.move(trigger)
    assert caught.value.kind == "wrong_state"
    assert (lifecycle.state, lifecycle.close_reason) == (state, None)


@pytest.mark.parametrize(
    "message",
    [
        {
            "event": "playAudio",
            "streamId": "s",
            "media": {"contentType": "audio/x-l16", "sampleRate": 8000, "payload": ""},
        },
        {"event": "checkpoint", "streamId": "s", "name": "n"},
        {"event": "clearAudio", "streamId": "s"},
    ],
)
def test_messages_only_the_app_sends_are_refused_inbound(message: dict[str, object]) -> None:
    event = af.parse_message(json.dumps(message))
    with pytest.raises(af.ProtocolError, match=f"{message['event']}.*sent by the app"):
        check_inbound(event)


@pytest.mark.parametrize(
    "message",
    [
        {"event": "playedStream", "name": "n"},
        {"event": "clearedAudio"},
        {"event": "stop"},
        {"event": "connected"},
        {"event": "transcription"},
        {"event": "dtmf", "dtmf": {"digit": "1"}},
    ],
)
def test_platform_messages_pass(message: dict[str, object]) -> None:
    event = af.parse_message(json.dumps(message))
    assert check_inbound(event) is event


def test_playback_needs_an_open_stream_and_a_known_format() -> None:
    check_playback("play", Lifecycle(), format_known=True, start=None)
    with pytest.raises(af.StreamStateError, match=r"cannot play before start.*playback_format"):
        check_playback("play", Lifecycle(), format_known=False, start=None)
    alaw = af.parse_message(
        json.dumps(
            {
                "event": "start",
                "start": {
                    "streamId": "s",
                    "mediaFormat": {"encoding": "audio/x-alaw", "sampleRate": 8000},
                },
            }
        )
    )
    assert isinstance(alaw, af.Start)
    streaming = Lifecycle(StreamState.STREAMING)
    with pytest.raises(af.StreamStateError, match=r"flush: start.mediaFormat audio/x-alaw"):
        check_playback("flush", streaming, format_known=False, start=alaw)
    closed = Lifecycle(StreamState.CLOSED, CloseReason.CONNECTION_LOST)
    with pytest.raises(af.StreamStateError, match=r"checkpoint: .*closed \(connection_lost\)"):
        check_playback("checkpoint", closed, format_known=True, start=alaw)


def test_the_diagram_draws_every_transition() -> None:
    text = diagram()
    edges = re.findall(r"^    (\w+) --> (\w+): (.+)$", text, re.MULTILINE)
    drawn = {
        (StreamState(source), trigger, StreamState(target))
        for source, target, labels in edges
        for trigger in labels.split(", ")
    }
    table = {
        (source, trigger if trigger == START else CloseReason(trigger).value, target)
        for (source, trigger), target in TRANSITIONS.items()
    }
    assert drawn == table
    assert text.startswith("stateDiagram-v2\n    [*] --> awaiting_start\n")
    assert text.endswith("    closed --> [*]\n")


def test_docs_show_the_diagram_of_the_table_as_it_is() -> None:
    """Regenerate with ``python -c 'from audiofork.session._state import diagram;
    print(diagram())'`` and paste it into the mermaid block of docs/session.md."""
    docs = DOCS.read_text(encoding="utf-8")
    assert f"```mermaid\n{diagram()}```" in docs
