"""The exchange: an emulator's accounts and calls, and the one place that authenticates."""

from __future__ import annotations

import asyncio
import hmac
import logging
import uuid
from typing import Literal

from audiofork.emulator.calls import Call
from audiofork.emulator.forks import CallParty
from audiofork.emulator.services import Services

__all__ = ["Exchange"]

_log = logging.getLogger("audiofork.emulator")


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


class Exchange:
    """Accounts (auth id → token) and every call placed since the start."""

    def __init__(self, accounts: dict[str, str], services: Services) -> None:
        self._accounts = dict(accounts)
        self.services = services
        self.calls: dict[str, Call] = {}

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
    ) -> Call:
        """Fire a call for ``account_id`` (an authenticated account): it rings, fetches
        ``answer_url`` and runs the XML in the background."""
        call_uuid = str(uuid.uuid4())
        party = CallParty(call_uuid, account_id, from_, to, self._accounts[account_id])
        call = Call(party, answer_url, answer_method, self.services)
        self.calls[call_uuid] = call
        _log.info("call %s: fired from %s to %s for %s", call_uuid, from_, to, account_id)
        call.start()
        return call

    def call(self, account_id: str, call_uuid: str) -> Call | None:
        """The account's call with this id, live or ended."""
        call = self.calls.get(call_uuid)
        return call if call is not None and call.party.account_id == account_id else None

    async def close(self, timeout_s: float) -> None:
        """Hang up every live call and wait up to ``timeout_s`` for their streams to end
        (recordings flushed)."""
        for call in self.calls.values():
            call.hangup("shutdown")
        waits = {asyncio.ensure_future(call.finished()): call for call in self.calls.values()}
        if not waits:
            return
        _, late = await asyncio.wait(waits, timeout=timeout_s)
        for wait in late:
            wait.cancel()
            await waits[wait].abort()
        if late:
            _log.warning("%d calls had not ended %.1f s after shutdown", len(late), timeout_s)
