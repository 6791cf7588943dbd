"""The realistic request mix of the load test and benchmark (tests/integration/test_load.py,
benchmarks/load.py): a demo-like network, its people signed in, and what they do.

People: the cast of ``tests/common/lifecycle.py`` (an AI engineer, MLOps engineers,
stakeholders, an auditor, the org admin), each with a web account. Readers use API tokens
(dashboard-ish reads, versions, ledger summary, tx proofs); browser users open the dashboard
and version pages and write comments through signed-in sessions (the server signs with their
sealed key); CLI users post pre-signed
envelopes (comments, and new version registrations, each sent once).

Every request is complete here (method, path, headers, body), so any driver (``wrk`` with a
Lua script, or httpx threads) replays it as is.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI

from tests.common.lifecycle import Cast, manifest
from tests.common.network import PASSPHRASE
from tests.common.waiting import PATIENCE
from tetherai.identity.roles import Role
from tetherai.services.enrolment import web_account_for_participant

ACCOUNTS = {
    "admin": Role.ORG_ADMIN,
    "author": Role.AI_ENGINEER,
    "ai2": Role.AI_ENGINEER,
    "mlops": Role.MLOPS_ENGINEER,
    "mlops2": Role.MLOPS_ENGINEER,
    "stake1": Role.STAKEHOLDER,
    "stake2": Role.STAKEHOLDER,
    "auditor": Role.AUDITOR,
}
COMMENTERS = ("mlops", "mlops2", "stake1", "stake2", "ai2")
VERSIONS = 6
# Of every 20 requests: 17 reads, one session comment, one pre-signed comment, one
# pre-signed version registration (15 % writes, as a review-heavy day).
SLOTS = 20
READ_SLOTS = 17


@dataclass(frozen=True)
class Call:
    kind: str
    method: str
    path: str
    headers: dict[str, str]
    body: str = ""


@dataclass
class Plan:
    reads: list[Call] = field(default_factory=list)
    session_writes: list[Call] = field(default_factory=list)
    envelope_comments: list[Call] = field(default_factory=list)
    envelope_versions: list[Call] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {name: [asdict(call) for call in calls] for name, calls in vars(self).items()}

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Plan:
        return cls(**{name: [Call(**c) for c in calls] for name, calls in value.items()})

    def mixed(self) -> itertools.cycle[str]:
        """The slot of each request in turn: ``read``, ``session``, ``comment``, ``version``."""
        return itertools.cycle(["read"] * READ_SLOTS + ["session", "comment", "version"])


def password_of(name: str) -> str:
    return f"load password of {name}"


def build_history(cast: Cast) -> list[str]:
    """A demo-like project: versions along the workflow, with reviews; returns the tx ids."""
    tx_ids: list[str] = []
    for number in range(1, VERSIONS + 1):
        version = cast.new_version(f"v{number}")
        target = ("submitted", "reviewing", "review_passed", "production", "monitoring")[number % 5]
        cast.walk(version, target)
        comment = cast.call(
            "stake1",
            "review",
            "comment",
            project=cast.project,
            version=version,
            text=f"Looks good ({number})",
        )
        tx_ids.append(comment.tx_id)
    second = cast.ok("ai2", "project", "create", name="Churn Forecast", domain="retail")
    cast.ok(
        "ai2", "project", "add_member", project=second["project"], org="Org1", id=cast["mlops"].id
    )
    return tx_ids


def page_session(http: httpx.Client, username: str, password: str) -> str:
    """A ``Cookie`` header of a session started on the sign-in page (the pages need its CSRF
    cookie; a JSON sign-in counts as signed out there)."""
    with httpx.Client(base_url=http.base_url, timeout=PATIENCE) as browser:
        form = browser.get("/signin")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token is not None, "no CSRF field on the sign-in page"
        done = browser.post(
            "/signin",
            data={"username": username, "password": password, "csrf_token": token.group(1)},
        )
        assert done.status_code == 303, done.text[:200]
        return "; ".join(f"{key}={value}" for key, value in browser.cookies.items())


def prepare(
    app: FastAPI,
    http: httpx.Client,
    cast: Cast,
    *,
    envelopes: int,
    history: list[str] | None = None,
    first: int = 0,
) -> Plan:
    """Accounts, sessions, tokens and every request of the mix, against a running ``app``.

    ``history``: the tx ids of a :func:`build_history` already on the ledger (another server
    of the same channel made it); without it the history is built here. ``first``: the number
    of the first pre-signed envelope, so two servers' envelopes (version names) never clash."""
    rt = app.state.runtime
    tokens: dict[str, str] = {}
    for name, role in ACCOUNTS.items():
        user = web_account_for_participant(
            rt.auth,
            rt.custody,
            cast.net.home,
            passphrase=PASSPHRASE,
            participant_id=cast[name].id,
            role=role,
            password=password_of(name),
        )
        tokens[name] = rt.auth.issue_api_token(user, "load").token
    tx_ids = build_history(cast) if history is None else history
    project = cast.project
    plan = Plan()

    def bearer(name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[name]}"}

    readers = ("author", "mlops", "stake1", "stake2", "auditor", "admin")
    for index, reader in enumerate(readers):
        version = f"v{index % VERSIONS + 1}"
        base = f"/api/v1/projects/{project}"
        paths = [
            ("projects", "/api/v1/projects"),
            ("project", base),
            ("versions", f"{base}/versions"),
            ("version", f"{base}/versions/{version}"),
            ("reviews", f"{base}/versions/{version}/reviews"),
            ("actions", f"{base}/versions/{version}/actions"),
            ("history", f"{base}/versions/{version}/history"),
            ("ledger", "/api/v1/ledger"),
            ("blocks", "/api/v1/ledger/blocks"),
            ("notifications", "/api/v1/me/notifications"),
            ("tx", f"/api/v1/ledger/txs/{tx_ids[index % len(tx_ids)]}"),
            ("proof", f"/api/v1/ledger/txs/{tx_ids[index % len(tx_ids)]}/proof"),
        ]
        plan.reads.extend(Call(kind, "GET", path, bearer(reader)) for kind, path in paths)

    for number, name in enumerate(COMMENTERS):
        signed_in = http.post(
            "/api/v1/auth/login", json={"username": cast[name].id, "password": password_of(name)}
        )
        signed_in.raise_for_status()
        cookie = "; ".join(f"{key}={value}" for key, value in signed_in.cookies.items())
        headers = {
            "Cookie": cookie,
            "X-CSRF-Token": signed_in.json()["csrf_token"],
            "Content-Type": "application/json",
        }
        version = f"v{number % VERSIONS + 1}"
        # The same people browse the pages (server-rendered HTML) between their writes.
        browser = {"Cookie": page_session(http, cast[name].id, password_of(name))}
        plan.reads.append(Call("page dashboard", "GET", "/dashboard", browser))
        page = f"/projects/{project}/versions/{version}"
        plan.reads.append(Call("page version", "GET", page, browser))
        body = json.dumps({"text": f"{name} read the evaluation report; fine by me."})
        path = f"/api/v1/projects/{project}/versions/{version}/comments"
        plan.session_writes.append(Call("session comment", "POST", path, headers, body))

    json_headers = {"Content-Type": "application/json"}
    for number in range(first, first + envelopes):
        name = COMMENTERS[number % len(COMMENTERS)]
        args: dict[str, object] = {
            "project": project,
            "version": f"v{number % VERSIONS + 1}",
            "text": f"pre-signed comment {number}",
        }
        envelope = cast.net.sign(cast[name], "review", "comment", args).to_json()
        plan.envelope_comments.append(
            Call(
                "envelope comment",
                "POST",
                "/api/v1/envelopes",
                bearer(name) | json_headers,
                json.dumps(envelope),
            )
        )
        registration: dict[str, object] = {
            "project": project,
            "version": f"load-{number}",
            "code_repo": "https://git.example/credit",
            "commit": f"{number:040x}",
            "artifacts": manifest(model=f"{number:064x}"),
            "experiments": [{"name": "final", "metrics": {"test_accuracy": 0.9}}],
        }
        envelope = cast.net.sign(cast["author"], "model_version", "create", registration).to_json()
        plan.envelope_versions.append(
            Call(
                "envelope version",
                "POST",
                "/api/v1/envelopes",
                bearer("author") | json_headers,
                json.dumps(envelope),
            )
        )
    return plan


@dataclass
class Tally:
    """What a run did: answers by kind and status, failures with their first words."""

    sent: dict[str, int] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    tx_ids: list[str] = field(default_factory=list)


def run_users(base_url: str, plan: Plan, *, users: int, calls: int) -> Tally:
    """``users`` threads, each its own keep-alive connection, sharing ``calls`` requests of
    the mix (a count, not a duration: the same work whatever the machine's speed). A
    pre-signed envelope is sent once; when they run out, a session write takes its slot. For
    the suite (correctness under concurrency), not for figures."""
    import threading

    lock = threading.Lock()
    slots = plan.mixed()
    reads = itertools.cycle(plan.reads)
    sessions = itertools.cycle(plan.session_writes)
    unused = {"comment": list(plan.envelope_comments), "version": list(plan.envelope_versions)}
    tally = Tally()
    left = iter(range(calls))

    def next_call() -> Call | None:
        with lock:
            if next(left, None) is None:
                return None
            slot = next(slots)
            if slot == "read":
                return next(reads)
            if unused.get(slot):
                return unused[slot].pop()
            return next(sessions)

    def user() -> None:
        with httpx.Client(base_url=base_url, timeout=PATIENCE) as http:
            while (call := next_call()) is not None:
                try:
                    response = http.request(
                        call.method, call.path, headers=call.headers, content=call.body or None
                    )
                except httpx.HTTPError as error:
                    with lock:
                        tally.failures.append(f"{call.kind} {call.path}: {error!r}")
                    continue
                with lock:
                    tally.sent[call.kind] = tally.sent.get(call.kind, 0) + 1
                    tally.statuses[response.status_code] = (
                        tally.statuses.get(response.status_code, 0) + 1
                    )
                    if not 200 <= response.status_code < 300:  # a redirect is a bounce too
                        tally.failures.append(
                            f"{call.kind} {call.path}: {response.status_code} {response.text[:200]}"
                        )
                    elif call.method == "POST":
                        tally.tx_ids.append(str(response.json()["tx_id"]))

    threads = [threading.Thread(target=user, name=f"load-user-{n}") for n in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally
