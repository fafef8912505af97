"""Syntax benchmark: is the planted spacing/orientation rule the top rule of `motifzoo syntax`?

1. Simulates the ``spacing`` preset (FOXA1 then NFYA, centers 20 bp apart, same strand; negatives
   hold the same motifs in other arrangements or alone; SP1 distractor; 200 bp, 8,000 sequences).
2. Trains each model with ``motifzoo fit --config configs/<model>.yaml`` (wall time and epochs run
   give the time per epoch), computes the test-split AUROC, exports motifs (``motifzoo motifs
   --data``) and rules (``motifzoo syntax --data``).
3. Names each exported filter by TOMTOM (memelite) against the planted motifs plus all JASPAR 2024
   CORE vertebrates (q < 0.05, best match must be a planted motif), translates the top rule into
   planted-motif terms (a filter that matches the reverse complement of a planted motif flips
   strands) and checks motifs, distance (+-2 bp) and orientation, up to the reverse-complement
   equivalence of arrangements.
4. Optionally (``--recovery``) trains on the ``multilabel`` preset and counts the planted motifs
   recovered, as in benchmarks/motif_recovery.py.

    OMP_NUM_THREADS=2 python benchmarks/syntax_benchmark.py [--out benchmarks/out/syntax]
        [--models argminn_pairwise argminn expcnn_shallow explainn] [--recovery]

Prints one Markdown table row per run and writes results.json in --out.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

import motifzoo
from motifzoo.data.simulate import simulate
from motifzoo.motifs import load_jaspar
from motifzoo.interpret import read_meme
from motifzoo.interpret.compare import motif_recovery, tomtom
from motifzoo.interpret.metrics import auroc
from motifzoo.interpret.syntax import canonical_arrangements
from motifzoo.cli import main
from motifzoo.data.tables import read_onehot

CONFIGS = {"argminn_pairwise": "configs/argminn_pairwise.yaml", "argminn": "configs/argminn.yaml",
           "expcnn_shallow": "configs/expcnn.yaml", "explainn": "configs/explainn.yaml"}
#: epochs per model: enough to converge within a few minutes on 2 cores (early stopping may end sooner)
EPOCHS = {"argminn_pairwise": 15, "argminn": 50, "expcnn_shallow": 20, "explainn": 20}


def quiet_main(args: list[str]) -> tuple[int, str]:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(io.StringIO()):
        rc = main(args)
    return rc, buf.getvalue()


def fit(config: str, table: Path, root: Path, epochs: int, extra: list[str]) -> tuple[str, float, int]:
    """Train; returns (best checkpoint, seconds, epochs run)."""
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        result = motifzoo.fit(config, args=["--data.path", str(table), "--trainer.default_root_dir", str(root),
                                            "--trainer.max_epochs", str(epochs),
                                            "--trainer.enable_model_summary", "false", *extra])
    seconds = time.perf_counter() - t0
    ckpt = str(result.best_checkpoint)
    metrics = pd.read_csv(Path(ckpt).parents[1] / "metrics.csv")
    return ckpt, seconds, int(metrics["epoch"].max()) + 1


@torch.no_grad()
def test_auroc(ckpt: str, table: Path) -> float:
    import motifzoo
    model = motifzoo.load(ckpt)
    frame = pd.read_csv(table, sep="\t")
    test = (frame["split"] == "test").to_numpy()
    x = read_onehot(table)[torch.as_tensor(test.copy())]
    pred = torch.cat([model(x[i:i + 512]) for i in range(0, len(x), 512)]).numpy()
    y = frame.loc[test, frame.columns[2:]].to_numpy()
    return float(np.mean([auroc(y[:, t], pred[:, t]) for t in range(y.shape[1])]))


def filter_identities(meme: Path, planted, background, q_threshold: float = 0.05) -> dict[str, tuple[str, str]]:
    """filter name -> (planted motif id, strand) when its best TOMTOM match is a planted motif with q < threshold."""
    learned = read_meme(meme)
    planted_ids = {m.name for m in planted}
    db = list(planted) + [m for m in background if m.name not in planted_ids]
    table = tomtom(learned, db)
    best = table.sort_values(["query", "q", "p"]).groupby("query").head(1)
    return {r.query: (r.target, r.strand) for r in best.itertuples()
            if r.q < q_threshold and r.target in planted_ids}


def rule_in_planted_terms(rule, identities, order: list[str]):
    """(motif_a id, motif_b id, distance, orientation) of a rule in canonical reverse-complement-merged form, or None."""
    if rule["motif_a"] not in identities or rule["motif_b"] not in identities:
        return None
    (pa, sa), (pb, sb) = identities[rule["motif_a"]], identities[rule["motif_b"]]
    # a filter that matches the planted motif's reverse complement reads it on the other strand
    orient = rule["orientation"] if "orientation" in rule.index else "++"  # single-strand models: always ++
    plus_a = (orient[0] == "+") == (sa == "+")
    plus_b = (orient[1] == "+") == (sb == "+")
    a, b, d, xa, xb = canonical_arrangements([order.index(pa)], [order.index(pb)], [rule["distance"]], [plus_a], [plus_b])
    return order[a[0]], order[b[0]], float(d[0]), ("+" if xa[0] else "-") + ("+" if xb[0] else "-")


def planted_canonical(rule: dict, order: list[str]):
    a, b, d, xa, xb = canonical_arrangements([order.index(rule["motif_a"])], [order.index(rule["motif_b"])],
                                             [rule["distance"]], [rule["orientation"][0] == "+"],
                                             [rule["orientation"][1] == "+"])
    return order[a[0]], order[b[0]], float(d[0]), ("+" if xa[0] else "-") + ("+" if xb[0] else "-")


def matches(found, truth, tolerance: float = 2.0) -> bool:
    return found is not None and found[:2] == truth[:2] and found[3] == truth[3] and abs(found[2] - truth[2]) <= tolerance


def reuse_fit(root: Path, previous: dict) -> tuple[str, float, int] | None:
    """The newest checkpoint under ``root`` and its recorded training time (from an earlier results.json)."""
    ckpts = sorted(root.glob("lightning_logs/version_*/checkpoints/best.ckpt"), key=lambda p: p.stat().st_mtime)
    if not ckpts or str(ckpts[-1]) != previous.get("checkpoint"):
        return None
    return str(ckpts[-1]), previous["train_s"], previous["epochs"]


def run_spacing(model: str, table: Path, out: Path, sim, background, epochs: int, extra: list[str],
                previous: dict | None = None) -> dict:
    reused = reuse_fit(out / model, previous) if previous else None
    ckpt, seconds, n_epochs = reused or fit(CONFIGS[model], table, out / model, epochs, extra)
    test_score = test_auroc(ckpt, table)
    meme, rules_path = out / f"{model}.meme", out / f"{model}_rules.tsv"
    rc, log = quiet_main(["motifs", ckpt, "-o", str(meme), "--data", str(table), "--force"])
    assert rc == 0, log
    t0 = time.perf_counter()
    # --no-names: orientation in the representative filters' own strands (translated below by TOMTOM);
    # --all: every rule tested, so the planted rule's rank is known even when it is not significant
    rc, log = quiet_main(["syntax", ckpt, "-o", str(rules_path), "--data", str(table), "--force", "--no-names", "--all",
                          "--histogram", str(out / f"{model}_spacing.png"), "--instances", str(out / f"{model}_calls.tsv")])
    syntax_s = time.perf_counter() - t0
    assert rc == 0, log
    rules = pd.read_csv(rules_path, sep="\t")
    order = [m.name for m in sim.motifs]
    identities = filter_identities(meme, sim.motifs, background)
    truth = planted_canonical(sim.targets.attrs["rules"][0], order)
    names = {m.name: m.altname for m in sim.motifs}
    translated = [rule_in_planted_terms(r, identities, order) for _, r in rules.iterrows()]
    first_hit = next((i + 1 for i, t in enumerate(translated) if matches(t, truth)), None)
    top = translated[0] if translated else None
    top_text = "-" if not len(rules) else (
        f"{names[top[0]]} {names[top[1]]} {top[2]:g} {top[3]}" if top else
        f"{rules.iloc[0]['motif_a']} {rules.iloc[0]['motif_b']} {rules.iloc[0]['distance']:g} "
        f"{rules.iloc[0].get('orientation', '++')} (unmatched)")
    return {"model": model, "test_auroc": round(test_score, 4), "epochs": n_epochs, "train_s": round(seconds, 1),
            "s_per_epoch": round(seconds / n_epochs, 1), "method": rules["method"].iloc[0] if len(rules) else "-",
            "top_rule": top_text, "top_is_planted": bool(translated and matches(top, truth)),
            "first_planted_rank": first_hit, "syntax_s": round(syntax_s, 1),
            "filters_named": ", ".join(f"{k}={names[v[0]]}{v[1]}" for k, v in sorted(identities.items())),
            "checkpoint": ckpt}


def run_recovery(model: str, out: Path, background, epochs: int, extra: list[str]) -> dict:
    table = out / "multilabel.tsv.gz"
    sim = simulate("multilabel", seed=0)
    if not table.exists():
        sim.write(table, out / "multilabel_planted.meme")
    ckpt, seconds, n_epochs = fit(CONFIGS[model], table, out / f"recovery_{model}", epochs, extra)
    meme = out / f"recovery_{model}.meme"
    rc, log = quiet_main(["motifs", ckpt, "-o", str(meme), "--data", str(table), "--force"])
    assert rc == 0, log
    res = motif_recovery(read_meme(meme), sim.motifs, background)
    names = {m.name: m.altname for m in sim.motifs}
    return {"model": model, "recovered": f"{res['n_recovered']}/{res['n_planted']}",
            "matching": f"{res['n_learned_matching']}/{res['n_learned']}", "precision": round(res["precision"], 2),
            "test_auroc": round(test_auroc(ckpt, table), 4), "epochs": n_epochs,
            "s_per_epoch": round(seconds / n_epochs, 1),
            "missed": ",".join(names[n] for n in names if n not in res["recovered"]) or "-"}


def time_epochs(models: list[str], table: Path, threads: int, repeats: int = 2) -> list[dict]:
    """Seconds per training epoch (train split, batch 128, forward + loss + penalties + backward + AdamW step)
    with ``threads`` torch threads, for each model as configured in its YAML; the fastest of ``repeats``."""
    import os

    import yaml

    from motifzoo.models import get_model
    torch.set_num_threads(threads)
    frame = pd.read_csv(table, sep="\t")
    train = torch.as_tensor((frame["split"] == "train").to_numpy().copy())
    x = read_onehot(table)[train]
    y = torch.as_tensor(frame.loc[train.numpy(), frame.columns[2:]].to_numpy(), dtype=torch.float32)
    rows = []
    for name in models:
        cfg = yaml.safe_load(Path(CONFIGS[name]).read_text())["model"]
        torch.manual_seed(0)
        model = get_model(cfg["arch"], n_targets=y.shape[1], input_length=x.shape[-1], **cfg.get("arch_kwargs", {}))
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
        model.train()
        best = float("inf")
        for _ in range(repeats):
            t0 = time.perf_counter()
            for i in range(0, len(x), 128):
                out = model(x[i:i + 128])
                loss = torch.nn.functional.binary_cross_entropy_with_logits(out, y[i:i + 128])
                loss = loss + model.regularization(100)  # every penalty at full weight
                opt.zero_grad()
                loss.backward()
                opt.step()
            best = min(best, time.perf_counter() - t0)
        rows.append({"model": name, "threads": threads, "s_per_epoch": round(best, 2), "n_train": len(x),
                     "params": sum(p.numel() for p in model.parameters()), "load": round(os.getloadavg()[0], 1)})
    return rows


def main_cli():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="benchmarks/out/syntax")
    ap.add_argument("--models", nargs="+", default=["argminn_pairwise", "argminn", "expcnn_shallow", "explainn"])
    ap.add_argument("--epochs", nargs="+", default=[], help="model=epochs overrides, e.g. argminn=40")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--recovery", action="store_true", help="also run motif recovery on the multilabel preset")
    ap.add_argument("--recovery-models", nargs="+", default=["argminn_pairwise", "argminn"])
    ap.add_argument("--recovery-args", default="--model.arch_kwargs.n_filters 16 --model.arch_kwargs.max_distance 10",
                    help="extra fit arguments for the recovery runs (max_distance is dropped for models without it)")
    ap.add_argument("--skip-spacing", action="store_true")
    ap.add_argument("--timing", type=int, metavar="THREADS",
                    help="only time one training epoch per model on the spacing data with this many threads")
    ap.add_argument("--reuse", action="store_true",
                    help="reuse the checkpoints (and recorded training times) of an earlier run in --out; "
                         "only motifs, rules and scores are recomputed")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    epochs = dict(EPOCHS, **{k: int(v) for k, v in (e.split("=") for e in args.epochs)})
    if args.timing:
        table = out / "spacing.tsv.gz"
        if not table.exists():
            simulate("spacing", seed=args.seed).write(table, seed=args.seed)
        print("| model | threads | s/epoch (train steps only) | train sequences | parameters | load average |")
        print("|---|---|---|---|---|---|")
        for r in time_epochs([m for m in args.models if Path(CONFIGS.get(m, "-")).exists()], table, args.timing):
            print(f"| {r['model']} | {r['threads']} | {r['s_per_epoch']} | {r['n_train']} | {r['params']} | {r['load']} |",
                  flush=True)
        return
    background = load_jaspar()
    earlier = {}
    if args.reuse and (out / "results.json").exists():
        earlier = {r["model"]: r for r in json.loads((out / "results.json").read_text())["spacing"]}
    results = {"date": time.strftime("%Y-%m-%d"), "threads": torch.get_num_threads(),
               "spacing": [r for m, r in earlier.items() if m not in args.models], "recovery": []}
    if not args.skip_spacing:
        sim = simulate("spacing", seed=args.seed)
        table = out / "spacing.tsv.gz"
        if not (args.reuse and table.exists()):
            sim.write(table, out / "spacing_planted.meme", out / "spacing_sites.tsv", seed=args.seed)
        print("| model | test AUROC | epochs | s/epoch | method | top rule (planted terms) | planted? | first planted rank |")
        print("|---|---|---|---|---|---|---|---|")
        for model in args.models:
            if model not in CONFIGS or not Path(CONFIGS[model]).exists():
                print(f"| {model} | not available | | | | | | |")
                continue
            r = run_spacing(model, table, out, sim, background, epochs[model], ["--seed_everything", str(args.seed)],
                            earlier.get(model))
            results["spacing"].append(r)
            print(f"| {model} | {r['test_auroc']:.3f} | {r['epochs']} | {r['s_per_epoch']} | {r['method']} | "
                  f"{r['top_rule']} | {'yes' if r['top_is_planted'] else 'no'} | {r['first_planted_rank'] or '-'} |",
                  flush=True)
            (out / "results.json").write_text(json.dumps(results, indent=1))
    if args.recovery:
        print("\n| model | recovered | matching | precision | test AUROC | epochs | s/epoch | missed |")
        print("|---|---|---|---|---|---|---|---|")
        for model in args.recovery_models:
            extra = args.recovery_args.split()
            if model != "argminn_pairwise":
                extra = re.sub(r"--model\.arch_kwargs\.max_distance \S+", "", " ".join(extra)).split()
            r = run_recovery(model, out, background, epochs[model], extra)
            results["recovery"].append(r)
            print(f"| {model} | {r['recovered']} | {r['matching']} | {r['precision']} | {r['test_auroc']:.3f} | "
                  f"{r['epochs']} | {r['s_per_epoch']} | {r['missed']} |", flush=True)
            (out / "results.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main_cli()
