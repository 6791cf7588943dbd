"""Optional dependencies, imported where they are needed and named when they are missing.

``pip install tetherai`` is the SDK and the CLI's client commands; the server, PDF reports, S3,
TensorBoard event files and MLflow import come with extras (``tetherai[server]``, ``[reports]``,
``[s3]``, ``[tensorboard]``, ``[mlflow]``, ``[all]``). Code that needs one imports it through
:func:`require`, inside the function that uses it, so nothing heavy loads at start-up and a
missing extra is one clear error instead of an ``ImportError`` traceback.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from tetherai.errors import TetherError

__all__ = ["EXTRA_OF", "MissingExtra", "missing_extra", "require"]

# Which extra installs each optional top-level package.
EXTRA_OF = {
    "fastapi": "server",
    "fastapi_offline": "server",
    "starlette": "server",
    "uvicorn": "server",
    "sqlalchemy": "server",
    "alembic": "server",
    "argon2": "server",
    "psycopg": "server",
    "multipart": "server",
    "python_multipart": "server",
    "jinja2": "server",
    "babel": "server",
    "weasyprint": "reports",
    "boto3": "s3",
    "botocore": "s3",
    "tensorboard": "tensorboard",
    "mlflow": "mlflow",
}


class MissingExtra(TetherError):
    """A feature needs a package this installation does not have (500, exit 3: the install,
    not the caller's input, is what to fix)."""

    code = "install.missing_extra"


def require(module: str, extra: str) -> ModuleType:
    """Import ``module``, or raise :class:`MissingExtra` naming the extra that provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise MissingExtra(
            f"this needs {module.split('.')[0]}, which is not installed",
            hint=f"pip install 'tetherai[{extra}]'",
        ) from error


def missing_extra(error: ModuleNotFoundError, what: str) -> MissingExtra | None:
    """The :class:`MissingExtra` explaining ``error`` (met while running ``what``), or ``None``
    when the missing module is not one of the extras' (a bug, to surface as it is)."""
    package = (error.name or "").split(".")[0]
    extra = EXTRA_OF.get(package)
    if extra is None:
        return None
    return MissingExtra(
        f"{what} needs {package}, which is not installed", hint=f"pip install 'tetherai[{extra}]'"
    )
