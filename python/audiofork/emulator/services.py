"""What an emulator's calls and streams share."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from audiofork.dialects import Dialect
from audiofork.emulator.audio import AudioSource
from audiofork.emulator.billing import Tariff
from audiofork.emulator.callbacks import CallbackSender
from audiofork.emulator.clock import VirtualClock
from audiofork.emulator.driver import DriverFactory
from audiofork.emulator.logs import LOGGER_NAME, FloodLog
from audiofork.emulator.monitor import Monitors

__all__ = ["Services"]


@dataclass(frozen=True)
class Services:
    """One virtual clock, one HTTP client (answer URLs and callbacks), the callback sender,
    the tariff, both parties' audio, where to record, whether streams keep their sent
    and played audio in memory (``capture_audio``, for measuring an echo), the log for
    events that come in bursts, the streams' monitors (what the console shows), and who
    drives each stream's media (``stream_driver``; ``None``: the emulator's runner)."""

    clock: VirtualClock
    http: aiohttp.ClientSession
    callbacks: CallbackSender
    tariff: Tariff
    caller: AudioSource
    callee: AudioSource
    record_dir: Path | None
    hangup_grace_s: float
    answer_timeout_s: float
    capture_audio: bool = False
    dialect: Dialect = Dialect.VOBIZ
    log: FloodLog = field(default_factory=lambda: FloodLog(logging.getLogger(LOGGER_NAME)))
    monitors: Monitors = field(default_factory=Monitors)
    stream_driver: DriverFactory | None = None
