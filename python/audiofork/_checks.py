"""Argument checks shared by the stream modules: a wrong type is a ``TypeError``, a wrong
value an :class:`~audiofork.errors.ArgumentError`, each naming the field."""

from __future__ import annotations

import operator

from audiofork.errors import ArgumentError

__all__ = ["check_int", "shown"]

#: Longest part of a caller's name or id quoted in an error message.
SHOWN_CHARS = 80


def check_int(field: str, value: object, minimum: int) -> int:
    """``value`` as an int (any integer type but bool, e.g. numpy's), at least ``minimum``."""
    try:
        number = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        number = None
    if number is None or isinstance(value, bool):
        raise TypeError(f"{field} must be an int, got {value!r}")
    if number < minimum:
        raise ArgumentError(f"{field} must be >= {minimum}, got {value!r}")
    return number


def shown(name: str) -> str:
    """``name`` for an error message: its repr, cut short (with its length) if long."""
    if len(name) <= SHOWN_CHARS:
        return repr(name)
    return f"{name[:SHOWN_CHARS]!r}… ({len(name)} characters)"
