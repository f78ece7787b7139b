"""A Locust ``User`` that places simulated calls against a voice app (extra ``locust``).

Each task is one call: a WebSocket to the app (``host`` + :attr:`EchoCallUser.path`), a
:class:`~audiofork.loadtest.EchoCall` speaking frame tags in real time for
:attr:`~EchoCallUser.call_seconds`, then ``stop``. What the call measured goes to Locust's
statistics, under request type ``call``:

- ``connect``: the WebSocket handshake;
- ``time to first audio``: from the first frame sent to the first app audio received;
- ``frame latency p50`` / ``frame latency p99``: the call's added latency per frame
  (frame sent to its echo received), one entry each per call;
- ``gap``: one entry per underrun of the caller's playout inside the echo, its length as
  the response time; a call whose longest gap passes :attr:`~EchoCallUser.max_gap_ms`
  (unless ``None``) fails ``gaps``;
- ``lost frames``: one entry per call, its "response time" the count of frames lost,
  duplicated or reordered (its length the frames echoed); fails when that is not 0;
- ``call``: the whole call; fails if the socket could not be opened or closed early.

Run it from a locustfile (``examples/locustfile.py``)::

    locust -f examples/locustfile.py --headless -u 20 -r 10 -t 1m --host ws://127.0.0.1:8765

Master and worker processes (``--master``, ``--worker``) spread the calls over cores and
machines as with any Locust test. Frames are paced with gevent against absolute 20 ms
deadlines; one Locust worker process carries a few dozen real-time calls.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

import gevent  # type: ignore[import-untyped]
from locust import User, constant, task
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from audiofork.loadtest._call import CallResult, EchoCall

__all__ = ["CallFailed", "EchoCallUser"]

FRAME_S = 0.02


class CallFailed(Exception):
    """What a failed ``call`` statistics entry carries."""


class EchoCallUser(User):
    """Places one echo call per task; subclass it in a locustfile (see the module doc)."""

    abstract = True
    wait_time = constant(0.5)
    #: Path of the app's WebSocket, appended to ``host``.
    path: ClassVar[str] = "/ws"
    #: How long each call speaks.
    call_seconds: ClassVar[float] = 5.0
    #: A call whose longest playout gap is longer fails ``gaps`` (``None``: no such gate).
    max_gap_ms: ClassVar[float | None] = 5.0

    @task
    def place_call(self) -> None:
        url = (self.host or "").rstrip("/") + self.path
        started = time.perf_counter()
        call = EchoCall(self.call_seconds, stream_id=f"locust-{id(self)}-{started}")
        try:
            ws = connect(url, open_timeout=10, max_size=2**20)
        except Exception as exc:  # OSError, a timeout, a refused handshake
            self._report("connect", started, exc)
            self._report("call", started, exc)
            return
        self._report("connect", started)
        try:
            failure = self._converse(ws, call)
        finally:
            ws.close()
        self._report_result(call.finish(), started, failure)

    def _converse(self, ws: ClientConnection, call: EchoCall) -> Exception | None:
        """Speak and listen until the call is done; the reason it ended early, if so."""
        ended: list[Exception] = []

        def listen() -> None:
            try:
                for message in ws:
                    replies = call.receive(message, time.monotonic())
                    for text in replies:
                        ws.send(text)
            except ConnectionClosed:
                pass
            except Exception as exc:  # a refused or unexpected message ends the call
                ended.append(exc)
            else:
                if not call.done:
                    ended.append(CallFailed("the app closed the connection"))

        listener = gevent.spawn(listen)
        try:
            for text in call.start():
                ws.send(text)
            deadline = time.monotonic()
            while not call.done and not ended:
                deadline += FRAME_S
                gevent.sleep(max(0.0, deadline - time.monotonic()))
                for text in call.tick(time.monotonic()):
                    ws.send(text)
            if not ended:
                for text in call.hang_up():
                    ws.send(text)
        except ConnectionClosed as exc:
            ended.append(CallFailed(f"the connection closed: {exc}"))
        finally:
            listener.kill(block=False)
        return ended[0] if ended else None

    def _report_result(self, result: CallResult, started: float, failure: Exception | None) -> None:
        if result.first_audio_ms is not None:
            self._fire("time to first audio", result.first_audio_ms)
        if result.latencies_ms:
            ordered = sorted(result.latencies_ms)
            self._fire("frame latency p50", ordered[len(ordered) // 2])
            self._fire(
                "frame latency p99", ordered[min(len(ordered) - 1, len(ordered) * 99 // 100)]
            )
        for gap in result.gaps_ms:
            self._fire("gap", gap)
        if self.max_gap_ms is not None and result.longest_gap_ms > self.max_gap_ms:
            gaps = CallFailed(f"longest gap {result.longest_gap_ms:.1f} ms > {self.max_gap_ms} ms")
            self._fire("gaps", result.longest_gap_ms, gaps)
        bad = result.lost + result.duplicated + result.reordered
        lost = None
        if bad:
            lost = CallFailed(
                f"{result.lost} lost, {result.duplicated} duplicated, {result.reordered}"
                f" reordered of {result.frames_sent}"
            )
        self._fire("lost frames", float(bad), lost, length=result.frames_echoed)
        self._report("call", started, failure)

    def _report(self, name: str, started: float, exception: Exception | None = None) -> None:
        self._fire(name, (time.perf_counter() - started) * 1000, exception)

    def _fire(
        self, name: str, ms: float, exception: Exception | None = None, length: int = 0
    ) -> None:
        request: Any = self.environment.events.request
        request.fire(
            request_type="call",
            name=name,
            response_time=ms,
            response_length=length,
            exception=exception,
            context={},
        )
