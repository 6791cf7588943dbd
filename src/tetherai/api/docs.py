"""``/docs``: the OpenAPI explorer (Swagger UI 5), served from the ``fastapi-offline`` package.

FastAPI's default page loads Swagger UI from a CDN; nothing here is loaded from the internet,
so the same page is built with the packaged assets. Its one inline script is allowed by its
SHA-256 in the page's own Content-Security-Policy (the strict site-wide policy stays as is).
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from tetherai.api.security_headers import inline_hashes

__all__ = ["install_docs"]

_ASSETS = "/docs/assets"


def install_docs(app: FastAPI) -> None:
    assets = files("fastapi_offline") / "static"
    app.mount(_ASSETS, StaticFiles(directory=str(assets)), name="docs-assets")
    page = bytes(
        get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} API",
            swagger_js_url=f"{_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{_ASSETS}/favicon.png",
        ).body
    )
    policy = "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' {inline_hashes(page, 'script')}",
            "style-src 'self' 'unsafe-inline'",  # Swagger UI styles its own elements
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        )
    )

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(page, headers={"Content-Security-Policy": policy})
