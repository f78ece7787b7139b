"""Secrets out of URLs before they reach a page, a log line or an error message.

A stream URL may carry a secret (:func:`~audiofork.vobiz.make_stream_url` puts one in the
query; :func:`~audiofork.vobiz.check_stream_secret` also takes one as the last path
segment), and any URL may carry a password or an API key. :func:`redact_url` replaces
whole values, chosen by their place in the URL, never by searching for a known secret's
text: every query value, the password of the user info, the fragment, and every path
segment shaped like a secret (16 or more URL-safe characters, what ``make_stream_url``
accepts). Scheme, host, port, the other path segments and the query's parameter names stay,
so a redacted URL still tells which endpoint it was.
"""

from __future__ import annotations

import re

__all__ = ["REDACTED", "redact_url", "redact_urls"]

#: What stands in for a redacted value.
REDACTED = "***"

_SECRET_SEGMENT = re.compile(r"[A-Za-z0-9._~%-]{16,}")
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>`]+")
_TRAILING = ".,;:!?)]}"


def _query(query: str) -> str:
    items = []
    for item in query.split("&"):
        name, sep, value = item.partition("=")
        if sep:
            items.append(f"{name}={REDACTED if value else ''}")
        else:
            items.append(REDACTED if item else "")
    return "&".join(items)


def _path(path: str) -> str:
    segments = path.split("/")
    return "/".join(REDACTED if _SECRET_SEGMENT.fullmatch(s) else s for s in segments)


def redact_url(url: str) -> str:
    """``url`` with its secrets replaced by ``***``: ``wss://u:pw@app.example/ws/<secret>?
    lang=en&token=<secret>`` → ``wss://u:***@app.example/ws/***?lang=***&token=***``.

    Works on text that is not a valid URL too (a bad port, say), by the same places."""
    head, hashmark, fragment = url.partition("#")
    head, question, query = head.partition("?")
    scheme, sep, rest = head.partition("://")
    if not sep:
        scheme, rest = "", head
    authority, slash, path = rest.partition("/")
    userinfo, at, hostport = authority.rpartition("@")
    if at:
        user, colon, _password = userinfo.partition(":")
        authority = f"{user}{colon}{REDACTED if colon else ''}@{hostport}"
    out = f"{scheme}{sep}{authority}{slash}{_path(path)}"
    if question:
        out += "?" + _query(query)
    if hashmark:
        out += "#" + (REDACTED if fragment else "")
    return out


def _redact_match(match: re.Match[str]) -> str:
    """Punctuation after a URL (``(see wss://…).``) is text, except dots right after it:
    a secret may end with dots, and they are redacted with it."""
    text = match.group()
    url = text.rstrip(_TRAILING)
    tail = text[len(url) :]
    dots = len(tail) - len(tail.lstrip("."))
    return redact_url(url + tail[:dots]) + tail[dots:]


def redact_urls(text: str) -> str:
    """``text`` with every URL in it (``scheme://…`` up to whitespace or a quote) passed
    through :func:`redact_url`; the rest of the text is left as it is."""
    if "://" not in text:
        return text
    return _URL_IN_TEXT.sub(_redact_match, text)
