"""``--answer-url``: ask the app's answer URL for its VobizXML as the platform does when a
call is answered, and take the stream to open from its ``<Stream>``.

The request carries the call's fields (``CallUUID``, ``From``, ``To``, ``Direction``,
``CallStatus``, ``Event``), form-encoded for ``POST`` or in the query for ``GET``, signed
(V3 and V2 headers) when an auth token is given. The first ``<Stream>`` of the answer gives
the WebSocket URL, the content type, the tracks, whether it is bidirectional, the extra
headers and the stream timeout. Status callbacks are not sent.
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
import uuid

import aiohttp

from audiofork.errors import AudioforkError, ValidationError
from audiofork.simulate.runner import CallOptions
from audiofork.vobiz.signature import sign, signature_header_names
from audiofork.vobiz.xml import StreamElement, parse_response

__all__ = ["MAX_ANSWER_BYTES", "fetch_stream", "options_from_stream"]

#: The longest answer read (bytes).
MAX_ANSWER_BYTES = 1 << 20


def _signed(url: str, auth_token: str) -> dict[str, str]:
    headers: dict[str, str] = {}
    for version in ("v3", "v2"):
        nonce = str(secrets.randbelow(10**20)).zfill(20)
        signature_name, nonce_name = signature_header_names(version)
        headers[signature_name] = sign(url, nonce, auth_token, version)
        headers[nonce_name] = nonce
    return headers


async def fetch_stream(
    answer_url: str,
    *,
    method: str = "POST",
    auth_token: str | None = None,
    timeout_s: float = 10.0,
) -> StreamElement:
    """The first ``<Stream>`` of the app's answer;
    :class:`~audiofork.errors.ValidationError` saying why when there is none."""
    fields = {
        "CallUUID": str(uuid.uuid4()),
        "From": "+15550100001",
        "To": "+15550100002",
        "Direction": "inbound",
        "CallStatus": "in-progress",
        "Event": "StartApp",
    }
    headers = _signed(answer_url, auth_token) if auth_token else {}
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as http:
            if method == "GET":
                request = http.get(answer_url, params=fields, headers=headers)
            else:
                request = http.post(answer_url, data=fields, headers=headers)
            async with request as reply:
                body = await reply.content.read(MAX_ANSWER_BYTES + 1)
                status = reply.status
    # asyncio.TimeoutError: aiohttp's total timeout; not the builtin before Python 3.11.
    except (aiohttp.ClientError, OSError, asyncio.TimeoutError, TimeoutError) as exc:
        timed_out = isinstance(exc, (asyncio.TimeoutError, TimeoutError))
        why = "no answer within the timeout" if timed_out else exc
        raise ValidationError(f"answer URL {answer_url}: {why}") from None
    if len(body) > MAX_ANSWER_BYTES:
        raise ValidationError(
            f"answer URL {answer_url}: the answer passes {MAX_ANSWER_BYTES} bytes"
        )
    if not 200 <= status < 300:
        raise ValidationError(f"answer URL {answer_url}: HTTP {status}: {body[:200]!r}")
    try:
        response = parse_response(body)
    except AudioforkError as exc:
        raise ValidationError(
            f"answer URL {answer_url}: the answer is not valid VobizXML: {exc}"
        ) from None
    stream = next((e for e in response if isinstance(e, StreamElement)), None)
    if stream is None:
        raise ValidationError(f"answer URL {answer_url}: the answer has no <Stream>")
    return stream


def options_from_stream(options: CallOptions, stream: StreamElement) -> CallOptions:
    """``options`` with the stream's URL, format, tracks, direction, extra headers and
    timeout."""
    if stream.audio_track == "outbound":
        raise ValidationError(
            "the answer's <Stream> forks only the outbound track: the simulated caller needs "
            "the inbound one"
        )
    headers = dict(
        pair.partition("=")[::2] for pair in (stream.extra_headers or "").split(",") if "=" in pair
    )
    return dataclasses.replace(
        options,
        url=stream.url,
        content_type=stream.content_type,
        tracks=("inbound", "outbound") if stream.audio_track == "both" else ("inbound",),
        bidirectional=stream.bidirectional,
        extra_headers=headers,
        max_call_s=min(options.max_call_s, float(stream.stream_timeout)),
    )
