"""``audiofork demo``: the bundled speech through every codec, with sizes, SNR and timings."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from functools import partial
from typing import TextIO

import numpy as np
import numpy.typing as npt

import audiofork as af
from audiofork import InboundDecoder, Media, MediaFormat, OutboundEncoder, Resampler, wire
from audiofork.samples import speech, speech_ulaw

Pcm = npt.NDArray[np.int16]


def snr_db(reference: Pcm, decoded: Pcm) -> float:
    """Signal-to-noise ratio of ``decoded`` against ``reference``, in dB."""
    ref = reference.astype(np.float64)
    noise = decoded.astype(np.float64) - ref
    noise_power = float(np.sum(noise * noise))
    if noise_power == 0.0:
        return float("inf")
    return 10.0 * float(np.log10(np.sum(ref * ref) / noise_power))


def best_time_us(fn: Callable[[], object], repeat: int) -> float:
    """Fastest of ``repeat`` runs of ``fn``, in microseconds."""
    best = float("inf")
    for _ in range(max(repeat, 1)):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best * 1e6


def _payload_frames(pcm: Pcm, encoding: str, frame: int) -> list[str]:
    return [af.encode_payload(pcm[i : i + frame], encoding) for i in range(0, len(pcm), frame)]


def _decode_frames(frames: list[str], encoding: str) -> list[Pcm]:
    return [af.decode_payload(f, encoding) for f in frames]


def _phone_line(pcm: Pcm, repeat: int, out: TextIO) -> None:
    """The whole stream path: 16 kHz → 8 kHz μ-law media messages → 16 kHz, and back out."""
    wire_format = MediaFormat("audio/x-mulaw", 8000)
    frames = af.ulaw_encode(af.resample(pcm, 16000, 8000))
    messages = [
        wire.media(
            "demo",
            base64.b64encode(frames[i : i + 160]).decode(),
            sequence_number=n,
            chunk=n,
            timestamp_ms=20 * n,
        )
        for n, i in enumerate(range(0, len(frames) - 159, 160))
    ]

    def inbound() -> Pcm:
        decoder = InboundDecoder(wire_format, 16000)
        chunks: list[Pcm] = []
        for message in messages:
            event = decoder.decode_message(message)
            assert isinstance(event, Media) and event.pcm is not None
            chunks.append(event.pcm.astype(np.int16, copy=False))
        return np.concatenate(chunks)

    def outbound() -> list[str]:
        encoder = OutboundEncoder(wire_format, "demo")
        return [m for i in range(0, len(pcm), 480) for m in encoder.push(pcm[i : i + 480], 16000)]

    heard = inbound()
    # Against the same speech band-limited to the phone line's 4 kHz, so the figure is what
    # μ-law and streaming cost; the streaming resampler's declared delay is taken off.
    band_limited = af.resample(af.resample(pcm, 16000, 8000), 8000, 16000)
    delay = Resampler(8000, 16000).delay_samples
    aligned = heard[delay:]
    snr = snr_db(band_limited[: len(aligned)], aligned)
    inbound_us = best_time_us(inbound, repeat) / len(messages)
    sent = outbound()
    outbound_us = best_time_us(outbound, repeat) / len(sent)
    out.write(
        f"phone line, {len(messages)} media messages (μ-law 8 kHz ↔ 16 kHz app audio):\n"
        f"  InboundDecoder.decode_message  {inbound_us:6.2f} µs per 20 ms frame, "
        f"SNR {snr:.1f} dB after {delay} samples of declared delay\n"
        f"  OutboundEncoder.push           {outbound_us:6.2f} µs per playAudio frame "
        f"({len(sent)} frames)\n\n"
    )


def run(repeat: int, out: TextIO) -> None:
    """Print one line per codec for the bundled speech sample."""
    pcm, _ = speech(16000)
    seconds = len(pcm) / 16000
    out.write(
        f"audiofork {af.__version__} demo: {seconds:.2f} s of speech, 16 kHz mono int16 "
        f"({pcm.nbytes:,} bytes)\n\n"
    )
    header = f"{'codec':<28}{'bytes':>10}{'SNR dB':>9}{'encode µs':>11}{'decode µs':>11}"
    out.write(header + "\n" + "-" * len(header) + "\n")

    codecs: list[tuple[str, Callable[[Pcm], bytes], Callable[[bytes], Pcm]]] = [
        ("G.711 μ-law", af.ulaw_encode, af.ulaw_decode),
        ("G.711 A-law", af.alaw_encode, af.alaw_decode),
        ("L16 little-endian", lambda p: af.l16_encode(p, "little"), af.l16_decode),
        ("L16 big-endian", lambda p: af.l16_encode(p, "big"), lambda b: af.l16_decode(b, "big")),
    ]
    for name, encode, decode in codecs:
        data = encode(pcm)
        decoded = decode(data)
        out.write(
            f"{name:<28}{len(data):>10,}{snr_db(pcm, decoded):>9.1f}"
            f"{best_time_us(partial(encode, pcm), repeat):>11.1f}"
            f"{best_time_us(partial(decode, data), repeat):>11.1f}\n"
        )

    for encoding, label in (("audio/x-mulaw", "μ-law"), ("audio/x-l16", "L16")):
        frame = 320  # 20 ms at 16 kHz
        frames = _payload_frames(pcm, encoding, frame)
        decoded = np.concatenate(_decode_frames(frames, encoding))
        chars = sum(len(f) for f in frames)
        encode_us = best_time_us(partial(_payload_frames, pcm, encoding, frame), repeat)
        decode_us = best_time_us(partial(_decode_frames, frames, encoding), repeat)
        out.write(
            f"{'base64 ' + label + ' 20 ms frames':<28}{chars:>10,}{snr_db(pcm, decoded):>9.1f}"
            f"{encode_us / len(frames):>11.2f}{decode_us / len(frames):>11.2f}\n"
        )
    out.write("  (base64 rows: µs per 20 ms frame; other rows: µs for the whole sample)\n\n")

    _phone_line(pcm, repeat, out)

    line = speech_ulaw()
    phone = af.ulaw_decode(line)
    level = 20 * np.log10(np.sqrt(np.mean(phone.astype(np.float64) ** 2)) / 32768)
    out.write(
        f"bundled 8 kHz μ-law line recording: {len(line):,} bytes, "
        f"{len(line) / 8000:.2f} s, RMS {level:.1f} dBFS\n"
    )
