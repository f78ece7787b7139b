"""G.711, L16 and fused payload codecs: bit-exactness, round trips, errors."""

from __future__ import annotations

import array
import audioop
import base64
import contextlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import audiofork as af
from audiofork import CodecError, FormatError, MediaFormat

ALL_SAMPLES = np.arange(-32768, 32768, dtype=np.int16)
ALL_CODES = bytes(range(256))
pcm_arrays = arrays(np.int16, st.integers(0, 2000))


# --- bit-exactness against audioop -----------------------------------------------------


def test_ulaw_encode_matches_audioop_for_all_65536_samples() -> None:
    assert af.ulaw_encode(ALL_SAMPLES) == audioop.lin2ulaw(ALL_SAMPLES.tobytes(), 2)


def test_alaw_encode_matches_audioop_for_all_65536_samples() -> None:
    assert af.alaw_encode(ALL_SAMPLES) == audioop.lin2alaw(ALL_SAMPLES.tobytes(), 2)


def test_ulaw_decode_matches_audioop_for_all_256_codes() -> None:
    assert af.ulaw_decode(ALL_CODES).tobytes() == audioop.ulaw2lin(ALL_CODES, 2)


def test_alaw_decode_matches_audioop_for_all_256_codes() -> None:
    assert af.alaw_decode(ALL_CODES).tobytes() == audioop.alaw2lin(ALL_CODES, 2)


@pytest.mark.parametrize(
    ("ours", "theirs", "data"),
    [
        (af.lin2ulaw, audioop.lin2ulaw, ALL_SAMPLES.tobytes()),
        (af.lin2alaw, audioop.lin2alaw, ALL_SAMPLES.tobytes()),
        (af.ulaw2lin, audioop.ulaw2lin, ALL_CODES),
        (af.alaw2lin, audioop.alaw2lin, ALL_CODES),
    ],
)
def test_audioop_drop_ins_return_identical_bytes(ours, theirs, data) -> None:  # type: ignore[no-untyped-def]
    result = ours(data, 2)
    assert type(result) is bytes
    assert result == theirs(data, 2)


@pytest.mark.parametrize("fn", [af.lin2ulaw, af.ulaw2lin, af.lin2alaw, af.alaw2lin])
@pytest.mark.parametrize("width", [1, 3, 4])
def test_audioop_drop_ins_reject_other_widths(fn, width) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FormatError, match=f"width {width}"):
        fn(b"\x00\x00\x00\x00", width)


# --- input forms -----------------------------------------------------------------------


def test_every_pcm_form_encodes_alike() -> None:
    pcm = np.array([0, 1000, -1000, 32767, -32768], dtype=np.int16)
    expected = af.ulaw_encode(pcm)
    assert af.ulaw_encode(pcm.tobytes()) == expected
    assert af.ulaw_encode(bytearray(pcm.tobytes())) == expected
    assert af.ulaw_encode(memoryview(pcm.tobytes())) == expected
    assert af.ulaw_encode(array.array("h", pcm.tolist())) == expected
    assert af.ulaw_encode(pcm.astype(np.float32) / np.float32(32768)) == expected


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_floats_are_scaled_rounded_and_clipped(dtype: type[np.floating]) -> None:
    # -0.0, a subnormal, and the largest finite value of each type (float64's beyond
    # float32's range saturates on its way through float32).
    big = np.finfo(dtype).max
    x = np.array([0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5 / 32768, 1e-40, big, -big], dtype=dtype)
    expected = np.array([0, 0, 32767, -32768, 32767, -32768, 1, 0, 32767, -32768], dtype=np.int16)
    assert af.l16_decode(af.l16_encode(x)).tolist() == expected.tolist()


def test_non_contiguous_arrays_are_copied() -> None:
    pcm = np.arange(-500, 500, dtype=np.int16) * 31
    assert af.ulaw_encode(pcm[::3]) == af.ulaw_encode(pcm[::3].copy())
    f = pcm.astype(np.float32)[::2] / 32768
    assert af.alaw_encode(f) == af.alaw_encode(f.copy())


def test_empty_input_gives_empty_output() -> None:
    empty = np.zeros(0, dtype=np.int16)
    assert af.ulaw_encode(empty) == b""
    assert af.alaw_decode(b"").shape == (0,)
    assert af.l16_encode(empty, "big") == b""
    assert af.decode_payload("", "mulaw").dtype == np.int16
    assert af.encode_payload(empty, "l16") == ""


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros(4, dtype=np.int32),
        np.zeros(4, dtype=np.float16),
        np.zeros((2, 2), dtype=np.int16),
        "not audio",
        12,
    ],
)
def test_wrong_types_raise_type_error_naming_what_is_accepted(bad: object) -> None:
    with pytest.raises(TypeError, match="int16, float32 or float64") as info:
        af.ulaw_encode(bad)  # type: ignore[arg-type]
    if isinstance(bad, np.ndarray):
        assert str(bad.dtype) in str(info.value) or bad.ndim == 2
        assert str(bad.shape) in str(info.value)


def test_decode_rejects_non_bytes() -> None:
    with pytest.raises(TypeError, match="bytes-like"):
        af.ulaw_decode("abc")  # type: ignore[arg-type]


# --- L16 -------------------------------------------------------------------------------


def test_l16_byte_orders() -> None:
    pcm = np.array([0x1234, -2], dtype=np.int16)
    assert af.l16_encode(pcm, "little") == b"\x34\x12\xfe\xff"
    assert af.l16_encode(pcm, "big") == b"\x12\x34\xff\xfe"
    assert af.l16_decode(b"\x12\x34\xff\xfe", "big").tolist() == [0x1234, -2]


def test_odd_l16_length_is_a_codec_error_naming_the_length() -> None:
    with pytest.raises(CodecError, match="got 3"):
        af.l16_decode(b"\x00\x01\x02")
    with pytest.raises(CodecError, match="got 5"):
        af.ulaw_encode(b"\x00\x01\x02\x03\x04")


def test_bad_byteorder_is_a_format_error() -> None:
    with pytest.raises(FormatError, match=r"\"middle\""):
        af.l16_decode(b"", "middle")


@given(pcm_arrays, st.sampled_from(["little", "big"]))
def test_l16_round_trip_is_exact(pcm: np.ndarray, order: str) -> None:
    assert np.array_equal(af.l16_decode(af.l16_encode(pcm, order), order), pcm)


# --- G.711 round trips -----------------------------------------------------------------


def _ulaw_step(x: np.ndarray) -> np.ndarray:
    # Quantisation step of the μ-law segment holding x (16-bit domain): 8 << segment.
    magnitude = np.minimum(np.abs(x.astype(np.int32)) >> 2, 8159) + 33
    segment = np.clip(np.floor(np.log2(magnitude)).astype(np.int32) - 5, 0, 7)
    return (8 << segment).astype(np.int32)


def _alaw_step(x: np.ndarray) -> np.ndarray:
    magnitude = np.abs(x.astype(np.int32)) >> 3
    segment = np.clip(np.floor(np.log2(np.maximum(magnitude, 1))).astype(np.int32) - 4, 0, 7)
    return (16 << np.maximum(segment - 1, 0) << (segment > 0)).astype(np.int32)


@given(pcm_arrays)
def test_ulaw_round_trip_within_quantisation_step(pcm: np.ndarray) -> None:
    back = af.ulaw_decode(af.ulaw_encode(pcm)).astype(np.int32)
    error = np.abs(back - pcm.astype(np.int32))
    # Within the step everywhere except beyond the clip level (|x| > 32635).
    # The step of the segment x or its reconstruction lies in (they differ at segment edges).
    step = np.maximum(_ulaw_step(pcm), _ulaw_step(back))
    inside = np.abs(pcm.astype(np.int32)) <= 32635
    assert np.all(error[inside] <= step[inside])


@given(pcm_arrays)
def test_alaw_round_trip_within_quantisation_step(pcm: np.ndarray) -> None:
    back = af.alaw_decode(af.alaw_encode(pcm)).astype(np.int32)
    error = np.abs(back - pcm.astype(np.int32))
    assert np.all(error <= np.maximum(_alaw_step(pcm), _alaw_step(back)))


# --- fused payloads --------------------------------------------------------------------

ENCODINGS = [
    "audio/x-mulaw",
    "audio/x-alaw",
    "audio/x-l16;rate=16000",
    "mulaw",
    "ulaw",
    "alaw",
    "l16",
]


@given(pcm_arrays, st.sampled_from(ENCODINGS), st.sampled_from(["little", "big"]))
def test_payload_round_trip_every_encoding(pcm: np.ndarray, encoding: str, order: str) -> None:
    text = af.encode_payload(pcm, encoding, order)
    assert isinstance(text, str)
    back = af.decode_payload(text, encoding, order)
    if "l16" in encoding:
        assert np.array_equal(back, pcm)
        raw = af.l16_encode(pcm, order)
    else:
        law = "ulaw" if "mu" in encoding or "ulaw" in encoding else "alaw"
        raw = getattr(af, f"{law}_encode")(pcm)
        assert np.array_equal(back, getattr(af, f"{law}_decode")(raw))
    assert base64.b64decode(text) == raw
    assert np.array_equal(af.decode_payload(text.encode(), encoding, order), back)


def test_payload_matches_stdlib_base64_on_a_real_frame() -> None:
    codes = bytes(range(160))
    text = base64.b64encode(codes).decode()
    assert len(text) == 216
    decoded = af.decode_payload(text, "audio/x-mulaw")
    assert decoded.tobytes() == audioop.ulaw2lin(codes, 2)


def test_media_format_is_accepted_as_encoding_and_its_byteorder_wins() -> None:
    pcm = np.array([1, 2, 3], dtype=np.int16)
    fmt = MediaFormat("audio/x-l16", 16000, "big")
    text = af.encode_payload(pcm, fmt)
    assert base64.b64decode(text) == af.l16_encode(pcm, "big")
    assert af.decode_payload(text, fmt).tolist() == [1, 2, 3]


def test_invalid_base64_names_the_offset_of_the_first_bad_character() -> None:
    with pytest.raises(CodecError, match="offset 6"):
        af.decode_payload("AAAAAA!A", "mulaw")
    with pytest.raises(CodecError, match="invalid base64"):
        af.decode_payload("AAAAA", "mulaw")


def test_unknown_encoding_lists_the_allowed_ones() -> None:
    with pytest.raises(FormatError) as info:
        af.decode_payload("AAAA", "audio/opus")
    message = str(info.value)
    assert "audio/opus" in message
    for allowed in ("audio/x-mulaw", "audio/x-alaw", "audio/x-l16"):
        assert allowed in message


def test_odd_l16_payload_is_a_codec_error() -> None:
    with pytest.raises(CodecError, match="got 3"):
        af.decode_payload(base64.b64encode(b"abc").decode(), "l16")


def test_large_inputs_take_the_gil_free_path_and_agree(speech_16k: np.ndarray) -> None:
    text = af.encode_payload(speech_16k, "mulaw")
    assert np.array_equal(
        af.decode_payload(text, "mulaw"), af.ulaw_decode(af.ulaw_encode(speech_16k))
    )


# --- no panic reaches Python -----------------------------------------------------------

ANY_BYTES = st.binary(max_size=3000)


@given(ANY_BYTES)
def test_decoders_never_panic(data: bytes) -> None:
    for fn in (af.ulaw_decode, af.alaw_decode):
        assert len(fn(data)) == len(data)
    for order in ("little", "big"):
        try:
            assert len(af.l16_decode(data, order)) == len(data) // 2
        except CodecError:
            assert len(data) % 2


def _check_payload_decode(text: str | bytes, encoding: str) -> None:
    """Decode ``text``: a CodecError, or int16 samples that encode back to the same bytes."""
    try:
        pcm = af.decode_payload(text, encoding)
    except CodecError:
        return
    assert pcm.dtype == np.int16 and pcm.ndim == 1
    # Padding is optional to the decoder; the reference needs it.
    padded = text + ("=" if isinstance(text, str) else b"=") * (-len(text) % 4)
    raw = base64.b64decode(padded)
    bytes_per_sample = MediaFormat.parse(encoding, default_rate=8000).bytes_per_sample
    assert len(pcm) * bytes_per_sample == len(raw)
    again = af.decode_payload(af.encode_payload(pcm, encoding), encoding)
    assert np.array_equal(again, pcm)


@given(ANY_BYTES, st.sampled_from(ENCODINGS))
def test_payload_decoder_never_panics_on_any_bytes(data: bytes, encoding: str) -> None:
    _check_payload_decode(data, encoding)


@given(st.text(max_size=500), st.sampled_from(ENCODINGS))
def test_payload_decoder_never_panics_on_any_text(text: str, encoding: str) -> None:
    _check_payload_decode(text, encoding)


@given(st.text(max_size=60))
def test_encoding_parser_never_panics(name: str) -> None:
    with contextlib.suppress(FormatError):
        af.decode_payload("", name)


@given(ANY_BYTES)
def test_encoders_never_panic_on_any_bytes(data: bytes) -> None:
    for fn in (af.ulaw_encode, af.alaw_encode, af.l16_encode):
        try:
            fn(data)
        except CodecError:
            assert len(data) % 2


@given(arrays(st.sampled_from([np.float32, np.float64]), st.integers(0, 500)))
def test_encoders_never_panic_on_any_float(x: np.ndarray) -> None:
    if np.isfinite(x).all():
        assert len(af.ulaw_encode(x)) == len(x)
        assert len(af.encode_payload(x, "alaw")) == 4 * ((len(x) + 2) // 3)
        return
    for encode in (af.ulaw_encode, lambda x: af.encode_payload(x, "alaw")):
        with pytest.raises(CodecError, match=r"^pcm\[\d+\] is (nan|inf|-inf): ") as info:
            encode(x)
        assert info.value.kind == "bad_value"
