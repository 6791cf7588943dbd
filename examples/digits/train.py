"""The AI engineer's training script: a handwritten-digit classifier, deterministic to the byte.

    python examples/digits/train.py --out OUT                 # train; write the files to OUT
    python examples/digits/train.py --out OUT --register Org1/digits/v1 --submit

The digits data set ships inside scikit-learn (no download). Everything is seeded and the
model is written as canonical JSON of its coefficients (not a pickle, whose bytes depend on
the library's object layout), so running it again gives the same bytes: an MLOps engineer
re-runs it with ``tether verify Org1/digits/v1 --rerun "python examples/digits/train.py
--out {out}"`` and the digests must match. ``--alter-row N`` changes one pixel of training
row N: the files then differ from what the code makes, and the verification says so.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

SEED = 7
FILES = ("train.csv", "test.csv", "model.json", "train.log")


def _rows(features: object, labels: object) -> str:
    lines = ["label," + ",".join(f"p{i}" for i in range(64))]
    for row, label in zip(features, labels, strict=True):  # type: ignore[call-overload]
        lines.append(f"{int(label)}," + ",".join(str(int(v)) for v in row))
    return "\n".join(lines) + "\n"


def train(out: Path, alter_row: int | None = None) -> dict[str, float]:
    """Split, train and write train.csv, test.csv, model.json and train.log to ``out``."""
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from threadpoolctl import threadpool_limits

    digits = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(
        digits.data, digits.target, test_size=0.25, random_state=SEED, stratify=digits.target
    )
    if alter_row is not None:
        x_train = x_train.copy()
        x_train[alter_row, 0] = (x_train[alter_row, 0] + 1) % 17
    out.mkdir(parents=True, exist_ok=True)
    (out / "train.csv").write_text(_rows(x_train, y_train), encoding="utf-8")
    (out / "test.csv").write_text(_rows(x_test, y_test), encoding="utf-8")
    # One BLAS thread: the same sums in the same order on every run.
    with threadpool_limits(limits=1):
        model = LogisticRegression(C=0.05, max_iter=2000, random_state=SEED)
        model.fit(x_train / 16.0, y_train)
        train_accuracy = float(model.score(x_train / 16.0, y_train))
        test_accuracy = float(model.score(x_test / 16.0, y_test))
    document = {
        "format": "tetherai-example/logistic-regression/1",
        "classes": [int(c) for c in model.classes_],
        "coef": [[float(v) for v in row] for row in np.asarray(model.coef_)],
        "intercept": [float(v) for v in np.asarray(model.intercept_)],
        "scale": 16.0,
    }
    # Sorted keys, fixed separators and repr-exact floats: the same model, the same bytes.
    (out / "model.json").write_text(
        json.dumps(document, sort_keys=True, separators=(",", ":")) + "\n", encoding="utf-8"
    )
    log = [
        f"seed {SEED}",
        f"train rows {len(y_train)}, test rows {len(y_test)}",
        f"iterations {int(np.asarray(model.n_iter_).max())}",
        f"train_accuracy {train_accuracy:.6f}",
        f"test_accuracy {test_accuracy:.6f}",
    ]
    (out / "train.log").write_text("\n".join(log) + "\n", encoding="utf-8")
    return {"train_accuracy": train_accuracy, "test_accuracy": test_accuracy}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="where to write the files")
    parser.add_argument("--alter-row", type=int, default=None, help="change training row N")
    parser.add_argument("--register", metavar="ORG/PROJECT/VERSION", help="register via the SDK")
    parser.add_argument("--submit", action="store_true", help="submit it for review too")
    parser.add_argument("--code-repo", default="https://git.example/tetherai/examples")
    parser.add_argument("--commit", default="digits-example-1")
    args = parser.parse_args()
    if args.register is None:
        metrics = train(args.out, args.alter_row)
        print(json.dumps(metrics, sort_keys=True))
        return

    import tetherai
    from tetherai.client import parse_version

    project, version = parse_version(args.register)
    client = tetherai.Client.from_config()  # $TETHER_CONFIG, key unlocked by $TETHER_PASSPHRASE
    with (
        client,
        client.run(
            project,
            version,
            code_repo=args.code_repo,
            commit=args.commit,
            submit=args.submit,
            comment="digits classifier: logistic regression, seed 7",
        ) as run,
    ):
        run.log_params({"model": "LogisticRegression", "C": 0.05, "seed": SEED, "test_size": 0.25})
        for name, value in train(args.out, args.alter_row).items():
            run.log_metric(name, value)
        for kind, name in zip(
            ("train_dataset", "test_dataset", "model", "log"), FILES, strict=True
        ):
            run.add_artifact(kind, args.out / name)
    assert run.result is not None
    print(json.dumps({"version": args.register, "tx_id": run.result["tx_id"]}, sort_keys=True))


if __name__ == "__main__":
    main()
