"""The emulator's console: a web page at ``/`` that shows an account's calls live and acts
on them, and a softphone that makes the browser the caller.

- :mod:`~audiofork.emulator.console.auth`: one-time login links, session cookies, HTTP Basic;
- :mod:`~audiofork.emulator.console.state`: the :class:`Console` of one emulator;
- :mod:`~audiofork.emulator.console.views`: the JSON views of calls and streams;
- :mod:`~audiofork.emulator.console.feed`: the page's WebSocket (live views, actions);
- :mod:`~audiofork.emulator.console.softphone`: the microphone in, the caller's ear out;
- :mod:`~audiofork.emulator.console.web`: the routes; the page itself is in ``static/``
  (HTML, CSS, JavaScript and two audio worklets, no build step).
"""

from __future__ import annotations

from audiofork.emulator.console.state import Console
from audiofork.emulator.console.web import install

__all__ = ["Console", "install"]
