"""The emulator in the Twilio dialect: its answer URL returns TwiML, ``<Connect><Stream>``
runs a bidirectional stream to the echo example (a real subprocess) and the caller hears
the echo; ``<Start><Stream>`` with ``<Parameter>`` forks one way, and what the app receives
is Twilio's messages (read with plain ``json``)."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

import numpy as np
import pytest

from audiofork.emulator import EmulatorConfig
from audiofork.emulator.twiml import parse_twiml
from audiofork.errors import ValidationError
from support.cli_process import emulator_cli
from support.emulator_platform_apps import (
    ACCOUNT,
    AUTH,
    TOKEN,
    VoiceApp,
    dominant_hz,
    hang_up,
    http_client,
    place_call,
    started_emulator,
    within,
)
from support.examples import example_process, lines_until


async def test_a_twilio_call_through_the_emulator_is_echoed(app: VoiceApp) -> None:
    config = EmulatorConfig({ACCOUNT: TOKEN}, speed=2, caller_audio="tone:440", dialect="twilio")
    async with (
        example_process("echo_bot.py") as (echo_url, process),
        started_emulator(config, capture_audio=True) as emulator,
    ):
        app.xml = (
            f'<Response><Connect><Stream url="{echo_url}">'
            '<Parameter name="FirstName" value="Jane"/></Stream></Connect></Response>'
        )
        call_uuid = await place_call(emulator, app.url + "/answer")

        async def heard_two_seconds() -> tuple[np.ndarray, np.ndarray]:
            while True:
                streams = emulator.call_info(call_uuid).streams
                if streams:
                    sent, played = emulator.captured_audio(streams[0].stream_id)
                    if len(played) >= 16000:
                        return sent, played
                await asyncio.sleep(0.02)

        sent, played = await within(heard_two_seconds())
        await hang_up(emulator, call_uuid)
        assert process.stderr is not None
        log = await within(lines_until(process.stderr, "stream ended"))
    assert any("started (" in line and "twilio" in line for line in log), log
    assert "echo_bot: checkpoint cp-1: played\n" in log
    # The caller's 440 Hz tone came back: the last second heard is that tone, loud.
    last = played[8000:16000]
    assert abs(dominant_hz(last, 8000) - 440) < 5
    assert np.abs(last).max() > 0.5 * np.abs(sent[:8000]).max()


async def test_start_stream_forks_one_way_with_twilio_messages(app: VoiceApp) -> None:
    app.xml = (
        f'<Response><Start><Stream url="{app.ws_url}" track="inbound_track">'
        '<Parameter name="FirstName" value="Jane"/><Parameter name="tier" value="gold"/>'
        '</Stream></Start><Pause length="1"/></Response>'
    )
    config = EmulatorConfig({ACCOUNT: TOKEN}, speed=5, caller_audio="silence", dialect="twilio")
    async with started_emulator(config) as emulator:
        call_uuid = await place_call(emulator, app.url + "/answer")
        await within(emulator.call_ended(call_uuid))
    await within(app.sockets[0].closed.wait())
    messages: list[dict[str, Any]] = app.sockets[0].messages
    assert messages[0] == {"event": "connected", "protocol": "Call", "version": "1.0.0"}
    start = messages[1]
    assert start["event"] == "start" and start["sequenceNumber"] == "1"
    sid = start["streamSid"]
    assert start["start"]["streamSid"] == sid and start["start"]["callSid"] == call_uuid
    assert start["start"]["customParameters"] == {"FirstName": "Jane", "tier": "gold"}
    assert start["start"]["mediaFormat"] == {
        "encoding": "audio/x-mulaw",
        "sampleRate": 8000,
        "channels": 1,
    }
    media = [m for m in messages if m["event"] == "media"]
    assert len(media) >= 40  # about a second of frames
    assert [m["media"]["chunk"] for m in media[:3]] == ["1", "2", "3"]
    assert [m["media"]["timestamp"] for m in media[:3]] == ["0", "20", "40"]
    assert all(m["streamSid"] == sid and "streamId" not in m for m in media)
    assert messages[-1]["event"] == "stop" and messages[-1]["streamSid"] == sid


@pytest.mark.parametrize(
    ("xml", "error"),
    [
        ("<Response><Stream>ws://a/b</Stream></Response>", "inside <Connect> or <Start>"),
        ("<Response><Connect/></Response>", "<Connect> must hold one <Stream>, got 0"),
        ("<Response><Start><Stream/></Start></Response>", "<Start><Stream> needs a url"),
        (
            '<Response><Start><Stream url="ws://a/b" track="all"/></Start></Response>',
            "track must be one of",
        ),
        (
            '<Response><Connect><Stream url="ws://a/b" track="both_tracks"/></Connect></Response>',
            "audio_track must be 'inbound' when bidirectional",
        ),
        (
            '<Response><Connect><Stream url="ws://a/b"><Parameter value="x"/></Stream>'
            "</Connect></Response>",
            "<Parameter> needs a name",
        ),
    ],
)
def test_twiml_errors_name_what_is_wrong(xml: str, error: str) -> None:
    with pytest.raises(ValidationError, match=error):
        parse_twiml(xml)


def test_twiml_reads_into_stream_elements() -> None:
    connect, wait, hangup = parse_twiml(
        '<Response><Connect><Stream url="wss://a/b"><Parameter name="k" value="v"/>'
        '</Stream></Connect><Pause length="2"/><Hangup/></Response>'
    )
    assert (connect.bidirectional, connect.keep_call_alive, connect.audio_track) == (
        True,
        True,
        "inbound",
    )
    assert connect.content_type == "audio/x-mulaw;rate=8000" and connect.extra_headers == "k=v"
    assert (wait.tag, wait.attributes) == ("Wait", {"length": "2"})
    assert hangup.tag == "Hangup"


async def test_the_emulator_cli_speaks_twilio(app: VoiceApp) -> None:
    """``audiofork emulator --dialect twilio`` as a real subprocess runs TwiML answers."""
    async with emulator_cli(
        "--account", f"{ACCOUNT}:{TOKEN}", "--caller-audio", "silence", "--dialect", "twilio"
    ) as emulator:
        process = emulator.process
        app.xml = f'<Response><Connect><Stream url="{app.ws_url}"/></Connect></Response>'
        async with http_client(headers=AUTH) as http:
            body = {"from": "+1", "to": "+2", "answer_url": app.url + "/answer"}
            async with http.post(f"{emulator.url}/api/v1/Account/{ACCOUNT}/Call/", json=body) as r:
                assert r.status == 201
        await app.wait_for(lambda: app.sockets and len(app.sockets[0].messages) > 3)
        events = [m["event"] for m in app.sockets[0].messages[:3]]
        assert events == ["connected", "start", "media"]
        process.send_signal(signal.SIGINT)
        assert await within(process.wait()) == 0
