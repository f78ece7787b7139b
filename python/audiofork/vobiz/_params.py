"""Stream parameter rules, written once for the ``<Stream>`` element and the REST start call,
and the liberal value conversions the XML, REST and callback parsers share.

Every check takes the name the caller knows the value by and raises
:class:`~audiofork.errors.ValidationError` naming it and the bad value.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Literal
from urllib.parse import urlsplit

from audiofork.errors import FormatError, ValidationError
from audiofork.formats import MediaFormat
from audiofork.vobiz._redact import redact_url

AudioTrack = Literal["inbound", "outbound", "both"]
CallbackMethod = Literal["GET", "POST"]

AUDIO_TRACKS: tuple[AudioTrack, ...] = ("inbound", "outbound", "both")
CALLBACK_METHODS: tuple[CallbackMethod, ...] = ("GET", "POST")
#: Content types a stream may carry (PROTOCOL §1; 24 kHz L16 is listed by some pages only).
CONTENT_TYPES = (
    "audio/x-l16;rate=8000",
    "audio/x-l16;rate=16000",
    "audio/x-l16;rate=24000",
    "audio/x-mulaw;rate=8000",
)
EXTRA_HEADERS_MAX_BYTES = 512
MAX_RETRIES_LIMIT = 10
#: The most digits an integer may have (leading zeros not counted): more is refused, text
#: before any conversion. Under 640, the lowest limit ``sys.set_int_max_str_digits`` takes,
#: so reading or printing an accepted value never meets Python's digit limit.
MAX_INTEGER_DIGITS = 600
#: How much of a refused value an error message quotes.
SHOWN_CHARS = 80

_INTEGER_TEXT = re.compile(r"([+-]?)0*([0-9]+)")
_INTEGER_CEILING = 10**MAX_INTEGER_DIGITS
_HEADER_TOKEN = r"[A-Za-z0-9_]+"
_EXTRA_HEADERS = re.compile(
    rf"{_HEADER_TOKEN}={_HEADER_TOKEN}(?:,{_HEADER_TOKEN}={_HEADER_TOKEN})*"
)


def shown(value: object) -> str:
    """``value`` as an error message quotes it: its repr, cut to :data:`SHOWN_CHARS`
    characters with the full length said, and an integer too long to print described by
    its size. Never raises."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"an integer of about {int(value.bit_length() * 0.30103) + 1} digits"
    if isinstance(value, (str, bytes)) and len(value) > SHOWN_CHARS:
        return f"{value[:SHOWN_CHARS]!r}… ({len(value)} characters)"
    try:
        text = repr(value)
    except Exception:  # a foreign object whose repr fails still gets a message
        text = f"<{type(value).__name__}>"
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…"


def _url(field: str, value: object, schemes: tuple[str, ...]) -> str:
    """Errors quote the URL redacted: a URL may carry a secret (see :mod:`._redact`)."""
    wanted = " or ".join(f"{s}://" for s in schemes)
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be a {wanted} URL string, got {shown(value)}")
    quoted = shown(redact_url(value))
    if not value.isprintable() or " " in value:
        raise ValidationError(
            f"{field} must not contain whitespace or control characters: {quoted}"
        )
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - parsing the port validates it
    except ValueError as exc:
        reason = redact_url(str(exc)) if "://" in str(exc) else str(exc)
        raise ValidationError(f"{field} is not a valid URL ({reason}): {quoted}") from None
    if parts.scheme.lower() not in schemes:
        raise ValidationError(f"{field} must be a {wanted} URL, got {quoted}")
    if not parts.hostname:
        raise ValidationError(f"{field} has no host: {quoted}")
    return value


def ws_url(field: str, value: object) -> str:
    """A ``wss://`` (or, for local testing, ``ws://``) URL with a host."""
    return _url(field, value, ("wss", "ws"))


def http_url(field: str, value: object) -> str:
    """An ``https://`` or ``http://`` URL with a host."""
    return _url(field, value, ("https", "http"))


def audio_track(field: str, value: object) -> AudioTrack:
    """``inbound``, ``outbound`` or ``both`` (any case)."""
    folded = value.lower() if isinstance(value, str) else value
    if folded not in AUDIO_TRACKS:
        raise ValidationError(
            f"{field} must be one of {', '.join(AUDIO_TRACKS)}, got {shown(value)}"
        )
    return folded


def callback_method(field: str, value: object) -> CallbackMethod:
    """``GET`` or ``POST`` (any case)."""
    folded = value.upper() if isinstance(value, str) else value
    if folded not in CALLBACK_METHODS:
        raise ValidationError(f"{field} must be GET or POST, got {shown(value)}")
    return folded


def boolean(field: str, value: object) -> bool:
    """A bool, or the strings ``"true"``/``"false"`` in any case."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ValidationError(f"{field} must be true or false, got {shown(value)}")


def integer(field: str, value: object, low: int, high: int | None = None) -> int:
    """The one checked integer reader: an int, or text of ASCII decimal digits with an
    optional sign (no spaces, no other digits), in ``[low, high]``; bools are refused.

    A value of more than :data:`MAX_INTEGER_DIGITS` digits is refused (text before it is
    converted), whatever the bounds. Every refusal is a :class:`ValidationError` naming
    ``field``, of kind ``out_of_range`` (``wrong_type`` for a value that is neither text nor
    an int, ``bad_value`` for text that is not an integer)."""
    bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
    if isinstance(value, str):
        match = _INTEGER_TEXT.fullmatch(value)
        if match is None:
            raise ValidationError(f"{field} must be an integer, got {shown(value)}")
        sign, digits = match.groups()
        if len(digits) > MAX_INTEGER_DIGITS:
            raise ValidationError(
                f"{field} must be {bounds} (at most {MAX_INTEGER_DIGITS} digits), "
                f"got {shown(value)}",
                kind="out_of_range",
            )
        number = int(sign + digits)
    elif isinstance(value, int) and not isinstance(value, bool):
        if abs(value) >= _INTEGER_CEILING:
            raise ValidationError(
                f"{field} must be {bounds} (at most {MAX_INTEGER_DIGITS} digits), "
                f"got {shown(value)}",
                kind="out_of_range",
            )
        number = value
    else:
        raise ValidationError(f"{field} must be an integer, got {shown(value)}", kind="wrong_type")
    if number < low or (high is not None and number > high):
        raise ValidationError(f"{field} must be {bounds}, got {shown(value)}", kind="out_of_range")
    return number


def content_type(field: str, value: object) -> str:
    """One of :data:`CONTENT_TYPES`, returned in its canonical spelling."""
    allowed = ", ".join(CONTENT_TYPES)
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be one of {allowed}, got {shown(value)}")
    try:
        canonical = MediaFormat.parse(value).content_type
    except FormatError:
        canonical = None
    if canonical not in CONTENT_TYPES:
        raise ValidationError(f"{field} must be one of {allowed}, got {shown(value)}")
    return canonical


def extra_headers(field: str, value: object) -> str:
    """``key=value`` pairs joined by commas, ``[A-Za-z0-9_]`` only, at most 512 bytes."""
    if not isinstance(value, str) or not _EXTRA_HEADERS.fullmatch(value):
        raise ValidationError(
            f"{field} must be key=value pairs joined by commas, keys and values "
            f"of letters, digits and underscores, got {shown(value)}"
        )
    size = len(value.encode())
    if size > EXTRA_HEADERS_MAX_BYTES:
        raise ValidationError(
            f"{field} must be at most {EXTRA_HEADERS_MAX_BYTES} bytes, got {size} bytes"
        )
    return value


def combination(
    bidirectional: bool, track: AudioTrack | None, keep_call_alive: bool = False
) -> None:
    """The rules between fields: a bidirectional stream forks only ``inbound`` audio, and
    ``keep_call_alive`` needs a bidirectional stream."""
    if bidirectional and track not in (None, "inbound"):
        raise ValidationError(
            f"audio_track must be 'inbound' when bidirectional is true, got {track!r}"
        )
    if keep_call_alive and not bidirectional:
        raise ValidationError("keep_call_alive=true requires bidirectional=true")


_FRACTION = re.compile(r"(:\d\d\.)(\d+)")


def timestamp(field: str, value: object, *, assume_utc: bool) -> datetime:
    """An ISO-8601-like time (``T`` or space, optional fraction, ``Z`` or ``±HH:MM``).

    Without an offset the result is UTC when ``assume_utc`` is true, else naive.
    """
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be a date-time string, got {shown(value)}")
    text = value.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    # Python 3.10's fromisoformat takes exactly 3 or 6 fraction digits; give it 6, cutting
    # past microseconds as 3.11 and later do.
    text = _FRACTION.sub(lambda m: m[1] + m[2][:6].ljust(6, "0"), text, count=1)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{field} is not a valid date-time: {shown(value)}") from None
    if moment.tzinfo is None and assume_utc:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment
