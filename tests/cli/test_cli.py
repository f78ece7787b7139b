"""`audiofork demo --codecs` reports every codec and the phone-line path."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from audiofork.cli import main


def test_demo_codecs_reports_every_codec(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--codecs", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    for row in ("G.711 μ-law", "G.711 A-law", "L16 little-endian", "L16 big-endian"):
        assert row in out
    # μ-law keeps speech about 37 dB above its quantisation noise; L16 is lossless.
    snrs = [float(x) for x in re.findall(r"G\.711 \S+\s+[\d,]+\s+([\d.]+)", out)]
    assert len(snrs) == 2 and all(30 < snr < 45 for snr in snrs)
    assert re.search(r"L16 little-endian\s+[\d,]+\s+inf", out)
    phone = re.search(r"decode_message\s+[\d.]+ µs per 20 ms frame, SNR ([\d.]+) dB", out)
    assert phone is not None and float(phone.group(1)) > 30


def test_unknown_command_exits_with_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["nonsense"])
    assert info.value.code == 2
    assert "usage" in capsys.readouterr().err


@pytest.mark.parametrize("missing", ["aiohttp", "httpx"])
@pytest.mark.parametrize("argv", [["demo"], ["emulator", "--account", "MA_A:t"]])
def test_platform_commands_without_their_extra_name_it(argv: list[str], missing: str) -> None:
    # A real subprocess in which a package of the extra cannot be imported, as after a bare
    # `pip install audiofork`.
    script = (
        f"import sys; sys.modules[{missing!r}] = None; from audiofork.cli import main; "
        f"sys.exit(main({argv!r}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 1
    assert "pip install 'audiofork[emulator]'" in done.stderr
    assert "Traceback" not in done.stderr
