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
    ChannelGovernance,
    Tally,
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
    RELATIONS,
    ModelVersion,
    check_artifacts,
    check_can_register,
)
from tetherai.contracts.notary import (
    Notary,
)
from tetherai.contracts.policy import (
    ARTIFACT_KINDS,
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
    MONITORING_STATUSES,
    Review,
    action_probes,
)
from tetherai.contracts.workflow import (
    APPROVED,
    RULES,
    Rule,
    Status,
    Workflow,
    apply_transition,
    available_actions,
    check_transition,
    project_policy,
    version_status,
)

__all__ = [
    "APPROVED",
    "ARTIFACT_KINDS",
    "CHANNEL_KEY",
    "DEFAULT_POLICY",
    "MONITORING_STATUSES",
    "RELATIONS",
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
    "Rule",
    "Status",
    "Tally",
    "Workflow",
    "action_probes",
    "apply_transition",
    "available_actions",
    "check_artifacts",
    "check_can_register",
    "check_commit",
    "check_transition",
    "default_contracts",
    "default_registry",
    "full_git_commit",
    "genesis_versions",
    "project_policy",
    "tally",
    "version_status",
]
