"""One rule, three front ends: the SDK (and the CLI on it), the REST API and the pages accept
and refuse the same calls, with the same error, for a table of cases.

One real server (ledger, API and pages under uvicorn) for the module. Each case prepares its
own subject for each front end (a version of its own, a project name of its own), asks each
front end to do the same thing as the same person, and compares what they answer: accepted,
or refused with the same code (the CLI: the exit code of that code and the same sentence).
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest

from tests.common.accounts import web_account
from tests.common.lifecycle import Cast, make_cast
from tests.common.network import PASSPHRASE, Network, make_network
from tests.common.server import serve
from tetherai import errors
from tetherai.cli._common import run_app
from tetherai.cli.main import app as cli_app
from tetherai.client import Client, ClientConfig, save_config
from tetherai.client.accounts import create_api_token
from tetherai.client.config import KEY_FILE
from tetherai.identity.keys import write_private_key
from tetherai.ledger.sqlite_store import SqliteLedgerStore
from tetherai.server import create_web_app
from tetherai.services.custody import Argon2Parameters
from tetherai.services.ledger_info import block_summaries
from tetherai.services.settings import Settings
from tetherai.vocabulary import Role

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FULL_COMMIT = "4f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39"
KEY_PASSPHRASE = "a key passphrase"
PEOPLE = {
    "author": Role.AI_ENGINEER,
    "mlops": Role.MLOPS_ENGINEER,
    "stake1": Role.STAKEHOLDER,
    "outsider": Role.MLOPS_ENGINEER,
}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ERROR_CODE = re.compile(
    r'<details class="muted technical">.*?<code translate="no">([a-z_.]+)</code>', re.S
)
ERROR_MESSAGE = re.compile(r'<p class="error-message" role="alert">(.*?)</p>', re.S)


def password_of(name: str) -> str:
    return f"{name} password, long enough"


@dataclass(frozen=True)
class Outcome:
    accepted: bool
    code: str | None = None
    message: str = ""
    exit_code: int | None = None  # the CLI's


@dataclass
class World:
    net: Network
    cast: Cast
    url: str
    web: dict[str, httpx.Client]
    api: dict[str, httpx.Client]
    sdk: dict[str, Client]
    cli_config: dict[str, Path]
    model_file: Path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("three-adapters")
    net = make_network(root, max_wait=0.002)
    cast = make_cast(net)
    settings = Settings(
        home=net.home.root,
        database_url=f"sqlite:///{root / 'service.sqlite'}",
        secret_key=b"x" * 32,
        passphrase=PASSPHRASE,
    )
    fast = Argon2Parameters(time_cost=1, memory_cost=1024, parallelism=1)
    app = create_web_app(settings, node=net.node, argon2=fast)
    model_file = root / "model.bin"
    model_file.write_bytes(b"\x00weights" * 64)
    clients: list[httpx.Client | Client] = []
    try:
        with serve(app) as anonymous:
            url = str(anonymous.base_url)
            world = World(net, cast, url, {}, {}, {}, {}, model_file)
            for name, role in PEOPLE.items():
                key = cast[name]
                web_account(app, net.home, key.id, role, password_of(name))
                world.web[name] = _signed_in(url, key.id, password_of(name))
                token, user = create_api_token(url, key.id, password_of(name), name="tests")
                world.api[name] = _api_session(url, key.id, password_of(name))
                world.sdk[name] = Client(
                    url,
                    token,
                    org=key.org,
                    username=key.id,
                    cert_sha256=key.cert_sha256,
                    signing_key=key.private_key,
                    clock=net.node.orderer.clock,
                )
                folder = root / "people" / name
                write_private_key(
                    folder / KEY_FILE, key.private_key, KEY_PASSPHRASE.encode(), kdf_rounds=1000
                )
                config = ClientConfig(
                    server=url,
                    token=token,
                    username=key.id,
                    org=key.org,
                    role=str(user["role"]),
                    cert_sha256=key.cert_sha256,
                )
                save_config(folder, config)
                world.cli_config[name] = folder
                clients += [world.web[name], world.api[name], world.sdk[name]]
            yield world
    finally:
        for client in clients:
            client.close()
        net.close()


def _signed_in(url: str, username: str, password: str) -> httpx.Client:
    http = httpx.Client(base_url=url, timeout=60)
    form = http.get("/signin")
    done = http.post(
        "/signin",
        data={"username": username, "password": password, "csrf_token": _csrf(form)},
    )
    assert done.status_code == 303, done.text
    return http


def _api_session(url: str, username: str, password: str) -> httpx.Client:
    """Signed in to the API as a browser-style session: the server signs with the person's
    key, unsealed for the session (an API token signs nothing; the SDK signs locally)."""
    http = httpx.Client(base_url=f"{url}/api/v1", timeout=60)
    answer = http.post("/auth/login", json={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    http.headers["X-CSRF-Token"] = str(answer.json()["csrf_token"])
    return http


def _csrf(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, f"no CSRF field on {page.url}: {page.status_code}"
    return found.group(1)


# --- what each front end is asked ---------------------------------------------------------


class FrontEnd(Protocol):
    name: str

    def create_project(self, who: str, name: str) -> Outcome: ...

    def create_version(
        self, who: str, project: str, version: str, *, kind: str, commit: str, replaces: str
    ) -> Outcome: ...

    def move(
        self, who: str, project: str, version: str, action: str, to: str, reason: str
    ) -> Outcome: ...

    def rate(self, who: str, project: str, version: str, stars: int) -> Outcome: ...

    def comment(self, who: str, project: str, version: str, text: str) -> Outcome: ...


class Sdk:
    name = "sdk"

    def __init__(self, world: World) -> None:
        self.world = world

    def _do(self, action: Callable[[], object]) -> Outcome:
        try:
            action()
        except errors.TetherError as error:
            return Outcome(False, error.code, error.message)
        return Outcome(True)

    def create_project(self, who: str, name: str) -> Outcome:
        return self._do(lambda: self.world.sdk[who].create_project(name))

    def create_version(
        self, who: str, project: str, version: str, *, kind: str, commit: str, replaces: str
    ) -> Outcome:
        client = self.world.sdk[who]

        def run() -> None:
            artifact = client.upload_artifact(kind, self.world.model_file)
            client.create_version(
                project,
                version,
                code_repo="https://git.example/credit",
                commit=commit,
                artifacts=[artifact],
                replaces=replaces or None,
            )

        return self._do(run)

    def move(
        self, who: str, project: str, version: str, action: str, to: str, reason: str
    ) -> Outcome:
        return self._do(lambda: self.world.sdk[who].transition(project, version, to, reason=reason))

    def rate(self, who: str, project: str, version: str, stars: int) -> Outcome:
        return self._do(lambda: self.world.sdk[who].rate(project, version, stars))

    def comment(self, who: str, project: str, version: str, text: str) -> Outcome:
        return self._do(lambda: self.world.sdk[who].comment(project, version, text))


class Cli:
    """``tether`` in this process, as the person at their terminal (their config and key)."""

    name = "cli"

    def __init__(
        self, world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        self.world, self.monkeypatch, self.capsys = world, monkeypatch, capsys

    def _run(self, who: str, *args: str) -> Outcome:
        # The CLI signs with the wall clock: the test ledger's clock follows it.
        clock = self.world.net.clock
        clock.now = max(clock.now, time.time_ns() // 1_000_000)
        self.monkeypatch.setenv("TETHER_CONFIG", str(self.world.cli_config[who]))
        self.monkeypatch.setenv("TETHER_PASSPHRASE", KEY_PASSPHRASE)
        self.capsys.readouterr()
        with pytest.raises(SystemExit) as stopped:
            run_app(cli_app, list(args))
        out, err = self.capsys.readouterr()
        code = int(stopped.value.code or 0)
        return Outcome(code == 0, None, " ".join((out + err).split()), code)

    def create_project(self, who: str, name: str) -> Outcome:
        return self._run(who, "project", "create", name)

    def create_version(
        self, who: str, project: str, version: str, *, kind: str, commit: str, replaces: str
    ) -> Outcome:
        args = ["version", "create", f"{project}/{version}", "--code-repo"]
        args += ["https://git.example/credit", "--commit", commit]
        args += ["--artifact", f"{kind}={self.world.model_file}"]
        if replaces:
            args += ["--replaces", replaces]
        return self._run(who, *args)

    def move(
        self, who: str, project: str, version: str, action: str, to: str, reason: str
    ) -> Outcome:
        ref = f"{project}/{version}"
        if action == "submit":
            return self._run(who, "version", "submit", ref)
        if action == "start_review":
            return self._run(who, "review", "start", ref)
        if action == "fail_review":
            return self._run(who, "review", "fail", ref, "--reason", reason)
        raise AssertionError(f"no command for {action} in this table")

    def rate(self, who: str, project: str, version: str, stars: int) -> Outcome:
        return self._run(who, "review", "rate", f"{project}/{version}", str(stars))

    def comment(self, who: str, project: str, version: str, text: str) -> Outcome:
        return self._run(who, "review", "comment", f"{project}/{version}", text)


class Api:
    name = "api"

    def __init__(self, world: World) -> None:
        self.world = world

    def _post(self, who: str, path: str, body: dict[str, Any]) -> Outcome:
        answer = self.world.api[who].post(path, json=body)
        if answer.status_code in (200, 201):
            return Outcome(True)
        error = answer.json()["error"]
        return Outcome(False, error["code"], error["message"])

    def create_project(self, who: str, name: str) -> Outcome:
        return self._post(who, "/projects", {"name": name})

    def create_version(
        self, who: str, project: str, version: str, *, kind: str, commit: str, replaces: str
    ) -> Outcome:
        http = self.world.api[who]
        content = self.world.model_file.read_bytes()
        stored = http.post(
            "/objects", content=content, headers={"Content-Type": "application/octet-stream"}
        )
        assert stored.status_code in (200, 201), stored.text
        artifact = {"kind": kind, "name": self.world.model_file.name} | {
            key: stored.json()[key] for key in ("uri", "size", "sha256")
        }
        body: dict[str, Any] = {
            "version": version,
            "code_repo": "https://git.example/credit",
            "commit": commit,
            "artifacts": [artifact],
        }
        if replaces:
            body["replaces"] = replaces
        return self._post(who, f"/projects/{project}/versions", body)

    def move(
        self, who: str, project: str, version: str, action: str, to: str, reason: str
    ) -> Outcome:
        body = {"to": to, "reason": reason}
        return self._post(who, f"/projects/{project}/versions/{version}/transitions", body)

    def rate(self, who: str, project: str, version: str, stars: int) -> Outcome:
        return self._post(who, f"/projects/{project}/versions/{version}/ratings", {"stars": stars})

    def comment(self, who: str, project: str, version: str, text: str) -> Outcome:
        return self._post(who, f"/projects/{project}/versions/{version}/comments", {"text": text})


class Pages:
    """The forms of the pages, posted as a browser posts them (CSRF token from the page)."""

    name = "pages"

    def __init__(self, world: World) -> None:
        self.world = world

    @staticmethod
    def _answer(response: httpx.Response) -> Outcome:
        if response.status_code == 303:
            return Outcome(True)
        code = ERROR_CODE.search(response.text)
        message = ERROR_MESSAGE.search(response.text)
        assert message, f"{response.status_code}: not an error page: {response.text[:300]}"
        text = html.unescape(message.group(1)).strip()
        # A refusal the page checked itself is led by "This action is not allowed: ".
        text = text.removeprefix("This action is not allowed: ")
        return Outcome(False, code.group(1) if code else None, text)

    def _form(
        self, who: str, page: str, action: str, data: dict[str, str], **extra: Any
    ) -> Outcome:
        http = self.world.web[who]
        shown = http.get(page)
        if shown.status_code != 200:  # the page itself refuses (a project not theirs)
            return self._answer(shown)
        return self._answer(http.post(action, data={"csrf_token": _csrf(shown)} | data, **extra))

    def create_project(self, who: str, name: str) -> Outcome:
        return self._form(who, "/projects", "/projects", {"name": name})

    def create_version(
        self, who: str, project: str, version: str, *, kind: str, commit: str, replaces: str
    ) -> Outcome:
        data = {
            "version": version,
            "code_repo": "https://git.example/credit",
            "commit": commit,
            "kind_0": kind,
            "replaces": replaces,
        }
        # A person who may not register is shown why instead of the form; post it anyway.
        http = self.world.web[who]
        token = _csrf(http.get(f"/projects/{project}"))
        files = {"file_0": (self.world.model_file.name, self.world.model_file.read_bytes())}
        answer = http.post(
            f"/projects/{project}/versions/new",
            data={"csrf_token": token} | data,
            files=files,
        )
        return self._answer(answer)

    def _act(self, who: str, project: str, version: str, data: dict[str, str]) -> Outcome:
        page = f"/projects/{project}/versions/{version}"
        return self._form(who, page, f"{page}/actions", data)

    def move(
        self, who: str, project: str, version: str, action: str, to: str, reason: str
    ) -> Outcome:
        return self._act(who, project, version, {"action": action, "reason": reason})

    def rate(self, who: str, project: str, version: str, stars: int) -> Outcome:
        return self._act(who, project, version, {"action": "rate", "stars": str(stars)})

    def comment(self, who: str, project: str, version: str, text: str) -> Outcome:
        return self._act(who, project, version, {"action": "comment", "text": text})


# --- the table ----------------------------------------------------------------------------

Case = Callable[[World, FrontEnd], Outcome]
_counter = iter(range(10_000))
_TX_ID = re.compile(r"\b[0-9a-f]{64}\b")
_SUBJECT = re.compile(r"\b(t|sdk|api|pages|cli)[0-9]+\b")  # the versions the cases make


def _draft(world: World, status: str = "draft") -> str:
    """A version of the cast's project of its own, walked to ``status`` on the ledger."""
    version = world.cast.new_version(f"t{next(_counter)}")
    if status != "draft":
        world.cast.walk(version, status)
    return version


def _version(front: FrontEnd, world: World, **kind: str) -> Outcome:
    return front.create_version(
        "author",
        world.cast.project,
        f"{front.name}{next(_counter)}",
        kind=kind.get("kind", "model"),
        commit=kind.get("commit", FULL_COMMIT),
        replaces=kind.get("replaces", ""),
    )


CASES: dict[str, tuple[Case, str | None]] = {
    "a project is created": (
        lambda w, f: f.create_project("author", f"Fraud {f.name} {next(_counter)}"),
        None,
    ),
    "a project name already taken": (
        lambda w, f: f.create_project("author", "Credit Scoring"),
        "contract.conflict",
    ),
    "a version is registered": (lambda w, f: _version(f, w), None),
    "an unknown artifact kind": (
        lambda w, f: _version(f, w, kind="weights"),
        "contract.bad_argument",
    ),
    "an abbreviated commit": (
        lambda w, f: _version(f, w, commit="4f2a9c1"),
        "contract.bad_argument",
    ),
    "replacing a version whose review did not fail": (
        lambda w, f: _version(f, w, replaces=_draft(w, "reviewing")),
        "contract.bad_argument",
    ),
    "a stakeholder registers a version": (
        lambda w, f: f.create_version(
            "stake1", w.cast.project, "s1", kind="model", commit=FULL_COMMIT, replaces=""
        ),
        "contract.not_permitted",
    ),
    "the author submits a draft": (
        lambda w, f: f.move("author", w.cast.project, _draft(w), "submit", "submitted", ""),
        None,
    ),
    "a stakeholder starts a review": (
        lambda w, f: f.move(
            "stake1", w.cast.project, _draft(w, "submitted"), "start_review", "reviewing", ""
        ),
        "contract.not_permitted",
    ),
    "a review failed without a reason": (
        lambda w, f: f.move(
            "mlops", w.cast.project, _draft(w, "reviewing"), "fail_review", "review_failed", ""
        ),
        "contract.bad_argument",
    ),
    "a rating of 4 stars": (lambda w, f: f.rate("stake1", w.cast.project, _draft(w), 4), None),
    "a rating of 6 stars": (
        lambda w, f: f.rate("stake1", w.cast.project, _draft(w), 6),
        "contract.bad_argument",
    ),
    "the author rates their own version": (
        lambda w, f: f.rate("author", w.cast.project, _draft(w), 5),
        "contract.not_permitted",
    ),
    "a comment": (lambda w, f: f.comment("mlops", w.cast.project, _draft(w), "looks fine"), None),
    "a non-member comments": (
        lambda w, f: f.comment("outsider", w.cast.project, _draft(w), "hello"),
        "contract.not_found",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_front_ends_accept_and_refuse_alike(
    case: str,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    run, expected = CASES[case]
    store = world.cast.net.node.peer.store
    outcomes = {}
    for front in (Sdk(world), Api(world), Pages(world), Cli(world, monkeypatch, capsys)):
        invalid = _invalid_txs(store)
        outcomes[front.name] = run(world, front)
        # Refused before anything was signed or ordered: the ledger holds no invalid tx more.
        assert _invalid_txs(store) == invalid, (front.name, "a refused write reached the ledger")
    cli = outcomes.pop("cli")
    for name, outcome in outcomes.items():
        assert (outcome.accepted, outcome.code) == (expected is None, expected), (name, outcome)
    # The same sentence, whoever asks (each front end named a subject of its own).
    messages = {_SUBJECT.sub("<version>", outcome.message) for outcome in outcomes.values()}
    assert len(messages) == 1, outcomes
    assert cli.accepted == (expected is None), cli
    if expected is not None:
        declared = errors.declared_class(expected)
        assert declared is not None and cli.exit_code == declared.exit_code, cli
        assert messages.pop() in _SUBJECT.sub("<version>", cli.message), (cli, outcomes)


def _invalid_txs(store: SqliteLedgerStore) -> int:
    return sum(int(str(b["invalid"])) for b in block_summaries(store, 0, store.height))


def test_a_non_member_is_answered_as_for_a_missing_project(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Whichever way they write (the SDK's signed envelope, the CLI's, the API, a page), a
    non-member commenting on a project gets the answer a project that does not exist gets:
    the same code, exit code and sentence but for the name they typed; neither refusal
    reaches the ledger."""
    missing = f"{world.cast.project}-does-not-exist"
    version = _draft(world)
    height = world.cast.net.node.peer.head.height
    for front in (Sdk(world), Api(world), Pages(world), Cli(world, monkeypatch, capsys)):
        hidden = front.comment("outsider", world.cast.project, version, "hello")
        absent = front.comment("outsider", missing, version, "hello")
        assert not hidden.accepted and hidden.code in (None, "contract.not_found"), hidden
        assert (hidden.code, hidden.exit_code) == (absent.code, absent.exit_code), front.name
        said = [_TX_ID.sub("<tx>", o.message) for o in (hidden, absent)]
        assert said[0] == said[1].replace(missing, world.cast.project), front.name
    assert world.cast.net.node.peer.head.height == height  # no probe left a trace
