"""Helpers of the browser tests (tests/console): waiting on a page's state, timing a
block."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from typing import Any


async def until(page: Any, expression: str, seconds: float = 30.0) -> Any:
    """Poll ``expression`` in the page until it is truthy (its value), failing after
    ``seconds``. (Playwright's own waiting evaluates strings, which the console's
    Content-Security-Policy forbids; ``page.evaluate`` is not subject to it.)"""
    deadline = time.monotonic() + seconds
    while True:
        value = await page.evaluate(expression)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s: {expression}")
        await asyncio.sleep(0.1)


@contextlib.contextmanager
def timed() -> Iterator[list[float]]:
    """The seconds a block took, in the list it yields (filled at its end)."""
    result: list[float] = []
    start = time.monotonic()
    yield result
    result.append(time.monotonic() - start)
