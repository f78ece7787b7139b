"""No argument can end the process: scripts drive the public API with extreme integers
(``integer_extremes.py``) and with inputs far larger than memory (``huge_inputs.py``) in a
subprocess, where an abort shows as the exit status."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def run_script(name: str, *args: str) -> str:
    """Run ``tests/<name>`` in a fresh interpreter; its stdout, after asserting it exited 0."""
    script = Path(__file__).parents[1] / "support" / name
    result = subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_no_integer_argument_aborts_the_process() -> None:
    assert "checked" in run_script("integer_extremes.py")


def test_no_input_larger_than_memory_aborts_the_process() -> None:
    assert "checked" in run_script("huge_inputs.py")


def test_bytes_like_pcm_under_a_memory_limit_does_not_abort_the_process() -> None:
    assert "checked" in run_script("huge_inputs.py", "limited")
