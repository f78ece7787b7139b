"""Callback signatures (V3, V2), the nonce replay cache, and stream-URL secrets."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from audiofork import ValidationError
from audiofork.vobiz import (
    NonceCache,
    check_stream_secret,
    make_stream_url,
    sign,
    signature_header_names,
    verify_signature,
)
from support.clock import ManualClock

TOKEN = "auth-token-0123456789"
URL = "https://app.example/stream-status"
NONCE = "05429567804466091622"


def reference(message: str, token: str = TOKEN) -> str:
    """PROTOCOL §5, computed independently of the library."""
    digest = hmac.new(token.encode(), message.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


V3 = reference(f"{URL}.{NONCE}")
V2 = reference(f"{URL}{NONCE}")


def test_sign_matches_the_documented_schemes() -> None:
    assert sign(URL, NONCE, TOKEN) == V3
    assert sign(URL, NONCE, TOKEN, "v3") == V3
    assert sign(URL, NONCE, TOKEN, "v2") == V2
    assert V2 != V3


@pytest.mark.parametrize(("version", "signature"), [("v3", V3), ("v2", V2)])
def test_valid_signatures_verify(version: str, signature: str) -> None:
    assert verify_signature(URL, NONCE, signature, TOKEN, version)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "nonce", "header", "token"),
    [
        (URL, NONCE, V3, "another-token"),
        (URL, "05429567804466091623", V3, TOKEN),
        ("https://app.example/stream-status2", NONCE, V3, TOKEN),
        ("http://app.example/stream-status", NONCE, V3, TOKEN),
        (URL, NONCE, V2, TOKEN),
        (URL, NONCE, V3[:-2] + ("A=" if V3[-2] != "A" else "B="), TOKEN),
        (URL, NONCE, "", TOKEN),
        (URL, "", V3, TOKEN),
        (URL, NONCE, "not base64 at all, é", TOKEN),
    ],
)
def test_invalid_signatures_do_not_verify(url: str, nonce: str, header: str, token: str) -> None:
    assert not verify_signature(url, nonce, header, token)


def test_v3_signature_is_not_a_v2_signature() -> None:
    assert not verify_signature(URL, NONCE, V3, TOKEN, "v2")


def test_query_string_and_fragment_are_not_signed() -> None:
    assert verify_signature(URL + "?CallUUID=abc&x=1", NONCE, V3, TOKEN)
    assert verify_signature(URL + "#frag", NONCE, V3, TOKEN)
    assert sign(URL + "?a=b", NONCE, TOKEN) == V3


def test_any_of_several_signatures_passes() -> None:
    other = reference(f"{URL}.{NONCE}", "a-rotated-token")
    assert verify_signature(URL, NONCE, f"{other},{V3}", TOKEN)
    assert verify_signature(URL, NONCE, f"{other}, {V3} ", TOKEN)
    assert verify_signature(URL, NONCE, f"{V3},garbage", TOKEN)
    assert not verify_signature(URL, NONCE, f"{other},garbage", TOKEN)
    tampered = ",".join(s[:5] + ("x" if s[5] != "x" else "y") + s[6:] for s in (other, V3))
    assert not verify_signature(URL, NONCE, tampered, TOKEN)


def test_bad_arguments() -> None:
    with pytest.raises(ValidationError, match="version"):
        verify_signature(URL, NONCE, V3, TOKEN, "v1")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="auth_token"):
        verify_signature(URL, NONCE, V3, "")
    assert verify_signature(URL, NONCE, V3, TOKEN, "V3")  # type: ignore[arg-type]


def test_header_names() -> None:
    assert signature_header_names() == ("X-Vobiz-Signature-V3", "X-Vobiz-Signature-V3-Nonce")
    assert signature_header_names("v2") == ("X-Vobiz-Signature-V2", "X-Vobiz-Signature-V2-Nonce")
    assert signature_header_names("v3", parent_account=True) == (
        "X-Vobiz-Signature-MA-V3",
        "X-Vobiz-Signature-V3-Nonce",
    )


# --- NonceCache -----------------------------------------------------------------------------


def test_nonce_cache_refuses_replays_until_the_ttl_passes() -> None:
    clock = ManualClock(1000.0)
    cache = NonceCache(ttl_s=300, clock=clock)
    assert cache.add("n1")
    assert not cache.add("n1")
    assert "n1" in cache
    assert cache.add("n2")
    assert len(cache) == 2
    clock.now += 299.5
    assert not cache.add("n1")
    clock.now += 0.5
    assert "n1" not in cache
    assert len(cache) == 0
    assert cache.add("n1")


def test_nonce_cache_evicts_the_oldest_beyond_max_items() -> None:
    clock = ManualClock(1000.0)
    cache = NonceCache(ttl_s=60, max_items=3, clock=clock)
    for i in range(4):
        clock.now += 1
        assert cache.add(f"n{i}")
    assert len(cache) == 3
    assert "n0" not in cache
    assert not cache.add("n3")
    assert "max_items=3" in repr(cache)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"ttl_s": 0}, "ttl_s"),
        ({"ttl_s": -1}, "ttl_s"),
        ({"ttl_s": float("nan")}, "ttl_s"),
        ({"ttl_s": "300"}, "ttl_s"),
        ({"max_items": 0}, "max_items"),
    ],
)
def test_nonce_cache_arguments(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        NonceCache(**kwargs)  # type: ignore[arg-type]


# --- stream URL secrets ---------------------------------------------------------------------

SECRET = "s3cret-token_0123456789"


def test_stream_url_round_trip() -> None:
    url = make_stream_url("wss://app.example/ws", SECRET)
    assert url == f"wss://app.example/ws?token={SECRET}"
    assert check_stream_secret(url, SECRET)
    assert check_stream_secret(f"/ws?token={SECRET}", SECRET)
    assert not check_stream_secret(url, SECRET[:-1] + "X")
    assert not check_stream_secret("wss://app.example/ws", SECRET)
    assert not check_stream_secret("/ws?token=", SECRET)


def test_stream_url_keeps_existing_query_and_custom_param() -> None:
    url = make_stream_url("ws://localhost:8080/ws?lang=en#x", SECRET, param="k")
    assert url == f"ws://localhost:8080/ws?lang=en&k={SECRET}#x"
    assert check_stream_secret(url, SECRET, param="k")
    assert not check_stream_secret(url, SECRET)


def test_secret_as_last_path_segment() -> None:
    assert check_stream_secret(f"/media/{SECRET}", SECRET)
    assert check_stream_secret(f"wss://app.example/media/{SECRET}/?x=1", SECRET)
    assert not check_stream_secret(f"/media/{SECRET}/more", SECRET)


@pytest.mark.parametrize(
    ("base", "secret", "field"),
    [
        ("https://app.example/ws", SECRET, "base_ws_url"),
        ("wss://app.example/ws?token=old", SECRET, "already has"),
        ("wss://app.example/ws", "short-secret", "secret"),
        ("wss://app.example/ws", SECRET + "&x=1", "secret"),
    ],
)
def test_make_stream_url_rejects(base: str, secret: str, field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        make_stream_url(base, secret)


def test_secret_length_boundary() -> None:
    assert make_stream_url("wss://a.example/", "x" * 16).endswith("token=" + "x" * 16)
    with pytest.raises(ValidationError, match="at least 16"):
        check_stream_secret("wss://a.example/", "x" * 15)
    with pytest.raises(ValidationError, match="param"):
        make_stream_url("wss://a.example/", SECRET, param="a&b")
