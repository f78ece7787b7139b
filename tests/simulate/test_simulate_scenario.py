"""Scenarios are checked whole before any socket opens; errors name the step and field."""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from audiofork.errors import ValidationError
from audiofork.simulate import BUNDLED, bundled_scenario, load_scenario, parse_scenario
from audiofork.simulate.scenario import (
    BargeIn,
    Dtmf,
    Expect,
    Hangup,
    Say,
    Silence,
    StopStream,
    WaitFor,
)


def parse(*steps: Any, **top: Any) -> Any:
    return parse_scenario({"name": "t", "steps": list(steps), **top}, source="t.toml")


def test_every_step_kind_parses() -> None:
    scn = parse(
        {"say": "speech:0-1.5"},
        {"silence": 0.5},
        {"dtmf": "12#", "spacing_ms": 200},
        {"wait_for": "checkpoint", "name": "greeting", "timeout_s": 3},
        {"expect": "quiet", "within_ms": 800, "quiet_ms": 300},
        {"barge_in": "audio:1-2", "after_ms": 0},
        {"stop_stream": True},
        {"hangup": True},
    )
    kinds = [type(step) for step in scn.steps]
    assert kinds == [Say, Silence, Dtmf, WaitFor, Expect, BargeIn, StopStream, Hangup]
    say = scn.steps[0]
    assert isinstance(say, Say) and say.clip.seconds == pytest.approx(1.5)
    assert scn.steps[2] == Dtmf("12#", 200)
    assert scn.steps[3] == WaitFor("checkpoint", 3.0, "greeting", 600.0)


def test_the_bundled_scenarios_load() -> None:
    names = {bundled_scenario(name).name for name in BUNDLED}
    assert names == {"greeting", "barge-in", "dtmf-menu"}
    assert all(bundled_scenario(name).ends_call for name in BUNDLED)


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ({"say": "speech:0-1", "silence": 1}, "step 1: field 'kind' needs exactly one of"),
        ({"timeout_s": 1}, "field 'kind' needs exactly one of"),
        (
            {"wait_for": "audio", "timout_s": 1},
            "step 1 (wait_for): field 'timout_s' is not an option",
        ),
        ({"wait_for": "greeting"}, "step 1 (wait_for): field 'wait_for' must be one of audio"),
        ({"wait_for": "audio", "timeout_s": -1}, "field 'timeout_s' must be a number in (0, 3600]"),
        ({"wait_for": "audio", "name": "x"}, "field 'name' applies to checkpoint and playedStream"),
        ({"expect": "audio"}, "step 1 (expect): field 'within_ms' is required"),
        ({"say": "speech:5-99"}, "step 1 (say): field 'say' clip 'speech:5-99' must be speech:A-B"),
        ({"say": "missing.wav"}, "field 'say' names a WAV file that cannot be read"),
        ({"dtmf": "12x"}, "step 1 (dtmf): field 'dtmf' is not a string of keys"),
        ({"silence": True}, "field 'silence' must be a number"),
        ({"hangup": False}, "step 1 (hangup): field 'hangup' must be true"),
        ({"barge_in": "speech", "after_ms": "soon"}, "field 'after_ms' must be a number"),
    ],
)
def test_an_invalid_step_is_named(step: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse(step)
    assert message in str(caught.value)
    assert str(caught.value).startswith("scenario t.toml")


def test_the_second_step_is_counted_from_one() -> None:
    with pytest.raises(ValidationError, match=r"step 2 \(silence\)"):
        parse({"silence": 1}, {"silence": "long"})


def test_top_level_fields_are_checked() -> None:
    with pytest.raises(ValidationError, match="field 'steps' must be a non-empty array"):
        parse_scenario({"name": "x", "steps": []})
    with pytest.raises(ValidationError, match="field 'stpes' is not a scenario field"):
        parse_scenario({"name": "x", "stpes": []})


def test_files_wav_clips_and_toml_errors(tmp_path: Path) -> None:
    clip = tmp_path / "hello.wav"
    with wave.open(str(clip), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(np.full(1600, 3000, "<i2").tobytes())
    good = tmp_path / "ok.toml"
    good.write_text('name = "ok"\n[[steps]]\nsay = "hello.wav"\n[[steps]]\nhangup = true\n')
    scn = load_scenario(good)
    assert isinstance(scn.steps[0], Say) and scn.steps[0].clip.rate == 16000
    bad = tmp_path / "bad.toml"
    bad.write_text("name = \n")
    with pytest.raises(ValidationError, match="not valid TOML"):
        load_scenario(bad)
    with pytest.raises(ValidationError, match="cannot be read"):
        load_scenario(tmp_path / "absent.toml")
