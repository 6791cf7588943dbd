"""Keep secrets out of the access log.

One-time links carry their token in the query string (``/accept?token=…``), and uvicorn's
access log prints each request's path with its query. This filter rewrites the logged path,
replacing the value of every query parameter whose name says it is a secret.
"""

from __future__ import annotations

import logging
import re

__all__ = ["RedactSecrets", "install_log_redaction", "redact"]

_SECRET = re.compile(r"([?&](?:token|password|secret|key|signature|sig)=)[^&#\s]*", re.IGNORECASE)


def redact(path: str) -> str:
    return _SECRET.sub(r"\1[redacted]", path)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def install_log_redaction() -> None:
    """Add the filter to uvicorn's access logger once (several apps may share a process)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactSecrets) for f in access.filters):
        access.addFilter(RedactSecrets())
