"""contracts layer (DESIGN.md §5): the domain rules, written once, enforced for every caller."""

from tetherai.contracts.commits import check_commit, full_git_commit
from tetherai.contracts.errors import (
    Conflict,
    ContractError,
    InvalidArgument,
    InvalidTransition,
    NotFound,
    NotPermitted,
)
from tetherai.contracts.governance import (
    CHANGES,
    ChannelGovernance,
    Tally,
    check_change,
    describe,
    tally,
)
from tetherai.contracts.membership import (
    CHANNEL_KEY,
    Membership,
)
from tetherai.contracts.membership_rules import (
    MembershipRules,
)
from tetherai.contracts.membership_v1 import (
    MembershipV1,
)
from tetherai.contracts.model_version import (
    ModelVersion,
    check_artifacts,
    check_can_register,
)
from tetherai.contracts.notary import (
    Notary,
)
from tetherai.contracts.policy import (
    DEFAULT_POLICY,
    Criterion,
    Policy,
    Quorum,
)
from tetherai.contracts.project import (
    Project,
)
from tetherai.contracts.registry import (
    default_contracts,
    default_registry,
    genesis_versions,
)
from tetherai.contracts.review import (
    Review,
    ReviewV2,
    action_probes,
)
from tetherai.contracts.transitions import (
    ROLLBACK_ROLE,
    RULES,
    Rule,
    apply_transition,
    approvals,
    check_transition,
    create_status,
    latest_verification,
    project_policy,
    version_status,
)
from tetherai.contracts.workflow import (
    Workflow,
    available_actions,
)

__all__ = [
    "CHANGES",
    "CHANNEL_KEY",
    "DEFAULT_POLICY",
    "ROLLBACK_ROLE",
    "RULES",
    "ChannelGovernance",
    "Conflict",
    "ContractError",
    "Criterion",
    "InvalidArgument",
    "InvalidTransition",
    "Membership",
    "MembershipRules",
    "MembershipV1",
    "ModelVersion",
    "NotFound",
    "NotPermitted",
    "Notary",
    "Policy",
    "Project",
    "Quorum",
    "Review",
    "ReviewV2",
    "Rule",
    "Tally",
    "Workflow",
    "action_probes",
    "apply_transition",
    "approvals",
    "available_actions",
    "check_artifacts",
    "check_can_register",
    "check_change",
    "check_commit",
    "check_transition",
    "create_status",
    "default_contracts",
    "default_registry",
    "describe",
    "full_git_commit",
    "genesis_versions",
    "latest_verification",
    "project_policy",
    "tally",
    "version_status",
]
