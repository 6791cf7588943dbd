"""contracts layer (DESIGN.md §5): the domain rules, written once, enforced for every caller."""

from tetherai.contracts.errors import (
    Conflict,
    ContractError,
    InvalidArgument,
    NotFound,
    NotPermitted,
)
from tetherai.contracts.membership import (
    CHANNEL_KEY,
    Membership,
    MembershipRules,
)
from tetherai.contracts.notary import (
    Notary,
)
from tetherai.contracts.registry import (
    default_contracts,
    default_registry,
    genesis_versions,
)

__all__ = [
    "CHANNEL_KEY",
    "Conflict",
    "ContractError",
    "InvalidArgument",
    "Membership",
    "MembershipRules",
    "NotFound",
    "NotPermitted",
    "Notary",
    "default_contracts",
    "default_registry",
    "genesis_versions",
]
