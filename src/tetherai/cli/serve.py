"""``tether serve``: run the server (the web pages and the REST API) for a network home."""

from __future__ import annotations

import os
import socket
from typing import Annotated

import typer

from tetherai.cli._common import EXIT_FAILURE, HomeOption, console, print_error, resolve_home, run
from tetherai.services.home import NetworkHome
from tetherai.services.settings import Settings


def serve(
    home: HomeOption = None,
    host: Annotated[
        str | None,
        typer.Option(help="Address to listen on (default 127.0.0.1, this machine only)."),
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port (default 8000; also $TETHER_PORT).", min=1, max=65535)
    ] = None,
    create_secret: Annotated[
        bool, typer.Option("--init-secret", help="Create the server secret if missing.")
    ] = False,
    log_json: Annotated[
        bool,
        typer.Option("--log-json", help="Log as JSON lines on stderr (also TETHER_LOG_JSON=1)."),
    ] = False,
    cpus: Annotated[
        str | None,
        typer.Option(
            help="The CPUs the server's threads run on (also TETHER_CPUS): auto (the default: "
            "one, the CPU it starts on; its threads share one lock, and on one core each "
            "request costs less CPU), all, or a list such as 0, 0,2 or 0-3.",
        ),
    ] = None,
) -> None:
    """Run the web pages and the REST API for this network home.

    Example: TETHER_PASSPHRASE=… tether serve --home ~/.tetherai --port 8000 --init-secret
    """
    import uvicorn

    from tetherai.api.proxies import SERVER_OPTIONS
    from tetherai.http.process import cpu_ranges, run_on_cpus
    from tetherai.logs import log_config
    from tetherai.server import create_web_app

    root = resolve_home(home)
    if create_secret:
        NetworkHome(root).ensure_server_secret()
    env = dict(os.environ)
    if host:
        env["TETHER_HOST"] = host
    if port:
        env["TETHER_PORT"] = str(port)
    if log_json:
        env["TETHER_LOG_JSON"] = "1"
    if cpus is not None:
        env["TETHER_CPUS"] = cpus
    settings = run(lambda: Settings.from_env(env, home=root))
    _check_free(settings.host, settings.port)
    narrowed = run(lambda: run_on_cpus(settings.cpus))  # before the server starts any thread
    if not settings.log_json:  # JSON logs stay JSON: the server logs where it serves instead
        shown = f"[{settings.host}]" if ":" in settings.host else settings.host
        placed = ""
        if narrowed is not None:
            placed = f"\n  its threads run on CPU {cpu_ranges(narrowed)}"
            if settings.cpus == "auto":
                placed += " (they share one lock: --cpus all for every CPU)"
        console.print(
            f"tetherai serving {root}\n"
            f"  open [bold]http://{shown}:{settings.port}/[/] and sign in "
            f"(the REST API is described at /docs; Ctrl-C stops the server){placed}",
            highlight=False,
        )
    uvicorn.run(
        create_web_app(settings, owns_process=True),
        host=settings.host,
        port=settings.port,
        log_config=log_config(json_lines=settings.log_json, level=settings.log_level),
        **SERVER_OPTIONS,  # forwarded headers only from TETHER_TRUSTED_PROXIES
    )


def _check_free(host: str, port: int) -> None:
    """Say clearly when the address is taken (uvicorn would log a bare errno and stop)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            print_error(
                f"cannot listen on {host} port {port}: {error.strerror}",
                hint=f"choose another port: tether serve --port {port + 1} "
                f"(make run PORT={port + 1})",
                code="cli.address_in_use",
            )
            raise typer.Exit(EXIT_FAILURE) from None
