"""The console's state in one emulator: sign-in, the answer documents of calls placed to a
stream URL, and its static files (read once)."""

from __future__ import annotations

import contextlib
import secrets
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from aiohttp import WSCloseCode, web

from audiofork.emulator.audio import AudioSource
from audiofork.emulator.calls import Call
from audiofork.emulator.console.auth import ConsoleAuth, same_origin
from audiofork.emulator.exchange import Exchange
from audiofork.emulator.rest_common import CallRequest
from audiofork.vobiz import _params

__all__ = [
    "ANSWER_PATH",
    "CONSOLE",
    "CONTENT_TYPES",
    "MAX_ANSWERS",
    "MAX_FEEDS",
    "MAX_PHONES",
    "Console",
    "StreamAnswer",
]

#: Where the console serves the answer documents of calls placed to a stream URL.
ANSWER_PATH = "/console/answer/"
#: Answer documents waiting to be fetched, at most (the oldest forgotten first).
MAX_ANSWERS = 1000
#: Console pages (feed WebSockets) and softphones open at once, at most; more are refused
#: with 503 until one closes.
MAX_FEEDS = 32
MAX_PHONES = 8
#: The formats the console offers for a call placed to a stream URL.
CONTENT_TYPES = ("audio/x-mulaw;rate=8000", "audio/x-l16;rate=8000", "audio/x-l16;rate=16000")


@dataclass(frozen=True)
class StreamAnswer:
    """What the answer document of a call placed to a stream URL says: one bidirectional
    ``<Stream>`` to ``url`` in ``content_type``, kept alive."""

    url: str
    content_type: str

    @classmethod
    def checked(cls, url: object, content_type: object) -> StreamAnswer:
        """Check both (:class:`ValidationError` naming the field)."""
        checked_url = _params.ws_url("stream_url", url)
        checked_type = _params.content_type("content_type", content_type)
        return cls(checked_url, checked_type)


class Console:
    """One emulator's console: its ``exchange``, sign-in (:attr:`auth`) and answers;
    :attr:`base_url` is the emulator's own URL (set once it serves), where its calls fetch
    the answers."""

    def __init__(self, exchange: Exchange) -> None:
        self.exchange = exchange
        self.base_url = ""
        self.auth = ConsoleAuth(lambda auth_id, token: self.exchange.authenticate(auth_id, token))
        self._answers: OrderedDict[str, StreamAnswer] = OrderedDict()
        self._static: dict[str, str] = {}
        #: The open WebSockets of the console's pages and of its softphones (closed at
        #: shutdown).
        self.feeds: set[web.WebSocketResponse] = set()
        self.phones: set[web.WebSocketResponse] = set()

    @property
    def speed(self) -> float:
        """The emulator's clock speed (the softphone needs 1)."""
        return self.exchange.services.clock.speed

    def place(
        self, account: str, request: Mapping[str, Any], *, caller: AudioSource | None = None
    ) -> Call:
        """Place a call for ``account`` as ``request`` asks: ``from``, ``to`` and either
        ``answer_url`` (``answer_method``) or ``stream_url`` (``content_type``), which the
        console answers itself with one bidirectional ``<Stream>``. ``caller`` is the call's
        caller audio instead of the emulator's. :class:`ValidationError` naming a bad
        field."""
        params = dict(request)
        if "stream_url" in request:
            answer = StreamAnswer.checked(
                request["stream_url"], request.get("content_type", CONTENT_TYPES[0])
            )
            token = secrets.token_urlsafe(18)
            self._answers[token] = answer
            while len(self._answers) > MAX_ANSWERS:
                self._answers.popitem(last=False)
            params["answer_url"] = f"{self.base_url}{ANSWER_PATH}{token}"
            params["answer_method"] = "POST"
        wanted = CallRequest.from_params(params)
        return self.exchange.place_call(
            account, wanted.from_, wanted.to, wanted.answer_url, wanted.answer_method, caller=caller
        )

    def take_answer(self, token: str) -> StreamAnswer | None:
        """The answer kept under ``token``, forgotten as it is taken."""
        return self._answers.pop(token, None)

    def page_account(self, request: web.Request, refusal: str) -> str:
        """The signed-in account of a console page's WebSocket request: 401 when no one is
        signed in, 403 (``refusal`` as the text) when the request is not from this server's
        pages."""
        account = self.auth.account_of(request)
        if account is None:
            raise web.HTTPUnauthorized(text="sign in first")
        if not same_origin(request):
            raise web.HTTPForbidden(text=refusal)
        return account

    @staticmethod
    @contextlib.contextmanager
    def admitted(
        sockets: set[web.WebSocketResponse], limit: int, what: str, max_msg_size: int
    ) -> Iterator[web.WebSocketResponse]:
        """A new WebSocket (taking messages up to ``max_msg_size`` bytes) among ``sockets``
        while the block runs; 503 (``what`` named) when ``limit`` are open already."""
        if len(sockets) >= limit:
            raise web.HTTPServiceUnavailable(
                text=f"{limit} {what} are open already: close one first"
            )
        ws = web.WebSocketResponse(heartbeat=30, max_msg_size=max_msg_size)
        sockets.add(ws)
        try:
            yield ws
        finally:
            sockets.discard(ws)

    async def close_sockets(self) -> None:
        """Close every open WebSocket of the console (the server is shutting down)."""
        for ws in [*self.feeds, *self.phones]:
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"the emulator is stopping")

    def static_text(self, name: str) -> str:
        """The text of the static file ``name`` (package data, read the first time)."""
        if name not in self._static:
            files = resources.files("audiofork.emulator.console") / "static"
            self._static[name] = (files / name).read_text("utf-8")
        return self._static[name]


#: The application key of the :class:`Console`.
CONSOLE = web.AppKey("console", Console)
