"""``tetherai.Client``: the life-cycle operations as a typed Python API, signed locally.

Reads go through the REST API with your API token. Every write is a tx that this process
builds exactly as the server's use-case routes would (same contract, function and arguments),
signs with *your* private key and posts as a pre-signed envelope: the server never sees the key.
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx

from tetherai.client._http import Http
from tetherai.client.config import KEY_FILE, ClientConfig, default_config_dir, load_config
from tetherai.client.errors import ClientError, ConfigError
from tetherai.client.objects import S3Access, S3Buckets, artifact_from_uri, is_uri, uri_label
from tetherai.client.refs import parse_project, parse_ref
from tetherai.contracts import calls
from tetherai.contracts.calls import Call
from tetherai.storage.progress import ByteProgress

if TYPE_CHECKING:  # the signing and hashing machinery loads on first use, not at start-up
    from tetherai.client.run import Run
    from tetherai.crypto.signature import PrivateKey
    from tetherai.ledger.transaction import Envelope, Transaction
    from tetherai.storage.verification import VerificationReport

__all__ = ["Client"]

Json = dict[str, Any]


def _clean(args: Mapping[str, Any]) -> Json:
    """Drop ``None`` arguments, as the server does before it signs (``services.txs.act``)."""
    return {key: value for key, value in args.items() if value is not None}


class Client:
    """A person's connection to a tetherai server.

    Example::

        client = tetherai.Client.from_config()
        with client.run("Org1/digits", "v1", code_repo="https://git.example/digits",
                        commit="4f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39") as run:
            run.log_metric("test_accuracy", 0.97)
            run.add_artifact("model", "out/model.json")
    """

    def __init__(
        self,
        server: str,
        token: str,
        *,
        org: str = "",
        username: str = "",
        cert_sha256: str = "",
        signing_key: PrivateKey | Callable[[], PrivateKey] | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
        s3: S3Access | Callable[[], S3Access | None] | None = None,
    ) -> None:
        """Connect to ``server`` with an API token; ``signing_key`` (or a function loading it
        when first needed) and ``cert_sha256`` are your registered key, needed for writes;
        ``s3`` your credentials for artifacts registered by ``s3://`` URI (or a function
        giving them when first needed; :meth:`from_config` reads the environment)."""
        self.http = Http(server, token, transport=transport)
        self.buckets = S3Buckets(s3)
        self.org = org
        self.username = username
        self.cert_sha256 = cert_sha256
        self._key = signing_key
        self._channel: str | None = None
        self._clock = clock

    @classmethod
    def from_config(
        cls,
        config_dir: str | os.PathLike[str] | None = None,
        *,
        passphrase: bytes | None = None,
        **options: Any,
    ) -> Client:
        """The client ``tether login`` configured (``$TETHER_CONFIG`` or the user config dir).

        The key file is decrypted with ``passphrase`` (default ``$TETHER_PASSPHRASE``) when
        the first tx is signed. S3 credentials come from ``TETHER_S3_*`` or ``AWS_*`` variables
        (:meth:`tetherai.client.objects.S3Access.from_env`) unless ``s3`` is given.
        """
        from tetherai.identity.keys import load_private_key

        directory = Path(config_dir) if config_dir is not None else default_config_dir()
        config = load_config(directory)
        key_path = directory / KEY_FILE

        def load_key() -> PrivateKey:
            secret = passphrase or os.environ.get("TETHER_PASSPHRASE", "").encode()
            if not secret:
                raise ConfigError(
                    "no passphrase for your key",
                    hint="set TETHER_PASSPHRASE or pass --passphrase-file",
                )
            return load_private_key(key_path, secret)

        options.setdefault("s3", lambda: S3Access.from_env(os.environ))
        return cls.from_settings(config, signing_key=load_key, **options)

    @classmethod
    def from_settings(
        cls,
        config: ClientConfig,
        *,
        signing_key: PrivateKey | Callable[[], PrivateKey] | None = None,
        **options: Any,
    ) -> Client:
        """A client from a :class:`ClientConfig`; ``options`` as for the constructor."""
        return cls(
            config.server,
            config.token,
            org=config.org,
            username=config.username,
            cert_sha256=config.cert_sha256,
            signing_key=signing_key,
            **options,
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    # -- signing -------------------------------------------------------------------------------

    def _signing_key(self) -> PrivateKey:
        if self._key is None or not self.cert_sha256:
            raise ConfigError(
                "you have no registered key to sign with",
                hint="run 'tether key create' and 'tether key register' first",
            )
        if callable(self._key):
            self._key = self._key()
        return self._key

    def channel(self) -> str:
        """The server's channel (every tx names it)."""
        if self._channel is None:
            self._channel = str(self.http.get("/ledger")["channel"])
        return self._channel

    def transaction(self, contract: str, fn: str, args: Mapping[str, Any]) -> Transaction:
        """``contract.fn(args)`` as an unsigned tx of yours, stamped now."""
        if not self.org or not self.username:
            me = self.whoami()
            self.org, self.username = str(me["org"]), str(me["username"])
        from tetherai.ledger.transaction import Creator, Transaction, new_nonce

        return Transaction(
            channel=self.channel(),
            contract=contract,
            fn=fn,
            args=_clean(args),
            creator=Creator(self.org, self.username, self.cert_sha256),
            nonce=new_nonce(),
            ts=self._clock(),
        )

    def sign(self, contract: str, fn: str, args: Mapping[str, Any]) -> Envelope:
        """Build ``contract.fn(args)`` as a tx of yours and sign it with your key, here."""
        from tetherai.ledger.transaction import sign_transaction

        return sign_transaction(self.transaction(contract, fn, args), self._signing_key())

    def check(self, contract: str, fn: str, args: Mapping[str, Any]) -> Json:
        """What the contracts would make of ``contract.fn(args)`` from you now, run by the
        server without a signature; nothing is stored.

        Returns ``{valid: true, result}``.

        Raises:
            ServerError: the contracts would refuse it (their code and reason).
        """
        return self._check(self.transaction(contract, fn, args))

    def _check(self, tx: Transaction) -> Json:
        tx.canonical_bytes()  # what canonical JSON cannot hold is refused here, as when signing
        found: Json = self.http.post("/simulate", {"tx": tx.to_json()})
        return found

    def act(self, contract: str, fn: str, args: Mapping[str, Any]) -> Json:
        """Check, sign and submit a tx; wait until its block is durable.

        The call is checked first (:meth:`check`): one the contracts refuse raises before
        your key signs anything, and nothing reaches the ledger.

        Returns ``{tx_id, valid, result}``.

        Raises:
            ServerError: refused (a tx that lost a race with another and was recorded invalid
                carries ``details["tx_id"]``).
        """
        key = self._signing_key()  # fail before touching the network when there is no key
        tx = self.transaction(contract, fn, args)
        self._check(tx)  # the very tx that is then signed
        from tetherai.ledger.transaction import sign_transaction

        envelope = sign_transaction(tx, key)
        # The same envelope and key on every retry: the server answers a repeat with the first
        # answer, so a lost answer never becomes a second tx (or a "tx.replayed" refusal).
        answer: Json = self.http.write("/envelopes", envelope.to_json())
        return answer

    # -- reads ---------------------------------------------------------------------------------

    def whoami(self) -> Json:
        found: Json = self.http.get("/auth/me")
        return found

    def projects(self) -> list[Json]:
        return self.http.pages("/projects")

    def keys(self) -> list[Json]:
        """Every key enrolled for you (web, CLI/SDK), as the ledger records them."""
        return self.http.pages("/me/keys")

    def revoke_key(self, cert_sha256: str, reason: str) -> Json:
        """Revoke one of your keys with a tx signed here by your registered key (which may be
        the one revoked: a key revokes itself, not your last one)."""
        return self.act("membership", "revoke", {"cert_sha256": cert_sha256, "reason": reason})

    def project(self, project: str) -> Json:
        org, slug = parse_project(project)
        found: Json = self.http.get(f"/projects/{org}/{slug}")
        return found

    def versions(self, project: str) -> list[Json]:
        org, slug = parse_project(project)
        return self.http.pages(f"/projects/{org}/{slug}/versions")

    def version(self, project: str, version: str) -> Json:
        found: Json = self.http.get(f"{self._version_path(project, version)}")
        return found

    def history(self, project: str, version: str) -> list[Json]:
        return self.http.pages(f"{self._version_path(project, version)}/history")

    def reviews(self, project: str, version: str, *, page: int = 500) -> Json:
        """Every review record of the version by kind, with all its comments, newest first:
        the server sends comments ``page`` at a time (at most 500), and this follows the pages."""
        path = f"{self._version_path(project, version)}/reviews"
        found: Json = self.http.get(path, limit=page)
        cursor = found.get("next")
        while cursor:
            older = self.http.get(path, limit=page, cursor=cursor)
            found["comment"].extend(older["comment"])
            cursor = older.get("next")
        found["next"] = None
        return found

    def audit_bundle(self, ref: str, *, since: str | None = None) -> bytes:
        """The audit bundle of a project (``ORG/PROJECT``) or a version
        (``ORG/PROJECT/VERSION``), as the server wrote it (verify it with
        :func:`tetherai.auditverify.verify_bundle`). ``since``: a checkpoint note held from an
        earlier bundle, for the consistency proof from it."""
        project, version = parse_ref(ref)
        org, slug = parse_project(project)
        base = f"/projects/{org}/{slug}" + (f"/versions/{version}" if version else "")
        return self.http.get_bytes(f"{base}/audit-bundle", since=since)

    def manifest(self, project: str, version: str) -> list[Json]:
        """The artifacts the version registered (``{kind, name, uri, size, sha256[, files]}``)."""
        content = self.version(project, version).get("version") or {}
        return [dict(a) for a in content.get("artifacts", [])]

    @staticmethod
    def _version_path(project: str, version: str) -> str:
        org, slug = parse_project(project)
        return f"/projects/{org}/{slug}/versions/{version}"

    # -- artifacts -----------------------------------------------------------------------------

    def upload_artifact(self, kind: str, path: str | os.PathLike[str], name: str = "") -> Json:
        """Hash a file or directory here, stream it to the object store, and check the server
        stored the same bytes. A directory is uploaded file by file, then its tree object.

        Returns the manifest entry ``{kind, name, uri, size, sha256[, files]}``.
        """
        location = Path(path)
        label = name or location.name
        calls.check_artifact_kind(kind, label)
        if location.is_dir():
            return self._upload_directory(kind, location, label)
        if not location.is_file():
            raise ClientError(f"{location} is neither a file nor a directory")
        stored = self._upload_file(location, location.name)
        return {"kind": kind, "name": label} | stored

    def planned_artifact(self, kind: str, path: str | os.PathLike[str], name: str = "") -> Json:
        """The manifest entry :meth:`upload_artifact` will return for a local file or directory,
        from hashing it here (nothing is sent): what a registration is checked with before its
        files are uploaded. Its ``uri`` is the local object store's name for the bytes."""
        from tetherai.crypto.digest import sha256_hex
        from tetherai.storage.hashing import hash_file
        from tetherai.storage.manifest import FileEntry, tree_bytes
        from tetherai.storage.paths import walk_files

        location = Path(path)
        label = name or location.name
        calls.check_artifact_kind(kind, label)
        if location.is_file():
            with ByteProgress(f"hashing {label}", total=location.stat().st_size) as progress:
                digest = hash_file(location, progress=progress)
            return {
                "kind": kind,
                "name": label,
                "uri": f"tether-obj:sha256/{digest.sha256}",
                "size": digest.size,
                "sha256": digest.sha256,
            }
        if not location.is_dir():
            raise ClientError(f"{location} is neither a file nor a directory")
        files = [
            FileEntry(item.path, hashed.size, hashed.sha256)
            for item in walk_files(location)
            for hashed in [hash_file(Path(item.location))]
        ]
        if not files:
            raise ClientError(f"directory {location} holds no files")
        digest_hex = sha256_hex(tree_bytes(files))
        return {
            "kind": kind,
            "name": label,
            "uri": f"tether-obj:sha256/{digest_hex}",
            "size": sum(f.size for f in files),
            "sha256": digest_hex,
            "files": [f.to_json() for f in files],
        }

    def artifact_from_uri(self, kind: str, uri: str, name: str = "") -> Json:
        """Register an object where it is: hash what ``uri`` names by streaming it (an
        ``s3://`` object or prefix with your credentials, a ``tether-obj:`` object through the
        API); nothing is uploaded. Returns the manifest entry.

        Raises:
            InvalidArgument: an unknown artifact kind (before anything is read).
            UnsupportedURI: an unknown scheme or a malformed URI (``file://``: give the path).
            ObjectNotFound, BucketNotFound: nothing is there.
            ConfigError: an ``s3://`` URI and no S3 credentials.
            AccessDenied, StorageUnavailable, ServerError: the store refused or failed.
        """
        label = name or uri_label(kind, uri)
        calls.check_artifact_kind(kind, label)
        with ByteProgress(f"hashing {uri}") as progress:
            return artifact_from_uri(self.http, self.buckets, kind, uri, label, progress)

    def document(self, source: str | os.PathLike[str], name: str = "") -> Json:
        """A document for a factsheet or a review, as ``{name, sha256, uri}``: a local file is
        uploaded to the server's store; a URI is hashed where it is (one object, not a prefix).

        Raises:
            ClientError: a directory, or a prefix URI.
            StorageError: as :meth:`upload_artifact` and :meth:`artifact_from_uri`.
        """
        if is_uri(source):
            uri = str(source)
            if uri.endswith("/"):
                raise ClientError(f"a document is one object, not the prefix {uri}")
            entry = self.artifact_from_uri("report", uri, name)
        else:
            location = Path(source)
            if location.is_dir():
                raise ClientError(f"a document is one file, not the directory {location}")
            if not location.is_file():
                raise ClientError(f"{location} is not a file")
            entry = {"name": name or location.name} | self._upload_file(location, location.name)
        return {"name": entry["name"], "sha256": entry["sha256"], "uri": entry["uri"]}

    def _upload_file(self, location: Path, label: str) -> Json:
        from tetherai.storage.hashing import hash_file

        size = location.stat().st_size
        with ByteProgress(f"hashing {label}", total=size) as progress:
            local = hash_file(location, progress=progress)
        with (
            ByteProgress(f"uploading {label}", total=size) as progress,
            location.open("rb") as file,
        ):
            stored = self.http.upload(file, size, progress)
        self._check_stored(stored, local.sha256, str(location))
        return {"uri": str(stored["uri"]), "size": int(stored["size"]), "sha256": local.sha256}

    def _upload_directory(self, kind: str, location: Path, label: str) -> Json:
        from tetherai.crypto.digest import sha256_hex
        from tetherai.storage.manifest import FileEntry, tree_bytes
        from tetherai.storage.paths import walk_files

        walked = walk_files(location)
        if not walked:
            raise ClientError(f"directory {location} holds no files")
        files = []
        for item in walked:
            stored = self._upload_file(Path(item.location), f"{label}/{item.path}")
            files.append(FileEntry(item.path, int(stored["size"]), str(stored["sha256"])))
        tree = tree_bytes(files)
        digest = sha256_hex(tree)
        stored_tree = self.http.upload(io.BytesIO(tree), len(tree), lambda _: None)
        self._check_stored(stored_tree, digest, f"the file list of {location}")
        return {
            "kind": kind,
            "name": label,
            "uri": str(stored_tree["uri"]),
            "size": sum(f.size for f in files),
            "sha256": digest,
            "files": [f.to_json() for f in files],
        }

    @staticmethod
    def _check_stored(stored: Json, local_sha256: str, what: str) -> None:
        if stored["sha256"] != local_sha256:
            raise ClientError(
                f"the server stored {what} as {stored['sha256']}, but it hashes to "
                f"{local_sha256} here (did it change while it was uploaded?)"
            )

    # -- writes (one tx each, signed here; built by contracts.calls, as the server builds them) --

    def send(self, call: Call) -> Json:
        """Sign and submit a use case's call (see :meth:`act`)."""
        if call.project is not None:
            parse_project(call.project)
        return self.act(call.contract, call.fn, call.args)

    def check_call(self, call: Call) -> Json:
        """What the contracts would make of a use case's call now (see :meth:`check`)."""
        if call.project is not None:
            parse_project(call.project)
        return self.check(call.contract, call.fn, call.args)

    def create_project(self, name: str, *, domain: str = "", details: str = "") -> Json:
        return self.send(calls.create_project(name, domain=domain, details=details))

    def add_member(self, project: str, org: str, participant: str) -> Json:
        return self.send(calls.add_member(project, org, participant))

    def set_factsheet(self, project: str, factsheet: Mapping[str, Any]) -> Json:
        """Set the project's purpose and AI factsheet (purpose, intended_use, out_of_scope_uses,
        risks, key_contacts [{name, role, contact?}], documents [{name, sha256, uri?}])."""
        return self.send(calls.set_factsheet(project, factsheet))

    def set_policy(self, project: str, policy: Mapping[str, Any]) -> Json:
        return self.send(calls.set_policy(project, policy))

    def create_version(
        self,
        project: str,
        version: str,
        *,
        code_repo: str,
        commit: str,
        artifacts: Sequence[Mapping[str, Any]] = (),
        experiments: Sequence[Mapping[str, Any]] = (),
        parents: Sequence[Mapping[str, Any]] = (),
        notebook_version: str = "",
        comment: str = "",
        replaces: str | None = None,
        submit: bool = False,
    ) -> Json:
        """Register a version (a draft, or submitted for review when ``submit``).

        Raises:
            InvalidArgument: ``commit`` is an abbreviated git commit id (give the full one).
        """
        parse_project(project)
        return self.send(
            calls.create_version(
                project,
                version,
                code_repo=code_repo,
                commit=commit,
                notebook_version=notebook_version,
                comment=comment,
                artifacts=artifacts,
                experiments=experiments,
                parents=parents,
                replaces=replaces,
                submit=submit,
            )
        )

    def submit_version(self, project: str, version: str) -> Json:
        return self.send(calls.submit_version(project, version))

    def transition(
        self,
        project: str,
        version: str,
        to: str,
        *,
        reason: str = "",
        details: Mapping[str, Any] | None = None,
    ) -> Json:
        """Move a version: ``reviewing``, ``review_passed``, ``deployed``, ``production``, …"""
        return self.send(calls.transition(project, version, to, reason=reason, details=details))

    def rollback(self, project: str, version: str, reason: str) -> Json:
        """Put the earlier approved ``version`` back into production."""
        return self.send(calls.rollback(project, version, reason))

    def record_verification(
        self,
        project: str,
        version: str,
        report: VerificationReport,
        *,
        method: str,
        reproduction: VerificationReport | None = None,
        metrics: Mapping[str, float] | None = None,
    ) -> Json:
        """Record recomputed digests (``review.verify``); a mismatch fails the review."""
        reproduced = None if reproduction is None else reproduction.recomputed()
        return self.send(
            calls.verify(
                project,
                version,
                report.recomputed(),
                reproduction=reproduced,
                metrics=metrics,
                method=method,
            )
        )

    def comment(
        self, project: str, version: str, text: str, *, reply_to: str | None = None
    ) -> Json:
        return self.send(calls.comment(project, version, text, reply_to=reply_to))

    def vote(
        self, project: str, version: str, to: str, *, approve: bool, comment: str = ""
    ) -> Json:
        return self.send(calls.vote(project, version, to, approve=approve, comment=comment))

    def rate(self, project: str, version: str, stars: int, *, note: str = "") -> Json:
        return self.send(calls.rate(project, version, stars, note=note))

    def attach_document(
        self, project: str, version: str, name: str, sha256: str, *, uri: str = ""
    ) -> Json:
        """Attach a review document to a version by its digest (see :meth:`document`)."""
        return self.send(calls.attach_document(project, version, name, sha256, uri=uri))

    def monitor(
        self,
        project: str,
        version: str,
        status: str,
        *,
        metrics: Mapping[str, float] | None = None,
        note: str = "",
        other: str = "",
    ) -> Json:
        """Report on a live version (MLOps engineers): ``status`` is a word of
        ``tetherai.vocabulary.MONITORING_STATUSES`` (``other`` is described by ``other``)."""
        return self.send(
            calls.monitor(project, version, status, metrics=metrics, note=note, other=other)
        )

    # -- training scripts ----------------------------------------------------------------------

    def run(
        self,
        project: str,
        version: str,
        *,
        code_repo: str,
        commit: str,
        submit: bool = False,
        comment: str = "",
        notebook_version: str = "",
        replaces: str | None = None,
        experiment: str = "run",
    ) -> Run:
        """A version being trained: log metrics and artifacts; on exit it is hashed, uploaded
        and registered (and submitted for review when ``submit``).

        Raises:
            InvalidArgument: ``commit`` is an abbreviated git commit id: refused before the
                training starts rather than when it ends.
        """
        from tetherai.client.run import Run
        from tetherai.contracts.commits import check_commit

        parse_project(project)
        return Run(
            self,
            project,
            version,
            code_repo=code_repo,
            commit=check_commit(commit),
            submit=submit,
            comment=comment,
            notebook_version=notebook_version,
            replaces=replaces,
            experiment=experiment,
        )
