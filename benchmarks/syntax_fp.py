"""False-positive control of the syntax test: significant rules on presets with and without planted syntax.

For each preset, model and seed: simulate (``--n`` sequences), train with ``motifzoo.fit`` and the
model's config (``--epochs``), then read every rule with :func:`syntax_rules` (``all_rules=True``,
motifs merged and named by JASPAR as ``motifzoo syntax`` does) and count the rules with q < 0.05.

* ``multilabel``, ``gc_rich``: no syntax is planted; target <= 1 significant heterotypic rule.
* ``spacing``: FOXA1 then NFYA, centers 20 bp apart; target: the top significant rule names FOXA1 and
  NFYA (JASPAR names of the merged motifs) at |distance| within 2 bp of 20.
* ``cooperative``, ``repression``: the planted rule is co-occurrence (any spacing), which the spacing
  test is built *not* to call; reported for completeness.

    OMP_NUM_THREADS=1 python benchmarks/syntax_fp.py --out benchmarks/out/syntax_fp \\
        --presets multilabel gc_rich spacing --models argminn_pairwise expcnn_shallow --seeds 0 1 2 --n 4000 --epochs 8

Prints one Markdown table row per run (as it goes) and writes results.json in --out.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import time
from pathlib import Path

import torch

import motifzoo
from motifzoo.data.simulate import simulate
from motifzoo.data.tables import read_onehot
from motifzoo.interpret.syntax import describe_rule, has_syntax_layer, motif_groups, rules_from_data, syntax_rules

CONFIGS = {"argminn_pairwise": "configs/argminn_pairwise.yaml", "expcnn_shallow": "configs/expcnn.yaml",
           "argminn": "configs/argminn.yaml", "explainn": "configs/explainn.yaml"}
PLANTED = {"spacing": ({"FOXA1", "NFYA"}, 20.0)}


def fit(config: str, table: Path, root: Path, epochs: int, seed: int) -> str:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        result = motifzoo.fit(config, args=["--data.path", str(table), "--trainer.default_root_dir", str(root),
                                            "--trainer.max_epochs", str(epochs), "--seed_everything", str(seed),
                                            "--trainer.enable_model_summary", "false"])
    return str(result.best_checkpoint)


def is_planted(rule, preset: str) -> bool:
    if preset not in PLANTED:
        return False
    names, distance = PLANTED[preset]
    return {str(rule["motif_a_name"]), str(rule["motif_b_name"])} == names and abs(abs(rule["distance"]) - distance) <= 2


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="benchmarks/out/syntax_fp")
    ap.add_argument("--presets", nargs="+", default=["multilabel", "gc_rich", "spacing"])
    ap.add_argument("--models", nargs="+", default=["argminn_pairwise", "expcnn_shallow"])
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--epochs", type=int, default=8)
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)
    results = []
    path = out / "results.json"
    if path.exists():
        results = json.loads(path.read_text())
    done = {(r["preset"], r["model"], r["seed"]) for r in results}
    print("| preset | model | seed | n | epochs | rules tested | significant (q < 0.05) | heterotypic | homotypic | "
          "top significant rule | planted? | train s | syntax s | min-support 5: tested, significant (heterotypic) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for preset in args.presets:
        for seed in args.seeds:
            table = out / f"{preset}_s{seed}.tsv.gz"
            if not table.exists():
                simulate(preset, seed=seed, n=args.n).write(table, seed=seed)
            x = None
            for model_name in args.models:
                if (preset, model_name, seed) in done:
                    continue
                t0 = time.time()
                ckpt = fit(CONFIGS[model_name], table, out / "runs" / f"{preset}_{model_name}_s{seed}", args.epochs,
                           seed)
                train_s = time.time() - t0
                model = motifzoo.load(ckpt).eval()
                x = x if x is not None else read_onehot(table)
                t0 = time.time()
                res = syntax_rules(model, x, all_rules=True)
                rules = res["rules"]
                syntax_s = time.time() - t0
                low = None
                if not has_syntax_layer(model):
                    # the data test with --min-support 5: many more arrangements tested, so calibration shows
                    low = rules_from_data(model, x, res["instances"], res["geometry"],
                                          motif_groups(res["geometry"], merge=False, names=False), min_support=5)
                sig = rules[rules["q"] < 0.05]
                top = sig.iloc[0] if len(sig) else None
                row = {"preset": preset, "model": model_name, "seed": seed, "n": args.n, "epochs": args.epochs,
                       "checkpoint": ckpt, "tested": int(len(rules)), "significant": int(len(sig)),
                       "heterotypic": int((sig["kind"] == "heterotypic").sum()),
                       "homotypic": int((sig["kind"] == "homotypic").sum()),
                       "top": describe_rule(top) if top is not None else "",
                       "planted_top": bool(top is not None and is_planted(top, preset)),
                       "train_s": round(train_s, 1), "syntax_s": round(syntax_s, 1),
                       "tested_support5": int(len(low)) if low is not None else None,
                       "heterotypic_support5": int(((low["q"] < 0.05) & (low["kind"] == "heterotypic")).sum())
                       if low is not None else None,
                       "significant_support5": int((low["q"] < 0.05).sum()) if low is not None else None}
                results.append(row)
                path.write_text(json.dumps(results, indent=1))
                print(f"| {preset} | {model_name} | {seed} | {args.n} | {args.epochs} | {row['tested']} | "
                      f"{row['significant']} | {row['heterotypic']} | {row['homotypic']} | {row['top'] or '-'} | "
                      f"{'yes' if row['planted_top'] else ('-' if preset not in PLANTED else 'no')} | "
                      f"{row['train_s']} | {row['syntax_s']} | "
                      + (f"{row['tested_support5']}, {row['significant_support5']} ({row['heterotypic_support5']})"
                         if low is not None else "-") + " |", flush=True)


if __name__ == "__main__":
    main()
