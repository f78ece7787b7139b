"""Benchmark reporting: the ratio table after every timed run, and the run's environment.

After a timed run the ratio table (benches/ratios.py) is printed: per group, audiofork's
median and each peer's, with the ratio. ``--benchmark-json`` output also gets an
``environment`` entry: CPU model and SIMD flags, package versions, and the load average at
the start and end of the run and the range of its 1-minute figure while it ran (the
machine may be shared: the report states it).
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import sys
from pathlib import Path
from typing import Any

import pytest

import ratios

# The packages whose versions the report states (those not installed are left out).
PACKAGES = (
    "audiofork",
    "numpy",
    "soxr",
    "scipy",
    "orjson",
    "pybase64",
    "audioop-lts",
    "websockets",
    "aiohttp",
    "starlette",
    "uvicorn",
    "pytest-benchmark",
    "matplotlib",
)
SIMD_FLAGS = ("sse2", "ssse3", "sse4_1", "sse4_2", "avx", "avx2", "fma", "bmi2", "avx512f")


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def environment() -> dict[str, Any]:
    """What the run ran on, beside pytest-benchmark's own machine_info (read at the end of
    the run): CPU model and SIMD flags, cores, load average, package versions."""
    cpuinfo = Path("/proc/cpuinfo")
    fields: dict[str, str] = {}
    for line in cpuinfo.read_text().splitlines() if cpuinfo.exists() else []:
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    flags = fields.get("flags", "").split()
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            continue
    return {
        "cpu_model": fields.get("model name", platform.processor()),
        "cores": os.cpu_count(),
        "simd_flags": sorted({f for f in flags if f in SIMD_FLAGS or f.startswith("avx512")}),
        "cpu_flag_count": len(flags),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "packages": versions,
        "loadavg_end": loadavg(),
    }


_loadavg: dict[str, Any] = {}


def pytest_sessionstart(session: pytest.Session) -> None:
    _loadavg["start"] = loadavg()
    _loadavg["one_minute"] = [os.getloadavg()[0]]


def pytest_runtest_logfinish(nodeid: str, location: tuple[str, int | None, str]) -> None:
    _loadavg.setdefault("one_minute", []).append(os.getloadavg()[0])


def pytest_benchmark_update_json(
    config: pytest.Config, benchmarks: list[Any], output_json: dict[str, Any]
) -> None:
    one_minute = _loadavg.get("one_minute") or [os.getloadavg()[0]]
    output_json["environment"] = {
        **environment(),
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
    for line in ratios.ratio_lines(ratios.group(ratios.timed(benchmarks))):
        terminalreporter.write_line(line)
