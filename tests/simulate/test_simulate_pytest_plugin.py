"""The pytest plugin in a user's suite: a sample test file run by pytest in a subprocess,
with pytest-asyncio in its default (strict) mode and none of this project's settings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from support.echo_process import ENV

SAMPLE = """
import os

import aiohttp
import pytest


@pytest.mark.asyncio
async def test_the_echo_app_answers_at_once(simulated_call):
    # at speed 1 the echo has the whole 3 s call to come back, the gate the same
    report = await simulated_call(os.environ["APP_URL"], duration_s=3.0, speed=1.0,
                                  max_first_audio_ms=3000)
    assert report.passed, report.text()
    assert report.figures()["first_audio_ms"].n == 1


@pytest.mark.asyncio
async def test_a_failing_gate_is_in_the_report(simulated_call):
    report = await simulated_call(os.environ["APP_URL"], scenario=None, duration_s=0.5,
                                  speed=4.0, max_first_audio_ms=1)
    assert not report.passed and not report.gates[0].passed


@pytest.mark.asyncio
async def test_the_emulator_serves(vobiz_emulator):
    assert vobiz_emulator.record_dir.name == "recordings"
    async with aiohttp.ClientSession() as http:
        async with http.get(vobiz_emulator.base_url + "/api/v1/openapi.json") as answer:
            assert answer.status == 200
"""


def test_the_fixtures_work_in_a_users_suite(tmp_path: Path, echo_url: str) -> None:
    (tmp_path / "test_app.py").write_text(SAMPLE)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_app.py"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**ENV, "APP_URL": echo_url},
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed" in done.stdout
