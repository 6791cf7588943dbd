"""``create_web_app``: the API app plus the pages and their static files."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from tetherai.api.app import create_app
from tetherai.services.custody import DEFAULT_ARGON2, Argon2Parameters
from tetherai.services.network import Node
from tetherai.services.settings import Settings
from tetherai.web.errors import install_page_error_handlers
from tetherai.web.i18n import LANGUAGE_COOKIE, language_for, use_language
from tetherai.web.routes import PAGE_ROUTERS
from tetherai.web.templating import compile_templates

__all__ = ["create_web_app"]

STATIC_DIR = Path(__file__).parent / "static"


class LanguageMiddleware:
    """Sets the language of each request from its ``tether_lang`` cookie or Accept-Language."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = {
                k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]
            }
            cookie = None
            for part in headers.get("cookie", "").split(";"):
                name, _, value = part.strip().partition("=")
                if name == LANGUAGE_COOKIE:
                    cookie = value
            use_language(language_for(cookie, headers.get("accept-language")))
        await self.app(scope, receive, send)


def create_web_app(
    settings: Settings,
    *,
    node: Node | None = None,
    argon2: Argon2Parameters = DEFAULT_ARGON2,
) -> FastAPI:
    """The API app (:func:`tetherai.api.app.create_app`) with the pages on top."""
    app = create_app(settings, node=node, argon2=argon2)
    compile_templates()
    install_page_error_handlers(app)
    for router in PAGE_ROUTERS:
        app.include_router(router, include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(LanguageMiddleware)
    return app
