"""What the simulator keeps of an app's input is bounded: a message over the platform's
size limit ends the call with that reason, and a call's event log keeps at most
``max_events`` events (the rest are counted, and every step still sees them)."""

from __future__ import annotations

import json

from aiohttp import web

from audiofork.simulate import CallOptions, default_audio, parse_scenario, simulate
from audiofork.wire import DEFAULT_MAX_MESSAGE_BYTES
from support.app_servers import serve_aiohttp
from support.simulated_apps import tone_l16


async def test_a_message_over_the_platforms_limit_ends_the_call_naming_it() -> None:
    async def huge(ws: web.WebSocketResponse) -> None:
        await ws.receive()  # the start
        await ws.send_str("x" * (DEFAULT_MAX_MESSAGE_BYTES + 1))
        async for _ in ws:
            pass

    scn = parse_scenario({"name": "t", "steps": [{"silence": 2}, {"hangup": True}]})
    async with serve_aiohttp(huge) as url:
        report = await simulate(
            CallOptions(url=url, scenario=scn, speed=2.0), audio=default_audio()
        )
    (failure, *_) = report.failures
    assert f"a message over the platform's limit of {DEFAULT_MAX_MESSAGE_BYTES} bytes" in failure
    assert report.calls[0].ended == "connection_lost"


async def test_the_event_log_keeps_at_most_max_events_and_counts_the_rest() -> None:
    """An app that sends a burst of small chunks, then one named checkpoint after them all:
    the log fills long before the checkpoint, which the scenario still sees."""

    async def chatty(ws: web.WebSocketResponse) -> None:
        start = json.loads((await ws.receive()).data)
        stream_id = start["start"]["streamId"]
        media = {"contentType": "audio/x-l16", "sampleRate": 8000, "payload": tone_l16(20)}
        for _ in range(300):
            await ws.send_str(
                json.dumps({"event": "playAudio", "streamId": stream_id, "media": media})
            )
        await ws.send_str(json.dumps({"event": "checkpoint", "streamId": stream_id, "name": "end"}))
        async for _ in ws:
            pass

    scn = parse_scenario(
        {
            "name": "t",
            "steps": [
                {"wait_for": "playedStream", "name": "end", "timeout_s": 30},
                {"hangup": True},
            ],
        }
    )
    async with serve_aiohttp(chatty) as url:
        options = CallOptions(
            url=url,
            scenario=scn,
            speed=4.0,
            max_events=100,
            trace_payloads=True,
            max_payload_bytes=5000,
        )
        report = await simulate(options, audio=default_audio())
    call = report.calls[0]
    assert [s.status for s in call.steps] == ["passed", "passed"], report.text()
    assert len(call.log.events) == 100
    assert call.log.dropped > 300
    assert report.counts()["events_dropped"] == call.log.dropped
    assert "events not kept" in report.text()
    kept = [e for e in call.log.events if "payload" in e.data]
    assert 0 < sum(len(e.data["payload"]) for e in kept) <= 5000
    assert call.payloads_dropped > 0
    assert report.counts()["payloads_dropped"] == call.payloads_dropped
