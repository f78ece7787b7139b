"""Scripted callers against a voice app's WebSocket endpoint: ``audiofork simulate``.

The simulator plays the platform (a :class:`~audiofork.platform.PlatformStream` over an
aiohttp WebSocket client) and a scripted caller (:mod:`~audiofork.simulate.scenario`) on a
line with seeded impairment (:mod:`~audiofork.simulate.impairment`), logs every frame and
message with its call time (:mod:`~audiofork.simulate.log`), and derives the figures
(:mod:`~audiofork.simulate.metrics`), the gates and the report
(:mod:`~audiofork.simulate.report`) from that log. ``docs/simulate.md`` has the details.
"""

from __future__ import annotations

from audiofork.simulate.batch import run_description, simulate
from audiofork.simulate.impairment import Impairment
from audiofork.simulate.report import Gate, GateResult, Report
from audiofork.simulate.runner import CallOptions, CallResult, StepOutcome, run_call
from audiofork.simulate.scenario import (
    BUNDLED,
    Clip,
    Scenario,
    bundled_scenario,
    default_audio,
    default_scenario,
    load_scenario,
    parse_scenario,
)

__all__ = [
    "BUNDLED",
    "CallOptions",
    "CallResult",
    "Clip",
    "Gate",
    "GateResult",
    "Impairment",
    "Report",
    "Scenario",
    "StepOutcome",
    "bundled_scenario",
    "default_audio",
    "default_scenario",
    "load_scenario",
    "parse_scenario",
    "run_call",
    "run_description",
    "simulate",
]
