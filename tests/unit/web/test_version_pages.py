"""The version page and the create-version page over HTTP."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import httpx
from fastapi import FastAPI

from tests.common.lifecycle import Cast
from tests.unit.web.conftest import SignIn, csrf_of
from tetherai.storage import LocalObjectStore

ACTION_FORM = re.compile(r'class="action-form" data-action="([^"]+)"')


def url(cast: Cast, version: str) -> str:
    return f"/projects/{cast.project}/versions/{version}"


def shown_actions(page: httpx.Response) -> set[str]:
    return set(ACTION_FORM.findall(page.text))


def allowed_by_contracts(cast: Cast, who: str, version: str) -> set[str]:
    key = cast[who]
    found = cast.query(
        "workflow", "actions", project=cast.project, version=version, org=key.org, id=key.id
    )
    return {a["action"] for a in found if a["allowed"] and a["action"] != "comment"}


def test_version_page_shows_metadata_artifacts_experiments_and_charts(
    sign_in: SignIn, cast: Cast
) -> None:
    cast.new_version("v1")
    page = sign_in("author").get(url(cast, "v1"))
    assert page.status_code == 200, page.text
    text = page.text
    assert "https://git.example/credit" in text
    for name in ("train", "test", "model", "log"):
        assert f'data-artifact="{name}"' in text
    assert 'data-result="unverified"' in text
    assert "<svg" in text and 'data-series="v1 · final"' in text  # the loss series, drawn
    assert "test_accuracy" in text
    assert shown_actions(page) == allowed_by_contracts(cast, "author", "v1")
    assert "submit" in shown_actions(page)


def test_each_role_sees_exactly_the_actions_the_contracts_allow(
    sign_in: SignIn, cast: Cast
) -> None:
    for status in ("draft", "reviewing", "qa", "production"):
        version = f"v-{status}"
        cast.new_version(version)
        cast.walk(version, status)
    for who in ("author", "mlops", "stake1", "auditor", "admin"):
        http = sign_in(who)
        for status in ("draft", "reviewing", "qa", "production"):
            version = f"v-{status}"
            page = http.get(url(cast, version))
            assert page.status_code == 200, (who, version, page.text[:500])
            assert shown_actions(page) == allowed_by_contracts(cast, who, version), (who, version)


def test_a_forged_post_for_a_refused_action_is_refused_with_the_reason(
    sign_in: SignIn, cast: Cast
) -> None:
    cast.new_version("v1")
    http = sign_in("mlops")
    page = http.get(url(cast, "v1"))
    assert "submit" not in shown_actions(page)
    height = cast.net.node.peer.head.height
    refused = http.post(
        f"{url(cast, 'v1')}/actions", data={"csrf_token": csrf_of(page), "action": "submit"}
    )
    assert refused.status_code == 403
    assert "This action is not allowed" in refused.text
    assert "only an AI engineer" in refused.text or "author" in refused.text
    unknown = http.post(
        f"{url(cast, 'v1')}/actions", data={"csrf_token": csrf_of(page), "action": "teleport"}
    )
    assert unknown.status_code == 409 and "no action teleport" in unknown.text
    no_token = http.post(f"{url(cast, 'v1')}/actions", data={"action": "comment", "text": "x"})
    assert no_token.status_code == 403 and "security token" in no_token.text
    assert cast.net.node.peer.head.height == height  # nothing reached the ledger
    assert cast.status("v1") == "draft"


def test_forms_post_and_redirect_with_the_tx(sign_in: SignIn, cast: Cast) -> None:
    cast.new_version("v1")
    cast.walk("v1", "reviewing")
    http = sign_in("mlops")
    page = http.get(url(cast, "v1"))
    missing = http.post(
        f"{url(cast, 'v1')}/actions",
        data={"csrf_token": csrf_of(page), "action": "fail_review", "reason": " "},
    )
    # The contract's own refusal, as the API and the SDK get it.
    assert missing.status_code == 422
    assert "give a reason to move version v1 to review_failed" in missing.text
    assert ">contract.bad_argument</code>" in missing.text
    done = http.post(
        f"{url(cast, 'v1')}/actions",
        data={"csrf_token": csrf_of(page), "action": "fail_review", "reason": "does not reproduce"},
    )
    assert done.status_code == 303 and done.headers["location"] == url(cast, "v1")
    after = http.get(url(cast, "v1"))
    assert "Recorded on the ledger in tx" in after.text
    assert cast.status("v1") == "review_failed"
    assert "does not reproduce" in after.text
    comment = http.post(
        f"{url(cast, 'v1')}/actions",
        data={"csrf_token": csrf_of(after), "action": "comment", "text": "please retrain"},
    )
    assert comment.status_code == 303
    assert "please retrain" in http.get(url(cast, "v1")).text


def test_compare_with_another_version_and_the_reproduction_run(sign_in: SignIn, cast: Cast) -> None:
    cast.new_version("v1")
    cast.new_version(
        "v2",
        experiments=[
            {
                "name": "final",
                "metrics": {"test_accuracy": 0.99},
                "series": {"loss": [0.8, 0.4, 0.2, 0.1]},
            }
        ],
    )
    http = sign_in("author")
    page = http.get(url(cast, "v2"), params={"compare": "v1"})
    assert page.status_code == 200
    row = re.search(r'<tr data-metric="test_accuracy">(.*?)</tr>', page.text, re.S)
    assert row and "+0.02" in row.group(1)
    assert 'data-series="v1 · final"' in page.text and 'data-series="v2 · final"' in page.text
    missing = http.get(url(cast, "v2"), params={"compare": "v9"})
    assert missing.status_code == 200 and "has no version v9" in missing.text
    cast.walk("v2", "reviewing")
    cast.ok(
        "mlops",
        "review",
        "verify",
        project=cast.project,
        version="v2",
        artifacts=[{"name": a["name"], "sha256": a["sha256"]} for a in _artifacts(cast, "v2")],
        metrics={"test_accuracy": 0.985},
        method="rerun",
    )
    reproduced = http.get(url(cast, "v2"), params={"compare": "reproduction"})
    row = re.search(r'<tr data-metric="test_accuracy">(.*?)</tr>', reproduced.text, re.S)
    assert row and "+0.005" in row.group(1)


def _artifacts(cast: Cast, version: str) -> list[dict[str, object]]:
    found = cast.query("model_version", "get", project=cast.project, version=version)
    return list(found["version"]["artifacts"])


def test_create_by_upload_and_verify_from_the_store_catches_a_changed_byte(
    sign_in: SignIn, cast: Cast, app: FastAPI, tmp_path: Path
) -> None:
    author = sign_in("author")
    form = author.get(f"/projects/{cast.project}/versions/new")
    assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.text
    log = "\n".join(
        json.dumps({"epoch": e, "loss": 1 / e, "test_acc": 0.8 + e / 100}) for e in (1, 2, 3)
    )
    created = author.post(
        f"/projects/{cast.project}/versions/new",
        data={
            "csrf_token": csrf_of(form),
            "version": "v7",
            "code_repo": "https://git.example/credit",
            "commit": "abc123",
            "kind_0": "model",
            "kind_1": "train_dataset",
            "submit": "yes",
        },
        files={
            "file_0": ("model.bin", b"model weights " * 100),
            "file_1": ("train.csv", b"a,b\n1,2\n"),
            "experiment_log": ("train.jsonl", log.encode()),
        },
    )
    assert created.status_code == 303, created.text
    assert created.headers["location"] == url(cast, "v7")
    assert cast.status("v7") == "submitted"
    registered = {a["name"]: a for a in _artifacts(cast, "v7")}
    assert set(registered) == {"model.bin", "train.csv", "train.jsonl"}
    page = author.get(url(cast, "v7"))
    assert "registered in tx" in page.text and 'data-series="v7 · train"' in page.text
    # Someone changes one byte of the model in the object store.
    store = LocalObjectStore(app.state.runtime.settings.storage().objects)
    path = store.path_of(str(registered["model.bin"]["sha256"]))
    data = bytearray(path.read_bytes())
    data[0] ^= 1
    path.write_bytes(bytes(data))
    mlops = sign_in("mlops")
    page = mlops.get(url(cast, "v7"))
    started = mlops.post(
        f"{url(cast, 'v7')}/actions", data={"csrf_token": csrf_of(page), "action": "start_review"}
    )
    assert started.status_code == 303
    page = mlops.get(url(cast, "v7"))
    assert "verify" in shown_actions(page)
    verified = mlops.post(
        f"{url(cast, 'v7')}/actions", data={"csrf_token": csrf_of(page), "action": "verify"}
    )
    assert verified.status_code == 303, verified.text
    assert cast.status("v7") == "review_failed"
    page = mlops.get(url(cast, "v7"))
    assert "Verification failed: model.bin" in page.text
    assert re.search(r'data-artifact="model.bin" data-result="differs"', page.text)
    assert re.search(r'data-artifact="train.csv" data-result="matches"', page.text)


def test_create_refuses_bad_input_with_a_message(sign_in: SignIn, cast: Cast) -> None:
    author = sign_in("author")
    form = author.get(f"/projects/{cast.project}/versions/new")
    bad_name = author.post(
        f"/projects/{cast.project}/versions/new",
        data={"csrf_token": csrf_of(form), "version": "../x", "code_repo": "r", "commit": "c"},
    )
    assert bad_name.status_code == 422 and "version name" in bad_name.text
    both = author.post(
        f"/projects/{cast.project}/versions/new",
        data={
            "csrf_token": csrf_of(form),
            "version": "v1",
            "code_repo": "r",
            "commit": "c",
            "kind_0": "model",
            "uri_0": "s3://bucket/model",
        },
        files={"file_0": ("m.bin", b"x")},
    )
    assert both.status_code == 422 and "both a file and a URI" in both.text
    short = author.post(
        f"/projects/{cast.project}/versions/new",
        data={"csrf_token": csrf_of(form), "version": "v1", "code_repo": "r", "commit": "4f2a9c1"},
        files={"file_0": ("m.bin", b"x")},
    )
    assert short.status_code == 422 and "abbreviated git commit id" in short.text
    assert "git rev-parse HEAD" in short.text
    mlops = sign_in("mlops")
    page = mlops.get(f"/projects/{cast.project}/versions/new")
    assert page.status_code == 403 and "only an AI engineer" in page.text
    refused = mlops.post(
        f"/projects/{cast.project}/versions/new",
        data={"csrf_token": csrf_of(page), "version": "v1", "code_repo": "r", "commit": "c"},
    )
    assert refused.status_code in (403, 409) and "AI engineer" in refused.text


def test_version_audit_and_ledger_pages_in_chinese(sign_in: SignIn, cast: Cast) -> None:
    cast.new_version("v1")
    http = sign_in("author", language="zh-CN")
    page = http.get(url(cast, "v1"))
    assert page.status_code == 200
    assert "您现在可以做什么" in page.text and "制品" in page.text
    assert "What you can do now" not in page.text
    audit = http.get(f"{url(cast, 'v1')}/audit")
    assert "证明" in audit.text and 'data-proved="' in audit.text
    assert "账本浏览器" in http.get("/ledger").text


def test_votes_are_offered_by_the_policy_and_the_quorum_moves_the_version(
    sign_in: SignIn, cast: Cast
) -> None:
    cast.ok(
        "author",
        "project",
        "set_policy",
        project=cast.project,
        policy={"approvals": {"qa": {"role": "stakeholder", "count": 1}}},
    )
    cast.new_version("v1")
    cast.walk("v1", "deployed")
    for who in ("stake1",):  # the accounts of the page tests hold one stakeholder
        http = sign_in(who)
        page = http.get(url(cast, "v1"))
        assert "vote:qa" in shown_actions(page)
        assert shown_actions(page) == allowed_by_contracts(cast, who, "v1")
        voted = http.post(
            f"{url(cast, 'v1')}/actions",
            data={"csrf_token": csrf_of(page), "action": "vote:qa", "approve": "yes"},
        )
        assert voted.status_code == 303, voted.text
    assert cast.status("v1") == "qa"
    page = sign_in("author").get(url(cast, "v1"))
    assert page.text.count("approves") == 1


def test_rollback_from_the_page_puts_an_earlier_version_back(sign_in: SignIn, cast: Cast) -> None:
    cast.new_version("v1")
    cast.walk("v1", "review_passed")
    cast.new_version("v2")
    cast.walk("v2", "production")
    http = sign_in("mlops")
    page = http.get(url(cast, "v2"))
    assert "rollback" in shown_actions(page)
    done = http.post(
        f"{url(cast, 'v2')}/actions",
        data={
            "csrf_token": csrf_of(page),
            "action": "rollback",
            "restore": "v1",
            "reason": "latency regression",
        },
    )
    assert done.status_code == 303, done.text
    assert cast.status("v2") == "rolled_back" and cast.status("v1") == "production"
    refused = http.post(
        f"{url(cast, 'v2')}/actions",
        data={"csrf_token": csrf_of(page), "action": "rollback", "restore": "v1", "reason": "x"},
    )
    assert refused.status_code in (403, 409)  # v2 is no longer live: no rollback offered


def test_an_upload_over_the_limit_is_refused_before_it_is_read(
    sign_in: SignIn, cast: Cast, app: FastAPI
) -> None:
    rt = app.state.runtime
    rt.settings = dataclasses.replace(rt.settings, max_upload_bytes=1000)
    author = sign_in("author")
    form = author.get(f"/projects/{cast.project}/versions/new")
    refused = author.post(
        f"/projects/{cast.project}/versions/new",
        data={"csrf_token": csrf_of(form), "version": "v1", "code_repo": "r", "commit": "c"},
        files={"file_0": ("big.bin", b"x" * 5000)},
    )
    assert refused.status_code == 413 and "the limit is 1000" in refused.text
    assert not any(Path(rt.settings.storage().objects).rglob("sha256/*/*"))  # nothing stored


def test_create_from_an_object_store_uri_hashes_it_on_the_server(
    sign_in: SignIn, cast: Cast
) -> None:
    author = sign_in("author")
    form = author.get(f"/projects/{cast.project}/versions/new")
    uploaded = author.post(
        "/api/v1/objects",
        content=b"a model stored earlier",
        headers={"X-CSRF-Token": csrf_of(form)},
    )
    assert uploaded.status_code == 201, uploaded.text
    stored = uploaded.json()
    created = author.post(
        f"/projects/{cast.project}/versions/new",
        data={
            "csrf_token": csrf_of(form),
            "version": "v1",
            "code_repo": "https://git.example/credit",
            "commit": "c1",
            "kind_0": "model",
            "name_0": "model.bin",
            "uri_0": stored["uri"],
        },
    )
    assert created.status_code == 303, created.text
    (artifact,) = _artifacts(cast, "v1")
    assert artifact == {
        "kind": "model",
        "name": "model.bin",
        "uri": stored["uri"],
        "size": stored["size"],
        "sha256": stored["sha256"],
    }
    missing = author.post(
        f"/projects/{cast.project}/versions/new",
        data={
            "csrf_token": csrf_of(form),
            "version": "v2",
            "code_repo": "r",
            "commit": "c",
            "kind_0": "model",
            "uri_0": "tether-obj:sha256/" + "0" * 64,
        },
    )
    # The server reads a store object only for someone who may have it: a digest the author
    # never uploaded is refused alike whether or not the object exists.
    assert missing.status_code == 403 and "objects.not_read_here" in missing.text
    assert "v2" not in str(cast.query("model_version", "list_versions", project=cast.project))
