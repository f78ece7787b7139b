"""Calls placed through the emulator (``--answer-url``): where to (:class:`AnswerUrl`), and
what the platform made of each (:class:`PlacedCall`): the call's status, hangup cause and
error, and every status callback it sent the app."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from audiofork.errors import ArgumentError

__all__ = ["AnswerUrl", "Callback", "PlacedCall"]


@dataclass(frozen=True)
class AnswerUrl:
    """Where the platform asks the app what to do with a call, how, and the auth token
    that signs the request and the status callbacks (``None``: a random one)."""

    url: str
    method: Literal["GET", "POST"] = "POST"
    auth_token: str | None = None

    def __post_init__(self) -> None:
        for name in ("url", "auth_token"):
            value = getattr(self, name)
            if not isinstance(value, str) and (name == "url" or value is not None):
                raise TypeError(f"{name} must be a str, got {type(value).__name__}")
        if not self.url.startswith(("http://", "https://")):
            raise ArgumentError(
                f"answer URL must be an http:// or https:// URL, got {self.url!r:.80}"
            )
        if self.method not in ("GET", "POST"):
            raise ArgumentError(f"answer method must be GET or POST, got {self.method!r:.20}")
        token = self.auth_token
        if token is not None and (not token or not token.isprintable() or " " in token):
            raise ArgumentError("auth token must be printable text without spaces")


@dataclass(frozen=True)
class Callback:
    """One status callback: its event, how its last try went (``HTTP 200``, a connection
    error), whether the app accepted it (a 2xx answer) and the tries it took."""

    event: str
    outcome: str
    delivered: bool
    tries: int


@dataclass
class PlacedCall:
    """The call as the emulator saw it."""

    call_uuid: str
    status: str  # ringing, in-progress, completed
    hangup_cause: str | None
    error: str | None  # why the call failed (answer_failed: …), None if it did not
    callback_url: str | None  # the driven stream's statusCallbackUrl, None without one
    callbacks: list[Callback] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "callbacks": [asdict(c) for c in self.callbacks]}

    def text(self) -> str:
        """One line: the call's end and its callbacks, runs of alike ones counted."""
        ended = f"{self.status} ({self.hangup_cause or 'live'})"
        if self.error:
            ended += f": {self.error}"
        if self.callback_url is None:
            return f"platform call {self.call_uuid} {ended}; no status callback URL"
        runs: list[tuple[str, str, int]] = []
        for c in self.callbacks:
            outcome = c.outcome if c.delivered else f"{c.outcome} (refused after {c.tries} tries)"
            if runs and runs[-1][:2] == (c.event, outcome):
                runs[-1] = (c.event, outcome, runs[-1][2] + 1)
            else:
                runs.append((c.event, outcome, 1))
        shown = ", ".join(
            f"{event}{f' x{n}' if n > 1 else ''} {outcome}" for event, outcome, n in runs
        )
        return f"platform call {self.call_uuid} {ended}; status callbacks: {shown or 'none'}"
