"""The ``stats`` dicts of the per-frame pipelines, as typed dicts with unambiguous keys."""

from __future__ import annotations

from typing import TypedDict

__all__ = ["InboundStats", "OutboundStats"]


class InboundStats(TypedDict):
    """``InboundDecoder.stats``."""

    #: ``media`` frames decoded.
    frames_decoded: int
    #: Wire payload bytes (before base64) decoded.
    payload_bytes: int
    #: ``media`` frames refused as malformed.
    frames_refused: int


class OutboundStats(TypedDict):
    """``OutboundEncoder.stats``."""

    #: ``playAudio`` messages emitted.
    frames_emitted: int
    #: Wire payload bytes (before base64) encoded.
    payload_bytes: int
    #: Samples at the wire rate dropped by ``clear()``.
    samples_cleared: int
