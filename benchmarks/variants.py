"""Variant effects explained by named motifs (issue 18): simulated variants with known answers.

Per seed: simulate the ``multilabel`` preset (10 planted JASPAR motifs, one binary target per motif),
train an exp CNN (``configs/expcnn.yaml``), ExplaiNN (``configs/explainn.yaml``) and the same CNN with
ReLU first-layer activations, export and name each model's motifs (``model_motifs`` over all sequences
-> TOMTOM against JASPAR 2024 -> ``name_motifs``, as ``motifzoo motifs`` + ``motifzoo variants --database
jaspar``: the best match followed by the matches TOMTOM cannot tell apart from it), and score variants drawn
from the test split (:func:`motifzoo.data.simulate_variants.simulate_variants`: ``break`` SNVs at a planted
site's most informative position, by default only at sites the generating PWM calls at p <= 1e-4,
``--max-site-p none`` at every planted site; matched ``background`` SNVs in the same sequences outside every
site, ``create`` SNVs that complete a site) with :func:`motifzoo.interpret.variant_effects`.

Metrics (on the row of the planted TF's target; a background SNV takes the target of the break SNV it is
matched to):

* AUROC of ``|delta|`` separating ``break`` from ``background`` (and ``create`` from ``background``);
* named: the fraction of ``break`` SNVs whose top ``motif`` is annotated as the planted TF (JASPAR id or
  TF name of the best match in the motif's label); named_ties: the same, counting any of the names in the
  label (the best match and the ones indistinguishable from it), with names_per_label their mean number;
  planted_among_matches: the planted JASPAR motif is among
  that filter's significant matches (the best or the next ones TOMTOM reports at q < 0.05), which counts a
  filter named after a paralog (CEBPE for CEBPB, HNF4G for HNF4A) when it matches the planted motif too;
  named_vs_planted: the top filter's best match (q < 0.05) when annotated against the 10 planted motifs alone;
* the median ``explained`` over ``break`` SNVs;
* baselines: the ReLU CNN's raw ``|delta|`` and a FIMO-like scan: for every motif the exp CNN exported,
  the best log-odds window (both strands) of ref and alt turned into a p-value under a uniform background
  (exact score distribution, 0.1-bit bins); the variant scores max over motifs of ``|Δ -log10 p|``;
* seconds per 10,000 variants of ``variant_effects`` (CPU, the threads given).

    OMP_NUM_THREADS=1 python benchmarks/variants.py --seeds 0 1 2
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
from motifzoo.data.encoding import one_hot
from motifzoo.data.simulate import simulate
from motifzoo.data.simulate_variants import MAX_SITE_P, score_survival, simulate_variants
from motifzoo.data.tables import random_split
from motifzoo.interpret import annotate, load_database, metrics, model_motifs
from motifzoo.interpret.variants import NAME_SEPARATOR, name_motifs, variant_effects

MODELS = {
    "exp CNN": ("configs/expcnn.yaml", {}),
    "ExplaiNN": ("configs/explainn.yaml", {}),
    "ReLU CNN": ("configs/expcnn.yaml", {"arch_kwargs": {"activation": "relu"}}),
}


def auroc(pos, neg) -> float:
    """AUROC of scores ``pos`` (positives) against ``neg`` (:func:`motifzoo.interpret.metrics.auroc`)."""
    pos, neg = np.asarray(pos, float), np.asarray(neg, float)
    return metrics.auroc(np.r_[np.ones(len(pos)), np.zeros(len(neg))], np.r_[pos, neg])


# --------------------------------------------------------------------------------------------
# FIMO-like baseline
# --------------------------------------------------------------------------------------------
def fimo_like_change(motifs, ref: list[str], alt: list[str]) -> np.ndarray:
    """Per variant, the largest ``|Δ -log10 p|`` of the best window (both strands) over ``motifs``."""
    x_ref, x_alt = one_hot(ref), one_hot(alt)
    best = np.zeros(len(ref))
    for m in motifs:
        lo_int, lo_min, survival = score_survival(m.pwm)
        w = torch.as_tensor(lo_int.T, dtype=torch.float32)[None]  # (1, 4, W)
        w = torch.cat([w, w.flip(1, 2)])  # forward and reverse strand
        scores = []
        for x in (x_ref, x_alt):
            s = torch.nn.functional.conv1d(x, w).amax(dim=(1, 2)).round().long().numpy()
            idx = np.clip(s - lo_min, 0, len(survival) - 1)
            scores.append(-np.log10(np.maximum(survival[idx], 1e-300)))
        best = np.maximum(best, np.abs(scores[1] - scores[0]))
    return best


# --------------------------------------------------------------------------------------------
# one seed
# --------------------------------------------------------------------------------------------
def label_names(label) -> list[str]:
    """The database names in a motif label: ``filter6 CEBPE_MA0837.3/CEBPB_MA0466.4`` -> both; ``filter9`` -> []."""
    parts = str(label).split(" ", 1)
    return parts[1].split(NAME_SEPARATOR) if len(parts) == 2 else []


def named(label: str, motif_id: str, tf: str, ties: bool = False) -> bool:
    """Whether a motif label (``filter3 CTCF_MA0139.2``) names the planted TF: its JASPAR id, or its TF name as
    ``TF_ID``. ``ties``: any of the names in a ``/`` list counts; otherwise the first (best match) alone."""
    names = label_names(label)
    return any(motif_id in n or n.upper().startswith(f"{tf.upper()}_") for n in (names if ties else names[:1]))


def truth_rows(effects: pd.DataFrame, variants: pd.DataFrame, target_of: dict) -> pd.DataFrame:
    """One effects row per variant: that of the planted TF's target (background: its matched break's)."""
    v = variants.copy()
    partner = v["motif"].where(v["kind"] != "background")
    # background k is matched to break k (same sequence): simulate_variants emits them in pairs
    breaks = v.loc[v["kind"] == "break", "motif"].tolist()
    bg_idx = v.index[v["kind"] == "background"]
    partner.loc[bg_idx] = breaks[:len(bg_idx)]
    v["target"] = partner.map(target_of)
    merged = v[["name", "kind", "motif", "tf", "target"]].merge(
        effects, left_on=["name", "target"], right_on=["variant", "target"], suffixes=("_truth", ""))
    return merged


def best_score(checkpoint) -> float:
    """The validation score of the checkpoint that is scored (its ModelCheckpoint's best), not of the last epoch."""
    callbacks = torch.load(checkpoint, map_location="cpu", weights_only=True).get("callbacks", {})
    scores = [v.get("best_model_score") for k, v in callbacks.items() if k.startswith("ModelCheckpoint")]
    return float(scores[0]) if scores and scores[0] is not None else float("nan")


def run_seed(seed: int, args, database) -> list[dict]:
    out = Path(args.out) / f"seed{seed}"
    out.mkdir(parents=True, exist_ok=True)
    sim = simulate("multilabel", seed=seed, n=args.n)
    table = out / "data.tsv.gz"
    sim.write(table, seed=seed)
    split = random_split(len(sim.sequences), 0.1, 0.1, seed + 7919)
    test_rows = np.flatnonzero(split == "test")
    variants = simulate_variants(sim, n=args.n_variants, rows=test_rows, seed=seed, max_site_p=args.max_site_p)
    # the break-site rule's variants and effects in their own folder, the checkpoints shared
    work = out if args.max_site_p == MAX_SITE_P else out / f"sites_p{args.max_site_p}"
    if args.flank:  # motifs exported with flanks: their own folder, so the first protocol's files stay
        work = work / f"flank{args.flank}"
    work.mkdir(parents=True, exist_ok=True)
    variants.to_csv(work / "variants.tsv", sep="\t", index=False)
    sites = "all planted" if args.max_site_p is None else f"called (p ≤ {args.max_site_p:g})"
    target_of = {m.name: f"{m.altname}_{m.name}" for m in sim.motifs}
    x_all = one_hot(sim.sequences)
    rows, exp_motifs = [], None
    for name, (config, model_cfg) in MODELS.items():
        if args.models and name not in args.models:
            continue
        tag = name.replace(" ", "_").lower()
        done = sorted((out / tag).glob("**/checkpoints/best.ckpt")) if args.reuse else []
        t0 = time.perf_counter()
        if done:
            best = done[-1]
        else:
            overrides = {"model": model_cfg} if model_cfg else {}
            with contextlib.redirect_stdout(io.StringIO()):
                result = motifzoo.fit(config, data={"path": str(table)}, seed_everything=seed, **overrides,
                                      trainer={"max_epochs": args.epochs, "default_root_dir": str(out / tag),
                                               "enable_progress_bar": False, "enable_model_summary": False},
                                      early_stopping={"patience": args.patience})
            best = result.best_checkpoint
        train_s = time.perf_counter() - t0
        val = best_score(best)
        model = motifzoo.load(best)
        motifs, _ = model_motifs(model, x_all, flank=args.flank)
        annotation = annotate(motifs, database, significant_only=False) if motifs else None
        # best match plus the matches TOMTOM cannot tell apart from it; the best alone is the first name
        labelled = name_motifs(motifs, database) if motifs else None
        # every JASPAR id each exported filter matches significantly (best match and the next ones)
        matches = {}
        if annotation is not None:
            for r in annotation.itertuples(index=False):
                ids = {str(o).rsplit("_", 1)[-1] for o in str(r.other_matches or "").split(",") if o}
                matches[r.motif] = (ids | {r.match_id}) if r.significant else set()
        # the same filters named against the 10 planted motifs only (no paralogs to compete with)
        planted_named = {}
        if motifs:
            for r in annotate(motifs, sim.motifs, significant_only=False).itertuples(index=False):
                planted_named[r.motif] = r.match_id if r.significant else ""
        if name == "exp CNN":
            exp_motifs = labelled
        t0 = time.perf_counter()
        effects = variant_effects(model, variants["ref"].tolist(), variants["alt"].tolist(),
                                  names=variants["name"].tolist(), motifs=labelled, batch_size=256)
        score_s = time.perf_counter() - t0
        effects.to_csv(work / f"effects_{tag}.tsv", sep="\t", index=False)
        t = truth_rows(effects, variants, target_of)
        brk, bg, cre = (t[t["kind"] == k] for k in ("break", "background", "create"))
        rows.append({
            "seed": seed, "model": name, "break_sites": sites, "flank": args.flank, "val_auroc": round(val, 3),
            "motifs_exported": len(motifs),
            "auroc_break": round(auroc(brk["delta"].abs(), bg["delta"].abs()), 3),
            "auroc_create": round(auroc(cre["delta"].abs(), bg["delta"].abs()), 3),
            "named_break": round(float(np.mean([named(m, i, tf) for m, i, tf in
                                                zip(brk["motif"], brk["motif_truth"], brk["tf"])])), 3),
            "named_ties": round(float(np.mean([named(m, i, tf, ties=True) for m, i, tf in
                                               zip(brk["motif"], brk["motif_truth"], brk["tf"])])), 3),
            "names_per_label": round(float(np.mean([len(label_names(m)) for m in brk["motif"]])), 2),
            "named_create": round(float(np.mean([named(m, i, tf) for m, i, tf in
                                                 zip(cre["motif"], cre["motif_truth"], cre["tf"])])), 3),
            "named_vs_planted": round(float(np.mean([planted_named.get(str(m).split(" ")[0]) == i for m, i in
                                                     zip(brk["motif"], brk["motif_truth"])])), 3),
            "planted_among_matches": round(float(np.mean([i in matches.get(str(m).split(" ")[0], set()) for m, i in
                                                          zip(brk["motif"], brk["motif_truth"])])), 3),
            "median_explained": round(float(brk["explained"].median()), 3),
            "break_delta_negative": round(float((brk["delta"] < 0).mean()), 3),
            "s_per_10k": round(score_s / len(variants) * 10_000, 1), "train_s": round(train_s),
            "n_break": len(brk), "n_background": len(bg), "n_create": len(cre)})
        print(json.dumps(rows[-1]), flush=True)
    # FIMO-like baseline on the exp CNN's exported motifs
    if exp_motifs:
        change = fimo_like_change(exp_motifs, variants["ref"].tolist(), variants["alt"].tolist())
        kinds = variants["kind"].to_numpy()
        rows.append({"seed": seed, "model": "FIMO-like scan (exp CNN motifs)", "break_sites": sites, "flank": args.flank,
                     "motifs_exported": len(exp_motifs),
                     "auroc_break": round(auroc(change[kinds == "break"], change[kinds == "background"]), 3),
                     "auroc_create": round(auroc(change[kinds == "create"], change[kinds == "background"]), 3)})
        print(json.dumps(rows[-1]), flush=True)
    return rows


#: columns of the published table: (result key, header)
TABLE = [("model", "model"), ("seed", "seed"), ("break_sites", "break SNVs at"), ("flank", "flank"),
         ("val_auroc", "val AUROC"),
         ("motifs_exported", "motifs"), ("auroc_break", "AUROC break"), ("auroc_create", "AUROC create"),
         ("named_break", "named (JASPAR best)"), ("named_ties", "named (JASPAR, ties)"),
         ("names_per_label", "names / label"),
         ("named_vs_planted", "named (vs planted)"), ("planted_among_matches", "planted among matches"),
         ("median_explained", "median explained"), ("break_delta_negative", "break Δ < 0"),
         ("s_per_10k", "s / 10k")]


def _cell(v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, float) and v.is_integer() and abs(v) >= 10:
        return str(int(v))
    return str(v)


def pipe_table(frame: pd.DataFrame) -> str:
    """Every column of ``frame`` as a pipe table, headed by the column names."""
    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    return "\n".join(lines + ["| " + " | ".join(_cell(v) for v in r) + " |" for r in frame.itertuples(index=False)])


def markdown(frame: pd.DataFrame) -> str:
    """The published pipe table (no tabulate needed); missing values as blanks."""
    cols = [(k, h) for k, h in TABLE if k in frame.columns]
    lines = ["| " + " | ".join(h for _, h in cols) + " |", "|" + "---|" * len(cols)]
    for row in frame.to_dict("records"):
        lines.append("| " + " | ".join(_cell(row.get(k)) for k, _ in cols) + " |")
    return "\n".join(lines)


def break_snv_naming(seed_dirs) -> pd.DataFrame:
    """Post hoc, from saved effects: one row per break SNV and model, with how its top motif is named.

    ``responsive``: its ``|delta|`` exceeds the 95th percentile of the background SNVs' on the same model and seed.
    ``named``: the best JASPAR match in the top ``motif`` label matches the planted motif (TOMTOM q < 0.05 against
    the 10 planted motifs), which counts paralog labels (CEBPE for CEBPB) as right. ``named_ties``: the label names
    the planted TF among its indistinguishable matches (:func:`named` with ``ties``).
    """
    from motifzoo.data.simulate import MULTILABEL_MOTIFS
    from motifzoo.motifs import load_jaspar
    planted = load_jaspar(MULTILABEL_MOTIFS)
    jaspar = {m.name: m for m in load_database("jaspar")}
    target_of = {m.name: f"{m.altname}_{m.name}" for m in planted}
    cache: dict[str, str] = {}

    def planted_of(label) -> str:
        names = label_names(label)
        jid = names[0].rsplit("_", 1)[-1] if names else ""
        if jid not in jaspar:
            return ""
        if jid not in cache:
            hit = annotate([jaspar[jid]], planted, significant_only=False).iloc[0]
            cache[jid] = hit.match_id if hit.significant else ""
        return cache[jid]

    parts = []
    for d in seed_dirs:
        d = Path(d)
        variants = pd.read_csv(d / "variants.tsv", sep="\t", keep_default_na=False)
        for effects_path in sorted(d.glob("effects_*.tsv")):
            t = truth_rows(pd.read_csv(effects_path, sep="\t"), variants, target_of)
            brk, bg = t[t["kind"] == "break"], t[t["kind"] == "background"]
            parts.append(pd.DataFrame({
                "run": f"{d.name} {effects_path.stem.removeprefix('effects_')}",
                "model": effects_path.stem.removeprefix("effects_"), "tf": brk["tf"].to_numpy(),
                "named": [planted_of(m) == i for m, i in zip(brk["motif"], brk["motif_truth"])],
                "named_ties": [named(m, i, tf, ties=True) for m, i, tf in
                               zip(brk["motif"], brk["motif_truth"], brk["tf"])],
                "responsive": (brk["delta"].abs() > bg["delta"].abs().quantile(0.95)).to_numpy()}))
    return pd.concat(parts, ignore_index=True)


def responsive_naming(seed_dirs) -> pd.DataFrame:
    """Naming of break SNVs split by whether the model responds to them, per run (:func:`break_snv_naming`)."""
    rows = []
    for run, g in break_snv_naming(seed_dirs).groupby("run", sort=False):
        ok, responsive = g["named"].to_numpy(), g["responsive"].to_numpy()
        rows.append({"run": run, "break SNVs": len(g), "named": round(float(ok.mean()), 3),
                     "responsive": int(responsive.sum()),
                     "named among responsive": round(float(ok[responsive].mean()), 3),
                     "named among the rest": round(float(ok[~responsive].mean()), 3)})
    return pd.DataFrame(rows)


def naming_by_tf(seed_dirs) -> pd.DataFrame:
    """Per planted TF and model, pooled over the seed folders: the fraction of break SNVs the model responds to,
    and the fraction whose label names the planted TF (ties counted)."""
    frame = break_snv_naming(seed_dirs)
    table = frame.groupby(["model", "tf"]).agg(n=("tf", "size"), responsive=("responsive", "mean"),
                                               named_ties=("named_ties", "mean")).round(2).reset_index()
    return table.pivot(index="tf", columns="model", values=["responsive", "named_ties"]).pipe(
        lambda t: t.set_axis([f"{b} {a}" for a, b in t.columns], axis=1)).reset_index()


def syntax_seed(seed: int, data: str, checkpoint: str, args) -> dict:
    """The syntax kinds on the ``spacing`` preset: does ``|delta|`` single out the variants that change a planted pair?

    ``data`` must be ``simulate("spacing", seed=seed, n=args.n)`` as written by ``motifzoo simulate`` (checked), and
    ``checkpoint`` a model trained on it. Variants come from its test split. ``spacing`` (6 bp deleted between the
    pair) and ``orientation`` (site b reverse complemented) are scored against the ``background`` SNVs; on the
    positives (the pair in its planted arrangement) they break the syntax, on the negatives they mostly move one
    other arrangement to another, so both are reported.
    """
    sim = simulate("spacing", seed=seed, n=args.n)
    table = pd.read_csv(data, sep="\t")
    if table["sequence"].tolist() != sim.sequences:
        raise SystemExit(f"{data} is not simulate('spacing', seed={seed}, n={args.n})")
    split = random_split(len(sim.sequences), 0.1, 0.1, seed + 7919)
    if not (table["split"].to_numpy() == split).all():
        raise SystemExit(f"{data}: its split is not the one motifzoo simulate writes for seed {seed}")
    variants = simulate_variants(sim, n=args.n_variants, rows=np.flatnonzero(split == "test"), seed=seed,
                                 max_site_p=args.max_site_p)
    model = motifzoo.load(checkpoint)
    t0 = time.perf_counter()
    effects = variant_effects(model, variants["ref"].tolist(), variants["alt"].tolist(),
                              names=variants["name"].tolist(), batch_size=256)
    score_s = time.perf_counter() - t0
    v = variants.assign(delta=effects["delta"].to_numpy(),  # one target: one row per variant, in order
                        positive=sim.targets.iloc[variants["sequence"], 0].to_numpy() > 0.5)
    bg = v.loc[v["kind"] == "background", "delta"].abs()
    row = {"seed": seed, "model": model.model_name, "s_per_10k": round(score_s / len(v) * 10_000, 1)}
    for kind in ("break", "spacing", "orientation"):
        k = v[v["kind"] == kind]
        pos = k[k["positive"]]
        row[f"n_{kind}"] = f"{len(pos)}/{len(k)}"
        row[f"auroc_{kind}_positives"] = round(auroc(pos["delta"].abs(), bg), 3)
        row[f"auroc_{kind}_all"] = round(auroc(k["delta"].abs(), bg), 3)
        row[f"{kind}_positives_delta_negative"] = round(float((pos["delta"] < 0).mean()), 3)
    print(json.dumps(row), flush=True)
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--n", type=int, default=8000, help="simulated sequences per seed")
    ap.add_argument("--n-variants", type=int, default=300, help="variants per kind")
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--patience", type=int, default=3, help="early stopping patience (epochs) on validation AUROC")
    ap.add_argument("--models", nargs="+", choices=list(MODELS), help="only these models (default: all)")
    ap.add_argument("--out", default="benchmarks/out/variants")
    ap.add_argument("--reuse", action="store_true", help="reuse checkpoints already under --out (score again only)")
    ap.add_argument("--max-site-p", type=lambda v: None if v.lower() == "none" else float(v), default=MAX_SITE_P,
                    help="break SNVs only at planted sites the generating PWM calls at this p-value ('none': at every "
                         "planted site, the first rule; variants and effects then go to seedN/sites_pNone/)")
    ap.add_argument("--flank", type=int, default=0, metavar="N",
                    help="export the motifs with model_motifs(flank=N) (`motifzoo motifs --flank N`): a motif that "
                         "reaches its filter's edge is read up to N bases further on its sites (default 0, the "
                         "filter's window only; with N > 0 variants and effects go to <seed folder>/flankN/)")
    ap.add_argument("--collect", nargs="+", metavar="LOG",
                    help="only print the table of the result lines (JSON, one per model) in these logs")
    ap.add_argument("--by-tf", nargs="+", metavar="SEED_DIR",
                    help="only print the per-TF naming table (naming_by_tf) of these seed folders, pooled")
    ap.add_argument("--responsive", nargs="+", metavar="SEED_DIR",
                    help="only print the post-hoc naming table (responsive_naming) of these seed folders")
    ap.add_argument("--syntax", nargs=3, action="append", metavar=("SEED", "DATA", "CKPT"),
                    help="only score the syntax kinds (spacing, orientation) on the spacing preset of this seed (DATA: "
                         "the table `motifzoo simulate spacing` wrote) with this checkpoint; repeatable")
    args = ap.parse_args()
    if args.syntax:
        torch.set_num_threads(max(1, torch.get_num_threads()))
        rows = [syntax_seed(int(seed), data, ckpt, args) for seed, data, ckpt in args.syntax]
        print(pipe_table(pd.DataFrame(rows)))
        return
    if args.responsive:
        print(pipe_table(responsive_naming(args.responsive)))
        return
    if args.by_tf:
        print(pipe_table(naming_by_tf(args.by_tf)))
        return
    if args.collect:
        rows = {}
        for log in args.collect:
            for line in Path(log).read_text().splitlines():
                if line.startswith("{"):
                    row = json.loads(line)
                    row.setdefault("break_sites", "all planted")  # logs from before the called-site rule
                    row.setdefault("flank", 0)  # logs from before --flank
                    rows[(row["seed"], row["model"], row["break_sites"], row["flank"])] = row
        order = {name: i for i, name in enumerate(MODELS)}
        print(markdown(pd.DataFrame(sorted(rows.values(), key=lambda r: (r["break_sites"] == "all planted",
                                                                          r["flank"], order.get(r["model"], 9),
                                                                          r["seed"])))))
        return
    torch.set_num_threads(max(1, torch.get_num_threads()))
    database = load_database("jaspar")
    rows = []
    for seed in args.seeds:
        rows += run_seed(seed, args, database)
        pd.DataFrame(rows).to_csv(Path(args.out) / "results.tsv", sep="\t", index=False)
    frame = pd.DataFrame(rows)
    print(markdown(frame))


if __name__ == "__main__":
    main()
