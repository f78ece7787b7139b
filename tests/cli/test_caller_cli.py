"""``audiofork caller`` as real subprocesses against ``audiofork emulator`` in another: the
caller presses keys, talks (a named clip and an uploaded WAV), stops talking and hangs up
on a live call; refusals exit 1 with the emulator's error, usage errors 2."""

from __future__ import annotations

import base64
import re
import wave
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from support.cli_process import emulator_cli, run_cli
from support.emulator_platform_apps import ACCOUNT, AUTH, TOKEN, VoiceApp, http_client, within

Pcm = npt.NDArray[np.int16]


@pytest.fixture
async def emulator_url() -> AsyncIterator[str]:
    """``audiofork emulator`` in a subprocess; its base URL."""
    async with emulator_cli(
        "--account", f"{ACCOUNT}:{TOKEN}", "--speed", "2", "--caller-audio", "silence"
    ) as emulator:
        hint = await emulator.line()
        assert f"audiofork caller dtmf|speak|stop-speaking|hangup --url {emulator.url}" in hint
        speed = await emulator.line()
        assert "speed 2: audio plays 2 times faster" in speed and "clock" in speed
        yield emulator.url


async def live_call(url: str, app: VoiceApp) -> str:
    app.xml = (
        f'<Response><Stream bidirectional="true" contentType="audio/x-l16;rate=8000">'
        f'{app.ws_url}</Stream><Wait length="1000"/></Response>'
    )
    async with http_client(headers=AUTH) as http:
        body = {"from": "+1", "to": "+2", "answer_url": app.url + "/answer"}
        async with http.post(f"{url}/api/v1/Account/{ACCOUNT}/Call/", json=body) as reply:
            call_uuid: str = (await reply.json())["call_uuid"]
    await app.wait_for(lambda: app.sockets and len(app.sockets[0].messages) > 2)
    return call_uuid


def caller_args(verb: str, url: str, call_uuid: str, *rest: str) -> list[str]:
    return ["caller", verb, "--url", url, "--account", f"{ACCOUNT}:{TOKEN}", call_uuid, *rest]


def inbound(app: VoiceApp, start: int = 0) -> Pcm:
    media = [m for m in app.sockets[0].messages[start:] if m["event"] == "media"]
    raw = b"".join(base64.b64decode(m["media"]["payload"]) for m in media)
    return np.frombuffer(raw, dtype="<i2").astype(np.int16)


def level(pcm: Pcm, hz: float, rate: int = 8000) -> float:
    t = np.arange(len(pcm)) / rate
    i = np.dot(pcm, np.cos(2 * np.pi * hz * t)) * 2 / max(len(pcm), 1)
    q = np.dot(pcm, np.sin(2 * np.pi * hz * t)) * 2 / max(len(pcm), 1)
    return float(np.hypot(i, q))


def peak_level(pcm: Pcm, hz: float, window: int = 3200) -> float:
    """The highest :func:`level` of ``hz`` over windows of ``window`` samples, a frame apart."""
    starts = range(0, max(len(pcm) - window, 0) + 1, 160)
    return max((level(pcm[i : i + window], hz) for i in starts), default=0.0)


async def frames_after(app: VoiceApp, start: int, frames: int) -> Pcm:
    await app.wait_for(
        lambda: sum(m["event"] == "media" for m in app.sockets[0].messages[start:]) >= frames
    )
    return inbound(app, start)


async def test_the_caller_presses_keys_talks_and_hangs_up(
    emulator_url: str, app: VoiceApp, tmp_path: Path
) -> None:
    call_uuid = await live_call(emulator_url, app)
    socket = app.sockets[0]

    code, out, err = await run_cli(
        *caller_args("dtmf", emulator_url, call_uuid, "12#", "--spacing-ms", "40")
    )
    assert code == 0, err
    assert re.fullmatch(r"pressed 12# on 1 stream: [0-9a-f-]{36}\n", out), out
    await app.wait_for(lambda: sum(m["event"] == "dtmf" for m in socket.messages) == 3)
    keys = [m["dtmf"] for m in socket.messages if m["event"] == "dtmf"]
    assert [k["digit"] for k in keys] == ["1", "2", "#"]
    assert np.diff([int(k["timestamp"]) for k in keys]).tolist() == [40, 40]

    mark = len(socket.messages)
    code, out, err = await run_cli(
        *caller_args("speak", emulator_url, call_uuid, "--audio", "tone:1000", "--seconds", "0.4")
    )
    assert code == 0 and out.startswith("the caller says 0.4 s (replace) on 1 stream"), err
    await frames_after(app, len(socket.messages), 30)  # 0.6 s since it was accepted
    assert peak_level(inbound(app, mark), 1000) > 7000  # 0.4 s of the tone at -12 dBFS

    rate = 16000
    t = np.arange(rate * 60) / rate
    wav = tmp_path / "barge-in.wav"
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.sin(2 * np.pi * 600 * t) * 9000).astype("<i2").tobytes())
    code, out, err = await run_cli(
        *caller_args("speak", emulator_url, call_uuid, "--audio", str(wav), "--mode", "mix"),
        env={"AUDIOFORK_ACCOUNT": f"{ACCOUNT}:{TOKEN}"},
    )
    assert code == 0 and "the caller says 60 s (mix)" in out, err
    said = await frames_after(app, len(socket.messages), 10)  # counted from its acceptance
    assert level(said[-1600:], 600) > 8000
    code, out, err = await run_cli(*caller_args("stop-speaking", emulator_url, call_uuid))
    assert code == 0 and "stopped speaking" in out, err
    mark = len(socket.messages)
    after = await frames_after(app, mark, 20)
    assert not after[-1600:].any()  # the 60 s were cut: the caller's silence again

    code, out, err = await run_cli(*caller_args("hangup", emulator_url, call_uuid))
    assert code == 0 and out == f"the caller hung up {call_uuid}\n", err
    await within(socket.closed.wait())
    assert socket.messages[-1]["event"] == "stop"
    assert socket.messages[-1]["stop"]["reason"] == "hangup"
    async with http_client(headers=AUTH) as http:
        url = f"{emulator_url}/api/v1/Account/{ACCOUNT}/Call/{call_uuid}/"
        async with http.get(url) as reply:
            call: dict[str, Any] = await reply.json()
    assert call["hangup_cause"] == "caller_hangup"


async def test_refusals_exit_1_with_the_emulators_error(emulator_url: str, app: VoiceApp) -> None:
    call_uuid = await live_call(emulator_url, app)
    code, _, err = await run_cli(*caller_args("dtmf", emulator_url, call_uuid, "12x"))
    assert code == 1 and "HTTP 400" in err and "'x' at position 2" in err, err
    code, _, err = await run_cli(*caller_args("dtmf", emulator_url, "no-such-call", "1"))
    assert code == 1 and "HTTP 404" in err, err
    code, _, err = await run_cli(*caller_args("speak", emulator_url, call_uuid, "--audio", "tone"))
    assert code == 1 and "seconds is required" in err, err
    code, _, err = await run_cli(
        *caller_args("speak", emulator_url, call_uuid, "--audio", "/no/such.wav")
    )
    assert code == 1 and "neither speech, silence, tone[:HZ] nor a readable WAV file" in err
    wrong = ["caller", "hangup", "--url", emulator_url, "--account", f"{ACCOUNT}:nope", call_uuid]
    code, _, err = await run_cli(*wrong)
    assert code == 1 and "HTTP 401" in err, err
    code, _, err = await run_cli(*caller_args("hangup", "http://127.0.0.1:9", call_uuid))
    assert code == 1 and "failed" in err and "ConnectError" in err, err
    assert [m for m in app.sockets[0].messages if m["event"] in ("dtmf", "stop")] == []


async def test_usage_errors_exit_2() -> None:
    code, _, err = await run_cli("caller", "dtmf", "--url", "http://x", "call", "1")
    assert code == 2 and "--account AUTH_ID:AUTH_TOKEN is required" in err, err
    code, _, err = await run_cli("caller", "dtmf", "--account", "nocolon", "call", "1")
    assert code == 2 and "AUTH_ID:AUTH_TOKEN" in err, err
    code, _, err = await run_cli(
        "caller", "dtmf", "--account", "A:b", "--spacing-ms", "5", "c", "1"
    )
    assert code == 2 and "spacing" in err, err
    code, _, err = await run_cli("caller", "speak", "--account", "A:b", "--mode", "over", "c")
    assert code == 2 and "mode" in err, err
    code, _, err = await run_cli("caller", "ring", "c")
    assert code == 2, err
