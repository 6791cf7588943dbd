"""Pydantic models of the API's stable surface (requests, responses, the error body)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ErrorDetail(BaseModel):
    code: str = Field(description="stable, dotted: review.digest_mismatch, auth.required, …")
    message: str = Field(description="what was wrong, for people")
    hint: str = Field(description="what to do about it")
    details: dict[str, Any] = Field(description="structured evidence")


class ErrorBody(BaseModel):
    error: ErrorDetail


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in (
        (401, "not signed in"),
        (403, "not permitted: the contracts or the ledger refused who you are"),
        (404, "no such thing"),
        (409, "conflicts with the current state (the tx is on the ledger, marked invalid)"),
        (422, "malformed input"),
        (503, "the orderer is busy or closed; retry after the Retry-After header"),
    )
}


class Page(BaseModel):
    items: list[Any]
    next: str | None = Field(None, description="cursor of the next page, or null at the end")


class EnvelopeIn(BaseModel):
    """A tx signed by its creator (DESIGN.md §3): ``{tx, sig}``."""

    model_config = ConfigDict(extra="forbid")
    tx: dict[str, Any]
    sig: str = Field(description="base64 signature over JCS(tx)")


class SimulationIn(BaseModel):
    """An unsigned tx (the ``tx`` of an envelope) whose creator is the caller."""

    model_config = ConfigDict(extra="forbid")
    tx: dict[str, Any]


class SimulationOut(BaseModel):
    """The contracts would accept the tx now; ``result`` is what it would return."""

    valid: bool
    result: Any = None


class TxOutcome(BaseModel):
    tx_id: str
    valid: bool
    code: str | None = None
    message: str | None = None
    result: Any = None
