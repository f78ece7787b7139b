"""``AudioforkError.kind``: every kind the core raises, reached on a real input, arrives as
``.kind`` on the class its site picks, the message unchanged; Python code sets a kind or gets
its class's default; the ``Literal`` the stubs use is the core's set."""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from typing import get_args

import numpy as np
import pytest

import audiofork as af
from audiofork import (
    ApiError,
    ArgumentError,
    AudioforkError,
    BufferOverflowError,
    CodecError,
    ConcurrentUseError,
    FormatError,
    MediaFormat,
    ProtocolError,
    SignatureError,
    StreamStateError,
    ValidationError,
    _core,
    wire,
)
from audiofork.errors import CoreErrorKind, ErrorKind

ULAW8K = MediaFormat("mulaw", 8000)
_DEEP = '{"event":"x","a":' + "[" * 200 + "]" * 200 + "}"


def _play_audio(content_type: str, rate: int) -> str:
    media = {"contentType": content_type, "sampleRate": rate, "payload": ""}
    return json.dumps({"event": "playAudio", "streamId": "s", "media": media})


#: (kind, class, call, message): the message is what the site said before kinds existed.
_CASES: list[tuple[str, type[AudioforkError], Callable[[], object], str]] = [
    (
        "bad_json",
        ProtocolError,
        lambda: af.parse_message('{"event":'),
        "message is not valid JSON: unexpected end of text at byte 9",
    ),
    (
        "too_deep",
        ProtocolError,
        lambda: af.parse_message(_DEEP),
        "message is not valid JSON: nesting deeper than 128 levels at byte 144",
    ),
    (
        "field_missing",
        ProtocolError,
        lambda: af.parse_message('{"event":"checkpoint","streamId":"s"}'),
        "checkpoint.name: missing",
    ),
    (
        "field_missing",
        ProtocolError,
        lambda: af.parse_message('{"streamId":"s"}'),
        'message has no "event" field',
    ),
    (
        "wrong_type",
        ProtocolError,
        lambda: af.parse_message('{"event":"media","media":{"payload":5}}'),
        "media.payload: expected a string, found a number",
    ),
    (
        "wrong_type",
        ProtocolError,
        lambda: af.parse_message("[]"),
        "message must be a JSON object: expected an object, found an array",
    ),
    (
        "bad_utf8",
        ProtocolError,
        lambda: af.parse_message(b'{"event":"stop"\xff}'),
        "message is not valid UTF-8 at byte 15",
    ),
    (
        "bad_utf8",
        CodecError,
        lambda: af.decode_payload("\ud800", "mulaw"),
        "payload: not valid UTF-8 (it holds a lone surrogate)",
    ),
    (
        "bad_utf8",
        ArgumentError,
        lambda: wire.checkpoint("\ud800", "n"),
        "stream_id: not valid UTF-8 (it holds a lone surrogate)",
    ),
    (
        "bad_base64",
        CodecError,
        lambda: af.decode_payload("@@@@", "mulaw"),
        "invalid base64 at offset 0 ('@')",
    ),
    (
        "bad_base64",
        ProtocolError,
        lambda: af.parse_message(wire.play_audio("s", ULAW8K, "@@@@")),
        "playAudio.media.payload: invalid base64 at offset 0 ('@')",
    ),
    (
        "odd_length",
        CodecError,
        lambda: af.l16_decode(b"abc"),
        "L16 data must have an even number of bytes, got 3",
    ),
    (
        "odd_length",
        ProtocolError,
        lambda: af.InboundDecoder(MediaFormat("l16", 8000)).decode_message(
            wire.media("s", "AAAA", sequence_number=1, chunk=1, timestamp_ms=0)
        ),
        "media.payload: L16 data must have an even number of bytes, got 3",
    ),
    (
        "bad_encoding",
        FormatError,
        lambda: MediaFormat("opus", 8000),
        'encoding: unknown encoding "opus"; allowed: audio/x-mulaw, audio/x-alaw, '
        "audio/x-l16 (optionally with ;rate=N), mulaw, ulaw, alaw, l16",
    ),
    (
        "bad_encoding",
        ProtocolError,
        lambda: af.parse_message(_play_audio("audio/x-alaw", 8000)),
        "playAudio.media.contentType: playAudio carries audio/x-l16 at 8000, 16000 or 24000 Hz"
        " or audio/x-mulaw at 8000 Hz, not audio/x-alaw;rate=8000",
    ),
    (
        "bad_rate",
        FormatError,
        lambda: af.Resampler(12345, 8000),
        "in_rate 12345 Hz is not supported; supported rates: "
        "8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000",
    ),
    (
        "bad_rate",
        FormatError,
        lambda: MediaFormat("mulaw", 16000),
        "sample_rate: 16000 is not allowed for audio/x-mulaw (allowed: 8000); "
        "pass strict=False for other rates",
    ),
    (
        "bad_rate",
        ProtocolError,
        lambda: af.parse_message(_play_audio("audio/x-l16;rate=16000", 8000)),
        "playAudio.media.sampleRate: 8000 conflicts with rate=16000 in playAudio.media.contentType",
    ),
    (
        "out_of_range",
        ArgumentError,
        lambda: af.Ring(0),
        "capacity: 0 is out of range (1 to 134217728)",
    ),
    (
        "out_of_range",
        FormatError,
        lambda: MediaFormat("l16", 10**30, strict=False),
        "sample_rate: an integer beyond 64 bits is out of range (1 to 384000)",
    ),
    (
        "out_of_range",
        ProtocolError,
        lambda: af.parse_message(_play_audio("audio/x-l16", 0)),
        "playAudio.media.sampleRate: 0 is not a sample rate (1 to 384000)",
    ),
    (
        "too_large",
        ProtocolError,
        lambda: af.parse_message('{"event":"stop"}', max_size=8),
        "message is 16 bytes, limit 8",
    ),
    (
        "too_large",
        ArgumentError,
        lambda: af.Resampler(8000, 48000).output_len(2**62),
        "input_len 4611686018427387904 at 8000 -> 48000 Hz gives more output samples than a "
        f"buffer can hold ({2**64 - 1} at most)",
    ),
    (
        "bad_value",
        FormatError,
        lambda: af.l16_decode(b"", "middle"),  # type: ignore[arg-type]
        'byteorder: "middle" is not a byte order; expected "little" or "big"',
    ),
    (
        "bad_value",
        ProtocolError,
        lambda: af.parse_message('{"event":"dtmf","dtmf":{"digit":"1","track":"both"}}'),
        'dtmf.track: "both" is not a track; expected "inbound" or "outbound"',
    ),
    (
        "bad_value",
        ArgumentError,
        lambda: MediaFormat("l16", 11025, strict=False).samples_per_frame(1),
        "1 ms is not a whole, positive number of samples at 11025 Hz",
    ),
    (
        "overflow",
        BufferOverflowError,
        lambda: af.Ring(2, "reject").write(np.zeros(3, np.int16)),
        "ring full: 1 of 3 samples do not fit (capacity 2, 0 queued)",
    ),
    (
        "wrong_dialect",
        ProtocolError,
        lambda: af.parse_message('{"event":"playedStream","name":"g"}', dialect="twilio"),
        'event "playedStream": a Vobiz/Plivo message, but the stream speaks Twilio',
    ),
]


@pytest.mark.parametrize(
    ("kind", "cls", "call", "message"), _CASES, ids=[f"{c[0]}-{c[1].__name__}" for c in _CASES]
)
def test_each_kind_arrives_on_the_class_of_its_site(
    kind: str, cls: type[AudioforkError], call: Callable[[], object], message: str
) -> None:
    with pytest.raises(AudioforkError) as info:
        call()
    assert type(info.value) is cls
    assert info.value.kind == kind
    assert str(info.value) == message


def test_every_core_kind_is_reached() -> None:
    reached = {kind for kind, *_ in _CASES}
    # wrong_state from the core comes only with ConcurrentUseError, which needs two threads'
    # calls to overlap: test_threads.py asserts it.
    assert reached | {"wrong_state"} == set(_core.ERROR_KINDS)


def test_the_literal_is_the_core_set() -> None:
    assert get_args(CoreErrorKind) == _core.ERROR_KINDS
    assert get_args(ErrorKind) == (*_core.ERROR_KINDS, "request_failed")
    assert af.ErrorKind == ErrorKind


@pytest.mark.parametrize(
    ("cls", "default"),
    [
        (AudioforkError, "bad_value"),
        (CodecError, "bad_value"),
        (FormatError, "bad_value"),
        (ProtocolError, "bad_value"),
        (ArgumentError, "bad_value"),
        (ValidationError, "bad_value"),
        (SignatureError, "bad_value"),
        (StreamStateError, "wrong_state"),
        (ConcurrentUseError, "wrong_state"),
        (BufferOverflowError, "overflow"),
    ],
)
def test_python_raised_errors_have_their_class_default_or_the_kind_given(
    cls: type[AudioforkError], default: str
) -> None:
    assert cls("x").kind == default
    error = cls("x", kind="too_large")
    assert (error.kind, str(error), error.args) == ("too_large", "x", ("x",))
    again = pickle.loads(pickle.dumps(error))
    assert (type(again), again.kind, again.args) == (cls, "too_large", ("x",))


def test_api_errors_default_to_request_failed() -> None:
    error = ApiError(503, "unavailable", "a1")
    assert (error.kind, str(error), error.api_id) == (
        "request_failed",
        "HTTP 503: unavailable",
        "a1",
    )
    assert ApiError(200, "not JSON", kind="bad_json").kind == "bad_json"


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^kind: 'nope' is not an error kind"):
        ArgumentError("x", kind="nope")  # type: ignore[arg-type]


def test_core_errors_survive_pickling_with_their_kind() -> None:
    with pytest.raises(CodecError) as info:
        af.l16_decode(b"abc")
    again = pickle.loads(pickle.dumps(info.value))
    assert (type(again), again.kind, str(again)) == (CodecError, "odd_length", str(info.value))
