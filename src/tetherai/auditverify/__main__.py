"""``python -m auditverify BUNDLE [--trust ROOTS] [--since CHECKPOINT] [--json]``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .trust import Trust
from .verify import verify_bundle

OK, FAILED, USAGE = 0, 1, 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="auditverify", description="Verify a tetherai audit bundle offline."
    )
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--trust", type=Path, help="vkeys and CA root PEMs to pin")
    parser.add_argument("--since", type=Path, help="a checkpoint note you already hold")
    parser.add_argument("--json", action="store_true", help="print the verdict as JSON")
    parser.add_argument(
        "--keep-checkpoint", type=Path, help="once verified, save its checkpoint for --since"
    )
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return USAGE if exit_.code else OK
    try:
        data = args.bundle.read_bytes()
        trust = Trust.from_text(args.trust.read_text()) if args.trust else None
        since = args.since.read_text() if args.since else None
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return USAGE
    verdict = verify_bundle(data, trust=trust, since=since)
    print(
        json.dumps(verdict.to_json(), indent=2) if args.json else verdict.text(),
        end="" if not args.json else "\n",
    )
    if verdict.ok and args.keep_checkpoint is not None:
        args.keep_checkpoint.write_text(verdict.note)
    return OK if verdict.ok else FAILED


if __name__ == "__main__":
    sys.exit(main())
