"""The exchange: an emulator's accounts and calls, and the one place that authenticates.

Ended calls are kept for the API and the status page, the last ``max_ended_calls`` of them
(a call is retired once it has hung up and its streams have closed); an older one is
forgotten, and the API answers 404 for it.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import uuid
from collections import deque
from dataclasses import replace
from typing import Literal

from audiofork.emulator.audio import AudioSource
from audiofork.emulator.calls import Call
from audiofork.emulator.forks import CallParty
from audiofork.emulator.services import Services

__all__ = ["Exchange"]

_log = logging.getLogger("audiofork.emulator")


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


#: Ended calls kept by default.
MAX_ENDED_CALLS = 1000


class Exchange:
    """Accounts (auth id → token), the live calls and the last ``max_ended_calls`` ended
    ones (:attr:`calls`, in the order placed)."""

    def __init__(
        self,
        accounts: dict[str, str],
        services: Services,
        *,
        max_ended_calls: int = MAX_ENDED_CALLS,
    ) -> None:
        self._accounts = dict(accounts)
        self.services = services
        self.max_ended_calls = max_ended_calls
        self.calls: dict[str, Call] = {}
        self._ended: deque[str] = deque()  # retired calls, oldest first
        self.forgotten = 0  # ended calls dropped from the history

    @property
    def account_ids(self) -> list[str]:
        """The configured auth ids."""
        return list(self._accounts)

    def authenticate(self, auth_id: str, auth_token: str) -> bool:
        """Whether ``auth_token`` is ``auth_id``'s token; compared in constant time, with a
        comparison made even for an unknown id."""
        expected = self._accounts.get(auth_id)
        known = expected is not None
        matched = hmac.compare_digest(_bytes(expected or auth_token + "\0"), _bytes(auth_token))
        return known and matched

    def place_call(
        self,
        account_id: str,
        from_: str,
        to: str,
        answer_url: str,
        answer_method: Literal["GET", "POST"],
        *,
        caller: AudioSource | None = None,
    ) -> Call:
        """Fire a call for ``account_id`` (an authenticated account): it rings, fetches
        ``answer_url`` and runs the XML in the background. ``caller`` is this call's caller
        audio instead of the emulator's (the softphone's silence under the microphone)."""
        call_uuid = str(uuid.uuid4())
        party = CallParty(call_uuid, account_id, from_, to, self._accounts[account_id])
        services = self.services if caller is None else replace(self.services, caller=caller)
        call = Call(party, answer_url, answer_method, services, on_finished=self._retire)
        self.calls[call_uuid] = call
        _log.info("call %s: fired from %s to %s for %s", call_uuid, from_, to, account_id)
        call.start()
        return call

    def _retire(self, call: Call) -> None:
        """``call`` has ended and its streams closed: keep it among the last ended ones."""
        self._ended.append(call.uuid)
        while len(self._ended) > self.max_ended_calls:
            del self.calls[self._ended.popleft()]
            self.forgotten += 1

    def call(self, account_id: str, call_uuid: str) -> Call | None:
        """The account's call with this id, live or ended (and not yet forgotten)."""
        call = self.calls.get(call_uuid)
        return call if call is not None and call.party.account_id == account_id else None

    def calls_of(self, account_id: str) -> list[Call]:
        """The account's calls, live and kept, in the order placed."""
        return [call for call in self.calls.values() if call.party.account_id == account_id]

    async def close(self, timeout_s: float) -> None:
        """Hang up every live call and wait up to ``timeout_s`` for their streams to end
        (recordings flushed)."""
        calls = list(self.calls.values())  # calls that end are retired meanwhile
        for call in calls:
            call.hangup("shutdown")
        waits = {asyncio.ensure_future(call.finished()): call for call in calls}
        if not waits:
            return
        _, late = await asyncio.wait(waits, timeout=timeout_s)
        for wait in late:
            wait.cancel()
            await waits[wait].abort()
        if late:
            _log.warning("%d calls had not ended %.1f s after shutdown", len(late), timeout_s)
