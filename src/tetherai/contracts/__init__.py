"""contracts layer (DESIGN.md §5): the domain rules, written once, enforced for every caller."""

from tetherai.contracts.access import (
    CHANNEL_CONTRACTS,
    confidential,
    may_read_project,
    readable_project_refs,
    require_readable,
    tx_project,
)
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
    ModelVersionV2,
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
    ProjectV2,
)
from tetherai.contracts.registry import (
    default_contracts,
    default_registry,
    genesis_versions,
)
from tetherai.contracts.review import (
    MONITORING_STATUSES,
    Review,
    ReviewV2,
    action_probes,
)
from tetherai.contracts.workflow import (
    APPROVED,
    RULES,
    Rule,
    Status,
    Workflow,
    WorkflowV2,
    apply_transition,
    available_actions,
    check_transition,
    project_policy,
    version_status,
)

__all__ = [
    "APPROVED",
    "ARTIFACT_KINDS",
    "CHANNEL_CONTRACTS",
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
    "ModelVersionV2",
    "NotFound",
    "NotPermitted",
    "Notary",
    "Policy",
    "Project",
    "ProjectV2",
    "Quorum",
    "Review",
    "ReviewV2",
    "Rule",
    "Status",
    "Tally",
    "Workflow",
    "WorkflowV2",
    "action_probes",
    "apply_transition",
    "available_actions",
    "check_artifacts",
    "check_can_register",
    "check_commit",
    "check_transition",
    "confidential",
    "default_contracts",
    "default_registry",
    "full_git_commit",
    "genesis_versions",
    "may_read_project",
    "project_policy",
    "readable_project_refs",
    "require_readable",
    "tally",
    "tx_project",
    "version_status",
]
