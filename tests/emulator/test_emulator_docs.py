"""docs/emulator.md's REST tables name the real paths: every ``METHOD /path`` in a table
row is routed by the emulator's application, answered by the live server (a 404 for the
unknown call the test names, or the 400 of a call placed without parameters: never "no
such resource" or a 405) and described in the OpenAPI document; and every API route the
application serves is in a table."""

from __future__ import annotations

import re
from pathlib import Path

from audiofork.emulator import EmulatorConfig
from audiofork.emulator.app import OPENAPI_PATH, make_app
from audiofork.emulator.openapi import openapi_document
from support.emulator_platform_apps import ACCOUNT, AUTH, TOKEN, http_client, started_emulator

DOC = Path(__file__).resolve().parents[2] / "docs" / "emulator.md"
ROUTE = re.compile(r"`(GET|POST|PUT|PATCH|DELETE) (/[^`?\s]*)")


def documented() -> set[tuple[str, str]]:
    """``(method, path)`` of every route named in a table row of the page."""
    rows = [line for line in DOC.read_text(encoding="utf-8").splitlines() if line.startswith("|")]
    return {(method, path) for row in rows for method, path in ROUTE.findall(row)}


def test_the_tables_name_every_api_route_the_emulator_serves_and_no_other() -> None:
    app = make_app(None)  # type: ignore[arg-type]  # routes only: no request is served
    served = {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.method != "HEAD" and route.resource is not None
    }
    api = {
        (method, path)
        for method, path in served
        if path.endswith("/") and path.startswith(("/api/", "/emulator/"))
    }
    docs = documented()
    assert len(docs) >= 12, docs
    assert docs == api, (sorted(docs - api), sorted(api - docs))
    # Each is served without its final "/" too, and the page says so.
    assert {(m, p.rstrip("/")) for m, p in api} <= served
    assert "with and without its final `/`" in DOC.read_text(encoding="utf-8")
    assert ("GET", OPENAPI_PATH) in served


def test_the_openapi_document_describes_every_documented_route() -> None:
    paths = openapi_document()["paths"]
    for method, path in documented():
        assert path in paths and method.lower() in paths[path], (method, path)
    described = {(m.upper(), p) for p, item in paths.items() for m in item if m != "parameters"}
    assert described == documented()


async def test_the_live_server_answers_every_documented_route() -> None:
    async with (
        started_emulator(EmulatorConfig({ACCOUNT: TOKEN})) as emulator,
        http_client(headers=AUTH) as http,
    ):
        for method, path in sorted(documented()):
            url = emulator.url + path.format(auth_id=ACCOUNT, call_uuid="no-such", stream_id="x")
            reached = (
                (404, "no call 'no-such'") if "{call_uuid}" in path else (400, "from is required")
            )
            async with http.request(method, url, json={}) as reply:
                error = (await reply.json())["error"]
                assert (reply.status, error) == reached, (method, path)
