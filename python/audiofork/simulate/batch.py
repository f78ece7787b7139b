"""A whole run: ``calls`` concurrent calls, ``repeat`` times over, then the report.

Call numbers run from 1 across the repeats, and each call's impairment is seeded with the
run's seed and its number, so a run is reproducible as a whole. With an answer URL the calls
go through an in-process emulator (:mod:`audiofork.simulate.placed`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

import aiohttp

from audiofork.errors import ArgumentError
from audiofork.simulate.report import Gate, Report, build_report
from audiofork.simulate.runner import CallOptions, CallResult, run_call
from audiofork.simulate.scenario import Clip

if TYPE_CHECKING:
    from audiofork.simulate.placement import AnswerUrl

__all__ = ["run_description", "simulate"]


def run_description(
    options: CallOptions,
    audio: Clip,
    calls: int,
    repeat: int,
    answer: AnswerUrl | None = None,
) -> dict[str, Any]:
    """What a run was: the report's ``run`` section, and what a baseline must match."""
    digest = hashlib.sha256(audio.pcm.tobytes()).hexdigest()[:16]
    return {
        "url": options.url if answer is None else answer.url,
        "answer_url": answer is not None,
        "dialect": options.dialect.value,
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
    answer: AnswerUrl | None = None,
) -> Report:
    """Run the calls and return the report. ``on_call`` sees each call's (live) result as it
    starts, for a progress display. With ``answer`` each call is placed through the
    emulator to that answer URL, and ``options.url`` is replaced by the stream's."""
    for name, count in (("calls", calls), ("repeat", repeat)):
        if isinstance(count, bool) or not isinstance(count, int):
            raise TypeError(f"{name} must be an integer, got {count!r:.40}")
        if count < 1:
            raise ArgumentError(f"{name} must be a positive integer, got {count}")
    results: list[CallResult] = []
    async with contextlib.AsyncExitStack() as stack:
        connector = aiohttp.TCPConnector(limit=0)
        session = await stack.enter_async_context(aiohttp.ClientSession(connector=connector))
        place: Callable[[int], Awaitable[CallResult]]
        if answer is None:
            place = functools.partial(run_call, options, session=session, on_start=on_call)
        else:
            from audiofork.simulate.placed import PlacedCalls  # the emulator, only when used

            placed = PlacedCalls(options, answer, session, on_call)
            place = (await stack.enter_async_context(placed)).call
        for round_index in range(repeat):
            numbers = range(round_index * calls + 1, (round_index + 1) * calls + 1)
            results.extend(await asyncio.gather(*(place(n) for n in numbers)))
    run = run_description(options, audio, calls, repeat, answer)
    return build_report(run, results, gates)
