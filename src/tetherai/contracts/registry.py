"""Every contract this release of tetherai can run, and the versions a new channel activates."""

from __future__ import annotations

from tetherai.contracts.membership import Membership
from tetherai.contracts.model_version import ModelVersion
from tetherai.contracts.notary import Notary
from tetherai.contracts.project import Project
from tetherai.contracts.review import Review
from tetherai.contracts.workflow import Workflow
from tetherai.ledger.contract import Contract, ContractRegistry

__all__ = ["default_contracts", "default_registry", "genesis_versions"]


def default_contracts() -> list[Contract]:
    return [Membership(), Notary(), Project(), ModelVersion(), Review(), Workflow()]


def default_registry() -> ContractRegistry:
    return ContractRegistry(default_contracts())


def genesis_versions() -> dict[str, str]:
    """The contract versions a new channel starts with (the newest of each)."""
    return {contract.name: contract.version for contract in default_contracts()}
