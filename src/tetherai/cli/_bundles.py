"""Where the ``tether audit`` commands get a bundle, and what its verification means.

A bundle comes from a file, or from the server the CLI is logged in to when the argument is
a reference ``ORG/PROJECT`` or ``ORG/PROJECT/VERSION`` (the refs every client command takes),
or, on a node with ``--home``, straight from its ledger. Every command that takes a bundle
(export, verify, report, interop) reads it through :func:`load_bundle`, so they all accept
the same arguments.

A verification is *pinned* when ``--trust`` gave the checkpoint keys and CA roots to check
against; without it the bundle is checked against the keys and roots it carries itself,
which proves it is consistent, not that it is the ledger you meant. The outcome says which:
``VERIFIED``, ``VERIFIED-UNPINNED`` (exit 4) or ``VERIFICATION FAILED`` (exit 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from tetherai.auditverify import Trust, Verdict, verify_bundle
from tetherai.cli._common import (
    EXIT_DIFFERENCE,
    EXIT_OK,
    EXIT_UNPINNED,
    EXIT_USAGE,
    print_error,
    resolve_home,
    run,
)

__all__ = ["Outcome", "export_from_home", "load_bundle", "read_text", "verify"]

_UNPINNED = (
    "VERDICT: VERIFIED-UNPINNED: every signature, proof and status change holds against the "
    "keys and CA roots the bundle itself declares; nothing pinned them to the ledger you trust."
)
_PIN_HINT = (
    "pin them: --trust trust.txt, a file an operator of the ledger gives you "
    "('tether audit trust' on a node)"
)


def read_text(path: Path | None, what: str) -> str | None:
    """A small text file the caller gave (a checkpoint, a trust file); a clear error if not."""
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "it is not UTF-8 text"
        print_error(f"cannot read {what} {path}: {reason}", code="cli.bad_input")
        raise typer.Exit(EXIT_USAGE) from None


def export_from_home(ref: str, home: Path | None, since: str | None) -> bytes:
    """The bundle of ``ref`` read from the ledger of a node's home (no server, no login)."""
    from tetherai.client.refs import parse_ref
    from tetherai.services.audit_bundle import AuditError, BundleRequest, export_bundle
    from tetherai.services.home import NetworkHome
    from tetherai.services.network import open_ledger

    project, version = run(lambda: parse_ref(ref))

    def call() -> bytes:
        store, channel = open_ledger(NetworkHome(resolve_home(home)))
        try:
            return export_bundle(store, channel, BundleRequest(project, version, since))
        except AuditError as error:  # a wrong name or checkpoint: the caller's input
            print_error(error.message, hint=error.hint, code=error.code, details=error.details)
            raise typer.Exit(EXIT_USAGE) from None
        finally:
            store.close()

    return run(call)


def load_bundle(
    source: str,
    *,
    since: str | None = None,
    config: Path | None = None,
    home: Path | None = None,
) -> bytes:
    """The bundle ``source`` names: a file, or a reference fetched from the server the CLI is
    logged in to (from the ledger of ``home`` when given)."""
    if home is not None:
        return export_from_home(source, home, since)
    if Path(source).exists():
        try:
            return Path(source).read_bytes()
        except OSError as error:
            print_error(f"cannot read the bundle {source}: {error.strerror}", code="cli.bad_input")
            raise typer.Exit(EXIT_USAGE) from None
    from tetherai.cli._client import call, open_client
    from tetherai.client.errors import ClientError
    from tetherai.client.refs import parse_ref

    try:
        parse_ref(source)
    except ClientError:
        print_error(
            f"there is no file {source}, and it is not a project or version reference",
            hint="give a file written by 'tether audit export', or ORG/PROJECT/VERSION "
            "(ORG/PROJECT for a project)",
            code="cli.bad_input",
        )
        raise typer.Exit(EXIT_USAGE) from None
    client = open_client(config)
    try:
        return call(lambda: client.audit_bundle(source, since=since))
    finally:
        client.close()


@dataclass(frozen=True)
class Outcome:
    """A verification and what it means for the caller: verified and pinned, verified only
    against the bundle's own roots, or failed."""

    verdict: Verdict
    pinned: bool

    @property
    def label(self) -> str:
        if not self.verdict.ok:
            return "VERIFICATION FAILED"
        return "VERIFIED" if self.pinned else "VERIFIED-UNPINNED"

    @property
    def exit_code(self) -> int:
        if not self.verdict.ok:
            return EXIT_DIFFERENCE
        return EXIT_OK if self.pinned else EXIT_UNPINNED

    def text(self) -> str:
        text = self.verdict.text()
        if self.verdict.ok and not self.pinned:
            lines = text.splitlines()
            lines[-1] = _UNPINNED
            lines.append(f"hint: {_PIN_HINT}")
            text = "\n".join(lines) + "\n"
        return text

    def to_json(self) -> dict[str, Any]:
        return self.verdict.to_json() | {"verdict": self.label, "pinned": self.pinned}


def verify(data: bytes, trust: Path | None, since: str | None) -> Outcome:
    """Verify a bundle's bytes, pinned to the trust file when one is given."""
    trust_text = read_text(trust, "the trust file")
    try:
        pinned = None if trust_text is None else Trust.from_text(trust_text)
    except ValueError as error:
        print_error(str(error), code="cli.bad_input")
        raise typer.Exit(EXIT_USAGE) from None
    return Outcome(verify_bundle(data, trust=pinned, since=since), pinned is not None)
