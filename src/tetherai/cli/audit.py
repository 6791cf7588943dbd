"""``tether audit``: export a bundle, verify it offline, turn it into a report or interop files.

Bundles come from the server you are logged in to (``ORG/PROJECT/VERSION``, like every
client command), from a file, or on a node from its ledger (``--home``): ``cli/_bundles.py``.
``verify`` and ``report`` of a file need nothing but the bundle (no home, no server, no
database). Exit codes: 0 verified against pinned roots (``--trust``), 4 verified against the
bundle's own roots only, 1 verification failed, 2 usage or unreadable input, 3 server or
ledger errors.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from tetherai.auditverify import Verdict
from tetherai.cli._bundles import load_bundle, read_text, verify
from tetherai.cli._client import ConfigOption, PassphraseFileOption
from tetherai.cli._common import (
    EXIT_DIFFERENCE,
    HomeOption,
    JsonOption,
    err_console,
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


class ReportFormat(StrEnum):
    html = "html"
    pdf = "pdf"


def _verify(bundle: Path, trust: Path | None, since: Path | None) -> Verdict:
    """The verdict on a bundle file (kept for callers that take a path)."""
    held = read_text(since, "the checkpoint")
    return verify(load_bundle(str(bundle)), trust, held).verdict


SourceArgument = Annotated[
    str,
    typer.Argument(
        help="A bundle file, or ORG/PROJECT/VERSION (ORG/PROJECT for a project) to fetch from "
        "the server you are logged in to."
    ),
]


@app.command()
def export(
    ref: Annotated[
        str, typer.Argument(help="The project or version, ORG/PROJECT or ORG/PROJECT/VERSION.")
    ],
    version: Annotated[
        str | None, typer.Option("--version", hidden=True, help="Older form of ORG/PROJECT/V.")
    ] = None,
    since: SinceOption = None,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the bundle.")
    ] = Path("audit-bundle.json"),
    config: ConfigOption = None,
    home: Annotated[
        Path | None,
        typer.Option(
            "--home",
            help="On a node: read its ledger directly instead of asking the server.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Write the audit bundle of a project or a version, fetched from the server you are
    logged in to (read-only: no key needed; the same access as its pages).

    Example: tether audit export Org1/credit-scoring/v1 -o v1.bundle.json
    """
    if version is not None:
        ref = f"{ref}/{version}"
    held = read_text(since, "the checkpoint")
    data = load_bundle(ref, since=held, config=config, home=home)
    output.write_bytes(data)
    err_console.print(
        f"wrote {output} ({len(data)} bytes); check it with: "
        f"tether audit verify {output} --trust trust.txt"
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


@app.command(name="verify")
def verify_command(
    source: SourceArgument,
    trust: TrustOption = None,
    since: SinceOption = None,
    keep_checkpoint: Annotated[
        Path | None,
        typer.Option("--keep-checkpoint", help="Once verified, save its checkpoint for --since."),
    ] = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Verify a bundle offline: signatures, proofs, checkpoint, workflow.

    Exit 0 VERIFIED (against the keys and CA roots --trust pins), 4 VERIFIED-UNPINNED (no
    --trust: consistent, but checked only against the roots the bundle carries itself),
    1 VERIFICATION FAILED.

    Example: tether audit verify v1.bundle.json --trust trust.txt --since held-checkpoint.txt
    """
    held = read_text(since, "the checkpoint")
    outcome = verify(load_bundle(source, since=held, config=config), trust, held)
    if outcome.verdict.ok and keep_checkpoint is not None:
        keep_checkpoint.write_text(outcome.verdict.note)
    if json_output:
        print_json(outcome.to_json())
    else:
        sys.stdout.write(outcome.text())
    raise typer.Exit(outcome.exit_code)


@app.command()
def report(
    source: SourceArgument,
    output: Annotated[Path, typer.Option("--output", "-o", help="The report file.")],
    format_: Annotated[ReportFormat, typer.Option("--format")] = ReportFormat.pdf,
    trust: TrustOption = None,
    since: SinceOption = None,
    config: ConfigOption = None,
) -> None:
    """Verify a bundle here, then write its HTML or PDF report (which states the result).
    Exit codes as 'tether audit verify'.

    Example: tether audit report Org1/credit-scoring/v1 --trust trust.txt -o v1-report.pdf
    """
    from tetherai.services.reports import render_html, render_pdf, report_content

    held = read_text(since, "the checkpoint")
    outcome = verify(load_bundle(source, since=held, config=config), trust, held)
    content = report_content(outcome.verdict)
    if format_ is ReportFormat.pdf:
        output.write_bytes(render_pdf(content))
    else:
        output.write_text(render_html(content), encoding="utf-8")
    err_console.print(f"wrote {output} ({outcome.label})")
    if outcome.verdict.ok and not outcome.pinned:
        err_console.print(
            "hint: checked only against the bundle's own keys and CA roots; pin them with "
            "--trust trust.txt"
        )
    raise typer.Exit(outcome.exit_code)


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
