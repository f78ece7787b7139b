"""Everything that decides what a stream may do: its states, why it ends, how a checkpoint
resolves, the transition table, and the rules of what each state allows.

Nothing here has side effects. The session asks before it changes anything, so a refused
message or call leaves no trace, and moves its :class:`Lifecycle` only through the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import Final, Literal, TypeAlias

from audiofork.errors import ProtocolError, StreamStateError
from audiofork.events import (
    Checkpoint,
    ClearAudio,
    ClearedAudio,
    Connected,
    Dtmf,
    Event,
    Media,
    PlayAudio,
    PlayedStream,
    SendDtmf,
    Start,
    Stop,
    UnknownEvent,
)

__all__ = [
    "START",
    "TRANSITIONS",
    "CheckpointOutcome",
    "CloseReason",
    "Lifecycle",
    "PlatformEvent",
    "StreamState",
    "Trigger",
    "check_inbound",
    "check_playback",
    "diagram",
]


class StreamState(str, Enum):
    """Where a stream stands."""

    AWAITING_START = "awaiting_start"
    STREAMING = "streaming"
    CLOSED = "closed"


class CloseReason(str, Enum):
    """Why a stream ended; also the session's closing triggers."""

    #: The platform sent ``stop``.
    STOP_RECEIVED = "stop_received"
    #: The app called ``stop()`` (``stop`` is sent to the platform).
    STOPPED = "stopped"
    #: The app called ``close()``.
    CLOSED = "closed"
    #: The driver reported the socket gone (``connection_lost()``).
    CONNECTION_LOST = "connection_lost"


class CheckpointOutcome(str, Enum):
    """How a checkpoint resolved."""

    #: The platform confirmed everything queued before it played (``playedStream``).
    PLAYED = "played"
    #: A clear dropped the audio before it was confirmed.
    CLEARED = "cleared"
    #: The stream ended (stop, close or lost connection) before it was confirmed.
    CLOSED = "closed"


#: The trigger of the ``start`` message.
START: Final = "start"
#: What moves a stream: ``start`` from the platform, or one of the closing triggers.
Trigger: TypeAlias = Literal["start"] | CloseReason

#: The whole state machine: (state, trigger) -> next state. Anything else is not allowed.
TRANSITIONS: Final[Mapping[tuple[StreamState, Trigger], StreamState]] = MappingProxyType(
    {
        (StreamState.AWAITING_START, START): StreamState.STREAMING,
        **{(StreamState.AWAITING_START, reason): StreamState.CLOSED for reason in CloseReason},
        **{(StreamState.STREAMING, reason): StreamState.CLOSED for reason in CloseReason},
    }
)

#: What the platform may send.
PlatformEvent: TypeAlias = (
    Connected | Start | Media | PlayedStream | ClearedAudio | Dtmf | Stop | UnknownEvent
)


@dataclass(slots=True)
class Lifecycle:
    """A stream's state, moved only through :data:`TRANSITIONS`, and why it ended."""

    state: StreamState = StreamState.AWAITING_START
    close_reason: CloseReason | None = None
    #: ``state`` is ``CLOSED``: a plain attribute, read once per message by a driver
    #: (an Enum member lookup is a descriptor call on Python 3.11).
    closed: bool = field(init=False)

    def __post_init__(self) -> None:
        self.closed = self.state is StreamState.CLOSED

    def check(self, trigger: Trigger) -> StreamState:
        """The state ``trigger`` leads to; ``ProtocolError`` if the table does not allow it
        (only ``start`` can be refused: the closing calls are no-ops once closed)."""
        try:
            return TRANSITIONS[(self.state, trigger)]
        except KeyError:
            raise ProtocolError(
                f"event: {trigger!s} is not allowed in state {self.state.value}",
                kind="wrong_state",
            ) from None

    def move(self, trigger: Trigger) -> None:
        """Take the transition for ``trigger``, checked as :meth:`check` does."""
        self.state = self.check(trigger)
        self.closed = self.state is StreamState.CLOSED
        if isinstance(trigger, CloseReason):
            self.close_reason = trigger


def check_inbound(event: Event) -> PlatformEvent:
    """``event``, if the platform may send it; ``ProtocolError`` in any state for a message
    only the app sends (``playAudio``, ``checkpoint``, ``clearAudio``, ``sendDTMF``)."""
    if isinstance(event, PlayAudio | Checkpoint | ClearAudio | SendDtmf):
        raise ProtocolError(f"event: {type(event).EVENT!r} is sent by the app, not received")
    return event


def check_playback(
    what: str, lifecycle: Lifecycle, format_known: bool, start: Start | None
) -> None:
    """``StreamStateError`` saying why ``what`` (play, flush, checkpoint) cannot be done:
    the stream is closed, or the ``playAudio`` format is not known (not given, and not
    one ``start`` announced that ``playAudio`` can carry)."""
    if lifecycle.closed:
        reason = lifecycle.close_reason.value if lifecycle.close_reason else "closed"
        raise StreamStateError(f"cannot {what}: the stream is closed ({reason})")
    if format_known:
        return
    if start is None:
        raise StreamStateError(
            f"cannot {what} before start: the playback format is not known yet"
            " (pass playback_format, or wait for the start event)"
        )
    raise StreamStateError(
        f"cannot {what}: start.mediaFormat {start.media_format.content_type}"
        " cannot be sent in playAudio; pass playback_format"
    )


def diagram() -> str:
    """The transition table as a Mermaid state diagram (``docs/session.md`` shows it)."""
    edges: dict[tuple[StreamState, StreamState], list[str]] = {}
    for (source, trigger), target in TRANSITIONS.items():
        label = trigger.value if isinstance(trigger, CloseReason) else trigger
        edges.setdefault((source, target), []).append(label)
    lines = ["stateDiagram-v2", f"    [*] --> {StreamState.AWAITING_START.value}"]
    lines += [
        f"    {source.value} --> {target.value}: {', '.join(labels)}"
        for (source, target), labels in edges.items()
    ]
    lines += [f"    {StreamState.CLOSED.value} --> [*]"]
    return "\n".join(lines) + "\n"
