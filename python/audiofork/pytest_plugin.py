"""pytest fixtures for testing a voice app (registered through the ``pytest11`` entry point,
so they are there as soon as audiofork is installed; they need pytest-asyncio):

- ``vobiz_emulator``: a running emulator (:class:`RunningEmulator`: the
  :class:`~audiofork.emulator.Emulator`, its account and token, base URL and record dir),
  closed after the test;
- ``simulated_call``: ``await simulated_call(url, scenario=..., audio=...)`` places one
  simulated call (``audiofork simulate``) against ``url`` and returns its
  :class:`~audiofork.simulate.Report`: steps, figures, gates, failures.

::

    async def test_greeting(simulated_call):
        report = await simulated_call("ws://127.0.0.1:8765/ws", scenario="greeting",
                                      max_first_audio_ms=1500)
        assert report.passed, report.text()
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from audiofork.emulator import Emulator
    from audiofork.simulate import Report

try:
    import pytest_asyncio

    _async_fixture: Callable[..., Any] = pytest_asyncio.fixture
except ImportError:  # pragma: no cover - the fixtures then say what is missing
    _async_fixture = pytest.fixture

__all__ = ["RunningEmulator", "simulated_call", "vobiz_emulator"]

ACCOUNT = "MA_PYTEST"
TOKEN = "pytest-token"


@dataclass(frozen=True)
class RunningEmulator:
    """An emulator serving for one test."""

    emulator: Emulator
    base_url: str
    account: str
    token: str
    record_dir: Path


@_async_fixture
async def vobiz_emulator(tmp_path: Path) -> AsyncIterator[RunningEmulator]:
    """A running emulator on a free loopback port, its recordings under ``tmp_path``."""
    from audiofork.emulator import Emulator, EmulatorConfig

    record_dir = tmp_path / "recordings"
    emulator = Emulator(EmulatorConfig({ACCOUNT: TOKEN}, record_dir=record_dir))
    base_url = await emulator.start()
    try:
        yield RunningEmulator(emulator, base_url, ACCOUNT, TOKEN, record_dir)
    finally:
        await emulator.close()


@pytest.fixture
def simulated_call() -> Callable[..., Awaitable[Report]]:
    """``await simulated_call(url, *, scenario=None, audio=None, **options)``: one simulated
    call's report. ``answer_url=`` (and ``auth_token=``) instead of ``url`` places the call
    through the emulator. ``scenario`` is a bundled name, a TOML path or a
    :class:`~audiofork.simulate.Scenario`; ``audio`` a WAV path (the bundled speech by
    default); ``max_first_audio_ms``, ``max_response_ms``, ``max_barge_in_ms`` and
    ``max_gap_ms`` add gates; any other keyword is a :class:`~audiofork.simulate.CallOptions`
    field (``dialect``, ``speed``, ``impairment``, ``seed``, ``content_type``, …)."""
    from audiofork.simulate.api import simulated_call as call

    return call
