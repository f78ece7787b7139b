"""Locust, distributed: one master and two worker processes on loopback place 20 users'
echo calls against examples/echo_bot.py for 20 s; the aggregated statistics show the calls
made, every one measured, and no failure. (Locust is only imported by its own processes:
importing it here would monkey-patch the test process for gevent.)"""

from __future__ import annotations

import csv
import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCUSTFILE = Path(__file__).with_name("locustfile.py")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def locust(*args: str, cwd: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.Popen(
        [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_master_and_two_workers_place_calls_without_failures(tmp_path: Path) -> None:
    app = subprocess.Popen(
        [sys.executable, str(ROOT / "examples" / "echo_bot.py"), "--port", "0", "--quiet"],
        stdout=subprocess.PIPE,
        text=True,
    )
    processes: list[subprocess.Popen[str]] = []
    try:
        assert app.stdout is not None
        url = app.stdout.readline().split()[-1]  # listening on ws://127.0.0.1:PORT/ws
        master_port = str(free_port())
        master = locust(
            "--headless", "--master", "--expect-workers", "2",
            "--master-bind-host", "127.0.0.1", "--master-bind-port", master_port,
            "-u", "20", "-r", "10", "-t", "20s", "--stop-timeout", "10",
            "--host", url.removesuffix("/ws"), "--csv", str(tmp_path / "run"),
            "--only-summary",
            cwd=tmp_path,
        )  # fmt: skip
        processes.append(master)
        workers = [
            locust("--worker", "--master-host", "127.0.0.1", "--master-port", master_port,
                   cwd=tmp_path)
            for _ in range(2)
        ]  # fmt: skip
        processes += workers
        output, _ = master.communicate(timeout=120)
        for worker in workers:
            worker.wait(timeout=30)
    finally:
        for process in [*processes, app]:
            if process.poll() is None:
                process.kill()
            process.wait()
    with open(tmp_path / "run_stats.csv", newline="") as stats_file:
        rows = {row["Name"]: row for row in csv.DictReader(stats_file)}
    calls = int(rows["call"]["Request Count"])
    assert calls >= 20, output  # every user placed at least one call
    for name in ("connect", "time to first audio", "frame latency p99", "lost frames"):
        assert int(rows[name]["Request Count"]) >= calls, (name, output)
    assert int(rows["Aggregated"]["Failure Count"]) == 0, output
