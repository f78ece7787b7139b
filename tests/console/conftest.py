"""The console's tests: a real Chromium driven by Playwright, the example echo app as a
subprocess, an emulator in-process, all on loopback.

The browser is the system's Chromium (``apt-get install chromium``; or the executable named
by ``AUDIOFORK_CHROMIUM``), launched by Playwright (the ``browser`` extra) with Chromium's
fake capture device fed a known WAV as the microphone. Where either is missing, the browser
tests are skipped, and the end of the run says so plainly, with the reason.
"""

from __future__ import annotations

import os
import shutil
import wave
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from audiofork.samples import speech
from support.echo_process import echo_bot


def _chromium() -> str | None:
    named = os.environ.get("AUDIOFORK_CHROMIUM")
    if named:
        return named if os.access(named, os.X_OK) else None
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _why_no_browser() -> str | None:
    """Why the browser tests cannot run here, or ``None`` if they can."""
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "the Playwright package is not installed (pip install 'audiofork[browser]')"
    if _chromium() is None:
        return "Chromium is not installed (apt-get install chromium, or set AUDIOFORK_CHROMIUM)"
    return None


NO_BROWSER = _why_no_browser()
_skipped: list[str] = []


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Skip the tests marked ``browser`` when there is no browser, saying why."""
    if NO_BROWSER is None:
        return
    for item in items:
        if item.get_closest_marker("browser") is not None:
            item.add_marker(pytest.mark.skip(reason=f"browser tests skipped: {NO_BROWSER}"))
            _skipped.append(item.nodeid)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: needs Chromium and Playwright")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say plainly at the end of the run whether the browser tests ran."""
    if _skipped:
        terminalreporter.write_sep("!", "BROWSER TESTS SKIPPED", yellow=True, bold=True)
        terminalreporter.write_line(
            f"{len(_skipped)} tests of tests/console did not run: {NO_BROWSER}"
        )


@pytest.fixture(scope="session")
def speech_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled speech (16 kHz mono) as a WAV file: what the fake microphone says."""
    path = tmp_path_factory.mktemp("mic") / "speech.wav"
    pcm, rate = speech(16000)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.astype("<i2").tobytes())
    return path


@pytest.fixture
def echo_app() -> Iterator[str]:
    """examples/echo_bot.py as a subprocess on a free loopback port; its stream URL."""
    with echo_bot() as url:
        yield url


@pytest.fixture
async def chromium(speech_wav: Path) -> AsyncIterator[Any]:
    """A headless Chromium whose microphone says the bundled speech (in a loop)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=_chromium(),
            args=[
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-audio-capture={speech_wav}",
                "--autoplay-policy=no-user-gesture-required",
            ],
        )
        try:
            yield browser
        finally:
            await browser.close()
