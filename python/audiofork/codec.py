"""One-shot codec functions: G.711 μ-law/A-law, L16, fused base64 payloads.

PCM arguments accept a 1-D ``int16`` numpy array, a 1-D ``float32`` array in [-1, 1]
(scaled by 32768, rounded half away from zero, clipped; NaN becomes 0), or any bytes-like
object of little-endian int16 samples. Decoders return ``int16`` numpy arrays. All G.711
work is bit-exact with ITU-T G.711 as CPython's ``audioop`` implements it.

The ``lin2ulaw``/``ulaw2lin``/``lin2alaw``/``alaw2lin`` functions are drop-in replacements
for the ``audioop`` functions of the same names (removed from Python in 3.13) for 16-bit
fragments.
"""

from __future__ import annotations

from audiofork._core import (
    alaw_decode,
    alaw_encode,
    decode_payload,
    encode_payload,
    l16_decode,
    l16_encode,
    ulaw_decode,
    ulaw_encode,
)
from audiofork.errors import FormatError

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
    "ulaw2lin",
    "ulaw_decode",
    "ulaw_encode",
]


def _require_width_2(width: int) -> None:
    if width != 2:
        raise FormatError(
            f"width must be 2 (16-bit samples); width {width!r} is not supported by audiofork"
        )


def lin2ulaw(fragment: bytes | bytearray | memoryview, width: int) -> bytes:
    """``audioop.lin2ulaw`` for 16-bit little-endian fragments."""
    _require_width_2(width)
    return ulaw_encode(fragment)


def ulaw2lin(fragment: bytes | bytearray | memoryview, width: int) -> bytes:
    """``audioop.ulaw2lin`` for 16-bit output: little-endian int16 bytes."""
    _require_width_2(width)
    return ulaw_decode(fragment).tobytes()


def lin2alaw(fragment: bytes | bytearray | memoryview, width: int) -> bytes:
    """``audioop.lin2alaw`` for 16-bit little-endian fragments."""
    _require_width_2(width)
    return alaw_encode(fragment)


def alaw2lin(fragment: bytes | bytearray | memoryview, width: int) -> bytes:
    """``audioop.alaw2lin`` for 16-bit output: little-endian int16 bytes."""
    _require_width_2(width)
    return alaw_decode(fragment).tobytes()
