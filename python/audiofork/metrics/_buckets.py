"""Histogram bucket bounds (seconds), shared by the Prometheus and OpenTelemetry exports."""

from __future__ import annotations

__all__ = ["AHEAD_S", "LAG_S", "TURNAROUND_S"]

#: Playout ahead of real time: a paced app keeps well under a second; an unpaced reply is
#: as long as the reply.
AHEAD_S = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
#: A checkpoint's turnaround: the audio queued before it, plus the platform's answer.
TURNAROUND_S = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
#: Event-loop lag: above 20 ms, a loop is late for its next frame.
LAG_S = (0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
