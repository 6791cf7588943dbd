"""Replay each version's status history through the workflow rules (``workflow_table``).

Only results the state-root chain proved are replayed. Member roles, version authors and
verifications are rebuilt from the same records, in log order, so each step is judged by the
project as it was when the step was taken.
"""

from __future__ import annotations

from typing import Any

from . import workflow_table
from .scope import in_scope
from .verdict import BundleTx, Problem, Transition

__all__ = ["WorkflowReplay"]

Rule = tuple[str, str, str, str, bool]
# Direct steps, where the signer's own role must be the rule's (votes and verifications that
# move a version were checked as votes and verifications by the contracts).
_DIRECT = ("workflow.transition", "model_version.submit", "model_version.create")


class WorkflowReplay:
    def __init__(self, project: str, version: str | None) -> None:
        self.project = project
        self.version = version
        self.problems: list[Problem] = []
        self.transitions: list[Transition] = []
        self.checks: list[str] = []

    @property
    def scope(self) -> str:
        return self.project if self.version is None else f"{self.project}/{self.version}"

    def fail(self, code: str, message: str) -> None:
        self.problems.append(Problem(code, message))

    def run(self, items: list[BundleTx]) -> None:
        if any(item.valid is None for item in items):
            self.fail(
                "workflow.unproven", "the status history was not replayed: tx results are unproven"
            )
            return
        project, version = self.project, self.version
        # The scope line is not signed: the proven records must be about what it names.
        own = f"project/{project}" if version is None else f"model_version/{project}/{version}"
        if not any(item.valid and own in item.writes for item in items):
            self.fail(
                "bundle.scope",
                f"no tx of the bundle wrote {own}: the bundle is not about {self.scope}",
            )
        rules = {(r[0], r[1]): r for r in workflow_table.RULES}
        members: dict[str, str] = {}
        authors: dict[str, str] = {}
        verified: dict[str, bool] = {}
        status: dict[str, str] = {}
        changes = 0
        member_prefix = f"project/{project}/member/"
        for item in items:
            if not item.valid:
                continue
            for key, value in item.writes.items():
                if key.startswith(member_prefix):
                    who = "@".join(reversed(key.removeprefix(member_prefix).split("/", 1)))
                    if isinstance(value, dict):
                        members[who] = str(value.get("role"))
                    else:
                        members.pop(who, None)
                elif (
                    key.startswith(f"model_version/{project}/")
                    and key.count("/") == 3
                    and isinstance(value, dict)
                ):
                    authors[key.rsplit("/", 1)[1]] = str(value.get("author"))
                elif key.startswith(f"review/{project}/") and key.endswith("/verification"):
                    verified[key.split("/")[-2]] = (
                        isinstance(value, dict) and value.get("ok") is True
                    )
            for key, value in sorted(item.writes.items()):
                name = key.removeprefix(f"workflow/{project}/")
                if (
                    not key.startswith(f"workflow/{project}/")
                    or name == "_production"
                    or not in_scope(key, project, self.version)
                ):
                    continue  # a rollback also writes the other version's status
                changes += 1
                self._transition(item, name, value, status, rules, members, authors, verified)
        if not any(p.code.startswith("workflow") for p in self.problems):
            self.checks.append(
                f"{changes} status change(s) replayed through the workflow rules, all allowed"
            )

    def _transition(
        self,
        item: BundleTx,
        version: str,
        record: Any,
        status: dict[str, str],
        rules: dict[tuple[str, str], tuple[str, str, str, str, bool]],
        members: dict[str, str],
        authors: dict[str, str],
        verified: dict[str, bool],
    ) -> None:
        where = f"version {version}, tx {item.tx_id[:16]}… ({item.action} by {item.who})"
        if not isinstance(record, dict) or not isinstance(record.get("status"), str):
            self.fail("workflow.record", f"{where}: the status record is malformed")
            return
        target, source = record["status"], record.get("previous")
        reason = str(record.get("reason") or "")
        last = status.get(version)
        problems = len(self.problems)
        if last is None and source is None and target == "draft":
            pass  # a new version starts as a draft
        elif last is None and not (source == "draft" and version in authors):
            self.fail(
                "workflow.start", f"{where}: the version first appears as {target}, not as a draft"
            )
        elif last is not None and source != last:
            self.fail(
                "workflow.gap",
                f"{where}: the record says it moved from {source}, but the version was {last} "
                "(a status change is missing or altered)",
            )
        else:
            self._allowed(
                item, version, str(source), target, reason, rules, members, authors, verified, where
            )
        status[version] = target
        self.transitions.append(
            Transition(
                version,
                item.seq,
                item.tx_id,
                item.who,
                item.ts,
                source,
                target,
                reason,
                len(self.problems) == problems,
            )
        )

    def _allowed(
        self,
        item: BundleTx,
        version: str,
        source: str,
        target: str,
        reason: str,
        rules: dict[tuple[str, str], tuple[str, str, str, str, bool]],
        members: dict[str, str],
        authors: dict[str, str],
        verified: dict[str, bool],
        where: str,
    ) -> None:
        role_needed: str | None = None
        if item.action == "workflow.rollback":
            if not (
                (source in workflow_table.LIVE and target == "rolled_back")
                or (source in workflow_table.APPROVED and target == "production")
            ):
                self.fail(
                    "workflow.rule",
                    f"{where}: a rollback cannot move a version from {source} to {target}",
                )
                return
            role_needed = workflow_table.ROLLBACK_ROLE
        else:
            rule = rules.get((source, target))
            if rule is None:
                onward = sorted(r[1] for r in workflow_table.RULES if r[0] == source)
                self.fail(
                    "workflow.rule",
                    f"{where}: moved from {source} to {target}, which the workflow rules do not "
                    f"allow (from {source}: {', '.join(onward) or 'nowhere'})",
                )
                return
            if item.action in (
                "workflow.transition",
                "model_version.submit",
                "model_version.create",
            ):
                role_needed = rule[2]
                if rule[4] and authors.get(version) != item.who:
                    self.fail(
                        "workflow.author",
                        f"{where}: only the author ({authors.get(version)}) may {rule[3]}",
                    )
        if role_needed is not None and members.get(item.who) != role_needed:
            had = members.get(item.who)
            self.fail(
                "workflow.role",
                f"{where}: needs a project member of role {role_needed}; {item.who} was "
                + (f"{had}" if had else "not a member"),
            )
        if target in workflow_table.NEEDS_REASON and not reason.strip():
            self.fail("workflow.reason", f"{where}: moving to {target} needs a reason")
        if target == "review_passed" and not verified.get(version):
            self.fail(
                "workflow.verification", f"{where}: passed review without a verification that holds"
            )
