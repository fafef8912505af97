"""Syntax rules on real ChIP-seq peaks vs dinucleotide shuffles of the same peaks (an honest look, no target).

For each FASTA of peaks (e.g. ``../shared/data/oct4_peaks.fa.gz``): every peak (upper-cased) is a
positive, a dinucleotide shuffle of it a negative (same composition, so GC content cannot separate
the classes); random 80/10/10 split. A model is trained through :func:`motifzoo.fit` and its
significant rules are read with :func:`syntax_rules` (as ``motifzoo syntax --data`` does, on all
sequences).

    OMP_NUM_THREADS=1 python benchmarks/syntax_real.py ../shared/data/oct4_peaks.fa.gz ../shared/data/mafk_peaks.fa.gz \\
        --out benchmarks/out/syntax_real [--model expcnn_shallow] [--epochs 10]

Prints the motifs (JASPAR names) and the significant rules per peak set; writes results.json in --out.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

import motifzoo
from motifzoo.data.encoding import encode
from motifzoo.data.shuffle import dinucleotide_shuffle
from motifzoo.data.tables import random_split, read_fasta, read_onehot
from motifzoo.interpret.syntax import describe_rule, syntax_rules

CONFIGS = {"expcnn_shallow": "configs/expcnn.yaml", "argminn_pairwise": "configs/argminn_pairwise.yaml"}


def peaks_vs_shuffles(fasta: Path, table: Path, seed: int = 0) -> int:
    """Write a table of peaks (1) and their dinucleotide shuffles (0); returns the number of peaks."""
    _, seqs = read_fasta(fasta)
    seqs = [s.upper() for s in seqs]
    shuffled = dinucleotide_shuffle(encode(seqs), seed)
    back = ["".join("ACGTN"[c] for c in row) for row in shuffled]
    frame = pd.DataFrame({"sequence": seqs + back, "bound": [1] * len(seqs) + [0] * len(back)})
    frame["split"] = random_split(len(frame), 0.1, 0.1, seed)
    frame.to_csv(table, sep="\t", index=False)
    return len(seqs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("fasta", nargs="+")
    ap.add_argument("--out", default="benchmarks/out/syntax_real")
    ap.add_argument("--model", default="expcnn_shallow", choices=sorted(CONFIGS))
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)
    results = []
    for fasta in map(Path, args.fasta):
        name = fasta.name.split(".")[0]
        table = out / f"{name}.tsv.gz"
        n = peaks_vs_shuffles(fasta, table, args.seed)
        t0 = time.time()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            fit = motifzoo.fit(CONFIGS[args.model], args=[
                "--data.path", str(table), "--trainer.default_root_dir", str(out / f"runs_{name}_{args.model}"),
                "--trainer.max_epochs", str(args.epochs), "--seed_everything", str(args.seed),
                "--trainer.enable_model_summary", "false"])
        train_s = time.time() - t0
        model = motifzoo.load(fit.best_checkpoint).eval()
        metrics = pd.read_csv(Path(fit.best_checkpoint).parents[1] / "metrics.csv")
        best_val = float(metrics["val/score"].max()) if "val/score" in metrics else float("nan")
        x = read_onehot(table)
        res = syntax_rules(model, x, all_rules=True)
        rules = res["rules"]
        sig = rules[rules["q"] < 0.05]
        groups = res["groups"][res["geometry"]["status"] == "kept"].drop_duplicates("motif")
        motifs = [f"{m} ({nm or 'unnamed'})" for m, nm in zip(groups["motif"], groups["motif_name"])]
        row = {"peaks": name, "n_peaks": n, "model": args.model, "epochs": args.epochs, "train_s": round(train_s, 1),
               "best_val_auroc": round(best_val, 3), "motifs": motifs, "tested": int(len(rules)),
               "significant": [describe_rule(r) for _, r in sig.head(10).iterrows()], "n_significant": int(len(sig))}
        results.append(row)
        (out / "results.json").write_text(json.dumps(results, indent=1))
        print(f"## {name}: {n} peaks vs {n} shuffles, {args.model}, {args.epochs} epochs ({train_s:.0f} s), "
              f"best validation AUROC {best_val:.3f}")
        print(f"motifs: {', '.join(motifs)}")
        print(f"rules tested: {len(rules)}; significant (q < 0.05): {len(sig)}")
        for line in row["significant"]:
            print(f"- {line}")
        print(flush=True)


if __name__ == "__main__":
    main()
