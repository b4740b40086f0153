"""The workspace's web app: a JSON API and the page's static files (Starlette).

Every request needs the access token (403 without): in the ``X-Tmpipe-Token`` header, or,
for reading (GET/HEAD) only, in the ``token`` query parameter or the cookie the page sets,
so a page on another origin cannot make the browser change anything. Bodies are limited
in size and validated (malformed JSON is a 400); every response carries a strict
Content-Security-Policy (scripts, styles and requests from this origin only).
"""

from __future__ import annotations

import hmac
import html
import json
from http.cookies import SimpleCookie
from importlib import resources

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import UserError
from ..units import STATES
from .workspace import MAX_TARGET, NotFound, SaveConflict, Workspace

TOKEN_HEADER = "x-tmpipe-token"
COOKIE = "tmpipe_token"
MAX_BODY = 256 * 1024
MAX_QUERY = 200
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
       "img-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; "
       "frame-ancestors 'none'")
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
READ_METHODS = frozenset({"GET", "HEAD"})


class BadRequest(Exception):
    """A request body or parameter that does not fit the API (HTTP 400)."""


def _presented_token(scope: Scope) -> str | None:
    """The token a request carries where its method allows one."""
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
    if TOKEN_HEADER in headers:
        return headers[TOKEN_HEADER]
    if scope["method"] not in READ_METHODS:
        return None
    from urllib.parse import parse_qs

    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    if query.get("token"):
        return query["token"][0]
    cookie = SimpleCookie()
    try:
        cookie.load(headers.get("cookie", ""))
    except Exception:  # noqa: BLE001 - a malformed cookie header carries no token
        return None
    return cookie[COOKIE].value if COOKIE in cookie else None


class Guard:
    """ASGI middleware: the token on every request, security headers on every response."""

    def __init__(self, app: ASGIApp, token: str):
        self.app = app
        self.token = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + SECURITY_HEADERS
            await send(message)

        presented = _presented_token(scope)
        if presented is None or not hmac.compare_digest(presented.encode(), self.token):
            response = JSONResponse({"error": "forbidden: a valid access token is required"},
                                    status_code=403)
            await response(scope, receive, send_secured)
            return
        await self.app(scope, receive, send_secured)


async def _json_body(request: Request) -> dict:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise BadRequest("the body must be application/json")
    raw = await request.body()
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"malformed JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object")
    return data


def _edit(data: dict) -> tuple[str, str, int]:
    target, state, version = data.get("target"), data.get("state"), data.get("version")
    if not isinstance(target, str) or len(target) > MAX_TARGET:
        raise BadRequest(f"target must be a string of at most {MAX_TARGET} characters")
    if state not in STATES:
        raise BadRequest(f"state must be one of {', '.join(STATES)}")
    if not isinstance(version, int) or isinstance(version, bool):
        raise BadRequest("version must be an integer")
    return target, state, version


def _page(token: str) -> str:
    page = resources.files(__package__).joinpath("static/index.html").read_text("utf-8")
    return page.replace("__TOKEN__", html.escape(token, quote=True))


def create_app(workspace: Workspace, token: str) -> ASGIApp:
    """The ASGI app serving ``workspace`` to holders of ``token``."""
    if not token:
        raise ValueError("an empty access token")
    page = _page(token)
    static = StaticFiles(directory=str(resources.files(__package__).joinpath("static")))

    async def index(request: Request) -> Response:
        response = HTMLResponse(page)
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/")
        return response

    async def units(request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(workspace.listing))

    async def unit_detail(request: Request) -> Response:
        number = request.path_params["n"]
        return JSONResponse(await run_in_threadpool(workspace.detail, number))

    async def save(request: Request) -> Response:
        number = request.path_params["n"]
        target, state, version = _edit(await _json_body(request))
        try:
            result = await run_in_threadpool(workspace.save, number, target, state, version)
        except SaveConflict as exc:
            return JSONResponse({"error": str(exc), "yours": exc.yours, "theirs": exc.theirs},
                                status_code=409)
        return JSONResponse(result)

    async def concordance(request: Request) -> Response:
        text = request.query_params.get("q", "").strip()
        side = request.query_params.get("side", "source")
        if not text or len(text) > MAX_QUERY:
            raise BadRequest(f"q must hold 1 to {MAX_QUERY} characters")
        if side not in ("source", "target"):
            raise BadRequest("side must be source or target")
        hits = await run_in_threadpool(workspace.concordance, text, side, 50)
        return JSONResponse({"q": text, "side": side, "hits": hits})

    async def export(request: Request) -> Response:
        data = await _json_body(request)
        xliff = data.get("xliff", False)
        if not isinstance(xliff, bool):
            raise BadRequest("xliff must be true or false")
        written = await run_in_threadpool(workspace.export, xliff)
        return JSONResponse({"written": written})

    async def bad_request(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": str(exc)}, status_code=400)

    async def not_found(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": str(exc) or "not found"}, status_code=404)

    async def user_error(request: Request, exc: Exception) -> Response:
        return JSONResponse({"error": str(exc)}, status_code=422)

    routes = [
        Route("/", index, methods=["GET"]),
        Route("/api/units", units, methods=["GET"]),
        Route("/api/units/{n:int}", unit_detail, methods=["GET"]),
        Route("/api/units/{n:int}", save, methods=["POST"]),
        Route("/api/concordance", concordance, methods=["GET"]),
        Route("/api/export", export, methods=["POST"]),
        Mount("/static", app=static, name="static"),
    ]
    app = Starlette(routes=routes, max_body_size=MAX_BODY, exception_handlers={
        BadRequest: bad_request, NotFound: not_found, UserError: user_error})
    return Guard(app, token)
