"""The error contract: each core error kind reaches Python as its one family class, which is
also the built-in it refines; closed sets of names are checked by one parser each."""

from __future__ import annotations

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
    with pytest.raises(TypeError, match="byteorder"):
        af.l16_decode(b"", 1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="overflow"):
        af.Ring(4, None)  # type: ignore[arg-type]


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
