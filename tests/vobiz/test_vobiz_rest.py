"""The Stream REST clients, sync and async, against a scripted API on a loopback socket."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import httpx
import pytest
from aiohttp import web

from audiofork import ApiError, AudioforkError, ValidationError
from audiofork.vobiz import AsyncStreamsClient, RetryPolicy, Stream, StreamsClient

AUTH_ID = "MA_AABBCC"
TOKEN = "tok-3f9a1c77e2b54d0e8a6b"
CALL = "5401fd2e-6344-40df-a22c-c8ffea7a92e7"
STREAM_ID = "c4dfd815-a92a-4140-ab85-5ff28c004116"
STREAM_PATH = f"/api/v1/Account/{AUTH_ID}/Call/{CALL}/Stream/"
FAST = RetryPolicy(max_retries=3, backoff_base=0.001, backoff_max=0.002)

STREAM_OBJECT: dict[str, Any] = {
    "api_id": "aabbccdd-1234-5678-90ab-cdef12345678",
    "stream_id": STREAM_ID,
    "call_uuid": CALL,
    "account_id": AUTH_ID,
    "service_url": "wss://app.example/ws",
    "audio_track": "both",
    "bidirectional": False,
    "content_type": "audio/x-l16;rate=8000",
    "sampling_rate": 8000,
    "stream_timeout": 86400,
    "status_callback_url": None,
    "status_callback_method": "POST",
    "status": "in-progress",
    "created_at": "2025-11-14 02:44:50.617032+00:00",
    "start_time": "2025-11-14 08:14:29+05:30",
    "end_time": None,
    "bill_duration": 21,
    "rounded_bill_duration": 60,
    "billed_amount": "0.00300",
    "resource_uri": f"/v1/Account/{AUTH_ID}/Call/{CALL}/Stream/{STREAM_ID}/",
}


def stream_object(n: int) -> dict[str, Any]:
    return {**STREAM_OBJECT, "stream_id": f"stream-{n}"}


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class FakeApi:
    """A scripted HTTP API: each request gets the next scripted reply (404 when none is left)."""

    url: str = ""
    script: list[tuple[int, Any, dict[str, str]]] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)

    def reply(self, status: int, body: Any = None, **headers: str) -> None:
        self.script.append((status, body, headers))

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        self.requests.append(
            Recorded(
                request.method,
                request.rel_url.raw_path,
                dict(request.query),
                dict(request.headers),
                json.loads(raw) if raw else None,
            )
        )
        status, body, headers = self.script.pop(0) if self.script else (404, None, {})
        if isinstance(body, (dict, list)):
            return web.json_response(body, status=status, headers=headers)
        return web.Response(status=status, body=body, headers=headers)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeApi]:
    """The fake API on 127.0.0.1, port 0, served from its own thread and event loop so
    that the blocking client can call it too."""
    fake = FakeApi()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", fake.handle)
    runner = web.AppRunner(app)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start() -> None:
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()

    asyncio.run_coroutine_threadsafe(start(), loop).result()
    host, port = runner.addresses[0][:2]
    fake.url = f"http://{host}:{port}/api/v1"
    yield fake
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result()
    loop.call_soon_threadsafe(loop.stop)
    thread.join()
    loop.close()


@pytest.fixture
def api(server: FakeApi) -> FakeApi:
    """The fake API, with an empty script and no requests recorded."""
    server.script.clear()
    server.requests.clear()
    return server


class Client:
    """Either client behind one awaitable call, so every scenario runs against both."""

    def __init__(self, inner: StreamsClient | AsyncStreamsClient) -> None:
        self.inner = inner

    async def __call__(self, operation: str, *args: Any, **kwargs: Any) -> Any:
        result = getattr(self.inner, operation)(*args, **kwargs)
        return await result if inspect.isawaitable(result) else result


@pytest.fixture(params=["sync", "async"])
async def client(request: pytest.FixtureRequest, api: FakeApi) -> Any:
    kind = request.param
    inner: StreamsClient | AsyncStreamsClient
    if kind == "sync":
        inner = StreamsClient(AUTH_ID, TOKEN, api.url, retry=FAST)
    else:
        inner = AsyncStreamsClient(AUTH_ID, TOKEN, api.url, retry=FAST)
    yield Client(inner)
    if isinstance(inner, StreamsClient):
        inner.close()
    else:
        await inner.aclose()


# --- start ----------------------------------------------------------------------------------

START_OK = {"message": "audio streaming started", "stream_id": STREAM_ID, "api_id": "a1"}


@pytest.mark.parametrize("status", [202, 200])
async def test_start(client: Client, api: FakeApi, status: int) -> None:
    api.reply(status, START_OK)
    stream_id = await client(
        "start",
        CALL,
        "wss://app.example/ws",
        bidirectional="true",
        content_type="audio/x-l16; rate=16000",
        stream_timeout=600,
        status_callback_url="https://app.example/status",
        status_callback_method="get",
        extra_headers="user=42",
        audio_track=None,
    )
    assert stream_id == STREAM_ID
    (sent,) = api.requests
    assert (sent.method, sent.path) == ("POST", STREAM_PATH)
    assert sent.headers["X-Auth-ID"] == AUTH_ID
    assert sent.headers["X-Auth-Token"] == TOKEN
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.body == {
        "service_url": "wss://app.example/ws",
        "bidirectional": True,
        "content_type": "audio/x-l16;rate=16000",
        "stream_timeout": 600,
        "status_callback_url": "https://app.example/status",
        "status_callback_method": "GET",
        "extra_headers": "user=42",
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"service_url": "https://app.example/ws"}, "service_url"),
        ({"bidirectional": True, "audio_track": "both"}, "audio_track"),
        ({"bidirectional": "maybe"}, "bidirectional"),
        ({"stream_timeout": 0}, "stream_timeout"),
        ({"content_type": "audio/x-l16;rate=44100"}, "content_type"),
        ({"extra_headers": "k=" + "v" * 511}, "extra_headers"),
        ({"status_callback_method": "PUT"}, "status_callback_method"),
        ({"status_callback_url": "wss://x.example/"}, "status_callback_url"),
        ({"keep_call_alive": True}, "keep_call_alive"),
        ({"call_uuid": ""}, "call_uuid"),
    ],
)
async def test_start_validates_before_any_request(
    client: Client, api: FakeApi, params: dict[str, Any], field: str
) -> None:
    options = dict(params)
    call = options.pop("call_uuid", CALL)
    service_url = options.pop("service_url", "wss://app.example/ws")
    with pytest.raises(ValidationError, match=field):
        await client("start", call, service_url, **options)
    assert api.requests == []


async def test_start_without_stream_id_in_response(client: Client, api: FakeApi) -> None:
    api.reply(202, {"message": "audio streaming started", "api_id": "a1"})
    with pytest.raises(ApiError, match="no stream_id") as info:
        await client("start", CALL, "wss://app.example/ws")
    assert (info.value.status, info.value.api_id) == (202, "a1")
    api.reply(202, b"<html>")
    with pytest.raises(ApiError, match="not JSON"):
        await client("start", CALL, "wss://app.example/ws")


# --- get ------------------------------------------------------------------------------------


async def test_get(client: Client, api: FakeApi) -> None:
    api.reply(200, STREAM_OBJECT)
    stream = await client("get", CALL, STREAM_ID)
    (sent,) = api.requests
    assert (sent.method, sent.path) == ("GET", f"{STREAM_PATH}{STREAM_ID}/")
    assert stream == Stream(
        stream_id=STREAM_ID,
        api_id="aabbccdd-1234-5678-90ab-cdef12345678",
        call_uuid=CALL,
        account_id=AUTH_ID,
        service_url="wss://app.example/ws",
        audio_track="both",
        bidirectional=False,
        content_type="audio/x-l16;rate=8000",
        sampling_rate=8000,
        stream_timeout=86400,
        status_callback_url=None,
        status_callback_method="POST",
        status="in-progress",
        created_at=datetime(2025, 11, 14, 2, 44, 50, 617032, tzinfo=timezone.utc),
        start_time=datetime(2025, 11, 14, 8, 14, 29, tzinfo=timezone(timedelta(hours=5.5))),
        end_time=None,
        bill_duration=21,
        rounded_bill_duration=60,
        billed_amount=Decimal("0.00300"),
        resource_uri=STREAM_OBJECT["resource_uri"],
    )
    assert stream.billed_amount is not None and str(stream.billed_amount) == "0.00300"
    assert stream.raw == STREAM_OBJECT
    assert stream.is_live


async def test_path_segments_are_quoted(client: Client, api: FakeApi) -> None:
    api.reply(200, STREAM_OBJECT)
    await client("get", "../../x", "a/b?c")
    assert api.requests[0].path == f"/api/v1/Account/{AUTH_ID}/Call/..%2F..%2Fx/Stream/a%2Fb%3Fc/"


def test_stream_object_tolerates_missing_fields() -> None:
    stream = Stream.from_dict({"stream_id": "s1", "status": "completed", "unknown": [1]})
    assert stream == Stream(stream_id="s1", status="completed")
    assert stream.raw["unknown"] == [1]
    assert not stream.is_live


def test_stream_object_reads_liberally() -> None:
    stream = Stream.from_dict(
        {
            "stream_id": "s1",
            "account_id": 500025,
            "bidirectional": "true",
            "sampling_rate": "16000",
            "billed_amount": 0.5,
            "end_time": "2025-11-14T02:45:11Z",
            "start_time": "2025-11-14 02:44:50",
        }
    )
    assert stream.account_id == "500025"
    assert stream.bidirectional is True
    assert stream.sampling_rate == 16000
    assert stream.billed_amount == Decimal("0.5")
    assert stream.end_time == datetime(2025, 11, 14, 2, 45, 11, tzinfo=timezone.utc)
    assert stream.start_time == datetime(2025, 11, 14, 2, 44, 50, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"stream_id": None}, "stream_id"),
        ({"stream_id": ""}, "stream_id"),
        ({"bidirectional": "sometimes"}, "bidirectional"),
        ({"sampling_rate": 8000.5}, "sampling_rate"),
        ({"created_at": "last tuesday"}, "created_at"),
        ({"billed_amount": "free"}, "billed_amount"),
        ({"billed_amount": "NaN"}, "billed_amount"),
        ({"billed_amount": True}, "billed_amount"),
        ({"status": ["x"]}, "status"),
    ],
)
def test_stream_object_rejects_wrong_kinds(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError, match=f"Stream.{field}"):
        Stream.from_dict({**STREAM_OBJECT, **fields})


async def test_malformed_stream_object_is_an_api_error(client: Client, api: FakeApi) -> None:
    api.reply(200, {**STREAM_OBJECT, "stream_timeout": "forever"})
    with pytest.raises(ApiError, match=r"malformed Stream object.*stream_timeout") as info:
        await client("get", CALL, STREAM_ID)
    assert info.value.api_id == STREAM_OBJECT["api_id"]


# --- list: pagination and the three documented shapes ---------------------------------------


async def test_list_follows_meta_pagination(client: Client, api: FakeApi) -> None:
    api.reply(
        200,
        {
            "api_id": "l1",
            "meta": {"limit": 2, "offset": 0, "total_count": 3, "next": "/v1/…?offset=2"},
            "objects": [stream_object(1), stream_object(2)],
        },
    )
    api.reply(
        200,
        {
            "api_id": "l2",
            "meta": {"limit": 2, "offset": 2, "total_count": 3, "next": None, "previous": "…"},
            "objects": [stream_object(3)],
        },
    )
    streams = await client("list", CALL, page_size=2)
    assert [s.stream_id for s in streams] == ["stream-1", "stream-2", "stream-3"]
    assert [(r.method, r.path) for r in api.requests] == [("GET", STREAM_PATH)] * 2
    assert [r.query for r in api.requests] == [
        {"limit": "2", "offset": "0"},
        {"limit": "2", "offset": "2"},
    ]


async def test_list_meta_without_next_uses_total_count(client: Client, api: FakeApi) -> None:
    api.reply(200, {"meta": {"total_count": 2}, "objects": [stream_object(1)]})
    api.reply(200, {"meta": {"total_count": 2, "offset": 1}, "objects": [stream_object(2)]})
    streams = await client("list", CALL)
    assert [s.stream_id for s in streams] == ["stream-1", "stream-2"]
    assert api.requests[1].query == {"limit": "1", "offset": "1"}


async def test_list_page_shape(client: Client, api: FakeApi) -> None:
    api.reply(
        200, {"page": 1, "per_page": 2, "total": 3, "objects": [stream_object(1), stream_object(2)]}
    )
    api.reply(200, {"page": 2, "per_page": 2, "total": 3, "objects": [stream_object(3)]})
    streams = await client("list", CALL)
    assert [s.stream_id for s in streams] == ["stream-1", "stream-2", "stream-3"]
    assert api.requests[1].query == {"page": "2", "per_page": "2"}


async def test_list_bare_stream_shape(client: Client, api: FakeApi) -> None:
    api.reply(200, STREAM_OBJECT)
    assert [s.stream_id for s in await client("list", CALL)] == [STREAM_ID]
    assert len(api.requests) == 1


async def test_list_empty(client: Client, api: FakeApi) -> None:
    api.reply(200, {"api_id": "l1", "meta": {"total_count": 5, "next": "x"}, "objects": []})
    assert await client("list", CALL) == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([STREAM_OBJECT], "must be a JSON object"),
        ({"api_id": "x"}, "neither objects nor a stream_id"),
        ({"objects": {"a": 1}}, "objects must be a list"),
        ({"objects": ["s"]}, "must be a JSON object"),
        ({"meta": {"offset": "zero", "next": "x"}, "objects": [STREAM_OBJECT]}, "meta.offset"),
    ],
)
async def test_list_malformed(client: Client, api: FakeApi, body: Any, message: str) -> None:
    api.reply(200, body)
    with pytest.raises(ApiError, match=message):
        await client("list", CALL)


async def test_list_that_does_not_advance_is_an_error(client: Client, api: FakeApi) -> None:
    page = {"meta": {"limit": 1, "offset": 0, "next": "again"}, "objects": [stream_object(1)]}
    api.reply(200, page)
    api.reply(200, {**page, "meta": {"limit": 1, "offset": 0, "next": "again"}})
    with pytest.raises(ApiError, match="does not advance"):
        await client("list", CALL, page_size=1)
    assert len(api.requests) == 2


async def test_list_page_size_is_validated(client: Client, api: FakeApi) -> None:
    with pytest.raises(ValidationError, match="page_size"):
        await client("list", CALL, page_size=0)
    assert api.requests == []


# --- stop -----------------------------------------------------------------------------------


async def test_stop_and_stop_all(client: Client, api: FakeApi) -> None:
    api.reply(204)
    api.reply(204)
    assert await client("stop", CALL, STREAM_ID) is None
    assert await client("stop_all", CALL) is None
    assert [(r.method, r.path) for r in api.requests] == [
        ("DELETE", f"{STREAM_PATH}{STREAM_ID}/"),
        ("DELETE", STREAM_PATH),
    ]


# --- errors, for each documented status and each operation ----------------------------------

OPERATIONS: list[tuple[str, tuple[Any, ...]]] = [
    ("start", (CALL, "wss://app.example/ws")),
    ("get", (CALL, STREAM_ID)),
    ("list", (CALL,)),
    ("stop", (CALL, STREAM_ID)),
    ("stop_all", (CALL,)),
]


@pytest.mark.parametrize(("operation", "args"), OPERATIONS, ids=[o for o, _ in OPERATIONS])
@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, "invalid service_url"),
        (401, "authentication failed"),
        (404, "call not found"),
        (405, "method not allowed"),
        (500, "internal error"),
    ],
)
async def test_error_statuses(
    api: FakeApi, operation: str, args: tuple[Any, ...], status: int, error: str
) -> None:
    for _ in range(4):
        api.reply(status, {"api_id": "err-1", "error": error})
    async with AsyncStreamsClient(AUTH_ID, TOKEN, api.url, retry=FAST) as inner:
        with pytest.raises(ApiError) as info:
            await Client(inner)(operation, *args)
    assert (info.value.status, info.value.api_id, info.value.message) == (status, "err-1", error)
    assert str(info.value) == f"HTTP {status}: {error}"
    assert isinstance(info.value, AudioforkError)
    retried = status == 500 and operation != "start"
    assert len(api.requests) == (1 + FAST.max_retries if retried else 1)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"message": "gone"}, "gone"),
        ({"error": {"service_url": "required"}}, '{"service_url": "required"}'),
        (b"upstream exploded\n", "upstream exploded"),
        (None, "Forbidden"),
    ],
)
async def test_error_bodies_that_are_not_the_documented_json(
    client: Client, api: FakeApi, body: Any, message: str
) -> None:
    api.reply(403, body)
    with pytest.raises(ApiError) as info:
        await client("get", CALL, STREAM_ID)
    assert (info.value.status, info.value.message, info.value.api_id) == (403, message, None)


# --- retries --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
async def test_idempotent_calls_are_retried(client: Client, api: FakeApi, status: int) -> None:
    api.reply(status, {"error": "busy"}, **{"Retry-After": "30"})
    api.reply(status, {"error": "busy"})
    api.reply(200, STREAM_OBJECT)
    api.reply(status)
    api.reply(204)
    assert (await client("get", CALL, STREAM_ID)).stream_id == STREAM_ID
    await client("stop", CALL, STREAM_ID)
    assert [r.method for r in api.requests] == ["GET", "GET", "GET", "DELETE", "DELETE"]


async def test_retries_give_up_after_max_retries(client: Client, api: FakeApi) -> None:
    for _ in range(5):
        api.reply(503, {"api_id": "e", "error": "unavailable"})
    with pytest.raises(ApiError) as info:
        await client("stop_all", CALL)
    assert info.value.status == 503
    assert len(api.requests) == 4


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_start_is_never_retried(client: Client, api: FakeApi, status: int) -> None:
    api.reply(status, {"error": "busy"})
    api.reply(202, START_OK)
    with pytest.raises(ApiError) as info:
        await client("start", CALL, "wss://app.example/ws")
    assert info.value.status == status
    assert len(api.requests) == 1


@pytest.mark.parametrize("status", [400, 401, 404])
async def test_client_errors_are_not_retried(client: Client, api: FakeApi, status: int) -> None:
    api.reply(status, {"error": "no"})
    api.reply(200, STREAM_OBJECT)
    with pytest.raises(ApiError):
        await client("get", CALL, STREAM_ID)
    assert len(api.requests) == 1


def test_backoff_schedule() -> None:
    from audiofork.vobiz._api import Failure, Reply

    policy = RetryPolicy(max_retries=5, backoff_base=0.5, backoff_max=4.0)
    failure = Failure("ConnectError")
    assert [policy.delay(n, failure) for n in range(5)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    assert policy.delay(0, Reply(429, retry_after="3")) == 3.0
    assert policy.delay(0, Reply(429, retry_after="60")) == 4.0
    assert policy.delay(2, Reply(503, retry_after="soon")) == 2.0
    assert policy.delay(0, Reply(503, retry_after="nan")) == 0.5
    assert policy.should_retry("GET", Reply(503), 4)
    assert not policy.should_retry("GET", Reply(503), 5)
    assert not policy.should_retry("POST", failure, 0)
    assert policy.should_retry("DELETE", failure, 0)
    assert not policy.should_retry("GET", Reply(404), 0)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"max_retries": -1}, "max_retries"),
        ({"backoff_base": -0.1}, "backoff_base"),
        ({"backoff_max": float("nan")}, "backoff_max"),
    ],
)
def test_retry_policy_validation(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        RetryPolicy(**kwargs)


# --- no response at all ---------------------------------------------------------------------


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/v1"


async def test_connection_refused_is_status_zero() -> None:
    url = closed_port_url()
    with StreamsClient(AUTH_ID, TOKEN, url, retry=FAST) as sync_client:
        with pytest.raises(ApiError, match="failed: ConnectError") as info:
            sync_client.get(CALL, STREAM_ID)
        assert (info.value.status, info.value.api_id) == (0, None)
    async with AsyncStreamsClient(AUTH_ID, TOKEN, url, retry=FAST) as async_client:
        with pytest.raises(ApiError, match="failed: ConnectError"):
            await async_client.stop(CALL, STREAM_ID)


def test_transport_failures_are_retried_for_idempotent_calls_only() -> None:
    calls: list[str] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        if len(calls) % 2:
            raise httpx.ReadTimeout("timed out", request=request)
        return httpx.Response(200, json=STREAM_OBJECT)

    with StreamsClient(AUTH_ID, TOKEN, retry=FAST, transport=httpx.MockTransport(flaky)) as c:
        assert c.get(CALL, STREAM_ID).stream_id == STREAM_ID
        assert calls == ["GET", "GET"]
        with pytest.raises(ApiError, match=r"POST .* failed: ReadTimeout: timed out"):
            c.start(CALL, "wss://app.example/ws")
        assert calls == ["GET", "GET", "POST"]


async def test_injected_async_http_client_is_not_closed() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(204)

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    async with AsyncStreamsClient(AUTH_ID, TOKEN, http_client=http) as c:
        await c.stop_all(CALL)
    assert not http.is_closed
    await http.aclose()


# --- the auth token stays secret ------------------------------------------------------------


async def test_token_never_leaks(
    client: Client, api: FakeApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api.reply(503, {"error": "busy"})
    api.reply(401, {"api_id": "e", "error": f"invalid token {TOKEN} for {AUTH_ID}"})
    with pytest.raises(ApiError) as info:
        await client("get", CALL, STREAM_ID)
    assert info.value.message == f"invalid token <auth_token> for {AUTH_ID}"
    api.reply(200, {**STREAM_OBJECT, "stream_timeout": f"{TOKEN}"})
    with pytest.raises(ApiError) as bad_object:
        await client("get", CALL, STREAM_ID)
    texts = [
        str(info.value),
        repr(info.value),
        str(bad_object.value),
        repr(client.inner),
        repr(client.inner._api.credentials),
        caplog.text,
    ]
    assert caplog.records, "the client logs its requests"
    for text in texts:
        assert TOKEN not in text
    assert AUTH_ID in repr(client.inner)


def test_credentials_validation_does_not_echo_the_token() -> None:
    with pytest.raises(ValidationError, match="auth_token") as info:
        StreamsClient(AUTH_ID, "bad\ntoken-value")
    assert "token-value" not in str(info.value)
    with pytest.raises(ValidationError, match="auth_id"):
        StreamsClient("", TOKEN)
    with pytest.raises(ValidationError, match="base_url"):
        StreamsClient(AUTH_ID, TOKEN, "ftp://api.example/")
    with pytest.raises(ValidationError, match="timeout"):
        StreamsClient(AUTH_ID, TOKEN, timeout=0)


def test_defaults() -> None:
    with StreamsClient(AUTH_ID, TOKEN, "https://api.example/api/v1/") as c:
        assert c.base_url == "https://api.example/api/v1"
        assert c.auth_id == AUTH_ID
    with StreamsClient(AUTH_ID, TOKEN) as c:
        assert c.base_url == "https://api.vobiz.ai/api/v1"


# --- the HTTP client is an extra, loaded only by the REST clients ---------------------------


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )


def test_non_rest_modules_load_no_http_client() -> None:
    loaded = run_python(
        "import sys\n"
        "import audiofork, audiofork.vobiz, audiofork.vobiz.signature, audiofork.vobiz.xml\n"
        "import audiofork.vobiz.callbacks\n"
        "print(sorted(m for m in ('httpx', 'httpcore', 'aiohttp') if m in sys.modules))\n"
        "from audiofork.vobiz import StreamsClient\n"
        "print(StreamsClient.__module__, 'httpx' in sys.modules)\n"
    )
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.splitlines() == ["[]", "audiofork.vobiz.rest True"]


def test_rest_without_httpx_says_which_extra() -> None:
    missing = run_python(
        "import sys\n"
        "sys.modules['httpx'] = None  # what an environment without the extra gives\n"
        "import audiofork.vobiz\n"
        "try:\n"
        "    audiofork.vobiz.StreamsClient\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    assert missing.returncode == 0, missing.stderr
    assert "pip install 'audiofork[rest]'" in missing.stdout


def test_unknown_vobiz_attribute_is_an_attribute_error() -> None:
    import audiofork.vobiz

    with pytest.raises(AttributeError, match="no_such_name"):
        _ = audiofork.vobiz.no_such_name
