"""Stream status callbacks: parse them, and verify their signatures and nonces.

:func:`parse_status_callback` reads the fields of a callback from its query string and body
(form, JSON or none). :func:`read_status_callback` also checks the signature and refuses a
replayed nonce; :func:`read_starlette_callback` and :func:`read_aiohttp_callback` do all of
that for a request of those frameworks (imported only for type checking: the frameworks are
optional).

Bodies come from the network, so they are bounded before they are parsed: at most
:data:`MAX_BODY_BYTES` long, and JSON nested at most :data:`MAX_JSON_DEPTH` deep (a callback
is a flat object; the bound keeps hostile nesting from reaching the recursive JSON parser).
The framework helpers read the body only after the signature verified, and stop reading
past the bound.

Errors, the same from every function here: what arrived is refused with
:class:`~audiofork.errors.SignatureError` (no signature, one that does not verify, a
replayed nonce) or :class:`~audiofork.errors.ProtocolError` (a body, content type, field
or time that cannot be read; a body over the bound); both are
:class:`~audiofork.errors.AudioforkError`, so ``except AudioforkError`` catches every
refusal. Only the caller's own arguments (an empty ``auth_token``, an unknown ``version``)
raise :class:`~audiofork.errors.ValidationError`. Messages quote URLs redacted.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from audiofork.errors import ProtocolError, SignatureError, ValidationError
from audiofork.vobiz import _params
from audiofork.vobiz._params import shown
from audiofork.vobiz._redact import redact_url
from audiofork.vobiz.signature import (
    NonceCache,
    SignatureVersion,
    signature_header_names,
    verify_signature,
)

if TYPE_CHECKING:
    import aiohttp.web
    import starlette.requests

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_JSON_DEPTH",
    "STATUS_EVENTS",
    "StatusCallback",
    "parse_status_callback",
    "read_aiohttp_callback",
    "read_starlette_callback",
    "read_status_callback",
]

#: The events PROTOCOL §5 lists (others are accepted and kept as sent).
STATUS_EVENTS = (
    "StartStream",
    "PlayedStream",
    "ClearedAudio",
    "DegradedStream",
    "DroppedStream",
    "StopStream",
)

_EXTRA_HEADER_PREFIX = "x-vh-"

#: The longest status callback body read (bytes, or characters for ``str``); real ones are
#: under 2 kB.
MAX_BODY_BYTES = 64 * 1024
#: The deepest nesting of JSON arrays and objects read in a callback body.
MAX_JSON_DEPTH = 32
_CHUNK_BYTES = 16 * 1024
_DIGITS = re.compile(r"[0-9]+")

_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKET = re.compile(r"[\[\]{}]")


@dataclass(frozen=True)
class StatusCallback:
    """One status callback.

    Fields the platform leaves out (or sends empty, like ``Error`` when healthy) are
    ``None``. ``timestamp`` keeps the platform's zone: naive when it sends none, as it
    documents. ``extra_headers`` maps each ``X-VH-<key>`` field to its value under
    ``<key>``; ``raw`` holds every field as received (JSON values as strings).
    """

    event: str
    stream_id: str | None = None
    call_uuid: str | None = None
    name: str | None = None
    from_: str | None = None
    to: str | None = None
    service_url: str | None = None
    error: str | None = None
    timestamp: datetime | None = None
    extra_headers: Mapping[str, str] = field(default_factory=dict, hash=False)
    raw: Mapping[str, str] = field(default_factory=dict, hash=False, repr=False)


def _key(name: str) -> str:
    """Field names compared liberally: ``StreamID``, ``stream_id`` and ``streamId`` agree."""
    return name.lower().replace("_", "").replace("-", "")


def _json_text(value: object) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, separators=(",", ":"))


def _decode(body: bytes, params: str) -> str:
    charset = "utf-8"
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip('"')
    try:
        return body.decode(charset)
    except (LookupError, ValueError) as exc:  # unknown codec, undecodable bytes
        raise ProtocolError(
            f"status callback body is not {charset[:40]} text: {shown(str(exc))}"
        ) from None


def _json_depth(text: str) -> int:
    """How deep arrays and objects nest in JSON text (brackets inside strings not counted)."""
    depth = deepest = 0
    for bracket in _JSON_BRACKET.findall(_JSON_STRING.sub("", text)):
        if bracket in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _body_fields(body: bytes | str, content_type: str | None) -> list[tuple[str, str]]:
    if len(body) > MAX_BODY_BYTES:
        raise ProtocolError(
            f"status callback body must be at most {MAX_BODY_BYTES} bytes, got {len(body)}",
            kind="too_large",
        )
    mime, _, params = (content_type or "").partition(";")
    mime = mime.strip().lower()
    text = body if isinstance(body, str) else _decode(body, params)
    if not text.strip():
        return []
    if mime == "application/x-www-form-urlencoded":
        return parse_qsl(text, keep_blank_values=True)
    if mime in ("", "text/plain"):
        is_json = text.lstrip().startswith("{")
        if not is_json:
            return parse_qsl(text, keep_blank_values=True)
    elif mime != "application/json" and not mime.endswith("+json"):
        raise ProtocolError(f"status callback content type {shown(content_type)} is not supported")
    depth = _json_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise ProtocolError(
            f"status callback JSON must nest at most {MAX_JSON_DEPTH} deep, got {depth}"
        )
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ProtocolError(f"status callback body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ProtocolError(f"status callback JSON must be an object, got {text[:80]!r}")
    return [(str(k), _json_text(v)) for k, v in data.items()]


def parse_status_callback(
    method: str,
    query: str | Mapping[str, str],
    body: bytes | str,
    content_type: str | None,
) -> StatusCallback:
    """Parse a status callback from its HTTP method, query string (or parsed query), body
    and ``Content-Type``.

    GET callbacks carry their fields in the query string; POST callbacks in a form or JSON
    body, whose fields win over any query-string field of the same name. A body with no
    content type is read as JSON if it starts with ``{``, else as a form. Raises
    :class:`ProtocolError` for an unreadable body, one over :data:`MAX_BODY_BYTES` or JSON
    nested deeper than :data:`MAX_JSON_DEPTH`, or a missing ``Event``.
    """
    verb = method.upper()
    if verb not in ("GET", "POST"):
        raise ProtocolError(f"status callbacks arrive by GET or POST, got method {shown(method)}")
    if isinstance(query, str):
        pairs = parse_qsl(query.lstrip("?"), keep_blank_values=True)
    else:
        pairs = list(query.items())
    if verb == "POST":
        pairs += _body_fields(body, content_type)
    raw = dict(pairs)
    extra = {
        k[len(_EXTRA_HEADER_PREFIX) :]: v
        for k, v in raw.items()
        if k.lower().startswith(_EXTRA_HEADER_PREFIX)
    }
    known = {_key(k): v for k, v in raw.items() if v != ""}
    event = known.get("event")
    if event is None:
        raise ProtocolError("status callback has no Event field")
    stamp = known.get("timestamp")
    try:
        timestamp = (
            None if stamp is None else _params.timestamp("Timestamp", stamp, assume_utc=False)
        )
    except ValidationError as exc:
        raise ProtocolError(f"status callback {exc}") from None
    return StatusCallback(
        event=event,
        stream_id=known.get("streamid"),
        call_uuid=known.get("calluuid"),
        name=known.get("name"),
        from_=known.get("from"),
        to=known.get("to"),
        service_url=known.get("serviceurl"),
        error=known.get("error"),
        timestamp=timestamp,
        extra_headers=extra,
        raw=raw,
    )


def _authenticate(
    url: str,
    headers: Mapping[str, str],
    auth_token: str,
    *,
    nonce_cache: NonceCache | None,
    public_url: str | None,
    version: SignatureVersion,
    parent_account: bool,
) -> dict[str, str]:
    """Verify the signature and spend the nonce; the headers with lower-case names."""
    lowered = {k.lower(): v for k, v in headers.items()}
    signature_name, nonce_name = signature_header_names(version, parent_account=parent_account)
    signature = lowered.get(signature_name.lower(), "")
    nonce = lowered.get(nonce_name.lower(), "")
    signed_url = public_url if public_url is not None else url
    if not signature or not nonce:
        raise SignatureError(f"status callback lacks the {signature_name} or {nonce_name} header")
    if not verify_signature(signed_url, nonce, signature, auth_token, version):
        raise SignatureError(
            f"status callback {signature_name} does not verify for {redact_url(signed_url)!r}"
        )
    if nonce_cache is not None and not nonce_cache.add(nonce):
        raise SignatureError(f"status callback nonce {shown(nonce)} was already used (replay)")
    return lowered


def _parse_authenticated(
    method: str, url: str, lowered: Mapping[str, str], body: bytes | str
) -> StatusCallback:
    query = url.partition("#")[0].partition("?")[2]
    return parse_status_callback(method, query, body, lowered.get("content-type"))


def read_status_callback(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | str,
    auth_token: str,
    *,
    nonce_cache: NonceCache | None,
    public_url: str | None = None,
    version: SignatureVersion = "v3",
    parent_account: bool = False,
) -> StatusCallback:
    """Verify a callback's signature, refuse a replayed nonce, then parse it.

    ``url`` is the URL the request arrived at, query string included. The signature covers
    the URL the platform was told (``statusCallbackUrl``): pass it as ``public_url`` when it
    differs, e.g. behind a proxy that terminates TLS. ``nonce_cache=None`` skips the replay
    check, explicitly. ``parent_account=True`` checks the ``-MA-`` signature, made with the
    parent account's token. Raises :class:`SignatureError` (missing or invalid signature,
    replay) or :class:`ProtocolError` (unreadable callback); see the module doc.
    """
    lowered = _authenticate(
        url,
        headers,
        auth_token,
        nonce_cache=nonce_cache,
        public_url=public_url,
        version=version,
        parent_account=parent_account,
    )
    return _parse_authenticated(method, url, lowered, body)


async def _read_body(chunks: AsyncIterator[bytes], declared_length: str | None) -> bytes:
    """The request body, read no further than :data:`MAX_BODY_BYTES` + 1 bytes."""
    declared = (declared_length or "").strip()
    if _DIGITS.fullmatch(declared) and (len(declared) > 20 or int(declared) > MAX_BODY_BYTES):
        raise ProtocolError(
            f"status callback body must be at most {MAX_BODY_BYTES} bytes, "
            f"got Content-Length {shown(declared)}",
            kind="too_large",
        )
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise ProtocolError(
                f"status callback body must be at most {MAX_BODY_BYTES} bytes, got more",
                kind="too_large",
            )
    return bytes(body)


async def _read_request(
    method: str,
    url: str,
    headers: Mapping[str, str],
    chunks: AsyncIterator[bytes],
    auth_token: str,
    *,
    nonce_cache: NonceCache | None,
    public_url: str | None,
    version: SignatureVersion,
    parent_account: bool,
) -> StatusCallback:
    """What the framework helpers share: authenticate from the headers, then read the body
    (bounded) from ``chunks`` and parse it."""
    lowered = _authenticate(
        url,
        headers,
        auth_token,
        nonce_cache=nonce_cache,
        public_url=public_url,
        version=version,
        parent_account=parent_account,
    )
    body = await _read_body(chunks, lowered.get("content-length"))
    return _parse_authenticated(method, url, lowered, body)


async def read_starlette_callback(
    request: starlette.requests.Request,
    auth_token: str,
    *,
    nonce_cache: NonceCache | None,
    public_url: str | None = None,
    version: SignatureVersion = "v3",
    parent_account: bool = False,
) -> StatusCallback:
    """:func:`read_status_callback` for a Starlette (or FastAPI) request; the body is read
    only after the signature verified, and no further than :data:`MAX_BODY_BYTES`."""
    return await _read_request(
        request.method,
        str(request.url),
        request.headers,
        request.stream(),
        auth_token,
        nonce_cache=nonce_cache,
        public_url=public_url,
        version=version,
        parent_account=parent_account,
    )


async def read_aiohttp_callback(
    request: aiohttp.web.Request,
    auth_token: str,
    *,
    nonce_cache: NonceCache | None,
    public_url: str | None = None,
    version: SignatureVersion = "v3",
    parent_account: bool = False,
) -> StatusCallback:
    """:func:`read_status_callback` for an aiohttp request; the body is read only after the
    signature verified, and no further than :data:`MAX_BODY_BYTES`."""
    return await _read_request(
        request.method,
        str(request.url),
        request.headers,
        request.content.iter_chunked(_CHUNK_BYTES),
        auth_token,
        nonce_cache=nonce_cache,
        public_url=public_url,
        version=version,
        parent_account=parent_account,
    )
