"""The emulator's log: URLs redacted in every record, peer values clipped, bursts summarised."""

from __future__ import annotations

import logging

import pytest

from audiofork.emulator.logs import LOGGER_NAME, FloodLog, clip
from support.clock import ManualClock

SECRET = "Zq3-0123456789abcdef_XYZ"


def test_every_record_of_the_emulator_logger_has_its_urls_redacted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, LOGGER_NAME)
    logger = logging.getLogger(LOGGER_NAME)
    logger.info("connecting to %s as %s", f"wss://app.example/ws?token={SECRET}", SECRET)
    try:
        raise ValueError(f"failed: url='wss://app.example/ws/{SECRET}'")
    except ValueError:
        logger.exception("it broke")
    first, second = caplog.records
    assert first.getMessage() == f"connecting to wss://app.example/ws?token=*** as {SECRET}"
    assert "wss://app.example/ws/***" in caplog.text and f"/{SECRET}" not in caplog.text
    assert second.exc_text is not None and SECRET not in second.exc_text


def test_clip_says_how_long_the_value_was() -> None:
    assert clip("short") == "short"
    assert clip("x" * 1000, 10) == "xxxxxxxxxx… (1000 characters)"


def test_a_burst_is_a_few_lines_then_one_summary_per_window(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, "flood")
    clock = ManualClock()
    flood = FloodLog(logging.getLogger("flood"), burst=3, window_s=10.0, clock=clock)
    for n in range(1000):
        flood.log("stream s PlayedStream", logging.INFO, "PlayedStream %d", n)
        flood.log("stream t PlayedStream", logging.INFO, "other %d", n)
    assert [r.getMessage() for r in caplog.records] == [
        "PlayedStream 0",
        "other 0",
        "PlayedStream 1",
        "other 1",
        "PlayedStream 2",
        "other 2",
    ]
    assert flood.suppressed == 2 * 997
    clock.now = 10.0  # the window has ended: the next line brings the summary, then logs
    flood.log("stream s PlayedStream", logging.INFO, "PlayedStream %d", 1000)
    messages = [r.getMessage() for r in caplog.records[6:]]
    assert messages == [
        "stream s PlayedStream: 997 more like this in the last 10.0 s, not logged one by one",
        "PlayedStream 1000",
    ]
    flood.flush_all()  # the end of the streams: the counts left are written
    assert caplog.records[-1].getMessage().startswith("stream t PlayedStream: 997 more")
    flood.flush("stream s PlayedStream")  # nothing left out since: no line
    assert len(caplog.records) == 9
