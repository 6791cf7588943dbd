"""Canonical JSON benchmark: tetherai's RFC 8785 serialization next to the ``rfc8785``
package, on every shape of tx the ledger sees, in the same run.

For each shape (a notary tx; a version registration whose metrics are floats such as 0.97; one
whose floats are integral, 1.0, or in exponent form, 1e21 and 1e-7; non-ASCII text and keys),
the CPU µs of ``canonicalize`` and of ``rfc8785.dumps`` on the same value, and of reading the
bytes back with ``loads_canonical`` (which checks they are canonical). ``jcs_vs_rfc8785_<shape>``
is rfc8785's time over ours (≥ 1: ours is at least as fast).

    .venv/bin/python benchmarks/jcs.py [--runs 3]

Prints a table (min / median / max over the runs), then one figure per line.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import rfc8785
from _harness import Figures, add_run_options

from tetherai.crypto.jcs import canonicalize, loads_canonical


def tx(args: dict[str, object]) -> dict[str, object]:
    return {
        "v": 1,
        "channel": "main",
        "contract": "model_version",
        "fn": "create",
        "args": args,
        "creator": {"org": "Org1", "id": "alice", "cert_sha256": "ab" * 32},
        "nonce": "0f" * 16,
        "ts": 1_790_000_000_000,
    }


def registration(metrics: dict[str, object]) -> dict[str, object]:
    return tx(
        {
            "project": "Org1/credit",
            "version": "v7",
            "code_repo": "https://git.example/credit",
            "commit": "c" * 40,
            "artifacts": [
                {"kind": k, "name": k, "uri": f"s3://b/{k}", "size": 1000, "sha256": "1" * 64}
                for k in ("model", "train_dataset", "test_dataset")
            ],
            "experiments": [{"name": "final", "metrics": metrics, "series": {"loss": [0.9, 0.5]}}],
        }
    )


SHAPES: dict[str, object] = {
    "notary": tx({"name": "doc/1", "sha256": "a" * 64}),
    "floats": registration({"accuracy": 0.97, "auc": 0.912, "gap": 0.013}),
    "integral_floats": registration({"accuracy": 1.0, "epochs": 30.0, "gap": 0.0}),
    "exponent_floats": registration({"lr": 1e-07, "big": 1e21, "tiny": 5e-324}),
    "unicode": tx({"name": "模型/报告", "note": "ünïcødé ✓", "日本": "キー"}),
}


def cpu_us(function: Callable[[], object], seconds: float = 0.3) -> float:
    count, start = 0, time.process_time()
    while (spent := time.process_time() - start) < seconds:
        for _ in range(50):
            function()
        count += 50
    return spent / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_run_options(parser)
    args = parser.parse_args()
    figures = Figures("RFC 8785: tetherai vs the rfc8785 package (CPU µs per call)")
    for _ in range(args.runs):
        for name, value in SHAPES.items():
            data = rfc8785.dumps(value)  # type: ignore[arg-type]
            assert canonicalize(value) == data
            ours = cpu_us(lambda v=value: canonicalize(v))
            theirs = cpu_us(lambda v=value: rfc8785.dumps(v))  # type: ignore[misc]
            read = cpu_us(lambda d=data: loads_canonical(d))
            figures.add(f"jcs_us_{name}", ours, "µs CPU", note="canonicalize")
            figures.add(f"rfc8785_us_{name}", theirs, "µs CPU", note="rfc8785.dumps")
            figures.add(f"loads_canonical_us_{name}", read, "µs CPU", note="parse + check")
            figures.add(f"jcs_vs_rfc8785_{name}", theirs / ours, "x", note="≥ 1: ours faster")
    figures.print()


if __name__ == "__main__":
    main()
