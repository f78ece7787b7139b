"""The REST API's Stream object."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from audiofork.errors import ValidationError
from audiofork.vobiz import _params

__all__ = ["Stream"]

_TEXT_FIELDS = (
    "api_id",
    "call_uuid",
    "account_id",
    "service_url",
    "audio_track",
    "content_type",
    "status_callback_url",
    "status_callback_method",
    "status",
    "resource_uri",
)
_INT_FIELDS = ("sampling_rate", "stream_timeout", "bill_duration", "rounded_bill_duration")
_TIME_FIELDS = ("created_at", "start_time", "end_time")


def _amount(value: object) -> Decimal:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            pass
        else:
            if amount.is_finite():
                return amount
    raise ValidationError(
        f"Stream.billed_amount must be a decimal amount, got {_params.shown(value)}"
    )


@dataclass(frozen=True)
class Stream:
    """A stream as the REST API describes it (PROTOCOL §1, "Stream object").

    Only ``stream_id`` is required; any other field the platform leaves out (or sends as
    ``null``) is ``None``. Times are aware ``datetime`` values (UTC when the platform sends
    no offset), ``billed_amount`` a :class:`~decimal.Decimal`. ``raw`` holds the object as
    received, unknown fields included.
    """

    stream_id: str
    api_id: str | None = None
    call_uuid: str | None = None
    account_id: str | None = None
    service_url: str | None = None
    audio_track: str | None = None
    bidirectional: bool | None = None
    content_type: str | None = None
    sampling_rate: int | None = None
    stream_timeout: int | None = None
    status_callback_url: str | None = None
    status_callback_method: str | None = None
    status: str | None = None
    created_at: datetime | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    bill_duration: int | None = None
    rounded_bill_duration: int | None = None
    billed_amount: Decimal | None = None
    resource_uri: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_live(self) -> bool:
        """Whether the stream is still in progress."""
        return self.status == "in-progress"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Stream:
        """Read a Stream object, liberally (numbers and booleans may arrive as strings).

        Raises :class:`ValidationError` naming the field for a value of the wrong kind.
        """
        if not isinstance(data, Mapping):
            raise ValidationError(f"a Stream object must be a JSON object, got {data!r}")
        stream_id = data.get("stream_id")
        if not isinstance(stream_id, str) or not stream_id:
            raise ValidationError(f"Stream.stream_id must be a non-empty string, got {stream_id!r}")
        values: dict[str, Any] = {}
        for name in _TEXT_FIELDS:
            value = data.get(name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                raise ValidationError(f"Stream.{name} must be a string, got {_params.shown(value)}")
            values[name] = str(value)
        for name in _INT_FIELDS:
            if data.get(name) is not None:
                values[name] = _params.integer(f"Stream.{name}", data[name], 0)
        for name in _TIME_FIELDS:
            if data.get(name) is not None:
                values[name] = _params.timestamp(f"Stream.{name}", data[name], assume_utc=True)
        if data.get("bidirectional") is not None:
            values["bidirectional"] = _params.boolean("Stream.bidirectional", data["bidirectional"])
        if data.get("billed_amount") is not None:
            values["billed_amount"] = _amount(data["billed_amount"])
        return cls(stream_id=stream_id, raw=dict(data), **values)
