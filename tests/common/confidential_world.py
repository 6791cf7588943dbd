"""A busy private project and the people who must learn nothing of it, on a real server.

Org1's alice runs the private project "Orion Merger QZMARKJW" (every private name, text and file
carries the marker ``qzmarkjw``) with bob (MLOps) and audrey (an auditor on the project). Its txs
are ordered in the same blocks as the strangers' own work:

- eve, an AI engineer of Org1 who is not a member (she runs "Eve Lab", with dora);
- dora, an auditor of Org1 not on the private project (she is on Eve Lab);
- mallory, an AI engineer of Org2 (she runs "Heist");
- admin2, Org2's admin;
- an anonymous caller.

Everyone signs in through the API (a browser session: the API and the pages), signs their own
txs with their own key, and uploads their own files.
"""

from __future__ import annotations

import contextlib
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.common.network import PASSPHRASE, Network, make_network
from tests.common.orgs import add_org
from tests.common.server import serve
from tetherai.identity.roles import Role
from tetherai.ledger.executor import TxResult
from tetherai.ledger.transaction import Envelope
from tetherai.server import create_web_app
from tetherai.services.auth import Conflict
from tetherai.services.custody import Argon2Parameters
from tetherai.services.network import ParticipantKey
from tetherai.services.overview import wait_for_projections
from tetherai.services.settings import Settings
from tetherai.web.pages import CSRF_COOKIE

_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
FAST_ARGON2 = Argon2Parameters(time_cost=1, memory_cost=1024, parallelism=1)
MARKER = "qzmarkjw"
"""In every private name and text: long enough that no base64 signature or certificate in an
answer holds it by chance (three letters did, about every other bundle)."""
PRIVATE_NAME = "Orion Merger QZMARKJW"
PRIVATE = "Org1/orion-merger-qzmarkjw"
PRIVATE_VERSION = "qzmarkjwv1"
MISSING = "Org1/absent-project-abc"
MISSING_VERSION = "abcv1"
STRANGERS = ("eve", "dora", "mallory", "admin2", "anonymous")


def password_of(name: str) -> str:
    return f"the long password of {name}"


@dataclass
class Person:
    name: str
    key: ParticipantKey | None
    http: httpx.Client
    csrf: str = ""

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.http.post(url, headers={"X-CSRF-Token": self.csrf}, **kwargs)


@dataclass
class World:
    net: Network
    base_url: str
    people: dict[str, Person] = field(default_factory=dict)
    private_digests: list[str] = field(default_factory=list)
    private_txs: list[str] = field(default_factory=list)
    own: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per stranger: their project, version, a tx of theirs in a shared block, their digest."""
    shared_blocks: set[int] = field(default_factory=set)

    def __getitem__(self, name: str) -> Person:
        return self.people[name]

    def envelope(self, who: str, contract: str, fn: str, args: dict[str, Any]) -> Envelope:
        key = self.people[who].key
        assert key is not None
        return key.sign(self.net.channel, contract, fn, args, self.net.clock())

    def submit(self, who: str, contract: str, fn: str, args: dict[str, Any]) -> TxResult:
        envelope = self.envelope(who, contract, fn, args)
        return self.net.node.orderer.submit(envelope).result(timeout=30)

    def ok(self, who: str, contract: str, fn: str, args: dict[str, Any]) -> Any:
        result = self.submit(who, contract, fn, args)
        assert result.valid, (who, contract, fn, result.code, result.message)
        return result.result

    def together(self, *calls: tuple[str, str, str, dict[str, Any]]) -> list[TxResult]:
        """Commit several txs as one block, past admission: a refused one is recorded
        invalid beside the others, as a tx that lost a race would be."""
        return self.net.record([self.envelope(*call) for call in calls])


def _account(app: Any, org: str, name: str, role: Role, key: ParticipantKey | None) -> None:
    rt = app.state.runtime
    with contextlib.suppress(Conflict):  # the org exists already
        rt.auth.create_org(org)
    user = rt.auth.create_user(org, name, role, password_of(name))
    if key is not None:
        rt.custody.store_key(
            user.id,
            key.private_key,
            password=password_of(name),
            certificate_pem=key.certificate_pem,
        )


def _sign_in(base_url: str, person: str) -> tuple[httpx.Client, str]:
    """Sign in through the sign-in page: a session for the pages and (with its CSRF token as
    the header) for the API."""
    http = httpx.Client(base_url=base_url, timeout=60)
    if person == "anonymous":
        return http, ""
    form = http.get("/signin")
    token = _CSRF_FIELD.search(form.text)
    assert token is not None, form.text[:300]
    done = http.post(
        "/signin",
        data={
            "username": person,
            "password": password_of(person),
            "csrf_token": token.group(1),
            "next": "/dashboard",
        },
    )
    assert done.status_code == 303 and done.headers["location"] == "/dashboard", done.text
    # The dashboard shows the one-time "Signed in." flash, so no probe's page carries it.
    assert http.get("/dashboard").status_code == 200
    return http, str(http.cookies[CSRF_COOKIE])


def upload(person: Person, data: bytes) -> dict[str, Any]:
    done = person.post("/api/v1/objects", content=data)
    assert done.status_code == 201, done.text
    answer: dict[str, Any] = done.json()
    return answer


def post_envelope(person: Person, envelope: Envelope) -> httpx.Response:
    return person.post("/api/v1/envelopes", json=envelope.to_json())


def _artifact(stored: dict[str, Any], name: str) -> dict[str, Any]:
    return {"kind": "model", "name": name} | {k: stored[k] for k in ("uri", "size", "sha256")}


@contextmanager
def confidential_world(root: Path) -> Iterator[World]:
    """The network, the server (API and pages under uvicorn) and the busy private project."""
    net = make_network(root, max_wait=0.05)
    settings = Settings(
        home=net.home.root,
        database_url=f"sqlite:///{root / 'service.sqlite'}",
        secret_key=b"s" * 32,
        passphrase=PASSPHRASE,
        webhook_allow=("127.0.0.1",),  # the tests' webhook receiver
    )
    app = create_web_app(settings, node=net.node, argon2=FAST_ARGON2)
    try:
        with serve(app) as anonymous:
            world = World(net, str(anonymous.base_url))
            _build(world, app)
            yield world
            for person in world.people.values():
                person.http.close()
    finally:
        net.close()


def _build(world: World, app: Any) -> None:
    net = world.net
    org2 = add_org(net)
    keys: dict[str, tuple[str, Role, ParticipantKey | None]] = {
        "alice": ("Org1", Role.AI_ENGINEER, net.participant("alice", Role.AI_ENGINEER)),
        "bob": ("Org1", Role.MLOPS_ENGINEER, net.participant("bob", Role.MLOPS_ENGINEER)),
        "audrey": ("Org1", Role.AUDITOR, net.participant("audrey", Role.AUDITOR)),
        "eve": ("Org1", Role.AI_ENGINEER, net.participant("eve", Role.AI_ENGINEER)),
        "dora": ("Org1", Role.AUDITOR, net.participant("dora", Role.AUDITOR)),
        "mallory": ("Org2", Role.AI_ENGINEER, org2.participant("mallory", Role.AI_ENGINEER)),
        "admin2": ("Org2", Role.ORG_ADMIN, org2.admin),
    }
    for name, (org, role, key) in keys.items():
        _account(app, org, name, role, None if role == Role.AUDITOR else key)
    for name in [*keys, "anonymous"]:
        http, csrf = _sign_in(world.base_url, name)
        world.people[name] = Person(name, keys[name][2] if name in keys else None, http, csrf)

    # Each stranger who may write has a project of their own, with a file they uploaded.
    eve_lab = world.ok("eve", "project", "create", {"name": "Eve Lab"})["project"]
    world.ok("eve", "project", "add_member", {"project": eve_lab, "org": "Org1", "id": "dora"})
    heist = world.ok("mallory", "project", "create", {"name": "Heist"})["project"]
    owned = {"eve": (eve_lab, "e1"), "mallory": (heist, "h1")}
    for name, (project, own_version) in owned.items():
        stored = upload(world[name], f"{name}'s own model".encode())
        world.own[name] = {"project": project, "version": own_version, "digest": stored["sha256"]}
        args = {"project": project, "version": own_version, "code_repo": "r", "commit": "c"}
        world.ok(name, "model_version", "create", args | {"artifacts": [_artifact(stored, "m")]})
    world.own["dora"] = dict(world.own["eve"])
    world.own["admin2"] = dict(world.own["mallory"])

    # The private project, each of its txs ordered together with a stranger's own tx.
    created = world.submit(
        "alice", "project", "create", {"name": PRIVATE_NAME, "details": "qzmarkjw acquisition plan"}
    )
    assert created.valid and created.result == {"project": PRIVATE}
    world.private_txs.append(created.tx_id)  # project.create names no project argument
    for member in ("bob", "audrey"):
        world.ok(
            "alice", "project", "add_member", {"project": PRIVATE, "org": "Org1", "id": member}
        )
    weights = upload(world["alice"], b"qzmarkjw private weights " + secrets.token_bytes(16))
    data = upload(world["alice"], b"qzmarkjw private data " + secrets.token_bytes(16))
    world.private_digests += [weights["sha256"], data["sha256"]]
    version: dict[str, Any] = {"project": PRIVATE, "version": PRIVATE_VERSION}
    private_calls: list[tuple[str, str, str, dict[str, Any]]] = [
        (
            "alice",
            "model_version",
            "create",
            version
            | {
                "code_repo": "https://git.example/qzmarkjw-secret",
                "commit": "qzmarkjw0001",
                "artifacts": [
                    _artifact(weights, "qzmarkjw-weights.bin"),
                    _artifact(data, "qzmarkjw-train.csv") | {"kind": "train_dataset"},
                ],
                "submit": True,
            },
        ),
        ("bob", "workflow", "transition", version | {"to": "reviewing"}),
        ("bob", "review", "comment", version | {"text": "qzmarkjw numbers look off"}),
        # A refusal whose message names the private project and version.
        ("alice", "model_version", "create", version | {"code_repo": "r", "commit": "c"}),
    ]
    for index, call in enumerate(private_calls):
        mine = "eve" if index % 2 == 0 else "mallory"
        own = world.own[mine]
        results = world.together(
            call,
            (
                mine,
                "review",
                "comment",
                {"project": own["project"], "version": own["version"], "text": f"note {index}"},
            ),
        )
        private, theirs = results
        world.private_txs.append(private.tx_id)
        own.setdefault("txs", []).append(theirs.tx_id)
    store = net.node.peer.store
    for tx_id in world.private_txs[1:]:
        row = store.tx(tx_id)
        assert row is not None
        block = store.block(row.block)
        assert block is not None
        ids = {tx.tx_id for tx in block.txs}
        if any(set(o.get("txs", [])) & ids for o in world.own.values()):
            world.shared_blocks.add(row.block)
    assert world.shared_blocks, "no block holds both private and strangers' txs"
    rt = app.state.runtime
    head = net.node.peer.head.height - 1
    assert wait_for_projections(rt.projections, rt.node.channel, head, timeout=20)
