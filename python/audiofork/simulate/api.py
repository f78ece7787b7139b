"""One-call entry points shared by the command line and the pytest plugin: the audio and
scenario a run is asked for, its gates, and :func:`simulated_call`."""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any

from audiofork.errors import ArgumentError, ValidationError
from audiofork.samples import read_wav
from audiofork.simulate.batch import simulate
from audiofork.simulate.placement import AnswerUrl
from audiofork.simulate.report import GATES, Gate, Report
from audiofork.simulate.runner import CallOptions
from audiofork.simulate.scenario import (
    Clip,
    Scenario,
    default_audio,
    default_scenario,
    load_scenario,
)

__all__ = ["gates_from", "load_audio", "resolve_scenario", "simulated_call"]


def load_audio(path: str | Path | None) -> Clip:
    """The caller's audio: a mono 16-bit WAV, or the bundled speech for ``None``."""
    if path is None:
        return default_audio()
    try:
        pcm, rate = read_wav(str(path))
    except (OSError, EOFError, ValueError, wave.Error) as exc:
        raise ValidationError(f"audio: {path} cannot be read as a mono 16-bit WAV: {exc}") from None
    if len(pcm) == 0:
        raise ValidationError(f"audio: {path} holds no samples")
    return Clip(str(path), pcm, rate)


def resolve_scenario(
    scenario: str | Path | Scenario | None, audio: Clip, duration_s: float | None = None
) -> Scenario:
    """A :class:`Scenario` as given, read from a TOML path or bundled name, or the default
    (say the audio, listen, hang up) for ``None``."""
    if scenario is None:
        return default_scenario(audio, duration_s)
    if isinstance(scenario, Scenario):
        return scenario
    return load_scenario(scenario, audio=audio)


def gates_from(limits: dict[str, float | None]) -> list[Gate]:
    """Gates from ``{"first_audio": ms, ...}`` (``None`` values are left out)."""
    unknown = set(limits) - set(GATES)
    if unknown:
        raise ValidationError(f"gates: unknown gate(s) {sorted(unknown)}; known: {list(GATES)}")
    return [Gate(name, float(limit)) for name, limit in limits.items() if limit is not None]


async def simulated_call(
    url: str | None = None,
    *,
    answer_url: str | None = None,
    auth_token: str | None = None,
    scenario: str | Path | Scenario | None = None,
    audio: str | Path | None = None,
    calls: int = 1,
    repeat: int = 1,
    max_first_audio_ms: float | None = None,
    max_response_ms: float | None = None,
    max_barge_in_ms: float | None = None,
    max_gap_ms: float | None = None,
    **options: Any,
) -> Report:
    """Simulated call(s) against the app's WebSocket ``url``, or placed through the
    emulator to its ``answer_url`` (``auth_token`` signs the answer request and the status
    callbacks); the report. ``options`` are :class:`CallOptions` fields (``dialect``,
    ``speed``, ``impairment``…); with ``answer_url`` the ``<Stream>`` sets ``content_type``,
    ``tracks`` and ``extra_headers``, so giving them is an ``ArgumentError``."""
    if (url is None) == (answer_url is None):
        raise ArgumentError("give exactly one of url (the app's WebSocket) and answer_url")
    set_by_stream = sorted({"content_type", "tracks", "extra_headers"} & options.keys())
    if answer_url is not None and set_by_stream:
        raise ArgumentError(
            f"{', '.join(set_by_stream)}: with answer_url the app's <Stream> sets the stream's "
            "format, tracks and extra headers"
        )
    answer = None if answer_url is None else AnswerUrl(answer_url, auth_token=auth_token)
    clip = load_audio(audio)
    limits = {
        "first_audio": max_first_audio_ms,
        "response": max_response_ms,
        "barge_in": max_barge_in_ms,
        "gap": max_gap_ms,
    }
    duration = options.pop("duration_s", None)
    target = url if url is not None else answer_url
    assert target is not None
    call = CallOptions(url=target, scenario=resolve_scenario(scenario, clip, duration), **options)
    return await simulate(
        call, audio=clip, calls=calls, repeat=repeat, gates=gates_from(limits), answer=answer
    )
