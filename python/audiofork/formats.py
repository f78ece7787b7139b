"""Media formats: encoding, sample rate and byte order, and wire content types.

:class:`MediaFormat` lives in the Rust core (so decoders and events share it without
conversion); this module re-exports it with the rates each encoding allows.
"""

from __future__ import annotations

from typing import Literal

from audiofork._core import MediaFormat, allowed_rates_for

__all__ = ["ALLOWED_RATES", "ByteOrder", "MediaFormat"]

ByteOrder = Literal["little", "big"]

#: Sample rates each encoding allows with ``strict=True``: μ-law and A-law at 8 kHz (G.711),
#: L16 at 8, 16 and 24 kHz (what Vobiz accepts).
ALLOWED_RATES: dict[str, tuple[int, ...]] = {
    mime: tuple(allowed_rates_for(mime))
    for mime in ("audio/x-mulaw", "audio/x-alaw", "audio/x-l16")
}
