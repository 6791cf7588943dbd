"""A registry in which a channel may still switch back to version 1 of some contracts.

Version 1 of project, model_version, review and workflow is legacy: channels made on it keep
running it, and none may switch to it. A test that needs a channel *on* version 1 (as one made
before version 2 existed) installs switchable copies of those versions instead.
"""

from __future__ import annotations

from tetherai.contracts.registry import default_contracts
from tetherai.ledger.contract import Contract, ContractRegistry


def switchable_to_version_1(*names: str) -> ContractRegistry:
    """The default contracts, with version 1 of ``names`` open to ``upgrade_contract``."""
    contracts: list[Contract] = []
    for contract in default_contracts():
        if contract.name in names and contract.version == "1":
            copy = type(
                f"{type(contract).__name__}Switchable", (type(contract),), {"legacy": False}
            )
            contracts.append(copy())
        else:
            contracts.append(contract)
    return ContractRegistry(contracts)
