"""The channel page and API for org admins: open proposals, who approved, what is needed; an
admin approves with one click (signing the change with their own key), others may not look."""

from __future__ import annotations

import httpx

from tests.common.governance import change, grow
from tests.common.lifecycle import Cast
from tests.unit.web.conftest import SignIn, csrf_of, password_of
from tetherai.ledger.transaction import Envelope


def test_an_admin_sees_a_proposal_and_its_approval_applies_it(
    sign_in: SignIn, cast: Cast, settle: object
) -> None:
    org2 = grow(cast.net, ["Org2"])["Org2"]  # one org: Org1's admin alone added it
    # Two orgs now: Org2's proposal waits for Org1.
    proposed = change(cast.net, org2.admin, "set_policy", approval="ALL")
    proposal = proposed.result["proposal"]  # type: ignore[index]
    admin = sign_in("admin")
    page = admin.get("/admin/channel")
    assert page.status_code == 200
    assert "approve channel changes by ALL of orgs" in page.text
    assert "Org2: admin@Org2" in page.text
    assert "1 more approval (MAJORITY): Org1" in page.text
    assert f'action="/admin/channel/proposals/{proposal}/approve"' in page.text
    done = admin.post(
        f"/admin/channel/proposals/{proposal}/approve", data={"csrf_token": csrf_of(page)}
    )
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/admin/channel#proposals"
    config = cast.net.node.peer.query("membership", "channel", {})
    assert config["approval"] == "ALL"  # type: ignore[index]
    # The approval is the admin's own signature on the same change.
    record = cast.net.node.peer.query("membership", "proposal", {"id": proposal})
    stamp = record["approvals"]["Org1"]  # type: ignore[index,call-overload]
    stored = cast.net.node.peer.store.reader().tx(str(stamp["tx_id"]))
    assert stored is not None
    tx = Envelope.from_bytes(stored.envelope).tx
    assert (tx.creator.id, tx.fn, dict(tx.args)) == ("admin", "set_policy", {"approval": "ALL"})
    after = admin.get("/admin/channel")
    assert "No change waits for approvals." in after.text
    # Approving a proposal that is closed is refused with its reason, nothing changes.
    again = admin.post(
        f"/admin/channel/proposals/{proposal}/approve", data={"csrf_token": csrf_of(after)}
    )
    assert again.status_code == 409 and "is applied: there is nothing to approve" in again.text


def test_only_org_admins_see_the_channel(sign_in: SignIn, anonymous: httpx.Client) -> None:
    author = sign_in("author")
    assert author.get("/admin/channel").status_code == 403
    refused = author.get("/api/v1/channel")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "auth.forbidden"
    assert anonymous.get("/api/v1/channel").status_code == 401


def test_the_api_lists_proposes_and_approves(sign_in: SignIn, cast: Cast) -> None:
    org2 = grow(cast.net, ["Org2"])["Org2"]
    admin = sign_in("admin")
    login = admin.post(
        "/api/v1/auth/login", json={"username": "admin", "password": password_of("admin")}
    )
    csrf = {"X-CSRF-Token": login.json()["csrf_token"]}
    view = admin.get("/api/v1/channel").json()
    assert [o["org"] for o in view["orgs"]] == ["Org1", "Org2"]
    assert view["approval"] == "MAJORITY" and view["proposals"] == []
    proposed = admin.post(
        "/api/v1/channel/proposals",
        json={"change": "set_limits", "args": {"max_skew_ms": 60_000}},
        headers=csrf,
    )
    assert proposed.status_code == 201, proposed.text
    outcome = proposed.json()["result"]
    assert not outcome["applied"] and outcome["tally"]["may_approve"] == ["Org2"]
    (listed,) = admin.get("/api/v1/channel").json()["proposals"]
    assert listed["id"] == outcome["proposal"] and list(listed["approvals"]) == ["Org1"]
    # Org1 approving again is refused by the ledger (one approval per org).
    twice = admin.post(f"/api/v1/channel/proposals/{listed['id']}/approve", headers=csrf)
    assert twice.status_code == 409 and "Org1 approved this change already" in twice.text
    assert change(cast.net, org2.admin, "set_limits", max_skew_ms=60_000).result["applied"]  # type: ignore[index]
    assert admin.get("/api/v1/channel").json()["limits"]["max_skew_ms"] == 60_000
    unknown = admin.post(
        "/api/v1/channel/proposals", json={"change": "enroll", "args": {}}, headers=csrf
    )
    assert unknown.status_code == 422
    # An upgrade to a version this node does not have is refused before anything is signed.
    height = cast.net.node.peer.head.height
    missing_version = admin.post(
        "/api/v1/channel/proposals",
        json={"change": "upgrade_contract", "args": {"contract": "notary", "version": "999"}},
        headers=csrf,
    )
    assert missing_version.status_code == 422, missing_version.text
    assert "notary v999 is not installed here" in missing_version.json()["error"]["message"]
    assert cast.net.node.peer.head.height == height
    missing = admin.post(f"/api/v1/channel/proposals/{'0' * 64}/approve", headers=csrf)
    assert missing.status_code == 404
