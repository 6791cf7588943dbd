"""Every use-case write route × every member role, with valid bodies, along a whole life cycle.

At each status a version passes through, each member (AI engineer, MLOps engineer, stakeholder)
and the org admin ask the API what they may do now (``GET …/actions``, the contracts' own
checks), then post every refused action with a valid body: each must be refused with the very
reason the contracts gave, and never reach a 5xx. Side-effect-free allowed actions (comments,
ratings, documents, monitoring reports) are posted and must succeed; the life cycle moves on by
the role the workflow names, through the API. The project's own writes (change, members,
factsheet, policy, new versions, new projects) are checked the same way against ``abilities``.
Non-members, auditors, API tokens and anonymous callers are in test_authorization_matrix.py.
"""

from __future__ import annotations

import itertools
from typing import Any

import httpx
from fastapi import FastAPI

from tests.common.accounts import web_account
from tests.common.lifecycle import ARTIFACT_DIGESTS, Cast, manifest
from tests.common.waiting import PATIENCE
from tests.unit.api.conftest import ADMIN_PASSWORD
from tetherai.identity.roles import Role

PASSWORD = "write matrix passphrase"
MEMBERS = {"alice": Role.AI_ENGINEER, "bob": Role.MLOPS_ENGINEER, "carol": Role.STAKEHOLDER}
SIDE_EFFECT_FREE = {"comment", "rate", "attach_document", "monitor"}
WALK = [  # (status, who moves it on, action)
    ("draft", "alice", "submit"),
    ("submitted", "bob", "start_review"),
    ("reviewing", "bob", "verify"),
    ("reviewing", "bob", "pass_review"),
    ("review_passed", "bob", "deploy"),
    ("deployed", "carol", "start_qa"),
    ("qa", "bob", "promote"),
    ("production", "bob", "start_monitoring"),
    ("monitoring", "carol", "complete"),
]


class Person:
    def __init__(self, base: httpx.URL, username: str, password: str) -> None:
        self.name = username
        self.http = httpx.Client(base_url=base, timeout=PATIENCE)
        login = self.http.post(
            "/api/v1/auth/login", json={"username": username, "password": password}
        )
        assert login.status_code == 200, login.text
        self.csrf = login.json()["csrf_token"]

    def send(self, method: str, url: str, body: Any) -> httpx.Response:
        return self.http.request(method, url, json=body, headers={"X-CSRF-Token": self.csrf})


def _request(
    project: str, version: str, entry: dict[str, Any], unique: int = 0
) -> tuple[str, str, Any]:
    """The API call that takes ``entry`` (one item of ``…/actions``), with a valid body;
    ``unique`` tells documents apart (the same document twice is a conflict)."""
    base = f"/api/v1/projects/{project}/versions/{version}"
    action = entry["action"]
    if action == "submit":
        return "post", f"{base}/submit", {}
    if action == "verify":
        artifacts = [{"name": n, "sha256": d} for n, d in ARTIFACT_DIGESTS.items()]
        return "post", f"{base}/verifications", {"artifacts": artifacts}
    if action == "comment":
        return "post", f"{base}/comments", {"text": "checked the confusion matrix"}
    if action == "rate":
        return "post", f"{base}/ratings", {"stars": 4}
    if action == "attach_document":
        return (
            "post",
            f"{base}/documents",
            {"name": f"eval-{unique}.pdf", "sha256": f"{unique:064x}"},
        )
    if action == "monitor":
        return "post", f"{base}/monitoring", {"status": "active", "metrics": {"accuracy": 0.96}}
    if action.startswith("vote:"):
        return "post", f"{base}/votes", {"to": entry["args"]["to"], "approve": True}
    if action == "rollback":
        return "post", f"/api/v1/projects/{project}/rollback", {"version": version, "reason": "x"}
    assert entry["fn"] == "transition", entry
    body: dict[str, Any] = {"to": entry["args"]["to"], "reason": "matrix"}
    if entry["args"]["to"] == "deployed":
        body["details"] = {"endpoint": "https://models.example/credit"}
    return "post", f"{base}/transitions", body


def _refused_as_predicted(
    person: Person, call: tuple[str, str, Any], reason: str, *, verb_may_differ: bool = False
) -> None:
    response = person.send(*call)
    assert response.status_code in (403, 409), (person.name, call, response.text)
    message = response.json()["error"]["message"]
    if verb_may_differ:  # "abilities" names a group ("can manage it"), the tx its own verb
        who, _, why = reason.partition(" can ")
        assert message.startswith(who + " can ") and message.endswith(why.split(";")[-1])
    else:
        assert message == reason, (person.name, call)


def test_every_write_by_every_member_role_follows_the_contracts(
    app: FastAPI, client: httpx.Client, cast: Cast
) -> None:
    for name, role in MEMBERS.items():
        web_account(app, cast.net.home, name, role, PASSWORD)
    people = {name: Person(client.base_url, name, PASSWORD) for name in MEMBERS}
    people["admin"] = Person(client.base_url, "admin", ADMIN_PASSWORD)
    project = cast.project
    version = cast.new_version("m1")
    checked: set[tuple[str, str, str]] = set()  # (status, person, action) seen refused or done
    serial = itertools.count(1)
    try:
        _project_writes(cast, people, project)
        for status, mover, step in WALK:
            assert cast.status(version) == status
            for person in people.values():
                found = person.http.get(f"/api/v1/projects/{project}/versions/{version}/actions")
                assert found.status_code == 200, found.text
                for entry in found.json():
                    call = _request(project, version, entry, unique=next(serial))
                    if not entry["allowed"]:
                        _refused_as_predicted(person, call, entry["reason"])
                    elif entry["action"] in SIDE_EFFECT_FREE:
                        done = person.send(*call)
                        assert done.status_code == 200, (person.name, call, done.text)
                        assert done.json()["valid"] is True
                    else:
                        continue
                    checked.add((status, person.name, entry["action"]))
            moves = people[mover].http.get(f"/api/v1/projects/{project}/versions/{version}/actions")
            (entry,) = [e for e in moves.json() if e["action"] == step]
            assert entry["allowed"], (mover, step, entry["reason"])
            moved = people[mover].send(*_request(project, version, entry))
            assert moved.status_code == 200 and moved.json()["valid"], moved.text
        assert cast.status(version) == "complete"
        # Each role was refused something and allowed something along the way.
        for name in people:
            assert any(p == name for _, p, _ in checked), name
        assert ("draft", "bob", "submit") in checked  # not the author
        assert ("reviewing", "carol", "verify") in checked  # stakeholders do not verify
        assert ("deployed", "bob", "start_qa") in checked  # QA is the stakeholders'
    finally:
        for person in people.values():
            person.http.close()


def _project_writes(cast: Cast, people: dict[str, Person], project: str) -> None:
    base = f"/api/v1/projects/{project}"
    for person in people.values():
        predicted = cast.net.node.peer.query(
            "project", "abilities", {"project": project, "org": "Org1", "id": person.name}
        )
        assert isinstance(predicted, dict)
        calls: dict[str, list[tuple[str, str, Any]]] = {
            "manage": [
                ("patch", base, {"details": f"changed by {person.name}"}),
                ("put", f"{base}/policy", {}),
                ("post", f"{base}/members", {"org": "Org1", "id": "oscar"}),
                ("post", f"{base}/members/Org1/oscar/remove", {"reason": "matrix"}),
            ],
            "set_factsheet": [("put", f"{base}/factsheet", {"purpose": "score credit"})],
            "register_version": [
                (
                    "post",
                    f"{base}/versions",
                    {
                        "version": f"by-{person.name}",
                        "code_repo": "https://git.example/credit",
                        "commit": "ab" * 20,
                        "artifacts": manifest(),
                    },
                )
            ],
        }
        for ability, requests in calls.items():
            verdict = predicted[ability]
            assert isinstance(verdict, dict)
            for call in requests:
                if verdict["allowed"]:
                    done = person.send(*call)
                    assert done.status_code in (200, 201), (person.name, call, done.text)
                    assert done.json()["valid"] is True, (person.name, call, done.text)
                else:
                    _refused_as_predicted(
                        person, call, str(verdict["reason"]), verb_may_differ=True
                    )
        created = person.send("post", "/api/v1/projects", {"name": f"Own {person.name}"})
        if person.name == "bob":  # MLOps engineers review, they do not own projects
            assert created.status_code == 403, created.text
            assert "only AI engineers, stakeholders and org admins" in created.text
        else:
            assert created.status_code == 201, (person.name, created.text)
