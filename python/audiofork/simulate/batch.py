"""A whole run: ``calls`` concurrent calls, ``repeat`` times over, then the report.

Call numbers run from 1 across the repeats, and each call's impairment is seeded with the
run's seed and its number, so a run is reproducible as a whole.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Sequence
from typing import Any

import aiohttp

from audiofork.simulate.report import Gate, Report, build_report
from audiofork.simulate.runner import CallOptions, CallResult, run_call
from audiofork.simulate.scenario import Clip

__all__ = ["run_description", "simulate"]


def run_description(options: CallOptions, audio: Clip, calls: int, repeat: int) -> dict[str, Any]:
    """What a run was: the report's ``run`` section, and what a baseline must match."""
    digest = hashlib.sha256(audio.pcm.tobytes()).hexdigest()[:16]
    return {
        "url": options.url,
        "scenario": options.scenario.name,
        "scenario_steps": [step.kind for step in options.scenario.steps],
        "audio": {
            "source": audio.source,
            "sha256": digest,
            "rate": audio.rate,
            "seconds": round(audio.seconds, 3),
        },
        "content_type": options.content_type,
        "tracks": list(options.tracks),
        "impairment": options.impairment.to_json(),
        "seed": options.seed,
        "calls": calls,
        "repeat": repeat,
        "speed": options.speed,
    }


async def simulate(
    options: CallOptions,
    *,
    audio: Clip,
    calls: int = 1,
    repeat: int = 1,
    gates: Sequence[Gate] = (),
    on_call: Callable[[CallResult], None] | None = None,
) -> Report:
    """Run the calls and return the report. ``on_call`` sees each call's (live) result as it
    starts, for a progress display."""
    results: list[CallResult] = []
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        for round_index in range(repeat):
            numbers = range(round_index * calls + 1, (round_index + 1) * calls + 1)
            batch = await asyncio.gather(
                *(run_call(options, n, session=session, on_start=on_call) for n in numbers)
            )
            results.extend(batch)
    return build_report(run_description(options, audio, calls, repeat), results, gates)
