"""``audiofork demo``: the emulator calls the echo app; progress, then the summary."""

from __future__ import annotations

import ast
import os
import re
import signal
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt

import audiofork.demo.call
import audiofork.emulator
import audiofork.vobiz
from audiofork.demo.call import echo_delay_ms

#: The child imports audiofork exactly as this process does (source tree or installed wheel).
PYTHONPATH = os.pathsep.join(sys.path)


def test_echo_delay_is_the_cross_correlation_peak(speech_16k: npt.NDArray[np.int16]) -> None:
    sent = speech_16k[:32000]
    delay = 592  # 37 ms at 16 kHz
    noise = np.random.default_rng(1).normal(0, 300, len(sent))
    heard = np.concatenate([np.zeros(delay), sent[:-delay]]) * 0.5 + noise
    assert echo_delay_ms(sent, heard.astype(np.int16), 16000) == 37.0
    assert echo_delay_ms(sent, np.zeros_like(sent), 16000) is None
    assert echo_delay_ms(sent, noise.astype(np.int16), 16000) is None
    assert echo_delay_ms(sent[:0], sent[:0], 16000) is None


def test_the_demo_call_uses_only_the_public_api_of_the_emulator() -> None:
    """It imports the emulator and vobiz packages' public names only: no calls, forks or
    stream internals (it watches the call through the Emulator's methods)."""
    public = {
        "audiofork.emulator": set(audiofork.emulator.__all__),
        "audiofork.vobiz": set(audiofork.vobiz.__all__),
    }
    tree = ast.parse(Path(audiofork.demo.call.__file__).read_text(encoding="utf-8"))
    imported: list[tuple[str, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            imported += [(node.module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            imported += [(alias.name, "") for alias in node.names]
    ours = [(module, name) for module, name in imported if module.startswith("audiofork")]
    assert ours, imported
    for module, name in ours:
        if module.startswith("audiofork.demo"):
            continue
        assert module in public and name in public[module], (module, name)
    source = ast.unparse(tree)
    for private in (".exchange", ".runner", ".forks", "services"):
        assert private not in source, private


def test_demo_calls_the_echo_app_and_reports(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": PYTHONPATH}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "audiofork.cli",
            "demo",
            "--speed",
            "10",
            "--record-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert "10.0 s of speech" in out
    assert re.search(r"\[#{30}\] 100%", out), out  # the progress bar reached the end
    sent, received = map(int, re.search(r"(\d+) sent caller→app, (\d+) received", out).groups())
    assert sent >= 500 and received >= 500  # 10 s of speech and more, each way
    p50, p99 = map(float, re.search(r"p50 (\d+) µs, p99 (\d+) µs", out).groups())
    assert 0 < p50 <= p99
    # One checkpoint a second; the last may still be playing at the hangup.
    found = re.search(
        r"(\d+) sent, (\d+) acknowledged by playedStream \(app saw: (\d+) played", out
    )
    assert found is not None, out
    sent_cp, acked, played = map(int, found.groups())
    assert sent_cp >= 10 and sent_cp - 1 <= acked <= sent_cp and sent_cp - 1 <= played <= acked
    # The echo app's session runs on the emulator's clock: its estimate of what was heard
    # is where the platform's playout was (on the machine's clock, at speed 10, it lagged
    # by the audio played since the last checkpoint, some 300-400 ms here).
    heard = re.search(r"app estimates (\d+) ms of its audio heard .* platform played (\d+) ms", out)
    assert heard is not None, out
    estimate, played_ms = map(int, heard.groups())
    assert played_ms >= 10_000 and abs(estimate - played_ms) <= 150, out
    echo = re.search(r"round trip ([\d.]+) ms", out)
    assert echo is not None and 20 <= float(echo.group(1)) < 1000, out
    billed = re.search(r"(\d+) s streamed → 60 s billed, 0\.00300 at 0\.003 per minute", out)
    assert billed is not None and 11 <= int(billed.group(1)) <= 60, out
    wavs = [Path(p) for p in re.findall(r"(\S+\.wav)", out)]
    assert [p.name for p in wavs] == ["caller.wav", "played.wav"]
    for path in wavs:
        assert path.is_relative_to(tmp_path)
        with wave.open(str(path)) as recording:
            assert recording.getframerate() == 8000 and recording.getnframes() >= 10 * 8000


def test_demo_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": PYTHONPATH}
    command = [sys.executable, "-m", "audiofork.cli", "demo", "--record-dir", str(tmp_path)]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as process:
        assert process.stdout is not None
        while "frames caller→app" not in process.stdout.readline():  # the call is up
            assert process.poll() is None
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Traceback" not in err, err
    assert f"interrupted: the call was hung up; recordings so far in {tmp_path}" in out
    (played,) = tmp_path.glob("*/*/played.wav")
    with wave.open(str(played)) as recording:  # closed properly: the header is complete
        assert 0 < recording.getnframes() < 10 * 8000  # hung up before the speech ended
