"""Clients of the Stream REST API: :class:`StreamsClient` (blocking) and
:class:`AsyncStreamsClient` (asyncio), both over httpx (the ``rest`` extra).

Both are thin I/O shells around the same plans (request building, validation, pagination,
error mapping and retries live in one place), so they behave identically::

    with StreamsClient(auth_id, auth_token) as client:
        stream_id = client.start(call_uuid, "wss://app.example/ws", bidirectional=True)
        client.stop(call_uuid, stream_id)

Failures raise :class:`~audiofork.errors.ApiError` (``status`` 0 when no response came);
invalid parameters raise :class:`~audiofork.errors.ValidationError` before any request. The
auth token never appears in reprs, logs or error messages.
"""

from __future__ import annotations

import asyncio
import builtins
import time
from types import TracebackType
from typing import TYPE_CHECKING

# The HTTP client is httpx, from the `rest` extra. httpx 0.28 is feature-frozen; the
# alternatives weighed: httpx2 (the maintained fork, same API, which Starlette's test client
# already prefers) needs Python >= 3.11 while this package supports 3.10; aiohttp (already
# an extra) has no blocking client, so StreamsClient would need an event loop in a thread,
# and the `transport`/`http_client` arguments, which tests and users pass, would change
# type. httpx stays until 3.10 is dropped; then httpx2 replaces it with the same code.
try:
    import httpx
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "audiofork.vobiz.rest needs httpx: install it with pip install 'audiofork[rest]'"
    ) from exc

from audiofork.errors import ValidationError
from audiofork.vobiz import _params
from audiofork.vobiz._api import (
    Credentials,
    Failure,
    Outcome,
    Reply,
    Request,
    RetryPolicy,
    StartParams,
    StreamsApi,
    adrive,
    base_url,
    drive,
)
from audiofork.vobiz.models import Stream

if TYPE_CHECKING:
    from typing import Self, Unpack

__all__ = [
    "DEFAULT_BASE_URL",
    "AsyncStreamsClient",
    "RetryPolicy",
    "StartParams",
    "Stream",
    "StreamsClient",
]

DEFAULT_BASE_URL = "https://api.vobiz.ai/api/v1"
DEFAULT_PAGE_SIZE = 20


def _timeout(value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValidationError(
            f"timeout must be a positive number of seconds, got {_params.shown(value)}"
        )
    return float(value)


class _Shell:
    """What both clients hold: the account's plans and where to send them."""

    def __init__(
        self, auth_id: str, auth_token: str, base: str, timeout: float, retry: RetryPolicy | None
    ) -> None:
        self._api = StreamsApi(Credentials(auth_id, auth_token), retry or RetryPolicy())
        self._base_url = base_url(base)
        self._timeout = _timeout(timeout)
        self._headers = self._api.credentials.headers()

    @property
    def auth_id(self) -> str:
        """The account the client acts for."""
        return self._api.credentials.auth_id

    @property
    def base_url(self) -> str:
        """The API's base URL."""
        return self._base_url

    def __repr__(self) -> str:
        return f"{type(self).__name__}(auth_id={self.auth_id!r}, base_url={self._base_url!r})"


class StreamsClient(_Shell):
    """Blocking Stream REST client.

    ``transport`` or ``http_client`` replace httpx's network layer (an ``http_client`` you
    pass is not closed by :meth:`close`); ``retry`` sets the :class:`RetryPolicy`.
    """

    def __init__(
        self,
        auth_id: str,
        auth_token: str,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 10,
        *,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        super().__init__(auth_id, auth_token, base_url, timeout, retry)
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(timeout=self._timeout, transport=transport)

    def _send(self, request: Request) -> Outcome:
        try:
            response = self._http.request(
                request.method,
                self._base_url + request.path,
                params=request.query,
                json=request.body,
                headers=self._headers,
            )
        except httpx.TransportError as exc:
            return Failure.of(exc)
        return Reply.of(response)

    def start(self, call_uuid: str, service_url: str, **params: Unpack[StartParams]) -> str:
        """Start streaming the call's audio to ``service_url``; returns the stream id.
        Never retried (the stream may have started)."""
        return drive(self._api.start(call_uuid, service_url, params), self._send, time.sleep)

    def get(self, call_uuid: str, stream_id: str) -> Stream:
        """One stream of the call."""
        return drive(self._api.get(call_uuid, stream_id), self._send, time.sleep)

    def list(self, call_uuid: str, *, page_size: int = DEFAULT_PAGE_SIZE) -> builtins.list[Stream]:
        """Every stream of the call, active and ended, across all pages."""
        return drive(self._api.list(call_uuid, page_size), self._send, time.sleep)

    def stop(self, call_uuid: str, stream_id: str) -> None:
        """Stop one stream."""
        drive(self._api.stop(call_uuid, stream_id), self._send, time.sleep)

    def stop_all(self, call_uuid: str) -> None:
        """Stop every stream of the call."""
        drive(self._api.stop_all(call_uuid), self._send, time.sleep)

    def close(self) -> None:
        """Close the HTTP client, if this client created it."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncStreamsClient(_Shell):
    """Asyncio Stream REST client; the same API as :class:`StreamsClient`, awaited."""

    def __init__(
        self,
        auth_id: str,
        auth_token: str,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 10,
        *,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(auth_id, auth_token, base_url, timeout, retry)
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(timeout=self._timeout, transport=transport)

    async def _send(self, request: Request) -> Outcome:
        try:
            response = await self._http.request(
                request.method,
                self._base_url + request.path,
                params=request.query,
                json=request.body,
                headers=self._headers,
            )
        except httpx.TransportError as exc:
            return Failure.of(exc)
        return Reply.of(response)

    async def start(self, call_uuid: str, service_url: str, **params: Unpack[StartParams]) -> str:
        """Start streaming the call's audio to ``service_url``; returns the stream id.
        Never retried (the stream may have started)."""
        return await adrive(
            self._api.start(call_uuid, service_url, params), self._send, asyncio.sleep
        )

    async def get(self, call_uuid: str, stream_id: str) -> Stream:
        """One stream of the call."""
        return await adrive(self._api.get(call_uuid, stream_id), self._send, asyncio.sleep)

    async def list(
        self, call_uuid: str, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> builtins.list[Stream]:
        """Every stream of the call, active and ended, across all pages."""
        return await adrive(self._api.list(call_uuid, page_size), self._send, asyncio.sleep)

    async def stop(self, call_uuid: str, stream_id: str) -> None:
        """Stop one stream."""
        await adrive(self._api.stop(call_uuid, stream_id), self._send, asyncio.sleep)

    async def stop_all(self, call_uuid: str) -> None:
        """Stop every stream of the call."""
        await adrive(self._api.stop_all(call_uuid), self._send, asyncio.sleep)

    async def aclose(self) -> None:
        """Close the HTTP client, if this client created it."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
