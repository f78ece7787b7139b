"""What the console's stream monitor costs each frame of every emulated stream: the
runner's per-frame hand-over (:meth:`StreamRunner._frame`'s monitor line) timed over many
frames of 8 kHz audio, for a stream nobody watches (the bot silent, and the bot talking)
and for one a page watches. Prints microseconds per frame (the frame is 20 ms)::

    python benches/bench_console_monitor.py [--frames 20000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from audiofork.emulator.monitor import StreamMonitor
from audiofork.formats import MediaFormat
from audiofork.platform import AudioQueued, Frame

RATE = 8000
SAMPLES = RATE // 50


def frames(count: int, talking: bool) -> list[Frame]:
    rng = np.random.default_rng(1)
    caller = rng.integers(-3000, 3000, SAMPLES, dtype=np.int16)
    played = caller if talking else np.zeros(SAMPLES, dtype=np.int16)
    heard = SAMPLES if talking else 0
    return [Frame(i, 20 * i, {"inbound": caller}, played, heard, []) for i in range(count)]


def per_frame_us(monitor: StreamMonitor, batch: list[Frame], talking: bool) -> float:
    """The runner's hand-over of each frame to ``monitor``, in µs per frame."""
    if talking:  # the app's reply, long enough to keep playing through the batch
        fmt = MediaFormat.parse("audio/x-l16;rate=8000")
        monitor.notices([AudioQueued(fmt, 20.0 * len(batch), 20.0 * len(batch))])
    queued = 1000.0 if talking else 0.0
    start = time.perf_counter()
    for frame in batch:
        if monitor.wants_frames:  # as StreamRunner does
            monitor.frame(frame, queued)
    return (time.perf_counter() - start) / len(batch) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    for name, talking, watched in [
        ("unwatched, bot silent", False, False),
        ("unwatched, bot talking", True, False),
        ("watched, bot talking", True, True),
    ]:
        batch = frames(args.frames, talking)
        best = []
        for _ in range(args.rounds):
            monitor = StreamMonitor("call", "stream", "audio/x-l16;rate=8000", RATE, time.monotonic)
            if watched:
                monitor.watch()
            best.append(per_frame_us(monitor, batch, talking))
        print(f"{name:24s} {min(best):6.2f} us/frame (median {sorted(best)[len(best) // 2]:.2f})")


if __name__ == "__main__":
    main()
