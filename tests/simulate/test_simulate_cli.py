"""``audiofork simulate`` and ``audiofork inspect`` as real subprocesses against the example
echo bot on loopback."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import wave
import xml.etree.ElementTree as ET
from pathlib import Path

from audiofork.samples import speech
from support.echo_process import ENV


def simulate(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "audiofork.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=ENV,
        timeout=120,
    )


def speech_wav(path: Path, seconds: float) -> Path:
    pcm, rate = speech(8000)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm[: round(seconds * rate)].astype("<i2").tobytes())
    return path


def test_fifty_concurrent_calls_to_the_echo_bot_lose_no_frames(
    echo_url: str, tmp_path: Path
) -> None:
    audio = speech_wav(tmp_path / "two.wav", 2.0)
    done = simulate(
        "simulate",
        echo_url,
        "--calls",
        "50",
        "--audio",
        str(audio),
        "--duration",
        "3",
        "--json",
        "r.json",
        "-q",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    counts = report["counts"]
    assert counts["calls"] == 50 and counts["calls_failed"] == 0
    assert counts["frames_lost"] == 0 and counts["media_dropped"] == 0
    assert counts["bad_messages"] == {}
    for call in report["calls"]:
        assert call["frames_sent"] >= 150
        # everything the caller said (2 s, then 1 s of silence) came back before the hangup
        assert call["play_audio_ms"] >= 2000, call
        assert call["play_audio_ms"] <= call["frames_sent"] * 20
    assert report["figures"]["first_audio_ms"]["n"] == 50


def test_a_failing_gate_exits_1_with_junit_trace_recordings_and_an_inspect_png(
    echo_url: str, tmp_path: Path
) -> None:
    audio = speech_wav(tmp_path / "one.wav", 1.0)
    done = simulate(
        "simulate",
        echo_url,
        "--audio",
        str(audio),
        "--duration",
        "1.5",
        "--speed",
        "3",
        "--max-first-audio-ms",
        "1",
        "--max-gap-ms",
        "5000",
        "--junit",
        "j.xml",
        "--trace",
        "t.jsonl",
        "--record",
        "rec",
        "-v",
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "gate first_audio: FAIL (time to first audio, worst call" in done.stdout
    assert "gate gap: PASS" in done.stdout
    assert "app playAudio" in done.stdout and "step 1 say: passed" in done.stdout  # -v
    assert "calls 1/1 done" in done.stderr  # the progress line
    suite = ET.fromstring((tmp_path / "j.xml").read_bytes())
    assert suite.get("failures") == "1"
    assert [c.get("name") for c in suite.findall("testcase")] == [
        "gate first_audio",
        "gate gap",
        "call 1",
    ]
    lines = (tmp_path / "t.jsonl").read_text().splitlines()
    assert json.loads(lines[0])["trace"] == "audiofork-simulate/1"
    assert json.loads(lines[-1])["kind"] == "summary"
    sent = [json.loads(line) for line in lines if '"kind": "sent"' in line]
    assert sent and all(len(r["hash"]) == 16 and "payload" not in r for r in sent)
    lengths = {}
    for name in ("caller", "played", "stereo"):
        with wave.open(str(tmp_path / "rec" / f"{name}.wav")) as w:
            lengths[name] = (w.getnchannels(), w.getnframes())
    assert (
        lengths["stereo"] == (2, lengths["caller"][1])
        and lengths["played"][1] == lengths["caller"][1]
    )
    shown = simulate("inspect", "t.jsonl", "--png", "t.png", cwd=tmp_path)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "start sim-0001-0" in shown.stdout and "gate first_audio: FAIL" in shown.stdout
    assert (tmp_path / "t.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_an_invalid_scenario_exits_2_naming_the_step_before_connecting(tmp_path: Path) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text(
        'name = "s"\n[[steps]]\nsilence = 1\n[[steps]]\nwait_for = "audio"\ntimeout_s = "x"\n'
    )
    done = simulate("simulate", "ws://127.0.0.1:9/ws", "--scenario", str(scenario), cwd=tmp_path)
    assert done.returncode == 2
    assert "step 2 (wait_for): field 'timeout_s' must be a number" in done.stderr
    assert "cannot connect" not in done.stdout + done.stderr


def test_an_unreachable_app_exits_1(tmp_path: Path) -> None:
    done = simulate("simulate", "ws://127.0.0.1:9/ws", "--duration", "0.5", "-q", cwd=tmp_path)
    assert done.returncode == 1
    assert "cannot connect to ws://127.0.0.1:9/ws" in done.stdout


def test_a_baseline_of_another_seed_is_refused_and_a_matching_one_compared(
    echo_url: str, tmp_path: Path
) -> None:
    common = ["simulate", echo_url, "--duration", "1", "--speed", "4", "--loss", "0.05", "-q"]
    saved = simulate(
        *common,
        "--seed",
        "1",
        "--repeat",
        "2",
        "--json",
        "base.json",
        "--record",
        "rec",
        "--trace",
        "t.jsonl",
        "--trace-payloads",
        cwd=tmp_path,
    )
    assert saved.returncode == 0, saved.stdout + saved.stderr
    assert sorted(p.name for p in (tmp_path / "rec").iterdir()) == ["call-0001", "call-0002"]
    assert json.loads((tmp_path / "base.json").read_text())["run"]["repeat"] == 2
    records = [json.loads(line) for line in (tmp_path / "t.jsonl").read_text().splitlines()]
    assert {r["call"] for r in records if "call" in r} == {1, 2}
    sent = [r for r in records if r.get("kind") == "sent"]
    assert all(len(base64.b64decode(r["payload"])) == 160 for r in sent)  # 20 ms of mu-law
    other = simulate(*common, "--seed", "2", "--baseline", "base.json", cwd=tmp_path)
    assert other.returncode == 2
    assert "baseline refused: the runs differ in seed: baseline 1, this run 2" in other.stderr
    same = simulate(*common, "--seed", "1", "--baseline", "base.json", cwd=tmp_path)
    assert same.returncode == 0, same.stdout + same.stderr
    assert "vs baseline first_audio_ms: mean" in same.stdout
