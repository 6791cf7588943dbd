"""Project pages: the list and its filters, a project's page, and forms the contracts allow."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest

from tests.common.lifecycle import Cast
from tests.unit.web.conftest import SignIn, csrf_of

LINK = 'href="/projects/Org1/credit-scoring"'


def _project_url(cast: Cast) -> str:
    return f"/projects/{cast.project}"


def test_the_list_shows_readable_projects_with_filters(
    sign_in: SignIn, cast: Cast, settle: Callable[[], None]
) -> None:
    cast.new_version("v1")
    settle()
    author = sign_in("author")
    page = author.get("/projects")
    assert page.status_code == 200
    assert LINK in page.text
    assert "Create a project" in page.text  # AI engineers may create projects
    assert LINK not in author.get("/projects", params={"q": "no such"}).text
    assert LINK in author.get("/projects", params={"q": "CREDIT"}).text
    assert LINK in author.get("/projects", params={"q": "financ"}).text  # the domain
    for wildcard in ("%", "_", "\\"):  # searched for as text, not as LIKE patterns
        assert LINK not in author.get("/projects", params={"q": wildcard}).text
    assert LINK in author.get("/projects", params={"status": "draft"}).text
    assert LINK not in author.get("/projects", params={"status": "complete"}).text
    assert LINK not in author.get("/projects", params={"org": "Org9"}).text
    # Not a member and not an admin: not listed, and the page answers "not found".
    outsider = sign_in("outsider")
    assert LINK not in outsider.get("/projects").text
    assert "Create a project" not in outsider.get("/projects").text  # MLOps engineers cannot
    hidden = outsider.get(_project_url(cast))
    assert hidden.status_code == 404
    assert f"there is no project {cast.project}" in hidden.text


def test_project_page_shows_members_versions_and_policy(
    sign_in: SignIn, cast: Cast, settle: Callable[[], None]
) -> None:
    cast.new_version("v1")
    settle()
    page = sign_in("mlops").get(_project_url(cast))
    assert page.status_code == 200
    for text in ("bob@Org1", "carol@Org1", "MLOps engineer", "Required artifacts", "Draft"):
        assert text in page.text
    assert f'href="/projects/{cast.project}/versions/v1"' in page.text
    # An MLOps engineer may neither manage the project nor edit its factsheet: no such forms.
    assert "/members/remove" not in page.text
    assert "/factsheet" not in page.text
    assert "Register a version" not in page.text


@pytest.mark.parametrize("who", ["author", "stake1", "admin"])
def test_managers_see_the_forms(sign_in: SignIn, cast: Cast, who: str) -> None:
    page = sign_in(who).get(_project_url(cast))
    assert "/members/remove" in page.text
    assert f'action="/projects/{cast.project}/edit"' in page.text
    assert ("/factsheet" in page.text) is (who != "admin")  # an admin is no member


def test_create_a_project_and_edit_it(sign_in: SignIn, cast: Cast) -> None:
    stake = sign_in("stake1")
    form = stake.get("/projects")
    done = stake.post(
        "/projects",
        data={"name": "Fraud Watch", "domain": "payments", "csrf_token": csrf_of(form)},
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/projects/Org1/fraud-watch"
    page = stake.get("/projects/Org1/fraud-watch")
    assert "Project created." in page.text
    assert "payments" in page.text
    saved = stake.post(
        "/projects/Org1/fraud-watch/factsheet",
        data={
            "purpose": "Flag fraudulent payments",
            "risks": "false alarms",
            "csrf_token": csrf_of(page),
        },
    )
    assert saved.status_code == 303
    record = cast.query("project", "get", project="Org1/fraud-watch")
    assert record["factsheet"]["purpose"] == "Flag fraudulent payments"
    assert record["factsheet"]["risks"] == "false alarms"
    page = stake.get("/projects/Org1/fraud-watch")
    assert "Flag fraudulent payments" in page.text
    # Add a member from the list of enrolled people, then remove them with a reason.
    assert 'value="Org1/bob"' in page.text
    added = stake.post(
        "/projects/Org1/fraud-watch/members",
        data={"member": "Org1/bob", "csrf_token": csrf_of(page)},
    )
    assert added.status_code == 303
    assert any(
        m["id"] == "bob"
        for m in cast.query("project", "get", project="Org1/fraud-watch")["members"]
    )
    removed = stake.post(
        "/projects/Org1/fraud-watch/members/remove",
        data={"org": "Org1", "id": "bob", "reason": "wrong person", "csrf_token": csrf_of(page)},
    )
    assert removed.status_code == 303
    assert not any(
        m["id"] == "bob"
        for m in cast.query("project", "get", project="Org1/fraud-watch")["members"]
    )


def test_a_forged_post_the_contract_refuses_is_refused_with_its_reason(
    sign_in: SignIn, cast: Cast
) -> None:
    mlops = sign_in("mlops")
    page = mlops.get(_project_url(cast))  # shows no member forms to bob
    before = cast.query("project", "get", project=cast.project)
    refused = mlops.post(
        f"{_project_url(cast)}/members/remove",
        data={"org": "Org1", "id": "carol", "reason": "forged", "csrf_token": csrf_of(page)},
    )
    assert refused.status_code == 403
    assert "only the creator, a stakeholder of project" in refused.text
    assert cast.query("project", "get", project=cast.project) == before


def test_a_post_without_a_valid_csrf_token_is_refused(sign_in: SignIn, cast: Cast) -> None:
    stake = sign_in("stake1")
    before = cast.query("project", "get", project=cast.project)
    for data in ({}, {"csrf_token": "forged"}):
        refused = stake.post(
            f"{_project_url(cast)}/edit", data={"name": "Renamed", "details": "x", **data}
        )
        assert refused.status_code == 403
        assert "security token is missing or does not match" in refused.text
    assert cast.query("project", "get", project=cast.project) == before


def test_a_non_member_cannot_learn_of_a_project_by_posting(sign_in: SignIn, cast: Cast) -> None:
    outsider = sign_in("outsider")
    page = outsider.get("/projects")
    refused = outsider.post(
        f"{_project_url(cast)}/edit", data={"name": "Mine", "csrf_token": csrf_of(page)}
    )
    assert refused.status_code == 404
    assert re.search(r"there is no project", refused.text)


def test_signed_out_posts_go_to_sign_in(anonymous: httpx.Client, cast: Cast) -> None:
    answer = anonymous.post(f"{_project_url(cast)}/edit", data={"name": "x"})
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/signin?next=")


def test_the_policy_form_sets_the_policy(sign_in: SignIn, cast: Cast) -> None:
    author = sign_in("author")
    page = author.get(_project_url(cast))
    assert f'action="/projects/{cast.project}/policy"' in page.text
    data = {
        "approval_qa_role": "stakeholder",
        "approval_qa_count": "2",
        "approval_production_role": "",
        "required_artifacts": ["model", "train_dataset"],
        "criterion_0_metric": "test_accuracy",
        "criterion_0_op": ">=",
        "criterion_0_value": "0.9",
        "criterion_1_metric": "",
        "criterion_1_op": ">=",
        "criterion_1_value": "",
        "auto_pass": "on",
        "csrf_token": csrf_of(page),
    }
    done = author.post(f"{_project_url(cast)}/policy", data=data)
    assert done.status_code == 303, done.text
    policy = cast.query("project", "get", project=cast.project)["policy"]
    assert {k: policy[k] for k in ("approvals", "required_artifacts", "criteria", "auto_pass")} == {
        "approvals": {"qa": {"role": "stakeholder", "count": 2}},
        "required_artifacts": ["model", "train_dataset"],
        "criteria": [{"metric": "test_accuracy", "op": ">=", "value": 0.9}],
        "auto_pass": True,
    }
    page = author.get(_project_url(cast))
    assert "Policy saved." in page.text
    assert 'value="test_accuracy"' in page.text  # the form shows the stored policy
    # A malformed threshold is named on a 422 page; the contract refuses a bad role.
    bad = author.post(
        f"{_project_url(cast)}/policy",
        data=data | {"criterion_0_value": "high", "csrf_token": csrf_of(page)},
    )
    assert bad.status_code == 422
    assert "The threshold of test_accuracy must be a number." in bad.text
    refused = author.post(
        f"{_project_url(cast)}/policy",
        data=data | {"approval_qa_role": "org_admin", "csrf_token": csrf_of(page)},
    )
    assert refused.status_code == 422
    assert "approvals.qa.role must be" in refused.text
    assert cast.query("project", "get", project=cast.project)["policy"] == policy
    # Not a manager: no form, and a forged post is refused by the contract.
    mlops = sign_in("mlops")
    page = mlops.get(_project_url(cast))
    assert (
        "/policy"
        not in page.text.split('id="policy"')[1]
        .split("</section>")[0]
        .replace('id="policy-title"', "")
        or f'action="/projects/{cast.project}/policy"' not in page.text
    )
    forged = mlops.post(f"{_project_url(cast)}/policy", data=data | {"csrf_token": csrf_of(page)})
    assert forged.status_code == 403
