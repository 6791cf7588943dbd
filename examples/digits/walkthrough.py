"""The digits example end to end, as three people at their own terminals (``make example``).

    python examples/digits/walkthrough.py --server http://127.0.0.1:8000 --home .demo --work DIR

alice (AI engineer), bob (MLOps engineer) and carol (stakeholder) each log in, make a key of
their own and register it; from then on every tx is signed on "their" machine by the ``tether``
CLI or the SDK. alice trains and registers v1 with the SDK; bob re-runs her script, the digests
match, he passes the review and deploys; carol moves it to QA. alice then registers v2 whose
training data has one altered row; bob's re-run gives other digests and the ledger fails the
review by itself. Finally the whole ledger is replayed (``tether ledger verify``), and the txs
are checked to carry the CLI keys' certificates. Prints ``digits_example: ok`` only when every
step checked out; any failed check exits 1 naming it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TRAIN = HERE / "train.py"
PEOPLE = {"alice": "ai_engineer", "bob": "mlops_engineer", "carol": "stakeholder"}


class StepFailed(Exception):
    pass


class Walkthrough:
    def __init__(self, server: str, home: Path, work: Path, passwords: dict[str, str]) -> None:
        self.server = server
        self.home = home
        self.work = work
        self.passwords = passwords
        self.bin = Path(sys.executable).parent
        self.steps = 0

    def env(self, person: str) -> dict[str, str]:
        return os.environ | {
            "TETHER_CONFIG": str(self.work / "people" / person),
            "TETHER_PASSPHRASE": f"{person}'s own key passphrase",
            "TETHER_PASSWORD": self.passwords[person],
        }

    def run(self, person: str | None, *argv: str, expect: int = 0) -> str:
        """Run a command as ``person``; check its exit code; return its stdout."""
        command = (
            [str(self.bin / "tether"), *argv]
            if argv[0] != "python"
            else [sys.executable, *argv[1:]]
        )
        env = self.env(person) if person else dict(os.environ)
        shown = " ".join(argv)
        print(f"[{person or 'anyone'}] $ {'tether ' if argv[0] != 'python' else ''}{shown}")
        done = subprocess.run(  # noqa: S603 - our own fixed commands
            command, env=env, capture_output=True, text=True, check=False
        )
        self.steps += 1
        if done.returncode != expect:
            raise StepFailed(
                f"`{shown}` as {person} exited {done.returncode}, expected {expect}:\n"
                f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
            )
        return done.stdout

    def json(self, person: str | None, *argv: str, expect: int = 0) -> Any:
        return json.loads(self.run(person, *argv, "--json", expect=expect))

    @staticmethod
    def check(condition: bool, what: str) -> None:
        if not condition:
            raise StepFailed(what)
        print(f"  ok: {what}")

    def go(self) -> None:
        certs = self.people()
        ref = self.project()
        self.honest_version(ref)
        self.altered_version(ref)
        self.ledger(ref, certs)

    def people(self) -> dict[str, str]:
        certs = {}
        for person, role in PEOPLE.items():
            me = self.json(person, "login", self.server, "--username", person)
            self.check(me["role"] == role, f"{person} is logged in as {role}")
            self.run(person, "key", "create")
            key = self.json(person, "key", "register", "--name", f"{person}-laptop")
            certs[person] = key["cert_sha256"]
            config = self.work / "people" / person / "config.json"
            self.check(config.stat().st_mode & 0o777 == 0o600, f"{person}'s config is mode 0600")
        return certs

    def project(self) -> str:
        made = self.json(
            "alice",
            "project",
            "create",
            "Digits",
            "--domain",
            "vision",
            "--member",
            "Org1/bob",
            "--member",
            "Org1/carol",
        )
        self.check(made["project"] == "Org1/digits", "alice created Org1/digits with bob and carol")
        return str(made["project"])

    def train(self, version: str, *extra: str) -> None:
        self.run(
            "alice",
            "python",
            str(TRAIN),
            "--out",
            str(self.work / version),
            "--register",
            version,
            "--submit",
            *extra,
        )

    def status(self, version: str) -> str:
        found = self.json("bob", "version", "show", version)
        return str(found["status"]["status"])

    def rerun(self, version: str, expect: int) -> dict[str, Any]:
        command = f'"{sys.executable}" "{TRAIN}" --out {{out}}'
        self.run("bob", "review", "start", version)
        found: dict[str, Any] = self.json(
            "bob", "verify", version, "--rerun", command, expect=expect
        )
        return found

    def honest_version(self, ref: str) -> None:
        v1 = f"{ref}/v1"
        self.train(v1)
        self.check(self.status(v1) == "submitted", "alice's SDK run registered and submitted v1")
        found = self.rerun(v1, expect=0)
        names = sorted(a["name"] for a in found["reproduction"]["artifacts"])
        self.check(
            found["ok"] and names == ["model.json", "test.csv", "train.csv", "train.log"],
            "bob's re-run of train.py reproduced all four files byte for byte",
        )
        self.run("bob", "review", "pass", v1)
        self.run("bob", "deploy", v1, "--endpoint", "https://models.example/digits")
        self.run("carol", "version", "move", v1, "qa")
        self.check(
            self.status(v1) == "qa", "v1 passed review, was deployed, and carol moved it to QA"
        )

    def altered_version(self, ref: str) -> None:
        v2 = f"{ref}/v2"
        self.train(v2, "--alter-row", "5")
        found = self.rerun(v2, expect=1)
        differing = sorted(a["name"] for a in found["reproduction"]["artifacts"] if not a["equal"])
        self.check(
            not found["ok"] and "train.csv" in differing,
            f"bob's re-run of v2 differs in {', '.join(differing)} (one altered training row)",
        )
        self.check(self.status(v2) == "review_failed", "the mismatch moved v2 to review_failed")
        self.run("carol", "review", "comment", v2, "Please re-register from the clean data.")
        history = self.json("carol", "version", "history", v2)
        self.check(len(history) >= 3, "carol reads v2's history and comments on it")

    def ledger(self, ref: str, certs: dict[str, str]) -> None:
        self.run(None, "ledger", "verify", "--home", str(self.home))
        print("  ok: tether ledger verify replayed every block and signature")
        versions = self.json("alice", "version", "list", ref)
        self.check(len(versions) == 2, "Org1/digits has v1 and v2")
        history = self.json("alice", "version", "history", f"{ref}/v1")
        signed = {entry.get("tx_id"): entry for entry in history}
        for tx_id in signed:
            tx = self.json(None, "ledger", "tx", str(tx_id), "--home", str(self.home))
            creator = tx["tx"]["creator"] if "tx" in tx else tx["creator"]
            person = str(creator["id"])
            self.check(
                creator["cert_sha256"] == certs[person],
                f"tx {str(tx_id)[:12]} by {person} is signed with {person}'s CLI key",
            )


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the digits example against a server.")
    parser.add_argument("--server", required=True)
    parser.add_argument("--home", type=Path, required=True, help="the server's network home")
    parser.add_argument("--work", type=Path, required=True, help="an empty working directory")
    parser.add_argument(
        "--password",
        action="append",
        default=[],
        metavar="NAME=PASSWORD",
        help="a person's password (default: the demo's)",
    )
    args = parser.parse_args()
    passwords = {name: f"demo-{name}-password" for name in PEOPLE}
    passwords |= dict(item.split("=", 1) for item in args.password)
    walk = Walkthrough(args.server.rstrip("/"), args.home, args.work, passwords)
    try:
        walk.go()
    except StepFailed as error:
        print(f"digits_example: FAILED after {walk.steps} commands: {error}", file=sys.stderr)
        sys.exit(1)
    print(f"{walk.steps} commands")
    print("digits_example: ok")


if __name__ == "__main__":
    main()
