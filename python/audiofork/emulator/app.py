"""The emulator's HTTP surface: the calls and Stream REST API under ``/api/v1`` (PROTOCOL §1),
the emulator's own caller endpoints under ``/emulator/v1``
(:mod:`audiofork.emulator.caller_api`), their OpenAPI document, and the console at ``/``
(:mod:`audiofork.emulator.console`, with the plain status page at ``/status``).

Every ``/api/v1/Account/…`` and ``/emulator/v1/Account/…`` request is authenticated by
``X-Auth-ID`` / ``X-Auth-Token`` (constant-time comparison) and must name its own account in
the path. Every error is JSON ``{"api_id", "error"}``: 400 naming the bad parameter, 401,
404, 405 (with ``Allow``), 409 for an action the call cannot take now (not in progress, no
stream to take it, a full queue), and 500 for a fault of the emulator itself (logged).

The console and the status page take the same credentials by HTTP Basic (auth id as the
user, auth token as the password), which a browser asks for and then sends with every
same-origin request, or a one-time login link; they show only that account's calls. The API
does not take Basic credentials: a browser would attach them to a cross-site form post too.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from aiohttp import web

from audiofork.emulator import caller_api
from audiofork.emulator.console import Console
from audiofork.emulator.console import install as install_console
from audiofork.emulator.exchange import Exchange
from audiofork.emulator.forks import Fork
from audiofork.emulator.openapi import LIST_LIMIT_MAX, openapi_document
from audiofork.emulator.rest_common import (
    EXCHANGE,
    CallRequest,
    Handler,
    Missing,
    add_routes,
    api_id,
    error_response,
    read_params,
    requested_call,
)
from audiofork.errors import AudioforkError, ValidationError
from audiofork.vobiz import _params
from audiofork.vobiz._api import StartParams, start_body
from audiofork.vobiz.xml import StreamElement

__all__ = ["API_BASE", "EXCHANGE", "OPENAPI_PATH", "make_app"]

_log = logging.getLogger("audiofork.emulator")

API_BASE = "/api/v1"
OPENAPI_PATH = f"{API_BASE}/openapi.json"
_LIST_LIMIT_DEFAULT = 20


@web.middleware
async def _api_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Authenticate API requests and turn every failure into the JSON error shape."""
    if not request.path.startswith(("/api/", caller_api.EMULATOR_BASE + "/")):
        return await handler(request)
    if request.path != OPENAPI_PATH:
        refusal = _refuse_auth(request)
        if refusal:
            return error_response(401, refusal)
    try:
        return await handler(request)
    except AudioforkError as exc:  # a wrong value is a 400, an action not possible now a 409
        return error_response(400 if isinstance(exc, ValueError) else 409, str(exc))
    except Missing as exc:
        return error_response(404, str(exc))
    except web.HTTPMethodNotAllowed as exc:
        allow = {"Allow": ", ".join(sorted(exc.allowed_methods))}
        return error_response(405, f"{request.method} is not allowed on {request.path}", allow)
    except web.HTTPNotFound:
        return error_response(404, f"no such resource: {request.path}")
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return error_response(exc.status, exc.reason)
    except Exception:
        _log.exception("%s %s failed", request.method, request.path)
        return error_response(500, "the emulator failed on this request (see its log)")


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


def _fork(request: web.Request) -> Fork:
    call = requested_call(request)
    stream_id = request.match_info["stream_id"]
    fork = call.fork(stream_id)
    if fork is None:
        raise Missing(f"no stream {stream_id!r} on call {call.uuid!r}")
    return fork


async def create_call(request: web.Request) -> web.Response:
    """``POST /Account/{auth_id}/Call/``: fire a call (201)."""
    wanted = CallRequest.from_params(await read_params(request))
    exchange = request.app[EXCHANGE]
    call = exchange.place_call(
        request.match_info["auth_id"],
        wanted.from_,
        wanted.to,
        wanted.answer_url,
        wanted.answer_method,
    )
    body = {
        "api_id": api_id(),
        "message": "call fired",
        "request_uuid": call.request_uuid,
        "call_uuid": call.uuid,
    }
    return web.json_response(body, status=201)


async def get_call(request: web.Request) -> web.Response:
    """``GET …/Call/{call_uuid}/``: the call (200)."""
    return web.json_response(requested_call(request).to_json(api_id()))


async def hangup_call(request: web.Request) -> web.Response:
    """``DELETE …/Call/{call_uuid}/``: hang up (204; idempotent)."""
    requested_call(request).hangup("api_hangup")
    return web.Response(status=204)


async def start_stream(request: web.Request) -> web.Response:
    """``POST …/Stream/``: start a stream on a live call (202)."""
    call = requested_call(request)
    params = await read_params(request)
    if "service_url" not in params:
        raise ValidationError("service_url is required")
    service_url = params.pop("service_url")
    body = start_body(cast(str, service_url), cast(StartParams, params))
    options = {key: value for key, value in body.items() if key != "service_url"}
    element = StreamElement(cast(str, body["service_url"]), **cast(dict[str, Any], options))
    if call.status != "in-progress":
        raise Missing(f"call {call.uuid!r} is {call.status}, not in progress")
    fork = call.start_fork(element)
    reply = {"api_id": api_id(), "message": "audio streaming started", "stream_id": fork.stream_id}
    return web.json_response(reply, status=202)


async def list_streams(request: web.Request) -> web.Response:
    """``GET …/Stream/``: one page of the call's streams (200)."""
    call = requested_call(request)
    query = request.query
    limit = _params.integer(
        "limit", query.get("limit", str(_LIST_LIMIT_DEFAULT)), 1, LIST_LIMIT_MAX
    )
    offset = _params.integer("offset", query.get("offset", "0"), 0)
    total = len(call.forks)
    reply_id = api_id()
    base = f"{API_BASE}/Account/{call.party.account_id}/Call/{call.uuid}/Stream/"
    following = offset + limit
    meta = {
        "limit": limit,
        "offset": offset,
        "total_count": total,
        "next": f"{base}?limit={limit}&offset={following}" if following < total else None,
        "previous": f"{base}?limit={limit}&offset={max(offset - limit, 0)}" if offset > 0 else None,
    }
    objects = [fork.to_json(reply_id) for fork in call.forks[offset:following]]
    return web.json_response({"api_id": reply_id, "meta": meta, "objects": objects})


async def get_stream(request: web.Request) -> web.Response:
    """``GET …/Stream/{stream_id}/``: the Stream object (200)."""
    return web.json_response(_fork(request).to_json(api_id()))


async def stop_stream(request: web.Request) -> web.Response:
    """``DELETE …/Stream/{stream_id}/``: stop one stream (204; idempotent)."""
    _fork(request).stop("api_stop")
    return web.Response(status=204)


async def stop_streams(request: web.Request) -> web.Response:
    """``DELETE …/Stream/``: stop every stream of the call (204)."""
    for fork in requested_call(request).forks:
        fork.stop("api_stop")
    return web.Response(status=204)


async def openapi(_request: web.Request) -> web.Response:
    """``GET /api/v1/openapi.json``."""
    return web.json_response(openapi_document())


def make_app(exchange: Exchange, console: Console | None = None) -> web.Application:
    """The aiohttp application serving ``exchange``, with its ``console`` at ``/`` (a new
    one if none is given)."""
    app = web.Application(middlewares=[_api_errors])
    app[EXCHANGE] = exchange
    call = f"{API_BASE}/Account/{{auth_id}}/Call/"
    one_call = call + "{call_uuid}/"
    streams = one_call + "Stream/"
    one_stream = streams + "{stream_id}/"
    add_routes(
        app,
        [
            ("POST", call, create_call),
            ("GET", one_call, get_call),
            ("DELETE", one_call, hangup_call),
            ("POST", streams, start_stream),
            ("GET", streams, list_streams),
            ("DELETE", streams, stop_streams),
            ("GET", one_stream, get_stream),
            ("DELETE", one_stream, stop_stream),
        ],
    )
    add_routes(app, caller_api.ROUTES)
    app.router.add_get(OPENAPI_PATH, openapi)
    install_console(app, console if console is not None else Console(exchange))
    return app
