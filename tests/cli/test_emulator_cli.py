"""``audiofork emulator`` as a real subprocess: it serves, shows its status page to a signed-in
account, logs one line per event, and on SIGINT ends its calls, writes the recordings and
exits 0."""

from __future__ import annotations

import signal
import wave
from pathlib import Path

from support.cli_process import emulator_cli, start_cli
from support.emulator_platform_apps import (
    ACCOUNT,
    AUTH,
    TOKEN,
    VoiceApp,
    basic_auth,
    http_client,
    within,
)


async def test_emulator_serves_logs_and_stops_cleanly_on_sigint(
    app: VoiceApp, tmp_path: Path
) -> None:
    async with emulator_cli(
        "--account",
        f"{ACCOUNT}:{TOKEN}",
        "--speed",
        "10",
        "--caller-audio",
        "silence",
        "--record-dir",
        str(tmp_path),
        "--rate-per-minute",
        "0.01",
    ) as emulator:
        process, base = emulator.process, emulator.url
        assert process.stderr is not None
        assert "user AUTH_ID, password AUTH_TOKEN" in emulator.banner  # how to sign in
        sign_in = basic_auth(ACCOUNT, TOKEN)
        app.xml = (
            f'<Response><Stream bidirectional="true" keepCallAlive="true">{app.ws_url}</Stream>'
            "</Response>"
        )
        app.echo = True
        async with http_client() as http:
            async with http.get(base + "/") as reply:
                assert reply.status == 401 and "Basic" in reply.headers["WWW-Authenticate"]
            async with http.get(base + "/", headers=sign_in) as reply:
                assert reply.status == 200 and reply.content_type == "text/html"
                assert "audiofork emulator" in await reply.text()
            body = {"from": "+1", "to": "+2", "answer_url": app.url + "/answer"}
            url_calls = f"{base}/api/v1/Account/{ACCOUNT}/Call/"
            async with http.post(url_calls, json=body, headers=AUTH) as reply:
                assert reply.status == 201
                call_uuid = (await reply.json())["call_uuid"]
            await app.wait_for(lambda: app.sockets and len(app.sockets[0].messages) > 20)
            async with http.get(base + "/", headers=sign_in) as reply:
                page = await reply.text()
                assert call_uuid in page and "in-progress" in page
        process.send_signal(signal.SIGINT)
        assert await within(process.wait()) == 0
        await within(app.sockets[0].closed.wait())
        log = (await within(process.stderr.read())).decode()
    for line in (
        f"call {call_uuid}: fired",
        f"call {call_uuid}: answered",
        ": StartStream",
        f"call {call_uuid}: hung up (shutdown)",
        ": StopStream",
        "emulator stopped",
    ):
        assert line in log, log
    (stream_dir,) = (tmp_path / call_uuid).iterdir()
    for name in ("caller.wav", "played.wav"):
        with wave.open(str(stream_dir / name)) as recording:
            assert recording.getframerate() == 8000 and recording.getnframes() >= 20 * 160


async def test_emulator_refuses_a_bad_account() -> None:
    process = await start_cli("emulator", "--account", "no-colon")
    _, err = await within(process.communicate())
    assert process.returncode == 2 and b"AUTH_ID:AUTH_TOKEN" in err


async def test_emulator_refuses_a_bad_rate() -> None:
    process = await start_cli("emulator", "--account", "MA_X:t", "--rate-per-minute", "lots")
    _, err = await within(process.communicate())
    assert process.returncode == 1 and b"rate_per_minute" in err


async def test_emulator_refuses_a_port_out_of_range() -> None:
    for port in ("70000", "-1", "http", "\u0668\u0660", "8" * 5000, " 80"):
        process = await start_cli("emulator", "--account", "MA_X:t", "--port", port)
        _, err = await within(process.communicate())
        assert process.returncode == 2 and b"port must be an integer from 0 to 65535" in err, err
