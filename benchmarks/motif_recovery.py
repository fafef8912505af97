"""Motif recovery of the exponential-activation CNN vs the same net with ReLU (Koo & Ploenzke 2021).

Simulates the `multilabel` preset (10 planted JASPAR motifs, 200 bp, 8,000 sequences, 1-3 motifs
each), trains with `motifzoo fit --config configs/expcnn.yaml` once per activation, exports motifs
with `motifzoo motifs --data`, and compares them with TOMTOM (memelite) against the planted motifs
plus all 879 JASPAR 2024 CORE vertebrate motifs as background (q < 0.05).

    python benchmarks/motif_recovery.py [--out benchmarks/out/recovery] [--activations exp relu]

Prints one Markdown table row per run.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import time
from pathlib import Path

import pandas as pd

import motifzoo
from motifzoo.data.simulate import simulate
from motifzoo.motifs import load_jaspar
from motifzoo.interpret import read_meme
from motifzoo.interpret.compare import motif_recovery
from motifzoo.cli import main


def run_one(config: str, table: Path, out: Path, tag: str, extra: list[str], planted, background) -> dict:
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        ckpt = str(motifzoo.fit(config, args=["--data.path", str(table), "--trainer.default_root_dir", str(out / tag),
                                              "--trainer.enable_progress_bar", "false",
                                              "--trainer.enable_model_summary", "false", *extra]).best_checkpoint)
    train_s = time.perf_counter() - t0
    meme = out / f"{tag}.meme"
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        main(["motifs", ckpt, "-o", str(meme), "--data", str(table), "--force"])
    export_s = time.perf_counter() - t0
    ck = __import__("torch").load(ckpt, weights_only=True)
    score = float([v for k, v in ck["callbacks"].items() if k.startswith("ModelCheckpoint")][0]["best_model_score"])
    res = motif_recovery(read_meme(meme), planted, background)
    names = {m.name: m.altname for m in planted}
    return {"run": tag, "recovered": f"{res['n_recovered']}/{res['n_planted']}",
            "matching": f"{res['n_learned_matching']}/{res['n_learned']}", "precision": round(res["precision"], 2),
            "val_auroc": round(score, 3), "train_s": round(train_s), "export_s": round(export_s, 1),
            "missed": ",".join(names[n] for n in names if n not in res["recovered"]) or "-"}


def main_cli():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="benchmarks/out/recovery")
    ap.add_argument("--config", default="configs/expcnn.yaml")
    ap.add_argument("--activations", nargs="+", default=["exp", "relu"])
    ap.add_argument("--seeds", nargs="+", type=int, default=[0])
    ap.add_argument("--n", type=int, default=8000)
    ap.add_argument("--tag", default="", help="suffix for run names")
    ap.add_argument("extra", nargs="*", help="further `motifzoo fit` overrides, after --")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sim = simulate("multilabel", n=args.n, seed=0)
    table = out / "multilabel.tsv.gz"
    sim.write(table, out / "planted.meme")
    background = load_jaspar()
    rows = []
    for seed in args.seeds:
        for act in args.activations:
            rows.append(run_one(args.config, table, out, f"{act}_seed{seed}{args.tag}",
                                ["--model.arch_kwargs.activation", act, "--seed_everything", str(seed), *args.extra],
                                sim.motifs, background))
            print(json.dumps(rows[-1]), flush=True)
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main_cli()
