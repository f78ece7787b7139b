"""The example apps in ``examples/``: loaded as modules the tests serve in-process, or run
as real subprocesses on a free port."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import ModuleType

import httpx

from audiofork import vobiz

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load(name: str) -> ModuleType:
    """``examples/<name>.py`` as a fresh module."""
    spec = importlib.util.spec_from_file_location(f"examples_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def check_status_callbacks(http: httpx.AsyncClient, url: str, token: str) -> None:
    """An example's ``/stream-status`` at ``url`` (``http``'s base URL + path) takes a
    callback signed with ``token`` once; refuses a replay, a forged or a missing signature
    with 403, and a signed callback that cannot be read with 400 naming why (not 500)."""
    path = httpx.URL(url).path
    form = {"Event": "StartStream", "StreamID": "s-1", "CallUUID": "c-1"}
    names = vobiz.signature_header_names("v3")
    signed = {names[0]: vobiz.sign(url, "nonce-1", token), names[1]: "nonce-1"}
    assert (await http.post(path, data=form, headers=signed)).status_code == 200
    assert (await http.post(path, data=form, headers=signed)).status_code == 403  # replayed
    forged = {names[0]: vobiz.sign(url, "nonce-2", "another-token"), names[1]: "nonce-2"}
    assert (await http.post(path, data=form, headers=forged)).status_code == 403
    assert (await http.post(path, data=form)).status_code == 403
    unreadable = [
        (b"StreamID=s-1", "application/x-www-form-urlencoded", "no Event field"),
        (b"{not json", "application/json", "not valid JSON"),
        (b"[1, 2]", "application/json", "must be an object"),
        (b"Event=StartStream", "text/csv", "content type"),
    ]
    for n, (body, content_type, reason) in enumerate(unreadable):
        nonce = f"nonce-bad-{n}"
        headers = {
            names[0]: vobiz.sign(url, nonce, token),
            names[1]: nonce,
            "content-type": content_type,
        }
        refused = await http.post(path, content=body, headers=headers)
        assert (refused.status_code, reason in refused.text) == (400, True), refused.text


@asynccontextmanager
async def example_process(*args: str) -> AsyncIterator[tuple[str, asyncio.subprocess.Process]]:
    """Run ``examples/<args>`` on a free port; yield its ``ws://`` URL and the process."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLES / args[0]),
        "--port",
        "0",
        *args[1:],
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    try:
        assert process.stdout is not None
        line = (await process.stdout.readline()).decode()
        assert line.startswith("listening on ws://"), line
        yield line.split()[-1], process
    finally:
        if process.returncode is None:
            process.terminate()
        await process.wait()


async def lines_until(stream: asyncio.StreamReader, text: str) -> list[str]:
    lines: list[str] = []
    while not lines or text not in lines[-1]:
        line = await stream.readline()
        assert line, f"ended before {text!r}: {lines}"
        lines.append(line.decode())
    return lines
