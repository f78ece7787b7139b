"""InboundDecoder and OutboundEncoder: fused per-frame paths against the one-shot pieces."""

from __future__ import annotations

import base64
import contextlib
import json
from typing import Literal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import audiofork as af
from audiofork import InboundDecoder, MediaFormat, OutboundEncoder, ProtocolError, Resampler, wire

ULAW8K = MediaFormat("audio/x-mulaw", 8000)
L16_16K = MediaFormat("audio/x-l16", 16000)


def _media_messages(
    pcm: np.ndarray, fmt: MediaFormat, frame: int, track: str = "inbound"
) -> list[str]:
    messages = []
    for i, start in enumerate(range(0, len(pcm), frame)):
        payload = af.encode_payload(pcm[start : start + frame], fmt)
        messages.append(
            wire.media(
                "s", payload, sequence_number=i + 1, chunk=i + 1, timestamp_ms=20 * i, track=track
            )
        )
    return messages


def test_decode_message_gives_media_with_resampled_pcm(speech_16k: np.ndarray) -> None:
    ulaw = af.ulaw_encode(af.resample(speech_16k, 16000, 8000))
    codes = np.frombuffer(ulaw, dtype=np.uint8)
    messages = [
        wire.media(
            "s",
            base64.b64encode(codes[i : i + 160]).decode(),
            sequence_number=n,
            chunk=n,
            timestamp_ms=20 * n,
        )
        for n, i in enumerate(range(0, len(codes) - 159, 160))
    ]
    decoder = InboundDecoder(ULAW8K, 16000)
    reference = Resampler(8000, 16000)
    for text in messages[:50]:
        event = decoder.decode_message(text)
        assert isinstance(event, af.Media)
        assert event.pcm.dtype == np.int16 and len(event.pcm) == 320
        expected = reference.process(af.decode_payload(event.payload, "mulaw"))
        assert np.array_equal(event.pcm, expected)
    assert decoder.stats == {"frames_decoded": 50, "payload_bytes": 50 * 160, "frames_refused": 0}


def test_other_events_pass_through() -> None:
    decoder = InboundDecoder(ULAW8K, 16000)
    assert decoder.decode_message(wire.played_stream("g")) == af.PlayedStream(name="g")
    start = decoder.decode_message(wire.start("s", ULAW8K, call_id="c"))
    assert isinstance(start, af.Start)


def test_float_output_and_same_rate() -> None:
    decoder = InboundDecoder(L16_16K, out_dtype="float32")
    pcm = np.arange(-320, 320, 2, dtype=np.int16)
    out = decoder.decode_payload(af.encode_payload(pcm, L16_16K))
    assert out.dtype == np.float32
    assert np.array_equal(out, pcm.astype(np.float32) / 32768)


def test_float_output_is_the_float_resampler_of_the_decoded_frame(
    speech_16k: np.ndarray,
) -> None:
    pcm8 = af.resample(speech_16k[:8000], 16000, 8000)
    decoder = InboundDecoder(ULAW8K, 16000, out_dtype="float32")
    reference = Resampler(8000, 16000)
    for text in _media_messages(pcm8, ULAW8K, 160):
        event = decoder.decode_message(text)
        assert isinstance(event, af.Media)
        assert event.pcm.dtype == np.float32 and len(event.pcm) == 320
        frame = af.decode_payload(event.payload, "mulaw").astype(np.float32) / 32768
        assert np.array_equal(event.pcm, reference.process(frame))


def test_tracks_keep_separate_resampler_state(speech_16k: np.ndarray) -> None:
    pcm8 = af.resample(speech_16k[:16000], 16000, 8000)
    inbound = _media_messages(pcm8, ULAW8K, 160, "inbound")
    outbound = _media_messages(pcm8[::-1].copy(), ULAW8K, 160, "outbound")
    mixed, alone = InboundDecoder(ULAW8K, 16000), InboundDecoder(ULAW8K, 16000)
    for a, b in zip(inbound, outbound, strict=True):
        got = mixed.decode_message(a)
        mixed.decode_message(b)
        assert np.array_equal(got.pcm, alone.decode_message(a).pcm)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '{"event":"media","media":{"payload":"AAAA!AAA"}}',
            "media.payload: invalid base64 at offset 4",
        ),
        (
            '{"event":"media","media":{"payload":"' + base64.b64encode(b"abc").decode() + '"}}',
            "media.payload: L16 data",
        ),
        ('{"event":"media","media":{"payload":', "not valid JSON"),
    ],
)
def test_malformed_media_is_a_protocol_error(text: str, message: str) -> None:
    decoder = InboundDecoder(L16_16K, 16000)
    with pytest.raises(ProtocolError, match=message):
        decoder.decode_message(text)


def test_decoder_rejects_bad_arguments() -> None:
    with pytest.raises(af.FormatError):
        InboundDecoder(ULAW8K, 12345)
    with pytest.raises(ValueError, match="out_dtype"):
        InboundDecoder(ULAW8K, 8000, out_dtype="int32")
    with pytest.raises(ProtocolError, match="limit 10"):
        InboundDecoder(ULAW8K, max_message_size=10).decode_message(wire.stop("stream"))


# --- outbound ------------------------------------------------------------------------------


def _decode_play_audio(messages: list[str]) -> tuple[np.ndarray, list[dict[str, object]]]:
    parsed = [json.loads(m) for m in messages]
    pcm = [af.decode_payload(p["media"]["payload"], p["media"]["contentType"]) for p in parsed]
    return (np.concatenate(pcm) if pcm else np.zeros(0, np.int16)), parsed


def test_push_emits_exact_frames_in_the_wire_format(speech_16k: np.ndarray) -> None:
    tts = af.resample(speech_16k, 16000, 24000)
    encoder = OutboundEncoder(ULAW8K, "stream-1")
    messages: list[str] = []
    rng = np.random.default_rng(1)
    position = 0
    while position < len(tts):
        size = int(rng.integers(1, 3000))
        messages += encoder.push(tts[position : position + size], 24000)
        position += size
        assert encoder.pending_ms < 20
    messages += encoder.flush()
    pcm, parsed = _decode_play_audio(messages)
    for p in parsed:
        assert p["event"] == "playAudio" and p["streamId"] == "stream-1"
        assert p["media"] == {**p["media"], "contentType": "audio/x-mulaw", "sampleRate": 8000}
        assert len(base64.b64decode(p["media"]["payload"])) == 160
    expected_len = len(tts) // 3
    assert expected_len <= len(pcm) < expected_len + 160 + Resampler(24000, 8000).delay_samples + 1
    assert encoder.stats["frames_emitted"] == len(messages)


def test_chunking_does_not_change_the_output(speech_16k: np.ndarray) -> None:
    pcm = speech_16k[:48000]
    one = OutboundEncoder(L16_16K, "s")
    whole = one.push(pcm, 16000) + one.flush()
    many = OutboundEncoder(L16_16K, "s")
    pieces: list[str] = []
    for start in range(0, len(pcm), 777):
        pieces += many.push(pcm[start : start + 777], 16000)
    assert pieces + many.flush() == whole


def test_same_rate_passes_samples_through_and_pads_the_last_frame() -> None:
    encoder = OutboundEncoder(L16_16K, "s", frame_ms=20)
    pcm = np.arange(1, 401, dtype=np.int16)
    first = encoder.push(pcm, 16000)
    assert len(first) == 1 and encoder.pending_ms == pytest.approx(5.0)
    rest = encoder.flush()
    out, _ = _decode_play_audio(first + rest)
    assert np.array_equal(out[:400], pcm) and not out[400:].any() and len(out) == 640


def test_clear_drops_pending_and_reports_ms() -> None:
    encoder = OutboundEncoder(L16_16K, "s")
    encoder.push(np.ones(400, dtype=np.int16), 16000)
    assert encoder.clear() == pytest.approx(5.0)
    assert encoder.flush() == []
    assert encoder.stats["samples_cleared"] == 80


def test_float_input_and_frame_ms() -> None:
    encoder = OutboundEncoder(MediaFormat("l16", 24000), "s", frame_ms=60)
    messages = encoder.push(np.zeros(4800, dtype=np.float32), 24000)
    assert len(messages) == 3
    with pytest.raises(af.FormatError):
        OutboundEncoder(MediaFormat("l16", 11025, strict=False), "s", frame_ms=1)
    with pytest.raises(af.FormatError):
        encoder.push(np.zeros(10, dtype=np.int16), 12345)


def test_stream_id_is_escaped() -> None:
    encoder = OutboundEncoder(ULAW8K, 'we"ird\\id')
    (message,) = encoder.push(np.zeros(160, dtype=np.int16), 8000)
    assert json.loads(message)["streamId"] == 'we"ird\\id'


@settings(max_examples=40)
@given(
    st.binary(max_size=2000),
    st.sampled_from(["inbound", "outbound"]),
    st.sampled_from(["int16", "float32"]),
)
def test_decoder_never_panics(
    data: bytes, track: Literal["inbound", "outbound"], dtype: Literal["int16", "float32"]
) -> None:
    decoder = InboundDecoder(ULAW8K, 16000, dtype)
    payload = base64.b64encode(data).decode()
    event = None
    with contextlib.suppress(ProtocolError):
        event = decoder.decode_message(data)
    assert event is None or isinstance(event, af.Event)
    # A media message of any μ-law bytes decodes: 2 samples at 16 kHz for each byte.
    media = wire.media("s", payload, sequence_number=1, chunk=1, timestamp_ms=1, track=track)
    event = decoder.decode_message(media)
    assert isinstance(event, af.Media) and event.track == track and event.pcm is not None
    assert event.pcm.dtype == np.dtype(dtype) and event.pcm.shape == (2 * len(data),)


def test_outbound_refuses_what_play_audio_cannot_carry() -> None:
    for fmt in (MediaFormat("alaw", 8000), MediaFormat("l16", 11025, strict=False)):
        with pytest.raises(af.FormatError, match="playAudio carries audio/x-l16 at 8000"):
            OutboundEncoder(fmt, "s")


def test_decoder_follows_a_new_start() -> None:
    decoder = InboundDecoder(ULAW8K, 16000)
    tone = (np.sin(np.arange(320) / 5) * 8000).astype(np.int16)
    decoder.decode_message(wire.start("s", L16_16K, call_id="c"))
    assert decoder.media_format == L16_16K
    (text,) = _media_messages(tone, L16_16K, 320)
    event = decoder.decode_message(text)
    assert isinstance(event, af.Media) and event.pcm is not None
    # Decoded as L16 at 16 kHz (no resampling to do), not as μ-law static.
    assert np.array_equal(event.pcm, tone)


def test_decoder_state_is_bounded_by_the_two_tracks() -> None:
    decoder = InboundDecoder(ULAW8K, 16000)
    for i in range(200):
        text = f'{{"event":"media","media":{{"track":"t{i}","payload":"AAAA"}}}}'
        with pytest.raises(ProtocolError, match=r"^media\.track: "):
            decoder.decode_message(text)
    assert decoder.stats["frames_decoded"] == 0


def test_a_decoder_that_does_not_follow_start_keeps_its_format() -> None:
    ulaw = af.MediaFormat.parse("audio/x-mulaw;rate=8000")
    decoder = af.InboundDecoder(ulaw, 16000, follow_start=False)
    l16 = af.MediaFormat.parse("audio/x-l16;rate=16000")
    start = af.wire.start("s", l16, call_id="c", account_id="a", tracks=["inbound"])
    assert isinstance(decoder.decode_message(start), af.Start)
    assert decoder.media_format == ulaw
    payload = af.encode_payload(np.zeros(160, np.int16), "mulaw")
    media = af.wire.media("s", payload, sequence_number=1, chunk=1, timestamp_ms=0)
    event = decoder.decode_message(media)
    assert isinstance(event, af.Media) and event.pcm is not None and len(event.pcm) == 320
