"""The emulator's own endpoints, under ``/emulator/v1``: the caller of a live call presses
keys, talks, stops talking and hangs up (:mod:`audiofork.emulator.caller`).

They are not part of the Vobiz API, so they live apart from ``/api/v1``; they take the
same credentials (``X-Auth-ID`` / ``X-Auth-Token``, the account in the path) and answer
errors in the same shape:

- ``POST …/Call/{call_uuid}/DTMF/`` ``{"digits", "spacing_ms"}`` → 202
- ``POST …/Call/{call_uuid}/Speak/`` ``{"audio", "seconds", "mode"}``, or a WAV file as the
  body (``Content-Type: audio/wav``, at most :data:`MAX_WAV_BYTES`) with ``seconds`` and
  ``mode`` in the query → 202
- ``DELETE …/Call/{call_uuid}/Speak/`` → 204 (stop talking)
- ``POST …/Call/{call_uuid}/Hangup/`` → 204
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from audiofork.emulator import caller
from audiofork.emulator.audio import Pcm
from audiofork.emulator.rest_common import (
    Handler,
    api_id,
    error_response,
    read_params,
    requested_call,
)
from audiofork.errors import ValidationError
from audiofork.platform import DTMF_SPACING_MS
from audiofork.vobiz import _params

__all__ = ["EMULATOR_BASE", "MAX_WAV_BYTES", "ROUTES", "WAV_TYPES"]

#: Where the emulator's own endpoints live.
EMULATOR_BASE = "/emulator/v1"
#: The largest WAV body ``Speak`` reads (8 MiB: 4.4 minutes of 16 kHz audio).
MAX_WAV_BYTES = 8 << 20
#: The content types of a WAV body.
WAV_TYPES = ("audio/wav", "audio/x-wav", "audio/wave")
_NAMED = ("speech", "silence", "tone")


async def dtmf(request: web.Request) -> web.Response:
    """``POST …/DTMF/``: the caller presses ``digits`` (202)."""
    call = requested_call(request)
    params = await read_params(request)
    digits = params.get("digits")
    if not isinstance(digits, str):
        raise ValidationError(
            f"digits is required: a string of the keys 0-9, *, #, A-D, got {_params.shown(digits)}"
        )
    stream_ids = caller.press_keys(call, digits, params.get("spacing_ms", DTMF_SPACING_MS))
    reply = {
        "api_id": api_id(),
        "message": "digits sent",
        "digits": digits,
        "stream_ids": list(stream_ids),
    }
    return web.json_response(reply, status=202)


async def speak(request: web.Request) -> web.StreamResponse:
    """``POST …/Speak/``: the caller says a named clip or an uploaded WAV (202)."""
    call = requested_call(request)
    if request.content_type in WAV_TYPES:
        data = await _wav_body(request)
        if data is None:
            return error_response(413, f"the WAV body is larger than {MAX_WAV_BYTES} bytes")
        options: dict[str, Any] = dict(request.query)
        pcm, rate = caller.wav_clip(data)
        seconds = options.get("seconds")
        if seconds is not None:
            pcm = pcm[: round(caller.seconds_param(seconds) * max(rate, 0))]
    else:
        options = await read_params(request)
        pcm, rate = _named_clip(options.get("audio", "speech"), options.get("seconds"))
    spoken = caller.talk(call, pcm, rate, options.get("mode", "replace"))
    reply = {
        "api_id": api_id(),
        "message": "the caller is speaking",
        "stream_ids": list(spoken.stream_ids),
        "duration_ms": round(spoken.duration_ms, 3),
    }
    return web.json_response(reply, status=202)


async def stop_speaking(request: web.Request) -> web.Response:
    """``DELETE …/Speak/``: drop what the caller was still to say (204)."""
    caller.stop_talking(requested_call(request))
    return web.Response(status=204)


async def hangup(request: web.Request) -> web.Response:
    """``POST …/Hangup/``: the caller hangs up (204; idempotent)."""
    caller.hang_up(requested_call(request))
    return web.Response(status=204)


def _named_clip(audio: object, seconds: object) -> tuple[Pcm, int]:
    """The clip a REST ``audio`` names: never a path (the server's files are not the
    caller's)."""
    if not isinstance(audio, str) or not (audio in _NAMED or audio.startswith("tone:")):
        raise ValidationError(
            f"audio must be one of {', '.join(caller.SPOKEN_AUDIO)} (send a WAV file as an "
            f"audio/wav body instead), got {_params.shown(audio)}"
        )
    return caller.clip_of(audio, None if seconds is None else caller.seconds_param(seconds))


async def _wav_body(request: web.Request) -> bytes | None:
    """The request body, or ``None`` past :data:`MAX_WAV_BYTES` (the rest unread)."""
    declared = request.content_length
    if declared is not None and declared > MAX_WAV_BYTES:
        return None
    body = bytearray()
    async for chunk in request.content.iter_chunked(1 << 16):
        body += chunk
        if len(body) > MAX_WAV_BYTES:
            return None
    return bytes(body)


_CALL = f"{EMULATOR_BASE}/Account/{{auth_id}}/Call/{{call_uuid}}/"
#: ``(method, path, handler)`` of every endpoint.
ROUTES: list[tuple[str, str, Handler]] = [
    ("POST", _CALL + "DTMF/", dtmf),
    ("POST", _CALL + "Speak/", speak),
    ("DELETE", _CALL + "Speak/", stop_speaking),
    ("POST", _CALL + "Hangup/", hangup),
]
