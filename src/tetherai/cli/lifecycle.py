"""Registers the commands of the people who train and ship models on ``tether``.

They talk to a server with your API token and sign txs here with your own key: login, whoami,
key, project, version, verify, review, deploy, rollback, monitor, import.
"""

from __future__ import annotations

import typer

from tetherai.cli import (
    deploy,
    import_,
    key,
    login,
    monitor,
    project,
    review,
    rollback,
    verify,
    version,
)


def register(app: typer.Typer) -> None:
    app.command(name="login")(login.login)
    app.command(name="whoami")(login.whoami)
    app.add_typer(key.app, name="key")
    app.add_typer(project.app, name="project")
    app.add_typer(version.app, name="version")
    app.command(name="verify")(verify.verify)
    app.add_typer(review.app, name="review")
    app.command(name="deploy")(deploy.deploy)
    app.command(name="rollback")(rollback.rollback)
    app.add_typer(monitor.app, name="monitor")
    app.add_typer(import_.app, name="import")
