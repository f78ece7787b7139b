"""Status callbacks: parsing every body shape, and authenticated reading in real frameworks."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient as AiohttpClient
from aiohttp.test_utils import TestServer
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from audiofork import ProtocolError, SignatureError
from audiofork.vobiz import (
    STATUS_EVENTS,
    NonceCache,
    StatusCallback,
    parse_status_callback,
    read_aiohttp_callback,
    read_starlette_callback,
    read_status_callback,
)
from audiofork.vobiz.callbacks import MAX_BODY_BYTES, MAX_JSON_DEPTH

TOKEN = "MAtoken-abcdefghijklmnop"
PARENT_TOKEN = "parent-token-qrstuvwxyz"
FORM = "application/x-www-form-urlencoded"

START_FIELDS = {
    "From": "+919800000001",
    "To": "+918000000002",
    "CallUUID": "5401fd2e-6344-40df-a22c-c8ffea7a92e7",
    "Event": "StartStream",
    "StreamID": "c4dfd815-a92a-4140-ab85-5ff28c004116",
    "ParentAuthID": "MA_PARENT",
    "status_callback_url": "https://app.example/stream-status",
    "status_callback_method": "POST",
    "Timestamp": "2025-11-14 08:14:29",
    "ServiceURL": "wss://app.example/ws",
    "Error": "",
    "bidirectional": "true",
    "audioTrack": "inbound",
    "streamTimeout": "86400",
    "contentType": "audio/x-l16;rate=16000",
    "extraHeaders": "user=42,plan_id=gold",
    "keepCallAlive": "false",
    "X-VH-user": "42",
    "X-VH-plan_id": "gold",
}


def check_start(callback: StatusCallback) -> None:
    assert callback.event == "StartStream"
    assert callback.stream_id == "c4dfd815-a92a-4140-ab85-5ff28c004116"
    assert callback.call_uuid == "5401fd2e-6344-40df-a22c-c8ffea7a92e7"
    assert (callback.from_, callback.to) == ("+919800000001", "+918000000002")
    assert callback.service_url == "wss://app.example/ws"
    assert callback.name is None
    assert callback.error is None
    assert callback.timestamp == datetime(2025, 11, 14, 8, 14, 29)
    assert callback.extra_headers == {"user": "42", "plan_id": "gold"}
    assert callback.raw["contentType"] == "audio/x-l16;rate=16000"
    assert callback.raw["ParentAuthID"] == "MA_PARENT"
    assert callback.raw["keepCallAlive"] == "false"


def test_form_post() -> None:
    check_start(parse_status_callback("POST", "", urlencode(START_FIELDS).encode(), FORM))


def test_query_string_get() -> None:
    check_start(parse_status_callback("GET", urlencode(START_FIELDS), b"", None))
    check_start(parse_status_callback("get", "?" + urlencode(START_FIELDS), b"ignored", FORM))


def test_parsed_query_mapping() -> None:
    check_start(parse_status_callback("GET", START_FIELDS, b"", None))


def test_json_body() -> None:
    body = json.dumps({**START_FIELDS, "bidirectional": True, "streamTimeout": 86400})
    callback = parse_status_callback("POST", "", body, "application/json; charset=utf-8")
    check_start(callback)
    assert callback.raw["bidirectional"] == "true"
    assert callback.raw["streamTimeout"] == "86400"


@pytest.mark.parametrize("content_type", [None, "", "text/plain"])
def test_body_without_a_useful_content_type_is_sniffed(content_type: str | None) -> None:
    check_start(parse_status_callback("POST", "", urlencode(START_FIELDS), content_type))
    check_start(parse_status_callback("POST", "", json.dumps(START_FIELDS), content_type))


def test_body_fields_win_over_query_fields() -> None:
    callback = parse_status_callback(
        "POST", "Event=StopStream&Name=q", b"Event=PlayedStream&Name=greeting", FORM
    )
    assert (callback.event, callback.name) == ("PlayedStream", "greeting")


@pytest.mark.parametrize("event", STATUS_EVENTS)
def test_every_documented_event(event: str) -> None:
    fields = {"Event": event, "StreamID": "s1", "Timestamp": "2025-01-02 03:04:05"}
    if event == "PlayedStream":
        fields["Name"] = "greeting"
    if event == "DroppedStream":
        fields["Error"] = "socket closed by app"
    callback = parse_status_callback("POST", "", urlencode(fields), FORM)
    assert callback.event == event
    assert callback.name == ("greeting" if event == "PlayedStream" else None)
    assert callback.error == ("socket closed by app" if event == "DroppedStream" else None)


def test_field_names_and_times_are_read_liberally() -> None:
    callback = parse_status_callback(
        "POST",
        "",
        json.dumps(
            {
                "event": "StopStream",
                "stream_id": "s1",
                "callUuid": "c1",
                "timestamp": "2025-11-14T02:44:50.5Z",
                "x-vh-Key": "v",
            }
        ),
        "application/json",
    )
    assert (callback.event, callback.stream_id, callback.call_uuid) == ("StopStream", "s1", "c1")
    assert callback.timestamp == datetime(2025, 11, 14, 2, 44, 50, 500000, tzinfo=timezone.utc)
    assert callback.extra_headers == {"Key": "v"}
    offset = parse_status_callback(
        "GET", "Event=X&Timestamp=2025-11-14 08:14:29%2B05:30", b"", None
    )
    assert offset.timestamp is not None
    assert offset.timestamp.utcoffset() == timedelta(hours=5, minutes=30)


@pytest.mark.parametrize("digits", range(1, 10))
@pytest.mark.parametrize(
    ("zone", "tzinfo"),
    [("Z", timezone.utc), ("+05:30", timezone(timedelta(hours=5, minutes=30))), ("", None)],
)
def test_timestamp_fractions_of_1_to_9_digits(digits: int, zone: str, tzinfo: timezone) -> None:
    fraction = "987654321"[:digits]
    stamp = f"2025-11-14T02:44:50.{fraction}{zone}"
    callback = parse_status_callback(
        "GET", urlencode({"Event": "X", "Timestamp": stamp}), b"", None
    )
    microsecond = int(fraction[:6].ljust(6, "0"))  # past microseconds cut, as Python does
    assert callback.timestamp == datetime(2025, 11, 14, 2, 44, 50, microsecond, tzinfo=tzinfo)


@pytest.mark.parametrize(
    ("method", "query", "body", "content_type", "message"),
    [
        ("POST", "", b"StreamID=s1", FORM, "no Event"),
        ("POST", "", b"Event=", FORM, "no Event"),
        ("POST", "", b"{not json", "application/json", "not valid JSON"),
        ("POST", "", b"[1, 2]", "application/json", "must be an object"),
        ("POST", "", b"Event=x", "multipart/form-data; boundary=x", "not supported"),
        ("POST", "", "Event=é".encode("latin-1"), FORM, "not utf-8"),
        ("POST", "", b"Event=x", "application/x-www-form-urlencoded; charset=nope", "nope"),
        ("POST", "", b"Event=x", f"{FORM}; charset=punycode", "not punycode"),  # UnicodeError
        ("POST", "", b"Event=x", f"{FORM}; charset=base64", "not base64"),  # not a text codec
        ("PUT", "Event=x", b"", None, "method 'PUT'"),
        ("GET", "Event=x&Timestamp=yesterday", b"", None, "Timestamp"),
    ],
)
def test_unreadable_callbacks(
    method: str, query: str, body: bytes, content_type: str | None, message: str
) -> None:
    with pytest.raises(ProtocolError, match=message):
        parse_status_callback(method, query, body, content_type)


def test_charset_is_honoured() -> None:
    body = "Event=StartStream&Name=caf\xe9".encode("latin-1")
    callback = parse_status_callback("POST", "", body, f"{FORM}; charset=latin-1")
    assert callback.name == "caf\xe9"
    text = parse_status_callback("POST", "", body.decode("latin-1"), f"{FORM}; charset=latin-1")
    assert text.name == "caf\xe9"


# --- read_status_callback: signature, replay, then parse -----------------------------------


def signature(url: str, nonce: str, token: str = TOKEN, separator: str = ".") -> str:
    base = url.split("?")[0]
    digest = hmac.new(token.encode(), f"{base}{separator}{nonce}".encode(), hashlib.sha256)
    return base64.b64encode(digest.digest()).decode()


def signed_headers(url: str, nonce: str = "12345678901234567890") -> dict[str, str]:
    return {
        "X-Vobiz-Signature-V3": signature(url, nonce),
        "X-Vobiz-Signature-V3-Nonce": nonce,
        "X-Vobiz-Signature-V2": signature(url, nonce, separator=""),
        "X-Vobiz-Signature-V2-Nonce": nonce,
        "X-Vobiz-Signature-MA-V3": signature(url, nonce, PARENT_TOKEN),
        "Content-Type": FORM,
    }


URL = "https://app.example/stream-status"
BODY = urlencode(START_FIELDS).encode()


def test_read_verifies_and_parses() -> None:
    cache = NonceCache()
    callback = read_status_callback(
        "POST", URL, signed_headers(URL), BODY, TOKEN, nonce_cache=cache
    )
    check_start(callback)
    assert len(cache) == 1


def test_read_replay_is_refused() -> None:
    cache = NonceCache()
    read_status_callback("POST", URL, signed_headers(URL), BODY, TOKEN, nonce_cache=cache)
    with pytest.raises(SignatureError, match="replay"):
        read_status_callback("POST", URL, signed_headers(URL), BODY, TOKEN, nonce_cache=cache)
    check_start(
        read_status_callback("POST", URL, signed_headers(URL), BODY, TOKEN, nonce_cache=None)
    )


def test_read_rejects_bad_signatures_without_spending_the_nonce() -> None:
    cache = NonceCache()
    with pytest.raises(SignatureError, match="does not verify"):
        read_status_callback("POST", URL, signed_headers(URL), BODY, "wrong", nonce_cache=cache)
    headers = signed_headers(URL)
    del headers["X-Vobiz-Signature-V3"]
    with pytest.raises(SignatureError, match="lacks"):
        read_status_callback("POST", URL, headers, BODY, TOKEN, nonce_cache=cache)
    assert len(cache) == 0


def test_read_header_names_are_case_insensitive() -> None:
    headers = {k.lower(): v for k, v in signed_headers(URL).items()}
    read_status_callback("POST", URL, headers, BODY, TOKEN, nonce_cache=None)


def test_read_other_schemes() -> None:
    headers = signed_headers(URL)
    read_status_callback("POST", URL, headers, BODY, TOKEN, nonce_cache=None, version="v2")
    read_status_callback(
        "POST", URL, headers, BODY, PARENT_TOKEN, nonce_cache=None, parent_account=True
    )
    with pytest.raises(SignatureError):
        read_status_callback(
            "POST", URL, headers, BODY, TOKEN, nonce_cache=None, parent_account=True
        )


def test_read_public_url_behind_a_proxy() -> None:
    internal = "http://10.0.0.5:8000/stream-status?Event=StopStream&StreamID=s9"
    headers = {**signed_headers(URL), "Content-Type": ""}
    with pytest.raises(SignatureError):
        read_status_callback("GET", internal, headers, b"", TOKEN, nonce_cache=None)
    callback = read_status_callback(
        "GET", internal, headers, b"", TOKEN, nonce_cache=None, public_url=URL
    )
    assert (callback.event, callback.stream_id) == ("StopStream", "s9")


def test_read_unreadable_but_signed_body() -> None:
    with pytest.raises(ProtocolError, match="no Event"):
        read_status_callback("POST", URL, signed_headers(URL), b"x=1", TOKEN, nonce_cache=None)


def json_nested(depth: int) -> str:
    """A callback whose ``Extra`` value nests arrays so the body is ``depth`` deep."""
    return '{"Event": "StopStream", "Extra": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"


def test_json_nesting_up_to_the_limit_parses() -> None:
    body = json_nested(MAX_JSON_DEPTH)
    callback = parse_status_callback("POST", "", body, "application/json")
    inner = MAX_JSON_DEPTH - 1
    assert callback.raw["Extra"] == "[" * inner + "]" * inner


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 10_000, 100_000])
@pytest.mark.parametrize("content_type", ["application/json", None])
def test_deeper_json_is_refused_before_parsing(depth: int, content_type: str | None) -> None:
    body = json_nested(depth)
    if len(body) > MAX_BODY_BYTES:
        match = f"at most {MAX_BODY_BYTES} bytes"
    else:
        match = f"nest at most {MAX_JSON_DEPTH} deep, got {depth}"
    with pytest.raises(ProtocolError, match=match):
        parse_status_callback("POST", "", body.encode(), content_type)


def test_brackets_inside_json_strings_are_not_nesting() -> None:
    text = "[" * 1000 + '\\"{' * 100
    body = json.dumps({"Event": "StopStream", "Error": text})
    assert parse_status_callback("POST", "", body, "application/json").error == text


@pytest.mark.parametrize("kind", [str, bytes])
def test_bodies_over_the_size_limit_are_refused(kind: type[str] | type[bytes]) -> None:
    body = "Event=StopStream&Name=" + "x" * MAX_BODY_BYTES
    with pytest.raises(ProtocolError, match=f"at most {MAX_BODY_BYTES} bytes"):
        parse_status_callback("POST", "", body if kind is str else body.encode(), FORM)


# --- the framework helpers, in the real frameworks ------------------------------------------


def starlette_app(cache: NonceCache, received: list[StatusCallback]) -> Starlette:
    async def status(request: Request) -> Response:
        try:
            callback = await read_starlette_callback(request, TOKEN, nonce_cache=cache)
        except SignatureError as exc:
            return JSONResponse({"refused": str(exc)}, status_code=403)
        received.append(callback)
        return JSONResponse({"event": callback.event, "stream_id": callback.stream_id})

    return Starlette(routes=[Route("/stream-status", status, methods=["GET", "POST"])])


def test_starlette_helper() -> None:
    cache = NonceCache()
    received: list[StatusCallback] = []
    url = "http://testserver/stream-status"
    with TestClient(starlette_app(cache, received)) as client:
        ok = client.post(url, content=BODY, headers=signed_headers(url, "1"))
        assert ok.status_code == 200
        assert ok.json() == {"event": "StartStream", "stream_id": START_FIELDS["StreamID"]}
        replay = client.post(url, content=BODY, headers=signed_headers(url, "1"))
        assert replay.status_code == 403
        assert "replay" in replay.json()["refused"]
        forged = client.post(url, content=BODY, headers=signed_headers(url + "x", "2"))
        assert forged.status_code == 403
        query = "?Event=StopStream&StreamID=s2"
        get = client.get(url + query, headers=signed_headers(url + query, "3"))
        assert get.json() == {"event": "StopStream", "stream_id": "s2"}
    start, stop = received  # the refused requests never reached the handler's result
    check_start(start)
    assert start.raw == START_FIELDS
    assert stop == StatusCallback(
        event="StopStream", stream_id="s2", raw={"Event": "StopStream", "StreamID": "s2"}
    )


async def test_aiohttp_helper() -> None:
    cache = NonceCache()
    received: list[StatusCallback] = []

    async def status(request: web.Request) -> web.Response:
        try:
            callback = await read_aiohttp_callback(request, TOKEN, nonce_cache=cache)
        except SignatureError as exc:
            return web.json_response({"refused": str(exc)}, status=403)
        received.append(callback)
        return web.json_response({"event": callback.event, "stream_id": callback.stream_id})

    app = web.Application()
    app.router.add_route("*", "/stream-status", status)
    async with AiohttpClient(TestServer(app, host="127.0.0.1")) as client:
        url = str(client.make_url("/stream-status"))
        ok = await client.post("/stream-status", data=BODY, headers=signed_headers(url, "1"))
        assert ok.status == 200
        assert await ok.json() == {"event": "StartStream", "stream_id": START_FIELDS["StreamID"]}
        replay = await client.post("/stream-status", data=BODY, headers=signed_headers(url, "1"))
        assert replay.status == 403
        forged = await client.post(
            "/stream-status",
            data=BODY,
            headers=signed_headers(url, "2") | {"X-Vobiz-Signature-V3": "x"},
        )
        assert forged.status == 403
        json_body = json.dumps({"Event": "PlayedStream", "StreamID": "s3", "Name": "greeting"})
        headers = signed_headers(url, "3") | {"Content-Type": "application/json"}
        played = await client.post("/stream-status", data=json_body, headers=headers)
        assert await played.json() == {"event": "PlayedStream", "stream_id": "s3"}
    start, played_callback = received
    check_start(start)
    assert start.raw == START_FIELDS
    assert played_callback == StatusCallback(
        event="PlayedStream",
        stream_id="s3",
        name="greeting",
        raw={"Event": "PlayedStream", "StreamID": "s3", "Name": "greeting"},
    )


# --- the framework helpers read a body only when signed, and only up to the bound -----------

_CHUNK = 64 * 1024
_BIG = 8 << 20


class ChunkedAsgiBody:
    """An ASGI ``receive`` handing out ``total`` bytes in ``_CHUNK`` pieces, counting them."""

    def __init__(self, total: int) -> None:
        self.left = total
        self.pulled = 0

    async def __call__(self) -> dict[str, object]:
        self.pulled += 1
        size = min(_CHUNK, self.left)
        self.left -= size
        return {"type": "http.request", "body": b"E" * size, "more_body": self.left > 0}


def starlette_request(receive: ChunkedAsgiBody, headers: dict[str, str]) -> Request:
    scope = {
        "type": "http",
        "method": "POST",
        "scheme": "https",
        "server": ("app.example", 443),
        "path": "/stream-status",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }
    return Request(scope, receive)


async def test_starlette_helper_stops_reading_past_the_bound() -> None:
    receive = ChunkedAsgiBody(_BIG)
    request = starlette_request(receive, signed_headers(URL))
    with pytest.raises(ProtocolError, match=f"at most {MAX_BODY_BYTES} bytes") as info:
        await read_starlette_callback(request, TOKEN, nonce_cache=None)
    assert info.value.kind == "too_large"
    assert receive.pulled <= MAX_BODY_BYTES // _CHUNK + 1  # not the 128 chunks sent


async def test_starlette_helper_reads_nothing_of_an_unsigned_body() -> None:
    receive = ChunkedAsgiBody(_BIG)
    request = starlette_request(receive, {"Content-Type": FORM})
    with pytest.raises(SignatureError, match="lacks"):
        await read_starlette_callback(request, TOKEN, nonce_cache=None)
    assert receive.pulled == 0


async def test_starlette_helper_refuses_a_declared_length_over_the_bound() -> None:
    receive = ChunkedAsgiBody(_BIG)
    headers = signed_headers(URL) | {"Content-Length": str(_BIG)}
    with pytest.raises(ProtocolError, match=f"Content-Length '{_BIG}'"):
        await read_starlette_callback(starlette_request(receive, headers), TOKEN, nonce_cache=None)
    assert receive.pulled == 0


async def test_aiohttp_helper_stops_reading_past_the_bound() -> None:
    seen: list[tuple[str, int]] = []

    async def status(request: web.Request) -> web.Response:
        try:
            await read_aiohttp_callback(request, TOKEN, nonce_cache=None)
        except (ProtocolError, SignatureError) as exc:
            seen.append((type(exc).__name__, request.content.total_bytes))
            return web.Response(status=400)
        return web.Response()

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(_BIG // _CHUNK):
            yield b"E" * _CHUNK

    app = web.Application()
    app.router.add_post("/stream-status", status)
    async with AiohttpClient(TestServer(app, host="127.0.0.1")) as client:
        url = str(client.make_url("/stream-status"))
        for headers in (signed_headers(url), {"Content-Type": FORM}):
            with contextlib.suppress(aiohttp.ClientError):  # it may close before we finish
                reply = await client.post("/stream-status", data=chunks(), headers=headers)
                assert reply.status == 400
    (protocol, read_signed), (signature_error, read_unsigned) = seen
    assert (protocol, signature_error) == ("ProtocolError", "SignatureError")
    # Only what was buffered before the reader stopped: not the 8 MiB sent.
    assert read_signed < 1 << 20 and read_unsigned < 1 << 20


# --- every refusal is a SignatureError or a ProtocolError ------------------------------------

_HEADER_TEXT = st.text(st.characters(codec="latin-1"), max_size=40)


@settings(max_examples=300)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "post", ""]) | st.text(max_size=8),
    query=st.text(max_size=60),
    body=st.binary(max_size=200) | st.text(max_size=200).map(str.encode),
    content_type=st.none()
    | st.sampled_from([FORM, "application/json", "text/plain", "application/x+json"]).flatmap(
        lambda mime: st.sampled_from(
            ["", "; charset=", "; charset=utf-16", "; charset=idna", "; charset=punycode"]
        ).map(lambda params: mime + params)
    )
    | _HEADER_TEXT,
    headers=st.dictionaries(_HEADER_TEXT, _HEADER_TEXT, max_size=4),
    signed=st.booleans(),
)
def test_what_arrives_is_parsed_or_refused_with_a_family_error(
    method: str,
    query: str,
    body: bytes,
    content_type: str | None,
    headers: dict[str, str],
    signed: bool,
) -> None:
    url = f"{URL}?{query}"
    all_headers = dict(headers)
    if signed:
        all_headers |= signed_headers(url)
    if content_type is not None:
        all_headers["Content-Type"] = content_type
    for read in (
        lambda: parse_status_callback(method, query, body, content_type),
        lambda: read_status_callback(method, url, all_headers, body, TOKEN, nonce_cache=None),
    ):
        with contextlib.suppress(ProtocolError, SignatureError):
            assert isinstance(read(), StatusCallback)
