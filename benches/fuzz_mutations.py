"""Mutations of protocol messages for the hypothesis fuzz targets (benches/fuzz_*.py).

A message is mutated in up to four edits: a byte flipped, bytes deleted, a JSON token
inserted, a quoted value swapped for one of the wrong type or range (``VALUES``), or the
tail cut off.
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# Wrong-typed, out-of-range or malformed JSON values, swapped in for a value.
VALUES = [b"1", b"-1", b"[1", b"{}", b"null", b"true", b"0.5", b"1e400", b'"both"', b'""']
VALUES += [b"99999999999999999999999", b'"\\ud800"', b'"\\u0000"', b'"x' + b"y" * 300 + b'"']
TOKENS = b'"{}[]:,0a=\\/-.e'


@st.composite
def mutated_bytes(draw: st.DrawFn, text: str) -> bytes:
    """``text``'s UTF-8 bytes after up to four random edits."""
    data = bytearray(text.encode())
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["flip", "delete", "insert", "value", "truncate"]))
        if kind == "flip" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 8))]
        elif kind == "insert":
            data[at:at] = bytes([TOKENS[draw(st.integers(0, len(TOKENS) - 1))]])
        elif kind == "value":
            start = data.find(b'"', at)
            end = data.find(b'"', start + 1) if start >= 0 else -1
            if end >= 0:
                data[start : end + 1] = draw(st.sampled_from(VALUES))
        elif kind == "truncate":
            del data[at:]
    return bytes(data)


@st.composite
def mutated(draw: st.DrawFn, text: str, binary: st.SearchStrategy[bool]) -> str | bytes:
    """``text`` mutated, sent as bytes when ``binary`` draws true, else as text (invalid
    UTF-8 replaced)."""
    data = draw(mutated_bytes(text))
    return data if draw(binary) else data.decode("utf-8", "replace")


def as_property(check: Callable[[st.DataObject], None], max_examples: int) -> Callable[[], None]:
    """``check`` as a hypothesis test over drawn data, with no deadline, database or health
    checks (it also has ``.hypothesis.fuzz_one_input`` for atheris)."""
    config = settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    test: Callable[[], None] = config(given(st.data())(check))
    return test
