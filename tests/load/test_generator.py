"""The lean generator, as make load runs it: a subprocess placing calls to echo_bot.py over
picows, its JSON summary accounting for every frame."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}


@pytest.mark.parametrize("server", ["picows", "websockets"])
def test_every_frame_of_every_call_comes_back(server: str) -> None:
    app = subprocess.Popen(
        [sys.executable, str(ROOT / "examples" / "echo_bot.py"), "--server", server,
         "--port", "0", "--quiet"],
        stdout=subprocess.PIPE, text=True, env=ENV,
    )  # fmt: skip
    try:
        assert app.stdout is not None
        url = app.stdout.readline().split()[-1]
        generator = subprocess.run(
            [sys.executable, "-m", "audiofork.loadtest.generator", url,
             "--calls", "6", "--seconds", "1", "--ramp", "0.2"],
            capture_output=True, text=True, timeout=60, env=ENV,
        )  # fmt: skip
    finally:
        app.terminate()
        app.wait()
    assert generator.returncode == 0, generator.stderr
    summary = json.loads(generator.stdout)
    assert (summary["calls"], summary["calls_completed"], summary["failure_count"]) == (6, 6, 0)
    assert summary["frames_sent"] == summary["frames_echoed"] == 6 * 50
    assert (summary["lost"], summary["duplicated"], summary["reordered"]) == (0, 0, 0)
    assert summary["refused"] == summary["degraded"] == 0
    assert summary["latency_p50_ms"] is not None and summary["generator_cpu_s"] > 0


def test_calls_to_a_closed_port_are_failures_not_a_crash() -> None:
    generator = subprocess.run(
        [sys.executable, "-m", "audiofork.loadtest.generator", "ws://127.0.0.1:9/ws",
         "--calls", "2", "--seconds", "0.2", "--ramp", "0"],
        capture_output=True, text=True, timeout=60, env=ENV,
    )  # fmt: skip
    assert generator.returncode == 0, generator.stderr
    summary = json.loads(generator.stdout)
    assert summary["failure_count"] == 2 and summary["calls_completed"] == 0
    assert all(f.startswith("connect:") for f in summary["failures"])
    assert summary["frames_sent"] == 0
