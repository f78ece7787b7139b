"""Shared fixtures: the bundled speech sample (``audiofork.samples``); the emulator tests'
app (a plugin). On Python 3.10, ``asyncio.timeout`` for the tests (the package itself never
uses it)."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator

import numpy as np
import numpy.typing as npt
import pytest

from audiofork.samples import speech

#: The emulator tests' voice app and its ``app`` fixture.
pytest_plugins = ["support.emulator_platform_apps"]

if sys.version_info < (3, 11):
    import async_timeout

    @contextlib.asynccontextmanager
    async def _timeout(delay: float | None) -> AsyncIterator[None]:
        """``asyncio.timeout`` as 3.11 has it, from the async-timeout backport: expiry
        raises the builtin ``TimeoutError`` (3.10's ``asyncio.TimeoutError`` is another
        class)."""
        try:
            async with async_timeout.timeout(delay):
                yield
        except asyncio.TimeoutError as exc:
            raise TimeoutError from exc

    asyncio.timeout = _timeout


@pytest.fixture(scope="session")
def speech_16k() -> npt.NDArray[np.int16]:
    """Ten seconds of real (synthesised) speech, mono 16 kHz int16 (the bundled sample)."""
    return speech(16000)[0]
