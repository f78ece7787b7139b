"""The console's one WebSocket (``/console/ws``): live views out, the page's actions in.

Out, as JSON text: ``hello`` once, then the account's ``calls`` and the watched ``stream``,
coalesced: the calls at most every :data:`CALLS_EVERY_S` and a stream at most every
:data:`STREAM_EVERY_S`, each only when something changed, however busy the calls are. The
page never polls.

In, as JSON text ``{"id": n, "op": …}``, each answered by ``{"type": "reply", "id": n,
"ok": true, …}`` or ``{"ok": false, "error": "…"}`` (the error is what the REST API would
say):

- ``watch`` ``{"stream": first_stream_id | null}``: the stream whose view is sent (its
  history first);
- ``call`` ``{"from", "to", "answer_url", "answer_method"}`` or ``{"from", "to",
  "stream_url", "content_type"}`` (the console answers the call itself with one
  bidirectional ``<Stream>`` to that URL);
- ``hangup`` ``{"call"}`` (as the caller), ``stop`` ``{"call", "stream"}``,
  ``dtmf`` ``{"call", "digits"}``, ``speak`` ``{"call", "audio", "seconds"}`` or
  ``{"call", "wav": base64}`` (talk over, replacing the caller audio), ``stop_speaking``
  ``{"call"}``.

The handshake needs a signed-in account and, from a browser, this server's own origin; at
most :data:`~audiofork.emulator.console.state.MAX_FEEDS` pages are open at once (503 past
that). A page may ask for :data:`ACTION_BURST` actions at once, then :data:`ACTIONS_PER_S`
a second; past that an action is answered "too many actions" and not done.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
from typing import Any

import aiohttp
from aiohttp import web

from audiofork.emulator import caller
from audiofork.emulator.calls import Call
from audiofork.emulator.console import state
from audiofork.emulator.console.state import CONSOLE, Console
from audiofork.emulator.console.views import StreamCursor, calls_view, stream_view
from audiofork.emulator.monitor import StreamMonitor
from audiofork.errors import AudioforkError, ValidationError

__all__ = [
    "ACTIONS_PER_S",
    "ACTION_BURST",
    "CALLS_EVERY_S",
    "CALLS_SHOWN",
    "FEED_PATH",
    "STREAM_EVERY_S",
    "handle",
]

_log = logging.getLogger("audiofork.emulator")

FEED_PATH = "/console/ws"
#: The least time between two updates of the calls list, and of the watched stream (real
#: seconds): at most 4 and 10 updates a second.
CALLS_EVERY_S = 0.25
STREAM_EVERY_S = 0.1
#: Rows of the calls list: every live call, then the latest ended ones up to this many.
CALLS_SHOWN = 100
#: Actions a page may ask for: a burst of :data:`ACTION_BURST`, then
#: :data:`ACTIONS_PER_S` a second; past that each is refused ("too many actions").
ACTION_BURST = 100
ACTIONS_PER_S = 20.0
#: The largest message the page may send: a WAV of 8 MiB, base64-encoded, and its JSON.
MAX_MESSAGE_BYTES = 12 << 20
_CALL_OPS = ("hangup", "stop", "dtmf", "speak", "stop_speaking")
_NOT_AN_OBJECT = "the message must be a JSON object"


class _Feed:
    """One page's connection: what it watches and what it was sent."""

    def __init__(self, console: Console, account: str, ws: web.WebSocketResponse) -> None:
        self.console = console
        self.account = account
        self.ws = ws
        self.cursor = StreamCursor()
        self.watching: StreamMonitor | None = None  # the watched stream's, once found
        self.last_calls = ""
        self._allowance = float(ACTION_BURST)
        self._allowance_at = asyncio.get_running_loop().time()
        self.refused = 0  # actions refused: too many

    # --- out ------------------------------------------------------------------------------

    async def send_views(self) -> None:
        """Send what changed, coalesced; returns when the socket closes."""
        calls_due = 0.0
        loop = asyncio.get_running_loop()
        while not self.ws.closed:
            now = loop.time()
            if now >= calls_due:
                calls_due = now + CALLS_EVERY_S
                await self._send_calls()
            monitor = self._watched()
            if monitor is not None:
                view = stream_view(monitor, self.cursor)
                if view is not None:
                    await self.ws.send_str(json.dumps(view))
            await asyncio.sleep(STREAM_EVERY_S)

    async def _send_calls(self) -> None:
        view = calls_view(self.console.exchange.calls_of(self.account), CALLS_SHOWN)
        text = json.dumps(view)
        if text != self.last_calls:
            self.last_calls = text
            await self.ws.send_str(text)

    def _watched(self) -> StreamMonitor | None:
        """The watched stream's monitor (looked up until it exists, then watched)."""
        first_id = self.cursor.stream
        if first_id is None or self.watching is not None:
            return self.watching
        for call in self.console.exchange.calls_of(self.account):
            fork = call.fork(first_id)
            if fork is not None:
                self.watching = fork.monitor
                self.watching.watch()
                break
        return self.watching

    def unwatch(self) -> None:
        """Stop watching the stream (the page watches another, or has left)."""
        if self.watching is not None:
            self.watching.unwatch()
            self.watching = None

    # --- in -------------------------------------------------------------------------------

    def _may_act(self) -> bool:
        """Whether the page may act now (a token bucket: :data:`ACTION_BURST`,
        :data:`ACTIONS_PER_S`)."""
        now = asyncio.get_running_loop().time()
        elapsed = now - self._allowance_at
        self._allowance = min(float(ACTION_BURST), self._allowance + elapsed * ACTIONS_PER_S)
        self._allowance_at = now
        if self._allowance < 1:
            self.refused += 1
            return False
        self._allowance -= 1
        return True

    async def act(self, text: str) -> dict[str, Any]:
        """Do what one message asks; the reply."""
        try:
            message = json.loads(text)
        except (ValueError, RecursionError):
            return {"type": "reply", "id": None, "ok": False, "error": "the message is not JSON"}
        if not isinstance(message, dict):
            return {"type": "reply", "id": None, "ok": False, "error": _NOT_AN_OBJECT}
        reply: dict[str, Any] = {"type": "reply", "id": message.get("id")}
        if not self._may_act():
            error = f"too many actions: at most {ACTIONS_PER_S:g} a second"
            return {**reply, "ok": False, "error": error}
        try:
            reply.update(ok=True, **self._do(message))
        except (AudioforkError, ValueError, TypeError) as exc:
            reply.update(ok=False, error=str(exc))
        return reply

    def _do(self, message: dict[str, Any]) -> dict[str, Any]:
        op = message.get("op")
        if op == "watch":
            stream = message.get("stream")
            if stream is not None and not isinstance(stream, str):
                raise ValidationError(f"stream must be a stream id or null, got {stream!r:.40}")
            self.unwatch()
            self.cursor = StreamCursor(stream=stream)
            self._watched()
            return {}
        if op == "call":
            return {"call_uuid": self.console.place(self.account, message).uuid}
        if op not in _CALL_OPS:
            raise ValidationError(f"unknown op {op!r:.40}")
        call = self._call(message.get("call"))
        if op == "hangup":
            caller.hang_up(call)
        elif op == "stop":
            stream_id = message.get("stream")
            fork = call.fork(stream_id) if isinstance(stream_id, str) else None
            if fork is None:
                raise ValidationError(f"no stream {stream_id!r:.60} on call {call.uuid}")
            fork.stop("api_stop")
        elif op == "dtmf":
            digits = message.get("digits")
            if not isinstance(digits, str):
                raise ValidationError(f"digits must be a string, got {digits!r:.40}")
            return {"streams": caller.press_keys(call, digits)}
        elif op == "speak":
            pcm, rate = self._clip(message)
            return {"streams": caller.talk(call, pcm, rate, "replace").stream_ids}
        else:  # stop_speaking
            return {"streams": caller.stop_talking(call)}
        return {}

    def _call(self, call_uuid: object) -> Call:
        call = (
            self.console.exchange.call(self.account, call_uuid)
            if isinstance(call_uuid, str)
            else None
        )
        if call is None:
            raise ValidationError(f"no call {call_uuid!r:.60} of this account")
        return call

    @staticmethod
    def _clip(message: dict[str, Any]) -> tuple[Any, int]:
        if "wav" in message:
            data = message["wav"]
            if not isinstance(data, str):
                raise ValidationError("wav must be a base64 string")
            try:
                raw = base64.b64decode(data, validate=True)
            except (binascii.Error, ValueError):
                raise ValidationError("wav is not valid base64") from None
            return caller.wav_clip(raw)
        audio = message.get("audio", "speech")
        if audio not in ("speech", "silence") and not (
            isinstance(audio, str) and (audio == "tone" or audio.startswith("tone:"))
        ):
            raise ValidationError(f"audio must be speech, silence or tone[:Hz], got {audio!r:.40}")
        return caller.clip_of(audio, message.get("seconds"))


async def handle(request: web.Request) -> web.StreamResponse:
    """``GET /console/ws``: the console's WebSocket (see the module doc)."""
    console = request.app[CONSOLE]
    account = console.page_account(
        request, "the console's WebSocket takes pages of this server only"
    )
    with Console.admitted(console.feeds, state.MAX_FEEDS, "console pages", MAX_MESSAGE_BYTES) as ws:
        await ws.prepare(request)
        await _serve(_Feed(console, account, ws))
    return ws


async def _serve(feed: _Feed) -> None:
    """Say hello, then send views and answer the page's messages until it leaves."""
    ws = feed.ws
    sender: asyncio.Future[None] | None = None
    try:
        hello = {"type": "hello", "account": feed.account, "speed": feed.console.speed}
        await ws.send_str(json.dumps(hello))
        sender = asyncio.ensure_future(feed.send_views())
        async for message in ws:
            if message.type == aiohttp.WSMsgType.TEXT:
                await ws.send_str(json.dumps(await feed.act(message.data)))
            elif message.type == aiohttp.WSMsgType.ERROR:
                break
    except (ConnectionResetError, aiohttp.ClientError) as exc:
        _log.debug("console socket of %s: %s", feed.account, exc)
    finally:
        if sender is not None:
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)
        feed.unwatch()
