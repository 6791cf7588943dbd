"""Every contract this release of tetherai can run, and the versions a new channel activates."""

from __future__ import annotations

from tetherai.contracts.membership import Membership
from tetherai.contracts.membership_v1 import MembershipV1
from tetherai.contracts.model_version import ModelVersion
from tetherai.contracts.notary import Notary
from tetherai.contracts.project import Project
from tetherai.contracts.review import Review, ReviewV2
from tetherai.contracts.workflow import Workflow
from tetherai.ledger.contract import Contract, ContractRegistry

__all__ = ["default_contracts", "default_registry", "genesis_versions"]


def default_contracts() -> list[Contract]:
    return [
        MembershipV1(),
        Membership(),
        Notary(),
        Project(),
        ModelVersion(),
        Review(),
        ReviewV2(),
        Workflow(),
    ]


def default_registry() -> ContractRegistry:
    return ContractRegistry(default_contracts())


def genesis_versions() -> dict[str, str]:
    """The contract versions a new channel starts with (the newest of each; never a legacy
    one)."""
    newest: dict[str, str] = {}
    for contract in default_contracts():
        if not contract.legacy and int(contract.version) > int(newest.get(contract.name, "0")):
            newest[contract.name] = contract.version
    return newest
