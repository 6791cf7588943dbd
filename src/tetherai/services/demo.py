"""The demo network of ``make run``: one org, its people with web accounts, some history.

Idempotent: a second run reuses the home it made the first time.
"""

from __future__ import annotations

import argparse
import io
import os
import time
from datetime import UTC, datetime
from pathlib import Path

from tetherai.identity.ca import CertificateAuthority
from tetherai.identity.roles import Role
from tetherai.services.artifacts import StorageSettings, open_artifacts
from tetherai.services.enrolment import (
    account_services,
    service_sessions,
    web_account_of_home,
)
from tetherai.services.home import NetworkHome
from tetherai.services.network import init_network, issue_participant, load_participant, open_node
from tetherai.services.possession import ObjectHolders

DEMO_PEOPLE = [
    ("alice", Role.AI_ENGINEER, "Alice (AI engineer)"),
    ("bob", Role.MLOPS_ENGINEER, "Bob (MLOps engineer)"),
    ("carol", Role.STAKEHOLDER, "Carol (stakeholder)"),
    ("dave", Role.AUDITOR, "Dave (auditor)"),
]


def demo_password(name: str) -> str:
    return f"demo-{name}-password"


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def build_demo(root: Path, passphrase: bytes) -> bool:
    """Create the demo network and its web accounts; False when it already exists."""
    home = NetworkHome(root)
    if home.exists():
        return False
    init_network(
        home, org="Org1", admin_id="admin", channel="main", passphrase=passphrase, now_ms=now_ms()
    )
    admin = load_participant(home, "Org1", "admin", passphrase)
    ca = CertificateAuthority.load(home.ca_dir("Org1"), passphrase)
    node = open_node(home, passphrase)
    try:
        now = datetime.now(tz=UTC)
        people = []
        for name, role, _ in DEMO_PEOPLE:
            key = issue_participant(home, ca, name, role, passphrase, now)
            people.append(key)
            node.orderer.submit(
                admin.sign(
                    "main", "membership", "enroll", {"certificate": key.certificate_pem}, now_ms()
                )
            ).result()
        alice, bob, carol, dave = people
        project = node.orderer.submit(
            alice.sign(
                "main",
                "project",
                "create",
                {"name": "Credit Scoring", "domain": "finance"},
                now_ms(),
            )
        ).result()
        assert project.valid, project.message
        ref = "Org1/credit-scoring"
        for person in (bob, carol, dave):  # dave audits it: a read-only member
            node.orderer.submit(
                alice.sign(
                    "main",
                    "project",
                    "add_member",
                    {"project": ref, "org": "Org1", "id": person.id},
                    now_ms(),
                )
            ).result()
        # A real object in the store the server uses, so the demo version can be verified.
        model = open_artifacts(StorageSettings.from_env(os.environ, home=root)).store.put(
            io.BytesIO(b"demo model")
        )
        node.orderer.submit(
            alice.sign(
                "main",
                "model_version",
                "create",
                {
                    "project": ref,
                    "version": "v1",
                    "code_repo": "https://git.example/credit",
                    "commit": "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678",
                    "artifacts": [
                        {
                            "kind": "model",
                            "name": "model.pkl",
                            "uri": model.uri,
                            "size": model.size,
                            "sha256": model.sha256,
                        }
                    ],
                    "experiments": [
                        {
                            "name": "final",
                            "hyperparameters": {"C": 0.05, "max_iter": 200},
                            "metrics": {"test_accuracy": 0.96},
                            "series": {  # per epoch: the version page charts them
                                "loss": [0.92, 0.61, 0.44, 0.35, 0.31, 0.29],
                                "test_accuracy": [0.81, 0.88, 0.92, 0.94, 0.955, 0.96],
                            },
                        }
                    ],
                    "submit": True,
                },
                now_ms(),
            )
        ).result()
    finally:
        node.close()
    env = {"TETHER_PASSPHRASE": passphrase.decode()}
    with service_sessions(home, env) as (_, sessions):
        # alice uploaded the demo model: she holds its bytes, so the version's readers get them.
        ObjectHolders(sessions, clock=lambda: datetime.now(tz=UTC)).record(
            model.sha256, "Org1", "alice", "uploaded"
        )
    accounts = [("admin", Role.ORG_ADMIN, "Org admin"), *DEMO_PEOPLE]
    with account_services(home, env) as (auth, custody):
        for name, role, display in accounts:
            web_account_of_home(
                auth,
                custody,
                home,
                passphrase=passphrase,
                participant_id=name,
                role=role,
                password=demo_password(name),
                display_name=display,
            )
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description="Create the tetherai demo network.")
    parser.add_argument("--home", type=Path, required=True)
    args = parser.parse_args()
    created = build_demo(args.home, os.environ.get("TETHER_PASSPHRASE", "demo-passphrase").encode())
    print(("created" if created else "reusing") + f" the demo network at {args.home}")
    print("demo logins (username / password):")
    for name, _, display in [("admin", Role.ORG_ADMIN, "org admin"), *DEMO_PEOPLE]:
        print(f"  {name:6} / {demo_password(name):24} {display}")


if __name__ == "__main__":
    main()
