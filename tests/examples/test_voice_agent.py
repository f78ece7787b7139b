"""``examples/voice_agent.py`` end to end: served by uvicorn on loopback, called by the
emulator in this process (at speed 1, so the agent's clock is the platform's), with the
emulator's caller talking and pressing ``#``. What the agent logs is checked against what
the emulator says the caller heard."""

from __future__ import annotations

import ast
import asyncio
import io
import logging
import re
import tokenize
from pathlib import Path

import httpx
import numpy as np
import numpy.typing as npt
import pytest

from audiofork.emulator import Emulator, EmulatorConfig
from support.app_servers import serve_asgi
from support.emulator_platform_apps import ACCOUNT, AUTH, TOKEN, http_client, started_emulator
from support.examples import EXAMPLES, check_status_callbacks, load

TIMEOUT = 120
README = EXAMPLES.parent / "README.md"
RATE = 16000
#: Start-up skew between the agent's heard estimate and the platform's playout: 5 frames.
SKEW_MS = 100


async def place_call(emulator: Emulator, answer_url: str) -> str:
    async with http_client(headers=AUTH) as http:
        body = {"from": "+1", "to": "+2", "answer_url": answer_url}
        async with http.post(f"{emulator.url}/api/v1/Account/{ACCOUNT}/Call/", json=body) as reply:
            assert reply.status == 201, await reply.text()
            call_uuid: str = (await reply.json())["call_uuid"]
    return call_uuid


async def logged(caplog: pytest.LogCaptureFixture, pattern: str, after: int = 0) -> re.Match[str]:
    """The first agent log line from index ``after`` on that matches ``pattern``."""
    while True:
        for record in caplog.records[after:]:
            if record.name == "voice_agent" and (found := re.search(pattern, record.message)):
                return found
        await asyncio.sleep(0.01)


def heard_run(
    heard: npt.NDArray[np.int16], clip: npt.NDArray[np.int16], after: int
) -> tuple[int, int]:
    """Where ``clip`` starts in what the caller heard, from sample ``after`` on, and how many
    of its samples follow there unchanged (L16 at the app's rate: they go through exactly)."""
    head = clip[: RATE // 50]
    for start in after + np.flatnonzero(heard[after:] == head[0]):
        if np.array_equal(heard[start : start + len(head)], head):
            tail = heard[start : start + len(clip)]
            differs = np.flatnonzero(tail != clip[: len(tail)])
            return int(start), int(differs[0]) if len(differs) else len(tail)
    return -1, 0


async def test_greeting_reply_barge_in_and_hang_up(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOBIZ_AUTH_TOKEN", TOKEN)
    caplog.set_level(logging.INFO, logger="voice_agent")
    agent = load("voice_agent")
    reply, words = agent.synthesize(agent.REPLY)
    config = EmulatorConfig(accounts={ACCOUNT: TOKEN}, caller_audio="silence")
    async with (
        asyncio.timeout(TIMEOUT),
        serve_asgi(agent.app) as base,
        started_emulator(config, capture_audio=True) as emulator,
    ):
        call = await place_call(emulator, base + "/answer")
        await logged(caplog, r"^greeting played$")
        (stream,) = emulator.call_info(call).streams

        # The caller says something; once it stops talking the agent replies (the
        # greeting, from the same stand-in audio, was heard before).
        emulator.speak(call, "speech", seconds=1.0)
        await logged(caplog, r"^replying as u-2$")
        greeted = len(emulator.captured_audio(stream.stream_id)[1])

        def heard_of_reply() -> tuple[int, int]:
            return heard_run(emulator.captured_audio(stream.stream_id)[1], reply, greeted)

        while heard_of_reply()[1] < RATE:  # a second of the reply has played
            await asyncio.sleep(0.02)
        # The caller talks over the reply: the agent stops it and says what was heard.
        mark = len(caplog.records)
        emulator.speak(call, "speech", seconds=1.0)
        barge_in = await logged(
            caplog, r"^barge-in: the caller heard (\d+) of (\d+) ms: '(.*)'$", mark
        )
        heard_ms, duration_ms, heard_text = barge_in.groups()
        assert int(duration_ms) == len(reply) * 1000 // RATE
        # What the platform played of it: the heard track stops matching the reply where
        # the clear cut it. The agent's figure is its estimate when it cleared, counted from
        # when it sent the reply, so it is at least the second the platform had played
        # before the caller spoke; the platform plays on until the clear reaches it (however
        # long that takes on a loaded machine), so it played at least the agent's figure.
        # Either may lead the other by a few frames of start-up skew (the platform starts
        # its playout on its own frame tick). The status callback for the clear comes once
        # the platform has done it.
        await logged(caplog, rf"^stream {stream.stream_id}: ClearedAudio$", mark)
        start, played = heard_of_reply()
        played_ms = played * 1000 / RATE
        assert start >= greeted and 1000 <= played_ms < len(reply) * 1000 / RATE
        assert 1000 - SKEW_MS <= int(heard_ms) <= played_ms + SKEW_MS
        # Its heard text is the words that ended within what it heard. The log rounds the
        # figure to a whole ms, so a word ending within half a ms of it may go either way.
        spoken = [word for word, _, end in words if end <= int(heard_ms) - 0.5]
        or_one_more = [word for word, _, end in words if end <= int(heard_ms) + 0.5]
        assert heard_text in (" ".join(spoken), " ".join(or_one_more))
        assert agent.REPLY.startswith(heard_text)
        assert 0 < len(spoken) < len(words)

        emulator.send_dtmf(call, "#")
        await logged(caplog, r"^hanging up$")
        info = await emulator.call_ended(call)
    assert info.status == "completed"
    await logged(caplog, r"^stream ended: .*STOPPED")
    # The emulator's status callbacks are signed with the account's token: all accepted.
    messages = [r.message for r in caplog.records if r.name == "voice_agent"]
    assert any(m.startswith(f"stream {stream.stream_id}: ") for m in messages)
    assert not any("refused" in m for m in messages)


async def test_status_callbacks_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOBIZ_AUTH_TOKEN", TOKEN)
    agent = load("voice_agent")
    async with (
        asyncio.timeout(TIMEOUT),
        serve_asgi(agent.app) as base,
        httpx.AsyncClient(base_url=base) as http,
    ):
        await check_status_callbacks(http, base + "/stream-status", TOKEN)


def code_lines(path: Path) -> list[str]:
    """The lines holding a Python token other than a comment, docstrings left out."""
    source = path.read_text(encoding="utf-8")
    docstrings: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                docstrings.update(range(body[0].lineno, (body[0].end_lineno or 0) + 1))
    numbers: set[int] = set()
    skipped = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT}
    skipped |= {tokenize.DEDENT, tokenize.ENDMARKER}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in skipped:
            numbers.update(range(token.start[0], token.end[0] + 1))
    lines = source.splitlines()
    return [lines[n - 1] for n in sorted(numbers - docstrings)]


def test_the_readme_quotes_the_agents_line_counts() -> None:
    path = EXAMPLES / "voice_agent.py"
    code = code_lines(path)
    glue = [line for line in code if "# glue" in line]
    total = len(path.read_text(encoding="utf-8").splitlines())
    readme = README.read_text(encoding="utf-8")
    quoted = f"It is {total} lines, {len(code)} of them code, and {len(glue)} of those is glue"
    assert quoted in " ".join(readme.split())
    assert [line.split("#")[0].strip() for line in glue] == ["if cut is not None:"]
