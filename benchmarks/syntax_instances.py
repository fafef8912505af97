"""Instance calls against planted sites: motifzoo's shuffled-null calls vs FIMO on the same exported PWMs.

1. Simulates the ``multilabel`` preset (10 JASPAR motifs, 1-3 planted sites per sequence; the planted
   sites are the truth) and trains ``configs/expcnn.yaml`` through :func:`motifzoo.fit` (or reads
   ``--checkpoint``).
2. Exports the motifs as ``motifzoo motifs --data`` does (:func:`motif_geometry`), groups redundant
   filters into motifs (:func:`motif_groups`, as the report) and names each motif by the planted motif
   its representative matches (TOMTOM q < 0.05 against the 10 planted motifs + JASPAR).
3. motifzoo: :func:`call_instances` at a grid of ``--p`` thresholds and of ``--q`` (false discovery
   rate over each filter's windows), merged to motif level.
   FIMO (pymemesuite 0.1.0a4, both strands, uniform background) scans the same exported PWMs; its
   hits go through the same per-filter (best within +-W/2) and per-motif merging, so the only
   difference is how a window is scored and given a p-value. FIMO's q: Benjamini-Hochberg over
   every window of the motif (FIMO's ``--qv-thresh`` with pi0 = 1), the same rule as motifzoo's.
4. A call is correct when it overlaps >= 50 % of a planted site of the motif its motif matches.
   precision = correct / calls of matched motifs; recall = planted sites hit / planted sites of the
   motifs recovered (sites of motifs the model never learned are counted separately).
5. "Better than FIMO at equal recall" is a paired comparison: for each motifzoo p, FIMO's precision at
   motifzoo's recall (interpolated along FIMO's p curve), and a 95 % interval of the difference from
   ``--bootstrap`` resamples of the sequences (both callers on each resample).
6. #14's target as one comparison per run, fixed before looking at FIMO: the *operating point* is motifzoo's
   loosest p, on a grid of 21 log-spaced values from 1e-5 to 1e-3 plus those of step 3, whose precision
   reaches 0.9; its recall (target >= 0.6) and the paired difference with FIMO there are printed.
7. The ceiling: the planted sites are drawn from the planted PWMs, so FIMO scanning with those PWMs (not the
   learned ones) scores each window by its true log-odds, the best a PWM scanner can do window by window.
   Its best recall at precision >= 0.9, and its precision at motifzoo's operating recall, on the sites of the
   same recovered motifs, are printed last, after a per-motif table of the three callers at the operating p
   (which motifs the learned filters lose).

    OMP_NUM_THREADS=1 python benchmarks/syntax_instances.py --out benchmarks/out/syntax_instances [--epochs 10]

``--motif-level`` adds rows where a motif of k exported filters is tested k times per window: its call's
p is k x the best filter's p (Bonferroni), for both callers, thresholded after merging.

``--checkpoint`` reads any zoo model trained on the same simulation (``--seed``, ``-n``); for models with
attention (``argminn``) ``--attention-threshold`` T > 0 also asks for attention >= T x uniform at a call's position
(as ``motifzoo instances --attention-threshold``; both default to 0, no gate).

Prints Markdown tables and writes results.json in --out.
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
from motifzoo.data.simulate import simulate
from motifzoo.data.tables import read_onehot
from motifzoo.interpret.compare import tomtom
from motifzoo.interpret.instances import call_instances, score_null, site_overlap
from motifzoo.interpret.syntax import motif_geometry, motif_groups, motif_instances
from motifzoo.motifs import load_jaspar, write_meme

P_GRID = (1e-3, 3e-4, 1e-4, 5e-5, 3e-5, 1e-5)
#: the operating point: motifzoo's loosest p (on ``DENSE_GRID``) whose precision reaches this (#14's target)
TARGET_PRECISION = 0.9
DENSE_GRID = tuple(sorted(set(np.round(np.logspace(-5, -3, 21), 12).tolist()) | set(P_GRID), reverse=True))
#: false discovery rates: motifzoo's ``--q`` and, for FIMO, the same Benjamini-Hochberg q over its windows
Q_GRID = (0.3, 0.2, 0.1, 0.05, 0.02)


def bh_over_windows(p: np.ndarray, n_windows: int) -> np.ndarray:
    """Benjamini-Hochberg q of each hit's p among ``n_windows`` tested windows (the hits are every window with
    p up to the scan's threshold, so their ranks are the ranks among all windows)."""
    order = np.argsort(p, kind="stable")
    ranked = np.minimum(1.0, n_windows * p[order] / np.arange(1, len(p) + 1))
    q = np.empty(len(p))
    q[order] = np.minimum.accumulate(ranked[::-1])[::-1]
    return q


def train(table: Path, root: Path, epochs: int, seed: int) -> str:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        result = motifzoo.fit("configs/expcnn.yaml", args=["--data.path", str(table), "--trainer.default_root_dir",
                                                           str(root), "--trainer.max_epochs", str(epochs),
                                                           "--seed_everything", str(seed),
                                                           "--trainer.enable_model_summary", "false"])
    return str(result.best_checkpoint)


def planted_match(motifs, planted) -> dict:
    """Exported motif name -> planted motif id (best TOMTOM target among planted + JASPAR, q < 0.05)."""
    table = tomtom(motifs, list(planted) + [m for m in load_jaspar() if m.name not in {p.name for p in planted}])
    best = table.sort_values("p").groupby("query").head(1)
    ids = {p.name for p in planted}
    return {r.query: r.target for r in best.itertuples() if r.q < 0.05 and r.target in ids}


def fimo_calls(meme: Path, sequences: list[str], geometry: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """FIMO hits (both strands, p <= threshold) of every motif in ``meme``, in :func:`call_instances` columns."""
    from pymemesuite.common import Alphabet, Array, Background, MotifFile, Sequence
    from pymemesuite.fimo import FIMO
    seqs = [Sequence(s, name=str(i).encode()) for i, s in enumerate(sequences)]
    index = {str(n): int(f) for f, n in zip(geometry.index, geometry["name"])}
    rows = []
    with MotifFile(str(meme)) as mf:
        motifs = list(mf)
    # the simulated background is uniform (multilabel: 50 % GC), so FIMO's log-odds use it too
    background = Background(Alphabet.dna(), Array([0.25] * 4))
    fimo = FIMO(both_strands=True, threshold=threshold, max_stored_scores=10_000_000)
    for motif in motifs:
        name = motif.accession.decode()
        pattern = fimo.score_motif(motif, seqs, background)
        for m in pattern.matched_elements:
            lo, hi = sorted((m.start, m.stop))
            rows.append((int(m.source.accession.decode()), lo - 1, hi, m.strand, name, index[name], m.pvalue, m.score))
    calls = pd.DataFrame(rows, columns=["sequence", "position", "end", "strand", "motif", "filter", "p", "activation"])
    calls["center"] = (calls["position"] + calls["end"] - 1) / 2
    # FIMO's --qv-thresh: q over every window (position x strand) of the motif, here by BH (pi0 = 1)
    calls["q"] = 1.0
    for name, hits in calls.groupby("motif"):
        width = int((hits["end"] - hits["position"]).iloc[0])
        n_windows = 2 * sum(max(0, len(seq) - width + 1) for seq in sequences)
        calls.loc[hits.index, "q"] = bh_over_windows(hits["p"].to_numpy(float), n_windows)
    # as motifzoo does: per filter, keep a window only when it is the best within +-W/2 (greedy by p)
    from motifzoo.interpret.instances import merge_instances
    return merge_instances(calls, {f: f for f in calls["filter"].unique()}, radius=None)


def per_sequence_counts(calls: pd.DataFrame, sites: pd.DataFrame, match: dict, n_sequences: int) -> np.ndarray:
    """(4, n_sequences) counts behind :func:`evaluate`'s precision and recall: calls of matched motifs, correct ones
    among them, planted sites of recovered motifs, and those hit."""
    matched = calls[calls["motif"].isin(match)]
    recovered = sites[sites["motif"].isin(set(match.values()))]
    call_hit, _ = site_overlap(matched, sites, match)
    _, site_hit = site_overlap(matched, recovered, match)
    seq_calls, seq_sites = matched["sequence"].to_numpy(int), recovered["sequence"].to_numpy(int)
    return np.stack([np.bincount(seq_calls, minlength=n_sequences), np.bincount(seq_calls[call_hit], minlength=n_sequences),
                     np.bincount(seq_sites, minlength=n_sequences), np.bincount(seq_sites[site_hit], minlength=n_sequences)])


def evaluate(calls: pd.DataFrame, sites: pd.DataFrame, match: dict) -> dict:
    n_sequences = 1 + int(max(calls["sequence"].max() if len(calls) else 0, sites["sequence"].max()))
    n_matched, n_correct, n_recovered, n_hit = per_sequence_counts(calls, sites, match, n_sequences).sum(axis=1)
    any_hit, _ = site_overlap(calls, sites, None)
    return {"calls": int(len(calls)), "calls_matched": int(n_matched),
            "precision": float(n_correct / n_matched) if n_matched else float("nan"),
            "recall": float(n_hit / n_recovered) if n_recovered else float("nan"),
            "precision_any_site": float(any_hit.mean()) if len(calls) else float("nan"),
            "sites_of_recovered_motifs": int(n_recovered), "sites": int(len(sites))}


def precision_at_recall(curve: list[dict], recall: float) -> float:
    """Precision interpolated (linearly in recall) at ``recall`` along a threshold curve; NaN outside it."""
    pts = sorted((c["recall"], c["precision"]) for c in curve)
    r, p = np.array([a for a, _ in pts]), np.array([b for _, b in pts])
    if recall < r.min() or recall > r.max():
        return float("nan")
    return float(np.interp(recall, r, p))


def oracle_curve(oracle_all: pd.DataFrame, sites: pd.DataFrame, planted: list[str], recovered: set,
                 grid=None) -> list[dict]:
    """Precision and recall of calls by the planted PWMs themselves (``planted``: their ids in MEME order), on the
    sites of the ``recovered`` planted motifs, at each p of ``grid`` (default: 37 log-spaced, 1e-6 .. 1e-3, plus
    ``DENSE_GRID``)."""
    grid = np.unique(np.concatenate([np.logspace(-6, -3, 37), DENSE_GRID])) if grid is None else grid
    # fimo_calls' merging leaves each call's "motif" as the motif's index in the MEME file
    match = {i: name for i, name in enumerate(planted) if name in recovered}
    return [{"p": float(t), **evaluate(oracle_all[oracle_all["p"] <= t], sites, match)} for t in grid[::-1]]


def per_motif(calls: dict, match: dict, planted: list[str], sites: pd.DataFrame) -> pd.DataFrame:
    """Precision and recall for each recovered planted motif, one column pair per caller of ``calls`` (name ->
    motif-level calls; ``"planted PWMs"`` is matched through ``planted``, the others through ``match``)."""
    rows = []
    for motif in sorted(set(match.values())):
        row = {"motif": motif}
        for name, c in calls.items():
            own = ({i: n for i, n in enumerate(planted) if n == motif} if name == "planted PWMs"
                   else {k: v for k, v in match.items() if v == motif})
            e = evaluate(c, sites, own)
            row[f"{name} precision"], row[f"{name} recall"] = e["precision"], e["recall"]
        rows.append(row)
    return pd.DataFrame(rows)


def loosest_reaching(curve: list[dict], precision: float) -> dict | None:
    """The point of a p-threshold curve with the loosest p among those whose precision reaches ``precision``
    (the most recall at that precision: recall only grows with p); None where none does."""
    reaching = [c for c in curve if c["precision"] >= precision]
    return max(reaching, key=lambda c: c["p"]) if reaching else None


def paired_bootstrap(ours_all: pd.DataFrame, fimo_all: pd.DataFrame, groups: pd.DataFrame, sites: pd.DataFrame,
                     match: dict, n_sequences: int, n_boot: int, seed: int = 0, grid=P_GRID) -> list[dict]:
    """motifzoo's precision minus FIMO's at motifzoo's recall, for each p of ``grid``, with a 95 % interval from
    resampling sequences (both callers on the same resample, so the interval is that of the paired difference).

    FIMO's precision at a given recall is interpolated along its curve on a fine grid of p thresholds (37 points,
    1e-6 .. 1e-3), recomputed on every resample, as is motifzoo's recall."""
    fine = np.unique(np.concatenate([np.logspace(-6, -3, 37), P_GRID]))
    counts = {}
    for name, calls_all, thresholds in (("motifzoo", ours_all, np.array(grid)), ("FIMO", fimo_all, fine)):
        counts[name] = np.stack([per_sequence_counts(motif_instances(calls_all[calls_all["p"] <= t], groups),
                                                     sites, match, n_sequences) for t in thresholds])  # (G, 4, S)
    rng = np.random.default_rng(seed)
    weights = np.vstack([np.ones(n_sequences), rng.multinomial(n_sequences, np.full(n_sequences, 1 / n_sequences),
                                                                size=n_boot)])  # row 0: the data itself

    def curves(name):
        c = np.einsum("bs,gks->kbg", weights, counts[name].astype(float))  # (4, B + 1, G)
        with np.errstate(invalid="ignore", divide="ignore"):
            return c[1] / c[0], c[3] / c[2]  # precision, recall: (B + 1, G)

    (prec_o, rec_o), (prec_f, rec_f) = curves("motifzoo"), curves("FIMO")
    rows = []
    for i, p in enumerate(grid):
        diff = np.full(len(weights), np.nan)
        for b in range(len(weights)):
            order = np.argsort(rec_f[b])
            r, pr = rec_f[b][order], prec_f[b][order]
            if r[0] <= rec_o[b, i] <= r[-1]:
                diff[b] = prec_o[b, i] - np.interp(rec_o[b, i], r, pr)
        boot = diff[1:][~np.isnan(diff[1:])]
        lo, hi = np.percentile(boot, [2.5, 97.5]) if len(boot) else (np.nan, np.nan)
        rows.append({"p": float(p), "recall": float(rec_o[0, i]), "precision": float(prec_o[0, i]),
                     "fimo_precision": float(prec_o[0, i] - diff[0]), "difference": float(diff[0]),
                     "ci_low": float(lo), "ci_high": float(hi),
                     "fraction_motifzoo_higher": float((boot > 0).mean()) if len(boot) else float("nan"),
                     "resamples": int(len(boot))})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="benchmarks/out/syntax_instances")
    ap.add_argument("--checkpoint", help="reuse a trained checkpoint (skips training)")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("-n", type=int, default=8000, help="sequences to simulate")
    ap.add_argument("--attention-threshold", type=float, default=0.0,
                    help="models with attention: a call's position needs this attention relative to uniform "
                         "(`motifzoo instances --attention-threshold`; 0, the default since #15's twelfth round, "
                         "turns the gate off)")
    ap.add_argument("--motif-level", action="store_true",
                    help="also threshold motif-level p = k x the best of the motif's k filters' p, for both callers")
    ap.add_argument("--bootstrap", type=int, default=1000,
                    help="resamples of sequences for the paired interval of motifzoo's precision minus FIMO's at "
                         "equal recall (0: skip)")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(1)
    sim = simulate("multilabel", seed=args.seed, n=args.n)
    table = out / "multilabel.tsv.gz"
    sim.write(table, out / "planted.meme", out / "sites.tsv", seed=args.seed)
    sites = pd.read_csv(out / "sites.tsv", sep="\t")
    t0 = time.time()
    ckpt = args.checkpoint or train(table, out / "runs", args.epochs, args.seed)
    train_s = time.time() - t0
    model = motifzoo.load(ckpt).eval()
    x = read_onehot(table)
    geometry = motif_geometry(model, x)
    exported = geometry.attrs["motifs"]
    write_meme(exported, out / "exported.meme")
    groups = motif_groups(geometry, merge=True, names=False)
    match_filter = planted_match(exported, sim.motifs)
    # a motif (group) matches what its representative matches, else what most of its members match
    match = {}
    for motif_id, members in groups.groupby("motif"):
        names = [geometry.loc[f, "name"] for f in members.index if geometry.loc[f, "name"] in match_filter]
        hits = [match_filter[n] for n in names]
        if motif_id in match_filter:
            match[motif_id] = match_filter[motif_id]
        elif hits:
            match[motif_id] = max(set(hits), key=hits.count)
    t0 = time.time()
    null = score_null(model, x)
    null_s = time.time() - t0
    ours, fimo = [], []
    fimo_all = fimo_calls(out / "exported.meme", sim.sequences, geometry, max(P_GRID))
    loosest = {}  # both callers' motif-level calls at the loosest p, reused by --motif-level
    # one scan at the loosest p: a call at a stricter p (or q) is a call of that scan with p (or q) below it, as
    # the score cut is monotone in p and q does not depend on it; motif-level merging follows the filtering
    ours_all = call_instances(model, x, geometry, max(P_GRID), null=null, attention_threshold=args.attention_threshold)
    for p in P_GRID:
        calls = motif_instances(ours_all[ours_all["p"] <= p], groups)
        ours.append({"p": p, **evaluate(calls, sites, match)})
        f = motif_instances(fimo_all[fimo_all["p"] <= p], groups)
        fimo.append({"p": p, **evaluate(f, sites, match)})
        if p == max(P_GRID):
            loosest = {"motifzoo": calls, "FIMO": f}
    for q in Q_GRID:
        calls = motif_instances(ours_all[ours_all["q"] <= q], groups)
        ours.append({"q": q, **evaluate(calls, sites, match)})
        f = motif_instances(fimo_all[fimo_all["q"] <= q], groups)
        fimo.append({"q": q, **evaluate(f, sites, match)})
    if args.motif_level:
        n_filters = groups[geometry["status"] == "kept"].groupby("motif").size()
        for name, calls in loosest.items():
            p_motif = np.minimum(1.0, calls["p"] * calls["motif"].map(n_filters).fillna(1).to_numpy(float))
            curve = ours if name == "motifzoo" else fimo
            for p in P_GRID:
                curve.append({"p_motif": p, **evaluate(calls[p_motif <= p], sites, match)})
    # the ceiling of any PWM scanner: sites are drawn from the planted PWMs, so FIMO with those very PWMs scores a
    # window by its true log-odds against the uniform background; read on the same sites (recovered motifs only)
    planted_names = [m.name for m in sim.motifs]
    oracle_all = fimo_calls(out / "planted.meme", sim.sequences, pd.DataFrame({"name": planted_names}), max(P_GRID))
    oracle = oracle_curve(oracle_all, sites, planted_names, set(match.values()))
    dense = (paired_bootstrap(ours_all, fimo_all, groups, sites, match, len(sim.sequences), args.bootstrap, args.seed,
                              grid=DENSE_GRID) if args.bootstrap > 0 else [])
    paired = [r for r in dense if r["p"] in P_GRID]  # DENSE_GRID holds P_GRID's values exactly
    # #14's target as one pre-set comparison per run: the loosest p at which motifzoo's precision reaches the target
    operating = loosest_reaching(dense, TARGET_PRECISION)
    recall_ours = next(r["recall"] for r in ours if r.get("p") == 1e-4)
    p_curve = [r for r in fimo if "p" in r]
    result = {"checkpoint": ckpt, "attention_threshold": args.attention_threshold, "train_seconds": train_s, "null_seconds": null_s, "null_windows": null.n,
              "motifs_recovered": sorted(set(match.values())), "n_motifs": int(groups.loc[geometry["status"] == "kept", "motif"].nunique()),
              "n_exported_filters": len(exported), "motifzoo": ours, "fimo": fimo,
              "fimo_precision_at_motifzoo_recall_1e-4": precision_at_recall(p_curve, recall_ours),
              "paired_bootstrap": paired, "paired_bootstrap_dense": dense, "operating_point": operating,
              "planted_pwms": oracle}
    if operating:
        # which motifs the operating point loses, for each caller at the same p
        p = operating["p"]
        table = per_motif({"motifzoo": motif_instances(ours_all[ours_all["p"] <= p], groups),
                           "FIMO": motif_instances(fimo_all[fimo_all["p"] <= p], groups),
                           "planted PWMs": oracle_all[oracle_all["p"] <= p]}, match, planted_names, sites)
        table.insert(1, "TF", table["motif"].map({m.name: m.altname for m in sim.motifs}))
        result["per_motif_at_operating_p"] = table.to_dict("records")
    (out / "results.json").write_text(json.dumps(result, indent=1))
    print(f"checkpoint {ckpt}; {len(exported)} exported filters in {result['n_motifs']} motifs; "
          f"{len(result['motifs_recovered'])}/10 planted motifs recovered; null {null.n} windows ({null_s:.1f} s)")
    print("\n| caller | threshold | calls | precision | recall (sites of recovered motifs) | precision, any planted site |")
    print("|---|---|---|---|---|---|")
    for name, curve in (("motifzoo", ours), ("FIMO", fimo)):
        for r in curve:
            cut = (f"p <= {r['p']:g}" if "p" in r else f"q <= {r['q']:g}" if "q" in r
                   else f"motif-level p <= {r['p_motif']:g}")
            print(f"| {name} | {cut} | {r['calls']} | {r['precision']:.3f} | {r['recall']:.3f} | "
                  f"{r['precision_any_site']:.3f} |")
    print(f"\nFIMO precision at motifzoo's recall at p = 1e-4 ({recall_ours:.3f}), interpolated on the 6 p thresholds "
          f"above: {result['fimo_precision_at_motifzoo_recall_1e-4']:.3f}"
          + (" (the paired table below interpolates on 37 and is the one to read)" if args.bootstrap > 0 else ""))
    if paired:
        print(f"\nmotifzoo minus FIMO precision at motifzoo's recall ({args.bootstrap} resamples of sequences, "
              "paired):\n\n| motifzoo p | recall | motifzoo precision | FIMO precision | difference (95 % CI) | "
              "resamples with motifzoo higher |\n|---|---|---|---|---|---|")
        for r in paired:
            print(f"| {r['p']:g} | {r['recall']:.3f} | {r['precision']:.3f} | {r['fimo_precision']:.3f} | "
                  f"{r['difference']:+.4f} ({r['ci_low']:+.4f} .. {r['ci_high']:+.4f}) | "
                  f"{r['fraction_motifzoo_higher']:.2f} |")
        if operating:
            r = operating
            print(f"\noperating point (the loosest p of {len(DENSE_GRID)}, 1e-5 .. 1e-3, with motifzoo precision >= "
                  f"{TARGET_PRECISION}): p = {r['p']:.3g}, recall {r['recall']:.3f}, precision {r['precision']:.3f}, "
                  f"FIMO {r['fimo_precision']:.3f}; difference {r['difference']:+.4f} ({r['ci_low']:+.4f} .. "
                  f"{r['ci_high']:+.4f}), motifzoo higher in {r['fraction_motifzoo_higher']:.2f} of the resamples")
        else:
            print(f"\nno p on the grid gives motifzoo precision >= {TARGET_PRECISION}")
    if operating:
        p = operating["p"]
        print(f"\nper planted motif at the operating p ({p:.3g}), each caller at that p:\n")
        print("| " + " | ".join(table.columns) + " |\n|" + "---|" * len(table.columns))
        for row in table.itertuples(index=False):
            print("| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in row) + " |")
    best = loosest_reaching(oracle, TARGET_PRECISION)
    at_ours = operating["recall"] if operating else recall_ours
    print(f"\nceiling, FIMO with the planted PWMs (sites of the recovered motifs): recall "
          + (f"{best['recall']:.3f} at precision {best['precision']:.3f} (p = {best['p']:.3g}), the best with "
             f"precision >= {TARGET_PRECISION}" if best else f"never at precision >= {TARGET_PRECISION}")
          + f"; precision {precision_at_recall(oracle, at_ours):.3f} at motifzoo's recall {at_ours:.3f}")


if __name__ == "__main__":
    main()
