"""The notary contract: record that a document with a given SHA-256 existed, and who said so.

The smallest useful contract, and the one the ledger benchmark runs: one read, one write.
"""

from __future__ import annotations

import re

from tetherai.contracts._common import Result
from tetherai.contracts.errors import Conflict, InvalidArgument, NotFound
from tetherai.crypto.jcs import JSONValue
from tetherai.ledger.contract import Context, Contract, QueryContext, query, transaction

__all__ = ["Notary"]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,199}")
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _key(name: str) -> str:
    return f"notary/{name}"


class Notary(Contract):
    name = "notary"
    version = "1"

    @transaction
    def notarize(self, ctx: Context, name: str, sha256: str, note: str = "") -> Result:
        """Record ``sha256`` under ``name``; a name is written once."""
        if _NAME.fullmatch(name) is None:
            raise InvalidArgument("name must be 1-200 characters of letters, digits and ._/-")
        if _SHA256.fullmatch(sha256) is None:
            raise InvalidArgument("sha256 must be 64 lowercase hex characters")
        if len(note) > 1000:
            raise InvalidArgument("a note is at most 1000 characters")
        if ctx.state.get(_key(name)) is not None:
            raise Conflict(f"'{name}' is already notarized")
        record: dict[str, JSONValue] = {
            "sha256": sha256,
            "note": note,
            "by": f"{ctx.creator.id}@{ctx.creator.org}",
            "ts": ctx.block_ts,
        }
        ctx.state.put(_key(name), record)
        return {"name": name}

    @transaction
    def withdraw(self, ctx: Context, name: str) -> Result:
        """Remove a record; only who notarized it may."""
        record = ctx.state.get(_key(name))
        if not isinstance(record, dict):
            raise NotFound(f"'{name}' is not notarized")
        if record["by"] != f"{ctx.creator.id}@{ctx.creator.org}":
            raise Conflict(f"'{name}' was notarized by {record['by']}")
        ctx.state.delete(_key(name))
        return None

    @query
    def lookup(self, ctx: QueryContext, name: str) -> Result:
        return ctx.state.get(_key(name))
