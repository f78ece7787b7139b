"""No integer argument can end the process: ``integer_extremes.py`` drives every one of them
with extreme values in a subprocess, where an abort shows as the exit status."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_no_integer_argument_aborts_the_process() -> None:
    script = Path(__file__).with_name("integer_extremes.py")
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "checked" in result.stdout
