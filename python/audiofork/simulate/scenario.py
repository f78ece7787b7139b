"""Scenarios: what the simulated caller does, step by step, read from TOML and checked whole
before any socket opens.

A scenario is a ``name``, an optional ``description`` and an array of ``[[steps]]``; each
step is a table whose one *kind* key says what it does (the other keys are its options)::

    name = "greeting"

    [[steps]]
    wait_for = "audio"          # audio, playAudio, checkpoint, playedStream, clearAudio,
                                # quiet or stop
    timeout_s = 5

    [[steps]]
    say = "speech:0-2.5"        # a clip: speech[:A-B], audio[:A-B] or a WAV path

    [[steps]]
    expect = "playAudio"
    within_ms = 1500

    [[steps]]
    hangup = true

Kinds: ``say`` (a clip), ``silence`` (seconds, streaming silence), ``dtmf`` (keys;
``spacing_ms``), ``wait_for`` (an event, ``timeout_s``: the scenario stops there when it
times out), ``expect`` (an event ``within_ms``: a miss fails the step and the scenario goes
on), ``barge_in`` (a clip said once the app's audio has played ``after_ms``; ``timeout_s``
for that audio to start; the step ends as the caller starts talking, and the clip plays on
under the next steps), ``hangup`` and ``stop_stream`` (``= true``). ``checkpoint`` and
``playedStream`` targets take an optional ``name``; ``quiet`` a ``quiet_ms``.

Clips: ``speech`` is the bundled speech sample, ``audio`` the run's ``--audio`` file (the
speech when none), either cut to ``A-B`` seconds; anything else is a mono 16-bit WAV path,
relative to the scenario file. Errors (:class:`~audiofork.errors.ValidationError`) name the
file, the step and the field.
"""

from __future__ import annotations

import math
import sys
import wave
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TypeAlias

import numpy as np
import numpy.typing as npt

from audiofork.errors import ValidationError
from audiofork.platform import MAX_PENDING_KEYS, check_digits
from audiofork.samples import read_wav, speech

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = [
    "BUNDLED",
    "TARGETS",
    "BargeIn",
    "Clip",
    "Dtmf",
    "Expect",
    "Hangup",
    "Say",
    "Scenario",
    "Silence",
    "Step",
    "StopStream",
    "WaitFor",
    "bundled_scenario",
    "default_audio",
    "default_scenario",
    "load_scenario",
    "parse_scenario",
]

Pcm = npt.NDArray[np.int16]
Target: TypeAlias = Literal[
    "audio", "playAudio", "checkpoint", "playedStream", "clearAudio", "quiet", "stop"
]
#: What ``wait_for`` and ``expect`` wait for: the app's audio heard (audible), a
#: ``playAudio`` received (any), the app's ``checkpoint``, its ``playedStream`` answer, a
#: ``clearAudio``, the app quiet (nothing audible heard and nothing queued for ``quiet_ms``),
#: the app ending the stream.
TARGETS: tuple[str, ...] = (
    "audio",
    "playAudio",
    "checkpoint",
    "playedStream",
    "clearAudio",
    "quiet",
    "stop",
)
#: The scenarios shipped in the package (``--scenario greeting`` finds them by name).
BUNDLED = ("greeting", "barge_in", "dtmf_menu")
MAX_SECONDS = 3600.0


@dataclass(frozen=True)
class Clip:
    """Audio the caller says: ``pcm`` at ``rate`` Hz, ``source`` as written."""

    source: str
    pcm: Pcm
    rate: int

    @property
    def seconds(self) -> float:
        return len(self.pcm) / self.rate


@dataclass(frozen=True)
class Say:
    clip: Clip
    kind: str = "say"


@dataclass(frozen=True)
class Silence:
    seconds: float
    kind: str = "silence"


@dataclass(frozen=True)
class Dtmf:
    digits: str
    spacing_ms: int = 100
    kind: str = "dtmf"


@dataclass(frozen=True)
class WaitFor:
    target: Target
    timeout_s: float = 10.0
    name: str | None = None
    quiet_ms: float = 600.0
    kind: str = "wait_for"


@dataclass(frozen=True)
class Expect:
    target: Target
    within_ms: float
    name: str | None = None
    quiet_ms: float = 600.0
    kind: str = "expect"


@dataclass(frozen=True)
class BargeIn:
    clip: Clip
    after_ms: float = 300.0
    timeout_s: float = 10.0
    kind: str = "barge_in"


@dataclass(frozen=True)
class Hangup:
    kind: str = "hangup"


@dataclass(frozen=True)
class StopStream:
    kind: str = "stop_stream"


Step: TypeAlias = Say | Silence | Dtmf | WaitFor | Expect | BargeIn | Hangup | StopStream

#: Each kind's options besides the kind key itself.
_OPTIONS: dict[str, frozenset[str]] = {
    "say": frozenset(),
    "silence": frozenset(),
    "dtmf": frozenset({"spacing_ms"}),
    "wait_for": frozenset({"timeout_s", "name", "quiet_ms"}),
    "expect": frozenset({"within_ms", "name", "quiet_ms"}),
    "barge_in": frozenset({"after_ms", "timeout_s"}),
    "hangup": frozenset(),
    "stop_stream": frozenset(),
}


@dataclass(frozen=True)
class Scenario:
    name: str
    steps: tuple[Step, ...]
    description: str = ""
    source: str = ""  # the file it was read from, or "" when built in code

    @property
    def ends_call(self) -> bool:
        return any(isinstance(step, (Hangup, StopStream)) for step in self.steps)


class _Where:
    """Builds error messages that name the file, the step and the field."""

    def __init__(self, source: str, index: int | None = None, kind: str | None = None) -> None:
        self.source, self.index, self.kind = source, index, kind

    def error(self, field: str, problem: str) -> ValidationError:
        where = f"scenario {self.source}"
        if self.index is not None:
            where += f": step {self.index + 1}" + (f" ({self.kind})" if self.kind else "")
        return ValidationError(f"{where}: field {field!r} {problem}")


def _number(where: _Where, field: str, value: object, low: float, high: float) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not ok or not (low < float(value) <= high):  # type: ignore[arg-type]
        raise where.error(field, f"must be a number in ({low:g}, {high:g}], got {value!r:.60}")
    return float(value)  # type: ignore[arg-type]


def _text(where: _Where, field: str, value: object, limit: int = 200) -> str:
    if not isinstance(value, str) or not value or len(value) > limit:
        raise where.error(field, f"must be a non-empty string of at most {limit} characters")
    return value


def _clip(where: _Where, field: str, value: object, audio: Clip, base: Path) -> Clip:
    text = _text(where, field, value, 1000)
    name, sep, span = text.partition(":")
    if name in ("speech", "audio"):
        pcm, rate = speech() if name == "speech" else (audio.pcm, audio.rate)
        if sep:
            start, dash, end = span.partition("-")
            try:
                a, b = float(start), float(end)
            except ValueError:
                a = b = math.nan
            total = len(pcm) / rate
            if not dash or not (0 <= a < b <= total + 1e-9):
                raise where.error(
                    field, f"clip {text!r} must be {name}:A-B with 0 <= A < B <= {total:.2f} s"
                )
            pcm = pcm[round(a * rate) : round(b * rate)]
        return Clip(text, pcm, rate)
    path = Path(text) if Path(text).is_absolute() else base / text
    try:
        pcm, rate = read_wav(str(path))
    except (OSError, EOFError, ValueError, wave.Error) as exc:
        raise where.error(field, f"names a WAV file that cannot be read: {exc}") from None
    if len(pcm) == 0:
        raise where.error(field, f"names an empty WAV file: {text!r}")
    return Clip(text, pcm, rate)


def _target(where: _Where, field: str, value: object) -> Target:
    if value not in TARGETS:
        raise where.error(field, f"must be one of {', '.join(TARGETS)}, got {value!r:.60}")
    return value  # type: ignore[return-value]


def _step(where: _Where, table: Mapping[str, Any], audio: Clip, base: Path) -> Step:
    kinds = [key for key in table if key in _OPTIONS]
    if len(kinds) != 1:
        found = ", ".join(kinds) if kinds else "none"
        raise where.error("kind", f"needs exactly one of {', '.join(_OPTIONS)}; found {found}")
    kind = kinds[0]
    where.kind = kind
    for key in table:
        if key != kind and key not in _OPTIONS[kind]:
            allowed = ", ".join(sorted(_OPTIONS[kind])) or "none"
            raise where.error(key, f"is not an option of {kind} (options: {allowed})")
    value = table[kind]
    if kind == "say":
        return Say(_clip(where, kind, value, audio, base))
    if kind == "silence":
        return Silence(_number(where, kind, value, 0, MAX_SECONDS))
    if kind == "dtmf":
        try:
            digits = check_digits(value, "dtmf")
        except (TypeError, ValueError) as exc:
            raise where.error(kind, f"is not a string of keys: {exc}") from None
        if len(digits) > MAX_PENDING_KEYS:
            raise where.error(kind, f"holds {len(digits)} keys; at most {MAX_PENDING_KEYS}")
        spacing = _number(where, "spacing_ms", table.get("spacing_ms", 100), 19, 60_000)
        return Dtmf(digits, int(spacing))
    if kind in ("wait_for", "expect"):
        target = _target(where, kind, value)
        name = table.get("name")
        if name is not None:
            name = _text(where, "name", name)
            if target not in ("checkpoint", "playedStream"):
                raise where.error("name", f"applies to checkpoint and playedStream, not {target}")
        quiet = _number(where, "quiet_ms", table.get("quiet_ms", 600), 0, MAX_SECONDS * 1000)
        if kind == "wait_for":
            timeout = _number(where, "timeout_s", table.get("timeout_s", 10), 0, MAX_SECONDS)
            return WaitFor(target, timeout, name, quiet)
        if "within_ms" not in table:
            raise where.error("within_ms", "is required")
        within = _number(where, "within_ms", table["within_ms"], 0, MAX_SECONDS * 1000)
        return Expect(target, within, name, quiet)
    if kind == "barge_in":
        clip = _clip(where, kind, value, audio, base)
        after = table.get("after_ms", 300)
        after_ms = 0.0 if after == 0 else _number(where, "after_ms", after, 0, 60_000)
        timeout = _number(where, "timeout_s", table.get("timeout_s", 10), 0, MAX_SECONDS)
        return BargeIn(clip, after_ms, timeout)
    if value is not True:
        raise where.error(kind, f"must be true, got {value!r:.60}")
    return Hangup() if kind == "hangup" else StopStream()


def parse_scenario(
    data: Mapping[str, Any],
    *,
    audio: Clip | None = None,
    source: str = "<scenario>",
    base: Path | None = None,
) -> Scenario:
    """A scenario from its parsed TOML, every step and clip checked and loaded."""
    audio = audio if audio is not None else default_audio()
    base = base if base is not None else Path.cwd()
    where = _Where(source)
    for key in data:
        if key not in ("name", "description", "steps"):
            raise where.error(key, "is not a scenario field (name, description, steps)")
    name = _text(where, "name", data.get("name", Path(source).stem or "scenario"))
    description = data.get("description", "")
    if not isinstance(description, str):
        raise where.error("description", "must be a string")
    steps = data.get("steps")
    if not isinstance(steps, list) or not steps:
        raise where.error("steps", "must be a non-empty array of tables ([[steps]])")
    if len(steps) > 10_000:
        raise where.error("steps", f"holds {len(steps)} steps; at most 10000")
    parsed = []
    for index, table in enumerate(steps):
        if not isinstance(table, Mapping):
            raise _Where(source, index).error("steps", "must hold tables")
        parsed.append(_step(_Where(source, index), table, audio, base))
    return Scenario(name, tuple(parsed), description, source)


def load_scenario(path: str | Path, *, audio: Clip | None = None) -> Scenario:
    """Read a TOML scenario file, or a bundled one by name (:data:`BUNDLED`)."""
    text_path = str(path)
    if text_path in BUNDLED:
        resource = resources.files("audiofork.simulate") / "scenarios" / f"{text_path}.toml"
        text, source, base = resource.read_text(encoding="utf-8"), text_path, Path.cwd()
    else:
        file = Path(path)
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValidationError(f"scenario {file}: cannot be read: {exc}") from None
        source, base = str(file), file.parent
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(f"scenario {source}: not valid TOML: {exc}") from None
    return parse_scenario(data, audio=audio, source=source, base=base)


def bundled_scenario(name: str, *, audio: Clip | None = None) -> Scenario:
    """One of the scenarios shipped in the package (:data:`BUNDLED`)."""
    if name not in BUNDLED:
        raise ValidationError(f"scenario: {name!r} is not bundled ({', '.join(BUNDLED)})")
    return load_scenario(name, audio=audio)


def default_audio() -> Clip:
    """The bundled speech as a clip."""
    pcm, rate = speech()
    return Clip("speech", pcm, rate)


def default_scenario(audio: Clip, duration_s: float | None = None, tail_s: float = 2.0) -> Scenario:
    """What a run without ``--scenario`` does: say ``audio``, stream silence for ``tail_s``
    (or up to ``duration_s`` of call time in all), hang up."""
    if duration_s is not None:
        said = min(audio.seconds, duration_s)
        clip = Clip(audio.source, audio.pcm[: round(said * audio.rate)], audio.rate)
        tail = duration_s - said
    else:
        clip, tail = audio, tail_s
    steps: list[Step] = [Say(clip)] if len(clip.pcm) else []
    if tail > 0:
        steps.append(Silence(tail))
    return Scenario("audio", (*steps, Hangup()), "say the audio, then listen, then hang up")
