"""schemathesis against the live emulator: for a bounded number of generated requests per
operation, no 5xx, and every response (status, content type, body) matches the emulator's
own OpenAPI document.

The emulator runs in a background thread's event loop (schemathesis calls are blocking).
Requests act for the test account on one live call, so the stream operations are reached;
any generated URL that would leave the machine (answer, service and callback URLs) is
pointed at the test's app on loopback first.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
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

T = TypeVar("T")
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
    app.xml = '<Response><Wait length="1000000"/></Response>'
    async with http_client(headers=AUTH) as http:
        body = {"from": "+1", "to": "+2", "answer_url": app.url + "/answer"}
        async with http.post(f"{emulator.url}/api/v1/Account/{ACCOUNT}/Call/", json=body) as reply:
            call_uuid: str = (await reply.json())["call_uuid"]
    call = emulator.exchange.calls[call_uuid]
    while call.status != "in-progress":
        await asyncio.sleep(0.01)
    return call_uuid


@pytest.fixture(scope="module")
def running() -> Iterator[Running]:
    thread = LoopThread()
    app = VoiceApp()
    thread.run(app.start())
    emulator = Emulator(EmulatorConfig({ACCOUNT: TOKEN}, speed=20, caller_audio="silence"))
    thread.run(emulator.start())
    try:
        call_uuid = thread.run(_live_call(emulator, app))
        yield Running(f"{emulator.url}/api/v1", app, call_uuid)
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
