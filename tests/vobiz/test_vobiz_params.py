"""The parameter rules the XML, REST and callback parsers share: the one checked integer reader,
and error messages that quote a bad value bounded and a URL redacted."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audiofork import ValidationError
from audiofork.vobiz import StreamElement, make_stream_url
from audiofork.vobiz._api import start_body
from audiofork.vobiz._params import MAX_INTEGER_DIGITS, SHOWN_CHARS, integer, shown
from support.hostile_integers import HUGE_DIGITS, INTEGER_TEXT

SECRET = "s3cr3t-0123456789abcdefXYZ"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7", 7),
        ("+7", 7),
        ("-0", 0),
        ("0007", 7),
        ("0" * 5000 + "7", 7),
        ("9" * MAX_INTEGER_DIGITS, 10**MAX_INTEGER_DIGITS - 1),
    ],
)
def test_integer_text_that_is_read(text: str, expected: int) -> None:
    assert integer("n", text, -1) == expected


@pytest.mark.parametrize(
    "value",
    [HUGE_DIGITS, "-" + HUGE_DIGITS, "1" + "0" * MAX_INTEGER_DIGITS, 10**5000, -(10**5000)],
    ids=["huge", "-huge", "one digit too many", "huge int", "-huge int"],
)
def test_integers_past_the_digit_limit_name_the_parameter(value: object) -> None:
    with pytest.raises(ValidationError, match=r"^offset must be") as info:
        integer("offset", value, 0)
    assert len(str(info.value)) < 300 and info.value.kind == "out_of_range"


@pytest.mark.parametrize("text", [" 1", "1\n", "\u0661", "\uff11", "1_0", "0x1", "1.0", "", "+"])
def test_only_ascii_digits_with_a_sign_are_integers(text: str) -> None:
    with pytest.raises(ValidationError, match=r"^limit must be an integer, got ") as info:
        integer("limit", text, 0)
    assert info.value.kind == "bad_value"


@given(INTEGER_TEXT, st.integers(-5, 5), st.none() | st.integers(5, 10**40))
def test_every_text_is_an_int_in_bounds_or_a_validation_error(
    text: str, low: int, high: int | None
) -> None:
    try:
        number = integer("field", text, low, high)
    except ValidationError as exc:
        assert type(exc) is ValidationError and str(exc).startswith("field must be")
    else:
        written = re.sub(r"^([+-]?)0+(?=[0-9])", r"\1", text)  # leading zeros off
        assert number == int(written) and low <= number and (high is None or number <= high)


def test_shown_bounds_what_a_message_quotes() -> None:
    assert shown("abc") == "'abc'"
    assert shown(10**5000) == "an integer of about 5001 digits"
    long = shown("x" * 10_000)
    assert long.endswith("… (10000 characters)") and len(long) < SHOWN_CHARS + 40


def test_errors_quote_urls_redacted() -> None:
    url = make_stream_url("ws://127.0.0.1:8080/ws", SECRET)
    for bad in (url.replace("8080", "99999"), url + " x", url.replace("ws://", "ftp://")):
        with pytest.raises(ValidationError, match="url") as info:
            StreamElement(bad)
        assert SECRET not in str(info.value) and "token=***" in str(info.value)
        with pytest.raises(ValidationError, match="service_url") as info:
            start_body(bad, {})
        assert SECRET not in str(info.value)
