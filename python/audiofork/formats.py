"""Media formats: encoding, sample rate and byte order, and wire content types."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from audiofork import _core
from audiofork.errors import FormatError

__all__ = ["ALLOWED_RATES", "ByteOrder", "MediaFormat"]

ByteOrder = Literal["little", "big"]

#: Sample rates each encoding allows on a telephony stream (PROTOCOL: μ-law only at 8 kHz,
#: L16 at 8, 16 and 24 kHz; A-law, like μ-law, is defined at 8 kHz by G.711).
ALLOWED_RATES: dict[str, tuple[int, ...]] = {
    "audio/x-mulaw": (8000,),
    "audio/x-alaw": (8000,),
    "audio/x-l16": (8000, 16000, 24000),
}


@dataclass(frozen=True)
class MediaFormat:
    """How a stream's audio is carried: ``MediaFormat("audio/x-l16", 16000)``.

    ``encoding`` takes a wire content type (``"audio/x-mulaw"``) or an alias (``"mulaw"``,
    ``"ulaw"``, ``"alaw"``, ``"l16"``) and is stored in its canonical wire form. ``byteorder``
    matters only for L16. With ``strict=True`` (the default) only the combinations telephony
    platforms allow are accepted (see :data:`ALLOWED_RATES`); ``strict=False`` allows any
    positive rate. ``strict`` takes no part in equality or hashing.
    """

    encoding: str
    sample_rate: int
    byteorder: ByteOrder = "little"
    strict: bool = field(default=True, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.encoding, str):
            raise TypeError(f"encoding must be a str, got {type(self.encoding).__name__}")
        mime, rate = _core.parse_content_type(self.encoding)
        if isinstance(self.sample_rate, bool) or not isinstance(self.sample_rate, int):
            raise FormatError(f"sample_rate must be an int, got {self.sample_rate!r}")
        if self.sample_rate <= 0:
            raise FormatError(f"sample_rate must be positive, got {self.sample_rate}")
        if rate is not None and rate != self.sample_rate:
            raise FormatError(
                f"encoding {self.encoding!r} says rate={rate} but sample_rate is {self.sample_rate}"
            )
        object.__setattr__(self, "encoding", mime)
        object.__setattr__(self, "byteorder", _core.check_byteorder(self.byteorder))
        allowed = ALLOWED_RATES[mime]
        if self.strict and self.sample_rate not in allowed:
            raise FormatError(
                f"sample_rate {self.sample_rate} is not allowed for {mime} "
                f"(allowed: {', '.join(map(str, allowed))}); pass strict=False for other rates"
            )

    @classmethod
    def parse(
        cls,
        content_type: str,
        *,
        byteorder: ByteOrder = "little",
        strict: bool = True,
        default_rate: int | None = None,
    ) -> MediaFormat:
        """Parse ``"audio/x-l16;rate=16000"``. G.711 types without ``;rate=`` mean 8000 Hz;
        L16 without a rate takes ``default_rate`` or raises :class:`FormatError`."""
        mime, rate = _core.parse_content_type(content_type)
        if rate is None:
            rate = default_rate if default_rate is not None else _implied_rate(mime, content_type)
        return cls(mime, rate, byteorder, strict=strict)

    @property
    def content_type(self) -> str:
        """The wire content type with its rate, e.g. ``"audio/x-l16;rate=16000"``."""
        return f"{self.encoding};rate={self.sample_rate}"

    @property
    def bytes_per_sample(self) -> int:
        """1 for G.711, 2 for L16."""
        return _core.bytes_per_sample(self.encoding)

    def samples_per_frame(self, ms: int = 20) -> int:
        """Samples in ``ms`` milliseconds; raises :class:`FormatError` if not whole."""
        samples, remainder = divmod(self.sample_rate * ms, 1000)
        if ms <= 0 or remainder:
            raise FormatError(
                f"{ms} ms is not a whole, positive number of samples at {self.sample_rate} Hz"
            )
        return samples

    def bytes_per_frame(self, ms: int = 20) -> int:
        """Wire bytes in ``ms`` milliseconds: 160 for 20 ms of μ-law, 640 for L16/16k."""
        return self.samples_per_frame(ms) * self.bytes_per_sample


def _implied_rate(mime: str, content_type: str) -> int:
    if mime == "audio/x-l16":
        raise FormatError(f"content type {content_type!r} needs a rate, e.g. {mime};rate=8000")
    return 8000
