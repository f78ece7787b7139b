"""Writes ``benches/results/load.md`` and ``load.png`` from ``load.json`` (run.py and
profile_split.py write it).

    python benches/load/report.py
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parents[1] / "results"

COLUMNS = [
    ("calls", "calls", "{}"),
    ("cpu_ms_per_call_s", "CPU-ms per call-s", "{:.2f}"),
    ("calls_per_core", "calls per core", "{}"),
    ("app_busy", "app core busy", "{:.0%}"),
    ("latency_p50_ms", "p50 ms", "{:.1f}"),
    ("latency_p99_ms", "p99 ms", "{:.1f}"),
    ("gap_p90_ms", "gap p90 ms", "{:.1f}"),
    ("gap_longest_ms", "longest gap ms", "{:.0f}"),
    ("lost", "lost", "{}"),
    ("duplicated", "dup", "{}"),
    ("reordered", "reord", "{}"),
    ("rss_kib_per_call", "RSS KiB per call", "{:.0f}"),
    ("generator_busy", "generator core busy", "{:.0%}"),
    ("saturated", "saturated by", "{}"),
]


def cell(value: Any, fmt: str) -> str:
    if value is None or value == "":
        return "-"
    try:
        return fmt.format(value)
    except (ValueError, TypeError):
        return str(value)


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def by_app(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    apps: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row.get("kind") != "scale-out":
            apps.setdefault(row["app"], []).append(row)
    return apps


def capacity(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """An app's capacity: the largest run nothing stopped, with calls per core from the
    median CPU per call-second of every run whose CPU figure holds (the app's core not
    saturated, no frame lost; a generator running late does not spoil it)."""
    clean = [r for r in runs if not r["saturated"]]
    best = dict(clean[-1] if clean else runs[0])
    valid = [
        r["cpu_ms_per_call_s"]
        for r in runs
        if r["cpu_ms_per_call_s"] and r["app_busy"] < 0.9 and not r["lost"]
    ]
    if valid:
        best["cpu_ms_per_call_s"] = statistics.median(valid)
        best["calls_per_core"] = round(1000 / best["cpu_ms_per_call_s"])
    return best


def markdown(data: dict[str, Any]) -> str:
    env = data["environment"]
    rows = data["rows"] + data.get("unmeasured_rows", [])
    apps = by_app(rows)
    loads = env.get("loadavg_during", [])
    packages = ", ".join(f"{k} {v}" for k, v in env.get("packages", {}).items())
    lines = [
        "# Calls per core: `make load`",
        "",
        f"{env['when']}; {env['cpu_model']}, {env['cores']} cores, Linux {env['kernel']}, "
        f"Python {env['python']}; {packages}.",
        "",
        "Load average (1, 5, 15 min) at the start and after each app: "
        + "; ".join("/".join(f"{x:.2f}" for x in load) for load in loads)
        + ". The machine is shared: absolute figures move with its load, the ratios less."
        + "".join(
            f" {r['app']} was run again at {r['when']} (load average "
            f"{'/'.join(f'{x:.2f}' for x in r['loadavg'][0])}): {r['why']}."
            for r in env.get("reruns", [])
        ),
        "",
        "Each app ran pinned to core 0, the generator to core 1 "
        "(`python -m audiofork.loadtest.generator`). Calls are real-time μ-law 8 kHz echo "
        "calls, every frame tagged and matched end to end; CPU and RSS come from "
        "`/proc/<pid>` over the span when every call was up. See docs/load.md for the method.",
        "",
        "## At capacity",
        "",
        "The largest N each app carried before anything stopped the ladder; CPU-ms per "
        "call-second is the median over the runs whose CPU figure holds (the app's core not "
        "saturated, no frame lost), and calls per core is 1000 over it. p99, gaps and lost "
        "frames are those of the run at N.",
        "",
    ]
    summary = []
    pipecat = next((capacity(r) for a, r in apps.items() if a == "pipecat echo bot"), None)
    for app, runs in apps.items():
        row = capacity(runs)
        ratio = ""
        if pipecat and pipecat.get("calls_per_core") and row.get("calls_per_core"):
            ratio = f"{row['calls_per_core'] / pipecat['calls_per_core']:.1f}x"
        summary.append(
            [app, str(row["calls"]), cell(row["cpu_ms_per_call_s"], "{:.2f}"),
             cell(row["calls_per_core"], "{}"), ratio, cell(row["latency_p99_ms"], "{:.1f}"),
             cell(row["gap_p90_ms"], "{:.1f}"), str(row["lost"]),
             cell(row["generator_busy"], "{:.0%}")]
        )  # fmt: skip
    lines += table(
        ["app", "N", "CPU-ms per call-s", "calls per core", "vs pipecat", "p99 ms",
         "gap p90 ms", "lost", "generator core busy"],
        summary,
    )  # fmt: skip
    lines += ["", "## Every run", ""]
    for app, runs in apps.items():
        lines += [f"### {app}", ""]
        lines += table(
            [title for _, title, _ in COLUMNS],
            ([cell(r.get(key), fmt) for key, _, fmt in COLUMNS] for r in runs),
        )
        lines.append("")
    scale = [r for r in rows if r.get("kind") == "scale-out"]
    if len(scale) == 2:
        one, two = scale
        busiest = max(two["worker_cpu_shares"]) * two["app_busy"]
        ratio = one["app_busy"] / busiest if busiest else float("nan")
        lines += [
            "## Scale-out: two workers sharing the port",
            "",
            f"{one['app'].partition(',')[0]} with `--reuse-port` (SO_REUSEPORT), {one['calls']} "
            "calls, one "
            "worker then two (both pinned to core 0: this machine has no third core for them, "
            "so the figure is CPU-based). A worker pool is as fast as its busiest worker: "
            "the capacity ratio is one worker's CPU over the busiest of two's, at the same N.",
            "",
            *table(
                [
                    "workers",
                    "CPU-ms per call-s (all workers)",
                    "share of CPU per worker",
                    "p99 ms",
                    "lost",
                ],
                [
                    [
                        str(r["workers"]),
                        cell(r["cpu_ms_per_call_s"], "{:.2f}"),
                        " / ".join(f"{s:.0%}" for s in r["worker_cpu_shares"]),
                        cell(r["latency_p99_ms"], "{:.1f}"),
                        str(r["lost"]),
                    ]
                    for r in scale
                ],
            ),
            "",
            f"Capacity ratio, two workers to one: **{ratio:.2f}**.",
            "",
        ]
    profiles = data.get("profiles", [])
    if profiles:
        parts = ["core", "session", "plumbing", "app", "transport", "event loop", "socket I/O",
                 "codec libs", "pipecat", "other"]  # fmt: skip
        lines += [
            "## Where the CPU goes (py-spy)",
            "",
            "CPU-ms per call-second by part of the stack (benches/load/profile_split.py: py-spy "
            "with native frames, at the N given; `plumbing` is AudioStream and the adapter).",
            "",
            *table(
                ["app", "label", "N", "total", *parts],
                [
                    [
                        p["app"],
                        p.get("label", ""),
                        str(p["calls"]),
                        cell(p["cpu_ms_per_call_s"], "{:.2f}"),
                        *(cell(p["cpu_ms_per_call_s_by_part"].get(k), "{:.2f}") for k in parts),
                    ]
                    for p in profiles
                ],
            ),
            "",
        ]
    return "\n".join(lines) + "\n"


def plot(data: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    apps = by_app(data["rows"])
    figure, (cpu, p99) = plt.subplots(1, 2, figsize=(13, 5))
    for app, runs in apps.items():
        calls = [r["calls"] for r in runs]
        cpu.plot(calls, [r["cpu_ms_per_call_s"] for r in runs], marker="o", label=app)
        p99.plot(calls, [r["latency_p99_ms"] or float("nan") for r in runs], marker="o")
    for axes, title in ((cpu, "app CPU-ms per call-second"), (p99, "p99 added latency (ms)")):
        axes.set_xscale("log", base=2)
        ladder = sorted({r["calls"] for runs in apps.values() for r in runs})
        axes.set_xticks(ladder, [str(n) for n in ladder])
        axes.minorticks_off()
        axes.set_xlabel("concurrent calls (N)")
        axes.set_title(title)
        axes.grid(True, which="both", alpha=0.3)
    p99.set_yscale("log")
    p99.axhline(10, color="grey", linestyle="--", linewidth=1)
    cpu.legend(fontsize=7)
    figure.suptitle("make load: real-time echo calls, app on one core")
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def main() -> None:
    data = json.loads((RESULTS / "load.json").read_text())
    (RESULTS / "load.md").write_text(markdown(data))
    plot(data, RESULTS / "load.png")
    print(f"wrote {RESULTS / 'load.md'} and {RESULTS / 'load.png'}")


if __name__ == "__main__":
    main()
