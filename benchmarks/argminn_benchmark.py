"""ARGMINN-like presets x seeds x models (issue #15): AUROC, motif recovery, non-redundant motifs, top rule.

For each preset (``motifzoo.data.simulate_argminn`` plus the older ``spacing``/``cooperative``/
``repression``) and seed:

1. simulates it (``--n`` sequences; the preset's length unless ``--length``), split 80/10/10;
2. trains each model with ``motifzoo.fit(configs/<model>.yaml)`` as shipped (only data path, output
   folder, ``--epochs`` and the seed are set), early stopping as configured;
3. test auROC; ``motifzoo motifs CKPT --data`` exports motifs; TOMTOM (memelite) against the planted
   motifs plus all JASPAR 2024 CORE vertebrates gives recall (planted motifs matched at q < 0.05) and
   precision (exported motifs whose match is a planted motif); *non-redundant* = connected
   components of exported motifs that match each other at q < 0.05 (TOMTOM of the exported motifs
   against themselves plus JASPAR, so that p-values are calibrated);
4. ``motifzoo syntax CKPT --data`` gives the rule table; the *top rule* is the first rule with q < 0.05
   when the table has a ``q`` column (else the first row). It is translated into planted-motif terms
   (each filter named by its most significant planted TOMTOM match at q < 0.05; where the table names the
   filter by a JASPAR match, its strand and center are moved from that match's frame to the planted motif's
   by their alignment, ``named_frames``; an unnamed filter's strand is flipped when it matches the reverse
   complement) and compared with the planted rules: same two motifs; for spacing rules also orientation
   (not for a palindromic motif such as JUND's AP-1 site) and distance (``spacing``: within 2 bp as in
   syntax.md; hard spacing: within 1 bp, closer than the 1-3 bp near misses; exactly 0 is not required
   because distances are between IC-trimmed centers); soft spacing: |distance| within the planted range;
   cooperative/repression: the pair only (and the sign of the effect when the table has one). Single-TF
   presets have no pair rule (n/a).

    OMP_NUM_THREADS=1 python benchmarks/argminn_benchmark.py --out benchmarks/out/argminn_bench \
        --presets argminn_hard_spacing --seeds 0 --models argminn expcnn_shallow --n 3000

Prints a Markdown row per run and appends JSON lines to OUT/results.jsonl (``--table`` re-prints the
table from there). ``--step`` times one training step per model variant (random data, all penalties at full
weight, the variants alternating in this process so they share the machine's load; best of ``--repeats``):

    OMP_NUM_THREADS=1 python benchmarks/argminn_benchmark.py --step --length 500 --before 978e844 \
        --variants expcnn_shallow "before:argminn:overlap_batch=null" argminn "argminn:overlap_batch=0"

(``before:`` variants use the ``Argminn`` of git revision ``--before``; ``key=null`` drops a config key.)

``--speed`` only trains (``--epochs`` each) and records seconds per epoch and the load
average to OUT/speed.jsonl; run it with the models side by side in one process so that they share a load.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

import motifzoo
from motifzoo.cli import main as cli_main
from motifzoo.data.simulate import simulate
from motifzoo.data.tables import read_onehot
from motifzoo.interpret import read_meme
from motifzoo.interpret.compare import motif_recovery, tomtom
from motifzoo.interpret.metrics import auroc
from motifzoo.interpret.syntax import canonical_arrangements
from motifzoo.motifs import load_jaspar

CONFIGS = {"argminn": "configs/argminn.yaml", "argminn_pairwise": "configs/argminn_pairwise.yaml",
           "expcnn_shallow": "configs/expcnn.yaml"}
PRESETS = ["argminn_single", "argminn_tal_gata", "argminn_cooperative", "argminn_hard_spacing",
           "argminn_repressor", "argminn_cooccur_repression"]
#: ARGMINN's reported simulated auROCs (paper figures; REFERENCES.md): the set each preset is modelled on
ARGMINN_AUROC = {"argminn_single": 0.955, "argminn_tal_gata": 0.954, "argminn_cooperative": 0.971,
                 "argminn_hard_spacing": 0.954, "argminn_repressor": 0.947, "argminn_cooccur_repression": 0.968}


def quiet_cli(args: list[str]) -> tuple[int, str]:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(io.StringIO()):
        rc = cli_main(args)
    return rc, buf.getvalue()


@torch.no_grad()
def test_auroc(ckpt: str, table: Path) -> float:
    model = motifzoo.load(ckpt)
    model.eval()
    frame = pd.read_csv(table, sep="\t")
    test = (frame["split"] == "test").to_numpy()
    x = read_onehot(table)[torch.as_tensor(test.copy())]
    pred = torch.cat([model(x[i:i + 512]) for i in range(0, len(x), 512)]).numpy()
    y = frame.loc[test, frame.columns[2:]].to_numpy()
    return float(np.mean([auroc(y[:, t], pred[:, t]) for t in range(y.shape[1])]))


def parse_variant(spec: str) -> tuple[str, dict]:
    """``model[:key=value,key=value]`` -> (model, arch_kwargs overrides); values parsed as YAML scalars."""
    import yaml
    model, _, rest = spec.partition(":")
    over = {k: yaml.safe_load(v) for k, v in (kv.split("=", 1) for kv in rest.split(",") if kv)}
    return model, over


def model_at(rev: str):
    """The ``argminn`` module of git revision ``rev`` (for before/after timings), loaded beside the current one."""
    import importlib.util
    import subprocess
    import tempfile
    source = subprocess.run(["git", "show", f"{rev}:motifzoo/models/argminn.py"], capture_output=True, text=True,
                            check=True).stdout
    source = "\n".join(line for line in source.splitlines() if not line.startswith("@register_model("))
    path = Path(tempfile.mkdtemp()) / "argminn_at_rev.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(f"motifzoo.models.argminn_{rev}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def step_times(variants: list[str], length: int, batch: int, repeats: int, epoch: int = 1000,
               before: str | None = None) -> dict[str, float]:
    """Best-of-``repeats`` wall and CPU seconds of one training step (forward, BCE + ``regularization(epoch)``, backward, AdamW)
    of each variant (the shipped config's model with arch_kwargs overridden) on one random batch; the variants
    alternate so that they share the load. ``epoch`` 1000: every penalty at full weight. A variant written
    ``before:argminn[:...]`` (or ``before:argminn_pairwise[:...]``) uses the class of git revision ``before``."""
    import yaml
    from motifzoo.models.registry import get_model
    from motifzoo.models.registry import coerce_hyperparameters
    torch.manual_seed(0)
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (batch, length)), 4).transpose(1, 2).float()
    y = torch.randint(0, 2, (batch, 1)).float()
    built = {}
    old = model_at(before) if before and any(v.startswith("before:") for v in variants) else None
    for spec in variants:
        at_rev = spec.startswith("before:")
        model, over = parse_variant(spec.removeprefix("before:"))
        cfg = yaml.safe_load(Path(CONFIGS[model]).read_text())["model"]
        kwargs = coerce_hyperparameters(cfg["arch"], {**cfg.get("arch_kwargs", {}), **over})
        kwargs = {k: v for k, v in kwargs.items() if v is not None}  # `key=null` removes a key
        if at_rev:
            cls = {"argminn": old.Argminn, "argminn_pairwise": old.ArgminnPairwise}[cfg["arch"]]
            net = cls(n_targets=1, input_length=length, **kwargs)
        else:
            net = get_model(cfg["arch"], n_targets=1, input_length=length, **kwargs)
        net.train()
        built[spec] = (net, torch.optim.AdamW(net.parameters(), lr=cfg.get("lr", 1e-3)))
    best = {spec: float("inf") for spec in variants}
    best_cpu = dict(best)
    for _ in range(repeats + 1):  # the first round warms up
        for spec, (net, opt) in built.items():
            t0, c0 = time.perf_counter(), time.process_time()
            opt.zero_grad()
            loss = torch.nn.functional.binary_cross_entropy_with_logits(net(x), y)
            reg = net.regularization(epoch) if hasattr(net, "regularization") else 0.0
            (loss + reg).backward()
            opt.step()
            if _:
                best[spec] = min(best[spec], time.perf_counter() - t0)
                best_cpu[spec] = min(best_cpu[spec], time.process_time() - c0)
    return best, best_cpu


def fit(model: str, table: Path, root: Path, epochs: int, seed: int) -> tuple[str, float, int, float]:
    """Trains ``model``'s shipped config on ``table``: best checkpoint, wall seconds, epochs, CPU seconds (this
    process; with one thread, insensitive to other processes' load)."""
    t0, c0 = time.perf_counter(), time.process_time()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        result = motifzoo.fit(CONFIGS[model], args=["--data.path", str(table), "--trainer.default_root_dir", str(root),
                                                    "--trainer.max_epochs", str(epochs),
                                                    "--trainer.enable_model_summary", "false",
                                                    "--seed_everything", str(seed)])
    seconds = time.perf_counter() - t0
    return str(result.best_checkpoint), seconds, int(result.epochs), time.process_time() - c0


def non_redundant(learned, background) -> int:
    """Connected components of learned motifs that match each other at TOMTOM q < 0.05."""
    if len(learned) <= 1:
        return len(learned)
    names = [m.name for m in learned]
    table = tomtom(learned, list(learned) + list(background))
    edges = table[(table["q"] < 0.05) & table["target"].isin(names) & (table["query"] != table["target"])]
    parent = {n: n for n in names}

    def find(n):
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n
    for a, b in zip(edges["query"], edges["target"]):
        parent[find(a)] = find(b)
    return len({find(n) for n in names})


def identities(learned, planted, background) -> dict[str, tuple[str, str]]:
    """filter name -> (planted motif id, strand) of its most significant *planted* match at q < 0.05.

    As recall counts any planted match at q < 0.05, a filter is named by a planted motif even when a JASPAR
    relative ties or beats it (JUND vs JUNB/FOS: the AP-1 family is near-identical).
    """
    planted_ids = {m.name for m in planted}
    table = tomtom(learned, list(planted) + [m for m in background if m.name not in planted_ids])
    table = table[(table["q"] < 0.05) & table["target"].isin(planted_ids)]
    best = table.sort_values(["query", "q", "p"]).groupby("query").head(1)
    return {r.query: (r.target, r.strand) for r in best.itertuples()}


def named_frames(learned, ident: dict, planted, background) -> dict[str, tuple[str, bool, float]]:
    """Exported motif name -> (JASPAR name, flip, shift) of the JASPAR match ``motifzoo syntax`` names it by, placed on
    the planted motif ``ident`` (:func:`identities`) names it by: ``align_to(match, planted)``.

    A rule table gives strands and centers in the frame of each motif's JASPAR match (``motif_*_name``). The
    planted rule's distance is between the planted motifs' centers, so a motif named by a relative of the planted
    one (JUND's filter named FOS MA0476.2, centered 0.5 bp off JUND's; TEAD1's named TEAD2, 1 bp off) reads the
    same arrangement up to 1.5 bp away. Those shifts are undone here, with the strands the match reads.
    """
    from motifzoo.interpret.annotate import annotate
    from motifzoo.interpret.syntax import align_to
    by_id = {m.name: m for m in list(planted) + list(background)}
    best = annotate(learned, background, significant_only=True)
    out = {}
    for r in best.itertuples():
        if r.motif in ident and r.match_id in by_id:
            flip, shift = align_to(by_id[r.match_id].pwm, by_id[ident[r.motif][0]].pwm)
            out[r.motif] = (str(r.match_name), bool(flip), float(shift))
    return out


def translate(rule, ident, order: list[str], frames: dict | None = None):
    """(a id, b id, distance, orientation) of a rule in planted terms, canonical form; None if a filter is unnamed.

    ``frames`` (:func:`named_frames`): a motif the table names by its JASPAR match has its strand and center
    moved from the match's frame to the planted motif's."""
    if rule["motif_a"] not in ident or rule["motif_b"] not in ident:
        return None
    frames = frames or {}
    (pa, sa), (pb, sb) = ident[rule["motif_a"]], ident[rule["motif_b"]]
    orient = str(rule.get("orientation", "++")) if isinstance(rule.get("orientation"), str) else "++"
    d = float(rule["distance"]) if pd.notna(rule.get("distance")) else 0.0
    plus = []
    for k, (motif, s, col) in enumerate(((rule["motif_a"], sa, "motif_a_name"), (rule["motif_b"], sb, "motif_b_name"))):
        name = rule.get(col)
        named = isinstance(name, str) and name != ""
        frame = frames.get(motif)
        if named and frame is not None and frame[0] == name:
            # strands and center in the match's frame: the planted motif's strand is the match's, flipped when the
            # match aligns to its reverse complement; its center sits `shift` columns of it away, against the strand
            flip, shift = frame[1], frame[2]
            on_plus = (orient[k] == "+") != flip
            d += (shift if on_plus else -shift) * (1 if k == 0 else -1)
        else:
            # a motif named by a match not placed on the planted one reads the match's strands as its own; an
            # unnamed one reads its filter's strand, flipped when the filter matches the planted reverse complement
            on_plus = (orient[k] == "+") == (s == "+" or named)
        plus.append(on_plus)
    a, b, dd, xa, xb = canonical_arrangements([order.index(pa)], [order.index(pb)], [d], [plus[0]], [plus[1]])
    return order[a[0]], order[b[0]], float(dd[0]), ("+" if xa[0] else "-") + ("+" if xb[0] else "-")


def palindromic(motifs, threshold: float = 0.9) -> set[str]:
    """Ids of motifs whose PWM correlates with its own reverse complement at >= threshold (JUND's AP-1 site):
    their strand in a rule carries no information."""
    return {m.name for m in motifs if np.corrcoef(m.pwm.ravel(), m.pwm[::-1, ::-1].ravel())[0, 1] >= threshold}


def planted_match(found, effect, truth: dict, order: list[str], symmetric: set[str] = frozenset()) -> bool:
    """Whether a translated rule is the planted rule ``truth`` (see the module docstring); the strand of a
    motif in ``symmetric`` (palindromic) is not compared."""
    if found is None or truth.get("motif_b") is None:
        return False
    if {found[0], found[1]} != {truth["motif_a"], truth["motif_b"]}:
        return False
    kind = truth["kind"]
    if kind in ("cooperative", "repression"):
        return effect is None or np.sign(effect) == truth["sign"]
    if kind == "soft_spacing":
        return abs(abs(found[2]) - truth["distance"]) <= truth["tolerance"] + 1
    a, b, d, xa, xb = canonical_arrangements([order.index(truth["motif_a"])], [order.index(truth["motif_b"])],
                                             [truth["distance"]], [truth["orientation"][0] == "+"],
                                             [truth["orientation"][1] == "+"])
    want = (order[a[0]], order[b[0]], float(d[0]), ("+" if xa[0] else "-") + ("+" if xb[0] else "-"))
    tol = 2.0 if truth.get("tolerance") is None or pd.isna(truth.get("tolerance")) else max(1.0, truth["tolerance"])
    strands_ok = all(x == y or motif in symmetric for x, y, motif in zip(found[3], want[3], want[:2]))
    return found[:2] == want[:2] and strands_ok and abs(found[2] - want[2]) <= tol


def evaluate(model: str, ckpt: str, table: Path, sim, background, out: Path) -> dict:
    res: dict = {"test_auroc": round(test_auroc(ckpt, table), 4)}
    meme, rules_path = out / f"{model}.meme", out / f"{model}_rules.tsv"
    rc, log = quiet_cli(["motifs", ckpt, "-o", str(meme), "--data", str(table), "--force"])
    try:
        learned = read_meme(meme) if rc == 0 and meme.exists() else []
    except ValueError:  # an empty export (no filter passed the hygiene) has no MOTIF line
        learned = []
    rec = motif_recovery(learned, sim.motifs, background) if learned else None
    res.update({"recall": f"{rec['n_recovered'] if rec else 0}/{len(sim.motifs)}",
                "precision": round(rec["precision"], 2) if rec else 0.0,
                "n_exported": len(learned), "non_redundant": non_redundant(learned, background) if learned else 0})
    truths = sim.targets.attrs.get("rules")
    if truths is None:  # a preset without planted syntax (e.g. multilabel): recall and precision only
        res.update({"top_rule": "n/a (no planted syntax)", "top_is_planted": None})
        return res
    if truths[0].get("motif_b") is None:
        res.update({"top_rule": "n/a (single TF)", "top_is_planted": None})
        return res
    rc, log = quiet_cli(["syntax", ckpt, "-o", str(rules_path), "--data", str(table), "--force"])
    if rc != 0 or not rules_path.exists():
        res.update({"top_rule": f"syntax failed: {log.strip()[-80:]}", "top_is_planted": False})
        return res
    rules = pd.read_csv(rules_path, sep="\t")
    if "q" in rules.columns:
        sig = rules[rules["q"].astype(float) < 0.05]
        res["n_significant"] = len(sig)
    else:
        sig = rules
    if not len(sig):
        res.update({"top_rule": "- (no significant rule)", "top_is_planted": False})
        return res
    order = [m.name for m in sim.motifs]
    names = {m.name: m.altname for m in sim.motifs}
    ident = identities(learned, sim.motifs, background) if learned else {}
    frames = named_frames(learned, ident, sim.motifs, background) if learned else {}
    top = sig.iloc[0]
    found = translate(top, ident, order, frames)
    effect = float(top["effect"]) if "effect" in top and pd.notna(top["effect"]) else None
    sym = palindromic(sim.motifs)
    res["top_is_planted"] = bool(any(planted_match(found, effect, t, order, sym) for t in truths))
    # the same ignoring orientation and order: both motifs named, |distance| within 1 bp (spacing rules only)
    res["top_pair_distance"] = bool(found and any(
        t.get("motif_b") and {found[0], found[1]} == {t["motif_a"], t["motif_b"]} and t.get("distance") is not None
        and pd.notna(t.get("distance")) and abs(abs(found[2]) - abs(float(t["distance"]))) <= 1 for t in truths))
    kind = f" [{top['kind']}]" if "kind" in top and pd.notna(top.get("kind")) else ""
    eff = f" eff {effect:+.2g}" if effect is not None else ""
    if found:
        res["top_rule"] = f"{names[found[0]]} {names[found[1]]} {found[2]:g} {found[3]}{kind}{eff}"
    else:
        res["top_rule"] = (f"{top['motif_a']} {top['motif_b']} {top.get('distance', '')} {top.get('orientation', '')}"
                           f"{kind}{eff} (unnamed)")
    hits = [i + 1 for i, (_, r) in enumerate(sig.iterrows())
            if any(planted_match(translate(r, ident, order, frames),
                                 float(r["effect"]) if "effect" in r and pd.notna(r["effect"]) else None, t, order,
                                 sym)
                   for t in truths)]
    res["planted_rank"] = hits[0] if hits else None
    return res


def row(r: dict) -> str:
    ref = ARGMINN_AUROC.get(r["preset"], "")
    planted = {True: "**yes**", False: "no", None: "n/a"}[r.get("top_is_planted")]
    if r.get("top_is_planted") is False and r.get("top_pair_distance"):
        planted = "pair and distance only"
    return (f"| {r['preset']} | {r['seed']} | {r['model']} | {r['test_auroc']:.3f} | {ref} | {r['recall']} | "
            f"{r['precision']:.2f} | {r['n_exported']} | {r['non_redundant']} | {r['top_rule']} | {planted} | "
            f"{r.get('planted_rank') or '-'} | {r['epochs']} | {r['s_per_epoch']} | {r.get('cpu_s_per_epoch', '-')} |")


HEADER = ("| preset | seed | model | test auROC | ARGMINN (paper) | recall | precision | exported | non-redundant | "
          "top significant rule (planted terms) | planted on top? | planted rank | epochs | s/epoch | CPU s/epoch |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="benchmarks/out/argminn_bench")
    ap.add_argument("--presets", nargs="+", default=PRESETS)
    ap.add_argument("--seeds", nargs="+", type=int, default=[0])
    ap.add_argument("--models", nargs="+", default=["argminn", "argminn_pairwise", "expcnn_shallow"])
    ap.add_argument("--n", type=int, default=3000, help="sequences per simulated set (presets default to 8,000)")
    ap.add_argument("--length", type=int, default=None, help="override the preset's sequence length")
    ap.add_argument("--epochs", nargs="+", default=["argminn=30", "argminn_pairwise=20", "expcnn_shallow=20"],
                    help="model=max_epochs")
    ap.add_argument("--config", nargs="+", default=[], metavar="MODEL=YAML",
                    help="train MODEL from another config (a candidate) instead of configs/<model>.yaml; use a fresh --out")
    ap.add_argument("--table", action="store_true", help="only print the table from OUT/results.jsonl")
    ap.add_argument("--reeval", action="store_true",
                    help="recompute motifs, rules and scores of every run in OUT/results.jsonl from its checkpoint")
    ap.add_argument("--step", action="store_true", help="time one training step of each of --variants (see above)")
    ap.add_argument("--variants", nargs="+", default=["expcnn_shallow", "argminn"],
                    help="for --step: model[:key=value,...] (arch_kwargs overrides of the shipped config)")
    ap.add_argument("--repeats", type=int, default=5, help="for --step: timed rounds (best of)")
    ap.add_argument("--before", default=None, help="for --step: git revision whose argminn the before:... variants use")
    ap.add_argument("--batch", type=int, default=128, help="for --step: batch size")
    ap.add_argument("--speed", action="store_true",
                    help="only train (no evaluation) and print seconds per epoch with the machine's load average, "
                         "to OUT/speed.jsonl")
    args = ap.parse_args()
    for spec in args.config:
        model, _, path = spec.partition("=")
        if model not in CONFIGS or not Path(path).is_file():
            ap.error(f"--config {spec}: expected MODEL=YAML with MODEL one of {', '.join(CONFIGS)} and an existing file")
        CONFIGS[model] = path
    torch.set_num_threads(1)  # one core per run on the shared machine (and OMP_NUM_THREADS=1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    log = out / "results.jsonl"
    if args.table:
        print(HEADER)
        for line in log.read_text().splitlines():
            print(row(json.loads(line)))
        return
    if args.step:
        load = os.getloadavg()[0]
        times, cpu = step_times(args.variants, args.length or 500, args.batch, args.repeats, before=args.before)
        ref, ref_cpu = times[args.variants[0]], cpu[args.variants[0]]
        print(f"| variant | s/step (wall) | x {args.variants[0]} | CPU s/step | x {args.variants[0]} |\n"
              "|---|---|---|---|---|")
        for spec, t in times.items():
            print(f"| `{spec}` | {t:.3f} | {t / ref:.2f} | {cpu[spec]:.3f} | {cpu[spec] / ref_cpu:.2f} |")
        r = {"length": args.length or 500, "batch": args.batch, "repeats": args.repeats, "times": times, "cpu": cpu,
             "load_before": round(load, 2), "load_after": round(os.getloadavg()[0], 2),
             "date": time.strftime("%Y-%m-%d %H:%M")}
        print(json.dumps(r))
        with (out / "step.jsonl").open("a") as fh:
            fh.write(json.dumps(r) + "\n")
        return
    epochs = {k: int(v) for k, v in (e.split("=") for e in args.epochs)}
    background = load_jaspar()
    if args.reeval:
        rows = [json.loads(line) for line in log.read_text().splitlines()]
        print(HEADER, flush=True)
        for r in rows:
            sim = simulate(r["preset"], seed=r["seed"], n=r["n"], length=r["length"])
            folder = out / f"{r['preset']}_s{r['seed']}"
            r.update(evaluate(r["model"], r["checkpoint"], folder / "data.tsv.gz", sim, background, folder))
            print(row(r), flush=True)
        log.write_text("".join(json.dumps(r) + "\n" for r in rows))
        return
    if not args.speed:
        print(HEADER, flush=True)
    for seed in args.seeds:
        for preset in args.presets:
            over = {"n": args.n} | ({"length": args.length} if args.length else {})
            sim = simulate(preset, seed=seed, **over)
            folder = out / f"{preset}_s{seed}"
            folder.mkdir(parents=True, exist_ok=True)
            table = folder / "data.tsv.gz"
            sim.write(table, folder / "planted.meme", folder / "sites.tsv", seed=seed)
            for model in args.models:
                load = os.getloadavg()[0]
                ckpt, seconds, n_epochs, cpu = fit(model, table, folder / model, epochs.get(model, 20), seed)
                if args.speed:
                    r = {"preset": preset, "seed": seed, "model": model, "n": len(sim.sequences),
                         "length": len(sim.sequences[0]), "epochs": n_epochs,
                         "s_per_epoch": round(seconds / n_epochs, 2),
                         "cpu_s_per_epoch": round(cpu / n_epochs, 2),
                         "load_before": round(load, 1), "load_after": round(os.getloadavg()[0], 1),
                         "date": time.strftime("%Y-%m-%d %H:%M")}
                    print(json.dumps(r), flush=True)
                    with (out / "speed.jsonl").open("a") as fh:
                        fh.write(json.dumps(r) + "\n")
                    continue
                r = {"preset": preset, "seed": seed, "model": model, "n": len(sim.sequences),
                     "length": len(sim.sequences[0]), "config": CONFIGS[model], "epochs": n_epochs, "train_s": round(seconds, 1),
                     "s_per_epoch": round(seconds / max(n_epochs, 1), 1),
                     "cpu_s_per_epoch": round(cpu / max(n_epochs, 1), 1), "checkpoint": ckpt,
                     "date": time.strftime("%Y-%m-%d %H:%M")}
                r.update(evaluate(model, ckpt, table, sim, background, folder))
                print(row(r), flush=True)
                with log.open("a") as fh:
                    fh.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    sys.exit(main())
