"""Paired bootstrap of the test-auROC difference between two checkpoints on one table's test split.

A "test auROC at least the other model's" target compares two numbers measured on a few hundred test
sequences; this says whether the test set can tell them apart. Both models predict the same test rows
(``split == "test"``); the rows are resampled with replacement ``--n-boot`` times (seeded), and the
difference A - B of the mean per-target auROC is recomputed on each resample.

    OMP_NUM_THREADS=1 python benchmarks/auroc_difference.py TABLE.tsv.gz A.ckpt B.ckpt [--n-boot 1000]

Prints the two auROCs, the difference, its 95 % percentile interval and the fraction of resamples in
which A >= B.

A or B may list several checkpoints, comma-separated (one model trained with several seeds on the same split):
the difference is then between the two means over seeds, each resample recomputing every checkpoint's auROC, so
that the interval is that of the test set for the seed-averaged difference (the training seeds are taken as
given, not resampled). Each checkpoint's own auROC is printed too.

Several splits: give the arguments as triples, ``TABLE1 A1 B1 TABLE2 A2 B2 ...`` (one table per split, e.g. from
``syntax_real.py --seed S``, with the two models trained on it). Each triple is printed as above, then the mean over
the splits of the difference, each split's test rows resampled on their own (the splits' test sets are taken as
independent samples of the task), with its 95 % interval.
"""
from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
import torch

import motifzoo
from motifzoo.data.tables import read_onehot
from motifzoo.interpret.metrics import auroc
from motifzoo.interpret.syntax import predict_outputs


def mean_auroc(y: np.ndarray, pred: np.ndarray) -> float:
    """Mean over targets of the auROC; (N, T), (N, T) -> float."""
    return float(np.mean([auroc(y[:, t], pred[:, t]) for t in range(y.shape[1])]))


def seed_mean_auroc(y: np.ndarray, preds: list[np.ndarray]) -> float:
    """Mean over checkpoints (training seeds) of :func:`mean_auroc`; (N, T), [(N, T), ...] -> float."""
    return float(np.mean([mean_auroc(y, p) for p in preds]))


def paired_bootstrap(y: np.ndarray, a, b, n_boot: int, seed: int = 0) -> np.ndarray:
    """Differences mean_auroc(a) - mean_auroc(b) over row resamples in which every target has both classes.

    ``a`` and ``b`` are (N, T) predictions, or lists of them (one per training seed: their mean auROC is used)."""
    a, b = ([p] if isinstance(p, np.ndarray) else list(p) for p in (a, b))
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_boot):
        rows = rng.integers(0, len(y), len(y))
        yb = y[rows]
        if (yb.min(axis=0) == yb.max(axis=0)).any():
            continue
        out.append(seed_mean_auroc(yb, [p[rows] for p in a]) - seed_mean_auroc(yb, [p[rows] for p in b]))
    return np.asarray(out)


def test_split(table: str) -> tuple[np.ndarray, torch.Tensor]:
    """Targets (N, T) and one-hot sequences (N, 4, L) of a table's test rows."""
    frame = pd.read_csv(table, sep="\t")
    if "split" not in frame.columns or not (frame["split"] == "test").any():
        raise SystemExit(f"{table}: needs a split column with test rows")
    test = (frame["split"] == "test").to_numpy()
    targets = [c for c in frame.columns if c not in ("sequence", "split", "name", "id")]
    return frame.loc[test, targets].to_numpy(), read_onehot(table)[torch.as_tensor(test.copy())]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", metavar="TABLE A B",
                    help="a TSV(.gz) with sequence, target columns and a split column, then checkpoint A and "
                         "checkpoint B (each may list several, comma-separated: their mean over seeds); repeat the "
                         "triple for several splits")
    ap.add_argument("--n-boot", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if len(args.runs) % 3:
        ap.error(f"expected TABLE A B triples, got {len(args.runs)} arguments")
    torch.set_num_threads(1)
    per_split = []
    for i in range(0, len(args.runs), 3):
        table, arg_a, arg_b = args.runs[i:i + 3]
        y, x = test_split(table)
        a, b = ([predict_outputs(motifzoo.load(ckpt), x, batch_size=512) for ckpt in arg.split(",") if ckpt]
                for arg in (arg_a, arg_b))
        diffs = paired_bootstrap(y, a, b, args.n_boot, args.seed + i // 3)  # each split its own resamples
        low, high = np.percentile(diffs, [2.5, 97.5])
        auroc_a, auroc_b = seed_mean_auroc(y, a), seed_mean_auroc(y, b)
        if len(a) > 1 or len(b) > 1:
            for name, preds in (("A", a), ("B", b)):
                print(f"{name}: " + " / ".join(f"{mean_auroc(y, p):.4f}" for p in preds) + f" ({len(preds)} checkpoints)")
        print(f"{table}: {len(y)} test rows; auROC A {auroc_a:.4f}, B {auroc_b:.4f}; "
              f"A - B {auroc_a - auroc_b:+.4f} (95 % CI {low:+.4f} .. {high:+.4f}, "
              f"A >= B in {np.mean(diffs >= 0):.2f} of {len(diffs)} resamples)")
        per_split.append((auroc_a - auroc_b, diffs))
    if len(per_split) > 1:
        n = min(len(d) for _, d in per_split)  # resamples where every target has both classes, per split
        mean = np.mean([d[:n] for _, d in per_split], axis=0)
        low, high = np.percentile(mean, [2.5, 97.5])
        print(f"mean over {len(per_split)} splits: A - B {np.mean([d for d, _ in per_split]):+.4f} "
              f"(95 % CI {low:+.4f} .. {high:+.4f}, A >= B in {np.mean(mean >= 0):.2f} of {n} resamples)")


if __name__ == "__main__":
    main()
