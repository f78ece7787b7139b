"""The pipecat example bot (``examples/pipecat_bot.py``, a real pipecat pipeline on
pipecat's FastAPI WebSocket transport, in pipecat's venv) called through the emulator in
each dialect: the caller hears the echo; "bot stopped speaking" comes once the emulator has
played the whole reply; a key press interrupts, the emulator's playout goes quiet and the
bot reports how much of its reply was heard. The same bot on pipecat's stock Twilio and
Plivo serializers and pipecat-vobiz's echoes through the emulator too; a hostile message
ends the bot's stream (its ``ProtocolError`` stops pipecat's reading) instead of hanging it."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from audiofork import MediaFormat, wire
from audiofork.emulator import EmulatorConfig
from support.emulator_platform_apps import (
    ACCOUNT,
    TOKEN,
    VoiceApp,
    dominant_hz,
    hang_up,
    http_client,
    place_call,
    started_emulator,
    within,
)
from support.pipecat_venv import (
    answer_xml,
    bot_lines_until,
    needs_pipecat,
    pipecat_bot,
    played,
    tone_ms,
    until_played,
)

pytestmark = needs_pipecat


def config(dialect: str, caller_audio: str) -> EmulatorConfig:
    return EmulatorConfig({ACCOUNT: TOKEN}, caller_audio=caller_audio, dialect=dialect)


@pytest.mark.parametrize(
    ("dialect", "serializer"),
    [
        ("vobiz", "audiofork"),
        ("plivo", "audiofork"),
        ("twilio", "audiofork"),
        ("twilio", "pipecat"),  # pipecat's stock Twilio serializer, driven by the emulator
        ("vobiz", "pipecat"),  # pipecat-vobiz's serializer
        ("plivo", "pipecat"),  # pipecat's Plivo serializer
    ],
)
async def test_the_caller_hears_the_echo(app: VoiceApp, dialect: str, serializer: str) -> None:
    args = ("--dialect", dialect, "--serializer", serializer)
    async with (
        pipecat_bot(*args) as (url, bot, _),
        started_emulator(config(dialect, "tone:440"), capture_audio=True) as emulator,
    ):
        app.xml = answer_xml(dialect, url)
        call_uuid = await place_call(emulator, app.url + "/answer")
        heard = await within(until_played(emulator, call_uuid, 16000), 60)
        start = (await within(bot_lines_until(bot, "start")))[-1]
        await hang_up(emulator, call_uuid)
        await within(bot_lines_until(bot, "stream ended"))
    assert start["dialect"] == dialect
    last = heard[8000:16000]  # the second second heard: the caller's 440 Hz tone, loud
    assert abs(dominant_hz(last, 8000) - 440) < 5
    assert np.abs(last).max() > 5000


@pytest.mark.parametrize("dialect", ["vobiz", "twilio"])
async def test_bot_stopped_speaking_comes_after_the_playout(app: VoiceApp, dialect: str) -> None:
    """pipecat's transport would declare the stop once it has sent the 1.5 s greeting; this
    one comes only when the emulator has played all of it and confirmed the checkpoint
    (mark). Two replies back to back keep the bot speaking in between."""
    args = ("--dialect", dialect, "--greeting-ms", "1500", "--replies", "2", "--no-echo")
    async with (
        pipecat_bot(*args) as (url, bot, _),
        started_emulator(config(dialect, "silence"), capture_audio=True) as emulator,
    ):
        app.xml = answer_xml(dialect, url)
        call_uuid = await place_call(emulator, app.url + "/answer")
        lines = await within(bot_lines_until(bot, "BotStoppedSpeakingFrame"), 60)
        heard_at_stop = played(emulator, call_uuid)[1]
        await hang_up(emulator, call_uuid)
        after = await within(bot_lines_until(bot, "stream ended"))
    frames = [line["frame"] for line in lines if "frame" in line]
    # BotSpeakingFrame while speaking (every 0.2 s, however many notes come), none after.
    assert frames.count("BotSpeakingFrame") >= 1, frames
    assert not any("frame" in line for line in after), after
    assert [f for f in frames if f != "BotSpeakingFrame"] == [
        "BotStartedSpeakingFrame",
        "UtteranceHeardFrame",
        "UtteranceHeardFrame",
        "BotStoppedSpeakingFrame",
    ]
    replies = [line for line in lines if line.get("frame") == "UtteranceHeardFrame"]
    assert [(r["id"], r["outcome"]) for r in replies] == [
        ("reply-1", "played"),
        ("reply-2", "played"),
    ]
    # Each reply was heard whole; pipecat's transport pads each one's last 40 ms chunk with
    # silence, which counts as the reply's audio: 750 ms each is 19 chunks, 760 ms.
    assert [r["heard_ms"] for r in replies] == [r["duration_ms"] for r in replies]
    assert [r["duration_ms"] for r in replies] == pytest.approx([760, 760], abs=1)
    # All of the greeting had been played when the bot said it stopped (a 20 ms block at
    # each end may straddle silence).
    assert tone_ms(heard_at_stop) >= 1500 - 40


async def test_a_key_press_interrupts_and_the_bot_reports_what_was_heard(app: VoiceApp) -> None:
    async with (
        pipecat_bot("--dialect", "vobiz", "--greeting-ms", "8000", "--no-echo") as (url, bot, _),
        started_emulator(config("vobiz", "silence"), capture_audio=True) as emulator,
    ):
        app.xml = answer_xml("vobiz", url)
        call_uuid = await place_call(emulator, app.url + "/answer")
        await within(bot_lines_until(bot, "BotStartedSpeakingFrame"), 60)

        async def a_second_of_tone() -> int:
            while (ms := tone_ms(played(emulator, call_uuid)[1])) < 1000:
                await asyncio.sleep(0.02)
            return ms

        heard_before = await within(a_second_of_tone())
        emulator.send_dtmf(call_uuid, "5")
        lines = await within(bot_lines_until(bot, "BotStoppedSpeakingFrame"))
        at_stop = len(played(emulator, call_uuid)[1])
        # A second more of the call: the tone does not come back.
        heard = await within(until_played(emulator, call_uuid, at_stop + 8000))
        stream = emulator.call_info(call_uuid).streams[0]
        await hang_up(emulator, call_uuid)
        await within(bot_lines_until(bot, "stream ended"))
    frames = [
        line["frame"]
        for line in lines
        if line.get("frame", "BotSpeakingFrame") != "BotSpeakingFrame"
    ]
    assert frames == ["InputDTMFFrame", "UtteranceHeardFrame", "BotStoppedSpeakingFrame"]
    reply = lines[-2]
    assert (reply["id"], reply["outcome"]) == ("reply-1", "cleared")
    # The reply so far: what the transport had sent (a little ahead of the playout).
    assert reply["heard_ms"] <= reply["duration_ms"] < 8000
    total = tone_ms(heard)
    assert heard_before <= total < 8000
    # What the bot says was heard is what the emulator played, within a few frames.
    assert reply["heard_ms"] == pytest.approx(total, abs=300)
    # At most the frame playing when the clear arrived (and a block straddling it), then
    # silence to the end.
    assert tone_ms(heard[at_stop:]) <= 40
    assert tone_ms(heard[-4000:]) == 0
    assert stream.stats.clears >= 1


async def test_a_hostile_message_ends_the_stream() -> None:
    """A message the core refuses raises ``ProtocolError`` out of ``deserialize()``:
    pipecat's input transport logs it and stops reading, the bot's disconnect handler
    cancels the pipeline, and the socket closes."""
    async with pipecat_bot("--dialect", "vobiz") as (url, bot, stderr), http_client() as http:
        async with http.ws_connect(url) as ws:
            start = wire.start("s-1", MediaFormat("audio/x-mulaw", 8000), call_id="c-1")
            await ws.send_str(start)
            assert (await within(bot_lines_until(bot, "start")))[-1]["stream_id"] == "s-1"
            await ws.send_str('{"event": "media", "media": {"payload": "%%%"}}')
            await within(bot_lines_until(bot, "stream ended"))
            while not ws.closed:
                await within(ws.receive())
        bot.terminate()
        await within(stderr.ended.wait())
    errors = stderr.text()
    assert "ProtocolError" in errors, errors


MEDIA = wire.media("s-1", "AAAA", sequence_number=1, chunk=1, timestamp_ms=0)


@pytest.mark.parametrize(
    ("first", "refusal"),
    [
        (MEDIA, "ProtocolError: event: expected start before Media"),
        (MEDIA.encode(), "ProtocolError: message: expected text before start, got ['bytes'"),
    ],
)
async def test_a_stream_that_does_not_open_with_start_is_refused(
    first: str | bytes, refusal: str
) -> None:
    """``read_start`` refuses ``media`` before ``start``, and a binary frame, with
    ``ProtocolError``: the bot's handler raises and the server closes the socket, nothing
    waits."""
    async with pipecat_bot("--dialect", "vobiz") as (url, bot, stderr), http_client() as http:
        async with http.ws_connect(url) as ws:
            if isinstance(first, bytes):
                await ws.send_bytes(first)
            else:
                await ws.send_str(first)
            while not ws.closed:
                await within(ws.receive())
        bot.terminate()
        await within(stderr.ended.wait())
    errors = stderr.text()
    assert refusal in errors, errors
    assert "KeyError" not in errors, errors
