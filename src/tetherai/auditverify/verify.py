"""Verify an audit bundle with nothing but the bundle (and, better, keys the auditor pins).

Checks, in order: the bundle's shape; the checkpoint's signature and every cosignature by the
trusted keys; each tx's envelope (canonical, its id), its inclusion proof against the
checkpoint, its creator's certificate (bound by SHA-256, issued by the org's CA, in force) and
its signature; each tx's result (valid or refused, and what it wrote) through the state-root
chain the checkpoint signs (``results.py``); the consistency proof from an earlier checkpoint; and every version's status history
replayed through the workflow rules. Every problem found is reported, not only the first.
"""

from __future__ import annotations

import hashlib
from typing import Any

from cryptography import x509

from . import jcs, merkle, notes
from .certs import CertFailure, load_pem, org_of, participant, sha256_of, verify_tx_signature
from .replay import WorkflowReplay
from .results import prove_results
from .scope import FORMATS
from .trust import Trust
from .verdict import BundleTx, Problem, Verdict

__all__ = ["verify_bundle"]


class _Stop(Exception):
    """The bundle cannot be read further."""


class _Verifier:
    def __init__(self, bundle: Any, trust: Trust | None, since: str | None) -> None:
        self.bundle = bundle
        self.pinned = trust
        self.since = since
        self.verdict = Verdict()
        self.ledger_format = 0
        self.entries: dict[int, dict[str, Any]] = {}
        """Each parsed tx's entry in the bundle, by ``id()`` of its :class:`BundleTx`."""
        self.added_by: list[BundleTx] = []
        """The add_org txs whose CA certificates were taken as roots (unless roots are pinned)."""

    def fail(self, code: str, message: str) -> None:
        self.verdict.problems.append(Problem(code, message))

    def run(self) -> Verdict:
        try:
            self._shape()
            txs = self._txs()
            keys, roots = self._anchors(txs)
            self._checkpoint(keys)
            self._each_tx(txs, roots)
            self._results(txs, keys)
            self._added_orgs()
            self._consistency(keys)
            self._workflow(txs)
        except _Stop:
            pass
        self.verdict.ok = not self.verdict.problems
        return self.verdict

    # -- shape ------------------------------------------------------------------------------

    def _field(self, value: Any, name: str, kind: type | tuple[type, ...]) -> Any:
        if not isinstance(value, dict) or not isinstance(value.get(name), kind):
            self.fail("bundle.malformed", f"the bundle's {name!r} is missing or of the wrong type")
            raise _Stop
        return value[name]

    def _shape(self) -> None:
        b = self.bundle
        if not isinstance(b, dict) or b.get("format") not in FORMATS:
            self.fail(
                "bundle.format", f"not a bundle of a format known here ({', '.join(FORMATS)})"
            )
            raise _Stop
        self.ledger_format = FORMATS[b["format"]]
        scope = self._field(b, "scope", dict)
        self.verdict.project = str(self._field(scope, "project", str))
        version = scope.get("version")
        if version is not None and not isinstance(version, str):
            self.fail("bundle.malformed", "the bundle's scope names no version as a string")
            raise _Stop
        self.verdict.version = version
        for name, kind in (
            ("checkpoint", str),
            ("txs", list),
            ("blocks", list),
            ("state_chain", dict),
            ("certificates", dict),
            ("ca_roots", list),
        ):
            self._field(b, name, kind)

    # -- txs --------------------------------------------------------------------------------

    def _txs(self) -> list[tuple[BundleTx, notes.TlogProof, bytes, bytes]]:
        parsed: list[tuple[BundleTx, notes.TlogProof, bytes, bytes]] = []
        last_seq = -1
        for position, entry in enumerate(self.bundle["txs"]):
            seq = self._field(entry, "seq", int)
            block = self._field(entry, "block", int)
            where = f"tx #{position} (log position {seq})"
            try:
                proof = notes.parse_tlog_proof(self._field(entry, "proof", str))
                leaf = jcs.loads_canonical(proof.extra)
            except (notes.NoteFailure, jcs.CanonicalError) as error:
                self.fail("tx.malformed", f"{where}: {error}")
                continue
            if seq <= last_seq:
                self.fail(
                    "bundle.order",
                    f"{where} comes after log position {last_seq}: the txs are not in log order "
                    "(reordered or repeated)",
                )
            last_seq = max(last_seq, seq)
            if proof.index != seq:
                self.fail("tx.position", f"{where}: its proof is for log position {proof.index}")
            if proof.note != self.bundle["checkpoint"]:
                self.fail("tx.checkpoint", f"{where}: its proof is against another checkpoint")
            tx = leaf.get("tx") if isinstance(leaf, dict) else None
            creator = tx.get("creator") if isinstance(tx, dict) else None
            if (
                not isinstance(tx, dict)
                or not isinstance(creator, dict)
                or set(leaf) != {"sig", "tx"}
            ):
                self.fail("tx.malformed", f"{where}: the leaf is not a tx envelope {{tx, sig}}")
                continue
            tx_bytes = jcs.canonical(tx)
            tx_id = hashlib.sha256(tx_bytes).hexdigest()
            if entry.get("tx_id") != tx_id:
                self.fail(
                    "tx.id",
                    f"{where}: listed as tx {str(entry.get('tx_id'))[:16]}… but its content hashes "
                    f"to {tx_id[:16]}… (the tx was altered)",
                )
            try:
                signature = notes.b64(str(leaf["sig"]), "the tx signature")
            except notes.NoteFailure as error:
                self.fail("tx.malformed", f"{where}: {error}")
                continue
            item = BundleTx(seq, block, tx_id, tx, str(creator.get("org")), str(creator.get("id")))
            parsed.append((item, proof, tx_bytes, signature))
            self.entries[id(item)] = entry
            self.verdict.txs.append(item)
        if not parsed:
            self.fail("bundle.empty", "the bundle holds no readable tx")
            raise _Stop
        return parsed

    def _anchors(
        self, txs: list[tuple[BundleTx, notes.TlogProof, bytes, bytes]]
    ) -> tuple[list[notes.NoteKey], dict[str, x509.Certificate]]:
        """Checkpoint keys and CA roots: pinned by the auditor, or else from the genesis tx."""
        genesis = txs[0][0]
        if genesis.seq != 0 or genesis.action != "membership.bootstrap":
            self.fail("bundle.genesis", "the bundle does not start with the ledger's genesis tx")
            raise _Stop
        channel = genesis.tx.get("args", {}).get("channel", {})
        orgs = genesis.tx.get("args", {}).get("orgs", [])
        try:
            keys = [
                notes.NoteKey(str(o["name"]), notes.NOTE, notes.b64(str(o["public_key"]), "key"))
                for o in channel.get("orderers", [])
            ] + [
                notes.NoteKey(
                    str(p["name"]), notes.COSIGNATURE, notes.b64(str(p["public_key"]), "key")
                )
                for p in channel.get("peers", [])
            ]
            declared = [load_pem(str(o["ca_cert"]), f"the CA of {o['org']}") for o in orgs]
            ledger_format = channel.get("ledger_format", 1)
        except (KeyError, TypeError, AttributeError, notes.NoteFailure, CertFailure) as error:
            self.fail(
                "bundle.genesis", f"the genesis tx's channel configuration is unreadable: {error}"
            )
            raise _Stop from error
        if ledger_format != self.ledger_format:
            self.fail(
                "bundle.format",
                f"the bundle is of format {self.bundle['format']}, but the ledger's genesis "
                f"sets ledger format {ledger_format}",
            )
            raise _Stop
        for item, _, _, _ in txs[1:]:
            args = item.tx.get("args", {})
            if item.action == "membership.add_org" and isinstance(args, dict):
                try:
                    declared.append(load_pem(str(args.get("ca_cert")), "an added org's CA"))
                    self.added_by.append(item)
                except CertFailure as error:
                    self.fail("cert.root", f"tx {item.tx_id[:16]}…: {error}")
        if self.pinned is not None and self.pinned.keys:
            keys = list(self.pinned.keys)
        pinned_roots = self.pinned is not None and bool(self.pinned.roots)
        allowed = list(self.pinned.roots) if self.pinned is not None and pinned_roots else declared
        roots: dict[str, x509.Certificate] = {}
        for pem in self.bundle["ca_roots"]:
            try:
                root = load_pem(str(pem), "a CA root of the bundle")
            except CertFailure as error:
                self.fail("cert.root", str(error))
                continue
            if root not in allowed:
                source = (
                    "pinned" if pinned_roots else "declared in the bundle's genesis or add_org txs"
                )
                self.fail(
                    "cert.root",
                    f"the CA certificate of {org_of(root)} is not one of the CAs {source}",
                )
                continue
            roots[org_of(root)] = root
        pinned_what = [
            f"{len(self.pinned.keys)} pinned checkpoint key(s)"
            if self.pinned and self.pinned.keys
            else "",
            f"{len(allowed)} pinned CA root(s)" if pinned_roots else "",
        ]
        pinned = ", ".join(p for p in pinned_what if p)
        self.verdict.trust = (
            pinned
            if pinned
            else "keys and CA roots taken from the bundle's own genesis tx (NOT pinned: pass "
            "--trust to detect a forged ledger)"
        )
        return keys, roots

    def _checkpoint(self, keys: list[notes.NoteKey]) -> None:
        try:
            opened = notes.open_note(self.bundle["checkpoint"], keys)
            checkpoint = notes.parse_checkpoint(opened.text)
        except notes.NoteFailure as error:
            self.fail("checkpoint", f"checkpoint: {error}")
            raise _Stop from error
        channel = self.bundle.get("channel")
        if checkpoint.channel != channel:
            self.fail(
                "checkpoint",
                f"the checkpoint is of channel {checkpoint.channel!r}, not {channel!r}",
            )
        self.verdict.checkpoint = checkpoint
        self.verdict.note = self.bundle["checkpoint"]
        self.verdict.signers = opened.signers
        self.verdict.cosigned_at = opened.cosigned_at
        self.verdict.checks.append(
            f"checkpoint of tree size {checkpoint.size} signed by {', '.join(opened.signers)}"
        )

    def _each_tx(
        self,
        txs: list[tuple[BundleTx, notes.TlogProof, bytes, bytes]],
        roots: dict[str, x509.Certificate],
    ) -> None:
        checkpoint = self.verdict.checkpoint
        assert checkpoint is not None
        certificates: dict[str, x509.Certificate] = {}
        for listed, pem in self.bundle["certificates"].items():
            try:
                certificate = load_pem(str(pem), f"certificate {listed[:16]}…")
            except CertFailure as error:
                self.fail("cert.malformed", str(error))
                continue
            actual = sha256_of(certificate)
            if actual != listed:
                self.fail(
                    "cert.swapped",
                    f"the certificate listed under SHA-256 {listed[:16]}… hashes to {actual[:16]}… "
                    "(swapped or altered)",
                )
                continue
            certificates[listed] = certificate
        for item, proof, tx_bytes, signature in txs:
            where = f"tx {item.tx_id[:16]}… ({item.action} by {item.who})"
            try:
                merkle.verify_inclusion(
                    merkle.leaf_hash(proof.extra),
                    proof.index,
                    checkpoint.size,
                    proof.hashes,
                    checkpoint.root,
                )
                item.included = True
            except merkle.ProofFailure as error:
                self.fail("tx.inclusion", f"{where}: {error}")
            found = certificates.get(str(item.tx["creator"].get("cert_sha256")))
            if found is None:
                self.fail("cert.missing", f"{where}: the bundle lacks its creator's certificate")
                continue
            try:
                who = participant(found, roots, item.ts)
            except CertFailure as error:
                self.fail("cert.untrusted", f"{where}: {error}")
                continue
            if (who.org, who.id) != (item.org, item.id):
                self.fail("cert.mismatch", f"{where}: the certificate names {who.id}@{who.org}")
                continue
            item.role = who.role
            if verify_tx_signature(found, signature, tx_bytes):
                item.signed = True
            else:
                self.fail(
                    "tx.signature",
                    f"{where}: the signature does not verify with {item.who}'s certificate",
                )
        if all(item.included for item, _, _, _ in txs):
            self.verdict.checks.append(
                f"{len(txs)} txs included in the log (RFC 6962 inclusion proofs)"
            )
        if all(item.signed for item, _, _, _ in txs):
            self.verdict.checks.append(f"{len(txs)} txs signed by their creators' certificates")

    # -- results through the state-root chain ---------------------------------------------------

    def _results(
        self,
        txs: list[tuple[BundleTx, notes.TlogProof, bytes, bytes]],
        keys: list[notes.NoteKey],
    ) -> None:
        checkpoint = self.verdict.checkpoint
        assert checkpoint is not None
        check = prove_results(
            self.bundle,
            [(item, self.entries[id(item)]) for item, _, _, _ in txs],
            checkpoint,
            keys,
            self.ledger_format,
            self.fail,
        )
        if check is not None:
            self.verdict.checks.append(check)

    def _added_orgs(self) -> None:
        pinned = self.pinned is not None and bool(self.pinned.roots)
        for item in self.added_by:
            org = item.tx.get("args", {}).get("org")
            if not pinned and item.valid is False:
                self.fail(
                    "cert.root",
                    f"tx {item.tx_id[:16]}… declared the CA of org {org}, but the ledger refused it",
                )
            elif not pinned and item.valid and f"membership/org/{org}" not in item.writes:
                # An add_org tx is an approval; only the one that met the channel's approval
                # rule added the org (its result wrote the org's record).
                self.fail(
                    "cert.root",
                    f"tx {item.tx_id[:16]}… approved adding org {org} but did not add it "
                    "(the change was still waiting for approvals)",
                )

    # -- consistency --------------------------------------------------------------------------

    def _consistency(self, keys: list[notes.NoteKey]) -> None:
        checkpoint = self.verdict.checkpoint
        assert checkpoint is not None
        given = self.bundle.get("consistency")
        if given is None:
            if self.since is not None:
                self.fail(
                    "consistency.missing",
                    "you gave a checkpoint you hold, but the bundle has no consistency proof from it",
                )
            return
        try:
            old_note = str(given["checkpoint"])
            proof = [notes.b64(str(h), "a consistency proof hash") for h in given["proof"]]
            old = notes.parse_checkpoint(notes.open_note(old_note, keys).text)
            merkle.verify_consistency(old.size, checkpoint.size, old.root, checkpoint.root, proof)
        except (KeyError, TypeError) as error:
            self.fail("consistency.malformed", f"the consistency proof is malformed: {error}")
            return
        except (notes.NoteFailure, merkle.ProofFailure) as error:
            self.fail("consistency", f"consistency with the earlier checkpoint: {error}")
            return
        if self.since is not None:
            try:
                held = notes.parse_checkpoint(
                    self.since.rpartition("\n\n")[0] + "\n" if "\n\n" in self.since else self.since
                )
            except notes.NoteFailure as error:
                self.fail("consistency.since", f"the checkpoint you hold is unreadable: {error}")
                return
            if (held.size, held.root) != (old.size, old.root):
                self.fail(
                    "consistency.since",
                    f"the bundle proves consistency from tree size {old.size}, not from the "
                    f"checkpoint you hold (size {held.size})",
                )
                return
        self.verdict.consistency_from = old.size
        self.verdict.checks.append(
            f"the log grew append-only from tree size {old.size} to {checkpoint.size} (consistency proof)"
        )

    def _workflow(self, txs: list[tuple[BundleTx, notes.TlogProof, bytes, bytes]]) -> None:
        replay = WorkflowReplay(self.verdict.project, self.verdict.version)
        replay.run([item for item, _, _, _ in txs])
        self.verdict.problems += replay.problems
        self.verdict.transitions += replay.transitions
        self.verdict.checks += replay.checks


def verify_bundle(
    bundle: bytes | str | dict[str, Any], *, trust: Trust | None = None, since: str | None = None
) -> Verdict:
    """Verify a bundle (its bytes, or the parsed JSON); ``since``: a checkpoint note you hold."""
    if isinstance(bundle, (bytes, str)):
        try:
            bundle = jcs.loads_strict(bundle)
        except jcs.CanonicalError as error:
            verdict = Verdict()
            verdict.problems.append(Problem("bundle.json", f"the bundle is not JSON: {error}"))
            return verdict
    return _Verifier(bundle, trust, since).run()
