"""``tether audit``: export a bundle, verify it offline, turn it into a report or interop files.

``verify`` and ``report`` need nothing but the bundle (no home, no server, no database).
Exit codes: 0 verified, 1 verification failed, 2 usage or unreadable input, 3 ledger errors.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from tetherai.auditverify import Trust, Verdict, verify_bundle
from tetherai.cli._client import ConfigOption, PassphraseFileOption
from tetherai.cli._common import (
    EXIT_DIFFERENCE,
    EXIT_USAGE,
    HomeOption,
    JsonOption,
    err_console,
    print_error,
    print_json,
    resolve_home,
    run,
)

app = typer.Typer(
    help="Audit bundles anyone can verify offline, and reports.\n\n"
    "Example: tether audit verify v1.bundle.json --trust trust.txt",
    no_args_is_help=True,
)

TrustOption = Annotated[
    Path | None,
    typer.Option("--trust", help="Pin checkpoint signer keys (vkeys) and CA roots (PEM)."),
]
SinceOption = Annotated[
    Path | None,
    typer.Option("--since", help="A checkpoint note you already hold (from an earlier bundle)."),
]
VersionOption = Annotated[str | None, typer.Option("--version", help="One version only.")]


class ReportFormat(StrEnum):
    html = "html"
    pdf = "pdf"


def _read_text(path: Path | None, what: str) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        print_error(f"cannot read {what} {path}: {error}")
        raise typer.Exit(EXIT_USAGE) from None


def _verify(bundle: Path, trust: Path | None, since: Path | None) -> Verdict:
    try:
        data = bundle.read_bytes()
    except OSError as error:
        print_error(f"cannot read the bundle {bundle}: {error}")
        raise typer.Exit(EXIT_USAGE) from None
    trust_text = _read_text(trust, "the trust file")
    try:
        pinned = None if trust_text is None else Trust.from_text(trust_text)
    except ValueError as error:
        print_error(str(error))
        raise typer.Exit(EXIT_USAGE) from None
    return verify_bundle(data, trust=pinned, since=_read_text(since, "the checkpoint"))


@app.command()
def export(
    project: Annotated[str, typer.Argument(help="The project, <org>/<slug>.")],
    version: VersionOption = None,
    since: SinceOption = None,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the bundle.")
    ] = Path("audit-bundle.json"),
    home: HomeOption = None,
) -> None:
    """Write the audit bundle of a project or a version (read-only, no keys needed).

    Example: tether audit export Org1/credit-scoring --version v1 -o v1.bundle.json
    """
    from tetherai.services.audit_bundle import BundleRequest, export_bundle
    from tetherai.services.home import NetworkHome
    from tetherai.services.network import open_ledger

    held = _read_text(since, "the checkpoint")

    def call() -> bytes:
        store, channel = open_ledger(NetworkHome(resolve_home(home)))
        try:
            return export_bundle(store, channel, BundleRequest(project, version, held))
        finally:
            store.close()

    data = run(call)  # a wrong name or checkpoint exits 2, a fork 1, as the error declares
    output.write_bytes(data)
    err_console.print(
        f"wrote {output} ({len(data)} bytes); check it with: tether audit verify {output}"
    )


@app.command()
def trust(
    output: Annotated[Path | None, typer.Option("--output", "-o")] = None,
    home: HomeOption = None,
) -> None:
    """Print this ledger's checkpoint keys and CA roots, to give auditors for --trust.

    Example: tether audit trust --home ~/.tetherai -o trust.txt
    """
    from tetherai.services.audit_bundle import trust_anchors
    from tetherai.services.home import NetworkHome
    from tetherai.services.network import open_ledger

    def call() -> str:
        store, _ = open_ledger(NetworkHome(resolve_home(home)))
        try:
            return trust_anchors(store)
        finally:
            store.close()

    text = run(call)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text)


@app.command()
def verify(
    bundle: Annotated[Path, typer.Argument(help="The bundle file.")],
    trust: TrustOption = None,
    since: SinceOption = None,
    keep_checkpoint: Annotated[
        Path | None,
        typer.Option("--keep-checkpoint", help="Once verified, save its checkpoint for --since."),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Verify a bundle offline: signatures, proofs, checkpoint, workflow. Exit 1 if it fails.

    Example: tether audit verify v1.bundle.json --trust trust.txt --since held-checkpoint.txt
    """
    verdict = _verify(bundle, trust, since)
    if verdict.ok and keep_checkpoint is not None:
        keep_checkpoint.write_text(verdict.note)
    if json_output:
        print_json(verdict.to_json())
    else:
        sys.stdout.write(verdict.text())
    if not verdict.ok:
        raise typer.Exit(EXIT_DIFFERENCE)


@app.command()
def report(
    bundle: Annotated[Path, typer.Argument(help="The bundle file.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The report file.")],
    format_: Annotated[ReportFormat, typer.Option("--format")] = ReportFormat.pdf,
    trust: TrustOption = None,
    since: SinceOption = None,
) -> None:
    """Verify a bundle, then write its HTML or PDF report (which states the result).

    Example: tether audit report v1.bundle.json --trust trust.txt -o v1-report.pdf
    """
    from tetherai.services.reports import render_html, render_pdf, report_content

    verdict = _verify(bundle, trust, since)
    content = report_content(verdict)
    if format_ is ReportFormat.pdf:
        output.write_bytes(render_pdf(content))
    else:
        output.write_text(render_html(content), encoding="utf-8")
    state = "verified" if verdict.ok else "VERIFICATION FAILED"
    err_console.print(f"wrote {output} ({state})")
    if not verdict.ok:
        raise typer.Exit(EXIT_DIFFERENCE)


class InteropFormat(StrEnum):
    intoto = "intoto"
    model_signing = "model-signing"
    cyclonedx = "cyclonedx"
    sigstore = "sigstore"


def _signing_key(key_file: Path | None, config: Path | None, passphrase_file: Path | None) -> Any:
    """The key that signs a Sigstore bundle: ``--key``, else your own tether key."""
    from tetherai.cli._client import config_dir, read_secret
    from tetherai.client.config import KEY_FILE
    from tetherai.identity.keys import load_private_key

    path = key_file or config_dir(config) / KEY_FILE
    passphrase = read_secret(
        passphrase_file,
        "TETHER_PASSPHRASE",
        f"Passphrase of {path.name}",
        what="passphrase of the signing key",
        option="--passphrase-file",
    )
    return run(lambda: load_private_key(path, passphrase))


@app.command()
def interop(
    bundle: Annotated[Path, typer.Argument(help="A version's bundle file.")],
    kind: Annotated[
        InteropFormat,
        typer.Argument(
            help="intoto (in-toto + SLSA), model-signing (the statement), cyclonedx, or sigstore "
            "(the statement signed: a model_signing signature file)"
        ),
    ],
    output: Annotated[Path | None, typer.Option("--output", "-o")] = None,
    trust: TrustOption = None,
    key: Annotated[
        Path | None,
        typer.Option(
            "--key",
            help="sigstore: the ECDSA P-256 key file to sign with (default: your own tether key).",
        ),
    ] = None,
    certificate: Annotated[
        bool,
        typer.Option(
            "--certificate",
            help="sigstore: carry the signer's certificate from the bundle, for "
            "`model_signing verify certificate` against the org's CA (default: a key hint, "
            "for `model_signing verify key`).",
        ),
    ] = False,
    public_key: Annotated[
        Path | None,
        typer.Option("--public-key", help="sigstore: also write the signer's public key here."),
    ] = None,
    passphrase_file: PassphraseFileOption = None,
    config: ConfigOption = None,
) -> None:
    """Verify a version's bundle, then write it as an in-toto, model-signing or CycloneDX file,
    or as a model_signing signature of its model (sigstore).

    Example: tether audit interop v1.bundle.json sigstore -o model.sig --public-key signer.pub
    then, where the model is: model_signing verify key MODEL --signature model.sig --public_key signer.pub
    """
    from tetherai.crypto.signature import public_key_to_pem
    from tetherai.services.reports import report_content
    from tetherai.services.reports.interop import export as interop_export
    from tetherai.services.reports.interop import model_signing_bundle, signer_certificate

    verdict = _verify(bundle, trust, None)
    if not verdict.ok:
        sys.stdout.write(verdict.text())
        raise typer.Exit(EXIT_DIFFERENCE)
    signer = (
        None if kind is not InteropFormat.sigstore else _signing_key(key, config, passphrase_file)
    )

    def make() -> bytes:
        content = report_content(verdict)
        if signer is None:
            document = interop_export(content, kind.value)
            return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode()
        found = signer_certificate(bundle.read_bytes(), signer) if certificate else None
        return model_signing_bundle(content, signer, certificate=found)

    data = run(make)  # an error exits with its own code (a bad bundle scope 2, ...)
    if output is None:
        sys.stdout.write(data.decode())
    else:
        output.write_bytes(data)
    if signer is not None and public_key is not None:
        public_key.write_bytes(public_key_to_pem(signer.public_key()))
