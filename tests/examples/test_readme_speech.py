"""The README's say/interrupt example runs as written: served on loopback, a scripted
platform talks over the reply, and the agent prints what was heard of it."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest

from audiofork.samples import speech
from support.app_servers import serve_starlette
from support.scripted_platform import ScriptedPlatform, tone

README = Path(__file__).resolve().parents[2] / "README.md"
TEXT = "Your order has shipped."


def speech_block() -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    (block,) = [b for b in blocks if "stream.say(" in b]
    return str(block)


async def test_the_readme_agent_is_interrupted_and_says_what_was_heard(
    capsys: pytest.CaptureFixture[str],
) -> None:
    namespace: dict[str, Any] = {}
    exec(compile(speech_block(), "README.md", "exec"), namespace)
    pcm, _ = speech(24000)  # 10 s: the barge-in comes long before its end
    words = [(word, i * 500.0, (i + 1) * 500.0) for i, word in enumerate(TEXT.split())]

    async def handler(websocket: Any) -> None:
        await namespace["agent"](websocket, pcm, words)

    async with (
        asyncio.timeout(30),
        serve_starlette(handler) as url,
        ScriptedPlatform.connect(url) as platform,
    ):
        await platform.start()
        assert (await platform.next())["event"] == "playAudio"  # say() plays at once
        await platform.media(tone(200, hz=300))  # the caller talks over it
        await platform.until("clearAudio")
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and out[1] == "cleared", out
    found = re.fullmatch(r"heard (\d+) ms: '(.*)'", out[0])
    assert found is not None, out
    heard_ms, heard_text = int(found.group(1)), found.group(2)
    assert 0 <= heard_ms < len(pcm) * 1000 // 24000  # cut before its end
    assert heard_text == " ".join(w for w, _, end in words if end <= heard_ms)
