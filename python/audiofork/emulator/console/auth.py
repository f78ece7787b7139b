"""Who may use the console: an account signed in by a one-time login link or by HTTP Basic.

A login link (:meth:`ConsoleAuth.login_link`, printed by ``audiofork emulator`` at start-up)
carries a random token that works once: ``/console/login?token=…`` trades it for a session
cookie (``HttpOnly``, ``SameSite=Strict``) and redirects to the console. HTTP Basic with the
account's auth id and token works too, as on the status page; a page served to it also
gets a session cookie, so its WebSockets need nothing more. Sessions live in memory, at most
:data:`MAX_SESSIONS` (the oldest forgotten first).

The console's WebSockets accept only a same-origin handshake (:func:`same_origin`): a page
on another site cannot ride a signed-in browser's cookie.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections import OrderedDict
from collections.abc import Callable

from aiohttp import web
from yarl import URL

__all__ = ["COOKIE", "LOGIN_PATH", "MAX_SESSIONS", "ConsoleAuth", "same_origin"]

#: The session cookie's name and the login path.
COOKIE = "audiofork_console"
LOGIN_PATH = "/console/login"
#: Sessions kept, and login links not yet used, at most.
MAX_SESSIONS = 1000
MAX_LINKS = 1000


class ConsoleAuth:
    """Login tokens and sessions of the console; ``authenticate(auth_id, token)`` checks an
    account's credentials (the exchange's, constant time)."""

    def __init__(self, authenticate: Callable[[str, str], bool]) -> None:
        self._authenticate = authenticate
        self._links: OrderedDict[str, str] = OrderedDict()  # one-time token -> account
        self._sessions: OrderedDict[str, str] = OrderedDict()  # session id -> account

    def login_link(self, base_url: str, account_id: str) -> str:
        """A link that signs ``account_id`` in once: ``{base_url}/console/login?token=…``."""
        token = secrets.token_urlsafe(24)
        self._links[token] = account_id
        while len(self._links) > MAX_LINKS:
            self._links.popitem(last=False)
        return f"{base_url}{LOGIN_PATH}?token={token}"

    def redeem(self, token: str) -> str | None:
        """The account of a login token, which is used up; ``None`` if it names none."""
        return self._links.pop(token, None)

    def new_session(self, account_id: str) -> str:
        """A new session of ``account_id``: the cookie's value."""
        session = secrets.token_urlsafe(32)
        self._sessions[session] = account_id
        while len(self._sessions) > MAX_SESSIONS:
            self._sessions.popitem(last=False)
        return session

    def account_of(self, request: web.Request) -> str | None:
        """The account the request is signed in as (session cookie or HTTP Basic), or
        ``None``."""
        session = request.cookies.get(COOKIE)
        if session is not None and session in self._sessions:
            return self._sessions[session]
        return self.basic_account(request)

    def basic_account(self, request: web.Request) -> str | None:
        """The account whose auth id and token the request's HTTP Basic credentials are,
        or ``None``."""
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        auth_id, sep, token = decoded.partition(":")
        if not sep or not self._authenticate(auth_id, token):
            return None
        return auth_id

    def has_session(self, request: web.Request) -> bool:
        """Whether the request carries a live session cookie."""
        return request.cookies.get(COOKIE) in self._sessions

    @staticmethod
    def set_cookie(response: web.StreamResponse, session: str) -> None:
        """Give the browser the session cookie."""
        response.set_cookie(COOKIE, session, httponly=True, samesite="Strict", path="/")


def same_origin(request: web.Request) -> bool:
    """Whether a WebSocket handshake comes from a page of this server (its ``Origin`` is the
    request's own scheme and host); a handshake without ``Origin`` (not a browser) passes."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    try:
        url = URL(origin)
    except ValueError:
        return False
    return (
        url.scheme == request.scheme and url.host is not None and url.raw_authority == request.host
    )
