"""``tether verify``: recompute a version's digests here and record the verification tx.

Exit 0 when every digest matches, 1 when one differs (the mismatch is recorded, and the
contracts fail the review by themselves), 2 for bad usage, 3 for the server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from tetherai.cli._client import (
    ConfigOption,
    JsonOption,
    PassphraseFileOption,
    call,
    fail,
    open_client,
    show,
)
from tetherai.cli._common import EXIT_DIFFERENCE, console, err_console
from tetherai.cli.version import VersionArg, ref_of
from tetherai.client.verify import verify_from_store, verify_local, verify_rerun
from tetherai.storage.progress import ByteProgress
from tetherai.storage.verification import VerificationReport


def verify(
    version: VersionArg,
    from_store: Annotated[
        bool,
        typer.Option(
            "--from-store",
            help="Re-hash every artifact where it is stored: s3:// ones read directly with your "
            "S3 credentials (TETHER_S3_* or AWS_*), the rest downloaded through the server.",
        ),
    ] = False,
    local: Annotated[
        Path | None,
        typer.Option("--local", help="Re-hash copies in this directory (by artifact name)."),
    ] = None,
    rerun: Annotated[
        str | None,
        typer.Option(
            "--rerun",
            help="Re-run this command; {out} (or $TETHER_OUT) is a fresh directory for its outputs.",
        ),
    ] = None,
    cwd: Annotated[
        Path | None, typer.Option("--cwd", help="Run the --rerun command in this directory.")
    ] = None,
    record: Annotated[
        bool, typer.Option("--record/--no-record", help="Record the verification tx.")
    ] = True,
    passphrase_file: PassphraseFileOption = None,
    config: ConfigOption = None,
    json_output: JsonOption = False,
) -> None:
    """Recompute a version's digests and record the verification (exit 1 on a mismatch).

    With --rerun the registered files are also re-hashed from the store, and the re-run's outputs are compared with them by name.

    Example: tether verify Org1/digits/v1 --rerun "python examples/digits/train.py --out {out}"
    """
    chosen = [from_store, local is not None, rerun is not None]
    if sum(chosen) != 1:
        raise fail("choose exactly one of --from-store, --local DIR, --rerun COMMAND")
    project, name = ref_of(version)
    with open_client(config, passphrase_file) as client:
        manifest = call(lambda: client.manifest(project, name))
        if not manifest:
            raise fail(f"{version} registered no artifacts", code=3)
        # A re-run is hashed twice: what it made, and the store's copies.
        total = sum(int(a.get("size", 0)) for a in manifest) * (2 if rerun is not None else 1)
        reproduction: VerificationReport | None = None
        with ByteProgress("re-hashing", total=total, delay=0.5) as progress:
            if local is not None:
                method, report = "local", call(lambda: verify_local(manifest, local, progress))
            else:
                if rerun is not None:
                    err_console.print(f"re-running: {rerun}", highlight=False)
                    made = call(lambda: verify_rerun(manifest, rerun, cwd=cwd, progress=progress))
                    reproduction = made.report
                method = "rerun" if rerun is not None else "store"
                report = call(
                    lambda: verify_from_store(
                        client.http,
                        manifest,
                        progress,
                        buckets=client.buckets,
                        version=f"{project}/{name}",
                    )
                )
        answer: dict[str, Any] | None = None
        if record:
            answer = call(
                lambda: client.record_verification(
                    project, name, report, method=method, reproduction=reproduction
                )
            )
    ok = report.ok and (reproduction is None or reproduction.ok)
    found = {
        "version": version,
        "ok": ok,
        "method": method,
        "report": report.to_json(),
        "reproduction": None if reproduction is None else reproduction.to_json(),
        "tx": answer,
    }
    show(found, json_output, lambda _: _render(version, report, reproduction, answer, ok))
    if not ok:
        raise typer.Exit(EXIT_DIFFERENCE)


def _render(
    version: str,
    report: VerificationReport,
    reproduction: VerificationReport | None,
    answer: dict[str, Any] | None,
    ok: bool,
) -> None:
    table = Table("source", "artifact", "registered", "recomputed", "")
    for label, checked in (("store/dir", report), ("re-run", reproduction)):
        if checked is None:
            continue
        for check in checked.artifacts:
            table.add_row(
                label,
                check.name,
                check.registered_sha256[:16],
                (check.recomputed_sha256 or "-")[:16],
                "[green]match[/]" if check.equal else f"[red]{check.reason or 'MISMATCH'}[/]",
            )
    console.print(table)
    verdict = "[green]digests match[/]" if ok else "[red]digests differ[/]"
    console.print(f"{version}: {verdict}")
    if answer is not None:
        result = answer.get("result") or {}
        moved = result.get("transition")
        console.print(
            f"recorded by tx {answer['tx_id']}"
            + (f"; version moved to {moved.get('to', moved)}" if isinstance(moved, dict) else "")
        )
