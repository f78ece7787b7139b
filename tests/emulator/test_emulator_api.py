"""The emulator's REST API end to end over loopback: calls, streams, every error, billing."""

from __future__ import annotations

import asyncio
import base64
import gc
import json
import socket
import warnings
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from websockets.asyncio.server import ServerConnection, serve

from audiofork.emulator import Emulator, EmulatorConfig, Tariff
from audiofork.emulator.calls import MAX_LIVE_STREAMS_PER_CALL, MAX_STREAMS_PER_CALL
from audiofork.errors import ApiError, ArgumentError, ValidationError
from audiofork.vobiz import AsyncStreamsClient, make_stream_url
from support.emulator_platform_apps import (
    ACCOUNT,
    AUTH,
    TOKEN,
    VoiceApp,
    basic_auth,
    http_client,
    started_emulator,
    within,
)
from support.hostile_integers import HUGE_DIGITS

OTHER = "MA_OTHERACCOUNT"
OTHER_AUTH = {"X-Auth-ID": OTHER, "X-Auth-Token": "other-token-abcdef"}
STREAM_FIELDS = {
    "api_id",
    "stream_id",
    "call_uuid",
    "account_id",
    "service_url",
    "audio_track",
    "bidirectional",
    "content_type",
    "sampling_rate",
    "stream_timeout",
    "status_callback_url",
    "status_callback_method",
    "status",
    "created_at",
    "start_time",
    "end_time",
    "bill_duration",
    "rounded_bill_duration",
    "billed_amount",
    "resource_uri",
}


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    config = EmulatorConfig(
        {ACCOUNT: TOKEN, OTHER: OTHER_AUTH["X-Auth-Token"]},
        speed=20,
        caller_audio="silence",
        rate_per_minute="0.003",
    )
    async with started_emulator(config) as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with http_client() as session:
        yield session


class Api:
    """Raw requests to the emulator, answering ``(status, json or None)``."""

    def __init__(self, http: aiohttp.ClientSession, emulator: Emulator) -> None:
        self.http = http
        self.base = f"{emulator.url}/api/v1/Account/{ACCOUNT}"

    async def __call__(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        url = path if path.startswith("http") else self.base + path
        async with self.http.request(
            method, url, json=body, headers=AUTH if headers is None else headers
        ) as reply:
            text = await reply.text()
            data = await reply.json() if text else None
            return reply.status, data

    async def place_call(self, app: VoiceApp, method: str = "POST") -> str:
        status, data = await within(
            self(
                "POST",
                "/Call/",
                {
                    "from": "+911",
                    "to": "+912",
                    "answer_url": app.url + "/answer",
                    "answer_method": method,
                },
            )
        )
        assert status == 201, data
        return str(data["call_uuid"])

    async def live_call(self, app: VoiceApp) -> str:
        """A call whose XML waits (endless audio, no stream): live until hung up."""
        app.xml = '<Response><Wait length="100000"/></Response>'
        call_uuid = await self.place_call(app)
        await self.until(f"/Call/{call_uuid}/", lambda call: call["call_status"] == "in-progress")
        return call_uuid

    async def until(self, path: str, predicate: Any) -> Any:
        """Poll ``GET path`` until ``predicate(json)`` holds."""

        async def poll() -> Any:
            while True:
                status, data = await self("GET", path)
                assert status == 200, data
                if predicate(data):
                    return data
                await asyncio.sleep(0.02)

        return await within(poll())


@pytest.fixture
def api(http: aiohttp.ClientSession, emulator: Emulator) -> Api:
    return Api(http, emulator)


def short_id(value: object) -> str:
    """A test id that stays short for the 5,000-digit values."""
    text = value if isinstance(value, str) else type(value).__name__
    return text if len(text) <= 30 else f"{text[:12]}…({len(text)})"


def assert_error(status: int, data: Any, expected: int, *words: str) -> None:
    assert status == expected, data
    assert set(data) == {"api_id", "error"} and data["api_id"]
    for word in words:
        assert word in data["error"], data


# --- billing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "whole", "rounded", "amount"),
    [
        (0.0, 0, 0, "0.00000"),
        (0.2, 1, 60, "0.00300"),
        (21.0, 21, 60, "0.00300"),
        (44.0, 44, 60, "0.00300"),
        (44.0000001, 44, 60, "0.00300"),
        (60.0, 60, 60, "0.00300"),
        (61.0, 61, 120, "0.00600"),
        (3599.5, 3600, 3600, "0.18000"),
    ],
)
def test_billing_rounds_up_to_whole_seconds_and_60_s_pulses(
    seconds: float, whole: int, rounded: int, amount: str
) -> None:
    bill = Tariff("0.003").bill(seconds)
    assert (bill.bill_duration, bill.rounded_bill_duration, bill.billed_amount) == (
        whole,
        rounded,
        amount,
    )


def test_billing_rate_is_configurable_and_validated() -> None:
    assert Tariff("0.0125").bill(61).billed_amount == "0.02500"
    assert Tariff(Decimal("1")).bill(1).billed_amount == "1.00000"
    for bad in ("-1", "abc", "NaN", 1.5, True):
        with pytest.raises(ValidationError, match="rate_per_minute"):
            Tariff(bad)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="seconds"):
        Tariff().bill(-1)


def test_billing_is_exact_for_any_rate_and_duration() -> None:
    """Half-up to five places, and no 28-digit Decimal context to overflow."""
    assert Tariff("1e30").bill(61).billed_amount == "2" + "0" * 30 + ".00000"
    assert Tariff("7").bill(1e12).billed_amount == "116666666669.00000"
    assert Tariff("0.000005").bill(1).billed_amount == "0.00001"
    assert Tariff("0.0000049").bill(1).billed_amount == "0.00000"


# --- auth ---------------------------------------------------------------------------------


@pytest.mark.parametrize("port", [70000, -1])
async def test_emulator_port_out_of_range_is_a_validation_error(port: int) -> None:
    emulator = Emulator(EmulatorConfig({ACCOUNT: TOKEN}))
    with pytest.raises(ValidationError, match="port must be from 0 to 65535"):
        await within(emulator.start(port=port))
    await within(emulator.close())


@pytest.mark.parametrize(("host", "warned"), [("127.0.0.1", False), ("0.0.0.0", True)])
async def test_serving_beyond_loopback_is_warned_about(
    host: str, warned: bool, caplog: pytest.LogCaptureFixture
) -> None:
    emulator = Emulator(EmulatorConfig({ACCOUNT: TOKEN}))
    try:
        await within(emulator.start(host))
    finally:
        await within(emulator.close())
    assert ("reachable beyond this machine" in caplog.text) is warned


async def test_emulator_failing_to_bind_closes_what_it_opened() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        emulator = Emulator(EmulatorConfig({ACCOUNT: TOKEN}))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with pytest.raises(OSError):
                await within(emulator.start(port=taken.getsockname()[1]))
            del emulator
            gc.collect()
    assert [str(w.message) for w in caught if w.category is ResourceWarning] == []


async def test_auth_missing_wrong_or_for_another_account_is_401(api: Api) -> None:
    status, data = await within(api("GET", "/Call/nope/", headers={}))
    assert_error(status, data, 401, "X-Auth-ID")
    status, data = await within(api("GET", "/Call/nope/", headers={**AUTH, "X-Auth-Token": "x"}))
    assert_error(status, data, 401, "authentication failed")
    status, data = await within(api("GET", "/Call/nope/", headers={**AUTH, "X-Auth-ID": "MA_NO"}))
    assert_error(status, data, 401, "authentication failed")
    status, data = await within(api("GET", "/Call/nope/", headers=OTHER_AUTH))
    assert_error(status, data, 401, OTHER, ACCOUNT)


async def test_openapi_document_needs_no_auth(api: Api, emulator: Emulator) -> None:
    status, data = await within(api("GET", f"{emulator.url}/api/v1/openapi.json", headers={}))
    assert status == 200
    assert data["openapi"].startswith("3.") and "/api/v1/Account/{auth_id}/Call/" in data["paths"]


# --- calls --------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_call_fetches_answer_url_with_call_fields(
    api: Api, app: VoiceApp, method: str
) -> None:
    app.xml = '<Response><Wait length="100000"/></Response>'
    call_uuid = await api.place_call(app, method)
    await app.wait_for(lambda: app.answers)
    hit = app.answers[0]
    assert hit.method == method
    assert hit.fields["CallUUID"] == call_uuid
    assert (hit.fields["From"], hit.fields["To"]) == ("+911", "+912")
    assert hit.fields["Direction"] == "outbound" and hit.fields["CallStatus"] == "in-progress"
    call = await api.until(f"/Call/{call_uuid}/", lambda c: c["call_status"] == "in-progress")
    assert call["answer_method"] == method and call["direction"] == "outbound"
    assert call["resource_uri"] == f"/v1/Account/{ACCOUNT}/Call/{call_uuid}/"


async def test_call_created_answers_201_and_is_fetched_and_hung_up(api: Api, app: VoiceApp) -> None:
    status, data = await within(
        api("POST", "/Call/", {"from": "a", "to": "b", "answer_url": app.url + "/answer"})
    )
    assert status == 201
    assert data["message"] == "call fired"
    assert {"api_id", "request_uuid", "call_uuid"} <= set(data)
    call_uuid = data["call_uuid"]
    # <Response/> ends at once: the end of the XML hangs up.
    call = await api.until(f"/Call/{call_uuid}/", lambda c: c["call_status"] == "completed")
    assert call["hangup_cause"] == "xml_end" and call["request_uuid"] == data["request_uuid"]


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"to": "b", "answer_url": "http://127.0.0.1:9/a"}, "from"),
        ({"from": "a", "answer_url": "http://127.0.0.1:9/a"}, "to"),
        ({"from": "a", "to": "b"}, "answer_url"),
        ({"from": "", "to": "b", "answer_url": "http://127.0.0.1:9/a"}, "from"),
        ({"from": "a", "to": 5, "answer_url": "http://127.0.0.1:9/a"}, "to"),
        ({"from": "a", "to": "b", "answer_url": "ftp://x/"}, "answer_url"),
        (
            {"from": "a", "to": "b", "answer_url": "http://x/", "answer_method": "PUT"},
            "answer_method",
        ),
        ([1, 2], "JSON object"),
    ],
)
async def test_call_create_errors_name_the_parameter(api: Api, body: Any, named: str) -> None:
    status, data = await within(api("POST", "/Call/", body))
    assert_error(status, data, 400, named)


async def test_call_body_that_is_not_json_is_400(api: Api) -> None:
    async with api.http.post(
        api.base + "/Call/", data=b"{nope", headers={**AUTH, "Content-Type": "application/json"}
    ) as reply:
        assert_error(reply.status, await reply.json(), 400, "JSON")


async def test_call_form_body_is_accepted(api: Api, app: VoiceApp) -> None:
    form = {"from": "a", "to": "b", "answer_url": app.url + "/answer"}
    async with api.http.post(api.base + "/Call/", data=form, headers=AUTH) as reply:
        assert reply.status == 201


async def test_unknown_call_is_404_for_every_call_operation(api: Api) -> None:
    for method, path in [
        ("GET", "/Call/nope/"),
        ("DELETE", "/Call/nope/"),
        ("POST", "/Call/nope/Stream/"),
        ("GET", "/Call/nope/Stream/"),
        ("DELETE", "/Call/nope/Stream/"),
        ("GET", "/Call/nope/Stream/s/"),
        ("DELETE", "/Call/nope/Stream/s/"),
    ]:
        body = {"service_url": "ws://127.0.0.1:9/"} if method == "POST" else None
        status, data = await within(api(method, path, body))
        assert_error(status, data, 404, "nope")


async def test_another_accounts_call_is_not_found(api: Api, app: VoiceApp) -> None:
    call_uuid = await api.live_call(app)
    other = f"{api.base.replace(ACCOUNT, OTHER)}/Call/{call_uuid}/"
    status, data = await within(api("GET", other, headers=OTHER_AUTH))
    assert_error(status, data, 404, call_uuid)


async def test_delete_call_hangs_up_with_204_and_ends_its_streams(api: Api, app: VoiceApp) -> None:
    call_uuid = await api.live_call(app)
    status, data = await within(
        api("POST", f"/Call/{call_uuid}/Stream/", {"service_url": app.ws_url})
    )
    assert status == 202, data
    stream = f"/Call/{call_uuid}/Stream/{data['stream_id']}/"
    await api.until(stream, lambda s: s["bill_duration"] > 0)
    status, data = await within(api("DELETE", f"/Call/{call_uuid}/"))
    assert (status, data) == (204, None)
    call = await api.until(f"/Call/{call_uuid}/", lambda c: c["call_status"] == "completed")
    assert call["hangup_cause"] == "api_hangup" and call["end_time"] is not None
    ended = await api.until(stream, lambda s: s["status"] != "in-progress")
    assert ended["status"] == "completed" and ended["end_time"] is not None
    # Hanging up again is harmless; a stream cannot start on an ended call.
    assert (await within(api("DELETE", f"/Call/{call_uuid}/")))[0] == 204
    status, data = await within(
        api("POST", f"/Call/{call_uuid}/Stream/", {"service_url": app.ws_url})
    )
    assert_error(status, data, 404, "completed")


# --- streams ------------------------------------------------------------------------------


async def test_stream_start_get_list_stop(api: Api, app: VoiceApp) -> None:
    call_uuid = await api.live_call(app)
    streams = f"/Call/{call_uuid}/Stream/"
    status, data = await within(
        api(
            "POST",
            streams,
            {
                "service_url": app.ws_url,
                "audio_track": "both",
                "content_type": "audio/x-mulaw;rate=8000",
                "stream_timeout": 600,
                "extra_headers": "a=1,b=2",
            },
        )
    )
    assert status == 202, data
    assert data["message"] == "audio streaming started" and data["api_id"]
    first = data["stream_id"]
    status, data = await within(api("POST", streams, {"service_url": app.ws_url}))
    second = data["stream_id"]

    stream = await api.until(streams + first + "/", lambda s: s["bill_duration"] >= 1)
    assert set(stream) == STREAM_FIELDS
    assert stream["stream_id"] == first and stream["call_uuid"] == call_uuid
    assert stream["account_id"] == ACCOUNT and stream["service_url"] == app.ws_url
    assert (stream["audio_track"], stream["bidirectional"]) == ("both", False)
    assert (stream["content_type"], stream["sampling_rate"]) == ("audio/x-mulaw;rate=8000", 8000)
    assert stream["stream_timeout"] == 600 and stream["status"] == "in-progress"
    assert stream["status_callback_url"] is None and stream["status_callback_method"] == "POST"
    assert stream["end_time"] is None and stream["rounded_bill_duration"] == 60
    assert stream["billed_amount"] == "0.00300"
    assert stream["resource_uri"] == f"/v1/Account/{ACCOUNT}/Call/{call_uuid}/Stream/{first}/"

    status, page = await within(api("GET", streams))
    assert status == 200 and set(page) == {"api_id", "meta", "objects"}
    assert page["meta"] == {
        "limit": 20,
        "offset": 0,
        "total_count": 2,
        "next": None,
        "previous": None,
    }
    assert [s["stream_id"] for s in page["objects"]] == [first, second]
    status, page = await within(api("GET", streams + "?limit=1&offset=1"))
    assert [s["stream_id"] for s in page["objects"]] == [second]
    assert page["meta"]["next"] is None and page["meta"]["previous"].endswith("limit=1&offset=0")
    status, page = await within(api("GET", streams + "?limit=1"))
    assert page["meta"]["next"].endswith(f"/Call/{call_uuid}/Stream/?limit=1&offset=1")

    status, data = await within(api("DELETE", streams + first + "/"))
    assert (status, data) == (204, None)
    stopped = await api.until(streams + first + "/", lambda s: s["status"] != "in-progress")
    assert stopped["status"] == "completed" and stopped["end_time"] is not None
    assert (await within(api("GET", streams + second + "/")))[1]["status"] == "in-progress"

    status, data = await within(api("DELETE", streams))
    assert (status, data) == (204, None)
    await api.until(streams + second + "/", lambda s: s["status"] == "completed")
    # Stopping billing: the bill no longer grows once the stream has ended.
    again = (await within(api("GET", streams + first + "/")))[1]
    assert again["bill_duration"] == stopped["bill_duration"]
    call = (await within(api("GET", f"/Call/{call_uuid}/")))[1]
    assert call["call_status"] == "in-progress" and call["stream_count"] == 2


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({}, "service_url"),
        ({"service_url": "http://127.0.0.1:9/ws"}, "service_url"),
        ({"service_url": "ws://127.0.0.1:9/", "audio_track": "sideways"}, "audio_track"),
        (
            {"service_url": "ws://127.0.0.1:9/", "content_type": "audio/x-l16;rate=44100"},
            "content_type",
        ),
        ({"service_url": "ws://127.0.0.1:9/", "stream_timeout": 0}, "stream_timeout"),
        ({"service_url": "ws://127.0.0.1:9/", "stream_timeout": "soon"}, "stream_timeout"),
        ({"service_url": "ws://127.0.0.1:9/", "stream_timeout": 10**400}, "stream_timeout"),
        ({"service_url": "ws://127.0.0.1:9/", "stream_timeout": HUGE_DIGITS}, "stream_timeout"),
        ({"service_url": "ws://127.0.0.1:9/", "stream_timeout": " 60"}, "stream_timeout"),
        ({"service_url": "ws://127.0.0.1:9/", "stream_timeout": "\u0666\u0660"}, "stream_timeout"),
        ({"service_url": "ws://127.0.0.1:9/", "bidirectional": "maybe"}, "bidirectional"),
        (
            {"service_url": "ws://127.0.0.1:9/", "status_callback_url": "ws://x/"},
            "status_callback_url",
        ),
        (
            {"service_url": "ws://127.0.0.1:9/", "status_callback_method": "PUT"},
            "status_callback_method",
        ),
        ({"service_url": "ws://127.0.0.1:9/", "extra_headers": "a b"}, "extra_headers"),
        (
            {"service_url": "ws://127.0.0.1:9/", "bidirectional": True, "audio_track": "both"},
            "audio_track",
        ),
        ({"service_url": "ws://127.0.0.1:9/", "volume": 11}, "volume"),
    ],
)
async def test_stream_start_errors_name_the_parameter(
    api: Api, app: VoiceApp, body: dict[str, Any], named: str
) -> None:
    call_uuid = await api.live_call(app)
    status, data = await within(api("POST", f"/Call/{call_uuid}/Stream/", body))
    assert_error(status, data, 400, named)
    assert (await within(api("GET", f"/Call/{call_uuid}/")))[1]["stream_count"] == 0


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=x", "limit"),
        ("offset=-1", "offset"),
        (f"limit={HUGE_DIGITS}", "limit"),
        (f"offset={HUGE_DIGITS}", "offset"),
        (f"offset=-{HUGE_DIGITS}", "offset"),
        (f"offset=%2B{HUGE_DIGITS}", "offset"),
        ("limit=%20%205", "limit"),
        ("limit=%D9%A1", "limit"),  # Arabic-Indic 1, which int() reads
    ],
    ids=short_id,
)
async def test_stream_list_errors_name_the_parameter(
    api: Api, app: VoiceApp, query: str, named: str
) -> None:
    call_uuid = await api.live_call(app)
    status, data = await within(api("GET", f"/Call/{call_uuid}/Stream/?{query}"))
    assert_error(status, data, 400, named)


@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded"])
async def test_a_number_past_pythons_digit_limit_in_a_body_is_400(
    api: Api, app: VoiceApp, content_type: str
) -> None:
    call_uuid = await api.live_call(app)
    if content_type == "application/json":
        body = f'{{"service_url": "ws://127.0.0.1:9/", "stream_timeout": {HUGE_DIGITS}}}'
    else:
        body = f"service_url=ws%3A%2F%2F127.0.0.1%3A9%2F&stream_timeout={HUGE_DIGITS}"
    url = f"{api.base}/Call/{call_uuid}/Stream/"
    headers = {**AUTH, "Content-Type": content_type}
    async with api.http.post(url, data=body, headers=headers) as reply:
        data = await reply.json()
        named = "JSON" if content_type == "application/json" else "stream_timeout"
        assert_error(reply.status, data, 400, named)
        assert len(data["error"]) < 400


async def test_unknown_stream_is_404(api: Api, app: VoiceApp) -> None:
    call_uuid = await api.live_call(app)
    for method in ("GET", "DELETE"):
        status, data = await within(api(method, f"/Call/{call_uuid}/Stream/nope/"))
        assert_error(status, data, 404, "nope")


async def test_wrong_method_is_405_with_allow(api: Api, app: VoiceApp) -> None:
    call_uuid = await api.live_call(app)
    for method, path, allowed in [
        ("PUT", f"/Call/{call_uuid}/Stream/x/", "DELETE, GET"),
        ("PATCH", f"/Call/{call_uuid}/", "DELETE, GET"),
        ("GET", "/Call/", "POST"),
        ("PUT", f"/Call/{call_uuid}/Stream/", "DELETE, GET, POST"),
    ]:
        async with api.http.request(method, api.base + path, headers=AUTH) as reply:
            assert_error(reply.status, await reply.json(), 405, method)
            assert reply.headers["Allow"] == allowed


async def test_paths_without_trailing_slash_work(api: Api, app: VoiceApp) -> None:
    call_uuid = await api.live_call(app)
    status, data = await within(api("GET", f"/Call/{call_uuid}"))
    assert status == 200 and data["call_uuid"] == call_uuid


async def test_audiofork_rest_client_drives_the_emulator(
    api: Api, app: VoiceApp, emulator: Emulator
) -> None:
    call_uuid = await api.live_call(app)
    async with AsyncStreamsClient(ACCOUNT, TOKEN, emulator.url + "/api/v1") as client:
        stream_id = await within(client.start(call_uuid, app.ws_url, bidirectional=True))
        streams = await within(client.list(call_uuid, page_size=1))
        assert [s.stream_id for s in streams] == [stream_id]
        await within(client.stop(call_uuid, stream_id))
        stream = await within(client.get(call_uuid, stream_id))
        assert stream.call_uuid == call_uuid and stream.bidirectional is True
        with pytest.raises(ApiError) as info:
            await within(client.get(call_uuid, "nope"))
        assert info.value.status == 404 and "nope" in info.value.message


async def test_billing_of_a_stream_follows_the_virtual_clock(api: Api, app: VoiceApp) -> None:
    call_uuid = await api.live_call(app)
    _, data = await within(api("POST", f"/Call/{call_uuid}/Stream/", {"service_url": app.ws_url}))
    path = f"/Call/{call_uuid}/Stream/{data['stream_id']}/"
    # 20x speed: 61 virtual seconds take about 3 real seconds.
    running = await api.until(path, lambda s: s["bill_duration"] >= 61)
    assert running["rounded_bill_duration"] >= 120
    await within(api("DELETE", path))
    ended = await api.until(path, lambda s: s["status"] == "completed")
    whole = ended["bill_duration"]
    assert whole >= 61
    pulses = -(-whole // 60)
    assert ended["rounded_bill_duration"] == 60 * pulses
    assert Decimal(ended["billed_amount"]) == Decimal("0.003") * pulses


async def test_a_slow_socket_close_is_not_billed(api: Api, app: VoiceApp) -> None:
    """The app sends ``stop`` at once, then never answers the close: closing takes 2 real
    seconds (40 virtual ones at 20x), which neither the bill nor ``end_time`` counts."""
    release = asyncio.Event()

    async def stop_then_stall(ws: ServerConnection) -> None:
        start = json.loads(await ws.recv())
        await ws.send(json.dumps({"event": "stop", "streamId": start["start"]["streamId"]}))
        ws.transport.pause_reading()  # the close frame is never read, so never answered
        await release.wait()
        ws.transport.abort()

    call_uuid = await api.live_call(app)
    async with serve(stop_then_stall, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        body = {"service_url": f"ws://127.0.0.1:{port}/ws", "bidirectional": True}
        try:
            _, data = await within(api("POST", f"/Call/{call_uuid}/Stream/", body))
            path = f"/Call/{call_uuid}/Stream/{data['stream_id']}/"
            ended = await api.until(path, lambda s: s["status"] != "in-progress")
        finally:
            release.set()
    assert ended["status"] == "completed"
    assert ended["bill_duration"] <= 2, ended
    assert ended["rounded_bill_duration"] == 60
    created = datetime.fromisoformat(ended["start_time"])
    assert datetime.fromisoformat(ended["end_time"]) - created <= timedelta(seconds=3), ended


async def test_status_page_lists_calls_and_escapes_what_callers_sent(
    api: Api, app: VoiceApp, emulator: Emulator
) -> None:
    app.xml = '<Response><Wait length="100000"/></Response>'
    body = {"from": "<script>x</script>", "to": "+2", "answer_url": app.url + "/answer"}
    status, data = await within(api("POST", "/Call/", body))
    assert status == 201
    async with api.http.get(emulator.url + "/", headers=basic_auth(ACCOUNT, TOKEN)) as reply:
        assert reply.status == 200 and reply.content_type == "text/html"
        page = await reply.text()
    assert data["call_uuid"] in page and ACCOUNT in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page and "<script>" not in page


# --- the status page ------------------------------------------------------------------------

SECRET = "Zq3-0123456789abcdef_XYZ"


async def page_of(
    api: Api, emulator: Emulator, headers: dict[str, str]
) -> tuple[int, str, dict[str, str]]:
    async with api.http.get(emulator.url + "/", headers=headers) as reply:
        return reply.status, await reply.text(), dict(reply.headers)


async def test_the_status_page_shows_an_account_only_its_own_calls(
    api: Api, app: VoiceApp, emulator: Emulator
) -> None:
    call_uuid = await api.live_call(app)
    no_colon = base64.b64encode(b"MA_TESTACCOUNT").decode()
    for headers in [
        {},
        basic_auth(ACCOUNT, "wrong"),
        basic_auth("MA_NOBODY", TOKEN),
        {"Authorization": "Basic !!!"},
        {"Authorization": f"Basic {no_colon}"},
        {"Authorization": f"Bearer {TOKEN}"},
        AUTH,  # the API's headers are not the page's credentials
    ]:
        status, text, reply_headers = await within(page_of(api, emulator, headers))
        assert status == 401 and reply_headers["WWW-Authenticate"].startswith("Basic "), headers
        assert call_uuid not in text and ACCOUNT not in text
    other = basic_auth(OTHER, OTHER_AUTH["X-Auth-Token"])
    status, text, _ = await within(page_of(api, emulator, other))
    assert status == 200 and OTHER in text
    assert call_uuid not in text and ACCOUNT not in text
    status, text, reply_headers = await within(page_of(api, emulator, basic_auth(ACCOUNT, TOKEN)))
    assert status == 200 and call_uuid in text
    assert reply_headers["Cache-Control"] == "no-store"


async def test_the_status_page_redacts_stream_secrets(
    api: Api, app: VoiceApp, emulator: Emulator
) -> None:
    call_uuid = await api.live_call(app)
    service_url = make_stream_url(app.ws_url + "?lang=en", SECRET)
    status, data = await within(
        api("POST", f"/Call/{call_uuid}/Stream/", {"service_url": service_url})
    )
    assert status == 202, data
    stream = f"/Call/{call_uuid}/Stream/{data['stream_id']}/"
    await api.until(stream, lambda s: s["bill_duration"] > 0)
    status, text, _ = await within(page_of(api, emulator, basic_auth(ACCOUNT, TOKEN)))
    assert status == 200 and data["stream_id"] in text
    assert SECRET not in text and f"{app.ws_url}?lang=***&amp;token=***" in text
    # The account's own API still answers the URL it gave.
    assert (await within(api("GET", stream)))[1]["service_url"] == service_url


# --- bounds: streams per call, calls kept ----------------------------------------------------


async def test_a_call_runs_at_most_so_many_streams_at_once(api: Api, app: VoiceApp) -> None:
    call_uuid = await api.live_call(app)
    streams = f"/Call/{call_uuid}/Stream/"
    started = []
    for _ in range(MAX_LIVE_STREAMS_PER_CALL):
        status, data = await within(api("POST", streams, {"service_url": app.ws_url}))
        assert status == 202, data
        started.append(data["stream_id"])
    status, data = await within(api("POST", streams, {"service_url": app.ws_url}))
    assert_error(status, data, 400, "MAX_LIVE_STREAMS_PER_CALL", str(MAX_LIVE_STREAMS_PER_CALL))
    await app.wait_for(lambda: len(app.sockets) == MAX_LIVE_STREAMS_PER_CALL)
    assert (await within(api("DELETE", streams + started[0] + "/")))[0] == 204
    await api.until(streams + started[0] + "/", lambda s: s["status"] != "in-progress")
    status, data = await within(api("POST", streams, {"service_url": app.ws_url}))
    assert status == 202, data


async def test_a_call_starts_at_most_so_many_streams(api: Api, app: VoiceApp) -> None:
    call_uuid = await api.live_call(app)
    streams = f"/Call/{call_uuid}/Stream/"
    unreachable = {"service_url": "ws://127.0.0.1:9/ws"}  # each fails at once
    for _ in range(MAX_STREAMS_PER_CALL):
        status, data = await within(api("POST", streams, unreachable))
        assert status == 202, data
        await api.until(streams + data["stream_id"] + "/", lambda s: s["status"] == "failed")
    status, data = await within(api("POST", streams, unreachable))
    assert_error(status, data, 400, "MAX_STREAMS_PER_CALL")
    call = (await within(api("GET", f"/Call/{call_uuid}/")))[1]
    assert call["stream_count"] == MAX_STREAMS_PER_CALL


async def test_only_the_last_ended_calls_are_kept(app: VoiceApp) -> None:
    app.xml = "<Response><Hangup/></Response>"
    config = EmulatorConfig({ACCOUNT: TOKEN}, speed=20, caller_audio="silence", max_ended_calls=2)
    async with started_emulator(config) as emulator, http_client(headers=AUTH) as http:
        api = Api(http, emulator)
        ended = []
        for _ in range(4):
            call_uuid = await api.place_call(app)
            info = await within(emulator.call_ended(call_uuid))
            assert (info.call_uuid, info.hangup_cause) == (call_uuid, "xml_hangup")
            ended.append(call_uuid)
        app.xml = '<Response><Wait length="100000"/></Response>'
        live = await api.live_call(app)
        for call_uuid in ended[:2]:
            status, data = await within(api("GET", f"/Call/{call_uuid}/"))
            assert_error(status, data, 404, call_uuid)
            with pytest.raises(ArgumentError, match="call_uuid"):
                emulator.call_info(call_uuid)
        for call_uuid in [*ended[2:], live]:
            assert (await within(api("GET", f"/Call/{call_uuid}/")))[0] == 200
        assert list(emulator.exchange.calls) == [*ended[2:], live]
        assert emulator.exchange.forgotten == 2


@pytest.mark.parametrize(
    "kept", [-1, 10**9 + 1, True, "5", 10**5000], ids=["-1", "1e9+1", "True", "'5'", "huge"]
)
def test_the_number_of_ended_calls_kept_is_validated(kept: object) -> None:
    with pytest.raises(ValidationError, match="max_ended_calls"):
        EmulatorConfig({ACCOUNT: TOKEN}, max_ended_calls=kept)  # type: ignore[arg-type]
