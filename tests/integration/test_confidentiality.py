"""Strangers learn nothing of a private project, through any channel (SECURITY.md).

One real server (uvicorn: API and pages) for the module, with a busy private project whose txs
share blocks with the strangers' own (``tests.common.confidential_world``). For every leak
channel, each stranger — an engineer of the same org who is not a member, an auditor not on the
project, another org's engineer, another org's admin, an anonymous caller —

- asks what they may ask (their own project, bundles, reports, exports, lists, blocks, pages,
  notifications, search) and finds no private marker in any answer; and
- probes with the private project's names, tx ids and digests, and gets exactly the answer the
  same probe gets for names, ids and digests that do not exist (status, code and body, with the
  names normalized).

The chain "export own bundle → find digest → reuse → download" fails at every step.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from tests.common.confidential_world import (
    MARKER,
    MISSING,
    MISSING_VERSION,
    PRIVATE,
    PRIVATE_VERSION,
    STRANGERS,
    Person,
    World,
    confidential_world,
    post_envelope,
    upload,
)

pytestmark = pytest.mark.integration

SIGNED_IN = tuple(s for s in STRANGERS if s != "anonymous")
WRITERS = ("eve", "mallory")
"""Strangers who sign txs (auditors only read; admin2 has no project of their own to write)."""


class _Hooks(BaseHTTPRequestHandler):
    received: ClassVar[list[bytes]] = []
    url: ClassVar[str] = ""

    def do_POST(self) -> None:
        _Hooks.received.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture(scope="module")
def hooks() -> Iterator[list[bytes]]:
    server = HTTPServer(("127.0.0.1", 0), _Hooks)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Hooks.url = f"http://127.0.0.1:{server.server_port}/hook"
    try:
        yield _Hooks.received
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, hooks: list[bytes]) -> Iterator[World]:
    del hooks
    with confidential_world(Path(tmp_path_factory.mktemp("confidential"))) as built:
        yield built


# -- what a stranger may ask: no marker anywhere ----------------------------------------------


def _leaks(world: World, response: httpx.Response) -> list[str]:
    text = (response.text + json.dumps(dict(response.headers))).lower()
    found = [MARKER] if MARKER in text else []
    found += [d[:16] for d in world.private_digests if d in text]
    return found


def _own_urls(world: World, who: str) -> list[str]:
    own = world.own.get(who)
    urls = [
        "/api/v1/projects",
        "/api/v1/ledger",
        "/api/v1/ledger/blocks?limit=200",
        "/api/v1/ledger/checkpoints/latest",
        "/api/v1/me/notifications",
        "/dashboard",
        "/projects",
        "/projects?q=orion+merger",  # a search for the private name (the query is echoed)
        "/ledger",
        "/ledger/checkpoints",
        "/api/v1/ledger/state/history?key=membership/channel",
    ]
    for block in sorted(world.shared_blocks):
        urls += [f"/api/v1/ledger/blocks/{block}", f"/ledger/blocks/{block}"]
    if own is not None:
        project, version = own["project"], own["version"]
        api = f"/api/v1/projects/{project}"
        urls += [
            api,
            f"{api}/history",
            f"{api}/versions",
            f"{api}/versions/{version}",
            f"{api}/versions/{version}/lineage",
            f"{api}/versions/{version}/history",
            f"{api}/versions/{version}/reviews",
            f"{api}/audit-report.html",
            f"{api}/versions/{version}/audit-report.html",
            f"{api}/versions/{version}/exports/intoto",
            f"{api}/versions/{version}/exports/model-signing",
            f"{api}/versions/{version}/exports/cyclonedx",
            f"/api/v1/artifacts/{own['digest']}/uses",
            f"/api/v1/ledger/state/history?key=workflow/{project}/{version}",
            f"/projects/{project}",
            f"/projects/{project}/versions/{version}",
            f"/projects/{project}/audit",
            f"/projects/{project}/versions/{version}/audit",
        ]
        for tx_id in own.get("txs", []):
            urls += [
                f"/api/v1/ledger/txs/{tx_id}",
                f"/api/v1/ledger/txs/{tx_id}/proof",
                f"/ledger/txs/{tx_id}",
            ]
    return urls


@pytest.mark.parametrize("who", STRANGERS)
def test_what_a_stranger_may_ask_holds_no_private_marker(world: World, who: str) -> None:
    person = world[who]
    leaks = {}
    for url in _own_urls(world, who):
        response = person.http.get(url)
        assert response.status_code < 500, (url, response.text[:300])
        found = _leaks(world, response)
        if found:
            leaks[url] = found
    assert not leaks, leaks


@pytest.mark.parametrize("who", SIGNED_IN)
def test_bundles_of_their_own_project_carry_no_other_project(world: World, who: str) -> None:
    """The chain's first step: a stranger's own bundle holds no private marker or digest."""
    own = world.own[who]
    for url in (
        f"/api/v1/projects/{own['project']}/audit-bundle",
        f"/api/v1/projects/{own['project']}/versions/{own['version']}/audit-bundle",
    ):
        response = world[who].http.get(url)
        assert response.status_code == 200, response.text[:300]
        assert not _leaks(world, response), url


# -- probes with private names answer as for missing ones -------------------------------------

_HEX = re.compile(r"[0-9a-f]{12,64}")
_CSRF = re.compile(r'(name="csrf_token" value=|"csrf_token":\s*)"[^"]*"')


def _normalized(response: httpx.Response, names: dict[str, str]) -> tuple[int, str, str]:
    text = response.text
    for value, placeholder in sorted(names.items(), key=lambda item: -len(item[0])):
        text = text.replace(value, placeholder)
    text = _CSRF.sub("<csrf>", _HEX.sub("<hex>", text))
    code = ""
    if response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()
        code = str(body.get("error", {}).get("code", "")) if isinstance(body, dict) else ""
    return response.status_code, code, text


Probe = Callable[[Person, World, dict[str, str]], httpx.Response]


def _get(template: str) -> Probe:
    return lambda person, world, p: person.http.get(template.format(**p))


def _post(template: str, body: Callable[[dict[str, str]], dict[str, Any]]) -> Probe:
    return lambda person, world, p: person.post(template.format(**p), json=body(p))


def _signed(
    contract: str, fn: str, args: Callable[[World, str, dict[str, str]], dict[str, Any]]
) -> Probe:
    def probe(person: Person, world: World, p: dict[str, str]) -> httpx.Response:
        if person.key is None or person.name not in WRITERS:
            return person.http.get("/api/v1/auth/me")  # no key to sign with: nothing to probe
        envelope = world.envelope(person.name, contract, fn, args(world, person.name, p))
        return post_envelope(person, envelope)

    return probe


def _with_a_member_s_etag(template: str) -> Probe:
    """The stranger replays the ETag a member got for the private resource: no 304 for them."""

    def probe(person: Person, world: World, p: dict[str, str]) -> httpx.Response:
        private = template.format(P=PRIVATE, V=PRIVATE_VERSION)
        etag = world["audrey"].http.get(private).headers["etag"]
        return person.http.get(template.format(**p), headers={"If-None-Match": etag})

    return probe


def _own_version(world: World, who: str, suffix: str) -> dict[str, Any]:
    own = world.own[who]
    return {
        "project": own["project"],
        "version": f"probe-{suffix}-{secrets.token_hex(3)}",
        "code_repo": "r",
        "commit": "c",
    }


PROBES: dict[str, Probe] = {
    "project": _get("/api/v1/projects/{P}"),
    "project history": _get("/api/v1/projects/{P}/history"),
    "versions": _get("/api/v1/projects/{P}/versions"),
    "version": _get("/api/v1/projects/{P}/versions/{V}"),
    "reviews": _get("/api/v1/projects/{P}/versions/{V}/reviews"),
    "lineage": _get("/api/v1/projects/{P}/versions/{V}/lineage"),
    "version history": _get("/api/v1/projects/{P}/versions/{V}/history"),
    "reviews, older comments": _get("/api/v1/projects/{P}/versions/{V}/reviews?cursor=9&limit=1"),
    "reviews, a bad cursor": _get("/api/v1/projects/{P}/versions/{V}/reviews?cursor=x"),
    "version history, a page": _get("/api/v1/projects/{P}/versions/{V}/history?cursor=0&limit=1"),
    "project history, a page": _get("/api/v1/projects/{P}/history?cursor=0&limit=1"),
    "actions": _get("/api/v1/projects/{P}/versions/{V}/actions"),
    "bundle": _get("/api/v1/projects/{P}/audit-bundle"),
    "version bundle": _get("/api/v1/projects/{P}/versions/{V}/audit-bundle"),
    "report": _get("/api/v1/projects/{P}/audit-report.html"),
    "pdf report": _get("/api/v1/projects/{P}/versions/{V}/audit-report.pdf"),
    "in-toto export": _get("/api/v1/projects/{P}/versions/{V}/exports/intoto"),
    "cyclonedx export": _get("/api/v1/projects/{P}/versions/{V}/exports/cyclonedx"),
    "version with a member's ETag": _with_a_member_s_etag("/api/v1/projects/{P}/versions/{V}"),
    "key history": _get("/api/v1/ledger/state/history?key=review/{P}/{V}"),
    "tx": _get("/api/v1/ledger/txs/{T}"),
    "tx proof": _get("/api/v1/ledger/txs/{T}/proof"),
    "object": _get("/api/v1/objects/{D}"),
    "object through the version": _get("/api/v1/objects/{D}?version={P}/{V}"),
    "digest uses": _get("/api/v1/artifacts/{D}/uses"),
    "rehash": _post("/api/v1/projects/{P}/versions/{V}/rehash", lambda p: {}),
    "comment (web write)": _post(
        "/api/v1/projects/{P}/versions/{V}/comments", lambda p: {"text": "hello"}
    ),
    "add member (web write)": _post(
        "/api/v1/projects/{P}/members", lambda p: {"org": "Org1", "id": "eve"}
    ),
    "comment (signed envelope)": _signed(
        "review", "comment", lambda w, who, p: {"project": p["P"], "version": p["VN"], "text": "hi"}
    ),
    "transition (signed envelope)": _signed(
        "workflow",
        "transition",
        lambda w, who, p: {"project": p["P"], "version": p["VN"], "to": "reviewing"},
    ),
    "reuse (signed envelope)": _signed(
        "model_version",
        "create",
        lambda w, who, p: (
            _own_version(w, who, "reuse") | {"artifacts": [{"name": "m", "reuse": p["D"]}]}
        ),
    ),
    "reuse naming the source": _signed(
        "model_version",
        "create",
        lambda w, who, p: (
            _own_version(w, who, "from")
            | {"artifacts": [{"name": "m", "reuse": p["D"], "from": f"{p['P']}/{p['VN']}"}]}
        ),
    ),
    "parents (signed envelope)": _signed(
        "model_version",
        "create",
        lambda w, who, p: (
            _own_version(w, who, "parent")
            | {"parents": [{"ref": f"{p['P']}/{p['VN']}", "relation": "fine_tuned_from"}]}
        ),
    ),
    "a store object by digest (signed envelope)": _signed(
        "model_version",
        "create",
        lambda w, who, p: (
            _own_version(w, who, "store")
            | {
                "artifacts": [
                    {
                        "kind": "model",
                        "name": "m",
                        "uri": f"tether-obj:sha256/{p['D']}",
                        "size": 10,
                        "sha256": p["D"],
                    }
                ]
            }
        ),
    ),
    "project page": _get("/projects/{P}"),
    "version page": _get("/projects/{P}/versions/{V}"),
    "new version page": _get("/projects/{P}/versions/new"),
    "project audit page": _get("/projects/{P}/audit"),
    "version audit page": _get("/projects/{P}/versions/{V}/audit"),
    "version audit page, a page": _get("/projects/{P}/versions/{V}/audit?after=0"),
    "version page, older comments": _get("/projects/{P}/versions/{V}?comments=9"),
    "version page, a bad cursor": _get("/projects/{P}/versions/{V}?comments=x"),
    "tx page": _get("/ledger/txs/{T}"),
    "tx search by a short id": lambda person, world, p: person.http.get(
        "/ledger/txs", params={"tx": p["T"][:10]}
    ),
}


def _params(world: World, private: bool) -> dict[str, str]:
    if private:
        return {
            "P": PRIVATE,
            "V": PRIVATE_VERSION,
            "VN": PRIVATE_VERSION,
            "T": world.private_txs[0],
            "D": world.private_digests[0],
        }
    return {
        "P": MISSING,
        "V": MISSING_VERSION,
        "VN": MISSING_VERSION,
        "T": secrets.token_hex(32),
        "D": secrets.token_hex(32),
    }


def _names(private: dict[str, str], missing: dict[str, str]) -> dict[str, str]:
    names = {}
    for key in ("P", "V", "T", "D"):
        names[private[key]] = f"<{key}>"
        names[missing[key]] = f"<{key}>"
    names[private["T"][:10]] = names[missing["T"][:10]] = "<T10>"
    for ref in (PRIVATE, MISSING):
        names[ref.split("/")[1]] = "<slug>"
    return names


@pytest.mark.parametrize("who", STRANGERS)
@pytest.mark.parametrize("probe", list(PROBES), ids=str)
def test_private_names_answer_as_missing_ones(world: World, who: str, probe: str) -> None:
    person = world[who]
    # Every private tx (project.create, a registration, a transition, a comment, a refusal).
    txs = world.private_txs if probe.startswith("tx") else world.private_txs[:1]
    for tx_id in txs:
        private, missing = _params(world, True) | {"T": tx_id}, _params(world, False)
        names = _names(private, missing)
        on_private = PROBES[probe](person, world, private)
        on_missing = PROBES[probe](person, world, missing)
        assert on_private.status_code != 200 or probe in _ANSWERED, (probe, on_private.text[:300])
        assert _normalized(on_private, names) == _normalized(on_missing, names), (probe, tx_id)


_ANSWERED = {"digest uses"}
"""Probes whose answer is a 200 for anyone (an empty list), private or missing alike; and the
signed probes of people who sign nothing (they ask who they are instead)."""
_ANSWERED |= {name for name in PROBES if "signed envelope" in name or "naming" in name}


def test_a_reader_gets_the_private_answers(world: World) -> None:
    """The probes are real: a member gets the project, the bytes, the tx and its proof."""
    alice, audrey = world["alice"], world["audrey"]
    private = _params(world, True)
    for probe in ("project", "version", "lineage", "tx", "tx proof", "version page"):
        assert PROBES[probe](audrey, world, private).status_code == 200, probe
    got = alice.http.get(f"/api/v1/objects/{world.private_digests[0]}")
    assert got.status_code == 200 and got.content.startswith(b"qzmarkjw private weights")
    through = audrey.http.get(
        f"/api/v1/objects/{world.private_digests[0]}?version={PRIVATE}/{PRIVATE_VERSION}"
    )
    assert through.status_code == 200  # an auditor on the project reads its files


# -- the theft chain ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", WRITERS)
def test_the_chain_digest_reuse_download_fails_at_every_step(world: World, who: str) -> None:
    """After the bundle (above): a private digest, however learned, opens nothing."""
    thief, own = world[who], world.own[who]
    stolen = world.private_digests[0]
    version = _own_version(world, who, "chain")
    reuse = post_envelope(
        thief,
        world.envelope(
            who,
            "model_version",
            "create",
            version | {"artifacts": [{"name": "m", "reuse": stolen}]},
        ),
    )
    assert reuse.status_code == 404 and reuse.json()["error"]["code"] == "contract.not_found"
    fresh = {
        "kind": "model",
        "name": "m",
        "uri": f"tether-obj:sha256/{stolen}",
        "size": 1,
        "sha256": stolen,
    }
    claimed = post_envelope(
        thief, world.envelope(who, "model_version", "create", version | {"artifacts": [fresh]})
    )
    assert claimed.status_code == 403 and claimed.json()["error"]["code"] == "objects.not_held"
    # Registered in place (the server never reads it), the digest still opens nothing.
    elsewhere = fresh | {"uri": "s3://elsewhere/model.bin"}
    placed = post_envelope(
        thief, world.envelope(who, "model_version", "create", version | {"artifacts": [elsewhere]})
    )
    assert placed.status_code == 200, placed.text
    for url in (
        f"/api/v1/objects/{stolen}",
        f"/api/v1/objects/{stolen}?version={own['project']}/{version['version']}",
    ):
        got = thief.http.get(url)
        assert got.status_code == 404 and b"qzmarkjw" not in got.content, url
    rehash = thief.post(f"/api/v1/projects/{own['project']}/versions/{version['version']}/rehash")
    assert b"qzmarkjw" not in rehash.content
    assert rehash.status_code == 403 and rehash.json()["error"]["code"] == "objects.not_read_here"


# -- notifications and webhooks -----------------------------------------------------------------


def test_webhooks_and_notifications_hear_only_of_readable_projects(
    world: World, hooks: list[bytes]
) -> None:
    assert (
        world["admin2"].post("/api/v1/admin/webhooks", json={"url": _Hooks.url}).status_code == 201
    )
    # Activity in both projects once the hook exists: Org2's hook hears of Heist only.
    heist = world.own["mallory"]
    private = {"project": PRIVATE, "version": PRIVATE_VERSION}
    world.together(
        ("bob", "review", "comment", private | {"text": "qzmarkjw again"}),
        (
            "mallory",
            "review",
            "comment",
            {"project": heist["project"], "version": heist["version"], "text": "ours"},
        ),
    )
    deadline = time.monotonic() + 20
    while not any(b"ours" in body for body in hooks):
        assert time.monotonic() < deadline, "the webhook never heard of Heist"
        time.sleep(0.05)
    assert not any(MARKER.encode() in body.lower() for body in hooks)
    for who in SIGNED_IN:
        listed = world[who].http.get("/api/v1/me/notifications")
        assert MARKER not in listed.text.lower(), who
    # The members themselves do hear of it (the rule is not "nobody").
    mine = world["bob"].http.get("/api/v1/me/notifications").json()["items"]
    assert any(MARKER in n["text"].lower() for n in mine)


def test_uploads_of_the_same_bytes_are_each_person_s_own(world: World) -> None:
    """Uploading bytes one has is possession: the same bytes by a stranger are theirs to read."""
    mallory = world["mallory"]
    stored = upload(mallory, b"public dataset everyone has")
    assert mallory.http.get(f"/api/v1/objects/{stored['sha256']}").status_code == 200
    assert world["eve"].http.get(f"/api/v1/objects/{stored['sha256']}").status_code == 404
