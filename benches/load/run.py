"""``make load``: concurrent real-time echo calls against each app, until it saturates.

Each app runs pinned to one core (``taskset``), the generator
(``python -m audiofork.loadtest.generator``) to the other. For N = 50, 100, 200, … calls
the app's CPU time and RSS are read from ``/proc/<pid>`` while every call is up, and the
generator reports latency, gaps and lost/duplicated/reordered frames. An app is saturated
once its core is 90 % busy or frames are lost; the ladder also stops if the generator's own
core is 90 % busy or its ticks run over 50 ms late at p99 (then the generator, not the app,
is the limit, or the machine's other work is, and the row says so). CPU per call-second is
the app's CPU while every call is up over the call-seconds carried meanwhile (the frames
the generator sent then / 50).

    python benches/load/run.py [--apps NAME ...] [--hold 10] [--max-calls 1600]

Writes ``benches/results/load.json`` (rows as ``benches/report.py`` reads them) and the
table in ``benches/results/load.md`` (``report.py`` in this folder).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
RESULTS = ROOT / "benches" / "results"
PY = sys.executable
PIPECAT_PY = str(ROOT / ".venv-pipecat" / "bin" / "python")
TICKS = os.sysconf("SC_CLK_TCK")
APP_CORE, GENERATOR_CORE = "0", "1"
# The app and the generator run ahead of other work on a shared machine (round-robin
# real-time priority 1, which the kernel caps at 95 % of each core), so that what is
# measured is theirs; only where allowed (root) and unless LOAD_REALTIME=0.
NICE = (
    ["chrt", "--rr", "1"]
    if os.geteuid() == 0 and os.environ.get("LOAD_REALTIME", "1") != "0"
    else []
)
LADDER = (50, 100, 200, 400, 800, 1600, 3200)


@dataclass(frozen=True)
class App:
    name: str
    command: tuple[str, ...]  # without --port
    kind: str = "audiofork"  # audiofork, floor or reference


def _echo_bot(*flags: str) -> tuple[str, ...]:
    return (PY, str(ROOT / "examples" / "echo_bot.py"), "--quiet", "--server", *flags)


APPS = [
    App("echo_bot websockets", _echo_bot("websockets")),
    App("echo_bot websockets uvloop", _echo_bot("websockets", "--uvloop")),
    App("echo_bot aiohttp", _echo_bot("aiohttp")),
    App("echo_bot aiohttp uvloop", _echo_bot("aiohttp", "--uvloop")),
    App("echo_bot picows uvloop", _echo_bot("picows", "--uvloop")),
    App("fastapi_app uvicorn", (PY, str(ROOT / "examples" / "fastapi_app.py"))),
    App(
        "StreamSession on picows uvloop",
        (PY, str(HERE / "apps" / "session_echo.py"), "--uvloop"),
        "floor",
    ),
    App("raw picows uvloop echo", (PY, str(HERE / "apps" / "raw_echo.py"), "--uvloop"), "floor"),
    App("pipecat way by hand", (PY, str(HERE / "apps" / "pipecat_style_echo.py")), "reference"),
    App("pipecat echo bot", (PIPECAT_PY, str(HERE / "apps" / "pipecat_echo.py")), "reference"),
]


class Proc:
    """Counters of one process from /proc: CPU seconds and RSS."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0


def family(pid: int) -> list[int]:
    """``pid`` and its descendants (uvicorn workers, a shell's child)."""
    pids = [pid]
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        pids += family(int(child))
    return pids


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_app(
    command: tuple[str, ...], port: int, core: str, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [*NICE, "taskset", "-c", core, *command, "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        wait_for_port(port)
    except RuntimeError:
        stop(process)
        raise
    return process


def wait_for_port(port: int, timeout: float = 30) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


def stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def sample(pids: list[int]) -> tuple[float, float, int]:
    """(monotonic time, CPU seconds, RSS KiB) summed over ``pids``."""
    procs = [Proc(pid) for pid in pids]
    return time.monotonic(), sum(p.cpu_s() for p in procs), sum(p.rss_kib() for p in procs)


def interpolate(samples: list[tuple[float, float, int]], at: float) -> tuple[float, float]:
    """CPU seconds and RSS at time ``at``, from the samples around it."""
    for (t1, c1, r1), (t2, c2, r2) in itertools.pairwise(samples):
        if t1 <= at <= t2:
            share = (at - t1) / (t2 - t1) if t2 > t1 else 0.0
            return c1 + share * (c2 - c1), r1 + share * (r2 - r1)
    raise ValueError(f"no samples around {at}")


def run_calls(
    url: str, pids: list[int], calls: int, hold: float, generators: int
) -> dict[str, Any]:
    """One run of ``calls`` calls; the app's counters over the span when all were up."""
    ramp = max(2.0, calls / 100)
    seconds = ramp + hold + 1.0
    per = [calls // generators + (i < calls % generators) for i in range(generators)]
    idle = sample(pids)
    window = (ramp + 0.5, seconds - 0.5)  # after t0: every call is up
    command = [
        *(PY, "-m", "audiofork.loadtest.generator", url, "--ramp", str(ramp)),
        *("--window", str(window[0]), str(window[1])),
    ]
    procs = [
        subprocess.Popen(
            [
                *NICE,
                "taskset",
                "-c",
                GENERATOR_CORE,
                *command,
                "--calls",
                str(n),
                "--seconds",
                str(seconds),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in per
    ]
    samples = [idle]
    while any(p.poll() is None for p in procs):
        time.sleep(0.25)
        samples.append(sample(pids))
    reports = [json.loads(p.communicate()[0]) for p in procs]
    row = merge(reports)
    # the app's CPU while every call was up, over the frames the generators sent meanwhile
    # (each its own window, one after another's start: their union is close enough)
    start = min(r["window"][0] for r in reports)
    end = max(r["window"][1] for r in reports)
    cpu1, rss1 = interpolate(samples, start)
    cpu2, rss2 = interpolate(samples, end)
    busy = (cpu2 - cpu1) / (end - start)
    call_seconds = sum(r["window_frames"] for r in reports) / 50
    per_call_s = (cpu2 - cpu1) * 1000 / call_seconds if call_seconds else None
    return row | {
        "calls": calls,
        "window_s": round(end - start, 2),
        "app_busy": round(busy, 3),
        "cpu_ms_per_call_s": round(per_call_s, 3) if per_call_s else None,
        "calls_per_core": round(1000 / per_call_s) if per_call_s else None,
        "rss_kib_per_call": round(((rss1 + rss2) / 2 - idle[2]) / calls, 1),
        "rss_idle_kib": idle[2],
    }


def merge(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """One row from the generators' reports (percentiles: the worst generator's)."""
    total = {
        key: sum(r[key] for r in reports)
        for key in (
            "calls_completed",
            "failure_count",
            "frames_sent",
            "media_sent",
            "frames_echoed",
            "lost",
            "duplicated",
            "reordered",
            "refused",
            "degraded",
            "gaps",
            "generator_cpu_s",
        )
    }
    worst = {
        key: max((r[key] for r in reports if r[key] is not None), default=None)
        for key in (
            "latency_p50_ms",
            "latency_p99_ms",
            "latency_max_ms",
            "gap_p90_ms",
            "gap_longest_ms",
            "first_audio_p50_ms",
            "tick_late_p99_ms",
        )
    }
    wall = max(r["generator_wall_s"] for r in reports)
    return (
        total
        | worst
        | {
            "p99_ms": worst["latency_p99_ms"],
            "generator_busy": round(total["generator_cpu_s"] / wall, 3),
            "failures": [f for r in reports for f in r["failures"]][:5],
        }
    )


def saturated(row: dict[str, Any]) -> str:
    """Why the ladder stops after this run ('' if it goes on): the app's core 90 % busy,
    frames or calls lost, or the generator's core 90 % busy (then the generator is the
    limit). Latency is reported, not used: on a shared machine other work delays both
    processes, and the CPU figures are what tell capacity."""
    reasons = []
    if row["app_busy"] >= 0.9:
        reasons.append("app core busy")
    if row["lost"] > 0.001 * max(row["frames_sent"], 1) or row["failure_count"]:
        reasons.append("calls or frames lost")
    if row["generator_busy"] >= 0.9:
        reasons.append("generator core busy")
    if (row["tick_late_p99_ms"] or 0) > 50:
        reasons.append("generator behind real time")
    return ", ".join(reasons)


def ladder(app: App, hold: float, max_calls: int, generators: int) -> list[dict[str, Any]]:
    rows = []
    port = free_port()
    process = start_app(app.command, port, APP_CORE)
    try:
        time.sleep(1.0)
        for calls in (n for n in LADDER if n <= max_calls):
            row = {"app": app.name, "kind": app.kind, "workers": 1} | run_calls(
                f"ws://127.0.0.1:{port}/ws", family(process.pid), calls, hold, generators
            )
            row["saturated"] = saturated(row)
            rows.append(row)
            print(json.dumps(row), flush=True)
            if row["saturated"]:
                break
            time.sleep(1.0)
    finally:
        stop(process)
    return rows


def scale_out(app: App, calls: int, hold: float, generators: int) -> list[dict[str, Any]]:
    """``calls`` calls to one worker, then to two sharing the port (SO_REUSEPORT)."""
    rows = []
    for workers in (1, 2):
        port = free_port()
        command = (*app.command, "--reuse-port")
        processes = [start_app(command, port, APP_CORE) for _ in range(workers)]
        try:
            time.sleep(1.0)
            pids = [pid for p in processes for pid in family(p.pid)]
            busiest = [Proc(pid) for pid in pids]
            before = [p.cpu_s() for p in busiest]
            name = f"{app.name}, {workers} worker{'s' if workers > 1 else ''} on one port"
            row = {"app": name, "kind": "scale-out", "workers": workers} | run_calls(
                f"ws://127.0.0.1:{port}/ws", pids, calls, hold, generators
            )
            shares = [p.cpu_s() - b for p, b in zip(busiest, before, strict=True)]
            row["worker_cpu_shares"] = [round(s / sum(shares), 3) for s in shares]
            rows.append(row)
            print(json.dumps(row), flush=True)
        finally:
            for process in processes:
                stop(process)
    return rows


def environment() -> dict[str, Any]:
    from importlib.metadata import version

    def pipecat_versions() -> dict[str, str]:
        if not Path(PIPECAT_PY).exists():
            return {}
        code = (
            "import json; from importlib.metadata import version as v;"
            "print(json.dumps({p: v(p) for p in ('pipecat-ai', 'pipecat-vobiz')}))"
        )
        out = subprocess.run([PIPECAT_PY, "-c", code], capture_output=True, text=True)
        return dict(json.loads(out.stdout)) if out.returncode == 0 else {}

    packages = (
        "audiofork",
        "websockets",
        "aiohttp",
        "picows",
        "uvloop",
        "uvicorn",
        "fastapi",
        "numpy",
        "soxr",
    )
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "cpu_model": cpu,
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "packages": {p: version(p) for p in packages} | pipecat_versions(),
        "loadavg": list(os.getloadavg()),
        "when": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--apps", nargs="*", help="names (substrings) of the apps to run")
    parser.add_argument("--hold", type=float, default=10.0, help="seconds all calls are up")
    parser.add_argument("--max-calls", type=int, default=3200)
    parser.add_argument("--generators", type=int, default=1, help="generator processes")
    parser.add_argument("--scale-out-calls", type=int, default=200)
    parser.add_argument("--out", type=Path, default=RESULTS / "load.json")
    args = parser.parse_args()
    apps = [a for a in APPS if not args.apps or any(s in a.name for s in args.apps)]
    env = environment()
    loads = [env["loadavg"]]
    rows: list[dict[str, Any]] = []
    for app in apps:
        if app.command[0] == PIPECAT_PY and not Path(PIPECAT_PY).exists():
            print(f"skipped {app.name}: no {PIPECAT_PY} (make load creates it)", flush=True)
            continue
        rows += ladder(app, args.hold, args.max_calls, args.generators)
        loads.append(list(os.getloadavg()))
    if args.scale_out_calls and not args.apps:
        rows += scale_out(APPS[0], args.scale_out_calls, args.hold, args.generators)
        loads.append(list(os.getloadavg()))
    env["loadavg_during"] = loads
    # rows: what benches/report.py plots, each with numbers for calls, CPU and p99; a run
    # that measured no latency (nothing came back) is kept apart
    measured = [r for r in rows if r["cpu_ms_per_call_s"] is not None and r["p99_ms"] is not None]
    unmeasured = [r for r in rows if r not in measured]
    data = {"environment": env, "rows": measured, "unmeasured_rows": unmeasured}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
