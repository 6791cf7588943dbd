"""What format-1 ledgers stored that the code no longer writes, and when it says the same.

Before ledger format 2, a peer stored state and history values with plain ``json.dumps``
(``1.0`` where the canonical form says ``1``), and a tx whose contract crashed kept the
interpreter's exception text in its result (``contract raised KeyError: 'x'``), which the
state root then chained. A replay by today's code writes canonical values and a stable
message, so the verifier of a format-1 ledger accepts those older forms where they denote the
same thing; a format-2 ledger must match byte for byte.
"""

from __future__ import annotations

from tetherai.crypto.errors import CryptoError
from tetherai.crypto.jcs import canonicalize, loads_stored
from tetherai.ledger.executor import CRASHED, TxResult
from tetherai.ledger.sqlite_store import StoredTx

__all__ = ["same_legacy_value", "v1_crashed_result"]

_V1_CRASH_PREFIX = "contract raised "
_V1_CRASH_LIMIT = 500


def same_legacy_value(canonical: str | None, stored: str | None) -> bool:
    """Whether a stored value text reads as the value whose canonical text is ``canonical``."""
    if canonical is None or stored is None:
        return canonical == stored
    try:
        return canonicalize(loads_stored(stored)).decode() == canonical
    except CryptoError:  # not JSON, or nothing canonical JSON can hold: not the same
        return False


def v1_crashed_result(stored: StoredTx, replayed: TxResult) -> bytes | None:
    """The stored result of a crashed tx of a format-1 ledger, when it is one.

    The replay must have crashed too; the stored result must be exactly what format 1 wrote
    for a crash (``{code, message, tx_id, valid: false}`` with ``message`` ``contract raised
    <type>: <text>``, cut at 500 characters). Only the text of the exception may differ.
    """
    if replayed.valid or replayed.code != CRASHED:
        return None
    message = stored.message
    if (
        stored.valid
        or stored.code != CRASHED
        or stored.contract_version is not None
        or stored.tx_id != replayed.tx_id
        or message is None
        or not message.startswith(_V1_CRASH_PREFIX)
        or len(message) > _V1_CRASH_LIMIT
    ):
        return None
    document = {"tx_id": replayed.tx_id, "valid": False, "code": CRASHED, "message": message}
    encoded = canonicalize(document)
    return encoded if stored.result is not None and stored.result.encode() == encoded else None
