"""Memory of 1,000 live sessions in one process (the figure is reported, and bounded).

Measured in a fresh interpreter: in the test process, memory freed by earlier tests is
reused, so resident memory need not grow at all while the sessions are made.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

import audiofork as af
from support.scripted_platform import l16, media_message, start_message, tone

SESSIONS = 1000
# Far above the ~50 KiB measured (docs/session.md): catches a leak or a per-session table
# blow-up, not small drift.
MAX_BYTES_PER_SESSION = 256 * 1024
TESTS = Path(__file__).resolve().parents[1]


def resident_bytes() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096


def busy_session(frame: str, speech: npt.NDArray[np.int16]) -> af.StreamSession:
    """A streaming session with both directions in use: 16 kHz in -> 8 kHz app, 24 kHz out."""
    session = af.StreamSession(app_rate=8000)
    session.receive(start_message())
    session.receive(frame)
    session.play(speech, 24000)
    session.checkpoint()
    session.data_to_send()
    return session


def measure() -> float:
    """Resident bytes per session, over ``SESSIONS`` sessions made in this process."""
    import gc

    frame = media_message(l16(tone(20)), 1)
    speech = tone(100, rate=24000)
    busy_session(frame, speech)  # first-use allocations (tables, caches) are not per session
    gc.collect()
    before = resident_bytes()
    sessions = [busy_session(frame, speech) for _ in range(SESSIONS)]
    gc.collect()
    return (resident_bytes() - before) / len(sessions)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
def test_memory_per_session() -> None:
    code = f"import runpy; print(runpy.run_path({__file__!r})['measure']())"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), *sys.path])}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    per_session = float(result.stdout)
    print(f"\n{per_session / 1024:.1f} KiB resident per streaming session")
    assert 0 < per_session < MAX_BYTES_PER_SESSION
