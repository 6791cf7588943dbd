"""``tether objects``: the server's object store, on the node (where the network home is).

``repair`` puts back a stored object whose bytes no longer match its address (the server
refuses to serve or overwrite it: ``storage.corrupted``) from a good copy of the file; the
damaged copy is moved aside, never deleted, so it can be examined.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from tetherai.cli._common import (
    EXIT_USAGE,
    HomeOption,
    JsonOption,
    console,
    print_error,
    print_json,
    resolve_home,
    run,
)

app = typer.Typer(
    help="The server's object store, on the node: repair a damaged object.\n\n"
    "Example: tether objects repair model.bin --home ~/.tetherai",
    no_args_is_help=True,
)


@app.command()
def repair(
    file: Annotated[Path, typer.Argument(help="A good copy of the object's bytes.")],
    sha256: Annotated[
        str | None,
        typer.Option(
            "--sha256",
            help="The object to repair (default: the file's own SHA-256, its address).",
        ),
    ] = None,
    home: HomeOption = None,
    json_output: JsonOption = False,
) -> None:
    """Put a good copy back in place of a damaged stored object, keeping the damaged copy.

    The file must hash to the object's address: anything else is refused and nothing
    changes. The store is the server's (TETHER_OBJECTS, TETHER_S3_*, else <home>/objects).

    Example: tether objects repair model.bin --home ~/.tetherai
    """
    from tetherai.services.artifacts import StorageSettings, repair_object
    from tetherai.storage import BadInput, Repair

    settings = StorageSettings.from_env(os.environ, home=resolve_home(home))
    try:
        source = file.open("rb")
    except OSError as error:
        print_error(f"cannot read {file}: {error.strerror}", code="cli.bad_input")
        raise typer.Exit(EXIT_USAGE) from None
    with source:
        if sha256 is None:
            from tetherai.crypto.digest import hash_stream

            sha256 = hash_stream(source).sha256
            source.seek(0)
        wanted = sha256.strip().lower()

        def put_back() -> Repair:
            try:
                return repair_object(settings, wanted, source)
            except BadInput as error:  # the wrong file, or a malformed digest: the caller's
                print_error(error.message, hint=error.hint, code=error.code)
                raise typer.Exit(EXIT_USAGE) from None

        done = run(put_back)
    answer = {
        "object": done.stored.uri,
        "sha256": done.stored.sha256,
        "size": done.stored.size,
        "replaced": done.replaced,
        "damaged_copy_kept_at": done.kept,
    }
    if json_output:
        print_json(answer)
    elif not done.replaced:
        console.print(f"object {done.stored.uri} is intact: nothing to repair", highlight=False)
    else:
        console.print(f"[green]repaired[/] object {done.stored.uri}", highlight=False)
        if done.kept:
            console.print(f"  the damaged copy is kept at {done.kept}", highlight=False)
