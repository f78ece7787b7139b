"""A short run of the pipecat comparison (``benches/pipecat_compare/compare.py --quick``, a
real subprocess: the emulator, the bot with each serializer): every figure is measured, and
audiofork's "bot stopped speaking" never comes before the emulator played the reply's end."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from support.emulator_platform_apps import within
from support.pipecat_venv import ROOT, needs_pipecat


@needs_pipecat
async def test_the_comparison_measures_every_figure(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "benches" / "pipecat_compare" / "compare.py"),
        "--quick",
        "--out",
        str(tmp_path / "pipecat.md"),
        "--json",
        str(tmp_path / "pipecat.json"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await within(process.communicate(), 300)
    assert process.returncode == 0, err.decode()[-3000:]
    results = json.loads((tmp_path / "pipecat.json").read_text())
    assert set(results["frame_cpu"]) == {"vobiz", "plivo", "twilio"}
    for cpu in results["frame_cpu"].values():
        for figures in (cpu["audiofork"], cpu["pipecat"]):
            assert figures["frame_us"] == figures["out_us"] + 2 * figures["in_us"] > 0
    figures = results["calls"]["vobiz"]
    assert set(figures) == {"audiofork", "pipecat"}
    for serializer in figures.values():
        assert serializer["echo_delay_ms"] is not None and serializer["echo_delay_ms"] > 0
        # Measured within the 8 s greeting the key press cut.
        assert 0 <= serializer["silence_after_key_ms"] < 8000
    # Its stop follows the playout (the 20 ms block the end is rounded to aside).
    assert figures["audiofork"]["stopped_speaking_error_ms"] >= -20
    report = (tmp_path / "pipecat.md").read_text()
    assert "| vobiz | audiofork |" in report and "| vobiz | pipecat |" in report
