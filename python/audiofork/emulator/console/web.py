"""The console's HTTP routes: the page at ``/``, its static files, the login link, the plain
status page at ``/status``, the answer documents of calls placed to a stream URL, and the
two WebSockets (:mod:`~audiofork.emulator.console.feed`,
:mod:`~audiofork.emulator.console.softphone`).

The page and ``/status`` need a signed-in account (:mod:`~audiofork.emulator.console.auth`);
without one they answer 401 with an HTTP Basic challenge and a page that says how to sign
in. The page is the static ``index.html`` with the account's status (server-rendered,
escaped) inside it, so it shows the calls before its script runs; the script then takes
over with live updates. Static files are a fixed list, read once, served with a strict
Content-Security-Policy (scripts and connections to this origin only, no inline script).
"""

from __future__ import annotations

from html import escape
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

from aiohttp import web

from audiofork.emulator.console import feed, softphone
from audiofork.emulator.console.auth import LOGIN_PATH, ConsoleAuth
from audiofork.emulator.console.state import ANSWER_PATH, CONSOLE, Console
from audiofork.emulator.page import SIGN_IN_PAGE, status_body, status_page

__all__ = ["STATIC_PATH", "install"]

STATIC_PATH = "/console/static/"
_STATIC_TYPES = {
    "console.css": "text/css",
    "console.js": "text/javascript",
    "phone.js": "text/javascript",
    "capture-worklet.js": "text/javascript",
    "playback-worklet.js": "text/javascript",
}
_STATUS_MARK = "<!--status-->"
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
_PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_STATUS_CSP = "default-src 'none'; style-src 'unsafe-inline'"
_BASIC_CHALLENGE = 'Basic realm="audiofork emulator", charset="UTF-8"'


def _refused() -> web.Response:
    headers = {**_HEADERS, "Content-Security-Policy": _STATUS_CSP}
    headers["WWW-Authenticate"] = _BASIC_CHALLENGE
    return web.Response(status=401, text=SIGN_IN_PAGE, content_type="text/html", headers=headers)


async def page(request: web.Request) -> web.Response:
    """``GET /``: the console of the signed-in account (401 and a challenge without one).
    A request signed in by HTTP Basic also gets a session cookie for the WebSockets."""
    console = request.app[CONSOLE]
    account = console.auth.account_of(request)
    if account is None:
        return _refused()
    body = status_body(console.exchange, account)
    text = (
        console.static_text("index.html")
        .replace(_STATUS_MARK, body)
        .replace("{{account}}", escape(account))
    )
    headers = {**_HEADERS, "Content-Security-Policy": _PAGE_CSP}
    response = web.Response(text=text, content_type="text/html", headers=headers)
    if not console.auth.has_session(request):
        ConsoleAuth.set_cookie(response, console.auth.new_session(account))
    return response


async def status(request: web.Request) -> web.Response:
    """``GET /status``: the plain status page (refreshes itself; no script)."""
    console = request.app[CONSOLE]
    account = console.auth.account_of(request)
    if account is None:
        return _refused()
    headers = {**_HEADERS, "Content-Security-Policy": _STATUS_CSP}
    text = status_page(console.exchange, account)
    return web.Response(text=text, content_type="text/html", headers=headers)


async def login(request: web.Request) -> web.Response:
    """``GET /console/login?token=…``: trade a one-time token for a session; to ``/``."""
    auth = request.app[CONSOLE].auth
    account = auth.redeem(request.query.get("token", ""))
    if account is None:
        headers = {**_HEADERS, "Content-Security-Policy": _STATUS_CSP}
        text = (
            "<!doctype html><title>audiofork emulator</title><p>This login link is not valid "
            "or was already used. Restart the emulator for a new one, or sign in with the "
            "account's auth id and token (HTTP Basic) at <a href='/'>/</a>.</p>"
        )
        return web.Response(status=403, text=text, content_type="text/html", headers=headers)
    response = web.HTTPSeeOther("/", headers=_HEADERS)
    ConsoleAuth.set_cookie(response, auth.new_session(account))
    raise response


async def static(request: web.Request) -> web.Response:
    """``GET /console/static/{name}``: one of the console's files."""
    name = request.match_info["name"]
    content_type = _STATIC_TYPES.get(name)
    if content_type is None:
        raise web.HTTPNotFound()
    headers = {**_HEADERS, "Content-Security-Policy": _PAGE_CSP}
    text = request.app[CONSOLE].static_text(name)
    return web.Response(text=text, content_type=content_type, headers=headers)


async def answer(request: web.Request) -> web.Response:
    """``GET`` / ``POST /console/answer/{token}``: the answer document of a call the
    console placed to a stream URL (once; 404 after)."""
    stream = request.app[CONSOLE].take_answer(request.match_info["token"])
    if stream is None:
        raise web.HTTPNotFound()
    content_type = quoteattr(stream.content_type)
    xml = (
        "<?xml version='1.0' encoding='UTF-8'?><Response>"
        f"<Stream bidirectional='true' keepCallAlive='true' contentType={content_type}>"
        f"{xml_escape(stream.url)}</Stream></Response>"
    )
    return web.Response(text=xml, content_type="application/xml")


def install(app: web.Application, console: Console) -> None:
    """Add the console's routes to the emulator's ``app``."""
    app[CONSOLE] = console

    async def close_sockets(_app: web.Application) -> None:
        await console.close_sockets()

    app.on_shutdown.append(close_sockets)
    app.router.add_get("/", page)
    app.router.add_get("/status", status)
    app.router.add_get(LOGIN_PATH, login)
    app.router.add_get(STATIC_PATH + "{name}", static)
    app.router.add_route("*", ANSWER_PATH + "{token}", answer)
    app.router.add_get(feed.FEED_PATH, feed.handle)
    app.router.add_get(softphone.PHONE_PATH, softphone.handle)
