"""Per-minute billing of forked audio (PROTOCOL §1, "Stream object").

A stream is billed from the moment its audio starts flowing to the app until it ends:
``bill_duration`` is that time in whole seconds (a started second counts), the charge is
in 60 s pulses rounded up (``rounded_bill_duration``: 44 s → 60, 61 s → 120), and
``billed_amount`` is the pulses times the rate per minute, a decimal string with five
places as the platform writes it (``"0.00300"``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from audiofork.errors import ValidationError

__all__ = ["PULSE_S", "Bill", "Tariff"]

#: Length of one billing pulse, in seconds.
PULSE_S = 60
_PLACES = 5  # decimal places of billed_amount


@dataclass(frozen=True)
class Bill:
    """What a stream costs so far."""

    bill_duration: int
    rounded_bill_duration: int
    billed_amount: str


class Tariff:
    """A rate per minute of forked audio; :meth:`bill` prices a duration."""

    __slots__ = ("rate_per_minute",)

    def __init__(self, rate_per_minute: Decimal | str | int = "0.003") -> None:
        if isinstance(rate_per_minute, bool) or not isinstance(
            rate_per_minute, (Decimal, str, int)
        ):
            raise ValidationError(
                f"rate_per_minute must be a decimal number, got {rate_per_minute!r}"
            )
        try:
            rate = Decimal(str(rate_per_minute).strip())
        except InvalidOperation:
            rate = Decimal("NaN")
        if not rate.is_finite() or rate < 0:
            raise ValidationError(
                f"rate_per_minute must be a non-negative decimal number, got {rate_per_minute!r}"
            )
        self.rate_per_minute = rate

    def bill(self, seconds: float) -> Bill:
        """The bill for ``seconds`` of forked audio (rounded to the millisecond first, so
        float noise such as 44.0000001 s does not start a new second)."""
        if not math.isfinite(seconds) or seconds < 0:
            raise ValidationError(f"seconds must be a non-negative number, got {seconds!r}")
        whole = math.ceil(round(seconds, 3))
        pulses = -(-whole // PULSE_S)
        # In exact integers (units of 10**-PLACES, half up): Decimal arithmetic would round
        # to its context's 28 digits, and quantize() raise, for a large rate or duration.
        numerator, denominator = self.rate_per_minute.as_integer_ratio()
        units, remainder = divmod(numerator * pulses * 10**_PLACES, denominator)
        if 2 * remainder >= denominator:
            units += 1
        whole_part, fraction = divmod(units, 10**_PLACES)
        return Bill(whole, pulses * PULSE_S, f"{whole_part}.{fraction:0{_PLACES}d}")

    def __repr__(self) -> str:
        return f"Tariff(rate_per_minute={str(self.rate_per_minute)!r})"
