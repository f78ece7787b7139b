"""The benchmark report: a pytest-benchmark JSON run turned into ratio tables, Markdown and plots.

    python benches/report.py RUN.json [--out benches/results]

writes ``report.md`` and the PNG figures into ``--out`` (``make bench`` does both steps):
the machine and the run's environment (recorded by benches/conftest.py), the ratio table
(groups and ratios as benches/ratios.py defines them), then per bench module its groups
with per-frame times, spread, throughput, ratio and difference to audiofork, and the
sections some modules add (latency percentiles, transports, the resampler's behaviour and
magnitude response).

The load curve is drawn from ``benches/results/load.json`` when that file exists (the load
generator writes it), in this form; anything else is reported as unreadable, never guessed::

    {"rows": [{"app": "echo_bot websockets", "calls": 200, "cpu_ms_per_call_s": 4.9,
               "p99_ms": 8.1}, ...]}
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from ratios import Group, group, timed, us

RESULTS = Path(__file__).parent / "results"
LOAD_JSON = RESULTS / "load.json"
MODULES = {
    "bench_codec.py": (
        "Codec",
        "G.711 and base64 payloads against `audioop`, numpy tables and the standard library.",
    ),
    "bench_pipeline.py": (
        "Per-frame pipelines",
        "3,000 `media` messages in and 60 s of TTS out, against the pipecat-style path "
        "(json + base64 + audioop + soxr) and the fastest Python glue (orjson + pybase64); "
        "parsing against `json.loads`.",
    ),
    "bench_latency.py": (
        "Per-frame latency",
        "Each 20 ms step timed on its own (`perf_counter_ns`, about 0.1 µs, included).",
    ),
    "bench_resample.py": (
        "Resampler",
        "The streaming resampler against soxr HQ/VHQ streams, per-frame `soxr.resample` and "
        "`scipy.signal.resample_poly`, and `audioop.ratecv`; per 20 ms frame and in bulk.",
    ),
    "bench_session.py": (
        "Session overhead",
        "`StreamSession` over the bare pipelines it wraps: Δ is the session's cost per frame.",
    ),
    "bench_aio.py": ("AudioStream", "`AudioStream`'s plumbing over the session it drives."),
    "bench_transport.py": (
        "Transports",
        "One 20 ms `media` message in flight over loopback, its answer awaited: the bare echo "
        "(the transport's own cost) against `AudioStream` echoing the audio, per transport.",
    ),
}


# --- Markdown -------------------------------------------------------------------------------


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def group_table(g: Group) -> list[str]:
    ref = g.reference
    rows = []
    for e in g.entries:
        ratio, median_ratio = g.ratio(e), g.median_ratio(e)
        rows.append(
            [
                f"**{e.name}**" if e is ref else e.name,
                f"{us(e.min_s)} µs/{e.unit}",
                f"{us(e.median_s)}",
                f"{us(e.q1_s)} to {us(e.q3_s)}",
                e.throughput(),
                "reference" if e is ref else f"{ratio:.2f}x" if ratio is not None else "",
                "" if e is ref or median_ratio is None else f"{median_ratio:.2f}x",
                f"{(e.min_s - ref.min_s) * 1e6:+,.3f} µs" if ref and e is not ref else "",
                str(e.rounds),
            ]
        )
    header = ["", "fastest", "median", "IQR, µs", "throughput", "ratio", "of medians", "Δ"]
    return [f"**{g.name}**", "", *table([*header, "rounds"], rows), ""]


def summary_table(groups: Sequence[Group]) -> list[str]:
    rows = []
    for g in groups:
        ref = g.reference
        if ref is None:
            continue
        for e in g.entries:
            ratio, median_ratio = g.ratio(e), g.median_ratio(e)
            if e is not ref and ratio is not None and median_ratio is not None:
                rows.append(
                    [
                        g.name,
                        f"{us(ref.min_s)} µs",
                        e.name,
                        f"{us(e.min_s)} µs",
                        f"**{ratio:.2f}x**",
                        f"{median_ratio:.2f}x",
                    ]
                )
    header = ["work (per frame or call)", "audiofork", "against", "its time", "ratio"]
    return table([*header, "of medians"], rows)


def latency_section(groups: Sequence[Group]) -> list[str]:
    rows = []
    for g in groups:
        for e in g.entries:
            times = np.asarray(e.extra.get("per_frame_ns", []), np.float64) / 1000
            if len(times):
                p = np.percentile(times, [50, 90, 99, 99.9])
                rows.append(
                    [
                        g.name.partition(": ")[0],
                        e.label,
                        *(f"{x:,.2f}" for x in p),
                        f"{times.max():,.1f}",
                    ]
                )
    if not rows:
        return []
    return [
        *table(["", "path", "p50 µs", "p90 µs", "p99 µs", "p99.9 µs", "max µs"], rows),
        "",
        "![per-frame latency](latency.png)",
        "",
    ]


def transport_section(groups: Sequence[Group]) -> list[str]:
    rows = []
    for g in groups:
        for e in g.entries:
            if "transport" in e.extra:
                rows.append(
                    [
                        e.extra["transport"],
                        "AudioStream echo" if e.extra["app"] == "audiofork" else "bare echo",
                        f"{1 / e.min_s:,.0f}",
                        f"{us(e.min_s)} / {us(e.median_s)}",
                        f"{e.extra['server_cpu_us']:,.0f}",
                        f"{e.extra['client_cpu_us']:,.0f}",
                    ]
                )
    if not rows:
        return []
    header = ["transport", "server", "round trips/s", "µs per round trip, fastest / median"]
    return [
        *table([*header, "server CPU µs", "client CPU µs"], rows),
        "",
        "Round trips per second from the fastest round. CPU time per round trip over the "
        "whole benchmark (calibration included), from `/proc` at the clock tick's resolution "
        "(10 ms over thousands of round trips): the server's own cost, which the scheduling "
        "of two processes on a shared machine does not blur as it blurs the round-trip time.",
        "",
    ]


def resampler_section() -> list[str]:
    """Streaming behaviour, measured rather than timed, and the response figure."""
    from bench_resample import FRAME_PAIRS, STREAMS, behaviour

    header = ["20 ms frames", *(f"{a} -> {b}" for a, b in FRAME_PAIRS)]
    rows = []
    for name in STREAMS:
        cells = []
        for a, b in FRAME_PAIRS:
            beh = behaviour(name, a, b)
            seams = "none" if beh.seam_db < -200 else f"{beh.seam_db:.0f} dB"
            cells.append(f"{beh.delay_ms:.2f} ms; {beh.empty_calls} of {beh.calls}; {seams}")
        rows.append([name, *cells])
    return [
        "Streaming behaviour (measured): delay as played; calls that returned nothing; "
        "error at frame seams against the same signal in one call.",
        "",
        *table(header, rows),
        "",
        "Magnitude response, audiofork against soxr (computed: 8 -> 16 kHz from the impulse "
        "response, 16 -> 8 kHz from a sine sweep):",
        "",
        "![resampler magnitude response](resample_response.png)",
        "",
    ]


def read_load(path: Path) -> tuple[dict[str, list[dict[str, Any]]] | None, str]:
    """The load runs by app, or None and why not."""
    if not path.exists():
        return (
            None,
            f"`{path.name}` does not exist yet (the load generator writes it): "
            "no load curve is drawn.",
        )
    try:
        rows = json.loads(path.read_text())["rows"]
        series: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            for key in ("calls", "cpu_ms_per_call_s", "p99_ms"):
                float(row[key])
            series.setdefault(str(row["app"]), []).append(row)
    except (OSError, ValueError, KeyError, TypeError) as error:
        return (
            None,
            f"`{path.name}` exists but is not in the form report.py reads ({error!r}): "
            "no load curve is drawn.",
        )
    if not series:
        return None, f"`{path.name}` has no rows: no load curve is drawn."
    return series, f"From `{path.name}` ({sum(map(len, series.values()))} runs)."


def markdown(
    run: dict[str, Any], groups: Sequence[Group], load_note: str, figures: set[str]
) -> str:
    env = run.get("environment", {})
    machine, commit = run.get("machine_info", {}), run.get("commit_info", {})
    when = run.get("datetime", datetime.now(timezone.utc).isoformat())[:19].replace("T", " ")
    start, end, span = (
        env.get("loadavg_start"),
        env.get("loadavg_end"),
        env.get("loadavg_1min_range"),
    )
    packages = ", ".join(f"{k} {v}" for k, v in env.get("packages", {}).items())
    by_module: dict[str, list[Group]] = {}
    for g in groups:
        by_module.setdefault(g.module, []).append(g)
    order = [m for m in MODULES if m in by_module] + [m for m in by_module if m not in MODULES]
    lines = [
        "# Benchmark report",
        "",
        f"`make bench`, {when} UTC, commit `{commit.get('id', '?')[:12]}`"
        f"{' (with uncommitted changes)' if commit.get('dirty') else ''}. Every peer ran in the "
        "same run as audiofork: the ratios are what counts. This machine is shared and noisy, "
        "so absolute times vary from run to run by 10-20 % or more.",
        "",
        f"- machine: {env.get('cpu_model', machine.get('processor', '?'))}, "
        f"{env.get('cores', '?')} cores, {machine.get('system', '')} {env.get('kernel', '')}",
        f"- CPU flags: {' '.join(env.get('simd_flags', []))} "
        f"({env.get('cpu_flag_count', '?')} flags in all)",
        f"- load average (1, 5, 15 min): {start} at the start, {end} at the end"
        + (f"; the 1-minute figure ranged {span[0]} to {span[1]} during the run" if span else ""),
        f"- Python {machine.get('python_version', env.get('python', '?'))} "
        f"({machine.get('python_implementation', '')}); {packages}",
        "",
        "## Ratio table",
        "",
        "Per frame (or per call), each contender's fastest round; ratio = the peer's time "
        "over audiofork's, with the ratio of the medians beside. On a shared machine another "
        "process only ever makes a round slower, and it disturbs one contender's rounds and "
        "not the next one's: the fastest round is the closest to each one's own cost. "
        "Medians, spreads and throughputs (from the medians) are in the sections below.",
        "",
        *summary_table([g for module in order for g in by_module[module]]),
        "",
    ]
    for module in order:
        title, about = MODULES.get(module, (module, ""))
        lines += [f"## {title} (`benches/{module}`)", "", about, ""]
        if module == "bench_latency.py" and "latency.png" in figures:
            lines += latency_section(by_module[module])
        if module == "bench_transport.py":
            lines += transport_section(by_module[module])
        for g in by_module[module]:
            lines += group_table(g)
        if module == "bench_resample.py" and "resample_response.png" in figures:
            lines += resampler_section()
    lines += ["## Load curve", "", load_note, ""]
    if "load.png" in figures:
        lines += ["![load curve](load.png)", ""]
    return "\n".join(lines)


def write(run: dict[str, Any], out: Path) -> Path:
    """report.md and the figures into `out`."""
    import plots

    out.mkdir(parents=True, exist_ok=True)
    groups = group(timed(run["benchmarks"]))
    figures = set()
    panels = {
        g.name: {e.label: e.extra["per_frame_ns"] for e in g.entries if e.extra.get("per_frame_ns")}
        for g in groups
    }
    panels = {name: paths for name, paths in panels.items() if paths}
    if panels:
        figures.add(plots.latency(panels, out / "latency.png").name)
    if any(g.module == "bench_resample.py" for g in groups):
        figures.add(plots.resampler_response(out / "resample_response.png").name)
    series, load_note = read_load(LOAD_JSON)
    if series is not None:
        figures.add(plots.load_curve(series, out / "load.png").name)
    path = out / "report.md"
    path.write_text(markdown(run, groups, load_note, figures))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("run", type=Path, help="pytest-benchmark --benchmark-json output")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    run = json.loads(args.run.read_text())
    path = write(run, args.out)
    print(f"wrote {path} and its figures")


if __name__ == "__main__":
    main()
