"""ExplaiNN on the simulated multi-label preset: planted motifs recovered, and the top unit of each target.

Simulates the `multilabel` preset (10 planted JASPAR motifs, 200 bp, 8,000 sequences, 1-3 motifs
each; one binary target per motif), trains with `motifzoo fit --config configs/explainn.yaml`,
exports motifs with `motifzoo motifs --data`, and compares them with TOMTOM (memelite) against the
planted motifs plus all JASPAR 2024 CORE vertebrate motifs as background (q < 0.05), as
`motifzoo demo` does. Then, for every target, takes the unit with the largest final-layer weight
magnitude (`motifzoo.interpret.units.top_units`; a unit's MLP may invert its motif, which the final
layer then reads with a negative weight) and checks that this unit's exported motif matches the
target's planted motif (q < 0.05); the same check is reported for the unit ranked first by
contribution (|weight x mean unit output| over the data). `motifzoo units` writes the readouts.

    python benchmarks/explainn_recovery.py [--out benchmarks/out/explainn] [--seeds 0 1] [--epochs 40]

Prints one Markdown table row per run and a per-target table for each.
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
from motifzoo.interpret.units import top_units, unit_contributions, unit_target_weights
from motifzoo.cli import main
from motifzoo.data.tables import read_onehot


def fit(config: str, table: Path, root: Path, extra: list[str]) -> tuple[str, float]:
    """Train through the CLI; returns the best checkpoint and the training time in seconds."""
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        result = motifzoo.fit(config, args=["--data.path", str(table), "--trainer.default_root_dir", str(root),
                                            "--trainer.enable_progress_bar", "false",
                                            "--trainer.enable_model_summary", "false", *extra])
    return str(result.best_checkpoint), time.perf_counter() - t0


def run_cli(args: list[str]) -> None:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(args)
    if rc != 0:
        raise SystemExit(f"motifzoo {' '.join(args)} failed:\n{buf.getvalue()}")


def target_checks(ckpt: str, table: Path, sim, matches: pd.DataFrame) -> pd.DataFrame:
    """Per target: its top unit by weight and by contribution, and whether each matches the planted motif."""
    model = motifzoo.load(ckpt)
    weights = unit_target_weights(model)
    by_weight = top_units(weights).set_index("target")
    contrib = unit_contributions(model, read_onehot(table))
    by_contrib = contrib[contrib["rank"] == 1].set_index("target")
    significant = set(zip(matches["query"], matches["target"]))
    planted = dict(zip(sim.targets.columns, sim.motifs))  # target column -> its planted motif
    rows = []
    for target, motif in planted.items():
        unit_w, unit_c = by_weight.loc[target, "unit"], by_contrib.loc[target, "unit"]
        q = matches[(matches["query"] == unit_w) & (matches["target"] == motif.name)]["q"]
        rows.append({"target": target, "top unit (weight)": unit_w, "weight": round(by_weight.loc[target, "weight"], 3),
                     "matches planted": (unit_w, motif.name) in significant,
                     "q": f"{q.min():.1e}" if len(q) else "-",
                     "top unit (contribution)": unit_c,
                     "contribution matches": (unit_c, motif.name) in significant})
    return pd.DataFrame(rows)


def markdown(frame: pd.DataFrame) -> str:
    keys = list(frame.columns)
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def main_cli():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="benchmarks/out/explainn")
    ap.add_argument("--config", default="configs/explainn.yaml")
    ap.add_argument("--seeds", nargs="+", type=int, default=[0], help="training seeds (the data is always seed 0)")
    ap.add_argument("--epochs", type=int, help="override trainer.max_epochs")
    ap.add_argument("--n", type=int, default=8000)
    ap.add_argument("--reuse", action="store_true",
                    help="export and score the newest checkpoint already under --out/seedN instead of training")
    ap.add_argument("--extra", nargs=argparse.REMAINDER, default=[], help="further `motifzoo fit` arguments")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sim = simulate("multilabel", n=args.n, seed=0)
    table = out / "multilabel.tsv.gz"
    sim.write(table, out / "planted.meme")
    background = load_jaspar()
    names = {m.name: m.altname for m in sim.motifs}
    rows, details = [], []
    for seed in args.seeds:
        tag = f"seed{seed}"
        extra = ["--seed_everything", str(seed), *(["--trainer.max_epochs", str(args.epochs)] if args.epochs else []),
                 *args.extra]
        found = sorted((out / tag).glob("**/checkpoints/best.ckpt"), key=lambda p: p.stat().st_mtime)
        if args.reuse and found:
            ckpt, train_s = str(found[-1]), float("nan")
        else:
            ckpt, train_s = fit(args.config, table, out / tag, extra)
        meme = out / f"{tag}.meme"
        run_cli(["motifs", ckpt, "-o", str(meme), "--data", str(table), "--force"])
        run_cli(["units", ckpt, "-o", str(out / f"{tag}_units"), "--data", str(table), "--force"])
        res = motif_recovery(read_meme(meme), sim.motifs, background)
        checks = target_checks(ckpt, table, sim, res["matches"])
        details.append((tag, checks))
        ck = motifzoo.models.io.read_checkpoint(ckpt)
        score = [v for k, v in ck.get("callbacks", {}).items() if k.startswith("ModelCheckpoint")]
        rows.append({"run": tag, "recovered": f"{res['n_recovered']}/{res['n_planted']}",
                     "top unit (weight) = planted": f"{int(checks['matches planted'].sum())}/{len(checks)}",
                     "top unit (contribution) = planted": f"{int(checks['contribution matches'].sum())}/{len(checks)}",
                     "exported matching": f"{res['n_learned_matching']}/{res['n_learned']}",
                     "val_auroc": round(float(score[0]["best_model_score"]), 3) if score else "-",
                     "train_s": round(train_s) if train_s == train_s else "-",
                     "missed": ",".join(names[n] for n in names if n not in res["recovered"]) or "-"})
        print(json.dumps(rows[-1]), flush=True)
    print(markdown(pd.DataFrame(rows)))
    for tag, checks in details:
        print(f"\nper target ({tag}):\n" + markdown(checks))


if __name__ == "__main__":
    main_cli()
