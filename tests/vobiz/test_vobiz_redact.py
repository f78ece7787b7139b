"""Secrets out of URLs: whole values chosen by their place in the URL, the rest kept."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audiofork.vobiz import make_stream_url, redact_url, redact_urls

SECRET = "Zq3-0123456789abcdef_XYZ"


@pytest.mark.parametrize(
    ("url", "redacted"),
    [
        ("wss://app.example/ws", "wss://app.example/ws"),
        ("wss://app.example:8443/media-stream/", "wss://app.example:8443/media-stream/"),
        ("wss://app.example/media-stream-handler", "wss://app.example/***"),  # secret-shaped
        ("wss://app.example/ws?lang=en", "wss://app.example/ws?lang=***"),
        (f"wss://app.example/ws?lang=en&token={SECRET}", "wss://app.example/ws?lang=***&token=***"),
        (f"wss://app.example/ws/{SECRET}", "wss://app.example/ws/***"),
        (f"wss://app.example/{SECRET}/media", "wss://app.example/***/media"),
        ("wss://app.example/ws?flag&empty=", "wss://app.example/ws?***&empty="),
        ("wss://user:pa55@app.example/ws", "wss://user:***@app.example/ws"),
        ("wss://user@app.example/ws", "wss://user@app.example/ws"),
        ("wss://app.example/ws#frag", "wss://app.example/ws#***"),
        ("ws://h:99999/ws?token=x", "ws://h:99999/ws?token=***"),  # not a valid URL: still
        (f"/ws/{SECRET}?token={SECRET}", "/ws/***?token=***"),
    ],
)
def test_redact_url(url: str, redacted: str) -> None:
    assert redact_url(url) == redacted


def test_a_stream_url_made_with_a_secret_is_redacted() -> None:
    for param in ("token", "k"):
        url = make_stream_url("wss://app.example/ws?lang=en", SECRET, param=param)
        assert SECRET not in redact_url(url)


def test_redact_urls_redacts_urls_in_text_and_only_them() -> None:
    url = make_stream_url("ws://127.0.0.1:9/ws", SECRET)
    text = (
        f"cannot connect to {url}: WSServerHandshakeError: 403, message='Invalid', "
        f"url='{url}'; checkpoint {SECRET!r} (the same text, not a URL), see ({url})."
    )
    redacted = redact_urls(text)
    assert redacted == (
        "cannot connect to ws://127.0.0.1:9/ws?token=***: WSServerHandshakeError: 403, "
        "message='Invalid', url='ws://127.0.0.1:9/ws?token=***'; checkpoint "
        f"{SECRET!r} (the same text, not a URL), see (ws://127.0.0.1:9/ws?token=***)."
    )
    assert redact_urls("no url here") == "no url here"


@given(st.from_regex(r"[A-Za-z0-9._~-]{16,40}", fullmatch=True), st.text(max_size=30))
def test_a_secret_never_survives_in_the_query_or_the_last_segment(secret: str, prefix: str) -> None:
    for url in (f"wss://a.example/ws?token={secret}", f"wss://a.example/ws/{secret}"):
        for after in ("", ".", ")."):
            redacted = redact_urls(f"{prefix} {url}{after}")
            assert redacted.endswith("***" + after.lstrip(".")), redacted
