"""The Stream REST API without I/O: requests, retries, response parsing and errors.

Each operation is a *plan*: a generator that yields the :class:`Request` to send next,
receives its :class:`Reply` (or the :class:`Failure` to get one) and finally returns the
operation's result. :func:`drive` and :func:`adrive` run a plan over a blocking or an async
``send``; the clients in :mod:`audiofork.vobiz.rest` are those two shells around httpx.
"""

from __future__ import annotations

import builtins
import json
import logging
import math
from collections.abc import Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass, replace
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar
from urllib.parse import quote

from audiofork._core import __version__
from audiofork.errors import ApiError, ValidationError
from audiofork.vobiz import _params
from audiofork.vobiz.models import Stream

if TYPE_CHECKING:
    import httpx

T = TypeVar("T")

_log = logging.getLogger("audiofork.vobiz.rest")

#: Methods safe to repeat: only these are retried.
IDEMPOTENT_METHODS = frozenset({"GET", "DELETE"})
_ERROR_TEXT_LIMIT = 200


class StartParams(TypedDict, total=False):
    """Optional parameters of a REST stream start (PROTOCOL §1); omitted ones take the
    platform's defaults. Validated like the ``<Stream>`` attributes of the same names."""

    audio_track: str
    bidirectional: bool | str
    content_type: str
    stream_timeout: int
    status_callback_url: str
    status_callback_method: str
    extra_headers: str


@dataclass(frozen=True)
class Request:
    """One HTTP request: ``path`` is relative to the base URL and already quoted;
    ``delay`` is the backoff to wait before sending it."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...] = ()
    body: Mapping[str, object] | None = None
    delay: float = 0.0


@dataclass(frozen=True)
class Reply:
    """The response to a :class:`Request`."""

    status: int
    body: bytes = b""
    retry_after: str | None = None

    @classmethod
    def of(cls, response: httpx.Response) -> Reply:
        return cls(response.status_code, response.content, response.headers.get("retry-after"))


@dataclass(frozen=True)
class Failure:
    """No response: the connection failed or timed out."""

    error: str

    @classmethod
    def of(cls, exc: httpx.TransportError) -> Failure:
        return cls(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)


Outcome = Reply | Failure
Plan = Generator[Request, Outcome, T]


@dataclass(frozen=True)
class RetryPolicy:
    """Retries of idempotent calls (GET, DELETE) on 429, 5xx and connection failures.

    The wait before retry ``n`` (from 0) is ``backoff_base * 2**n`` seconds, at least a
    numeric ``Retry-After``, at most ``backoff_max``. A start (POST) is never retried: the
    platform may have started the stream before the failure.
    """

    max_retries: int = 3
    backoff_base: float = 0.5
    backoff_max: float = 8.0

    def __post_init__(self) -> None:
        _params.integer("max_retries", self.max_retries, 0)
        for name in ("backoff_base", "backoff_max"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
                raise ValidationError(
                    f"{name} must be a non-negative number, got {_params.shown(value)}"
                )

    def should_retry(self, method: str, outcome: Outcome, attempt: int) -> bool:
        """Whether to repeat ``method`` after ``outcome`` of its ``attempt``-th retry."""
        if attempt >= self.max_retries or method not in IDEMPOTENT_METHODS:
            return False
        return isinstance(outcome, Failure) or outcome.status == 429 or outcome.status >= 500

    def delay(self, attempt: int, outcome: Outcome) -> float:
        """Seconds to wait before retry number ``attempt``."""
        wait = self.backoff_base * 2.0**attempt
        if isinstance(outcome, Reply) and outcome.retry_after is not None:
            try:
                asked = float(outcome.retry_after)
            except ValueError:
                asked = 0.0
            if math.isfinite(asked):
                wait = max(wait, asked)
        return min(wait, self.backoff_max)


class Credentials:
    """An account's ``auth_id`` and ``auth_token``; the token stays out of reprs, and
    :meth:`redact` removes it from any text that reaches a message or a log."""

    __slots__ = ("_token", "auth_id")

    def __init__(self, auth_id: str, auth_token: str) -> None:
        if not isinstance(auth_id, str) or not auth_id.strip():
            raise ValidationError(f"auth_id must be a non-empty string, got {auth_id!r}")
        if not isinstance(auth_token, str) or not auth_token.isprintable() or not auth_token:
            raise ValidationError("auth_token must be a non-empty string of printable characters")
        self.auth_id = auth_id
        self._token = auth_token

    def headers(self) -> dict[str, str]:
        return {
            "X-Auth-ID": self.auth_id,
            "X-Auth-Token": self._token,
            "Accept": "application/json",
            "User-Agent": f"audiofork/{__version__}",
        }

    def redact(self, text: str) -> str:
        return text.replace(self._token, "<auth_token>")

    def __repr__(self) -> str:
        return f"Credentials(auth_id={self.auth_id!r}, auth_token=<redacted>)"


def base_url(value: str) -> str:
    """A validated API base URL without its trailing slash."""
    return _params.http_url("base_url", value).rstrip("/")


def _segment(name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{name} must be a non-empty string, got {_params.shown(value)}")
    return quote(value, safe="")


def start_body(service_url: str, params: StartParams) -> dict[str, object]:
    """The JSON body of a start, every parameter validated; ``None`` values are omitted."""
    given: dict[str, object] = {k: v for k, v in params.items() if v is not None}
    unknown = sorted(set(given) - set(StartParams.__annotations__))
    if unknown:
        raise ValidationError(f"unknown stream start parameter(s): {', '.join(unknown)}")
    body: dict[str, object] = {"service_url": _params.ws_url("service_url", service_url)}
    track: _params.AudioTrack | None = None
    bidirectional = False
    if "audio_track" in given:
        body["audio_track"] = track = _params.audio_track("audio_track", given["audio_track"])
    if "bidirectional" in given:
        body["bidirectional"] = bidirectional = _params.boolean(
            "bidirectional", given["bidirectional"]
        )
    if "content_type" in given:
        body["content_type"] = _params.content_type("content_type", given["content_type"])
    if "stream_timeout" in given:
        body["stream_timeout"] = _params.integer("stream_timeout", given["stream_timeout"], 1)
    if "status_callback_url" in given:
        body["status_callback_url"] = _params.http_url(
            "status_callback_url", given["status_callback_url"]
        )
    if "status_callback_method" in given:
        body["status_callback_method"] = _params.callback_method(
            "status_callback_method", given["status_callback_method"]
        )
    if "extra_headers" in given:
        body["extra_headers"] = _params.extra_headers("extra_headers", given["extra_headers"])
    _params.combination(bidirectional, track)
    return body


def _json(reply: Reply) -> Any:
    try:
        return json.loads(reply.body)
    except ValueError:
        raise ApiError(reply.status, f"the response is not JSON: {reply.body[:80]!r}") from None


def _api_id(data: object) -> str | None:
    value = data.get("api_id") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


def error_from(reply: Reply) -> ApiError:
    """The :class:`ApiError` of a non-2xx reply: the platform's ``error`` text and ``api_id``
    when the body is the documented JSON, else the body's text or the status phrase."""
    try:
        data = json.loads(reply.body)
    except ValueError:
        data = None
    message = ""
    if isinstance(data, dict):
        detail = data.get("error", data.get("message"))
        if detail is not None:
            message = detail if isinstance(detail, str) else json.dumps(detail)
    if not message:
        message = reply.body.decode("utf-8", "replace").strip()[:_ERROR_TEXT_LIMIT]
    if not message:
        try:
            message = HTTPStatus(reply.status).phrase
        except ValueError:
            message = "error"
    return ApiError(reply.status, message, _api_id(data))


def _streams(reply: Reply, objects: object) -> list[Stream]:
    if not isinstance(objects, list):
        raise ApiError(reply.status, f"objects must be a list, got {objects!r}")
    return [_stream(reply, item) for item in objects]


def _stream(reply: Reply, data: object) -> Stream:
    if not isinstance(data, dict):
        raise ApiError(reply.status, f"a Stream object must be a JSON object, got {data!r}")
    try:
        return Stream.from_dict(data)
    except ValidationError as exc:
        raise ApiError(reply.status, f"malformed Stream object: {exc}", _api_id(data)) from None


Query = tuple[tuple[str, str], ...]


def parse_list(reply: Reply, offset: int) -> tuple[list[Stream], Query | None]:
    """One page of a list: its streams and the query of the next page, if any.

    Accepts the three documented shapes: ``{"meta": {...}, "objects": [...]}`` (limit and
    offset), ``{"page", "per_page", "total", "objects"}``, and a bare Stream object.
    ``offset`` is the offset this page was asked for.
    """
    data = _json(reply)
    if not isinstance(data, dict):
        raise ApiError(reply.status, f"a list response must be a JSON object, got {data!r}")
    if "objects" not in data:
        if "stream_id" in data:
            return [_stream(reply, data)], None
        raise ApiError(reply.status, "the list response has neither objects nor a stream_id")
    streams = _streams(reply, data["objects"])
    if not streams:
        return streams, None
    try:
        meta = data.get("meta")
        if isinstance(meta, dict):
            start = _params.integer("meta.offset", meta.get("offset", offset), 0)
            limit = _params.integer("meta.limit", meta.get("limit", len(streams)), 1)
            following = start + len(streams)
            if "next" in meta:
                more = bool(meta["next"])
            else:
                total = meta.get("total_count")
                more = total is not None and following < _params.integer(
                    "meta.total_count", total, 0
                )
            return streams, ((("limit", str(limit)), ("offset", str(following))) if more else None)
        if "page" in data:
            page = _params.integer("page", data["page"], 0)
            per_page = _params.integer("per_page", data.get("per_page", len(streams)), 1)
            total = _params.integer("total", data.get("total", 0), 0)
            more = page * per_page < total
            return streams, (
                (("page", str(page + 1)), ("per_page", str(per_page))) if more else None
            )
    except ValidationError as exc:
        raise ApiError(reply.status, f"malformed list response: {exc}", _api_id(data)) from None
    return streams, None


class StreamsApi:
    """The plans of the five Stream operations for one account."""

    def __init__(self, credentials: Credentials, retry: RetryPolicy) -> None:
        self.credentials = credentials
        self.retry = retry

    def _path(self, call_uuid: str, stream_id: str | None = None) -> str:
        account = quote(self.credentials.auth_id, safe="")
        path = f"/Account/{account}/Call/{_segment('call_uuid', call_uuid)}/Stream/"
        return path if stream_id is None else f"{path}{_segment('stream_id', stream_id)}/"

    def _guard(self, plan: Plan[T]) -> Plan[T]:
        """``plan`` with the auth token redacted from any error it raises: every message
        built from what the platform sent passes here."""
        try:
            return (yield from plan)
        except ApiError as exc:
            message = self.credentials.redact(exc.message)
            if message == exc.message:
                raise
            raise ApiError(exc.status, message, exc.api_id) from None

    def _exchange(self, request: Request) -> Plan[Reply]:
        attempt = 0
        while True:
            outcome = yield request
            if self.retry.should_retry(request.method, outcome, attempt):
                request = replace(request, delay=self.retry.delay(attempt, outcome))
                attempt += 1
                _log.warning(
                    "%s %s: %s; retry %d in %.3f s",
                    request.method,
                    request.path,
                    outcome.status
                    if isinstance(outcome, Reply)
                    else self.credentials.redact(outcome.error),
                    attempt,
                    request.delay,
                )
                continue
            if isinstance(outcome, Failure):
                raise ApiError(0, f"{request.method} {request.path} failed: {outcome.error}")
            _log.debug("%s %s -> %d", request.method, request.path, outcome.status)
            if not 200 <= outcome.status < 300:
                raise error_from(outcome)
            return outcome

    def start(self, call_uuid: str, service_url: str, params: StartParams) -> Plan[str]:
        """Start a stream; the plan returns its ``stream_id``. Validates before any I/O."""
        request = Request("POST", self._path(call_uuid), body=start_body(service_url, params))
        return self._guard(self._start(request))

    def _start(self, request: Request) -> Plan[str]:
        reply = yield from self._exchange(request)
        data = _json(reply)
        stream_id = data.get("stream_id") if isinstance(data, dict) else None
        if not isinstance(stream_id, str) or not stream_id:
            raise ApiError(reply.status, "the start response has no stream_id", _api_id(data))
        return stream_id

    def get(self, call_uuid: str, stream_id: str) -> Plan[Stream]:
        """Fetch one stream."""
        return self._guard(self._get(Request("GET", self._path(call_uuid, stream_id))))

    def _get(self, request: Request) -> Plan[Stream]:
        reply = yield from self._exchange(request)
        return _stream(reply, _json(reply))

    def list(self, call_uuid: str, page_size: int) -> Plan[builtins.list[Stream]]:
        """Every stream of a call, active and ended, following pagination to the end."""
        limit = _params.integer("page_size", page_size, 1)
        query: Query = (("limit", str(limit)), ("offset", "0"))
        return self._guard(self._list(self._path(call_uuid), query))

    def _list(self, path: str, query: Query) -> Plan[builtins.list[Stream]]:
        streams: builtins.list[Stream] = []
        asked = {query}
        while True:
            reply = yield from self._exchange(Request("GET", path, query))
            page, following = parse_list(reply, int(dict(query).get("offset", len(streams))))
            streams.extend(page)
            if following is None:
                return streams
            if following in asked:
                raise ApiError(reply.status, f"pagination does not advance: {dict(following)}")
            asked.add(following)
            query = following

    def stop(self, call_uuid: str, stream_id: str) -> Plan[None]:
        """Stop one stream."""
        return self._guard(self._stop(Request("DELETE", self._path(call_uuid, stream_id))))

    def stop_all(self, call_uuid: str) -> Plan[None]:
        """Stop every stream of a call."""
        return self._guard(self._stop(Request("DELETE", self._path(call_uuid))))

    def _stop(self, request: Request) -> Plan[None]:
        yield from self._exchange(request)


def drive(plan: Plan[T], send: Callable[[Request], Outcome], sleep: Callable[[float], None]) -> T:
    """Run ``plan`` with a blocking ``send``."""
    try:
        request = next(plan)
        while True:
            if request.delay > 0:
                sleep(request.delay)
            request = plan.send(send(request))
    except StopIteration as done:
        result: T = done.value
        return result


async def adrive(
    plan: Plan[T],
    send: Callable[[Request], Awaitable[Outcome]],
    sleep: Callable[[float], Awaitable[None]],
) -> T:
    """Run ``plan`` with an async ``send``."""
    try:
        request = next(plan)
        while True:
            if request.delay > 0:
                await sleep(request.delay)
            request = plan.send(await send(request))
    except StopIteration as done:
        result: T = done.value
        return result
