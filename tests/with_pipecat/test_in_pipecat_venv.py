"""Each check of ``in_venv_checks.py`` (the serializer message by message, hostile input,
interop with pipecat-vobiz's serializer), run in pipecat's venv as a subprocess."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from support.emulator_platform_apps import within
from support.pipecat_venv import PYTHON, environment, needs_pipecat

CHECKS = Path(__file__).with_name("in_venv_checks.py")
NAMES = re.findall(r"^async def (check_\w+)", CHECKS.read_text(encoding="utf-8"), re.M)


def test_the_checks_are_found() -> None:
    assert len(NAMES) >= 9, NAMES


@needs_pipecat
@pytest.mark.parametrize("name", NAMES)
async def test_in_pipecat_venv(name: str) -> None:
    process = await asyncio.create_subprocess_exec(
        str(PYTHON),
        str(CHECKS),
        name,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=environment(),
    )
    out, err = await within(process.communicate(), 120)
    assert process.returncode == 0, err.decode()
    assert out.decode().strip() == f"ok {name}"
