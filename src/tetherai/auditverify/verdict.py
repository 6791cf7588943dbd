"""What a verification found: the txs as verified, status changes, checks and problems."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import notes

__all__ = ["BundleTx", "Problem", "Transition", "Verdict"]


@dataclass(frozen=True)
class Problem:
    code: str
    message: str


@dataclass
class BundleTx:
    """One tx of the bundle as verified: who signed what, and what the ledger made of it."""

    seq: int
    block: int
    tx_id: str
    tx: dict[str, Any]
    org: str
    id: str
    role: str = ""
    signed: bool = False
    included: bool = False
    valid: bool | None = None
    """Whether the ledger accepted it; ``None`` while its result is not proven."""
    code: str | None = None
    message: str | None = None
    writes: dict[str, Any] = field(default_factory=dict)
    result: Any = None

    @property
    def action(self) -> str:
        return f"{self.tx.get('contract')}.{self.tx.get('fn')}"

    @property
    def ts(self) -> int:
        value = self.tx.get("ts")
        return value if isinstance(value, int) else 0

    @property
    def who(self) -> str:
        return f"{self.id}@{self.org}"


@dataclass(frozen=True)
class Transition:
    version: str
    seq: int
    tx_id: str
    by: str
    ts: int
    source: str | None
    target: str
    reason: str
    allowed: bool


@dataclass
class Verdict:
    ok: bool = False
    problems: list[Problem] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    project: str = ""
    version: str | None = None
    checkpoint: notes.CheckpointBody | None = None
    note: str = ""
    """The checkpoint's signed note, once verified: keep it for the next bundle's ``--since``."""
    signers: tuple[str, ...] = ()
    cosigned_at: dict[str, int] = field(default_factory=dict)
    trust: str = ""
    txs: list[BundleTx] = field(default_factory=list)
    transitions: list[Transition] = field(default_factory=list)
    consistency_from: int | None = None

    @property
    def scope(self) -> str:
        return self.project if self.version is None else f"{self.project}/{self.version}"

    def to_json(self) -> dict[str, Any]:
        cp = self.checkpoint
        return {
            "ok": self.ok,
            "scope": {"project": self.project, "version": self.version},
            "checkpoint": None
            if cp is None
            else {
                "origin": cp.origin,
                "size": cp.size,
                "root": cp.root.hex(),
                "block": cp.block,
                "state_root": cp.state_root,
                "signers": list(self.signers),
                "cosigned_at": dict(self.cosigned_at),
            },
            "trust": self.trust,
            "txs": len(self.txs),
            "consistency_from": self.consistency_from,
            "checks": list(self.checks),
            "problems": [{"code": p.code, "message": p.message} for p in self.problems],
        }

    def text(self) -> str:
        """The readable verdict."""
        lines = [f"Audit bundle of {'version' if self.version else 'project'} {self.scope}"]
        cp = self.checkpoint
        if cp is not None:
            lines.append(
                f"Checkpoint: {cp.origin}, tree size {cp.size}, block {cp.block}, root {cp.root.hex()}"
            )
            lines.append(f"  signed by: {', '.join(self.signers) or 'nobody trusted'}")
        if self.trust:
            lines.append(f"Trust: {self.trust}")
        lines += [f"  ok  {check}" for check in self.checks]
        for version in sorted({t.version for t in self.transitions}):
            path = [t for t in self.transitions if t.version == version]
            steps = " -> ".join([path[0].source or "(new)", *(t.target for t in path)])
            lines.append(f"  status history of {version}: {steps}")
        if self.ok:
            lines.append("VERDICT: VERIFIED: every signature, proof and status change holds.")
        else:
            lines.append(f"VERDICT: VERIFICATION FAILED ({len(self.problems)} problem(s)):")
            lines += [f"  FAIL [{p.code}] {p.message}" for p in self.problems]
        return "\n".join(lines) + "\n"
