from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.echo_process import echo_bot


@pytest.fixture(scope="module")
def echo_url() -> Iterator[str]:
    """The example echo bot running in a subprocess: its ``ws://`` URL."""
    with echo_bot() as url:
        yield url
