"""The emulator's HTTP surface: the calls and Stream REST API under ``/api/v1`` (PROTOCOL §1),
its OpenAPI document, and the status page at ``/``.

Every ``/api/v1/Account/…`` request is authenticated by ``X-Auth-ID`` / ``X-Auth-Token``
(constant-time comparison) and must name its own account in the path. Every error is JSON
``{"api_id", "error"}``: 400 naming the bad parameter, 401, 404, 405 (with ``Allow``), and
500 for a fault of the emulator itself (logged).

The status page takes the same credentials by HTTP Basic (auth id as the user, auth token
as the password), which a browser asks for and then sends with every same-origin request,
and shows only that account's calls. The API does not take Basic credentials: a browser
would attach them to a cross-site form post too.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, cast

from aiohttp import web

from audiofork.emulator.calls import Call
from audiofork.emulator.exchange import Exchange
from audiofork.emulator.forks import Fork
from audiofork.emulator.openapi import LIST_LIMIT_MAX, openapi_document
from audiofork.emulator.page import SIGN_IN_PAGE, status_page
from audiofork.errors import ValidationError
from audiofork.vobiz import _params
from audiofork.vobiz._api import StartParams, start_body
from audiofork.vobiz.xml import StreamElement

__all__ = ["API_BASE", "EXCHANGE", "make_app"]

_log = logging.getLogger("audiofork.emulator")

API_BASE = "/api/v1"
OPENAPI_PATH = f"{API_BASE}/openapi.json"
#: The application key under which the app holds its :class:`Exchange`.
EXCHANGE = web.AppKey("exchange", Exchange)
_PARTY_MAX = 128
_LIST_LIMIT_DEFAULT = 20

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class _Missing(LookupError):
    """No such call or stream: a 404 whose ``error`` is this message."""


def _api_id() -> str:
    return str(uuid.uuid4())


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(
        {"api_id": _api_id(), "error": message}, status=status, headers=headers
    )


@web.middleware
async def _api_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Authenticate ``/api`` requests and turn every failure into the JSON error shape."""
    if not request.path.startswith("/api/"):
        return await handler(request)
    if request.path != OPENAPI_PATH:
        refusal = _refuse_auth(request)
        if refusal:
            return _error(401, refusal)
    try:
        return await handler(request)
    except ValidationError as exc:
        return _error(400, str(exc))
    except _Missing as exc:
        return _error(404, str(exc))
    except web.HTTPMethodNotAllowed as exc:
        allow = {"Allow": ", ".join(sorted(exc.allowed_methods))}
        return _error(405, f"{request.method} is not allowed on {request.path}", allow)
    except web.HTTPNotFound:
        return _error(404, f"no such resource: {request.path}")
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _error(exc.status, exc.reason)
    except Exception:
        _log.exception("%s %s failed", request.method, request.path)
        return _error(500, "the emulator failed on this request (see its log)")


def _refuse_auth(request: web.Request) -> str:
    """Why the request is not authenticated, or ``""`` if it is."""
    auth_id = request.headers.get("X-Auth-ID", "")
    token = request.headers.get("X-Auth-Token", "")
    if not auth_id or not token:
        return "authentication required: send X-Auth-ID and X-Auth-Token"
    exchange = request.app[EXCHANGE]
    if not exchange.authenticate(auth_id, token):
        return "authentication failed: unknown X-Auth-ID or wrong X-Auth-Token"
    path_account = request.match_info.get("auth_id")
    if path_account is not None and path_account != auth_id:
        return f"X-Auth-ID {auth_id!r} may not act for account {path_account!r}"
    return ""


async def _body(request: web.Request) -> dict[str, Any]:
    """The request's parameters: a JSON object or a form."""
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


def _call(request: web.Request) -> Call:
    exchange = request.app[EXCHANGE]
    call_uuid = request.match_info["call_uuid"]
    call = exchange.call(request.match_info["auth_id"], call_uuid)
    if call is None:
        raise _Missing(f"no call {call_uuid!r}")
    return call


def _fork(request: web.Request) -> Fork:
    call = _call(request)
    stream_id = request.match_info["stream_id"]
    fork = call.fork(stream_id)
    if fork is None:
        raise _Missing(f"no stream {stream_id!r} on call {call.uuid!r}")
    return fork


async def create_call(request: web.Request) -> web.Response:
    """``POST /Account/{auth_id}/Call/``: fire a call (201)."""
    params = await _body(request)
    for required in ("from", "to", "answer_url"):
        if required not in params:
            raise ValidationError(f"{required} is required")
    from_ = _party("from", params["from"])
    to = _party("to", params["to"])
    answer_url = _params.http_url("answer_url", params["answer_url"])
    method = _params.callback_method("answer_method", params.get("answer_method", "POST"))
    exchange = request.app[EXCHANGE]
    call = exchange.place_call(request.match_info["auth_id"], from_, to, answer_url, method)
    body = {
        "api_id": _api_id(),
        "message": "call fired",
        "request_uuid": call.request_uuid,
        "call_uuid": call.uuid,
    }
    return web.json_response(body, status=201)


async def get_call(request: web.Request) -> web.Response:
    """``GET …/Call/{call_uuid}/``: the call (200)."""
    return web.json_response(_call(request).to_json(_api_id()))


async def hangup_call(request: web.Request) -> web.Response:
    """``DELETE …/Call/{call_uuid}/``: hang up (204; idempotent)."""
    _call(request).hangup("api_hangup")
    return web.Response(status=204)


async def start_stream(request: web.Request) -> web.Response:
    """``POST …/Stream/``: start a stream on a live call (202)."""
    call = _call(request)
    params = await _body(request)
    if "service_url" not in params:
        raise ValidationError("service_url is required")
    service_url = params.pop("service_url")
    body = start_body(cast(str, service_url), cast(StartParams, params))
    options = {key: value for key, value in body.items() if key != "service_url"}
    element = StreamElement(cast(str, body["service_url"]), **cast(dict[str, Any], options))
    if call.status != "in-progress":
        raise _Missing(f"call {call.uuid!r} is {call.status}, not in progress")
    fork = call.start_fork(element)
    reply = {"api_id": _api_id(), "message": "audio streaming started", "stream_id": fork.stream_id}
    return web.json_response(reply, status=202)


async def list_streams(request: web.Request) -> web.Response:
    """``GET …/Stream/``: one page of the call's streams (200)."""
    call = _call(request)
    query = request.query
    limit = _params.integer(
        "limit", query.get("limit", str(_LIST_LIMIT_DEFAULT)), 1, LIST_LIMIT_MAX
    )
    offset = _params.integer("offset", query.get("offset", "0"), 0)
    total = len(call.forks)
    api_id = _api_id()
    base = f"{API_BASE}/Account/{call.party.account_id}/Call/{call.uuid}/Stream/"
    following = offset + limit
    meta = {
        "limit": limit,
        "offset": offset,
        "total_count": total,
        "next": f"{base}?limit={limit}&offset={following}" if following < total else None,
        "previous": f"{base}?limit={limit}&offset={max(offset - limit, 0)}" if offset > 0 else None,
    }
    objects = [fork.to_json(api_id) for fork in call.forks[offset:following]]
    return web.json_response({"api_id": api_id, "meta": meta, "objects": objects})


async def get_stream(request: web.Request) -> web.Response:
    """``GET …/Stream/{stream_id}/``: the Stream object (200)."""
    return web.json_response(_fork(request).to_json(_api_id()))


async def stop_stream(request: web.Request) -> web.Response:
    """``DELETE …/Stream/{stream_id}/``: stop one stream (204; idempotent)."""
    _fork(request).stop("api_stop")
    return web.Response(status=204)


async def stop_streams(request: web.Request) -> web.Response:
    """``DELETE …/Stream/``: stop every stream of the call (204)."""
    for fork in _call(request).forks:
        fork.stop("api_stop")
    return web.Response(status=204)


async def openapi(_request: web.Request) -> web.Response:
    """``GET /api/v1/openapi.json``."""
    return web.json_response(openapi_document())


_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
_BASIC_CHALLENGE = 'Basic realm="audiofork emulator", charset="UTF-8"'


def _basic_account(request: web.Request) -> str | None:
    """The account whose auth id and token the request's HTTP Basic credentials are, or
    ``None``."""
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    auth_id, sep, token = decoded.partition(":")
    if not sep or not request.app[EXCHANGE].authenticate(auth_id, token):
        return None
    return auth_id


async def page(request: web.Request) -> web.Response:
    """``GET /``: the HTML status page of the account signed in by HTTP Basic (401 and a
    challenge without valid credentials)."""
    account = _basic_account(request)
    if account is None:
        headers = {**_PAGE_HEADERS, "WWW-Authenticate": _BASIC_CHALLENGE}
        return web.Response(
            status=401, text=SIGN_IN_PAGE, content_type="text/html", headers=headers
        )
    text = status_page(request.app[EXCHANGE], account)
    return web.Response(text=text, content_type="text/html", headers=_PAGE_HEADERS)


def make_app(exchange: Exchange) -> web.Application:
    """The aiohttp application serving ``exchange``."""
    app = web.Application(middlewares=[_api_errors])
    app[EXCHANGE] = exchange
    call = f"{API_BASE}/Account/{{auth_id}}/Call/"
    one_call = call + "{call_uuid}/"
    streams = one_call + "Stream/"
    one_stream = streams + "{stream_id}/"
    routes: list[tuple[str, str, Handler]] = [
        ("POST", call, create_call),
        ("GET", one_call, get_call),
        ("DELETE", one_call, hangup_call),
        ("POST", streams, start_stream),
        ("GET", streams, list_streams),
        ("DELETE", streams, stop_streams),
        ("GET", one_stream, get_stream),
        ("DELETE", one_stream, stop_stream),
    ]
    for path in (call, one_call, streams, one_stream):
        bare = app.router.add_resource(path.rstrip("/"))
        slashed = app.router.add_resource(path)
        for method, route_path, handler in routes:
            if route_path == path:
                bare.add_route(method, handler)
                slashed.add_route(method, handler)
    app.router.add_get(OPENAPI_PATH, openapi)
    app.router.add_get("/", page)
    return app
