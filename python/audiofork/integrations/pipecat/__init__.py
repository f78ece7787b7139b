"""audiofork for pipecat (``audiofork[pipecat]``): a telephony serializer whose "bot
stopped speaking" is the platform's playout, not the end of sending.

- :class:`AudioforkSerializer`: a pipecat ``FrameSerializer`` for Vobiz, Plivo and Twilio
  media streams (in place of pipecat's ``VobizFrameSerializer``, ``PlivoFrameSerializer``
  and ``TwilioFrameSerializer``); each frame in or out is one call into the Rust core.
- :class:`AudioforkPlayout`: the processor placed just before ``transport.output()`` that
  marks the end of each reply on the wire and turns the platform's confirmations into
  ``BotStartedSpeakingFrame``, ``BotSpeakingFrame``, ``BotStoppedSpeakingFrame`` and
  :class:`UtteranceHeardFrame`.
- :func:`read_start`: the platform's first messages read off the socket, up to ``start``.

``docs/pipecat.md`` says which frame comes when.
"""

from __future__ import annotations

from audiofork.integrations.pipecat._frames import UtteranceHeardFrame
from audiofork.integrations.pipecat._playout import AudioforkPlayout
from audiofork.integrations.pipecat._serializer import AudioforkSerializer
from audiofork.integrations.pipecat._start import read_start

__all__ = ["AudioforkPlayout", "AudioforkSerializer", "UtteranceHeardFrame", "read_start"]
