"""Motifs and syntax rules on real ChIP-seq peaks (issues 14 and 15: an honest look at real sequences).

Tasks, from FASTA files of peaks (e.g. ``../shared/data/oct4_peaks.fa.gz`` and ``mafk_peaks.fa.gz``):

* ``<peaks> vs shuffles``: every peak (upper-cased) is a positive, a dinucleotide shuffle of it a
  negative (same composition, so GC content cannot separate the classes);
* with ``--versus``: ``<first> vs <second>``, the first file's peaks positive, the second's negative
  (GC content alone separates Oct4 from MafK peaks at AUROC ~0.78: see the data README).

Random 80/10/10 split per task. Each model is trained through :func:`motifzoo.fit` with its shipped config
(only the data, output folder, seed and ``--trainer.max_epochs`` are set; early stopping as configured),
or its checkpoint under ``--out`` is read again. Reported per task and model:

* test auROC (the test split);
* the exported motifs (as ``motifzoo motifs --data``: dead/unenriched/flat filters dropped), each named by
  its best JASPAR 2024 match at TOMTOM q < 0.05, and the fraction named;
* whether the expected families are named: POU/SOX for Oct4 peaks, MAF/NFE2/BACH (and NRL, a large MAF)
  for MafK peaks (``FAMILIES``);
* the significant rules (q < 0.05) of :func:`syntax_rules` on all sequences of the task, as
  ``motifzoo syntax --data`` reads them.

    OMP_NUM_THREADS=1 python benchmarks/syntax_real.py ../shared/data/oct4_peaks.fa.gz ../shared/data/mafk_peaks.fa.gz \\
        --versus --out benchmarks/out/syntax_real --models expcnn_shallow argminn_pairwise argminn [--epochs 10]

Prints one Markdown table row per run and the significant rules; writes results.json in --out.
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
from motifzoo.data.encoding import encode
from motifzoo.data.shuffle import dinucleotide_shuffle
from motifzoo.data.tables import random_split, read_fasta, read_onehot
from motifzoo.interpret.annotate import annotate
from motifzoo.interpret.metrics import auroc
from motifzoo.interpret.syntax import describe_rule, syntax_rules
from motifzoo.motifs import load_jaspar

CONFIGS = {"expcnn_shallow": "configs/expcnn.yaml", "argminn_pairwise": "configs/argminn_pairwise.yaml",
           "argminn": "configs/argminn.yaml"}
#: JASPAR names that count as the factor's family (regular expressions, case-insensitive)
FAMILIES = {"oct4": ("POU/SOX", r"^(POU|SOX|PO[0-9])|POU5F1"), "mafk": ("MAF/NFE2/BACH", r"^(MAF|NFE2|BACH|NRL)")}


def _strings(codes: np.ndarray) -> list[str]:
    return ["".join("ACGTN"[c] for c in row) for row in codes]


def write_task(table: Path, positives: list[str], negatives: list[str], seed: int) -> None:
    frame = pd.DataFrame({"sequence": positives + negatives, "bound": [1] * len(positives) + [0] * len(negatives)})
    frame["split"] = random_split(len(frame), 0.1, 0.1, seed)
    frame.to_csv(table, sep="\t", index=False)


def tasks(fastas: list[Path], versus: bool, out: Path, seed: int) -> list[tuple[str, list[str], Path]]:
    """(task name, factors it is about, table path) per task; the tables are written into ``out``."""
    peaks = {}
    for fasta in fastas:
        _, seqs = read_fasta(fasta)
        peaks[fasta.name.split(".")[0]] = [s.upper() for s in seqs]
    found = []
    for name, seqs in peaks.items():
        table = out / f"{name}_vs_shuffles.tsv.gz"
        if not table.exists():
            write_task(table, seqs, _strings(dinucleotide_shuffle(encode(seqs), seed)), seed)
        found.append((f"{name} vs shuffles", [name], table))
    if versus:
        (a, sa), (b, sb) = list(peaks.items())[:2]
        table = out / f"{a}_vs_{b}.tsv.gz"
        if not table.exists():
            write_task(table, sa, sb, seed)
        found.append((f"{a} vs {b}", [a, b], table))
    return found


def _factor(name: str) -> str:
    return name.split("_")[0].lower()


@torch.no_grad()
def test_auroc(model, table: Path) -> float:
    frame = pd.read_csv(table, sep="\t")
    test = (frame["split"] == "test").to_numpy()
    x = read_onehot(table)[torch.as_tensor(test.copy())]
    pred = torch.cat([model(x[i:i + 512]) for i in range(0, len(x), 512)])[:, 0].numpy()
    return auroc(frame.loc[test, "bound"].to_numpy(), pred)


def train(model_name: str, table: Path, run_dir: Path, epochs: int, seed: int,
          config: str | None = None) -> tuple[Path, float]:
    """Best checkpoint (found under ``run_dir`` or trained now) and the training seconds (nan when found)."""
    found = sorted(run_dir.glob("**/checkpoints/best.ckpt"))
    if found:
        return found[-1], float("nan")
    t0 = time.time()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        fit = motifzoo.fit(config or CONFIGS[model_name], args=[
            "--data.path", str(table), "--trainer.default_root_dir", str(run_dir),
            "--trainer.max_epochs", str(epochs), "--seed_everything", str(seed),
            "--trainer.enable_model_summary", "false"])
    return Path(fit.best_checkpoint), time.time() - t0


def evaluate(task: str, factors: list[str], model_name: str, ckpt: Path, table: Path, jaspar) -> dict:
    model = motifzoo.load(ckpt).eval()
    x = read_onehot(table)
    res = syntax_rules(model, x, all_rules=True)
    rules = res["rules"]
    sig = rules[rules["q"] < 0.05]
    exported = list(res["geometry"].attrs.get("motifs", []))
    names = {}
    if exported:
        ann = annotate(exported, jaspar, significant_only=False)
        names = {r.motif: (r.match_name if r.significant else "") for r in ann.itertuples()}
    labels = [f"{m.name} {names.get(m.name) or '(unnamed)'}" for m in exported]
    named = [n for n in names.values() if n]
    families = {}
    for factor in factors:
        family, pattern = FAMILIES.get(_factor(factor), (None, None))
        if family:
            families[family] = any(re.search(pattern, n, flags=re.IGNORECASE) for n in named)
    return {"task": task, "model": model_name, "test_auroc": round(test_auroc(model, table), 4),
            "exported": len(exported), "named": len(named),
            "named_fraction": round(len(named) / len(exported), 3) if exported else float("nan"),
            "motifs": labels, "families": families, "tested": int(len(rules)), "n_significant": int(len(sig)),
            "significant": [describe_rule(r) for _, r in sig.head(10).iterrows()]}


HEADER = ("| task | model | test auROC | exported | named (q < 0.05) | expected family named | "
          "motifs (best JASPAR match) | rules tested | significant | train s |\n"
          "|---|---|---|---|---|---|---|---|---|---|")


def table_row(r: dict) -> str:
    fam = ", ".join(f"{k}: {'yes' if v else '**no**'}" for k, v in r["families"].items())
    train_s = "" if r["train_s"] != r["train_s"] else f"{r['train_s']:.0f}"
    return (f"| {r['task']} | `{r['model']}` | {r['test_auroc']:.3f} | {r['exported']} | {r['named']} "
            f"({r['named_fraction']:.2f}) | {fam} | {'; '.join(r['motifs'])} | {r['tested']} | "
            f"{r['n_significant']} | {train_s} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("fasta", nargs="+")
    ap.add_argument("--out", default="benchmarks/out/syntax_real")
    ap.add_argument("--models", nargs="+", default=["expcnn_shallow"], choices=sorted(CONFIGS))
    ap.add_argument("--versus", action="store_true", help="also the first peak set against the second")
    ap.add_argument("--only", nargs="+", help="run only these tasks (e.g. 'oct4_peaks vs shuffles')")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--config", nargs="+", default=[], metavar="MODEL=YAML",
                    help="train MODEL from another config (a candidate) instead of its shipped one; use a fresh --out")
    args = ap.parse_args()
    configs = dict(c.split("=", 1) for c in args.config)
    if set(configs) - set(args.models):
        ap.error(f"--config names models not in --models: {sorted(set(configs) - set(args.models))}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)
    results_path = out / "results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else []
    jaspar = load_jaspar()
    print(HEADER, flush=True)
    for task, factors, table in tasks([Path(f) for f in args.fasta], args.versus, out, args.seed):
        if args.only and task not in args.only:
            continue
        for model_name in args.models:
            run_dir = out / "runs" / f"{task.replace(' ', '_')}_{model_name}"
            ckpt, train_s = train(model_name, table, run_dir, args.epochs, args.seed, configs.get(model_name))
            row = evaluate(task, factors, model_name, ckpt, table, jaspar)
            row.update(train_s=round(train_s, 1), epochs=args.epochs, checkpoint=str(ckpt))
            results = [r for r in results if (r["task"], r["model"]) != (task, model_name)] + [row]
            results_path.write_text(json.dumps(results, indent=1))
            print(table_row(row), flush=True)
            for line in row["significant"]:
                print(f"  - {line}", flush=True)


if __name__ == "__main__":
    main()
