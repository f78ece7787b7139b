"""The checks of :class:`~audiofork.StreamSession`'s arguments, and which formats
``playAudio`` can carry."""

from __future__ import annotations

from audiofork._checks import check_int
from audiofork.errors import FormatError
from audiofork.formats import ALLOWED_RATES, MediaFormat

__all__ = ["check_options", "playable"]

# What playAudio can carry: L16 and μ-law (not A-law), at the rates each allows.
_PLAYABLE = {
    (mime, rate) for mime in ("audio/x-l16", "audio/x-mulaw") for rate in ALLOWED_RATES[mime]
}


def playable(media_format: MediaFormat) -> bool:
    """Whether ``playAudio`` can carry ``media_format``."""
    return (media_format.encoding, media_format.sample_rate) in _PLAYABLE


def check_options(
    app_rate: object,
    app_dtype: object,
    playback_format: object,
    frame_ms: object,
    hold_after_clear: object,
    clock: object,
) -> None:
    """``TypeError`` or ``FormatError``/``ArgumentError`` naming the first argument that is
    wrong; the core checks the rest (rates, quality) as the session builds its codecs."""
    if playback_format is not None and not isinstance(playback_format, MediaFormat):
        raise TypeError(f"playback_format must be a MediaFormat or None, got {playback_format!r}")
    if not callable(clock):
        raise TypeError(f"clock must be a callable returning seconds, got {clock!r}")
    if not isinstance(hold_after_clear, bool):
        raise TypeError(f"hold_after_clear must be a bool, got {hold_after_clear!r}")
    if playback_format is not None and not playable(playback_format):
        raise FormatError(
            f"playback_format: {playback_format.content_type} cannot be sent in playAudio"
            " (L16 at 8000, 16000 or 24000 Hz, or μ-law at 8000 Hz)",
            kind="bad_encoding",
        )
    check_int("app_rate", app_rate, 1)
    check_int("frame_ms", frame_ms, 1)
    if app_dtype not in ("int16", "float32"):
        if not isinstance(app_dtype, str):
            raise TypeError(f"app_dtype must be a str, got {app_dtype!r}")
        raise FormatError(f"app_dtype must be 'int16' or 'float32', got {app_dtype!r}")
