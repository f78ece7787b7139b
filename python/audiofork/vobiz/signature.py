"""Authenticating what the platform sends: signed status callbacks and unsigned WebSockets.

Status callbacks carry ``base64(HMAC-SHA256(auth_token, url_without_query [+ "."] + nonce))``
in ``X-Vobiz-Signature-V3`` (with the ``.``) or ``-V2`` (without), the nonce in
``X-Vobiz-Signature-V3-Nonce`` / ``-V2-Nonce``; ``-MA-V3`` / ``-MA-V2`` hold the same scheme
keyed with the parent account's token. Neither the body nor a time is signed, so refuse
replays with a :class:`NonceCache`.

The WebSocket upgrade is not signed at all: put a secret in the stream URL with
:func:`make_stream_url` and check it with :func:`check_stream_secret`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from audiofork.errors import ValidationError
from audiofork.vobiz import _params

__all__ = [
    "NonceCache",
    "SignatureVersion",
    "check_stream_secret",
    "make_stream_url",
    "sign",
    "signature_header_names",
    "verify_signature",
]

SignatureVersion = Literal["v2", "v3"]

_SECRET = re.compile(r"[A-Za-z0-9._~-]{16,}")
_PARAM = re.compile(r"[A-Za-z0-9._~-]+")


def _version(version: object) -> SignatureVersion:
    folded = version.lower() if isinstance(version, str) else version
    if folded not in ("v2", "v3"):
        raise ValidationError(f"version must be 'v2' or 'v3', got {version!r}")
    return folded


def _token(auth_token: object) -> bytes:
    if not isinstance(auth_token, str) or not auth_token:
        raise ValidationError("auth_token must be a non-empty string")
    return auth_token.encode()


def signature_header_names(
    version: SignatureVersion = "v3", *, parent_account: bool = False
) -> tuple[str, str]:
    """The ``(signature, nonce)`` header names of a scheme, e.g.
    ``("X-Vobiz-Signature-MA-V3", "X-Vobiz-Signature-V3-Nonce")`` for the parent account's V3
    signature (the MA signatures share their version's nonce)."""
    v = _version(version).upper()
    account = "MA-" if parent_account else ""
    return f"X-Vobiz-Signature-{account}{v}", f"X-Vobiz-Signature-{v}-Nonce"


def sign(url: str, nonce: str, auth_token: str, version: SignatureVersion = "v3") -> str:
    """The signature the platform sends for ``url`` and ``nonce`` (query string ignored)."""
    base = url.split("#", 1)[0].split("?", 1)[0]
    separator = "." if _version(version) == "v3" else ""
    digest = hmac.new(_token(auth_token), f"{base}{separator}{nonce}".encode(), hashlib.sha256)
    return base64.b64encode(digest.digest()).decode("ascii")


def verify_signature(
    url: str,
    nonce: str,
    signature_header: str,
    auth_token: str,
    version: SignatureVersion = "v3",
) -> bool:
    """Whether any of the comma-separated signatures in ``signature_header`` is valid for
    ``url`` (its query string is stripped) and ``nonce``. Compares in constant time; an empty
    nonce or header never verifies."""
    expected = sign(url, nonce, auth_token, version).encode()
    if not nonce:
        return False
    matched = False
    for candidate in signature_header.split(","):
        matched |= hmac.compare_digest(expected, candidate.strip().encode())
    return matched


class NonceCache:
    """Nonces seen in the last ``ttl_s`` seconds, at most ``max_items`` (oldest evicted).

    :meth:`add` returns ``False`` for a nonce already present: a replay. Add a nonce only
    after its signature verified, so unauthenticated requests cannot fill the cache.
    Thread-safe. ``clock`` (monotonic seconds) is injectable for tests.
    """

    def __init__(
        self,
        ttl_s: float = 300,
        max_items: int = 100_000,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if isinstance(ttl_s, bool) or not isinstance(ttl_s, (int, float)) or not ttl_s > 0:
            raise ValidationError(f"ttl_s must be a positive number of seconds, got {ttl_s!r}")
        self.ttl_s = float(ttl_s)
        self.max_items = _params.integer("max_items", max_items, 1)
        self._clock = clock
        self._expiries: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def _purge(self, now: float) -> None:
        while self._expiries:
            nonce, expiry = next(iter(self._expiries.items()))
            if expiry > now:
                return
            del self._expiries[nonce]

    def add(self, nonce: str) -> bool:
        """Record ``nonce``; ``True`` if it is new, ``False`` if it is a replay."""
        with self._lock:
            now = self._clock()
            self._purge(now)
            if nonce in self._expiries:
                return False
            self._expiries[nonce] = now + self.ttl_s
            while len(self._expiries) > self.max_items:
                self._expiries.popitem(last=False)
            return True

    def __contains__(self, nonce: object) -> bool:
        with self._lock:
            self._purge(self._clock())
            return nonce in self._expiries

    def __len__(self) -> int:
        with self._lock:
            self._purge(self._clock())
            return len(self._expiries)

    def __repr__(self) -> str:
        return f"NonceCache(ttl_s={self.ttl_s}, max_items={self.max_items}, size={len(self)})"


def _secret(secret: object) -> str:
    if not isinstance(secret, str) or not _SECRET.fullmatch(secret):
        raise ValidationError(
            "secret must be at least 16 URL-safe characters (letters, digits, '-', '_', '.', '~'),"
            " e.g. from secrets.token_urlsafe(32)"
        )
    return secret


def make_stream_url(base_ws_url: str, secret: str, *, param: str = "token") -> str:
    """``base_ws_url`` with ``secret`` added as the query parameter ``param``:
    ``make_stream_url("wss://app.example/ws", s)`` → ``"wss://app.example/ws?token=<s>"``.

    Use a random secret of its own (``secrets.token_urlsafe(32)``), never the auth token.
    """
    url = _params.ws_url("base_ws_url", base_ws_url)
    _secret(secret)
    if not _PARAM.fullmatch(param):
        raise ValidationError(f"param must be a URL-safe query parameter name, got {param!r}")
    head, _, fragment = url.partition("#")
    path, _, query = head.partition("?")
    if any(key == param for key, _ in parse_qsl(query, keep_blank_values=True)):
        raise ValidationError(f"base_ws_url already has a {param!r} query parameter: {url!r}")
    query = f"{query}&{param}={secret}" if query else f"{param}={secret}"
    return f"{path}?{query}" + (f"#{fragment}" if fragment else "")


def check_stream_secret(path_or_url: str, secret: str, *, param: str = "token") -> bool:
    """Whether ``path_or_url`` (a WebSocket request's URL, or its path with the query)
    carries ``secret``, as the query parameter ``param`` or as the last path segment.
    Compares in constant time."""
    expected = _secret(secret).encode()
    parts = urlsplit(path_or_url)
    candidates = [v for k, v in parse_qsl(parts.query, keep_blank_values=True) if k == param]
    candidates.append(unquote(parts.path.rstrip("/").rpartition("/")[2]))
    matched = False
    for candidate in candidates:
        matched |= hmac.compare_digest(expected, candidate.encode())
    return matched
