"""A blocking client of a running emulator's caller endpoints (``/emulator/v1``), over httpx
(the ``rest`` extra): what ``audiofork caller`` uses to press keys, talk and hang up on a
live call of an emulator in another process::

    with CallerClient("http://127.0.0.1:8080", "MA_DEV", "secret") as client:
        client.dtmf(call_uuid, "123#")
        client.speak(call_uuid, "barge-in.wav", mode="replace")
        client.hangup(call_uuid)

In the emulator's own process, :class:`~audiofork.emulator.Emulator`'s methods do the same
without HTTP. A refused request raises :class:`~audiofork.errors.ApiError` with the
emulator's status and error text (``status`` 0 when no reply came); the auth token never
appears in reprs or errors.
"""

from __future__ import annotations

import pathlib
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx

from audiofork.emulator.caller_api import EMULATOR_BASE, MAX_WAV_BYTES
from audiofork.errors import ApiError, ValidationError

if TYPE_CHECKING:
    from typing import Self

__all__ = ["CallerClient", "is_named_clip"]

#: Real seconds a request may take.
TIMEOUT_S = 30.0


def is_named_clip(audio: str) -> bool:
    """Whether ``audio`` names a clip the emulator makes (``speech``, ``silence``, ``tone``,
    ``tone:<Hz>``) rather than a WAV file to upload."""
    return audio in ("speech", "silence", "tone") or audio.startswith("tone:")


class CallerClient:
    """The caller's actions on calls of the emulator at ``url`` (its base, e.g.
    ``http://127.0.0.1:8080``), for account ``auth_id``."""

    def __init__(
        self,
        url: str,
        auth_id: str,
        auth_token: str,
        *,
        http_client: httpx.Client | None = None,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValidationError(f"url must be an http:// or https:// URL, got {url!r:.80}")
        self.url = url.rstrip("/")
        self.auth_id = auth_id
        self._headers = {"X-Auth-ID": auth_id, "X-Auth-Token": auth_token}
        self._owned = http_client is None
        self._http = http_client if http_client is not None else httpx.Client(timeout=TIMEOUT_S)

    def __repr__(self) -> str:
        return f"CallerClient({self.url!r}, {self.auth_id!r}, <token>)"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP client (if this client made it)."""
        if self._owned:
            self._http.close()

    def dtmf(self, call_uuid: str, digits: str, *, spacing_ms: int | None = None) -> list[str]:
        """Press ``digits``; the ids of the streams that get them."""
        body: dict[str, Any] = {"digits": digits}
        if spacing_ms is not None:
            body["spacing_ms"] = spacing_ms
        reply = self._send("POST", call_uuid, "DTMF", json=body)
        return list(reply["stream_ids"])

    def speak(
        self,
        call_uuid: str,
        audio: str = "speech",
        *,
        seconds: float | None = None,
        mode: str = "replace",
    ) -> dict[str, Any]:
        """Say ``audio``: a named clip (``speech``, ``silence``, ``tone``, ``tone:<Hz>``) or
        the path of a mono 16-bit WAV file, uploaded. The emulator's reply
        (``stream_ids``, ``duration_ms``)."""
        if is_named_clip(audio):
            body: dict[str, Any] = {"audio": audio, "mode": mode}
            if seconds is not None:
                body["seconds"] = seconds
            return self._send("POST", call_uuid, "Speak", json=body)
        data = _wav_file(audio)
        query: dict[str, Any] = {"mode": mode}
        if seconds is not None:
            query["seconds"] = seconds
        headers = {"Content-Type": "audio/wav"}
        return self._send("POST", call_uuid, "Speak", content=data, params=query, headers=headers)

    def stop_speaking(self, call_uuid: str) -> None:
        """Drop what the caller was still to say."""
        self._send("DELETE", call_uuid, "Speak")

    def hangup(self, call_uuid: str) -> None:
        """Hang up as the caller."""
        self._send("POST", call_uuid, "Hangup")

    def _send(self, method: str, call_uuid: str, action: str, **options: Any) -> dict[str, Any]:
        url = f"{self.url}{EMULATOR_BASE}/Account/{self.auth_id}/Call/{call_uuid}/{action}/"
        headers = {**self._headers, **options.pop("headers", {})}
        try:
            reply = self._http.request(method, url, headers=headers, **options)
        except httpx.HTTPError as exc:
            raise ApiError(0, f"{method} {url} failed: {type(exc).__name__}: {exc}") from None
        if reply.status_code == 204:
            return {}
        try:
            body = reply.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise ApiError(reply.status_code, f"the emulator answered {reply.text[:200]!r}")
        if reply.is_error:
            raise ApiError(reply.status_code, str(body.get("error", "")), body.get("api_id"))
        return body


def _wav_file(path: str) -> bytes:
    file = pathlib.Path(path)
    try:
        size = file.stat().st_size
        if size > MAX_WAV_BYTES:
            raise ValidationError(
                f"audio: {path} is {size} bytes; the emulator takes at most {MAX_WAV_BYTES}"
            )
        return file.read_bytes()
    except OSError as exc:
        raise ValidationError(
            f"audio: {path!r} is neither speech, silence, tone[:HZ] nor a readable WAV file "
            f"({exc.strerror or exc})"
        ) from None
