"""The server's app: the API (``tetherai.api``) with the pages (``tetherai.web``) on top.

The one place both adapters meet; each only knows the layers below it (``tetherai.http``,
``tetherai.services``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tetherai.api.app import create_app
from tetherai.services.custody import DEFAULT_ARGON2, Argon2Parameters
from tetherai.web.app import install_pages

if TYPE_CHECKING:
    from fastapi import FastAPI

    from tetherai.services.network import Node
    from tetherai.services.settings import Settings

__all__ = ["create_web_app"]


def create_web_app(
    settings: Settings,
    *,
    node: Node | None = None,
    argon2: Argon2Parameters = DEFAULT_ARGON2,
    owns_process: bool = False,
) -> FastAPI:
    """The API app (:func:`tetherai.api.app.create_app`) with the pages on top: what
    ``tether serve`` runs. ``node``, ``argon2`` and ``owns_process`` as for ``create_app``."""
    app = create_app(settings, node=node, argon2=argon2, owns_process=owns_process)
    install_pages(app)
    return app
