"""Logging of the server and the cluster's node processes: text or JSON lines.

Every module that logs has its own logger, ``logging.getLogger(__name__)``, so they all sit
under ``tetherai`` and one setting reaches them. A process configures logging once, at its
entry point (``tether serve``, ``python -m tetherai.cluster``), with
:func:`log_config`; library code never does. ``json_lines`` writes one JSON object per line
(``ts``, ``level``, ``logger``, ``message``, the traceback as ``exception``, a request's
``client``/``method``/``path``/``status`` for the access log, and any ``extra`` fields), for log
collectors; otherwise lines of text. Both go to stderr. Secrets stay out either way: messages
never hold passwords or tokens, and the access log's one-time links are redacted by a filter
on ``uvicorn.access`` (``tetherai.api.log_redaction``) before any formatter sees them.
"""

from __future__ import annotations

import json
import logging
import logging.config
import time
from collections.abc import Mapping
from typing import Any

__all__ = ["LEVELS", "JsonLines", "configure", "configure_from_env", "log_config"]

LEVELS = ("debug", "info", "warning", "error")

# Attributes every LogRecord has: anything else on a record came from ``extra=``.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
_TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonLines(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        seconds = time.gmtime(record.created)
        document: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", seconds) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        args = record.args
        if record.name == "uvicorn.access" and isinstance(args, tuple) and len(args) == 5:
            client, method, path, _, status = args  # uvicorn's, the HTTP version aside
            document |= {"client": client, "method": method, "path": path, "status": status}
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_") and key not in document:
                document[key] = value
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            document["stack"] = self.formatStack(record.stack_info)
        return json.dumps(document, ensure_ascii=False, default=str)


def log_config(*, json_lines: bool = False, level: str = "info") -> dict[str, Any]:
    """A :func:`logging.config.dictConfig` for tetherai's and uvicorn's loggers (uvicorn takes
    it as its ``log_config``): all to stderr, as text or JSON lines, at ``level``."""
    formatter: dict[str, Any] = {"()": f"{__name__}.JsonLines"} if json_lines else {"format": _TEXT}
    level = level.upper()
    handled = {"handlers": ["stderr"], "level": level, "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "tetherai": handled,
            "uvicorn": handled,
            "uvicorn.error": {"level": level},
            "uvicorn.access": handled,
        },
    }


def configure(*, json_lines: bool = False, level: str = "info") -> None:
    """Apply :func:`log_config` to this process (an entry point's job, once)."""
    logging.config.dictConfig(log_config(json_lines=json_lines, level=level))


def configure_from_env(env: Mapping[str, str]) -> None:
    """:func:`configure` from ``TETHER_LOG_JSON`` (``1``: JSON lines) and ``TETHER_LOG_LEVEL``
    (an unknown level is ``info``, said in the log itself)."""
    level = env.get("TETHER_LOG_LEVEL", "info").lower()
    configure(
        json_lines=env.get("TETHER_LOG_JSON") == "1", level=level if level in LEVELS else "info"
    )
    if level not in LEVELS:
        logging.getLogger(__name__).warning(
            "TETHER_LOG_LEVEL=%s is not one of %s: logging at info", level, ", ".join(LEVELS)
        )
