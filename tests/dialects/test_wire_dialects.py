"""The wire layer in each dialect, from Python: Twilio's and Plivo's documented example
messages parse into the common events, our builders' text read back with plain ``json``
matches the documented shapes, and detection and the refusal of another dialect's
messages name what they saw."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

import audiofork as af
from audiofork import Dialect, MediaFormat, wire
from support import twilio_platform as twilio

ULAW = MediaFormat("audio/x-mulaw", 8000)
SID = twilio.STREAM_SID


def test_dialect_is_a_str_enum_exported_at_the_top() -> None:
    assert af.Dialect is Dialect and wire.Dialect is Dialect
    assert [d.value for d in Dialect] == ["vobiz", "plivo", "twilio"]
    assert Dialect("twilio") is Dialect.TWILIO and str(Dialect.PLIVO) == "plivo"


def test_twilio_platform_examples_parse_into_the_common_events() -> None:
    events = [
        af.parse_message(text, dialect="twilio")
        for text in (
            twilio.connected(),
            twilio.start(custom={"FirstName": "Jane", "RemoteParty": "Bob"}),
            twilio.media("AAAA", 3, 1, track="outbound"),
            twilio.mark("my label", 4),
            twilio.dtmf("1", 5),
            twilio.stop(6),
        )
    ]
    assert events[0] == af.Connected(protocol="Call", version="1.0.0")
    start = events[1]
    assert isinstance(start, af.Start)
    assert (start.stream_id, start.call_id, start.account_id, start.sequence_number) == (
        SID,
        twilio.CALL_SID,
        twilio.ACCOUNT_SID,
        1,
    )
    assert start.media_format == ULAW and start.tracks == ["inbound"]
    assert start.extra_headers == {"FirstName": "Jane", "RemoteParty": "Bob"}
    assert json.loads(start.extra_headers_raw or "") == start.extra_headers
    media = events[2]
    assert isinstance(media, af.Media)
    assert (media.sequence_number, media.chunk, media.timestamp_ms, media.track) == (
        3,
        1,
        0,
        "outbound",
    )
    assert media.stream_id == SID
    assert events[3] == af.PlayedStream(name="my label", stream_id=SID, sequence_number=4)
    assert events[4] == af.Dtmf(digit="1", stream_id=SID, track="inbound", sequence_number=5)
    assert events[5] == af.Stop(stream_id=SID, sequence_number=6)


def test_twilio_app_examples_parse_as_the_app_sends_them() -> None:
    def app(message: dict[str, Any]) -> af.Event:
        return af.parse_message(json.dumps(message), dialect="twilio", sender="app")

    assert app({"event": "media", "streamSid": SID, "media": {"payload": "AAAA"}}) == (
        af.PlayAudio(stream_id=SID, media_format=ULAW, payload="AAAA")
    )
    assert app({"event": "mark", "streamSid": SID, "mark": {"name": "my label"}}) == (
        af.Checkpoint(stream_id=SID, name="my label")
    )
    assert app({"event": "clear", "streamSid": SID}) == af.ClearAudio(stream_id=SID)


def test_twilio_builders_write_the_documented_shapes() -> None:
    t = Dialect.TWILIO
    assert json.loads(wire.connected()) == {
        "event": "connected",
        "protocol": "Call",
        "version": "1.0.0",
    }
    assert json.loads(wire.play_audio(SID, ULAW, "AAAA", dialect=t)) == {
        "event": "media",
        "streamSid": SID,
        "media": {"payload": "AAAA"},
    }
    assert json.loads(wire.checkpoint(SID, "my label", dialect=t)) == {
        "event": "mark",
        "streamSid": SID,
        "mark": {"name": "my label"},
    }
    assert json.loads(wire.clear_audio(SID, dialect=t)) == {"event": "clear", "streamSid": SID}
    assert json.loads(wire.played_stream("my label", SID, 4, dialect=t)) == json.loads(
        twilio.mark("my label", 4)
    )
    assert json.loads(wire.dtmf(SID, "1", sequence_number=5, timestamp_ms=0, dialect=t)) == (
        json.loads(twilio.dtmf("1", 5))
    )
    built = wire.media(SID, "AAAA", sequence_number=3, chunk=1, timestamp_ms=0, dialect=t)
    assert json.loads(built) == json.loads(twilio.media("AAAA", 3, 1))
    start = wire.start(
        SID,
        ULAW,
        call_id=twilio.CALL_SID,
        account_id=twilio.ACCOUNT_SID,
        sequence_number=1,
        extra_headers="FirstName=Jane",
        dialect=t,
    )
    assert json.loads(start) == json.loads(twilio.start())


def test_twilio_media_carries_mulaw_8k_only() -> None:
    with pytest.raises(af.FormatError, match="Twilio's media carries audio/x-mulaw at 8000"):
        wire.play_audio(SID, MediaFormat("audio/x-l16", 16000), "AAAA", dialect="twilio")
    with pytest.raises(af.FormatError, match="carries audio/x-mulaw at 8000 Hz only"):
        af.OutboundEncoder(MediaFormat("audio/x-l16", 8000), SID, dialect="twilio")


PLIVO_START = {
    "event": "start",
    "sequenceNumber": 1,
    "start": {
        "callId": "12345678-1234-1234-1234-123456789abc",
        "streamId": "87654321-4321-4321-4321-cba987654321",
        "accountId": "MAXXXXXXXXXXXXXXXXXX",
        "tracks": ["inbound"],
        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000},
    },
    "extra_headers": "userId=12345;sessionId=abc-xyz",
}


def test_plivo_examples() -> None:
    start = af.parse_message(json.dumps(PLIVO_START), dialect="plivo")
    assert isinstance(start, af.Start)
    assert start.sequence_number == 1 and start.account_id == "MAXXXXXXXXXXXXXXXXXX"
    assert start.extra_headers == {"userId": "12345", "sessionId": "abc-xyz"}
    assert json.loads(wire.send_dtmf("1234#")) == {"event": "sendDTMF", "dtmf": "1234#"}
    command = af.parse_message('{"event": "sendDTMF", "dtmf": "1234#"}', dialect="plivo")
    assert command == af.SendDtmf(digits="1234#")
    # Plivo writes what Vobiz writes.
    for build in (wire.checkpoint, wire.played_stream):
        assert build("s", "n", dialect="plivo") == build("s", "n")


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (twilio.connected(), Dialect.TWILIO),
        (twilio.start(), Dialect.TWILIO),
        (twilio.mark("x", 2), Dialect.TWILIO),
        (json.dumps(PLIVO_START), Dialect.VOBIZ),
        ('{"event": "playedStream", "name": "x"}', Dialect.VOBIZ),
        ('{"event": "stop"}', None),
        ('{"event": "transcription", "streamSid": "x"}', None),
    ],
)
def test_detect_dialect(text: str, shown: Dialect | None) -> None:
    assert wire.detect_dialect(text) is shown


@pytest.mark.parametrize(
    ("text", "dialect", "message"),
    [
        (
            twilio.connected(),
            "vobiz",
            'event "connected": a Twilio message, but the stream speaks Vobiz',
        ),
        (
            twilio.mark("x", 2),
            "plivo",
            'event "mark": a Twilio message, but the stream speaks Plivo',
        ),
        (
            twilio.media("AAAA", 2, 1),
            "vobiz",
            "streamSid: a Twilio message, but the stream speaks Vobiz",
        ),
        (
            json.dumps(PLIVO_START),
            "twilio",
            "start.streamId: a Vobiz/Plivo message, but the stream speaks Twilio",
        ),
        (
            '{"event": "clearedAudio"}',
            "twilio",
            'event "clearedAudio": a Vobiz/Plivo message, but the stream speaks Twilio',
        ),
    ],
)
def test_a_message_of_another_dialect_is_a_protocol_error_naming_both(
    text: str, dialect: str, message: str
) -> None:
    with pytest.raises(af.ProtocolError) as info:
        af.parse_message(text, dialect=dialect)  # type: ignore[arg-type]
    assert (str(info.value), info.value.kind) == (message, "wrong_dialect")


def test_twilio_field_errors_name_twilio_fields() -> None:
    with pytest.raises(af.ProtocolError, match=r"^mark\.name: missing$"):
        af.parse_message(json.dumps({"event": "mark", "streamSid": SID, "mark": {}}))
    with pytest.raises(af.ProtocolError, match=r"^clear\.streamSid: missing$"):
        af.parse_message('{"event": "clear"}', sender="app")
    with pytest.raises(af.FormatError, match="dialect"):
        af.parse_message("{}", dialect="telnyx")  # type: ignore[arg-type]
    with pytest.raises(af.FormatError, match="sender"):
        af.parse_message("{}", sender="both")  # type: ignore[arg-type]


def test_the_decoder_detects_and_holds_to_the_dialect() -> None:
    decoder = af.InboundDecoder(ULAW, 16000)
    assert decoder.dialect is None
    decoder.decode_message(twilio.connected())
    assert decoder.dialect == "twilio"
    (payload,) = twilio.ulaw_frames(np.full(160, 1000, np.int16))
    event = decoder.decode_message(twilio.media(payload, 2, 1))
    assert isinstance(event, af.Media) and event.pcm is not None and len(event.pcm) == 320
    with pytest.raises(af.ProtocolError, match="speaks Twilio"):
        decoder.decode_message('{"event": "playedStream", "name": "x"}')
    assert af.InboundDecoder(ULAW, dialect="plivo").dialect == "plivo"


def test_an_encoder_switches_dialect_when_addressed() -> None:
    encoder = af.OutboundEncoder(ULAW, None)
    assert encoder.push(np.zeros(320, np.int16), 8000) == []
    frames = encoder.address(SID, "twilio")
    assert encoder.dialect == "twilio"
    assert [json.loads(f)["event"] for f in frames] == ["media", "media"]
    assert set(json.loads(frames[0])) == {"event", "streamSid", "media"}
