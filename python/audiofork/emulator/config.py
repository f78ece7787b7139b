"""What an emulator is started with: accounts, tariff, speed, audio and recordings."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from audiofork.dialects import Dialect, check_dialect
from audiofork.emulator.billing import Tariff
from audiofork.emulator.callbacks import RetrySchedule
from audiofork.emulator.exchange import MAX_ENDED_CALLS
from audiofork.errors import ValidationError
from audiofork.vobiz import _params

__all__ = ["EmulatorConfig", "parse_account"]


def parse_account(text: str) -> tuple[str, str]:
    """``"MA_XXXX:TOKEN"`` → ``("MA_XXXX", "TOKEN")``."""
    auth_id, sep, token = text.partition(":")
    if not sep or not auth_id or not token or not text.isprintable() or " " in text:
        raise ValidationError(f"account must be AUTH_ID:AUTH_TOKEN, got {auth_id!r}:<token>")
    return auth_id, token


def _positive(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValidationError(f"{name} must be a finite number, got {_params.shown(value)}")
    if value <= 0:
        raise ValidationError(f"{name} must be greater than 0, got {_params.shown(value)}")


@dataclass(frozen=True)
class EmulatorConfig:
    """The emulator's settings.

    ``accounts`` maps each auth id to its auth token. ``speed`` runs the virtual clock that
    paces audio, playout, timeouts and billing that many times faster than real time.
    ``caller_audio`` and ``callee_audio`` are audio specs (``"speech"``, ``"silence"``,
    ``"tone"``, ``"tone:440"`` or a WAV path) for every call's two parties; a finite caller
    audio hangs the call up ``hangup_grace_s`` virtual seconds after it ends (counted from
    the call's first stream start). ``answer_timeout_s`` (real seconds) bounds the answer
    URL fetch. ``max_ended_calls`` is how many ended calls the API and the status page keep
    (older ones are forgotten: 404). ``dialect`` is the streams' message shapes (a
    :class:`~audiofork.Dialect`); in Twilio's the answer URL returns TwiML
    (:mod:`audiofork.emulator.twiml`).
    """

    accounts: Mapping[str, str]
    rate_per_minute: Decimal | str = "0.003"
    speed: float = 1.0
    record_dir: Path | None = None
    caller_audio: str = "speech"
    callee_audio: str = "silence"
    hangup_grace_s: float = 1.5
    answer_timeout_s: float = 10.0
    callback_retry: RetrySchedule = field(default_factory=RetrySchedule)
    max_ended_calls: int = MAX_ENDED_CALLS
    dialect: Dialect | str = Dialect.VOBIZ

    def __post_init__(self) -> None:
        if not self.accounts:
            raise ValidationError("accounts must name at least one AUTH_ID:AUTH_TOKEN")
        for auth_id, token in self.accounts.items():
            parse_account(f"{auth_id}:{token}")
        Tariff(self.rate_per_minute)
        _positive("speed", self.speed)
        _positive("hangup_grace_s", self.hangup_grace_s)
        _positive("answer_timeout_s", self.answer_timeout_s)
        if isinstance(self.max_ended_calls, bool) or not isinstance(self.max_ended_calls, int):
            raise ValidationError(
                f"max_ended_calls must be an int, got {_params.shown(self.max_ended_calls)}"
            )
        _params.integer("max_ended_calls", self.max_ended_calls, 0, 10**9)
        object.__setattr__(self, "dialect", check_dialect(self.dialect) or Dialect.VOBIZ)
