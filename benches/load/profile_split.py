"""Where an app's CPU goes under load: py-spy samples of the app (native frames included)
while the generator places N calls, each sample put in one part of the stack.

    python benches/load/profile_split.py [--apps NAME ...] [--calls 100] [--seconds 8]
                                   [--before REV] [--out benches/results/load.json]

``--before REV`` profiles each app a second time with the package as it was at git
revision ``REV`` (its ``python/`` tree, with this tree's built extension), to show what a
change did; ``--before-tree DIR`` with the package in the ``python/`` folder ``DIR``.

Samples of a loop waiting in epoll are left out. A sample belongs to the innermost frame
that names a part (frames of libc, the kernel or CPython's own object code name none, so
they count for their caller):

- ``core``: the Rust extension (``audiofork._core``) and the Python wrappers that only
  call it (``codec.py``, ``wire.py``);
- ``session``: ``StreamSession`` and the event, format and stats types;
- ``plumbing``: ``AudioStream`` (``audiofork/aio``) and the transport adapters;
- ``app``: the app's own code (the echo handler);
- ``transport``: the WebSocket library and its HTTP and socket layers;
- ``socket I/O``: the kernel's side of reading and writing sockets (a sample in a
  ``send``/``recv``/``write``/``read`` system call, whoever made it);
- ``event loop``: asyncio, uvloop and libuv.

Prints one JSON object per app: the share of busy samples per part, and the same in CPU-ms
per call-second (the share times the app's CPU per call-second measured in that run).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
import run  # the harness beside this file

PARTS: list[tuple[str, tuple[str, ...]]] = [
    ("core", ("_core.", "audiofork/codec.py", "audiofork/wire.py", ".rs:")),
    (
        "session",
        (
            "audiofork/session",
            "audiofork/events.py",
            "audiofork/formats.py",
            "audiofork/stats.py",
            "audiofork/_playback.py",
            "audiofork/_checks.py",
        ),
    ),
    ("plumbing", ("audiofork/aio/", "audiofork/adapters/")),
    ("app", ("echo_bot.py", "session_echo.py", "raw_echo.py", "pipecat_style_echo.py",
             "pipecat_echo.py", "fastapi_app.py")),
    ("pipecat", ("pipecat/",)),
    ("codec libs", ("soxr", "audioop", "numpy/", "_multiarray", "json/", "base64")),
    (
        "transport",
        ("picows", "aiofastnet", "websockets/", "aiohttp/", "_websocket", "uvicorn/",
         "starlette/", "fastapi/", "h11/", "wsproto/", "httptools", "anyio/"),
    ),
    (
        "event loop",
        ("asyncio/", "uvloop", "loop.c", "_asynciomodule.c", "core.c", "linux.c", "uv-common",
         "selectors.py", "stream.c", "epoll", "contextvars", "timer.c", "handles"),
    ),
]  # fmt: skip


IDLE = ("epoll_wait", "epoll_pwait", "select.epoll.poll", "(selectors.py")
#: System calls that move a socket's bytes: the kernel's share, whoever made the call.
SOCKET_IO = tuple(
    f"{call} (libc"
    for call in ("send", "sendmsg", "sendto", "write", "writev", "recv", "recvmsg", "read")
)


def part_of(stack: list[str]) -> str:
    """The part a sample's stack (outermost frame first) belongs to; ``idle`` for a loop
    waiting in epoll (py-spy counts a native stack there as running)."""
    if any(mark in stack[-1] for mark in IDLE):
        return "idle"
    if stack[-1].startswith(SOCKET_IO):
        return "socket I/O"
    for frame in reversed(stack):
        for part, marks in PARTS:
            if any(mark in frame for mark in marks):
                return part
    return "other"


def split(raw: str) -> Counter[str]:
    """Busy samples per part, from py-spy's ``--format raw`` output."""
    counts: Counter[str] = Counter()
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            part = part_of(stack.split(";"))
            if part != "idle":
                counts[part] += int(count)
    return counts


def package_at(revision: str) -> Path:
    """The ``python/`` tree at git ``revision``, with this tree's built extension."""
    target = Path(tempfile.mkdtemp(prefix="audiofork-"))
    archive = subprocess.run(
        ["git", "archive", revision, "python"], cwd=run.ROOT, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    for built in (run.ROOT / "python" / "audiofork").glob("_core.*.so"):
        shutil.copy(built, target / "python" / "audiofork")
    return target / "python"


def profile(
    app: run.App, calls: int, seconds: float, rate: int, pythonpath: Path | None = None
) -> dict[str, Any]:
    port = run.free_port()
    env = None if pythonpath is None else {**os.environ, "PYTHONPATH": str(pythonpath)}
    process = run.start_app(app.command, port, run.APP_CORE, env)
    out = Path(tempfile.mkdtemp()) / "profile.txt"
    try:
        time.sleep(1.0)
        ramp = max(2.0, calls / 100)
        pids = run.family(process.pid)
        cpu0 = sum(run.Proc(p).cpu_s() for p in pids)
        generator = subprocess.Popen(
            [*run.NICE, "taskset", "-c", run.GENERATOR_CORE, run.PY,
             "-m", "audiofork.loadtest.generator",
             f"ws://127.0.0.1:{port}/ws", "--calls", str(calls), "--ramp", str(ramp),
             "--seconds", str(ramp + seconds + 2)],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        time.sleep(ramp + 0.5)
        subprocess.run(
            [*run.NICE, str(Path(run.PY).with_name("py-spy")), "record", "--pid", str(process.pid),
             "--duration", str(int(seconds)), "--rate", str(rate), "--format", "raw",
             "--native", "--subprocesses", "--output", str(out)],
            check=True, capture_output=True,
        )  # fmt: skip
        summary = json.loads(generator.communicate()[0])
        cpu = sum(run.Proc(p).cpu_s() for p in pids) - cpu0
    finally:
        run.stop(process)
    counts = split(out.read_text())
    total = sum(counts.values())
    # the whole run's CPU over the call-seconds carried (py-spy's pauses included: the
    # shares are what the profile is for; run.py's figures are the clean ones)
    per_call_s = cpu * 1000 / (summary["media_sent"] / 50)
    return {
        "app": app.name,
        "calls": calls,
        "samples": total,
        "cpu_ms_per_call_s": round(per_call_s, 3),
        "lost": summary["lost"],
        "share": {k: round(v / total, 3) for k, v in counts.most_common()},
        "cpu_ms_per_call_s_by_part": {
            k: round(per_call_s * v / total, 3) for k, v in counts.most_common()
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--apps", nargs="*", help="names (substrings) of the apps")
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rate", type=int, default=250, help="samples per second")
    parser.add_argument("--out", type=Path, help="append the results to this JSON file")
    before = parser.add_mutually_exclusive_group()
    before.add_argument("--before", help="also profile the package at this git revision")
    before.add_argument(
        "--before-tree", type=Path, help="also profile the package in this python/ folder"
    )
    args = parser.parse_args()
    apps = [a for a in run.APPS if not args.apps or any(s in a.name for s in args.apps)]
    versions: list[tuple[str, Path | None]] = [("this tree", None)]
    if args.before:
        versions.insert(0, (f"before ({args.before})", package_at(args.before)))
    elif args.before_tree:
        versions.insert(0, ("before", args.before_tree.resolve()))
    results = []
    for app in apps:
        if app.command[0] == run.PIPECAT_PY and not Path(run.PIPECAT_PY).exists():
            continue
        ours = app.kind == "audiofork" or "StreamSession" in app.name
        for label, pythonpath in versions if ours else versions[-1:]:
            result = {"label": label} | profile(
                app, args.calls, args.seconds, args.rate, pythonpath
            )
            print(json.dumps(result), flush=True)
            results.append(result)
    if args.out:
        data = json.loads(args.out.read_text()) if args.out.exists() else {}
        data.setdefault("profiles", []).extend(results)
        args.out.write_text(json.dumps(data, indent=1) + "\n")


if __name__ == "__main__":
    main()
