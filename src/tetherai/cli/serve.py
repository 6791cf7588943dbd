"""``tether serve``: run the server (the web pages and the REST API) for a network home."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from tetherai.cli._common import HomeOption, console, resolve_home, run
from tetherai.services.home import NetworkHome
from tetherai.services.settings import Settings


def serve(
    home: HomeOption = None,
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
    create_secret: Annotated[
        bool, typer.Option("--init-secret", help="Create the server secret if missing.")
    ] = False,
) -> None:
    """Run the web pages and the REST API for this network home.

    Example: TETHER_PASSPHRASE=… tether serve --home ~/.tetherai --port 8000 --init-secret
    """
    import uvicorn

    from tetherai.api.proxies import SERVER_OPTIONS
    from tetherai.web.app import create_web_app

    root = resolve_home(home)
    if create_secret:
        NetworkHome(root).ensure_server_secret()
    env = dict(os.environ)
    if host:
        env["TETHER_HOST"] = host
    if port:
        env["TETHER_PORT"] = str(port)
    settings = run(lambda: Settings.from_env(env, home=root))
    console.print(
        f"tetherai serving {root} at [bold]http://{settings.host}:{settings.port}/[/] "
        f"(sign in there; the API is described at /docs)"
    )
    uvicorn.run(
        create_web_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="info",
        **SERVER_OPTIONS,  # forwarded headers only from TETHER_TRUSTED_PROXIES
    )
