"""The web app: one place builds it (routers, static files, templates, headers, errors)."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from contextlib import asynccontextmanager
from datetime import date, datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2_fragments.fastapi import Jinja2Blocks
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings, get_settings
from app.db import init_db, make_engine
from app.deps import LoginRequired, shared_coder
from app.terminal import format_value
from app.upload_limit import BodyLimit
from classifiers.coder import CODE_NAMES, Coder

STATIC_DIR = Path(str(resources.files("app").joinpath("static")))
TEMPLATE_DIR = Path(str(resources.files("templates")))
HTMX_VERSION = "2.0.11"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'self'; object-src 'none'")
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), display-capture=()"
HSTS = "max-age=31536000; includeSubDomains"  # only sent when cookies are Secure (HTTPS)


# Templates -------------------------------------------------------------------------------

@lru_cache(maxsize=256)
def _static_version(path: str) -> str:
    try:
        return hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:10]
    except OSError:
        return "0"


def static(path: str) -> str:
    """The URL of a static file, with a content hash so browsers can cache it safely."""
    return f"/static/{path}?v={_static_version(path)}"


def _context(request: Request) -> dict[str, Any]:
    state = request.state
    return {"user": getattr(state, "user", None), "csrf_token": getattr(state, "csrf", ""),
            "demo": request.app.state.settings.demo, "htmx": bool(request.headers.get("HX-Request"))}


def _paragraphs(text: str) -> list[list[str]]:
    return [[line for line in block.splitlines() if line.strip()]
            for block in text.replace("\r\n", "\n").split("\n\n") if block.strip()]


def _date(value: date | datetime | None, with_time: bool = False) -> str:
    if value is None:
        return ""
    if with_time and isinstance(value, datetime):
        return value.strftime("%-d %b %Y, %H:%M UTC")
    return value.strftime("%-d %b %Y")


def build_templates() -> Jinja2Blocks:
    t = Jinja2Blocks(directory=str(TEMPLATE_DIR), context_processors=[_context])
    env = t.env
    env.autoescape = True
    env.trim_blocks = env.lstrip_blocks = True
    env.globals.update(static=static, CODE_NAMES=CODE_NAMES)
    env.filters.update(score=format_value, paragraphs=_paragraphs, date=_date,
                       code_name=lambda c: CODE_NAMES.get(c, c))
    return t


templates = build_templates()


def render(request: Request, name: str, context: dict[str, Any] | None = None, *,
           block: str | None = None, status_code: int = 200,
           headers: dict[str, str] | None = None) -> Response:
    """A page, or only its named block (for htmx); always `Vary: HX-Request`."""
    hdrs = {"Vary": "HX-Request", **(headers or {})}
    kwargs = {"block_name": block} if block else {}
    return templates.TemplateResponse(request, name, context or {}, status_code=status_code,
                                      headers=hdrs, **kwargs)


class PageCache:
    """Rendered pages by key, least recently used out first; for pages viewed far more than changed.

    Keys must include everything the page depends on (a session's revision is bumped by
    every correction or rating). Held in memory only, never written anywhere.
    """

    def __init__(self, maxsize: int = 64, max_bytes: int = 300_000) -> None:
        self.maxsize, self.max_bytes = maxsize, max_bytes
        self._items: OrderedDict[tuple, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> bytes | None:
        with self._lock:
            body = self._items.get(key)
            if body is not None:
                self._items.move_to_end(key)
            return body

    def put(self, key: tuple, body: bytes) -> None:
        if len(body) > self.max_bytes or self.maxsize == 0:
            return
        with self._lock:
            self._items[key] = body
            self._items.move_to_end(key)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)


def wants_fragment(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true" and \
        request.headers.get("HX-History-Restore-Request") != "true"


# Headers ---------------------------------------------------------------------------------

class SecurityHeaders:
    """Pure ASGI middleware: CSP, no sniffing, no framing, no referrer leaks, no powerful
    features, a browsing context of our own; HSTS behind HTTPS; no caching of pages."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_static = scope["path"].startswith("/static/")
        settings = getattr(getattr(scope.get("app"), "state", None), "settings", None)
        secure = bool(getattr(settings, "cookie_secure", False))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                extra = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
                         (b"referrer-policy", b"same-origin"),
                         (b"permissions-policy", PERMISSIONS_POLICY.encode()),
                         (b"cross-origin-opener-policy", b"same-origin"),
                         (b"cross-origin-resource-policy", b"same-origin")]
                if secure:
                    extra.append((b"strict-transport-security", HSTS.encode()))
                if b"content-security-policy" not in names:
                    extra.append((b"content-security-policy", CSP.encode()))
                if is_static:
                    extra.append((b"cache-control", b"public, max-age=86400"))
                elif b"cache-control" not in names:
                    extra.append((b"cache-control", b"no-store"))
                message["headers"] = headers + extra
            await send(message)

        await self.app(scope, receive, send_with_headers)


# The app ---------------------------------------------------------------------------------

def create_app(settings: Settings | None = None, *, engine: Engine | None = None,
               coder: Coder | None = None) -> FastAPI:
    """The FastAPI app; tests pass their own engine and coder."""
    from app.routes import account, admin, api, auth, feedback, meta, progress, review, sessions, team, trainer

    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # noqa: ANN202
        own_engine = app.state.engine is None
        if own_engine:
            app.state.engine = make_engine(settings.url)
            init_db(app.state.engine)
        coder = shared_coder(app.state)  # load the model before the first request
        if settings.demo:
            from app.demo import ensure_demo

            ensure_demo(app.state.engine, coder=coder, scheme_id=settings.scheme)
        yield
        if own_engine:
            app.state.engine.dispose()  # close the pool's connections on shutdown

    app = FastAPI(title="MI Fidelity", version="0.1.0", lifespan=lifespan, docs_url=None,
                  redoc_url=None, description="Code Motivational Interviewing sessions against "
                  "MITI 4.2.1. Authenticate with a personal token: `Authorization: Bearer mifi_…`.")
    app.state.settings = settings
    app.state.engine = engine
    app.state.coder = coder
    app.state.page_cache = PageCache(maxsize=settings.page_cache)
    if engine is not None:
        init_db(engine)
    app.add_middleware(BodyLimit, file_limit=settings.max_upload_bytes)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (meta, auth, sessions, review, feedback, progress, team, trainer, admin, account, api):
        app.include_router(module.router)
    from app.routes import model_versions

    app.include_router(model_versions.router)
    _error_handlers(app)
    return app


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api") or request.url.path == "/healthz"


#: FastAPI's answer when a form cannot be parsed; a text field over Starlette's 1 MB gives
#: "Part (or Field) exceeded maximum size of 1024KB."
FORM_UNREADABLE = "There was an error parsing the body"
DISK_FULL = {"SQLITE_FULL", "SQLITE_IOERR_WRITE", "53100"}  # SQLite names, PostgreSQL's SQLSTATE


def database_error(request: Request, exc: Exception) -> tuple[int, str]:
    """The status and message for a database that is unreachable, locked or out of disk space."""
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "sqlite_errorname", None) or getattr(orig, "sqlstate", None)
    saved = "; nothing was saved" if request.method in ("POST", "PUT", "PATCH", "DELETE") else ""
    if code in DISK_FULL:
        return 507, f"The server could not write to its disk (it may be full){saved}. Tell your administrator."
    return 503, f"The database is not answering{saved}; try again in a minute."


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": "Not authenticated: send Authorization: Bearer <token>."},
                                status_code=401, headers={"WWW-Authenticate": "Bearer"})
        target = "/login"
        if request.method == "GET" and request.url.path not in ("/", "/login"):
            from urllib.parse import quote

            target += "?next=" + quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        if request.headers.get("HX-Request"):
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code,
                                headers=getattr(exc, "headers", None))
        titles = {404: "Page not found", 403: "Not allowed", 405: "Not allowed"}
        detail = exc.detail if exc.status_code != 404 else ""
        if exc.status_code == 400 and (detail == FORM_UNREADABLE or "exceeded maximum size" in str(detail)):
            detail = ("The form could not be read. If you pasted a very long conversation (over "
                      "1 MB of text), upload it as a file instead.")
        return render(request, "error.html", {"status": exc.status_code,
                                              "title": titles.get(exc.status_code, "Something went wrong"),
                                              "detail": detail},
                      status_code=exc.status_code)

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    @app.exception_handler(PoolTimeout)
    async def database_unavailable(request: Request, exc: Exception) -> Response:
        status, detail = database_error(request, exc)
        logging.getLogger("mifi").warning("database error (%s): answered %s",
                                          type(getattr(exc, "orig", exc)).__name__, status)
        if _is_api(request):
            return JSONResponse({"detail": detail}, status_code=status, headers={"Retry-After": "60"})
        request.state.user = None  # its rows went with the failed transaction: a page without them
        return render(request, "error.html", {"status": status, "title": "Please try again shortly",
                                              "detail": detail},
                      status_code=status, headers={"Retry-After": "60"})

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if _is_api(request):
            errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()]
            return JSONResponse({"detail": errors}, status_code=422)
        return render(request, "error.html", {"status": 400, "title": "Something was missing",
                                              "detail": "The request was incomplete: go back and try again."},
                      status_code=400)


def serve(settings: Settings) -> None:
    """Run the app under uvicorn (blocking)."""
    import uvicorn

    app = create_app(settings)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info",
                proxy_headers=False, server_header=False)
