"""schemathesis against the live emulator: for a bounded number of generated requests per
operation, no 5xx, and every response (status, content type, body) matches the emulator's
own OpenAPI document. The integer parameters are also driven with text no schema generator
writes (digit strings past Python's 4,300-digit limit, signs, spaces, other scripts' digits):
a 400 naming the parameter, never a 500.

The emulator runs in a background thread's event loop (schemathesis calls are blocking).
Requests act for the test account on one live call with a stream to the test's app, so the
stream operations and the emulator-only caller actions (keys, speech, hang-up) are reached;
any generated URL that would leave the machine (answer, service and callback URLs) is
pointed at the test's app on loopback first.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from audiofork.emulator import Emulator, EmulatorConfig
from audiofork.emulator.openapi import openapi_document
from audiofork.errors import ValidationError
from audiofork.vobiz import _params
from support.emulator_platform_apps import ACCOUNT, AUTH, TOKEN, VoiceApp, http_client
from support.hostile_integers import INTEGER_TEXT

T = TypeVar("T")
schemathesis.serializer.alias("audio/wav", "application/octet-stream")  # WAV bodies as bytes
schema = schemathesis.openapi.from_dict(openapi_document())
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@dataclass
class Running:
    api: str
    app: VoiceApp
    call_uuid: str
    new_call: Callable[[], str]


class SinkApp(VoiceApp):
    """The test's app, but its socket reads and forgets what it is sent: the module's calls
    stream until it ends, and keeping every frame would grow without bound."""

    async def _ws(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for _ in ws:
            pass
        return ws


class LoopThread:
    """An event loop in a daemon thread; :meth:`run` executes a coroutine there."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


async def _live_call(emulator: Emulator, app: VoiceApp) -> str:
    stream = f'<Stream bidirectional="true">{app.ws_url}</Stream>'
    app.xml = f'<Response>{stream}<Wait length="1000000"/></Response>'
    async with http_client(headers=AUTH) as http:
        body = {"from": "+1", "to": "+2", "answer_url": app.url + "/answer"}
        async with http.post(f"{emulator.url}/api/v1/Account/{ACCOUNT}/Call/", json=body) as reply:
            call_uuid: str = (await reply.json())["call_uuid"]
    call = emulator.exchange.calls[call_uuid]
    while not (call.forks and call.forks[0].runner.connected):
        await asyncio.sleep(0.01)
    return call_uuid


@pytest.fixture(scope="module")
def running() -> Iterator[Running]:
    thread = LoopThread()
    app = SinkApp()
    thread.run(app.start())
    emulator = Emulator(EmulatorConfig({ACCOUNT: TOKEN}, speed=2, caller_audio="silence"))
    thread.run(emulator.start())
    try:
        call_uuid = thread.run(_live_call(emulator, app))
        new_call = lambda: thread.run(_live_call(emulator, app))  # noqa: E731
        yield Running(emulator.url, app, call_uuid, new_call)
    finally:
        thread.run(emulator.close())
        thread.run(app.close())
        thread.stop()


def _local(value: object, check: Any, replacement: str) -> object:
    try:
        check("url", value)
    except ValidationError:
        return value
    return replacement


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_response_matches_the_openapi_document(case: Any, running: Running) -> None:
    case.path_parameters = {**(case.path_parameters or {}), "auth_id": ACCOUNT}
    if "call_uuid" in case.path_parameters:
        case.path_parameters["call_uuid"] = running.call_uuid
    if isinstance(case.body, dict):
        app = running.app
        for key, check, local in [
            ("answer_url", _params.http_url, app.url + "/answer"),
            ("status_callback_url", _params.http_url, app.url + "/status"),
            ("service_url", _params.ws_url, app.ws_url),
        ]:
            if key in case.body:
                case.body[key] = _local(case.body[key], check, local)
    case.call_and_validate(base_url=running.api, headers=AUTH, checks=CHECKS)


STREAMS = "/api/v1/Account/{auth_id}/Call/{call_uuid}/Stream/"
NAMES = st.sampled_from(["limit", "offset"])


@pytest.fixture(scope="module")
def call_uuid(running: Running) -> str:
    """A live call of its own (the schema test above may have hung its call up)."""
    return running.new_call()


def _answer(case: Any, running: Running, call_uuid: str) -> Any:
    case.path_parameters = {"auth_id": ACCOUNT, "call_uuid": call_uuid}
    response = case.call(base_url=running.api, headers=AUTH)
    case.validate_response(response, checks=CHECKS)
    return response


@given(case=schema[STREAMS]["GET"].as_strategy(), name=NAMES, text=INTEGER_TEXT)
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_list_parameters_written_any_way_are_a_page_or_a_400_naming_them(
    case: Any, running: Running, call_uuid: str, name: str, text: str
) -> None:
    """Huge digit strings, signs, spaces and other digits in ``limit`` / ``offset``."""
    case.query = {**(case.query or {}), name: text}
    response = _answer(case, running, call_uuid)
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        assert name in response.json()["error"]


@given(case=schema[STREAMS]["POST"].as_strategy(), text=INTEGER_TEXT)
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_stream_timeout_written_any_way_is_a_start_or_a_400_naming_it(
    case: Any, running: Running, call_uuid: str, text: str
) -> None:
    """The same for ``stream_timeout`` in a start (validated before the call's stream
    limits, which a valid value may meet after many examples)."""
    case.body = {"service_url": "ws://127.0.0.1:9/ws", "stream_timeout": text}
    response = _answer(case, running, call_uuid)
    assert response.status_code in (202, 400), response.text
    if response.status_code == 400:
        error = response.json()["error"]
        assert "stream_timeout" in error or "STREAMS_PER_CALL" in error, error
