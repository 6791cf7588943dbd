"""contracts layer (DESIGN.md §5): the domain rules, written once, enforced for every caller.

Names load with their module on first use (``tetherai._lazy``): the SDK builds its calls
(``contracts.calls``) without loading the contracts and the ledger under them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tetherai._lazy import lazy_exports

if TYPE_CHECKING:
    from tetherai.contracts.access import (
        CHANNEL_CONTRACTS,
        confidential,
        may_read_project,
        readable_project_refs,
        require_readable,
        tx_project,
    )
    from tetherai.contracts.arguments import (
        CODE_REPO,
        COMMENT,
        COMMIT,
        DOCUMENT_NAME,
        DOCUMENT_URI,
        MEMBER_REMOVAL_REASON,
        MONITORING_NOTE,
        NOTEBOOK_VERSION,
        PROJECT_CHANGES,
        PROJECT_DETAILS,
        PROJECT_DOMAIN,
        PROJECT_NAME,
        RATING_NOTE,
        ROLLBACK_REASON,
        TRANSITION_REASON,
        VERSION_CHANGES,
        VERSION_COMMENT,
        VOTE_COMMENT,
        Text,
        check_changes,
        check_method,
        check_monitoring,
        check_stars,
        status_named,
    )
    from tetherai.contracts.calls import (
        Call,
        add_member,
        attach_document,
        check_artifact_kind,
        comment,
        create_project,
        create_version,
        monitor,
        rate,
        remove_member,
        rollback,
        set_factsheet,
        set_policy,
        submit_version,
        transition,
        update_project,
        update_version,
        verify,
        vote,
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
        ModelVersionV2,
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
        ProjectV2,
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
        WorkflowV2,
        available_actions,
    )

__all__ = [
    "CHANGES",
    "CHANNEL_CONTRACTS",
    "CHANNEL_KEY",
    "CODE_REPO",
    "COMMENT",
    "COMMIT",
    "DEFAULT_POLICY",
    "DOCUMENT_NAME",
    "DOCUMENT_URI",
    "MEMBER_REMOVAL_REASON",
    "MONITORING_NOTE",
    "NOTEBOOK_VERSION",
    "PROJECT_CHANGES",
    "PROJECT_DETAILS",
    "PROJECT_DOMAIN",
    "PROJECT_NAME",
    "RATING_NOTE",
    "ROLLBACK_REASON",
    "ROLLBACK_ROLE",
    "RULES",
    "TRANSITION_REASON",
    "VERSION_CHANGES",
    "VERSION_COMMENT",
    "VOTE_COMMENT",
    "Call",
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
    "Tally",
    "Text",
    "Workflow",
    "WorkflowV2",
    "action_probes",
    "add_member",
    "apply_transition",
    "approvals",
    "attach_document",
    "available_actions",
    "check_artifact_kind",
    "check_artifacts",
    "check_can_register",
    "check_change",
    "check_changes",
    "check_commit",
    "check_method",
    "check_monitoring",
    "check_stars",
    "check_transition",
    "comment",
    "confidential",
    "create_project",
    "create_status",
    "create_version",
    "default_contracts",
    "default_registry",
    "describe",
    "full_git_commit",
    "genesis_versions",
    "latest_verification",
    "may_read_project",
    "monitor",
    "project_policy",
    "rate",
    "readable_project_refs",
    "remove_member",
    "require_readable",
    "rollback",
    "set_factsheet",
    "set_policy",
    "status_named",
    "submit_version",
    "tally",
    "transition",
    "tx_project",
    "update_project",
    "update_version",
    "verify",
    "version_status",
    "vote",
]

__getattr__, __dir__ = lazy_exports(__name__, __file__)
