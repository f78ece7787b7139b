"""Which side sends which message, written once in ``audiofork.events``: each tuple equals
its union type, together they cover every event class of the core, and each message as its
sender builds it parses into its sender's set."""

from __future__ import annotations

from typing import get_args

import audiofork as af
from audiofork import MediaFormat, _core, events, wire

ULAW8K = MediaFormat("mulaw", 8000)


def test_each_tuple_is_its_union() -> None:
    assert get_args(events.PlatformEvent) == events.PLATFORM_EVENTS
    assert get_args(events.AppCommand) == events.APP_COMMANDS
    union = {*events.PLATFORM_EVENTS, *events.APP_COMMANDS, events.UnknownEvent}
    assert set(get_args(events.Event)) == union
    assert (af.PLATFORM_EVENTS, af.APP_COMMANDS) == (events.PLATFORM_EVENTS, events.APP_COMMANDS)


def test_the_sets_cover_every_event_class_and_only_stop_goes_both_ways() -> None:
    core_events = {
        cls
        for name in _core.__all__
        if isinstance(cls := getattr(_core, name), type) and hasattr(cls, "EVENT")
    }
    assert {*events.PLATFORM_EVENTS, *events.APP_COMMANDS} == core_events
    assert set(events.PLATFORM_EVENTS) & set(events.APP_COMMANDS) == {events.Stop}


def test_messages_parse_into_their_senders_set() -> None:
    platform = [
        wire.connected(),
        wire.start("s", ULAW8K, call_id="c", sequence_number=0),
        wire.media("s", "", sequence_number=1, chunk=1, timestamp_ms=0),
        wire.played_stream("n", "s", 2),
        wire.cleared_audio("s", 3),
        wire.dtmf("s", "1", sequence_number=4, timestamp_ms=0),
        wire.stop("s"),
    ]
    app = [
        wire.play_audio("s", ULAW8K, ""),
        wire.checkpoint("s", "n"),
        wire.clear_audio("s"),
        wire.stop("s"),
        wire.send_dtmf("1#"),
    ]
    assert [type(af.parse_message(text)) for text in platform] == list(events.PLATFORM_EVENTS)
    assert [type(af.parse_message(text)) for text in app] == list(events.APP_COMMANDS)
    assert [cls.EVENT for cls in events.PLATFORM_EVENTS] == [
        "connected",
        "start",
        "media",
        "playedStream",
        "clearedAudio",
        "dtmf",
        "stop",
    ]
    assert [cls.EVENT for cls in events.APP_COMMANDS] == [
        "playAudio",
        "checkpoint",
        "clearAudio",
        "stop",
        "sendDTMF",
    ]
