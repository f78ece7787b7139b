"""Integer parameters as a hostile caller writes them: digit strings past Python's 4,300-digit
conversion limit, signs, spaces, non-ASCII digits (which ``int()`` would accept), and the
plain edge values around them. Every parser that reads an integer from text must answer
these with its documented error naming the parameter, never a bare ``ValueError``."""

from __future__ import annotations

from hypothesis import strategies as st

#: Past ``sys.get_int_max_str_digits()`` (4,300 by default).
HUGE_DIGITS = "9" * 5000

_EDGES = [
    HUGE_DIGITS,
    "-" + HUGE_DIGITS,
    "+" + HUGE_DIGITS,
    "0" * 5000 + "1",  # many digits, a small value
    "1" + "0" * 30,
    "-1",
    "+1",
    "0",
    "",
    " 1",
    "1 ",
    "\t1\n",
    "1_000",
    "0x10",
    "1e3",
    "1.0",
    "\u0661\u0662",  # Arabic-Indic 12
    "\uff11",  # fullwidth 1
    "\U0001d7e3",  # mathematical bold 1
    "²",
]

_DIGIT_RUNS = st.integers(4300, 6000).map(lambda n: "7" * n)
_SIGNED = st.tuples(st.sampled_from(["", "+", "-", " ", "+-"]), st.integers()).map(
    lambda pair: pair[0] + str(pair[1])
)
_UNICODE_DIGITS = st.text(st.characters(categories=["Nd"]), min_size=1, max_size=8)
_PADDED = st.tuples(st.sampled_from([" ", "\t", "\n", "\u00a0", "\u3000"]), st.integers()).map(
    lambda pair: f"{pair[0]}{pair[1]}{pair[0]}"
)

#: Text a caller may send where an integer belongs.
INTEGER_TEXT = (
    st.sampled_from(_EDGES)
    | _DIGIT_RUNS
    | _SIGNED
    | _UNICODE_DIGITS
    | _PADDED
    | st.text(max_size=12)
)
