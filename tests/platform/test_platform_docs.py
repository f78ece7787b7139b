"""docs/platform.md's example runs as written and prints what the page says it prints."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import numpy as np

DOC = Path(__file__).resolve().parents[2] / "docs" / "platform.md"


def test_the_worked_example_runs_and_prints_what_the_page_says() -> None:
    text = DOC.read_text(encoding="utf-8")
    [source] = re.findall(r"```python\n(.*?)```", text, re.S)
    namespace: dict[str, object] = {}
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(compile(source, str(DOC), "exec"), namespace)
    printed = output.getvalue().splitlines()
    assert printed == ["echo: played at frame 26", "the app's audio played: 960 ms"]
    assert all(f"`{line}`" in text for line in printed)
    heard = namespace["heard_pcm"]
    assert isinstance(heard, np.ndarray) and len(heard) == 8000 and heard.any()
