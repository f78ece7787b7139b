"""The test's callers: 2 s calls, no gate on gaps (timing belongs in make load)."""

from __future__ import annotations

from audiofork.loadtest.locust_user import EchoCallUser


class Caller(EchoCallUser):
    call_seconds = 2.0
    max_gap_ms = None
