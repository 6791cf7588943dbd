"""The model_version contract (DESIGN.md §5): versions, their artifacts, experiments and lineage.

A version starts as a draft its author may change; once submitted its content is frozen, and
a correction is a new version that ``replaces`` the failed one. At submission the contract
indexes the version's lineage both ways — what it was built from (parent versions, artifacts
by digest) and what was built from it (``used_by``) — and who first contributed each artifact.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from tetherai.contracts import arguments
from tetherai.contracts._common import (
    Actor,
    Result,
    digest,
    no_such_project,
    require_member,
    require_project,
    require_version,
    split_version_ref,
    stamp,
    status_key,
    text,
    version_key,
    version_ref,
)
from tetherai.contracts.access import confidential, may_read_project
from tetherai.contracts.errors import Conflict, InvalidArgument, NotFound, NotPermitted
from tetherai.contracts.transitions import (
    apply_transition,
    check_transition,
    create_status,
    latest_verification,
    version_status,
)
from tetherai.crypto.jcs import JSONValue
from tetherai.identity.roles import Role
from tetherai.ledger.contract import Context, Contract, Identity, QueryContext, query, transaction
from tetherai.ledger.state import StateReader
from tetherai.vocabulary import RELATIONS, Status, kind_problem, may_be_replaced

__all__ = ["ModelVersion", "ModelVersionV2", "check_artifacts", "check_can_register"]

MAX_ARTIFACTS = 200
ARTIFACT_FIELDS = frozenset({"kind", "name", "uri", "size", "sha256"})
ARTIFACT_OPTIONAL = ARTIFACT_FIELDS | {"files", "reused_from"}
MAX_FILES = 10_000
MAX_EXPERIMENTS = 50
MAX_SERIES = 10_000


def check_artifacts(value: Any) -> list[dict[str, JSONValue]]:
    """Validate an artifact manifest: ``[{kind, name, uri, size, sha256, files?}]``."""
    if not isinstance(value, list) or len(value) > MAX_ARTIFACTS:
        raise InvalidArgument(f"artifacts must be a list of at most {MAX_ARTIFACTS} entries")
    names: set[str] = set()
    checked: list[dict[str, JSONValue]] = []
    for entry in value:
        if not isinstance(entry, dict) or not ARTIFACT_FIELDS <= set(entry) <= ARTIFACT_OPTIONAL:
            raise InvalidArgument(
                "each artifact must be {kind, name, uri, size, sha256} (and files for a folder)"
            )
        name = text(entry["name"], "an artifact name", limit=200, required=True)
        if name in names:
            raise InvalidArgument(f"two artifacts are named {name!r}")
        names.add(name)
        problem = kind_problem(entry["kind"], name)
        if problem is not None:
            raise InvalidArgument(problem)
        size = entry["size"]
        if type(size) is not int or size < 0:
            raise InvalidArgument(f"the size of artifact {name!r} must be a whole number of bytes")
        item: dict[str, JSONValue] = {
            "kind": entry["kind"],
            "name": name,
            "uri": text(entry["uri"], f"the uri of {name!r}", limit=2000, required=True),
            "size": size,
            "sha256": digest(entry["sha256"], f"the digest of artifact {name!r}"),
        }
        if "files" in entry:
            item["files"] = _check_files(entry["files"], name)
        if "reused_from" in entry:
            item["reused_from"] = text(
                entry["reused_from"], "reused_from", limit=300, required=True
            )
        checked.append(item)
    return checked


def resolve_reuse(state: StateReader, value: Any, reader: Identity | None = None) -> Any:
    """Expand ``{"name", "reuse": sha256}`` entries into an artifact registered before with it.

    Reusing by digest keeps the original uri, size, kind and per-file list, and records where
    the artifact came from, so the provenance graph shows the reuse.

    With ``reader`` (confidential versions), reuse is possession, not knowledge: the source is
    the first submitted version ``reader`` may read that registered the digest (or the one
    named by ``from``), a digest no such version registered is refused with the same words
    whether or not an unreadable one did, and ``reused_from`` is only ever written here.
    Without it (version 1), the source is the version that registered the digest first.
    """
    if not isinstance(value, list):
        return value
    resolved = []
    for entry in value:
        if isinstance(entry, dict) and "reuse" in entry:
            allowed = {"name", "reuse"} | ({"from"} if reader is not None else set())
            if set(entry) - allowed:
                raise InvalidArgument(
                    "a reused artifact is {name, reuse: <sha256 of an artifact registered before>"
                    + (", from?: <org>/<project>/<version>}" if reader is not None else "}")
                )
            sha = digest(entry["reuse"], "reuse")
            source_ref, source_name = _reuse_source(state, sha, entry.get("from"), reader)
            source_project, source_version = split_version_ref(source_ref)
            source = require_version(state, source_project, source_version)
            original = next(a for a in source["artifacts"] if a["name"] == source_name)
            resolved.append(
                original | {"name": entry.get("name", original["name"]), "reused_from": source_ref}
            )
        else:
            if reader is not None and isinstance(entry, dict) and "reused_from" in entry:
                raise InvalidArgument(
                    "reused_from is recorded by the contract: reuse an artifact as "
                    "{name, reuse: <sha256>}, do not name its source yourself"
                )
            resolved.append(entry)
    return resolved


def _reuse_source(
    state: StateReader, sha: str, wanted: Any, reader: Identity | None
) -> tuple[str, str]:
    """The version (and artifact name) a reuse of ``sha`` copies."""
    if reader is None:
        first = state.get(f"model_version/_artifact/{sha}")
        if not isinstance(first, dict):
            raise InvalidArgument(
                f"no submitted version registered an artifact with digest {sha[:12]}…"
            )
        return str(first["version"]), str(first["name"])
    if wanted is not None:
        text(wanted, "from", limit=300, required=True)
    for _, use in state.scan(f"model_version/_digest/{sha}/"):
        if not isinstance(use, dict):
            continue
        ref = str(use["version"])
        if wanted is not None and ref != wanted:
            continue
        if may_read_project(state, ref.rpartition("/")[0], reader):
            return ref, str(use["name"])
    raise NotFound(
        f"no submitted version you may read registered an artifact with digest {sha[:12]}…"
        + (f" in {wanted}" if wanted is not None else "")
    )


def _check_files(value: Any, artifact: str) -> list[JSONValue]:
    if not isinstance(value, list) or not 0 < len(value) <= MAX_FILES:
        raise InvalidArgument(
            f"the files of {artifact!r} must be a list of 1 to {MAX_FILES} entries"
        )
    files: list[JSONValue] = []
    previous = ""
    for entry in value:
        if not isinstance(entry, dict) or set(entry) != {"path", "size", "sha256"}:
            raise InvalidArgument(f"each file of {artifact!r} must be {{path, size, sha256}}")
        path = text(entry["path"], f"a file path in {artifact!r}", limit=1000, required=True)
        if path.startswith("/") or ".." in path.split("/") or path <= previous:
            raise InvalidArgument(
                f"file paths of {artifact!r} must be relative, inside it, and sorted: {path!r}"
            )
        if type(entry["size"]) is not int or entry["size"] < 0:
            raise InvalidArgument(f"the size of {path!r} must be a whole number of bytes")
        previous = path
        files.append(
            {
                "path": path,
                "size": entry["size"],
                "sha256": digest(entry["sha256"], f"the digest of {path!r}"),
            }
        )
    return files


def _number(value: Any, what: str) -> float | int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidArgument(f"{what} must be a finite number")
    return value


def check_experiments(value: Any) -> list[dict[str, JSONValue]]:
    """``[{name, log_sha256?, hyperparameters: {}, metrics: {name: number}, series?: {name: [numbers]}}]``."""
    if not isinstance(value, list) or len(value) > MAX_EXPERIMENTS:
        raise InvalidArgument(f"experiments must be a list of at most {MAX_EXPERIMENTS}")
    checked: list[dict[str, JSONValue]] = []
    for entry in value:
        if (
            not isinstance(entry, dict)
            or "name" not in entry
            or not set(entry) <= {"name", "log_sha256", "hyperparameters", "metrics", "series"}
        ):
            raise InvalidArgument(
                "each experiment must be {name, log_sha256?, hyperparameters?, metrics?, series?}"
            )
        name = text(entry["name"], "an experiment name", limit=200, required=True)
        params = entry.get("hyperparameters", {})
        if not isinstance(params, dict) or len(params) > 200:
            raise InvalidArgument(
                f"the hyperparameters of {name!r} must be an object of at most 200 entries"
            )
        metrics = entry.get("metrics", {})
        if not isinstance(metrics, dict) or len(metrics) > 200:
            raise InvalidArgument(
                f"the metrics of {name!r} must be an object of at most 200 numbers"
            )
        series = entry.get("series", {})
        if (
            not isinstance(series, dict)
            or sum(len(v) if isinstance(v, list) else 1 for v in series.values()) > MAX_SERIES
        ):
            raise InvalidArgument(
                f"the series of {name!r} must map metric names to at most {MAX_SERIES} numbers in all"
            )
        item: dict[str, JSONValue] = {
            "name": name,
            "hyperparameters": params,
            "metrics": {str(k): _number(v, f"metric {k} of {name!r}") for k, v in metrics.items()},
            "series": {
                str(k): [
                    _number(x, f"series {k} of {name!r}")
                    for x in (v if isinstance(v, list) else [None])
                ]
                for k, v in series.items()
            },
        }
        if "log_sha256" in entry:
            item["log_sha256"] = digest(entry["log_sha256"], f"the log digest of {name!r}")
        checked.append(item)
    return checked


def final_metrics(record: dict[str, JSONValue]) -> dict[str, JSONValue]:
    """The metrics a version registered, later experiments overriding earlier ones."""
    metrics: dict[str, JSONValue] = {}
    for experiment in record.get("experiments", []):  # type: ignore[union-attr]
        metrics.update(experiment.get("metrics", {}))  # type: ignore[union-attr,arg-type]
    return metrics


def _check_parents(
    state: StateReader, value: Any, reader: Identity | None = None
) -> list[dict[str, JSONValue]]:
    """Parent versions; with ``reader`` (confidential versions) only ones ``reader`` may read,
    an unreadable one refused exactly as one that does not exist."""
    if not isinstance(value, list) or len(value) > 20:
        raise InvalidArgument("parents must be a list of at most 20 {ref, relation}")
    parents: list[dict[str, JSONValue]] = []
    for entry in value:
        if not isinstance(entry, dict) or set(entry) != {"ref", "relation"}:
            raise InvalidArgument(
                "each parent must be {ref: '<org>/<project>/<version>', relation}"
            )
        if entry["relation"] not in RELATIONS:
            raise InvalidArgument(f"a parent's relation must be one of {', '.join(RELATIONS)}")
        project, version = split_version_ref(str(entry["ref"]))
        if reader is not None and not may_read_project(state, project, reader):
            raise NotFound(no_such_project(project))
        require_version(state, project, version)
        parents.append({"ref": str(entry["ref"]), "relation": entry["relation"]})
    return parents


def check_can_register(state: StateReader, project: str, who: Actor | Identity) -> None:
    """Who may register versions of a project (the create tx and ``project.abilities`` ask this)."""
    require_member(state, project, who, doing="register model versions", roles=(Role.AI_ENGINEER,))


class ModelVersion(Contract):
    name = "model_version"
    version = "1"
    legacy = True  # channels on it keep it; none may switch back to it from version 2
    namespaces = ("model_version", "workflow")
    confidential: ClassVar[bool] = False

    def _reader(self, ctx: Context) -> Identity | None:
        """Whose reading rights reuse and parents are checked against (confidential versions)."""
        return ctx.creator if self.confidential else None

    @transaction
    def create(
        self,
        ctx: Context,
        project: str,
        version: str,
        code_repo: str,
        commit: str,
        notebook_version: str = "",
        comment: str = "",
        artifacts: list[Any] | None = None,
        experiments: list[Any] | None = None,
        parents: list[Any] | None = None,
        replaces: str | None = None,
        submit: bool = False,
    ) -> Result:
        """Register a version as a draft (or submit it at once with ``submit``)."""
        require_project(ctx.state, project)
        ref = version_ref(project, version)
        check_can_register(ctx.state, project, ctx.creator)
        if ctx.state.get(version_key(project, version)) is not None:
            raise Conflict(f"project {project} already has a version {version}")
        lineage = _check_parents(ctx.state, parents or [], self._reader(ctx))
        if replaces is not None:
            if not may_be_replaced(version_status(ctx.state, project, replaces)):
                raise InvalidArgument(
                    f"version {replaces} did not fail its review; only a failed version is replaced"
                )
            replaced_by = ctx.state.get(f"{version_key(project, replaces)}/replaced_by")
            if replaced_by is not None:
                raise Conflict(f"version {replaces} was already replaced by {replaced_by}")
            lineage.append({"ref": version_ref(project, replaces), "relation": "replaces"})
        record: dict[str, JSONValue] = {
            "ref": ref,
            "project": project,
            "version": version,
            "author": f"{ctx.creator.id}@{ctx.creator.org}",
            "created_at": ctx.block_ts,
            "code_repo": arguments.CODE_REPO.check(code_repo),
            "commit": arguments.COMMIT.check(commit),
            "notebook_version": arguments.NOTEBOOK_VERSION.check(notebook_version),
            "comment": arguments.VERSION_COMMENT.check(comment),
            "artifacts": check_artifacts(  # type: ignore[dict-item]
                resolve_reuse(ctx.state, artifacts or [], self._reader(ctx))
            ),
            "experiments": check_experiments(experiments or []),  # type: ignore[dict-item]
            "parents": lineage,  # type: ignore[dict-item]
            "replaces": replaces,
        }
        ctx.state.put(version_key(project, version), record | stamp(ctx))
        create_status(ctx, project, version)
        if replaces is not None:
            ctx.state.put(
                f"{version_key(project, replaces)}/replaced_by", {"version": version} | stamp(ctx)
            )
        result: dict[str, JSONValue] = {"version": ref, "status": Status.DRAFT.value}
        if submit:
            result["submitted"] = self._submit(ctx, project, version)
            result["status"] = Status.SUBMITTED.value
        return result

    @transaction
    def update(
        self,
        ctx: Context,
        project: str,
        version: str,
        code_repo: str | None = None,
        commit: str | None = None,
        notebook_version: str | None = None,
        comment: str | None = None,
        artifacts: list[Any] | None = None,
        experiments: list[Any] | None = None,
    ) -> Result:
        """Change a draft; only its author may, and only while it is a draft."""
        record = require_version(ctx.state, project, version)
        if record["author"] != f"{ctx.creator.id}@{ctx.creator.org}":
            raise NotPermitted(
                f"only the author of version {version} ({record['author']}) can change it"
            )
        status = version_status(ctx.state, project, version)
        if status is not Status.DRAFT:
            raise Conflict(
                f"version {version} is {status.value}; a submitted version cannot change — register a new one"
            )
        given = {
            "code_repo": code_repo,
            "commit": commit,
            "notebook_version": notebook_version,
            "comment": comment,
        }
        changes: dict[str, JSONValue] = dict(
            arguments.check_changes(arguments.VERSION_CHANGES, given)
        )
        if artifacts is not None:
            changes["artifacts"] = check_artifacts(  # type: ignore[assignment]
                resolve_reuse(ctx.state, artifacts, self._reader(ctx))
            )
        if experiments is not None:
            changes["experiments"] = check_experiments(experiments)  # type: ignore[assignment]
        if not changes:
            raise InvalidArgument("nothing to change")
        ctx.state.put(version_key(project, version), record | changes | stamp(ctx))
        return {"version": version_ref(project, version), "changed": sorted(changes)}

    @transaction
    def submit(self, ctx: Context, project: str, version: str) -> Result:
        """Submit a draft for review; its content is frozen from now on."""
        return self._submit(ctx, project, version)

    def _submit(self, ctx: Context, project: str, version: str) -> Result:
        check_transition(ctx.state, project, version, Status.SUBMITTED, Actor.of(ctx.creator))
        record = require_version(ctx.state, project, version)
        ref = version_ref(project, version)
        for parent in record.get("parents", []):
            parent_ref = str(parent["ref"])
            edge = {"child": ref, "parent": parent_ref, "relation": parent["relation"]}
            ctx.state.put(f"model_version/_lineage/{ref}/{parent_ref}", edge | stamp(ctx))
            ctx.state.put(f"model_version/_used_by/{parent_ref}/{ref}", edge | stamp(ctx))
        for artifact in record.get("artifacts", []):
            sha = str(artifact["sha256"])
            use = {"version": ref, "name": artifact["name"], "kind": artifact["kind"]}
            ctx.state.put(f"model_version/_digest/{sha}/{ref}/{artifact['name']}", use | stamp(ctx))
            if ctx.state.get(f"model_version/_artifact/{sha}") is None:
                ctx.state.put(
                    f"model_version/_artifact/{sha}",
                    use | {"contributor": record["author"]} | stamp(ctx),
                )
        return apply_transition(ctx, project, version, Status.SUBMITTED)

    @query
    def get(self, ctx: QueryContext, project: str, version: str) -> Result:
        """A version with its status, latest verification and deployment."""
        record = require_version(ctx.state, project, version)
        return {
            "version": record,
            "status": ctx.state.get(status_key(project, version)),
            "verification": latest_verification(ctx.state, project, version),
            "replaced_by": ctx.state.get(f"{version_key(project, version)}/replaced_by"),
        }

    @query
    def list_versions(
        self,
        ctx: QueryContext,
        project: str,
        first: int = 0,
        limit: int | None = None,
        after: str = "",
    ) -> Result:
        """The project's versions with their status, in name order: all of them, or ``limit``
        from the ``first`` on; with ``after`` (a version name), only those named after it.
        Only the versions asked for and the ``first`` skipped are read, so a page after the
        last version of the previous one reads that page alone."""
        require_project(ctx.state, project)
        if first < 0 or (limit is not None and limit < 0):
            raise InvalidArgument("first and limit must not be negative")
        if after:
            version_ref(project, after)  # a name, or InvalidArgument saying what is wrong
        prefix = f"model_version/{project}/"
        versions: list[JSONValue] = []
        wanted = None if limit is None else first + limit  # versions to pass over or keep
        position = 0
        start = prefix + after if after else ""
        while wanted is None or position < wanted:
            # Enough rows for the versions still wanted; a version's own sub-keys
            # (``…/replaced_by``) sort among them and are passed over.
            batch = None if wanted is None else wanted - position
            rows = list(ctx.state.scan(prefix, after=start, limit=batch))
            for key, value in rows:
                name = key[len(prefix) :]
                if "/" in name:
                    continue
                if position >= first:
                    versions.append(
                        {"version": value, "status": ctx.state.get(status_key(project, name))}
                    )
                position += 1
                if position == wanted:
                    break
            if batch is None or len(rows) < batch:
                break
            start = rows[-1][0]
        return versions

    @query
    def lineage(self, ctx: QueryContext, project: str, version: str) -> Result:
        """What this version was built from (parents, artifacts and their first contributors), and what from it."""
        record = require_version(ctx.state, project, version)
        ref = version_ref(project, version)
        artifacts = []
        for artifact in record.get("artifacts", []):
            sha = str(artifact["sha256"])
            first = ctx.state.get(f"model_version/_artifact/{sha}")
            others = [
                value
                for _, value in ctx.state.scan(f"model_version/_digest/{sha}/")
                if isinstance(value, dict) and value.get("version") != ref
            ]
            artifacts.append(
                {"artifact": artifact, "first_registered": first, "also_used_by": others}
            )
        return {
            "version": ref,
            "parents": [value for _, value in ctx.state.scan(f"model_version/_lineage/{ref}/")],
            "children": [value for _, value in ctx.state.scan(f"model_version/_used_by/{ref}/")],
            "artifacts": artifacts,
        }

    @query
    def used_by(self, ctx: QueryContext, sha256: str) -> Result:
        """Every submitted version, in any project, that registered an artifact with this digest."""
        digest(sha256, "sha256")
        return {
            "first_registered": ctx.state.get(f"model_version/_artifact/{sha256}"),
            "uses": [value for _, value in ctx.state.scan(f"model_version/_digest/{sha256}/")],
        }


@confidential
class ModelVersionV2(ModelVersion):
    """Version 2: confidential (``contracts.access``): a project the creator may not read
    answers as one that does not exist, and reuse and parents need a readable source."""

    version = "2"
    legacy = False
