"""Every example runs: the CLIs as real subprocesses, the web apps served on loopback, each
driven by the scripted platform."""

from __future__ import annotations

import asyncio
import base64
import wave
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from audiofork import vobiz
from support.app_servers import serve_aiohttp_app, serve_asgi
from support.examples import check_status_callbacks, example_process, lines_until, load
from support.scripted_platform import ScriptedPlatform, tone

TIMEOUT = 30


def pcm_of(messages: list[dict[str, Any]]) -> np.ndarray:
    return np.concatenate(
        [np.frombuffer(base64.b64decode(m["media"]["payload"]), "<i2") for m in messages]
    )


ECHO_BOT_SERVERS = [
    ("websockets",),
    ("websockets", "--uvloop"),
    ("aiohttp",),
    ("picows",),
    ("picows", "--uvloop"),
]


@pytest.mark.parametrize("server", ECHO_BOT_SERVERS, ids=" ".join)
async def test_echo_bot_echoes_with_a_checkpoint_each_second(server: tuple[str, ...]) -> None:
    args = ("echo_bot.py", "--server", *server)
    async with asyncio.timeout(TIMEOUT), example_process(*args) as (url, process):
        assert url.endswith("/ws")
        speech = tone(1200)
        async with ScriptedPlatform.connect(url) as platform:
            await platform.start()
            await platform.media(speech)
            first = await platform.until("checkpoint")
            assert first[-1]["name"] == "cp-1" and len(first) == 51
            await platform.played("cp-1")
            rest = [await platform.next() for _ in range(10)]
            np.testing.assert_array_equal(pcm_of(first[:-1] + rest), speech)
        assert process.stderr is not None
        log = await lines_until(process.stderr, "stream ended")
    assert "echo_bot: checkpoint cp-1: played\n" in log
    assert log[-1] == "echo_bot: stream ended: connection_lost\n"


async def test_transcriber_writes_the_call_to_a_wav(tmp_path: Path) -> None:
    speech = tone(1000, hz=220)
    args = ("transcriber.py", "--out-dir", str(tmp_path))
    async with asyncio.timeout(TIMEOUT), example_process(*args) as (url, process):
        async with ScriptedPlatform.connect(url) as platform:
            await platform.start()
            await platform.media(speech)
        assert process.stdout is not None
        (line,) = await lines_until(process.stdout, "wrote")
    (path,) = tmp_path.glob("*.wav")
    assert line == f"wrote {path}: 1000 ms, 0 ms dropped\n"
    with wave.open(str(path)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 16000)
        np.testing.assert_array_equal(np.frombuffer(wav.readframes(16000), "<i2"), speech)


def serve_fastapi_app() -> AbstractAsyncContextManager[str]:
    return serve_asgi(load("fastapi_app").app)


def serve_aiohttp_example() -> AbstractAsyncContextManager[str]:
    return serve_aiohttp_app(load("aiohttp_app").make_app())


@pytest.mark.parametrize("serve", [serve_fastapi_app, serve_aiohttp_example])
async def test_web_app_answers_streams_and_checks_callbacks(
    serve: Callable[[], AbstractAsyncContextManager[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOBIZ_AUTH_TOKEN", "token-of-the-account")
    async with (
        asyncio.timeout(TIMEOUT),
        serve() as base,
        httpx.AsyncClient(base_url=base) as http,
    ):
        answer = await http.post("/answer")
        assert answer.status_code == 200
        (stream,) = vobiz.parse_response(answer.text)
        assert isinstance(stream, vobiz.StreamElement)
        assert stream.url == base.replace("http://", "ws://") + "/ws"
        assert stream.bidirectional and stream.keep_call_alive
        assert stream.status_callback_url == base + "/stream-status"

        async with ScriptedPlatform.connect(stream.url) as platform:
            await platform.start()
            speech = tone(200)
            await platform.media(speech)
            np.testing.assert_array_equal(
                pcm_of([await platform.next() for _ in range(10)]), speech
            )
            await platform.dtmf("#")  # wait until the echo played
            checkpoint = await platform.next()
            assert checkpoint["event"] == "checkpoint"
            await platform.played(checkpoint["name"])
            await platform.media(tone(100))
            await platform.dtmf("*")  # barge-in
            got = await platform.until("clearAudio")
            assert [m["event"] for m in got] == ["playAudio"] * 5 + ["clearAudio"]

        await check_status_callbacks(http, stream.status_callback_url, "token-of-the-account")
