"""The README's examples run as written: the FastAPI app at the top is served on loopback and
echoes a scripted call; the codec example runs."""

from __future__ import annotations

import asyncio
import base64
import re
from pathlib import Path

import numpy as np

from support.app_servers import serve_asgi
from support.scripted_platform import ScriptedPlatform, tone

README = Path(__file__).resolve().parent.parent / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_opens_with_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    first_block = re.search(r"```bash\n(.*?)```", text, re.S)
    assert first_block is not None
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert commands == ["make demo", "make test"]


async def test_readme_app_fits_ten_lines_and_echoes_a_call() -> None:
    source = python_blocks()[0]
    assert len([line for line in source.splitlines() if line.strip()]) <= 10
    namespace: dict[str, object] = {}
    exec(compile(source, "README.md", "exec"), namespace)
    async with (
        asyncio.timeout(20),
        serve_asgi(namespace["app"]) as base,
        ScriptedPlatform.connect(base.replace("http://", "ws://") + "/ws") as platform,
    ):
        await platform.start()
        speech = tone(100)
        await platform.media(speech)
        frames = [await platform.next() for _ in range(5)]
    echoed = b"".join(base64.b64decode(m["media"]["payload"]) for m in frames)
    np.testing.assert_array_equal(np.frombuffer(echoed, "<i2"), speech)


def test_readme_codec_example_runs() -> None:
    exec(compile(python_blocks()[1], "README.md", "exec"), {})
