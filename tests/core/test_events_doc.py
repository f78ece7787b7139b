"""The examples in the ``audiofork.events`` docstring run, and show what they say."""

from __future__ import annotations

import doctest

import audiofork.events


def test_events_docstring_examples_run() -> None:
    result = doctest.testmod(audiofork.events, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 8
    assert result.failed == 0
