"""Benchmark reporting: the ratio table after every timed run, and the run's environment.

After a timed run the ratio table (benches/report.py) is printed: per group, audiofork's
median and each peer's, with the ratio. ``--benchmark-json`` output also gets an
``environment`` entry: CPU model and SIMD flags, package versions, and the load average at
the start and end of the run and the range of its 1-minute figure while it ran (the
machine may be shared: the report states it).
"""

from __future__ import annotations

import os
from typing import Any

import pytest

import report

_loadavg: dict[str, Any] = {}


def pytest_sessionstart(session: pytest.Session) -> None:
    _loadavg["start"] = report.loadavg()
    _loadavg["one_minute"] = [os.getloadavg()[0]]


def pytest_runtest_logfinish(nodeid: str, location: tuple[str, int | None, str]) -> None:
    _loadavg.setdefault("one_minute", []).append(os.getloadavg()[0])


def pytest_benchmark_update_json(
    config: pytest.Config, benchmarks: list[Any], output_json: dict[str, Any]
) -> None:
    one_minute = _loadavg.get("one_minute") or [os.getloadavg()[0]]
    output_json["environment"] = {
        **report.environment(),
        "loadavg_start": _loadavg.get("start"),
        "loadavg_1min_range": [round(min(one_minute), 2), round(max(one_minute), 2)],
    }


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    session = getattr(terminalreporter.config, "_benchmarksession", None)
    if session is None or session.disabled:
        return
    benchmarks = [b.as_dict(include_data=False) for b in session.benchmarks if b.stats]
    if not benchmarks:
        return
    terminalreporter.write_line("")
    for line in report.ratio_lines(report.group(report.timed(benchmarks))):
        terminalreporter.write_line(line)
