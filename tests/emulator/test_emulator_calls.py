"""Calls end to end: the answer URL's VobizXML executed in order (``<Stream>`` with every
attribute and ``keepCallAlive``, ``<Wait>``, ``<Hangup>``, others skipped), and the hangups
a call decides (XML end, caller audio end, answer failures)."""

from __future__ import annotations

import asyncio
import html
import logging
import re
from typing import Any

import pytest

from audiofork.emulator import Emulator, EmulatorConfig
from audiofork.emulator.calls import MAX_LIVE_STREAMS_PER_CALL, MAX_STREAMS_PER_CALL
from audiofork.vobiz import make_stream_url
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


async def run_call(
    app: VoiceApp, xml: str, *, caller_audio: str = "silence", grace: float = 1.5
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Place one call answering ``xml``; wait for its end; return the call and its streams."""
    app.xml = xml
    config = EmulatorConfig(
        {ACCOUNT: TOKEN}, speed=20, caller_audio=caller_audio, hangup_grace_s=grace
    )
    async with started_emulator(config) as emulator, http_client(headers=AUTH) as http:
        base = f"{emulator.url}/api/v1/Account/{ACCOUNT}/Call/"
        body = {"from": "+1", "to": "+2", "answer_url": app.url + "/answer"}
        async with http.post(base, json=body) as reply:
            call_uuid = (await reply.json())["call_uuid"]
        call = emulator.exchange.calls[call_uuid]
        await within(call.finished())
        async with http.get(f"{base}{call_uuid}/") as reply:
            call_json = await reply.json()
        async with http.get(f"{base}{call_uuid}/Stream/") as reply:
            streams = (await reply.json())["objects"]
    return call_json, streams


def stream_xml(app: VoiceApp, **attributes: str) -> str:
    attrs = "".join(f' {k}="{v}"' for k, v in attributes.items())
    return f"<Stream{attrs}>{app.ws_url}</Stream>"


async def test_keep_call_alive_holds_the_next_element_until_the_stream_ends(
    app: VoiceApp,
) -> None:
    app.stop_after_media = 25  # the app stops its stream after 0.5 s of audio
    xml = stream_xml(app, bidirectional="true", keepCallAlive="true")
    call, streams = await run_call(app, f"<Response>{xml}<Hangup/></Response>")
    assert call["hangup_cause"] == "xml_hangup"
    assert len(streams) == 1 and streams[0]["status"] == "completed"
    media = [m for m in app.sockets[0].messages if m["event"] == "media"]
    assert len(media) >= 25
    # The call went on to <Hangup/> only once the stream had ended, about 0.5 s in.
    assert call["end_time"] >= streams[0]["end_time"]


async def test_a_stream_without_keep_call_alive_runs_beside_the_next_elements(
    app: VoiceApp,
) -> None:
    xml = stream_xml(app, bidirectional="true")
    call, streams = await run_call(app, f'<Response>{xml}<Wait length="2"/></Response>')
    assert call["hangup_cause"] == "xml_end" and call["duration"] >= 2
    assert streams[0]["status"] == "completed"
    # The stream ran during the 2 s wait (about 100 frames) and ended with the call.
    await within(app.sockets[0].closed.wait())
    assert [m for m in app.sockets[0].messages if m["event"] == "media"]
    assert streams[0]["end_time"] >= call["end_time"]


async def test_wait_length_is_honoured_and_a_bad_length_skipped(app: VoiceApp) -> None:
    call, streams = await run_call(app, '<Response><Wait length="3"/><Wait length="x"/></Response>')
    # Durations are virtual seconds; a loaded machine can only make them longer.
    assert 3 <= call["duration"] < 6 and call["hangup_cause"] == "xml_end" and streams == []
    call, _ = await run_call(app, "<Response><Wait/></Response>")
    assert 1 <= call["duration"] < 3


async def test_hangup_ends_the_call_and_the_rest_of_the_xml_is_not_run(app: VoiceApp) -> None:
    xml = f'<Response><Hangup/>{stream_xml(app)}<Wait length="100"/></Response>'
    call, streams = await run_call(app, xml)
    assert call["hangup_cause"] == "xml_hangup" and call["duration"] < 2
    assert streams == [] and app.sockets == []


async def test_other_elements_are_skipped(app: VoiceApp) -> None:
    xml = '<Response><Speak voice="x">hello</Speak><Play>http://x/a.mp3</Play><Hangup/></Response>'
    call, _ = await run_call(app, xml)
    assert call["hangup_cause"] == "xml_hangup" and call["answer_time"] is not None


async def test_stream_follows_every_attribute(app: VoiceApp) -> None:
    xml = stream_xml(
        app,
        bidirectional="true",
        audioTrack="inbound",
        contentType="audio/x-l16;rate=16000",
        streamTimeout="2",
        statusCallbackUrl=app.url + "/status",
        statusCallbackMethod="GET",
        extraHeaders="tenant=acme,lang=en",
        keepCallAlive="true",
        maxRetries="1",
    )
    call, streams = await run_call(app, f"<Response>{xml}</Response>")
    (stream,) = streams
    assert stream["content_type"] == "audio/x-l16;rate=16000" and stream["sampling_rate"] == 16000
    assert (stream["stream_timeout"], stream["bidirectional"]) == (2, True)
    assert stream["status_callback_url"] == app.url + "/status"
    assert stream["status_callback_method"] == "GET"
    # streamTimeout=2 ended the stream, then the XML's end hung up: 2 s of audio billed.
    assert stream["status"] == "completed" and stream["bill_duration"] == 2
    assert call["hangup_cause"] == "xml_end" and call["duration"] >= 2
    start = app.sockets[0].messages[0]
    assert start["event"] == "start"
    assert start["start"]["mediaFormat"] == {"encoding": "audio/x-l16", "sampleRate": 16000}
    assert start["start"]["tracks"] == ["inbound"] and start["start"]["callId"]
    media = [m for m in app.sockets[0].messages if m["event"] == "media"]
    assert len(media) == 100  # 2 s of 20 ms frames
    await app.wait_for(lambda: app.events("StopStream"))
    assert {hit.method for hit in app.callbacks} == {"GET"}
    assert app.callbacks[0].fields["X-VH-tenant"] == "acme"


async def test_unreachable_service_url_fails_the_stream_and_the_call_goes_on(
    app: VoiceApp,
) -> None:
    dead = "ws://127.0.0.1:9/ws"
    xml = f'<Stream bidirectional="true" keepCallAlive="true">{dead}</Stream><Wait length="1"/>'
    call, streams = await run_call(app, f"<Response>{xml}</Response>")
    assert streams[0]["status"] == "failed" and streams[0]["bill_duration"] == 0
    assert streams[0]["billed_amount"] == "0.00000"
    assert call["hangup_cause"] == "xml_end" and 1 <= call["duration"] < 3


async def test_a_stream_the_emulator_cannot_run_is_skipped_and_the_call_goes_on(
    app: VoiceApp,
) -> None:
    endless = stream_xml(app, streamTimeout="1" + "0" * 400)
    call, streams = await run_call(app, f'<Response>{endless}<Wait length="1"/></Response>')
    assert streams == [] and app.sockets == []
    assert call["hangup_cause"] == "xml_end" and call["duration"] >= 1


async def test_finite_caller_audio_hangs_up_a_little_after_it_ends(app: VoiceApp) -> None:
    # The bundled speech is 10 s; the grace after it is 1.5 s.
    xml = stream_xml(app, bidirectional="true", keepCallAlive="true")
    call, streams = await run_call(app, f"<Response>{xml}</Response>", caller_audio="speech")
    assert call["hangup_cause"] == "caller_audio_end"
    assert 11 <= call["duration"] < 20
    assert streams[0]["status"] == "completed" and 12 <= streams[0]["bill_duration"] < 20


async def failed_call(
    app: VoiceApp, answer_url: str, caplog: pytest.LogCaptureFixture, **options: Any
) -> tuple[dict[str, Any], str, str]:
    """Place a call whose answer fails; its REST call object, its ``CallInfo.error`` (both
    must agree) and the status page."""
    config = EmulatorConfig({ACCOUNT: TOKEN}, speed=20, **options)
    async with started_emulator(config) as emulator, http_client(headers=AUTH) as http:
        base = f"{emulator.url}/api/v1/Account/{ACCOUNT}/Call/"
        body = {"from": "+1", "to": "+2", "answer_url": answer_url}
        async with http.post(base, json=body) as reply:
            call_uuid = (await reply.json())["call_uuid"]
        info = await within(emulator.call_ended(call_uuid))
        async with http.get(f"{base}{call_uuid}/") as reply:
            call = await reply.json()
        async with http.get(emulator.url + "/", headers=basic_auth(ACCOUNT, TOKEN)) as reply:
            page = await reply.text()
    assert call["call_status"] == "completed" and call["hangup_cause"] == "answer_failed"
    assert call["answer_time"] is None and call["error"] == info.error
    assert info.error and info.error.startswith("answer_failed: ")
    assert html.escape(info.error) in page
    assert info.error.removeprefix("answer_failed: ") in caplog.text  # the log says it too
    return call, info.error, page


ANSWER_URL = r"http://127\.0\.0\.1:\d+/answer"
NOT_VOBIZ_XML = f"the answer from {ANSWER_URL} is not valid VobizXML: "


@pytest.mark.parametrize(
    ("status", "xml", "error"),
    [
        (
            500,
            "<Response/>",
            f"POST {ANSWER_URL} answered HTTP 500 Internal Server Error: <Response/>",
        ),
        (404, "", f"POST {ANSWER_URL} answered HTTP 404 Not Found"),
        (
            200,
            "<Response><Stream>not a url</Stream></Response>",
            NOT_VOBIZ_XML + "<Stream> at line 1: url must not contain whitespace or control "
            "characters: 'not a url'",
        ),
        (
            200,
            '<Response><Stream bidirectional="true" audioTrack="both">ws://x/ws</Stream>'
            "</Response>",
            NOT_VOBIZ_XML + "<Stream> at line 1: audio_track must be 'inbound' when "
            "bidirectional is true, got 'both'",
        ),
        (200, "<Response><Wait", NOT_VOBIZ_XML + "malformed XML at line 1, column 11: .+"),
        (
            200,
            "<NotResponse/>",
            NOT_VOBIZ_XML + "the root element must be <Response>, got <NotResponse>",
        ),
    ],
)
async def test_a_failed_answer_ends_the_call_and_says_why(
    app: VoiceApp, caplog: pytest.LogCaptureFixture, status: int, xml: str, error: str
) -> None:
    app.answer_status, app.xml = status, xml
    _, reason, _ = await failed_call(app, app.url + "/answer", caplog)
    assert re.fullmatch(f"answer_failed: {error}", reason), reason


async def test_an_unreachable_answer_url_ends_the_call_and_says_why(
    app: VoiceApp, caplog: pytest.LogCaptureFixture
) -> None:
    _, reason, _ = await failed_call(app, "http://127.0.0.1:9/answer?token=s3cret", caplog)
    assert reason.startswith("answer_failed: cannot fetch http://127.0.0.1:9/answer?token=***: ")
    assert "ClientConnectorError" in reason and "s3cret" not in reason


async def test_an_answer_url_past_its_timeout_ends_the_call_and_says_why(
    app: VoiceApp, caplog: pytest.LogCaptureFixture
) -> None:
    app.answer_delay_s = 30
    _, reason, _ = await failed_call(app, app.url + "/answer", caplog, answer_timeout_s=0.5)
    assert re.fullmatch(
        r"answer_failed: timeout after 0\.5 s fetching http://[\d.:]+/answer", reason
    )


async def test_a_call_that_did_not_fail_has_no_error(app: VoiceApp) -> None:
    call, _ = await run_call(app, "<Response/>")
    assert call["hangup_cause"] == "xml_end" and call["error"] is None


async def test_a_stream_that_could_not_connect_says_why(app: VoiceApp) -> None:
    xml = '<Response><Stream bidirectional="true" keepCallAlive="true">ws://127.0.0.1:9/ws?token=s3cret</Stream></Response>'
    app.xml = xml
    config = EmulatorConfig({ACCOUNT: TOKEN}, speed=20)
    async with started_emulator(config) as emulator:
        call_uuid = await place(emulator, app)
        info = await within(emulator.call_ended(call_uuid))
        page_url, sign_in = emulator.url + "/", basic_auth(ACCOUNT, TOKEN)
        async with http_client() as http, http.get(page_url, headers=sign_in) as reply:
            page = await reply.text()
    (stream,) = info.streams
    assert stream.status == "failed" and stream.error is not None
    assert stream.error.startswith("cannot connect to ws://127.0.0.1:9/ws?token=***: ")
    assert info.error is None  # the call itself went on to its end
    assert html.escape(stream.error) in page and "s3cret" not in page


async def place(emulator: Emulator, app: VoiceApp) -> str:
    async with http_client(headers=AUTH) as http:
        body = {"from": "+1", "to": "+2", "answer_url": app.url + "/answer"}
        async with http.post(f"{emulator.url}/api/v1/Account/{ACCOUNT}/Call/", json=body) as reply:
            call_uuid: str = (await reply.json())["call_uuid"]
    return call_uuid


async def test_closing_the_emulator_ends_live_calls(app: VoiceApp) -> None:
    app.xml = f"<Response>{stream_xml(app, bidirectional='true', keepCallAlive='true')}</Response>"
    config = EmulatorConfig({ACCOUNT: TOKEN}, speed=20, caller_audio="silence")
    emulator = Emulator(config)
    await within(emulator.start())
    async with http_client(headers=AUTH) as http:
        body = {"from": "+1", "to": "+2", "answer_url": app.url + "/answer"}
        async with http.post(f"{emulator.url}/api/v1/Account/{ACCOUNT}/Call/", json=body) as reply:
            call = emulator.exchange.calls[(await reply.json())["call_uuid"]]
    await app.wait_for(lambda: app.sockets and len(app.sockets[0].messages) > 5)
    await within(emulator.close())
    assert call.hangup_cause == "shutdown" and not call.forks[0].live
    await within(app.sockets[0].closed.wait())
    leftovers = [
        task
        for task in asyncio.all_tasks()
        if "audiofork/emulator" in getattr(task.get_coro(), "cr_code", "").__repr__()
    ]
    assert leftovers == []


async def test_a_reconnect_takes_a_new_stream_id_and_both_ids_find_the_stream(
    app: VoiceApp,
) -> None:
    app.close_after_media = 5  # every connection is closed by the app after 0.1 s
    xml = stream_xml(
        app,
        bidirectional="true",
        keepCallAlive="true",
        maxRetries="1",
        statusCallbackUrl=app.url + "/status",
    )
    app.xml = f"<Response>{xml}</Response>"
    config = EmulatorConfig({ACCOUNT: TOKEN}, speed=20, caller_audio="silence")
    async with started_emulator(config) as emulator, http_client(headers=AUTH) as http:
        base = f"{emulator.url}/api/v1/Account/{ACCOUNT}/Call/"
        body = {"from": "+1", "to": "+2", "answer_url": app.url + "/answer"}
        async with http.post(base, json=body) as reply:
            call_uuid = (await reply.json())["call_uuid"]
        await within(emulator.exchange.calls[call_uuid].finished())
        starts = [socket.messages[0]["start"] for socket in app.sockets]
        assert len(starts) == 2 and starts[0]["callId"] == starts[1]["callId"] == call_uuid
        first, second = (start["streamId"] for start in starts)
        assert first != second
        for stream_id in (first, second):
            async with http.get(f"{base}{call_uuid}/Stream/{stream_id}/") as reply:
                assert (await reply.json())["stream_id"] == second
        async with http.get(f"{base}{call_uuid}/Stream/") as reply:
            assert [s["stream_id"] for s in (await reply.json())["objects"]] == [second]
        await within(emulator.exchange.services.callbacks.flush(10))
    assert [(hit.fields["Event"], hit.fields["StreamID"]) for hit in app.callbacks] == [
        ("StartStream", first),
        ("DroppedStream", first),
        ("StartStream", second),
        ("DroppedStream", second),
    ]


async def test_hanging_up_a_ringing_call_abandons_its_answer_url(app: VoiceApp) -> None:
    app.answer_delay_s = 60  # the answer URL never answers in time
    config = EmulatorConfig({ACCOUNT: TOKEN}, speed=20, answer_timeout_s=120)
    async with started_emulator(config) as emulator, http_client(headers=AUTH) as http:
        base = f"{emulator.url}/api/v1/Account/{ACCOUNT}/Call/"
        body = {"from": "+1", "to": "+2", "answer_url": app.url + "/answer"}
        async with http.post(base, json=body) as reply:
            call_uuid = (await reply.json())["call_uuid"]
        await app.wait_for(lambda: app.answers)
        async with http.delete(f"{base}{call_uuid}/") as reply:
            assert reply.status == 204
        await within(emulator.exchange.calls[call_uuid].finished(), 10)
        async with http.get(f"{base}{call_uuid}/") as reply:
            call = await reply.json()
    assert (call["call_status"], call["hangup_cause"]) == ("completed", "api_hangup")
    assert call["answer_time"] is None


# --- bad numbers, too many streams ----------------------------------------------------------


async def test_an_integer_past_pythons_digit_limit_fails_the_answer_not_the_emulator(
    app: VoiceApp,
) -> None:
    xml = f"<Response>{stream_xml(app, streamTimeout=HUGE_DIGITS)}</Response>"
    call, streams = await run_call(app, xml)
    assert call["hangup_cause"] == "answer_failed" and streams == []  # not emulator_error


@pytest.mark.parametrize("length", [HUGE_DIGITS, "-" + HUGE_DIGITS, "\u0663", "+", " "])
async def test_a_wait_length_that_is_no_integer_is_skipped(app: VoiceApp, length: str) -> None:
    call, _ = await run_call(app, f'<Response><Wait length="{length}"/></Response>')
    assert call["hangup_cause"] == "xml_end" and call["duration"] < 2


async def test_an_answer_with_more_streams_than_a_call_may_start_is_refused_whole(
    app: VoiceApp, caplog: pytest.LogCaptureFixture
) -> None:
    streams = stream_xml(app) * (MAX_STREAMS_PER_CALL + 1)
    call, started = await run_call(app, f"<Response>{streams}</Response>")
    assert call["hangup_cause"] == "answer_failed" and started == [] and app.sockets == []
    assert f"more than the {MAX_STREAMS_PER_CALL} a call may start" in caplog.text


async def test_streams_past_the_live_limit_are_skipped_and_logged(
    app: VoiceApp, caplog: pytest.LogCaptureFixture
) -> None:
    streams = stream_xml(app) * (MAX_LIVE_STREAMS_PER_CALL + 2)
    _, started = await run_call(app, f'<Response>{streams}<Wait length="1"/></Response>')
    assert len(started) == len(app.sockets) == MAX_LIVE_STREAMS_PER_CALL
    skipped = [r for r in caplog.records if "<Stream> skipped" in r.getMessage()]
    assert len(skipped) == 2 and "MAX_LIVE_STREAMS_PER_CALL" in skipped[0].getMessage()


# --- secrets stay out of the log --------------------------------------------------------------

SECRET = "Zq3-0123456789abcdef_XYZ"


async def test_stream_secrets_never_reach_the_log_or_an_error(
    app: VoiceApp, caplog: pytest.LogCaptureFixture
) -> None:
    """A stream URL with a secret that the app refuses (403 on the upgrade): the warning,
    the stream's end and the DroppedStream callback's error quote the URL redacted. A
    checkpoint name that happens to hold the same text is not a URL and stays whole."""
    caplog.set_level(logging.DEBUG, "audiofork.emulator")
    refused = make_stream_url(app.url.replace("http://", "ws://") + "/answer", SECRET)
    accepted = make_stream_url(app.ws_url, SECRET)
    callback = app.url + "/status"
    app.on_start = [{"event": "checkpoint", "name": f"said {SECRET}"}, {"event": "stop"}]
    xml = (
        f'<Stream statusCallbackUrl="{callback}">{refused.replace("&", "&amp;")}</Stream>'
        f'<Stream bidirectional="true" keepCallAlive="true" statusCallbackUrl="{callback}">'
        f"{accepted}</Stream>"
    )
    await run_call(app, f"<Response>{xml}</Response>")
    await app.wait_for(lambda: app.events("DroppedStream") and app.events("PlayedStream"))
    logged = caplog.text + "".join(r.getMessage() for r in caplog.records)
    assert "WSServerHandshakeError" in logged and "token=***" in logged
    assert f"token={SECRET}" not in logged and f"/{SECRET}" not in logged
    (dropped,) = app.events("DroppedStream")
    assert "token=***" in dropped.fields["Error"] and SECRET not in dropped.fields["Error"]
    (played,) = app.events("PlayedStream")
    assert played.fields["Name"] == f"said {SECRET}"
    assert any(f"said {SECRET}" in r.getMessage() for r in caplog.records)
