"""The console against a hostile or broken page: bad messages answered with a clear error
(never an exception in the server's log), and sign-in that cannot be forged, replayed or
carried across sites."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from audiofork.emulator import EmulatorConfig
from audiofork.emulator.console import feed, state
from audiofork.emulator.console.auth import (
    COOKIE,
    MAX_SESSIONS,
    SESSION_LIFETIME_S,
    ConsoleAuth,
)
from support.emulator_platform_apps import (
    ACCOUNT,
    TOKEN,
    VoiceApp,
    basic_auth,
    http_client,
    started_emulator,
    within,
)

SIGN_IN = basic_auth(ACCOUNT, TOKEN)


async def reply_to(ws: aiohttp.ClientWebSocketResponse, text: str) -> dict[str, Any]:
    """Send ``text``; the server's reply to it (views in between skipped)."""
    await ws.send_str(text)
    while True:
        message = await within(ws.receive())
        assert message.type == aiohttp.WSMsgType.TEXT, message
        data: dict[str, Any] = json.loads(message.data)
        if data["type"] == "reply":
            return data


async def test_bad_messages_get_a_clear_error_and_the_feed_goes_on(
    app: VoiceApp, caplog: pytest.LogCaptureFixture
) -> None:
    app.xml = (
        "<Response><Stream bidirectional='true' keepCallAlive='true'>"
        f"{app.ws_url}</Stream></Response>"
    )
    config = EmulatorConfig({ACCOUNT: TOKEN}, speed=1)
    caplog.set_level(logging.WARNING)
    async with (
        started_emulator(config) as emulator,
        http_client() as http,
        http.ws_connect(emulator.url + "/console/ws", headers=SIGN_IN) as ws,
    ):
        await within(ws.receive())  # hello
        placed = await reply_to(
            ws,
            json.dumps(
                {"id": 1, "op": "call", "from": "+1", "to": "+2", "answer_url": app.url + "/answer"}
            ),
        )
        call = placed["call_uuid"]

        def on_call(op: str, **fields: Any) -> str:
            return json.dumps({"op": op, "call": call, **fields})

        cases: list[tuple[str, str]] = [
            ("not json", "not JSON"),
            ("[1, 2]", "JSON object"),
            ('{"op": 5}', "unknown op"),
            ('{"op": "watch", "stream": 5}', "stream must be"),
            ('{"op": "hangup", "call": 123}', "no call 123"),
            ('{"op": "hangup", "call": "nope"}', "no call 'nope'"),
            (on_call("stop", stream=["x"]), "no stream"),
            (on_call("dtmf", digits=7), "digits"),
            (on_call("dtmf", digits="1" * 100_000), "digits"),
            (on_call("speak", seconds=float("inf")), "seconds"),
            (on_call("speak", seconds=float("nan")), "seconds"),
            (on_call("speak", seconds=-1), "seconds"),
            (on_call("speak", seconds=1e30), "seconds"),
            (on_call("speak", seconds=True), "seconds"),
            (on_call("speak", audio="tone:1e999"), "tone"),
            (on_call("speak", audio="tone:nan"), "tone"),
            (on_call("speak", audio="tone:99999999"), "tone"),
            (on_call("speak", wav=5), "wav"),
            (on_call("speak", wav="!!"), "base64"),
            ('{"op": "call", "from": {}, "to": "+2", "answer_url": "http://x/"}', "from"),
            ('{"op": "call", "from": "+1", "to": "+2", "answer_url": 1e999}', "answer_url"),
            (
                '{"op": "call", "from": "+1", "to": "+2", "stream_url": "ws://x/",'
                ' "content_type": [1]}',
                "content_type",
            ),
            ("[" * 100_000, "not JSON"),
            ("1" * 5000, "not JSON"),
        ]
        replies = [await reply_to(ws, text) for text, _ in cases]
        alive = await reply_to(ws, '{"id": 9, "op": "watch", "stream": null}')
    for (text, why), reply in zip(cases, replies, strict=True):
        assert reply["ok"] is False, (text[:80], reply)
        assert why in reply["error"], (text[:80], reply)
        assert len(reply["error"]) < 400, (text[:80], reply)
    assert alive == {"type": "reply", "id": 9, "ok": True}
    assert not [r for r in caplog.records if r.name.startswith("aiohttp")], caplog.text


async def test_a_login_link_opened_from_another_site_signs_nobody_in() -> None:
    """Login CSRF: a page elsewhere sending the browser to an attacker's login link must not
    sign the browser in as the attacker; the link, refused, stays usable from the terminal."""
    config = EmulatorConfig({ACCOUNT: TOKEN}, speed=1)
    async with started_emulator(config) as emulator, http_client() as http:
        link = emulator.login_link(ACCOUNT)
        for site in ("cross-site", "same-site"):
            async with http.get(
                link, allow_redirects=False, headers={"Sec-Fetch-Site": site}
            ) as refused:
                assert refused.status == 403, site
                assert "Set-Cookie" not in refused.headers
                assert "address bar" in await refused.text()
        typed = {"Sec-Fetch-Site": "none", "Sec-Fetch-Mode": "navigate"}
        async with http.get(link, allow_redirects=False, headers=typed) as reply:
            assert reply.status == 303
            cookie = reply.cookies["audiofork_console"]
    assert cookie["path"] == "/" and cookie["httponly"] and cookie["samesite"] == "Strict"
    assert int(cookie["max-age"]) == SESSION_LIFETIME_S


def signed_in_request(session: str) -> web.Request:
    return make_mocked_request("GET", "/", headers={"Cookie": f"{COOKIE}={session}"})


def test_a_session_ends_after_its_lifetime_and_the_oldest_go_first() -> None:
    now = [1000.0]
    auth = ConsoleAuth(lambda _id, _token: False, clock=lambda: now[0])
    session = auth.new_session(ACCOUNT)
    assert auth.account_of(signed_in_request(session)) == ACCOUNT
    assert auth.account_of(signed_in_request(session + "x")) is None
    now[0] += SESSION_LIFETIME_S - 1
    assert auth.account_of(signed_in_request(session)) == ACCOUNT
    now[0] += 2
    assert auth.account_of(signed_in_request(session)) is None
    assert not auth.has_session(signed_in_request(session))
    sessions = [auth.new_session(ACCOUNT) for _ in range(MAX_SESSIONS + 1)]
    assert auth.account_of(signed_in_request(sessions[0])) is None
    assert auth.account_of(signed_in_request(sessions[-1])) == ACCOUNT


@pytest.mark.parametrize(
    ("path", "limit"), [("/console/ws", "MAX_FEEDS"), ("/console/phone", "MAX_PHONES")]
)
async def test_the_console_takes_a_bounded_number_of_sockets(
    path: str, limit: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(state, limit, 2)
    config = EmulatorConfig({ACCOUNT: TOKEN}, speed=1)
    async with started_emulator(config) as emulator, http_client() as http:
        url = emulator.url + path
        first = await http.ws_connect(url, headers=SIGN_IN)
        second = await http.ws_connect(url, headers=SIGN_IN)
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(url, headers=SIGN_IN)
        await first.close()

        async def admitted() -> aiohttp.ClientWebSocketResponse:
            while True:  # the server lets the closed one go soon after
                try:
                    return await http.ws_connect(url, headers=SIGN_IN)
                except aiohttp.WSServerHandshakeError:
                    await asyncio.sleep(0.05)

        third = await within(admitted())
        await second.close()
        await third.close()
    assert refused.value.status == 503


async def test_a_page_sending_actions_too_fast_is_told_to_slow_down() -> None:
    config = EmulatorConfig({ACCOUNT: TOKEN}, speed=1)
    async with (
        started_emulator(config) as emulator,
        http_client() as http,
        http.ws_connect(emulator.url + "/console/ws", headers=SIGN_IN) as ws,
    ):
        await within(ws.receive())  # hello
        count = 600
        for ident in range(count):
            await ws.send_str(json.dumps({"id": ident, "op": "watch", "stream": None}))
        replies = []
        while len(replies) < count:
            message = json.loads((await within(ws.receive())).data)
            if message["type"] == "reply":
                replies.append(message)
        refused = [r for r in replies if not r["ok"]]
    assert [r["id"] for r in replies] == list(range(count))
    assert refused and all("too many actions" in r["error"] for r in refused)
    assert count - len(refused) >= feed.ACTION_BURST


async def test_a_softphone_sending_a_broken_frame_is_told_and_the_call_ends(
    app: VoiceApp,
) -> None:
    app.xml = "<Response><Wait length='60'/></Response>"
    config = EmulatorConfig({ACCOUNT: TOKEN}, speed=1)
    async with (
        started_emulator(config) as emulator,
        http_client() as http,
        http.ws_connect(emulator.url + "/console/phone", headers=SIGN_IN) as phone,
    ):
        dial = {"op": "dial", "rate": 16000, "from": "+1", "to": "+2"}
        await phone.send_str(json.dumps({**dial, "answer_url": app.url + "/answer"}))
        dialing = json.loads((await within(phone.receive())).data)
        await phone.send_bytes(b"\x00" * 3)
        while True:
            message = json.loads((await within(phone.receive())).data)
            if message["type"] == "error":
                break
        info = await within(emulator.call_ended(dialing["call_uuid"]))
    assert "16-bit samples, got 3 bytes" in message["error"]
    assert info.hangup_cause == "caller_hangup"


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def settled(measure: Any, target: int) -> int:
    """``measure()`` once it is at most ``target`` (or what it is after 20 s)."""
    for _ in range(400):
        value: int = measure()
        if value <= target:
            return value
        await asyncio.sleep(0.05)
    return int(measure())


async def last_message(ws: aiohttp.ClientWebSocketResponse) -> object:
    """Read ``ws`` to its end; the close code the server sent (``None`` if none came)."""
    while True:
        message = await ws.receive()
        if message.type == aiohttp.WSMsgType.CLOSE:
            return message.data
        if message.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
            return None


def tasks() -> int:
    return len(asyncio.all_tasks())


async def open_page_and_phone(
    emulator: Any, http: aiohttp.ClientSession, app: VoiceApp
) -> tuple[aiohttp.ClientWebSocketResponse, aiohttp.ClientWebSocketResponse, Any]:
    """A console page watching a softphone call's stream, both mid-call; and the stream's
    monitor."""
    page = await http.ws_connect(emulator.url + "/console/ws", headers=SIGN_IN)
    phone = await http.ws_connect(emulator.url + "/console/phone", headers=SIGN_IN)
    dial = {"op": "dial", "rate": 16000, "source": "speech", "from": "+1", "to": "+2"}
    await phone.send_str(json.dumps({**dial, "stream_url": app.ws_url}))
    call_uuid = json.loads((await within(phone.receive())).data)["call_uuid"]
    call = emulator.exchange.calls[call_uuid]
    await app.wait_for(lambda: bool(call.forks) and bool(app.sockets))
    monitor = call.forks[0].monitor
    await within(page.receive())  # hello
    await page.send_str(json.dumps({"id": 1, "op": "watch", "stream": call.forks[0].ids[0]}))
    await app.wait_for(lambda: monitor.watchers == 1 and len(monitor.listeners) == 1)
    return page, phone, call


async def test_a_page_leaving_mid_call_leaves_nothing_behind(app: VoiceApp) -> None:
    app.echo = True
    config = EmulatorConfig({ACCOUNT: TOKEN}, speed=1)
    async with started_emulator(config) as emulator:
        console = emulator._console
        before = tasks()
        http = http_client()
        _page, _phone, call = await open_page_and_phone(emulator, http, app)
        monitor = call.forks[0].monitor
        assert tasks() > before
        await http.close()  # the browser tab goes: both sockets drop, no close frame
        info = await within(emulator.call_ended(call.uuid))
        after = await settled(tasks, before)
        assert console is not None and not console.feeds and not console.phones
    assert info.hangup_cause == "caller_hangup"
    assert monitor.watchers == 0 and monitor.listeners == [] and not monitor.wants_frames
    assert after <= before


async def test_the_emulator_stopping_mid_call_closes_every_console_socket(
    app: VoiceApp,
) -> None:
    app.echo = True
    config = EmulatorConfig({ACCOUNT: TOKEN}, speed=1)
    fds_before, tasks_before = open_fds(), tasks()
    async with http_client() as http:
        async with started_emulator(config) as emulator:
            page, phone, _call = await open_page_and_phone(emulator, http, app)
        closes = [await within(last_message(page)), await within(last_message(phone))]
    await within(app.close())  # the app's sockets too, so that only the console's could stay
    assert closes == [aiohttp.WSCloseCode.GOING_AWAY] * 2, closes
    assert await settled(tasks, tasks_before) <= tasks_before
    assert await settled(open_fds, fds_before) <= fds_before


async def test_an_answer_urls_secret_stays_out_of_the_page_even_in_an_error() -> None:
    secret = "Zq3-answer-secret-0123456789"
    config = EmulatorConfig({ACCOUNT: TOKEN}, speed=1)
    async with (
        started_emulator(config) as emulator,
        http_client() as http,
        http.ws_connect(emulator.url + "/console/ws", headers=SIGN_IN) as ws,
    ):
        answer_url = f"http://127.0.0.1:1/answer?token={secret}"  # nothing listens there
        call = {"op": "call", "from": "+1", "to": "+2", "answer_url": answer_url}
        placed = await reply_to(ws, json.dumps({"id": 1, **call}))
        seen: list[str] = []
        while not any('"answer_failed' in text for text in seen):
            message = await within(ws.receive())
            seen.append(message.data)
    assert placed["ok"], placed
    assert not [text for text in seen if secret in text], seen


async def test_every_console_route_needs_credentials() -> None:
    config = EmulatorConfig({ACCOUNT: TOKEN}, speed=1)
    paths = ["/", "/status", "/console/static/console.js", "/console/static/phone.js"]
    async with started_emulator(config) as emulator, http_client() as http:
        refused = []
        for path in paths:
            async with http.get(emulator.url + path) as reply:
                refused.append(reply.status)
            async with http.get(emulator.url + path, headers=SIGN_IN) as reply:
                assert reply.status == 200, path
    assert refused == [401] * len(paths)
