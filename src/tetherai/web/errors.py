"""Errors on pages answer as HTML pages; the API's paths keep the API's one JSON error shape."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from tetherai.errors import TetherError
from tetherai.http.errors import status_for
from tetherai.web.i18n import gettext
from tetherai.web.pages import SignInRequired, error_page, redirect, sign_in_url

__all__ = ["install_page_error_handlers"]

Handler = Callable[[Request, Exception], Awaitable[Response]]
_API_PREFIXES = ("/api/", "/docs", "/redoc", "/openapi.json")


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(_API_PREFIXES)


def install_page_error_handlers(app: FastAPI) -> None:
    """Wrap the API's handlers: same statuses, but pages get a page (and sign-in a redirect)."""
    api: dict[type[Exception], Handler] = {
        cls: app.exception_handlers[cls]  # type: ignore[misc]
        for cls in (TetherError, RequestValidationError, StarletteHTTPException)
    }

    async def tether_error(request: Request, error: Exception) -> Response:
        if isinstance(error, SignInRequired) and not _is_api(request):
            return redirect(request, sign_in_url(error.next_url))
        if _is_api(request) or not isinstance(error, TetherError):
            return await api[TetherError](request, error)
        return error_page(
            request, status_for(error), error.message, hint=error.hint, code=error.code
        )

    async def validation_error(request: Request, error: Exception) -> Response:
        if _is_api(request) or not isinstance(error, RequestValidationError):
            return await api[RequestValidationError](request, error)
        where = ", ".join(
            ".".join(str(part) for part in item.get("loc", ())[1:]) for item in error.errors()
        )
        return error_page(
            request,
            422,
            gettext("Some of the input is missing or malformed: %(where)s") % {"where": where},
            code="request.invalid",
        )

    async def http_error(request: Request, error: Exception) -> Response:
        if _is_api(request) or not isinstance(error, StarletteHTTPException):
            return await api[StarletteHTTPException](request, error)
        message = (
            gettext("There is no such page.") if error.status_code == 404 else str(error.detail)
        )
        return error_page(request, error.status_code, message)

    app.add_exception_handler(TetherError, tether_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
