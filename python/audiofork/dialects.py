"""Which platform's message shapes a stream speaks: :class:`Dialect`.

The events are the same in every dialect; only the wire text differs. A Twilio ``mark``
from the platform is a :class:`~audiofork.events.PlayedStream`, from the app a
:class:`~audiofork.events.Checkpoint`; Twilio's ``clear`` is a
:class:`~audiofork.events.ClearAudio`, its app ``media`` a
:class:`~audiofork.events.PlayAudio` (always μ-law at 8 kHz); its ``streamSid``,
``callSid`` and ``accountSid`` are the stream, call and account ids, and its
``customParameters`` the ``start``'s ``extra_headers``. ``docs/dialects.md`` has the
field-by-field table.

>>> from audiofork import Dialect, wire
>>> wire.checkpoint("MZ1", "greeting", dialect=Dialect.TWILIO)
'{"event":"mark","streamSid":"MZ1","mark":{"name":"greeting"}}'
>>> wire.detect_dialect('{"event":"connected","protocol":"Call","version":"1.0.0"}')
<Dialect.TWILIO: 'twilio'>
"""

from __future__ import annotations

from enum import Enum

from audiofork.errors import FormatError

__all__ = ["Dialect", "check_dialect"]


class Dialect(str, Enum):
    """A platform's message shapes; a ``str``, so it goes wherever a dialect name does."""

    #: Vobiz (the default): ``streamId``, ``playAudio``, ``checkpoint``/``playedStream``,
    #: ``clearAudio``/``clearedAudio``.
    VOBIZ = "vobiz"
    #: Plivo: Vobiz's shapes; ``sequenceNumber`` from 1, ``extra_headers`` as ``k=v;k=v``,
    #: and the app may send ``sendDTMF``.
    PLIVO = "plivo"
    #: Twilio Media Streams: ``connected`` first, ``streamSid``, string counters, μ-law at
    #: 8 kHz only; the app sends ``media``, ``mark`` and ``clear``, and a ``clear`` makes
    #: the platform echo every pending ``mark``.
    TWILIO = "twilio"

    def __str__(self) -> str:
        return self.value


def check_dialect(dialect: object) -> Dialect | None:
    """``dialect`` (a :class:`Dialect`, its name, or ``None``) as a :class:`Dialect`;
    ``TypeError`` for another type, ``FormatError`` naming ``dialect`` for another name."""
    if dialect is None or isinstance(dialect, Dialect):
        return dialect
    if not isinstance(dialect, str):
        raise TypeError(f"dialect must be a Dialect, its name or None, got {dialect!r}")
    try:
        return Dialect(dialect)
    except ValueError:
        names = ", ".join(repr(d.value) for d in Dialect)
        raise FormatError(f"dialect: {dialect!r} is not a dialect; expected {names}") from None
