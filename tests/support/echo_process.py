"""The example echo bot (``examples/echo_bot.py``) as a real subprocess on a free port."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: A subprocess's environment that imports what the tests import.
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}


@contextmanager
def echo_bot(*args: str) -> Iterator[str]:
    """Run the echo bot (with ``args``, e.g. ``--dialect twilio``); yield its ``ws://`` URL."""
    app = subprocess.Popen(
        [sys.executable, str(ROOT / "examples" / "echo_bot.py"), "--port", "0", "--quiet", *args],
        stdout=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    try:
        assert app.stdout is not None
        line = app.stdout.readline()
        assert line.startswith("listening on ws://"), line
        yield line.split()[-1]
    finally:
        app.terminate()
        app.wait(10)
