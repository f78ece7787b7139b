"""The console and the softphone in a real Chromium (headless, Playwright), against an
in-process emulator at real-time speed and examples/echo_bot.py as a subprocess.

The page exposes what it received and did as ``window.audiofork`` (its counters); the
tests read that, the DOM, the emulator's recordings and what crossed the WebSockets.
Figures worth reporting (the softphone's added latency, how fast the page follows 50 calls)
are printed; run with ``-s`` to see them.
"""

from __future__ import annotations

import asyncio
import os
import wave
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from audiofork.demo.call import echo_delay_ms
from audiofork.emulator import Emulator, EmulatorConfig
from audiofork.samples import speech
from support.app_servers import serve_asgi
from support.browser import timed, until
from support.emulator_platform_apps import (
    ACCOUNT,
    AUTH,
    TOKEN,
    http_client,
    started_emulator,
    within,
)
from support.examples import load

pytestmark = pytest.mark.browser

#: Where a run writes the console's screenshot when asked (CONSOLE_SCREENSHOT=path).
SCREENSHOT = os.environ.get("CONSOLE_SCREENSHOT")
SECRET = "s3cret-Zq0123456789abcdefXYZ"


def read_wav(path: Path) -> tuple[npt.NDArray[np.int16], int]:
    with wave.open(str(path), "rb") as recording:
        data = recording.readframes(recording.getnframes())
        return np.frombuffer(data, dtype="<i2").astype(np.int16), recording.getframerate()


def best_match(x: npt.NDArray[np.int16], reference: npt.NDArray[np.int16]) -> float:
    """The highest normalised cross-correlation of ``x`` against every stretch of
    ``reference`` as long as it (1.0: ``x`` is a scaled copy of one)."""
    a = x.astype(np.float64)
    b = reference.astype(np.float64)
    n, m = len(a), len(b)
    size = 1 << (n + m).bit_length()
    corr = np.fft.irfft(np.fft.rfft(b, size) * np.conj(np.fft.rfft(a, size)), size)[: m - n + 1]
    squares = np.concatenate([[0.0], np.cumsum(b * b)])
    norms = np.sqrt((squares[n:] - squares[:-n]) * float(np.dot(a, a)))
    return float(np.max(corr / np.maximum(norms, 1e-9)))


async def console_page(browser: Any, emulator: Emulator) -> Any:
    """A page signed in to the console by a login link, live."""
    page = await browser.new_page(viewport={"width": 1400, "height": 1000})
    await page.goto(emulator.login_link(ACCOUNT))
    await until(page, "window.audiofork && window.audiofork.connected")
    return page


async def test_a_softphone_call_to_the_echo_app(
    chromium: Any, echo_app: str, tmp_path: Path
) -> None:
    """The fake microphone's speech reaches the app as the caller's track, the echo comes
    back to the page and plays, and the timeline shows the app's checkpoints answered."""
    config = EmulatorConfig({ACCOUNT: TOKEN}, speed=1, caller_audio="silence", record_dir=tmp_path)
    async with started_emulator(config) as emulator:
        page = await console_page(chromium, emulator)
        await page.fill("#phone-form input[name=url]", echo_app)
        await page.uncheck("#phone-form input[name=echo_cancellation]")  # the raw microphone
        await page.click("#call-mic")
        call_uuid = await until(page, "window.audiofork.phone.callUuid")
        rate = await page.evaluate("window.audiofork.phone.rate")
        # Five seconds of the caller's speech heard back; the app's checkpoints answered.
        await until(page, f"window.audiofork.phone.earAudibleSamples > {5 * rate}", 60)
        await until(page, "window.audiofork.acknowledged >= 2")
        await until(page, "(window.audiofork.phone.server || {}).mic_to_app_ms", 10)
        if SCREENSHOT:
            await page.screenshot(path=SCREENSHOT)
        await page.click("#keypad button:text('5')")  # the keypad, as the caller
        await until(page, "window.audiofork.timeline.some((e) => e.kind === 'dtmf')")
        phone = await page.evaluate("window.audiofork.phone")
        timeline = await page.evaluate("window.audiofork.timeline")
        shown = await page.locator("#timeline li.acknowledged").count()
        await page.click("#phone-hangup")
        info = await within(emulator.call_ended(call_uuid))
        await until(page, "window.audiofork.phone.state === 'idle'")
    (stream,) = info.streams
    assert info.hangup_cause == "caller_hangup"
    assert phone["micChunksSent"] > 0 and phone["earFramesReceived"] > 0
    assert phone["earSamplesPlayed"] > 5 * rate and phone["server"]["ear_audio_frames"] > 100
    kinds = [event["kind"] for event in timeline]
    assert "start" in kinds and kinds.count("acknowledged") >= 2 and shown >= 2
    assert {"kind": "dtmf", "text": "DTMF 5"}.items() <= next(
        event for event in timeline if event["kind"] == "dtmf"
    ).items()
    assert stream.stats.dtmf_sent == 1
    assert stream.stats.checkpoints_acknowledged >= 2
    # The caller's recording is the speech the microphone was fed, and the echo came back.
    (directory,) = stream.recording_dirs
    sent, stream_rate = read_wav(directory / "caller.wav")
    heard, _ = read_wav(directory / "played.wav")
    fed = speech(stream_rate)[0]
    looped = np.concatenate([fed, fed])  # the fake microphone loops the file
    # Half-second windows: a stretch the jitter buffer dropped or filled shifts what follows
    # it, so one long window would measure the glitches, not the voice.
    half = stream_rate // 2
    windows = [sent[i : i + half] for i in range(0, len(sent) - half, half)]
    voiced = [w for w in windows if np.sqrt(np.mean(w.astype(np.float64) ** 2)) > 300]
    assert len(voiced) >= 6, "less than 3 s of the caller's speech recorded"
    matches = [best_match(w, looped) for w in voiced]
    assert float(np.median(matches)) > 0.8, matches
    assert echo_delay_ms(sent, heard, stream_rate) is not None
    latency = phone["server"]
    print(
        "\nsoftphone, added by the emulator: mic -> app "
        f"{latency['mic_to_app_ms']}, played -> ear {latency['play_to_ear_ms']}; "
        f"the app's own queue {latency['app_queue_ms']}"
    )


async def test_talking_over_the_voice_agent_from_the_browser_cuts_its_greeting(
    chromium: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Barge-in as on a phone: the fake microphone talks while examples/voice_agent.py
    greets; the agent hears it through the softphone, clears, and the page shows the clear,
    its answer, the greeting's bar cut short and the signed status callbacks delivered."""
    monkeypatch.setenv("VOBIZ_AUTH_TOKEN", TOKEN)
    agent = load("voice_agent")
    config = EmulatorConfig({ACCOUNT: TOKEN}, speed=1, caller_audio="silence")
    async with serve_asgi(agent.app) as base, started_emulator(config) as emulator:
        page = await console_page(chromium, emulator)
        await page.select_option("#phone-form select[name=target]", "answer_url")
        await page.fill("#phone-form input[name=url]", base + "/answer")
        await page.uncheck("#phone-form input[name=echo_cancellation]")
        await page.click("#call-mic")
        call_uuid = await until(page, "window.audiofork.phone.callUuid")
        kinds = "window.audiofork.timeline.map((e) => e.kind)"
        await until(page, f"{kinds}.includes('clear') && {kinds}.includes('cleared')", 60)
        cut = await until(
            page, "window.audiofork.utterances.find((u) => u.outcome === 'cleared')", 30
        )
        await until(page, "window.audiofork.timeline.some((e) => e.kind === 'callback')")
        timeline = await page.evaluate("window.audiofork.timeline")
        await page.click("#phone-hangup")
        info = await within(emulator.call_ended(call_uuid))
    assert info.streams[0].stats.clears >= 1
    assert 0 < cut["played_ms"] < cut["queued_ms"] and cut["cleared_ms"] > 0, cut
    callbacks = [e["text"] for e in timeline if e["kind"] == "callback"]
    assert any("StartStream: delivered" in text for text in callbacks), callbacks


async def test_the_call_list_follows_a_call_placed_through_the_rest_api(
    chromium: Any, echo_app: str
) -> None:
    """A second call placed over REST appears in the page's list without a reload."""
    config = EmulatorConfig({ACCOUNT: TOKEN}, speed=1, caller_audio="speech")
    async with started_emulator(config) as emulator, http_client(headers=AUTH) as http:
        page = await console_page(chromium, emulator)
        await page.select_option("#call-form select[name=target]", "stream_url")
        await page.fill("#call-form input[name=url]", echo_app)
        await page.click("#call-form button[type=submit]")
        await until(page, "window.audiofork.lastCalls && window.audiofork.lastCalls.live === 1")
        answer_app = emulator.url + "/api/v1/openapi.json"  # not VobizXML: the call fails
        base = f"{emulator.url}/api/v1/Account/{ACCOUNT}/Call/"
        body = {"from": "+1", "to": "+2", "answer_url": answer_app}
        async with http.post(base, json=body) as reply:
            second = (await reply.json())["call_uuid"]
        uuids = f"window.audiofork.lastCalls.calls.map((c) => c.call_uuid).includes('{second}')"
        await until(page, uuids)
        await until(page, f"document.querySelector('#calls tr[data-call=\"{second}\"]') !== null")
        row = await page.evaluate(
            f"window.audiofork.lastCalls.calls.find((c) => c.call_uuid === '{second}')"
        )
        await until(page, "window.audiofork.lastCalls.calls.length === 2")
    assert row["from"] == "+1" and row["to"] == "+2"


async def test_the_stream_controls_act_on_the_watched_call_and_nothing_polls(
    chromium: Any, echo_app: str, speech_wav: Path
) -> None:
    """A call placed from the page's form is watched at once; its buttons say a tone and
    an uploaded WAV as the caller, stop talking and stop the stream, each confirmed by the
    emulator; meanwhile the page makes no HTTP request at all (every update comes over its
    one WebSocket)."""
    config = EmulatorConfig({ACCOUNT: TOKEN}, speed=1, caller_audio="silence")
    async with started_emulator(config) as emulator:
        page = await console_page(chromium, emulator)
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        await page.select_option("#call-form select[name=target]", "stream_url")
        await page.fill("#call-form input[name=url]", echo_app)
        await page.click("#call-form button[type=submit]")
        stream_id = await until(page, "window.audiofork.watching")
        await until(page, "window.audiofork.timeline.some((e) => e.kind === 'start')")
        result = "document.getElementById('action-result').textContent"
        await page.click("#speak-tone")
        await until(page, f"{result} === 'the caller says a tone'")
        await page.set_input_files("#speak-wav", str(speech_wav))
        await until(page, f"{result} === 'the caller says speech.wav'")
        await page.click("#stop-speaking")
        await until(page, f"{result} === 'the caller stopped talking'")
        await page.click("#stop-stream")
        await until(page, "window.audiofork.timeline.some((e) => e.text.startsWith('ended:'))")
        call_uuid = await page.evaluate("window.audiofork.lastCalls.calls[0].call_uuid")
        info = emulator.call_info(call_uuid)
    (stream,) = info.streams
    assert stream.stream_id == stream_id and stream.status == "completed"
    assert requests == [], requests


async def test_the_console_needs_the_accounts_credentials_and_shows_no_secret(
    chromium: Any, echo_app: str
) -> None:
    """Without credentials the page is refused; signed in, neither the HTML nor anything
    its WebSockets carried holds the auth token or a stream URL's secret."""
    config = EmulatorConfig({ACCOUNT: TOKEN}, speed=1, caller_audio="speech")
    async with started_emulator(config) as emulator:
        anonymous = await chromium.new_page()
        for path in ("/", "/status", "/console/ws", "/console/phone"):
            refused = await anonymous.request.get(emulator.url + path)
            assert refused.status == 401, path
            assert "console.js" not in await refused.text()
        link = emulator.login_link(ACCOUNT)
        page = await chromium.new_page()
        frames: list[str] = []

        def keep(payload: str | bytes) -> None:
            if isinstance(payload, str):
                frames.append(payload)

        page.on("websocket", lambda ws: ws.on("framereceived", keep))
        response = await page.goto(link)
        assert response is not None and response.status == 200
        html = await response.text()
        await until(page, "window.audiofork && window.audiofork.connected")
        second_use = await anonymous.goto(link)  # a login link works once
        assert second_use is not None and second_use.status == 403
        await page.select_option("#call-form select[name=target]", "stream_url")
        await page.fill("#call-form input[name=url]", f"{echo_app}?token={SECRET}")
        await page.click("#call-form button[type=submit]")
        await until(page, "window.audiofork.lastCalls && window.audiofork.lastCalls.live === 1")
        await until(page, "window.audiofork.streamUpdates > 3")
        calls = await page.evaluate("window.audiofork.lastCalls")
    seen = html + "".join(frames)
    assert frames and TOKEN not in seen and SECRET not in seen
    (call,) = calls["calls"]
    (stream,) = call["streams"]
    assert stream["service_url"].endswith("/ws?token=***")


async def test_the_page_follows_fifty_calls(chromium: Any, echo_app: str) -> None:
    """With 50 echo calls streaming, the page still takes every update and reacts to a
    click: how long it takes is printed (no threshold: the machine may be loaded)."""
    config = EmulatorConfig({ACCOUNT: TOKEN}, speed=1, caller_audio="tone:300")
    async with started_emulator(config) as emulator, http_client(headers=AUTH) as http:
        page = await console_page(chromium, emulator)
        base = f"{emulator.url}/api/v1/Account/{ACCOUNT}/Call/"
        # The page places the 50 calls at once, over a socket of its own.
        placed = await page.evaluate(
            f"""async () => {{
                const ws = new WebSocket(`ws://${{location.host}}/console/ws`);
                await new Promise((resolve) => ws.onopen = resolve);
                for (let i = 0; i < 50; i++) {{
                    ws.send(JSON.stringify({{id: i, op: "call", from: "+1", to: `+${{i}}`,
                        stream_url: "{echo_app}"}}));
                }}
                return 50;
            }}"""
        )
        assert placed == 50
        with timed() as listed:
            live = "window.audiofork.lastCalls && window.audiofork.lastCalls.live === 50"
            await until(page, live, 60)
        await until(
            page,
            "window.audiofork.lastCalls.calls.filter((c) => c.streams.length"
            " && c.streams[0].frames_to_app > 50).length === 50",
            60,
        )
        updates_before = await page.evaluate("window.audiofork.callsUpdates")
        stream_id = await page.evaluate("window.audiofork.lastCalls.calls[25].streams[0].id")
        with timed() as clicked:
            await page.click(f"#calls tr[data-stream='{stream_id}']")
            await until(page, f"window.audiofork.watching === '{stream_id}'"
                        " && window.audiofork.streamUpdates > 0")  # fmt: skip
        with timed() as followed:
            body = {"from": "+1", "to": "+51", "answer_url": emulator.url + "/none"}
            async with http.post(base, json=body) as reply:
                extra = (await reply.json())["call_uuid"]
            await until(
                page, f"window.audiofork.lastCalls.calls.some((c) => c.call_uuid === '{extra}')"
            )
        updates = await page.evaluate("window.audiofork.callsUpdates") - updates_before
        await asyncio.sleep(1.0)
        frames = [
            c["streams"][0]["frames_to_app"]
            for c in (await page.evaluate("window.audiofork.lastCalls"))["calls"]
            if c["streams"]
        ]
    assert updates >= 1 and len(frames) >= 50
    print(
        f"\n50 calls: all listed {listed[0]:.2f} s after being placed; a click on a stream "
        f"shown in {clicked[0] * 1000:.0f} ms; a new REST call listed in "
        f"{followed[0] * 1000:.0f} ms"
    )


async def test_without_a_microphone_the_page_says_so_and_offers_the_speech_sample(
    chromium: Any, echo_app: str
) -> None:
    """A page denied the microphone says so; the speech sample then calls the app, and the
    page plays what the caller hears."""
    config = EmulatorConfig({ACCOUNT: TOKEN}, speed=1, caller_audio="silence")
    async with started_emulator(config) as emulator:
        context = await chromium.new_context(permissions=[])
        page = await context.new_page()
        await page.add_init_script(
            "navigator.mediaDevices.getUserMedia = () =>"
            " Promise.reject(new DOMException('denied', 'NotAllowedError'));"
        )
        await page.goto(emulator.login_link(ACCOUNT))
        await until(page, "window.audiofork && window.audiofork.connected")
        await page.fill("#phone-form input[name=url]", echo_app)
        await page.click("#call-mic")
        said = "document.getElementById('phone-status').textContent"
        status = await until(page, f"window.audiofork.phone.error && {said}")
        assert "permission to use the microphone was denied" in status
        assert "speech sample" in status
        await page.click("#call-speech")
        call_uuid = await until(page, "window.audiofork.phone.callUuid")
        rate = await page.evaluate("window.audiofork.phone.rate")
        await until(page, f"window.audiofork.phone.earAudibleSamples > {rate}", 60)
        await page.click("#phone-hangup")
        info = await within(emulator.call_ended(call_uuid))
    assert info.hangup_cause == "caller_hangup"
    assert info.streams[0].stats.play_audio_received > 50


async def test_the_softphone_is_off_when_the_emulator_does_not_run_in_real_time(
    chromium: Any,
) -> None:
    async with started_emulator(EmulatorConfig({ACCOUNT: TOKEN}, speed=5)) as emulator:
        page = await console_page(chromium, emulator)
        said = await until(page, "window.audiofork.phone.error")
        disabled = await page.is_disabled("#call-mic") and await page.is_disabled("#call-speech")
    assert "needs the emulator at --speed 1" in said and disabled
