"""What the emulator's two REST surfaces share: the Vobiz API under ``/api/v1`` and the
emulator's own caller endpoints under ``/emulator/v1``.

The application key of the :class:`~audiofork.emulator.exchange.Exchange`, the JSON error
shape ``{"api_id", "error"}``, reading a request's parameters (a JSON object or a form),
finding the call its path names, checking a request to place a call, and routing a path
with and without its trailing slash.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from aiohttp import web

from audiofork.emulator.calls import Call
from audiofork.emulator.exchange import Exchange
from audiofork.errors import ValidationError
from audiofork.vobiz import _params

__all__ = [
    "EXCHANGE",
    "CallRequest",
    "Handler",
    "Missing",
    "add_routes",
    "api_id",
    "error_response",
    "read_params",
    "requested_call",
]

#: The application key under which the app holds its :class:`Exchange`.
EXCHANGE = web.AppKey("exchange", Exchange)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Missing(LookupError):
    """No such call or stream: a 404 whose ``error`` is this message."""


def api_id() -> str:
    """A fresh ``api_id`` for a reply."""
    return str(uuid.uuid4())


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    """The JSON error ``{"api_id", "error"}`` with ``status``."""
    return web.json_response({"api_id": api_id(), "error": message}, status=status, headers=headers)


async def read_params(request: web.Request) -> dict[str, Any]:
    """The request's parameters: a JSON object or a form (an empty body is no parameters)."""
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        try:
            form = await request.post()
        except ValueError as exc:
            raise ValidationError(f"the request body is not a valid form: {exc}") from None
        return {key: value for key, value in form.items() if isinstance(value, str)}
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise ValidationError("the request body must be a JSON object") from None
    if not isinstance(data, dict):
        raise ValidationError("the request body must be a JSON object")
    return data


def requested_call(request: web.Request) -> Call:
    """The call the path names, of the account in the path (:class:`Missing` if none)."""
    exchange = request.app[EXCHANGE]
    call_uuid = request.match_info["call_uuid"]
    call = exchange.call(request.match_info["auth_id"], call_uuid)
    if call is None:
        raise Missing(f"no call {call_uuid!r}")
    return call


def add_routes(app: web.Application, routes: Sequence[tuple[str, str, Handler]]) -> None:
    """Route each ``(method, path, handler)``, the path with and without its final ``/``."""
    paths = list(dict.fromkeys(path for _, path, _ in routes))
    for path in paths:
        bare = app.router.add_resource(path.rstrip("/"))
        slashed = app.router.add_resource(path)
        for method, route_path, handler in routes:
            if route_path == path:
                bare.add_route(method, handler)
                slashed.add_route(method, handler)


_PARTY_MAX = 128


def _party(name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > _PARTY_MAX:
        raise ValidationError(
            f"{name} must be a non-empty string of at most {_PARTY_MAX} characters, "
            f"got {_params.shown(value)}"
        )
    if not value.isprintable():
        raise ValidationError(
            f"{name} must not contain control characters, got {_params.shown(value)}"
        )
    return value


@dataclass(frozen=True)
class CallRequest:
    """A checked request to place a call: ``from``, ``to``, ``answer_url`` and
    ``answer_method`` (``POST`` unless given)."""

    from_: str
    to: str
    answer_url: str
    answer_method: Literal["GET", "POST"]

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> CallRequest:
        """Check the parameters (:class:`ValidationError` naming the first bad one)."""
        for required in ("from", "to", "answer_url"):
            if required not in params:
                raise ValidationError(f"{required} is required")
        return cls(
            _party("from", params["from"]),
            _party("to", params["to"]),
            _params.http_url("answer_url", params["answer_url"]),
            _params.callback_method("answer_method", params.get("answer_method", "POST")),
        )
