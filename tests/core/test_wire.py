"""Wire messages: the protocol reference's examples, variants, round trips and errors."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import audiofork as af
from audiofork import MediaFormat, ProtocolError, wire
from audiofork.events import (
    Checkpoint,
    ClearAudio,
    ClearedAudio,
    Dtmf,
    Media,
    PlayAudio,
    PlayedStream,
    Start,
    Stop,
    UnknownEvent,
)

CALL = "5401fd2e-6344-40df-a22c-c8ffea7a92e7"
STREAM = "c4dfd815-a92a-4140-ab85-5ff28c004116"
PAYLOAD = base64.b64encode(bytes(range(160))).decode()

# --- the examples of the protocol reference ------------------------------------------------


def test_start_nested_example() -> None:
    text = json.dumps(
        {
            "event": "start",
            "sequenceNumber": 0,
            "start": {
                "callId": CALL,
                "streamId": STREAM,
                "accountId": "500025",
                "tracks": ["inbound"],
                "mediaFormat": {"encoding": "audio/x-l16", "sampleRate": 16000},
            },
            "extra_headers": "{}",
        }
    )
    event = af.parse_message(text)
    assert event == Start(
        stream_id=STREAM,
        call_id=CALL,
        account_id="500025",
        tracks=["inbound"],
        sequence_number=0,
        media_format=MediaFormat("audio/x-l16", 16000),
        extra_headers={},
        extra_headers_raw="{}",
    )
    match event:
        case Start(stream_id=sid, media_format=MediaFormat(encoding, rate)):
            assert (sid, encoding, rate) == (STREAM, "audio/x-l16", 16000)
        case _:
            pytest.fail("pattern did not match")


def test_start_flat_example() -> None:
    text = json.dumps(
        {
            "event": "start",
            "streamId": STREAM,
            "accountId": "MA1",
            "callId": CALL,
            "from": "+15550001",
            "to": "+15550002",
            "direction": "inbound",
            "contentType": "audio/x-l16;rate=8000",
            "audioTrack": "inbound",
        }
    )
    event = af.parse_message(text)
    assert isinstance(event, Start)
    assert (event.from_, event.to, event.direction) == ("+15550001", "+15550002", "inbound")
    assert event.media_format == MediaFormat("l16", 8000)
    assert event.call_id == CALL


def test_media_example() -> None:
    text = json.dumps(
        {
            "event": "media",
            "sequenceNumber": 2,
            "streamId": STREAM,
            "media": {
                "track": "inbound",
                "timestamp": "1778597597091",
                "chunk": 2,
                "payload": PAYLOAD,
            },
            "extra_headers": "{}",
        }
    )
    event = af.parse_message(text)
    assert isinstance(event, Media)
    assert (event.sequence_number, event.stream_id, event.track) == (2, STREAM, "inbound")
    assert (event.timestamp_ms, event.chunk, event.payload) == (1778597597091, 2, PAYLOAD)
    assert event.pcm is None
    assert event.extra_headers == {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"event": "playedStream", "name": "greeting"}', PlayedStream(name="greeting")),
        (
            f'{{"event": "playedStream", "name": "g", "streamId": "{STREAM}", '
            '"sequenceNumber": 9}',
            PlayedStream(name="g", stream_id=STREAM, sequence_number=9),
        ),
        (
            '{"event": "clearedAudio", "streamId": "s", "sequenceNumber": 7}',
            ClearedAudio(stream_id="s", sequence_number=7),
        ),
        (
            '{"event": "dtmf", "sequenceNumber": 50, "streamId": "s", "dtmf": '
            '{"track": "inbound", "digit": "5", "timestamp": "1778597597091"}}',
            Dtmf(digit="5", stream_id="s", sequence_number=50, timestamp_ms=1778597597091),
        ),
        ('{"event": "stop", "streamId": "s"}', Stop(stream_id="s")),
        (
            '{"event": "playAudio", "streamId": "s", "media": {"contentType": "audio/x-l16", '
            '"sampleRate": 16000, "payload": "AAAA"}}',
            PlayAudio(stream_id="s", media_format=MediaFormat("l16", 16000), payload="AAAA"),
        ),
        (
            '{"event": "playAudio", "streamId": "s", "media": {"contentType": "audio/x-mulaw", '
            '"sampleRate": "8000", "payload": "AAAA"}}',
            PlayAudio(stream_id="s", media_format=MediaFormat("mulaw", 8000), payload="AAAA"),
        ),
        (
            '{"event": "checkpoint", "streamId": "s", "name": "greeting"}',
            Checkpoint(stream_id="s", name="greeting"),
        ),
        ('{"event": "clearAudio", "streamId": "s"}', ClearAudio(stream_id="s")),
    ],
)
def test_reference_messages(text: str, expected: object) -> None:
    assert af.parse_message(text) == expected
    assert af.parse_message(text.encode()) == expected


def test_variants() -> None:
    numeric_timestamp = af.parse_message(
        '{"event":"media","media":{"timestamp":1778597597091,"payload":"AAAA"}}'
    )
    assert isinstance(numeric_timestamp, Media)
    assert numeric_timestamp.timestamp_ms == 1778597597091
    assert numeric_timestamp.track == "inbound"
    plivo_headers = af.parse_message(
        '{"event":"media","media":{"payload":"AAAA"},"extra_headers":"a=1;b=2"}'
    )
    assert isinstance(plivo_headers, Media)
    assert plivo_headers.extra_headers == {"a": "1", "b": "2"}
    start = af.parse_message(
        '{"event":"start","start":{"streamId":"s","mediaFormat":'
        '{"encoding":"audio/x-mulaw","sampleRate":8000}},"extra_headers":"user_id=42,tier=gold"}'
    )
    assert isinstance(start, Start)
    assert start.extra_headers == {"user_id": "42", "tier": "gold"}
    assert start.extra_headers_raw == "user_id=42,tier=gold"


def test_unknown_events_are_values() -> None:
    event = af.parse_message('{"event": "transcription", "text": "hi", "final": true}')
    assert event == UnknownEvent(
        "transcription", {"event": "transcription", "text": "hi", "final": True}
    )


# --- builders and round trips --------------------------------------------------------------

ids = st.text(min_size=1, max_size=40)
names = st.text(max_size=40)
counts = st.integers(0, 2**53)


@given(
    ids, st.binary(max_size=2000), counts, counts, counts, st.sampled_from(["inbound", "outbound"])
)
def test_media_round_trip(
    stream_id: str, raw: bytes, seq: int, chunk: int, ts: int, track: str
) -> None:
    payload = base64.b64encode(raw).decode()
    text = wire.media(
        stream_id, payload, sequence_number=seq, chunk=chunk, timestamp_ms=ts, track=track
    )
    json.loads(text)  # valid JSON
    event = af.parse_message(text)
    assert event == Media(
        stream_id=stream_id,
        payload=payload,
        sequence_number=seq,
        chunk=chunk,
        timestamp_ms=ts,
        track=track,
        extra_headers_raw="{}",
    )
    # From bytes the ids and payload are spans of the bytes object; they read the same.
    from_bytes = af.parse_message(text.encode())
    assert from_bytes == event
    assert isinstance(from_bytes, Media)
    assert (from_bytes.stream_id, from_bytes.payload) == (stream_id, payload)


@given(
    ids,
    st.sampled_from([("l16", 8000), ("l16", 16000), ("l16", 24000), ("mulaw", 8000)]),
    st.binary(max_size=1000),
)
def test_play_audio_round_trip(stream_id: str, fmt: tuple[str, int], raw: bytes) -> None:
    media_format = MediaFormat(*fmt)
    payload = base64.b64encode(raw).decode()
    text = wire.play_audio(stream_id, media_format, payload)
    assert json.loads(text)["streamId"] == stream_id
    assert af.parse_message(text) == PlayAudio(
        stream_id=stream_id, media_format=media_format, payload=payload
    )


@given(ids, names)
def test_command_round_trips(stream_id: str, name: str) -> None:
    assert af.parse_message(wire.checkpoint(stream_id, name)) == Checkpoint(
        stream_id=stream_id, name=name
    )
    assert af.parse_message(wire.clear_audio(stream_id)) == ClearAudio(stream_id=stream_id)
    assert af.parse_message(wire.stop(stream_id)) == Stop(stream_id=stream_id)
    assert af.parse_message(wire.played_stream(name, stream_id, 3)) == PlayedStream(
        name=name, stream_id=stream_id, sequence_number=3
    )
    assert af.parse_message(wire.played_stream(name)) == PlayedStream(name=name)
    assert af.parse_message(wire.cleared_audio(stream_id, 4)) == ClearedAudio(
        stream_id=stream_id, sequence_number=4
    )


@given(ids, ids, st.lists(st.sampled_from(["inbound", "outbound"]), min_size=1, max_size=2), names)
def test_start_round_trip(stream_id: str, call_id: str, tracks: list[str], account: str) -> None:
    fmt = MediaFormat("l16", 16000)
    text = wire.start(stream_id, fmt, call_id=call_id, account_id=account, tracks=tracks)
    event = af.parse_message(text)
    assert isinstance(event, Start)
    assert (event.stream_id, event.call_id, event.account_id, event.tracks) == (
        stream_id,
        call_id,
        account,
        tracks,
    )
    assert event.media_format == fmt
    assert event.sequence_number == 0


@given(ids, st.sampled_from(list("0123456789*#ABCD")), counts, counts)
def test_dtmf_round_trip(stream_id: str, digit: str, seq: int, ts: int) -> None:
    text = wire.dtmf(stream_id, digit, sequence_number=seq, timestamp_ms=ts)
    assert af.parse_message(text) == Dtmf(
        digit=digit, stream_id=stream_id, sequence_number=seq, timestamp_ms=ts
    )


def test_builders_emit_newest_form() -> None:
    assert json.loads(wire.play_audio("s", MediaFormat("l16", 16000), "AAAA")) == {
        "event": "playAudio",
        "streamId": "s",
        "media": {"contentType": "audio/x-l16", "sampleRate": 16000, "payload": "AAAA"},
    }
    media = json.loads(wire.media("s", "AAAA", sequence_number=2, chunk=2, timestamp_ms=5))
    assert media["media"]["timestamp"] == "5"  # a string, as documented
    assert media["extra_headers"] == "{}"


# --- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"event":"media","media":{"payload":"AAAA', "not valid JSON"),
        (
            '{"event":"media","media":{"payload":5}}',
            "media.payload: expected a string, found a number",
        ),
        ('{"event":"media"}', "media: missing"),
        ('{"event":"checkpoint","streamId":"s"}', "checkpoint.name: missing"),
        (
            '{"event":"checkpoint","streamId":7,"name":"x"}',
            "checkpoint.streamId: expected a string, found a number",
        ),
        ('{"event":"clearAudio"}', "clearAudio.streamId: missing"),
        (
            '{"event":"media","media":{"payload":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA!AA"}}',
            "media.payload: invalid base64 at offset 37",
        ),
        (
            '{"event":"start","start":{"streamId":"s","mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":44100}}}',
            "start.mediaFormat.sampleRate: 44100 is not allowed for audio/x-mulaw",
        ),
        ('{"event":"start","start":{"streamId":"s"}}', "start.mediaFormat: missing"),
        (
            '{"event":"start","start":{"streamId":"s","mediaFormat":{"encoding":"audio/opus","sampleRate":8000}}}',
            "start.mediaFormat.encoding: unknown encoding",
        ),
        (
            '{"event":"playAudio","streamId":"s","media":{"contentType":"audio/x-l16","sampleRate":44100,"payload":""}}',
            "playAudio.media.sampleRate: 44100 is not allowed",
        ),
        ('{"event":"dtmf","dtmf":{"track":"inbound"}}', "dtmf.digit: missing"),
        ('{"streamId":"s"}', 'no "event"'),
        ('{"event":1}', "event: expected a string, found a number"),
        ('{"streamId":7,"event":{}}', "event: expected a string, found an object"),
        ("[1, 2]", "must be a JSON object"),
        ("", "not valid JSON: unexpected end of text at byte 0"),
        ('{"event":"stop"} trailing', "not valid JSON: trailing characters at byte 17"),
        (
            '{"streamId":7,"event":"checkpoint","name":"x"}',
            "checkpoint.streamId: expected a string",
        ),
    ],
)
def test_malformed_messages_name_the_field(text: str, message: str) -> None:
    with pytest.raises(ProtocolError) as info:
        af.parse_message(text)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


def test_non_utf8_bytes() -> None:
    with pytest.raises(ProtocolError, match="not valid UTF-8 at byte 10"):
        af.parse_message(b'{"event":"\xff"}')


def test_lone_surrogate_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="lone surrogate"):
        af.parse_message('{"event":"stop","streamId":"\ud800"}')


def test_size_limit_default_and_configurable() -> None:
    big = '{"event":"media","media":{"payload":"' + "A" * (20 * 1024 * 1024) + '"}}'
    with pytest.raises(ProtocolError, match=f"message is {len(big)} bytes, limit 1048576"):
        af.parse_message(big)
    small = wire.stop("s")
    with pytest.raises(ProtocolError, match="limit 10"):
        af.parse_message(small, max_size=10)
    assert af.parse_message(small, max_size=len(small)) == Stop(stream_id="s")


def test_deeply_nested_json_is_refused_not_a_crash() -> None:
    deep = "[" * 200_000 + "]" * 200_000
    for text in ('{"event":"media","media":' + deep + "}", '{"event":"stop","x":' + deep + "}"):
        with pytest.raises(ProtocolError, match="nesting deeper than 128 levels"):
            af.parse_message(text)
    assert isinstance(af.parse_message('{"event":"stop","x":' + "[" * 100 + "]" * 100 + "}"), Stop)


def test_wrong_argument_type() -> None:
    with pytest.raises(TypeError, match="str or bytes-like"):
        af.parse_message(123)  # type: ignore[arg-type]


def _check_parsed(text: str | bytes) -> None:
    """Parse ``text``: a ProtocolError, or an event of the message's ``event``."""
    try:
        event = af.parse_message(text)
    except ProtocolError:
        return
    assert isinstance(event, af.Event)
    name = json.loads(text)["event"]
    assert (event.event if isinstance(event, UnknownEvent) else event.EVENT) == name


@given(st.text(max_size=300))
def test_parser_never_panics_on_text(text: str) -> None:
    _check_parsed(text)


@given(st.binary(max_size=300))
def test_parser_never_panics_on_bytes(data: bytes) -> None:
    _check_parsed(data)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
event_names = st.sampled_from(
    [
        "start",
        "media",
        "playedStream",
        "clearedAudio",
        "dtmf",
        "stop",
        "playAudio",
        "checkpoint",
        "clearAudio",
        "x",
    ]
)
field_names = st.sampled_from(
    [
        "streamId",
        "sequenceNumber",
        "name",
        "start",
        "media",
        "dtmf",
        "extra_headers",
        "callId",
        "contentType",
    ]
)


@given(event_names, st.dictionaries(field_names, json_values, max_size=6))
def test_parser_never_panics_on_structured_junk(event: str, fields: dict[str, object]) -> None:
    _check_parsed(json.dumps({"event": event, **fields}))


# --- event values --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: Checkpoint(),
        lambda: Checkpoint(stream_id="s"),
        lambda: ClearAudio(),
        lambda: PlayedStream(),
        lambda: Dtmf(stream_id="s"),
        lambda: PlayAudio(payload="AAAA"),
        lambda: Start(stream_id="s"),
        lambda: Media(stream_id="s"),
    ],
)
def test_required_wire_fields_are_required(make: object) -> None:
    with pytest.raises(TypeError, match=r"missing \d required keyword argument"):
        make()  # type: ignore[operator]


def test_reprs_are_python() -> None:
    assert repr(Checkpoint(stream_id="s", name="n")) == "Checkpoint(stream_id='s', name='n')"
    assert repr(Media(stream_id="s", payload="AAAA")) == (
        "Media(stream_id='s', sequence_number=None, track='inbound', timestamp_ms=None, "
        "chunk=None, payload='AAAA', pcm=None, level_dbfs=None)"
    )
    long = repr(Media(payload="A" * 100, track="outbound", pcm=np.zeros(3, np.int16)))
    assert "payload='" + "A" * 24 + "'… (100 chars)" in long and "pcm=<3 samples>" in long
    assert "Some(" not in repr(PlayedStream(name="x", stream_id="s", sequence_number=2))
    unknown = af.parse_message('{"event":"a\\u0001\\"","x":1}')
    name = 'a\x01"'
    raw = {"event": name, "x": 1}
    assert repr(unknown) == f"UnknownEvent(event={name!r}, raw={raw!r})"


def test_media_pcm_is_an_array_or_none() -> None:
    with pytest.raises(TypeError, match="int16 or float32"):
        Media(payload="", pcm=[1, 2])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="int16 or float32"):
        Media(payload="", pcm=np.zeros(2, np.int64))  # type: ignore[arg-type]
    assert Media(payload="", pcm=np.zeros(2, np.float32)).pcm is not None


def test_play_audio_without_stream_id_parses() -> None:
    text = '{"event":"playAudio","media":{"contentType":"audio/x-mulaw","payload":"AAAA"}}'
    assert af.parse_message(text) == PlayAudio(
        media_format=MediaFormat("mulaw", 8000), payload="AAAA", stream_id=None
    )


@pytest.mark.parametrize(
    "text",
    [
        '{"event":"media","media":{"track":"both","payload":"AAAA"}}',
        '{"event":"dtmf","dtmf":{"track":"caller","digit":"1"}}',
        '{"event":"start","start":{"streamId":"s","tracks":["inbound","x"],'
        '"mediaFormat":{"encoding":"audio/x-mulaw"}}}',
    ],
)
def test_tracks_are_inbound_or_outbound(text: str) -> None:
    with pytest.raises(ProtocolError, match="is not a track"):
        af.parse_message(text)


def test_track_arguments_are_checked() -> None:
    with pytest.raises(ProtocolError, match=r"^track: "):
        Media(payload="", track="both")  # type: ignore[arg-type]
    with pytest.raises(ProtocolError, match=r"^track: "):
        wire.media("s", "", sequence_number=1, chunk=1, timestamp_ms=1, track="x")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "make",
    [
        lambda fmt: wire.play_audio("s", fmt, ""),
        lambda fmt: PlayAudio(media_format=fmt, payload=""),
    ],
)
@pytest.mark.parametrize(
    "fmt", [MediaFormat("alaw", 8000), MediaFormat("mulaw", 16000, strict=False)]
)
def test_play_audio_refuses_what_play_audio_cannot_carry(
    make: Callable[[MediaFormat], object], fmt: MediaFormat
) -> None:
    with pytest.raises(af.FormatError, match="playAudio carries audio/x-l16"):
        make(fmt)


def test_default_message_limit_comes_from_the_core() -> None:
    from audiofork import _core

    assert wire.DEFAULT_MAX_MESSAGE_BYTES == _core.DEFAULT_MAX_MESSAGE_BYTES == 1 << 20


# --- hostile input, as property tests -------------------------------------------------------


def _not_json(constant: str) -> object:
    """``json.loads`` hook: ``NaN`` and ``Infinity`` are Python's extensions, not JSON."""
    raise ValueError(constant)


@given(st.dictionaries(st.text(max_size=8), json_values, max_size=5), st.data())
def test_unknown_events_build_or_are_refused(
    fields: dict[str, object], data: st.DataObject
) -> None:
    text = json.dumps({"event": "somethingNew", **fields})
    cut = data.draw(st.integers(0, len(text)))
    for candidate in (text, text[:cut] + text[cut + 1 :]):
        try:
            expected = json.loads(candidate, parse_constant=_not_json)
        except ValueError:
            expected = None
        try:
            event = af.parse_message(candidate)
        except ProtocolError as error:
            # Refused: not JSON, JSON whose `event` the cut spoiled, or a `\\u` escape of half
            # a surrogate pair (which Python's json accepts and this parser does not).
            reason = str(error)
            assert expected is None or "event" in reason or "surrogate" in reason, candidate
            continue
        # Accepted: the text is JSON, and raw is exactly what it holds.
        assert isinstance(event, UnknownEvent) and event.raw == expected


@given(st.text(max_size=20))
def test_hostile_track_names_are_refused(track: str) -> None:
    text = json.dumps({"event": "media", "media": {"track": track, "payload": "AAAA"}})
    if track in ("inbound", "outbound"):
        event = af.parse_message(text)
        assert isinstance(event, Media) and event.track == track
    else:
        with pytest.raises(ProtocolError, match=r"^media\.track: "):
            af.parse_message(text)


with_surrogates = st.text(st.characters(codec=None) | st.characters(categories=["Cs"]), max_size=8)


@given(with_surrogates, with_surrogates)
def test_builder_strings_are_utf8_or_refused_by_name(stream_id: str, name: str) -> None:
    def utf8(text: str) -> bool:
        return not any(0xD800 <= ord(c) <= 0xDFFF for c in text)

    try:
        text = wire.checkpoint(stream_id, name)
    except af.ArgumentError as error:
        bad = "stream_id" if not utf8(stream_id) else "name"
        assert str(error).startswith(f"{bad}: not valid UTF-8")
    else:
        assert utf8(stream_id) and utf8(name)
        assert af.parse_message(text) == Checkpoint(stream_id=stream_id, name=name)
