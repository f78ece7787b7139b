"""Simulated calls against a voice app with Locust: each user places echo calls, one after
another, and Locust aggregates what they measured (see ``audiofork.loadtest.locust_user``).

    python examples/echo_bot.py --port 8765 &
    locust -f examples/locustfile.py --headless -u 20 -r 10 -t 1m --host ws://127.0.0.1:8765

Spread the users over processes or machines with ``--master`` and ``--worker``.
"""

from __future__ import annotations

from audiofork.loadtest.locust_user import EchoCallUser


class Caller(EchoCallUser):
    """A caller who speaks for 3 s, then hangs up and calls again half a second later."""

    path = "/ws"
    call_seconds = 3.0
