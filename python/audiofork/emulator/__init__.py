"""The Vobiz platform, locally: calls, the Stream REST API, forked WebSocket streams with
playout and checkpoints, signed status callbacks, billing and recordings.

Run it with ``audiofork emulator`` or in-process with :class:`Emulator`; point a voice app
written for the real platform at it unchanged. In-process, :meth:`Emulator.call_info`
(a :class:`CallInfo` with a :class:`StreamInfo` and :class:`StreamStats` per stream),
:meth:`Emulator.call_ended` and :meth:`Emulator.captured_audio` watch what the REST API does
not show, and :attr:`Emulator.clock` is the clock an app's session takes under ``speed``.

The caller of a live call can act, which the platform has no API for: press keys, talk over
the app, stop talking, hang up (:meth:`Emulator.send_dtmf`, :meth:`Emulator.speak`,
:meth:`Emulator.stop_speaking`, :meth:`Emulator.hangup`; the emulator-only REST endpoints
under ``/emulator/v1``; ``audiofork caller`` through
:class:`audiofork.emulator.client.CallerClient`). The console at ``/``
(:mod:`audiofork.emulator.console`) shows the calls live in a browser and makes the
browser's microphone a call's caller.
"""

from __future__ import annotations

from audiofork.emulator.billing import Bill, Tariff
from audiofork.emulator.callbacks import RetrySchedule
from audiofork.emulator.calls import CallInfo
from audiofork.emulator.config import EmulatorConfig, parse_account
from audiofork.emulator.forks import StreamInfo
from audiofork.emulator.server import Emulator, serve
from audiofork.emulator.stream import StreamStats

__all__ = [
    "Bill",
    "CallInfo",
    "Emulator",
    "EmulatorConfig",
    "RetrySchedule",
    "StreamInfo",
    "StreamStats",
    "Tariff",
    "parse_account",
    "serve",
]
