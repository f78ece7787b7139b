"""One-shot codec functions: G.711 μ-law/A-law, L16, fused base64 payloads.

PCM arguments accept a 1-D ``int16`` numpy array, a 1-D ``float32`` or ``float64`` array in
[-1, 1] (scaled by 32768, rounded half away from zero, clipped to full scale; float64 is
converted to float32 in the core first, with no copy made in Python), or any bytes-like
object of little-endian int16 samples. Float samples must be finite: NaN or ±inf raises
``CodecError`` (kind ``bad_value``) naming the argument and the sample's index, for every
call that takes PCM. :func:`pcm_array` gives PCM in any of these forms as an array.
Decoders return ``int16`` numpy arrays. All G.711 work is bit-exact with ITU-T G.711 as
CPython's ``audioop`` implements it.

The ``lin2ulaw``/``ulaw2lin``/``lin2alaw``/``alaw2lin`` functions are drop-in replacements
for the ``audioop`` functions of the same names (removed from Python in 3.13) for 16-bit
fragments.
"""

from __future__ import annotations

from audiofork._core import (
    alaw2lin,
    alaw_decode,
    alaw_encode,
    decode_payload,
    encode_payload,
    l16_decode,
    l16_encode,
    lin2alaw,
    lin2ulaw,
    pcm_array,
    ulaw2lin,
    ulaw_decode,
    ulaw_encode,
)

__all__ = [
    "alaw2lin",
    "alaw_decode",
    "alaw_encode",
    "decode_payload",
    "encode_payload",
    "l16_decode",
    "l16_encode",
    "lin2alaw",
    "lin2ulaw",
    "pcm_array",
    "ulaw2lin",
    "ulaw_decode",
    "ulaw_encode",
]
