"""Load testing voice apps with simulated calls.

- :class:`EchoCall`: one call, without I/O: a
  :class:`~audiofork.platform.PlatformStream` whose caller speaks frame tags, measuring
  what comes back (added latency per frame, playout gaps, lost/duplicated/reordered
  frames, time to first audio) into a :class:`CallResult`.
- ``python -m audiofork.loadtest.generator``: a lean generator placing hundreds of calls
  from one process over picows (extra ``picows``).
- :mod:`audiofork.loadtest.locust_user`: a Locust ``User`` placing calls, for distributed
  load tests (extra ``locust``).
"""

from __future__ import annotations

from audiofork.loadtest._call import CallResult, EchoCall, TaggedVoice
from audiofork.loadtest._tags import TagReader, tag_frame

__all__ = ["CallResult", "EchoCall", "TagReader", "TaggedVoice", "tag_frame"]
