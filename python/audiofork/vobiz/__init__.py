"""The Vobiz API surface around the audio (PROTOCOL §1 and §5).

- :mod:`~audiofork.vobiz.xml`: the ``<Stream>`` element, ``<Response>`` documents, a safe parser.
- :mod:`~audiofork.vobiz.rest`: the Stream REST API, blocking and asyncio clients (needs the
  ``rest`` extra; imported on first use).
- :mod:`~audiofork.vobiz.callbacks`: status callbacks, parsed and authenticated.
- :mod:`~audiofork.vobiz.signature`: callback signatures, nonce replay cache, stream-URL secrets.
- :func:`redact_url` / :func:`redact_urls`: URLs with their secrets replaced, for logs and pages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from audiofork.vobiz._redact import redact_url, redact_urls
from audiofork.vobiz.callbacks import (
    STATUS_EVENTS,
    StatusCallback,
    parse_status_callback,
    read_aiohttp_callback,
    read_starlette_callback,
    read_status_callback,
)
from audiofork.vobiz.models import Stream
from audiofork.vobiz.signature import (
    NonceCache,
    SignatureVersion,
    check_stream_secret,
    make_stream_url,
    sign,
    signature_header_names,
    verify_signature,
)
from audiofork.vobiz.xml import Element, Response, ResponseElement, StreamElement, parse_response

if TYPE_CHECKING:
    from audiofork.vobiz.rest import (
        DEFAULT_BASE_URL,
        AsyncStreamsClient,
        RetryPolicy,
        StartParams,
        StreamsClient,
    )

#: Names served from :mod:`audiofork.vobiz.rest` on first use, so importing the package (or
#: its signature, XML or callback modules) loads no HTTP client.
_REST_NAMES = frozenset(
    {"DEFAULT_BASE_URL", "AsyncStreamsClient", "RetryPolicy", "StartParams", "StreamsClient"}
)


def __getattr__(name: str) -> object:
    if name in _REST_NAMES:
        from audiofork.vobiz import rest

        return getattr(rest, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_BASE_URL",
    "STATUS_EVENTS",
    "AsyncStreamsClient",
    "Element",
    "NonceCache",
    "Response",
    "ResponseElement",
    "RetryPolicy",
    "SignatureVersion",
    "StartParams",
    "StatusCallback",
    "Stream",
    "StreamElement",
    "StreamsClient",
    "check_stream_secret",
    "make_stream_url",
    "parse_response",
    "parse_status_callback",
    "read_aiohttp_callback",
    "read_starlette_callback",
    "read_status_callback",
    "redact_url",
    "redact_urls",
    "sign",
    "signature_header_names",
    "verify_signature",
]
