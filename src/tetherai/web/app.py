"""``install_pages``: the pages, their static files and their language, on an app that has the
runtime (``tetherai.server`` builds it: the API app with the pages on top)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from tetherai.http.routing import add_routes
from tetherai.web.errors import install_page_error_handlers
from tetherai.web.i18n import LANGUAGE_COOKIE, language_for, use_language
from tetherai.web.routes import PAGE_ROUTERS
from tetherai.web.templating import compile_templates

__all__ = ["LanguageMiddleware", "install_pages"]

STATIC_DIR = Path(__file__).parent / "static"


class LanguageMiddleware:
    """Sets the language of each request from its ``tether_lang`` cookie or Accept-Language."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            # Only two headers matter: pick them out instead of decoding every header. A
            # repeated header counts by its last value, as a dict of the headers would.
            cookies = b""
            accept: bytes | None = None
            for key, value in scope["headers"]:
                name = key.lower()
                if name == b"cookie":
                    cookies = value
                elif name == b"accept-language":
                    accept = value
            cookie = None
            for part in cookies.decode("latin-1").split(";"):
                label, _, found = part.strip().partition("=")
                if label == LANGUAGE_COOKIE:
                    cookie = found
            language = None if accept is None else accept.decode("latin-1")
            use_language(language_for(cookie, language))
        await self.app(scope, receive, send)


def install_pages(app: FastAPI) -> None:
    """Add the pages to ``app``: their routes (kept out of the API description), their error
    pages, ``/static`` and the language of each request."""
    compile_templates()
    install_page_error_handlers(app)
    add_routes(app, *PAGE_ROUTERS, in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(LanguageMiddleware)
