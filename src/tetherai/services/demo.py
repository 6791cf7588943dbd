"""The demo network of ``make run``: one org, a few participants, some notarized documents.

Idempotent: a second run reuses the home it made the first time.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import time
from datetime import UTC, datetime
from pathlib import Path

from tetherai.identity.ca import CertificateAuthority
from tetherai.identity.roles import Role
from tetherai.services.home import NetworkHome
from tetherai.services.network import (
    ParticipantKey,
    init_network,
    issue_participant,
    load_participant,
    open_node,
)

DEMO_PEOPLE = [
    ("alice", Role.AI_ENGINEER),
    ("bob", Role.MLOPS_ENGINEER),
    ("carol", Role.STAKEHOLDER),
]


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def build_demo(root: Path, passphrase: bytes) -> None:
    home = NetworkHome(root)
    if home.exists():
        print(f"demo network already at {root}")
        return
    info = init_network(
        home, org="Org1", admin_id="admin", channel="main", passphrase=passphrase, now_ms=now_ms()
    )
    print(f"created demo network at {root} (genesis {info['genesis_hash'][:16]}…)")
    admin = load_participant(home, "Org1", "admin", passphrase)
    ca = CertificateAuthority.load(home.ca_dir("Org1"), passphrase)
    node = open_node(home, passphrase)
    try:
        now = datetime.now(tz=UTC)
        people: list[ParticipantKey] = []
        for name, role in DEMO_PEOPLE:
            key = issue_participant(home, ca, name, role, passphrase, now)
            people.append(key)
            envelope = admin.sign(
                "main", "membership", "enroll", {"certificate": key.certificate_pem}, now_ms()
            )
            result = node.orderer.submit(envelope).result()
            print(
                f"enrolled {name} as {role.value}: tx {result.tx_id[:16]}… {'valid' if result.valid else result.message}"
            )
        for index, person in enumerate(people):
            digest = hashlib.sha256(f"demo document {index}".encode()).hexdigest()
            envelope = person.sign(
                "main",
                "notary",
                "notarize",
                {"name": f"demo/doc-{index}", "sha256": digest},
                now_ms(),
            )
            result = node.orderer.submit(envelope).result()
            print(f"{person.id} notarized demo/doc-{index}: tx {result.tx_id[:16]}…")
    finally:
        node.close()


def main() -> None:
    parser = argparse.ArgumentParser(description="Create the tetherai demo network.")
    parser.add_argument("--home", type=Path, required=True)
    args = parser.parse_args()
    build_demo(args.home, os.environ.get("TETHER_PASSPHRASE", "demo-passphrase").encode())


if __name__ == "__main__":
    main()
