"""Benchmark reporting: after a timed run, print each group as ratios against audiofork.

Within a group the benchmark whose name contains ``audiofork`` is the reference; every other
entry is a peer doing the same work. The table says how many times slower each peer's median
is, so one run gives the ratios side by side.
"""

from __future__ import annotations

from collections import defaultdict

import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    session = getattr(terminalreporter.config, "_benchmarksession", None)
    if session is None or session.disabled:
        return
    groups: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for bench in session.benchmarks:
        if bench.stats:
            frames = bench.extra_info.get("frames", 1)
            groups[bench.group or "(no group)"].append((bench.name, bench.stats.median / frames))
    if not groups:
        return
    write = terminalreporter.write_line
    write("")
    write(
        "audiofork vs peers (median per call, or per frame where a benchmark handles many; "
        "ratio = peer time / audiofork time, higher is better)"
    )
    for group, entries in sorted(groups.items()):
        ours = [t for name, t in entries if "audiofork" in name]
        write(f"  {group}")
        for name, median in sorted(entries, key=lambda e: e[1]):
            ratio = f"{median / ours[0]:8.2f}x" if ours else ""
            write(f"    {name:<60} {median * 1e6:12.3f} µs {ratio}")
