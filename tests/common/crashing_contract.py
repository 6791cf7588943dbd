"""A contract whose functions fail with Python's built-in exceptions: a contract bug.

The ledger must record such a tx as invalid with a stable code and message, never the
exception's text, which differs between Python versions (a peer on another interpreter must
replay old blocks to the same state roots). ``detail`` stands in for that text: two instances
with different details behave like one contract run by two interpreters.
"""

from __future__ import annotations

from typing import Any

from tetherai.ledger.contract import Context, Contract, transaction


class Crashing(Contract):
    name = "crashing"
    version = "1"

    def __init__(self, detail: str = "") -> None:
        self.detail = detail

    @transaction
    def divide(self, ctx: Context, numerator: int, denominator: int) -> Any:
        ctx.state.put(f"crashing/{ctx.tx_id}", {"started": True})
        return {"quotient": numerator // denominator}

    @transaction
    def lookup(self, ctx: Context, key: str) -> Any:
        table: dict[str, int] = {}
        return {"value": table[key]}

    @transaction
    def add(self, ctx: Context, value: int) -> Any:
        nothing: Any = None
        return {"sum": nothing + value}

    @transaction
    def explode(self, ctx: Context) -> Any:
        raise RuntimeError(self.detail or "the text of this interpreter")

    @transaction
    def note(self, ctx: Context, text: str) -> Any:
        ctx.state.put(f"crashing/note/{ctx.tx_id}", {"text": text})
        return {"noted": True}
