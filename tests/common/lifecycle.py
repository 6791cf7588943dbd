"""A project with its cast (author, engineers, MLOps, stakeholders, auditor) on a real ledger."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.common.network import PASSPHRASE, Network, copy_network
from tetherai.identity.roles import Role
from tetherai.ledger.executor import TxResult
from tetherai.services.network import ParticipantKey, load_participant

ARTIFACT_DIGESTS = {"train": "11" * 32, "test": "22" * 32, "model": "33" * 32, "log": "44" * 32}


def manifest(**overrides: str) -> list[dict[str, Any]]:
    digests = ARTIFACT_DIGESTS | overrides
    kinds = {"train": "train_dataset", "test": "test_dataset", "model": "model", "log": "log"}
    return [
        {
            "kind": kinds[name],
            "name": name,
            "uri": f"s3://bucket/{name}",
            "size": 1000,
            "sha256": digests[name],
        }
        for name in kinds
    ]


@dataclass
class Cast:
    net: Network
    project: str
    people: dict[str, ParticipantKey] = field(default_factory=dict)
    _versions: int = 0

    def __getitem__(self, name: str) -> ParticipantKey:
        return self.people[name]

    def call(self, who: str, contract: str, fn: str, /, **args: Any) -> TxResult:
        return self.net.submit(self.people[who], contract, fn, args)

    def ok(self, who: str, contract: str, fn: str, /, **args: Any) -> Any:
        result = self.call(who, contract, fn, **args)
        assert result.valid, f"{who} {contract}.{fn}: {result.code}: {result.message}"
        return result.result

    def query(self, contract: str, fn: str, /, **args: Any) -> Any:
        return self.net.node.peer.query(contract, fn, args)

    def status(self, version: str) -> str:
        record = self.query("workflow", "status", project=self.project, version=version)
        return str(record["status"])

    def new_version(self, name: str | None = None, **extra: Any) -> str:
        self._versions += 1
        version = name or f"v{self._versions}"
        args = {
            "project": self.project,
            "version": version,
            "code_repo": "https://git.example/credit",
            "commit": f"{self._versions:040x}",
            "artifacts": manifest(),
            "experiments": [
                {
                    "name": "final",
                    "metrics": {"test_accuracy": 0.97, "fairness_gap": 0.02},
                    "hyperparameters": {"lr": 0.01},
                    "series": {"loss": [0.9, 0.5, 0.3]},
                }
            ],
        }
        self.ok("author", "model_version", "create", **(args | extra))
        return version

    def verify_matching(self, version: str, who: str = "mlops") -> Any:
        return self.ok(
            who,
            "review",
            "verify",
            project=self.project,
            version=version,
            artifacts=[{"name": n, "sha256": d} for n, d in ARTIFACT_DIGESTS.items()],
        )

    def walk(self, version: str, to: str) -> None:
        """Move a fresh draft along the legal path until it is ``to``."""
        path: list[tuple[str, str, str, dict[str, Any]]] = [
            ("submitted", "author", "submit", {}),
            ("reviewing", "mlops", "reviewing", {}),
            ("verified", "mlops", "verify", {}),
            ("review_passed", "mlops", "review_passed", {}),
            (
                "deployed",
                "mlops",
                "deployed",
                {"details": {"endpoint": "https://models.example/credit"}},
            ),
            ("qa", "stake1", "qa", {}),
            ("production", "mlops", "production", {}),
            ("monitoring", "mlops", "monitoring", {}),
            ("complete", "stake1", "complete", {}),
        ]
        special = {
            "review_failed": (
                "reviewing",
                "mlops",
                "review_failed",
                {"reason": "does not reproduce"},
            ),
            "declined": ("qa", "stake1", "declined", {"reason": "not fit for purpose"}),
        }
        for _, who, action, extra in path:
            current = self.status(version)
            if current == to:
                return
            if to in special and current == special[to][0]:
                _, actor, target, args = special[to]
                self.ok(
                    actor,
                    "workflow",
                    "transition",
                    project=self.project,
                    version=version,
                    to=target,
                    **args,
                )
                return
            if action == "submit":
                self.ok(who, "model_version", "submit", project=self.project, version=version)
            elif action == "verify":
                self.verify_matching(version)
            else:
                self.ok(
                    who,
                    "workflow",
                    "transition",
                    project=self.project,
                    version=version,
                    to=action,
                    **extra,
                )
        assert self.status(version) == to, f"could not walk {version} to {to}"


# The cast: who plays each part, and their participant id and role on the ledger.
PARTS = {
    "author": ("alice", Role.AI_ENGINEER),
    "ai2": ("aaron", Role.AI_ENGINEER),
    "mlops": ("bob", Role.MLOPS_ENGINEER),
    "mlops2": ("bella", Role.MLOPS_ENGINEER),
    "stake1": ("carol", Role.STAKEHOLDER),
    "stake2": ("cathy", Role.STAKEHOLDER),
    "stake3": ("cyril", Role.STAKEHOLDER),
    "auditor": ("dora", Role.AUDITOR),
    "outsider": ("oscar", Role.MLOPS_ENGINEER),
}
PROJECT = "Org1/credit-scoring"
MEMBERS = ("ai2", "mlops", "mlops2", "stake1", "stake2", "stake3", "auditor")
"""The parts the author adds to the cast's project (the outsider and the admin are not on it)."""


def make_cast(net: Network) -> Cast:
    people = {part: net.participant(name, role) for part, (name, role) in PARTS.items()}
    people["admin"] = net.admin
    cast = Cast(net, "", people)
    created = cast.ok("author", "project", "create", name="Credit Scoring", domain="finance")
    cast.project = created["project"]
    for name in MEMBERS:
        key = people[name]
        cast.ok("author", "project", "add_member", project=cast.project, org=key.org, id=key.id)
    return cast


def copy_cast(template: Path, root: Path, *, max_wait: float = 0.01) -> Cast:
    """The cast on a copy of ``template`` (the home of a closed network :func:`make_cast` set
    up): the same people, keys and project, opened in a few milliseconds."""
    net = copy_network(template, root, max_wait=max_wait)
    people = {
        part: load_participant(net.home, "Org1", name, PASSPHRASE)
        for part, (name, _) in PARTS.items()
    }
    people["admin"] = net.admin
    return Cast(net, PROJECT, people)
