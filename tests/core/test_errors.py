"""The error contract: each core error kind reaches Python as its one family class, which is
also the built-in it refines; closed sets of names are checked by one parser each."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import numpy as np
import pytest

import audiofork as af
from audiofork import (
    ArgumentError,
    AudioforkError,
    BufferOverflowError,
    CodecError,
    FormatError,
    MediaFormat,
    ProtocolError,
    _core,
    wire,
)

ULAW8K = MediaFormat("mulaw", 8000)


@pytest.mark.parametrize(
    ("call", "cls", "builtin"),
    [
        (lambda: af.l16_decode(b"abc"), CodecError, ValueError),
        (lambda: MediaFormat("opus", 8000), FormatError, ValueError),
        (lambda: af.parse_message("{}"), ProtocolError, ValueError),
        (
            lambda: af.Ring(2, "reject").write(np.zeros(3, np.int16)),
            BufferOverflowError,
            BufferError,
        ),
        (lambda: af.Ring(0), ArgumentError, ValueError),
    ],
)
def test_each_core_error_kind_maps_to_its_class(
    call: object, cls: type[Exception], builtin: type[Exception]
) -> None:
    with pytest.raises(cls) as info:
        call()  # type: ignore[operator]
    assert isinstance(info.value, AudioforkError)
    assert isinstance(info.value, builtin)


@pytest.mark.parametrize("as_bytes", [False, True])
def test_protocol_errors_for_str_and_bytes_alike(as_bytes: bool) -> None:
    text = '{"event":"checkpoint","streamId":"s"}'
    with pytest.raises(ProtocolError) as info:
        af.parse_message(text.encode() if as_bytes else text)
    assert str(info.value) == "checkpoint.name: missing"
    decoder = af.InboundDecoder(ULAW8K)
    with pytest.raises(ProtocolError):
        decoder.decode_message(text.encode() if as_bytes else text)


@pytest.mark.parametrize(
    ("call", "parameter"),
    [
        (lambda: af.l16_decode(b"", "middle"), "byteorder"),
        (lambda: MediaFormat("l16", 8000, "middle"), "byteorder"),
        (lambda: MediaFormat.parse("l16;rate=8000", byteorder="middle"), "byteorder"),
        (lambda: af.encode_payload(np.zeros(2, np.int16), "l16", "middle"), "byteorder"),
        (lambda: af.Resampler(8000, 16000, "best"), "quality"),
        (lambda: af.resample(np.zeros(2, np.int16), 8000, 16000, "best"), "quality"),
        (lambda: af.InboundDecoder(ULAW8K, quality="best"), "quality"),
        (lambda: af.OutboundEncoder(ULAW8K, "s", quality="best"), "quality"),
        (lambda: af.InboundDecoder(ULAW8K, out_dtype="int32"), "out_dtype"),
        (lambda: af.Ring(4, "newest"), "overflow"),
    ],
)
def test_closed_sets_are_format_errors_naming_the_parameter(call: object, parameter: str) -> None:
    with pytest.raises(FormatError, match=f"^{parameter}: "):
        call()  # type: ignore[operator]


def test_closed_sets_of_the_wrong_type_are_type_errors() -> None:
    # The message itself names the parameter (``str()``, not only the note PyO3 adds).
    with pytest.raises(TypeError) as info:
        af.l16_decode(b"", 1)  # type: ignore[arg-type]
    assert str(info.value) == "byteorder: expected a str, got int"
    with pytest.raises(TypeError) as info:
        af.Ring(4, None)  # type: ignore[arg-type]
    assert str(info.value) == "overflow: expected a str, got NoneType"
    with pytest.raises(TypeError) as info:
        af.OutboundEncoder(ULAW8K, 5)  # type: ignore[arg-type]
    assert str(info.value) == "stream_id: expected a str, got int"


def test_conflicting_rates_name_both_fields() -> None:
    text = (
        '{"event":"playAudio","streamId":"s","media":{"contentType":"audio/x-l16;rate=16000",'
        '"sampleRate":8000,"payload":""}}'
    )
    with pytest.raises(ProtocolError) as info:
        af.parse_message(text)
    assert str(info.value) == (
        "playAudio.media.sampleRate: 8000 conflicts with rate=16000 in playAudio.media.contentType"
    )


@pytest.mark.parametrize(
    ("parameter", "call"),
    [
        ("sample_rate", lambda: af.OutboundEncoder(ULAW8K, "s").push(np.zeros(4, np.int16), 12345)),
        (
            "sample_rate",
            lambda: af.OutboundEncoder(ULAW8K, "s").push(np.zeros(4, np.float32), 12345),
        ),
        ("in_rate", lambda: af.Resampler(12345, 8000)),
        ("out_rate", lambda: af.resample(np.zeros(4, np.int16), 8000, 12345)),
    ],
)
def test_unsupported_rates_are_format_errors_naming_the_argument(
    parameter: str, call: Callable[[], object]
) -> None:
    with pytest.raises(FormatError, match=f"^{parameter} 12345 Hz is not supported"):
        call()


@pytest.mark.parametrize(
    "call",
    [
        lambda: af.encode_payload(np.zeros(2, np.int16), "bogus"),
        lambda: af.decode_payload("", "bogus"),
        lambda: _core.allowed_rates_for("bogus"),
    ],
)
def test_unknown_encoding_arguments_name_the_argument(call: Callable[[], object]) -> None:
    with pytest.raises(FormatError, match=r'^encoding: unknown encoding "bogus"'):
        call()


# --- integers out of range: one rule for every integer parameter --------------------------

_PCM = np.zeros(160, np.int16)
_INT_PARAMETERS: list[tuple[str, Callable[[int], object]]] = [
    ("capacity", lambda v: af.Ring(v)),
    ("n", lambda v: af.Ring(4).read(v)),
    ("n", lambda v: af.Ring(4).peek(v)),
    ("out_rate", lambda v: af.InboundDecoder(ULAW8K, v)),
    ("max_message_size", lambda v: af.InboundDecoder(ULAW8K, max_message_size=v)),
    ("frame_ms", lambda v: af.OutboundEncoder(ULAW8K, "s", v)),
    ("sample_rate", lambda v: af.OutboundEncoder(ULAW8K, "s").push(_PCM, v)),
    ("in_rate", lambda v: af.Resampler(v, 8000)),
    ("out_rate", lambda v: af.Resampler(8000, v)),
    ("in_rate", lambda v: af.resample(_PCM, v, 8000)),
    ("input_len", lambda v: af.Resampler(8000, 16000).output_len(v)),
    ("max_size", lambda v: af.parse_message("{}", max_size=v)),
    ("sample_rate", lambda v: MediaFormat("l16", v, strict=False)),
    ("default_rate", lambda v: MediaFormat.parse("l16", default_rate=v)),
    ("ms", lambda v: ULAW8K.samples_per_frame(v)),
    ("ms", lambda v: ULAW8K.bytes_per_frame(v)),
    ("sequence_number", lambda v: wire.media("s", "", sequence_number=v, chunk=1, timestamp_ms=1)),
    ("chunk", lambda v: wire.media("s", "", sequence_number=1, chunk=v, timestamp_ms=1)),
    ("timestamp_ms", lambda v: wire.dtmf("s", "1", sequence_number=1, timestamp_ms=v)),
    ("sequence_number", lambda v: wire.start("s", ULAW8K, call_id="c", sequence_number=v)),
    ("sequence_number", lambda v: wire.played_stream("n", "s", v)),
    ("sequence_number", lambda v: wire.cleared_audio("s", v)),
    ("sequence_number", lambda v: af.Stop(sequence_number=v)),
    ("timestamp_ms", lambda v: af.Dtmf(digit="1", timestamp_ms=v)),
    ("chunk", lambda v: af.Media(payload="", chunk=v)),
]


@pytest.mark.parametrize(("parameter", "call"), _INT_PARAMETERS)
@pytest.mark.parametrize(
    "value", [-1, -(2**63) - 1, 2**64, 10**5000], ids=["-1", "-2**63-1", "2**64", "10**5000"]
)
def test_out_of_range_integers_name_the_parameter_and_range(
    parameter: str, call: Callable[[int], object], value: int
) -> None:
    with pytest.raises(AudioforkError) as info:
        call(value)
    assert isinstance(info.value, ValueError)
    assert str(info.value).startswith(f"{parameter}: ")
    assert " is out of range (" in str(info.value)


@pytest.mark.parametrize(("parameter", "call"), _INT_PARAMETERS)
def test_integer_parameters_refuse_other_types(
    parameter: str, call: Callable[[int], object]
) -> None:
    for value in (1.0, True, "1"):
        with pytest.raises(TypeError) as info:
            call(value)  # type: ignore[arg-type]
        expected = f"{parameter}: expected an int, got {type(value).__name__}"
        assert str(info.value) == expected


# --- unknown events: what the reader accepts always builds -------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '{"event":"x","start":{"tracks":[1}}',
        '{"event":"x","start":{"tracks":[1,]}}',
        '{"event":"x","media":{"track":[1}}',
    ],
)
def test_unknown_events_with_invalid_json_are_protocol_errors(text: str) -> None:
    with pytest.raises(ProtocolError, match="not valid JSON"):
        af.parse_message(text)


def test_unknown_events_keep_integers_too_long_for_int() -> None:
    digits = "7" * 5000
    event = af.parse_message('{"event":"x","n":' + digits + ',"small":2}')
    assert isinstance(event, af.UnknownEvent)
    assert event.raw["n"] == Decimal(digits)
    assert event.raw["small"] == 2 and isinstance(event.raw["small"], int)


# --- strings that are not UTF-8 -----------------------------------------------------------

_SURROGATE = "\ud800"


@pytest.mark.parametrize(
    ("parameter", "call"),
    [
        ("stream_id", lambda s: wire.checkpoint(s, "n")),
        ("name", lambda s: wire.checkpoint("s", s)),
        ("stream_id", lambda s: wire.clear_audio(s)),
        ("stream_id", lambda s: wire.stop(s)),
        ("payload", lambda s: wire.play_audio("s", ULAW8K, s)),
        ("call_id", lambda s: wire.start("s", ULAW8K, call_id=s)),
        ("account_id", lambda s: wire.start("s", ULAW8K, call_id="c", account_id=s)),
        (
            "extra_headers",
            lambda s: wire.media(
                "s", "", sequence_number=1, chunk=1, timestamp_ms=1, extra_headers=s
            ),
        ),
        ("digit", lambda s: wire.dtmf("s", s, sequence_number=1, timestamp_ms=1)),
        ("name", lambda s: wire.played_stream(s)),
        ("stream_id", lambda s: wire.cleared_audio(s)),
        ("stream_id", lambda s: af.OutboundEncoder(ULAW8K, s)),
        ("name", lambda s: af.Ring(4).mark(s)),
    ],
)
def test_lone_surrogates_in_builder_arguments_name_the_argument(
    parameter: str, call: Callable[[str], object]
) -> None:
    with pytest.raises(ArgumentError, match=f"^{parameter}: not valid UTF-8"):
        call("a" + _SURROGATE)


@pytest.mark.parametrize(
    ("parameter", "call"),
    [
        ("stream_id", lambda s: af.Checkpoint(stream_id=s, name="n")),
        ("name", lambda s: af.PlayedStream(name=s)),
        ("digit", lambda s: af.Dtmf(digit=s)),
        ("stream_id", lambda s: af.Stop(stream_id=s)),
        ("call_id", lambda s: af.Start(stream_id="s", media_format=ULAW8K, call_id=s)),
        (
            "extra_headers",
            lambda s: af.Start(stream_id="s", media_format=ULAW8K, extra_headers={s: ""}),
        ),
        ("payload", lambda s: af.Media(payload=s)),
        ("stream_id", lambda s: af.Media(payload="", stream_id=s)),
        ("payload", lambda s: af.PlayAudio(media_format=ULAW8K, payload=s)),
        ("event", lambda s: af.UnknownEvent(s, {})),
    ],
)
def test_lone_surrogates_in_event_fields_name_the_field(
    parameter: str, call: Callable[[str], object]
) -> None:
    with pytest.raises(ArgumentError, match=f"^{parameter}: not valid UTF-8"):
        call(_SURROGATE)


def test_lone_surrogates_in_other_text_inputs_are_family_errors() -> None:
    with pytest.raises(CodecError, match=r"^payload: not valid UTF-8"):
        af.decode_payload(_SURROGATE, "mulaw")
    with pytest.raises(FormatError, match=r"unknown encoding"):
        MediaFormat.parse("l16" + _SURROGATE)
    with pytest.raises(FormatError, match="unknown encoding"):
        MediaFormat("l16" + _SURROGATE, 8000)
    with pytest.raises(ProtocolError, match="not valid UTF-8"):
        af.InboundDecoder(ULAW8K).decode_payload(_SURROGATE)
