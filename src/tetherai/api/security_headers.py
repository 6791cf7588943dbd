"""Security headers on every response: what a browser may load, frame or send.

A plain ASGI middleware (no per-request task or body buffering): it adds the headers to the
response start, leaving any the route set itself. The pages load only their own scripts and
styles (no inline code), so the Content-Security-Policy can forbid everything else; the API's
JSON is never a page, and the same policy costs it nothing.
"""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CONTENT_SECURITY_POLICY", "SecurityHeaders", "document_policy", "inline_hashes"]

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


def inline_hashes(page: bytes, tag: str) -> str:
    """CSP sources (``'sha256-…'``) that allow exactly the inline ``<tag>`` elements of ``page``."""
    pattern = rb"<" + tag.encode() + rb">(.*?)</" + tag.encode() + rb">"
    return " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'"
        for body in re.findall(pattern, page, re.DOTALL)
    )


def document_policy(page: bytes) -> str:
    """The site's policy for a self-contained document (an HTML audit report, which must read
    the same saved as a file): its own inline ``<style>`` elements are allowed by hash, and
    nothing else is."""
    styles = inline_hashes(page, "style")
    return CONTENT_SECURITY_POLICY.replace("style-src 'self'", f"style-src 'self' {styles}")


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, hsts_seconds: int = 0) -> None:
        """``hsts_seconds`` > 0 adds Strict-Transport-Security (only behind HTTPS)."""
        self.app = app
        headers = [
            (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"same-origin"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
        ]
        if hsts_seconds > 0:
            headers.append(
                (
                    b"strict-transport-security",
                    f"max-age={hsts_seconds}; includeSubDomains".encode(),
                )
            )
        self._headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in self._headers if n not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
