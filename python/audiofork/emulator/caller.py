"""What the caller of a live call can do besides the audio the emulator was started with:
press keys, talk (over the app's audio, for barge-in), stop talking, hang up.

These are the emulator's own: the platform has no API for them, since on a real line a
person does them. The REST endpoints under ``/emulator/v1`` and the
:class:`~audiofork.emulator.Emulator`'s methods both act through these functions, so they
check the same things and answer the same way:

- Keys go to every connected stream of the call that forks the caller's track, one
  ``dtmf`` message per key, ``spacing_ms`` apart (whole frames; the first at once).
- Talk goes to every live stream of the call that forks the caller's track, from its next
  frame, after the talk already waiting: it replaces the caller audio while it plays
  (``replace``, the default; that audio runs on muted underneath) or is mixed over it
  (``mix``). A stream started later does not hear it.
- Hanging up as the caller ends the call with the cause ``caller_hangup``; every stream
  gets ``stop`` first.

Everything is checked before anything is sent: a request that cannot be done whole does
nothing. Bad values raise :class:`~audiofork.errors.ValidationError` or
:class:`~audiofork.errors.ArgumentError` naming the field (a REST 400); a call that is not
in progress or has no stream to take the action raises
:class:`~audiofork.errors.StreamStateError`, and a full queue
:class:`~audiofork.errors.BufferOverflowError` (both a REST 409).
"""

from __future__ import annotations

import io
import logging
import math
import wave
from dataclasses import dataclass

import numpy as np

from audiofork._checks import check_int
from audiofork.emulator.audio import AudioSource, Pcm
from audiofork.emulator.calls import Call
from audiofork.emulator.stream import TALK_OVER_MAX_S, StreamRunner
from audiofork.errors import ArgumentError, BufferOverflowError, StreamStateError, ValidationError
from audiofork.platform import (
    DTMF_SPACING_MS,
    FRAME_MS,
    MAX_DTMF_SPACING_MS,
    PcmInput,
    TalkMode,
    check_digits,
    check_talk_mode,
)
from audiofork.samples import read_wav
from audiofork.vobiz import _params

__all__ = [
    "CALLER_HANGUP",
    "MAX_DIGITS",
    "MAX_TALK_S",
    "SPOKEN_AUDIO",
    "Spoken",
    "clip_of",
    "hang_up",
    "press_keys",
    "seconds_param",
    "stop_talking",
    "talk",
    "wav_clip",
]

_log = logging.getLogger("audiofork.emulator")

#: The hangup cause of a call the caller hung up.
CALLER_HANGUP = "caller_hangup"
#: Keys in one press, at most.
MAX_DIGITS = 32
#: The longest talk one request may queue, and the most that waits per stream (seconds).
MAX_TALK_S = TALK_OVER_MAX_S
#: Samples a resampler may give beyond the rate ratio; room checked with this much to spare,
#: so a talk checked to fit every stream is never refused by one after another took it.
_RESAMPLER_SLACK = 64
#: What ``audio`` may name over REST (a WAV is sent as the request body instead).
SPOKEN_AUDIO = ("speech", "silence", "tone", "tone:<Hz>")


@dataclass(frozen=True)
class Spoken:
    """What a talk did: the streams that will say it and how long it lasts."""

    stream_ids: tuple[str, ...]
    duration_ms: float


def _live(call: Call) -> None:
    if call.status != "in-progress":
        raise StreamStateError(f"call {call.uuid} is {call.status}, not in progress")


def _caller_runners(call: Call, *, connected: bool) -> list[StreamRunner]:
    runners = [
        fork.runner
        for fork in call.forks
        if fork.live
        and fork.runner is not None  # an outside driver plays its own caller
        and fork.runner.forks_caller
        and (fork.runner.connected or not connected)
    ]
    if not runners:
        what = "connected stream" if connected else "live stream"
        raise StreamStateError(f"call {call.uuid} has no {what} that forks the caller's track")
    return runners


def press_keys(call: Call, digits: str, spacing_ms: int = DTMF_SPACING_MS) -> tuple[str, ...]:
    """Press ``digits`` (``0``-``9``, ``*``, ``#``, ``A``-``D``, at most :data:`MAX_DIGITS`)
    on every connected stream that forks the caller's track; their ids."""
    check_digits(digits)
    if len(digits) > MAX_DIGITS:
        raise ArgumentError(f"digits must be at most {MAX_DIGITS} keys, got {len(digits)}")
    spacing_ms = _params.integer("spacing_ms", spacing_ms, FRAME_MS, MAX_DTMF_SPACING_MS)
    _live(call)
    runners = _caller_runners(call, connected=True)
    for runner in runners:
        if runner.keys_room < len(digits):
            raise BufferOverflowError(
                f"stream {runner.stream_id} has {runner.keys_room} keys of room left, "
                f"{len(digits)} pressed: wait for the keys already pressed to go out"
            )
    for runner in runners:
        runner.press(digits, spacing_ms)
    ids = tuple(runner.stream_id for runner in runners)
    _log.info(
        "call %s: the caller pressed %s (%d ms apart) on %s",
        call.uuid,
        digits,
        spacing_ms,
        ", ".join(ids),
    )
    return ids


def talk(call: Call, pcm: PcmInput, rate: int, mode: TalkMode = "replace") -> Spoken:
    """The caller says ``pcm`` (mono int16/float32 or int16 bytes at ``rate`` Hz, at most
    :data:`MAX_TALK_S` seconds) on every live stream that forks the caller's track."""
    mode = check_talk_mode(mode)
    rate = check_int("rate", rate, 1)
    samples = len(pcm) if isinstance(pcm, np.ndarray) else memoryview(pcm).nbytes // 2
    if samples == 0:
        raise ArgumentError("audio: there is nothing to say (no samples)")
    duration_s = samples / rate
    if duration_s > MAX_TALK_S:
        raise ArgumentError(
            f"audio: {duration_s:.1f} s is longer than the {MAX_TALK_S:g} s allowed"
        )
    _live(call)
    runners = _caller_runners(call, connected=False)
    for runner in runners:
        needed = math.ceil(samples * runner.rate / rate) + _RESAMPLER_SLACK
        if needed > runner.talk_room():
            raise BufferOverflowError(
                f"stream {runner.stream_id} has {runner.talk_room() / runner.rate:.1f} s of "
                f"talk room left, {duration_s:.1f} s asked: stop talking first"
            )
    for runner in runners:
        runner.talk(pcm, rate, mode)
    ids = tuple(runner.stream_id for runner in runners)
    _log.info(
        "call %s: the caller says %.1f s (%s) on %s", call.uuid, duration_s, mode, ", ".join(ids)
    )
    return Spoken(ids, duration_s * 1000)


def stop_talking(call: Call) -> tuple[str, ...]:
    """Drop what the caller was still to say on every live stream that forks the caller's
    track (the caller audio plays on); their ids."""
    _live(call)
    runners = _caller_runners(call, connected=False)
    for runner in runners:
        runner.stop_talking()
    return tuple(runner.stream_id for runner in runners)


def hang_up(call: Call) -> None:
    """Hang up as the caller (idempotent): the cause is ``caller_hangup``."""
    call.hangup(CALLER_HANGUP)


def clip_of(audio: str, seconds: float | None = None) -> tuple[Pcm, int]:
    """The clip ``audio`` names, ``(samples, rate)``: ``"speech"`` (the bundled sample),
    ``"silence"``, ``"tone"`` or ``"tone:<Hz>"`` (both need ``seconds``), or a WAV path;
    a recording is cut to its first ``seconds``."""
    if seconds is not None:
        seconds = seconds_param(seconds)
    return AudioSource.from_spec(audio).clip(seconds)


def seconds_param(value: object, name: str = "seconds") -> float:
    """A number of seconds in ``(0, MAX_TALK_S]``, as a number or its text."""
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            number = math.nan
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    else:
        number = math.nan
    if not 0 < number <= MAX_TALK_S:
        raise ValidationError(
            f"{name} must be a number of seconds above 0 and at most {MAX_TALK_S:g}, "
            f"got {_params.shown(value)}"
        )
    return number


def wav_clip(data: bytes) -> tuple[Pcm, int]:
    """A mono 16-bit PCM WAV file's samples and rate (:class:`ValidationError` if it is
    not one, or holds no audio)."""
    try:
        pcm, rate = read_wav(io.BytesIO(data))
    except (wave.Error, EOFError, ValueError, RuntimeError) as exc:
        detail = str(exc) or type(exc).__name__
        raise ValidationError(f"the body is not a mono 16-bit PCM WAV file: {detail}") from None
    if len(pcm) == 0:
        raise ValidationError("the WAV file holds no audio")
    return pcm, rate
