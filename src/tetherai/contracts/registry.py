"""Every contract this release of tetherai can run, and the versions a new channel activates.

Older versions stay registered so the verifier replays old blocks with the code that ran them
(each block is judged by the versions active in its channel configuration). Version 2 of
project, model_version, review and workflow is confidential (``contracts.access``); an
existing channel moves to it with ``membership.upgrade_contract``.
"""

from __future__ import annotations

from tetherai.contracts.membership import Membership
from tetherai.contracts.membership_v1 import MembershipV1
from tetherai.contracts.model_version import ModelVersion, ModelVersionV2
from tetherai.contracts.notary import Notary
from tetherai.contracts.project import Project, ProjectV2
from tetherai.contracts.review import Review, ReviewV2
from tetherai.contracts.workflow import Workflow, WorkflowV2
from tetherai.ledger.contract import Contract, ContractRegistry

__all__ = ["default_contracts", "default_registry", "genesis_versions"]


def default_contracts() -> list[Contract]:
    """Every installed contract version, oldest first for each name."""
    return [
        MembershipV1(),
        Membership(),
        Notary(),
        Project(),
        ProjectV2(),
        ModelVersion(),
        ModelVersionV2(),
        Review(),
        ReviewV2(),
        Workflow(),
        WorkflowV2(),
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
