"""The status of one account as plain HTML: its calls, streams and counters.

:func:`status_body` is the part the console at ``/`` serves inside its page (what it shows
before its script runs, and without one); :func:`status_page` is a page of its own. Both
show only what the signed-in account owns, and every URL redacted
(:func:`audiofork.vobiz.redact_url`): a stream URL may carry the app's secret.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from audiofork.emulator.forks import stats_of
from audiofork.vobiz import redact_url

if TYPE_CHECKING:
    from audiofork.emulator.exchange import Exchange

__all__ = ["SIGN_IN_PAGE", "status_body", "status_page"]

_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}th{background:#eee}"
)


def _table(headings: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return "<p>none yet</p>"
    head = "".join(f"<th>{escape(h)}</th>" for h in headings)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _counters(stats: dict[str, object]) -> str:
    return ", ".join(
        f"{key} {value}" for key, value in stats.items() if not isinstance(value, dict)
    )


def status_page(exchange: Exchange, account_id: str) -> str:
    """The page of ``account_id``'s calls in ``exchange`` (refreshes itself every 2 s)."""
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<meta http-equiv='refresh' content='2'><title>audiofork emulator</title>"
        f"<style>{_STYLE}</style></head><body><h1>audiofork emulator</h1>"
        + status_body(exchange, account_id)
        + "</body></html>"
    )


def status_body(exchange: Exchange, account_id: str) -> str:
    """``account_id``'s calls and streams in ``exchange`` as HTML (no page around them)."""
    services = exchange.services
    calls = exchange.calls_of(account_id)
    forks = [fork for call in calls for fork in call.forks]
    call_rows = [
        [
            call.uuid,
            call.party.account_id,
            call.party.from_,
            call.party.to,
            call.status,
            call.hangup_cause or "",
            call.error or "",
            f"{call.duration()} s",
            str(len(call.forks)),
        ]
        for call in reversed(calls)
    ]
    stream_rows = []
    for fork in reversed(forks):
        bill = fork.bill()
        stream_rows.append(
            [
                fork.stream_id,
                fork.call.call_uuid,
                redact_url(fork.element.url),
                fork.element.content_type,
                fork.status,
                fork.error or "",
                f"{bill.bill_duration} s, {bill.billed_amount}",
                _counters(stats_of(fork.driver)),
            ]
        )
    live_calls = sum(call.live for call in calls)
    live_forks = sum(fork.live for fork in forks)
    callbacks = services.callbacks
    summary = (
        f"{live_calls} live calls of {len(calls)}; {live_forks} live streams of {len(forks)}; "
        f"status callbacks (all accounts) delivered {callbacks.delivered}, "
        f"failed {callbacks.failed}, dropped {callbacks.dropped}, pending {callbacks.pending}; "
        f"calls kept after they end: the last {exchange.max_ended_calls}; "
        f"clock speed {services.clock.speed:g}, "
        f"virtual time {services.clock.wall():%Y-%m-%d %H:%M:%S} UTC; "
        f"rate {services.tariff.rate_per_minute} per minute"
    )
    return (
        f"<p>{escape(summary)}</p>"
        f"<p>account: {escape(account_id)} · "
        "API: <a href='/api/v1/openapi.json'>/api/v1/openapi.json</a></p>"
        "<h2>Calls</h2>"
        + _table(
            ["call", "account", "from", "to", "status", "cause", "error", "duration", "streams"],
            call_rows,
        )
        + "<h2>Streams</h2>"
        + _table(
            [
                "stream",
                "call",
                "service URL",
                "content type",
                "status",
                "error",
                "billed",
                "counters",
            ],
            stream_rows,
        )
    )


#: What ``/`` answers without valid credentials.
SIGN_IN_PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>audiofork emulator</title>"
    f"<style>{_STYLE}</style></head><body><h1>audiofork emulator</h1>"
    "<p>Open the one-time login link <code>audiofork emulator</code> printed when it "
    "started, or sign in with an account's auth id as the user name and its auth token as "
    "the password (HTTP Basic), e.g. <code>curl -u AUTH_ID:AUTH_TOKEN URL/status</code>.</p>"
    "</body></html>"
)
