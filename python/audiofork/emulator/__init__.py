"""The Vobiz platform, locally: calls, the Stream REST API, forked WebSocket streams with
playout and checkpoints, signed status callbacks, billing and recordings.

Run it with ``audiofork emulator`` or in-process with :class:`Emulator`; point a voice app
written for the real platform at it unchanged.
"""

from __future__ import annotations

from audiofork.emulator.billing import Bill, Tariff
from audiofork.emulator.callbacks import RetrySchedule
from audiofork.emulator.config import EmulatorConfig, parse_account
from audiofork.emulator.server import Emulator, serve

__all__ = [
    "Bill",
    "Emulator",
    "EmulatorConfig",
    "RetrySchedule",
    "Tariff",
    "parse_account",
    "serve",
]
