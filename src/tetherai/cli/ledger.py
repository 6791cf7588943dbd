"""``tether ledger``: inspect, prove and verify a channel's ledger (read-only, no keys)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from tetherai.cli._common import (
    EXIT_DIFFERENCE,
    EXIT_USAGE,
    HomeOption,
    JsonOption,
    console,
    err_console,
    print_error,
    print_json,
    resolve_home,
    run,
)
from tetherai.crypto.jcs import JSONValue
from tetherai.ledger.sqlite_store import SqliteLedgerStore
from tetherai.ledger.tlog_proof import format_tlog_proof
from tetherai.ledger.verifier import VerificationReport
from tetherai.services import ledger_info
from tetherai.services.home import NetworkHome
from tetherai.services.network import open_ledger

T = TypeVar("T")

app = typer.Typer(
    help="Inspect, prove and verify the ledger.\n\nExample: tether ledger verify --home ~/.tetherai",
    no_args_is_help=True,
)

ChannelOption = Annotated[
    str | None, typer.Option("--channel", help="Channel (default: the home's).")
]


def _read(home: Path | None, channel: str | None, view: Callable[[SqliteLedgerStore, str], T]) -> T:
    """Open the ledger read-only, apply ``view`` to it, close it; errors become exit codes."""

    def call() -> T:
        store, name = open_ledger(NetworkHome(resolve_home(home)), channel)
        try:
            return view(store, name)
        finally:
            store.close()

    return run(call)


def _time(ms: object) -> str:
    if not isinstance(ms, int):
        return "-"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + "Z"


@app.command()
def show(
    home: HomeOption = None, channel: ChannelOption = None, json_output: JsonOption = False
) -> None:
    """Summary of the ledger: height, txs, Merkle root, state root, latest checkpoint.

    Example: tether ledger show --home ~/.tetherai --json
    """

    info = _read(home, channel, ledger_info.ledger_summary)
    if json_output:
        print_json(info)
        return
    table = Table(show_header=False, box=None)
    checkpoint = info["latest_checkpoint"]
    rows = [
        ("channel", info["channel"]),
        ("blocks", info["blocks"]),
        ("txs", info["txs"]),
        ("tree size", info["tree_size"]),
        ("log root", info["root"]),
        ("state root", info["state_root"]),
        ("head block hash", info["head_hash"]),
        ("last block time", _time(info["last_block_ts"])),
        ("genesis hash", info["genesis_hash"]),
        ("ledger format", info["ledger_format"]),
        (
            "latest checkpoint",
            "-"
            if not isinstance(checkpoint, dict)
            else f"block {checkpoint['block']}, size {checkpoint['size']}",
        ),
    ]
    for name, value in rows:
        table.add_row(f"[bold]{name}[/]", str(value))
    console.print(table)


@app.command()
def blocks(
    home: HomeOption = None,
    channel: ChannelOption = None,
    start: Annotated[
        int | None, typer.Option("--from", min=0, help="First block (default: the last page).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many blocks.")] = 20,
    json_output: JsonOption = False,
) -> None:
    """List blocks: number, time, txs (valid/invalid), hash.

    Example: tether ledger blocks --from 0 --limit 50
    """

    def listing(store: SqliteLedgerStore, _: str) -> list[dict[str, JSONValue]]:
        first = start if start is not None else max(0, store.height - limit)
        return ledger_info.block_summaries(store, first, limit)

    rows = _read(home, channel, listing)
    if json_output:
        print_json(rows)
        return
    table = Table("block", "time (UTC)", "txs", "invalid", "tree size", "hash")
    for row in rows:
        table.add_row(
            str(row["number"]),
            _time(row["ts"]),
            str(row["txs"]),
            str(row["invalid"]),
            str(row["log_size"]),
            str(row["hash"])[:16] + "…",
        )
    console.print(table)


@app.command()
def tx(
    tx_id: Annotated[
        str, typer.Argument(help="The tx id, or a unique start of it (8 or more hex digits).")
    ],
    home: HomeOption = None,
    channel: ChannelOption = None,
    json_output: JsonOption = False,
) -> None:
    """Show one tx: who, what, where in the ledger, valid or why not, and what it wrote.

    Example: tether ledger tx TX_ID --json
    """

    info = _read(
        home,
        channel,
        lambda store, _: ledger_info.tx_detail(store, ledger_info.resolve_tx_id(store, tx_id)),
    )
    if json_output:
        print_json(info)
        return
    body = info["tx"]
    assert isinstance(body, dict)
    creator = body["creator"]
    status = (
        "[green]valid[/]"
        if info["valid"]
        else f"[red]invalid[/] ({info['code']}: {info['message']})"
    )
    console.print(f"[bold]tx[/] {info['tx_id']}")
    console.print(
        f"  block {info['block']} #{info['index']} (seq {info['seq']}), {_time(info['block_ts'])}"
    )
    assert isinstance(creator, dict)
    console.print(
        f"  {creator['id']}@{creator['org']} called {body['contract']}.{body['fn']}: {status}"
    )
    writes = info["writes"]
    assert isinstance(writes, list)
    for write in writes:
        assert isinstance(write, dict)
        console.print(
            f"  {'deleted' if write['deleted'] else 'wrote'} {write['key']}", highlight=False
        )


@app.command()
def proof(
    tx_id: Annotated[
        str, typer.Argument(help="The tx id to prove, or a unique start of it (8+ hex digits).")
    ],
    home: HomeOption = None,
    channel: ChannelOption = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the proof to a file.")
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Print an offline-verifiable inclusion proof (C2SP tlog-proof) against the latest checkpoint.

    Example: tether ledger proof TX_ID --output tx.tlog-proof
    """

    tx_id = _read(home, channel, lambda store, _: ledger_info.resolve_tx_id(store, tx_id))
    tlog = _read(home, channel, lambda store, _: ledger_info.tx_proof(store, tx_id))
    text = format_tlog_proof(tlog)
    if json_output:
        print_json(
            {
                "tx_id": tx_id,
                "index": tlog.index,
                "proof": [node.hex() for node in tlog.hashes],
                "checkpoint": tlog.checkpoint_note,
                "tlog_proof": text,
            }
        )
    elif output is not None:
        output.write_text(text)
        err_console.print(f"wrote {output}")
    else:
        typer.echo(text, nl=False)


def _read_note(path: Path) -> str:
    try:
        return path.read_text()
    except OSError as error:
        print_error(f"cannot read {path}: {error.strerror}", code="cli.bad_input")
        raise typer.Exit(EXIT_USAGE) from None


@app.command()
def verify(
    home: HomeOption = None,
    channel: ChannelOption = None,
    checkpoint: Annotated[
        list[Path] | None,
        typer.Option(
            "--checkpoint", help="A signed checkpoint you kept; the ledger must contain it."
        ),
    ] = None,
    from_checkpoint: Annotated[
        Path | None,
        typer.Option(
            "--from-checkpoint",
            help="Verify only what came after this checkpoint (one a previous verify saved).",
        ),
    ] = None,
    save_checkpoint: Annotated[
        Path | None,
        typer.Option(
            "--save-checkpoint",
            help="When the ledger verifies, write its newest checkpoint here (for next time).",
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Replay the ledger; exit 0 when intact, 1 naming the first difference.

    Example: tether ledger verify --checkpoint kept-checkpoint.txt

    Example (then only new blocks): tether ledger verify --save-checkpoint verified.txt;
    later tether ledger verify --from-checkpoint verified.txt --save-checkpoint verified.txt
    """
    notes = [_read_note(path) for path in checkpoint or []]
    resume_from = None if from_checkpoint is None else _read_note(from_checkpoint)

    def replay(store: SqliteLedgerStore, name: str) -> VerificationReport:
        if json_output or not console.is_terminal:
            return ledger_info.verify(
                store, name, trusted_checkpoints=notes, resume_from=resume_from
            )
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
        ) as bar:
            task = bar.add_task("verifying blocks", total=store.height)
            return ledger_info.verify(
                store,
                name,
                trusted_checkpoints=notes,
                resume_from=resume_from,
                progress=lambda done, total: bar.update(task, completed=done),
            )

    report = _read(home, channel, replay)
    if save_checkpoint is not None and report.ok and report.last_checkpoint is not None:
        try:
            save_checkpoint.write_text(report.last_checkpoint)
        except OSError as error:
            print_error(f"cannot write {save_checkpoint}: {error.strerror}", code="cli.bad_input")
            raise typer.Exit(EXIT_USAGE) from None
    if json_output:
        print_json(report.to_json())
    elif report.problem is None:
        rate = report.txs / report.seconds if report.seconds else 0
        since = "" if resume_from is None else " after the checkpoint"
        console.print(
            f"[bold green]OK[/] ledger verified{since}: {report.blocks} blocks, {report.txs} txs "
            f"({report.valid_txs} valid), tree size {report.tree_size}, {report.checkpoints} checkpoints"
        )
        console.print(f"   root {report.root}\n   state root {report.state_root}")
        console.print(f"   {report.seconds:.2f} s, {rate:,.0f} tx/s")
    else:
        problem = report.problem
        err_console.print(f"[bold red]FAILED[/] {problem.message}", highlight=False)
        for label, value in (
            ("expected", problem.expected),
            ("found", problem.found),
            ("tx", problem.tx_id),
        ):
            if value is not None:
                err_console.print(f"   {label}: {value}", highlight=False)
        err_console.print(f"   ({problem.code}; checked {report.blocks} blocks before it)")
    if not report.ok:
        raise typer.Exit(EXIT_DIFFERENCE)
