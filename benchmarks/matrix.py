"""Benchmark matrix: motifs read from every zoo model vs the post-hoc route, on every simulated preset.

Rows are models (the exp CNNs, ReLU CNNs, ExplaiNN and ARGMINN-like when registered, the
PWM-parameterised and strand-aware variants), the reference ``explainn`` package (its own training
and readout, and the same trained model exported by motifzoo), and the post-hoc baseline: each ReLU
CNN (``relu_shallow``, ``relu_deep``) explained with DeepLIFT/SHAP (tangermeme ``deep_lift_shap``,
dinucleotide-shuffled references) and TF-MoDISco (modisco-lite), one attribution + MoDISco run per
target (``posthoc_shallow``, ``posthoc_deep``). Columns are simulated presets. Each cell: planted
motifs recovered (recall), the fraction of exported motifs that match a planted one (precision) —
TOMTOM (memelite) against the planted motifs plus all JASPAR 2024 CORE vertebrate motifs, q < 0.05,
as :func:`motifzoo.interpret.compare.motif_recovery` — the test-split score (mean AUROC, or mean
Pearson r for regression), training time, and the time from trained checkpoint to MEME file. The
"Against the targets" table checks the issue's target per preset.

    python benchmarks/matrix.py [--out benchmarks/out/matrix8k] [--n 8000] [--presets ...] [--models ...]
                                [--seed 0] [--jobs 1] [--threads 1] [--force] [--reexport]
    python benchmarks/matrix.py --reexport --jobs 1   # time every route again, one at a time (nothing retrained)
    python benchmarks/matrix.py --report              # print the tables from the results already there

Every model is trained in its own process (``motifzoo fit --config ...``, ``--seed`` for the
simulation and the training, early stopping on the validation score, at most 30 epochs) with
``OMP_NUM_THREADS=--threads``; results are cached per (preset, row) under ``--out`` so an interrupted
run resumes. Requires the benchmark-only extras (``pip install -e ".[benchmark,reference]"``):
tangermeme and modisco-lite for the post-hoc rows, explainn for the reference rows.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

#: preset -> its name in this table (the syntax preset is included when simulate_syntax registers it)
PRESETS = ["multilabel", "regression", "spacing", "low_information", "gc_rich"]

#: row -> (config, `motifzoo fit` overrides, export route, registered architecture it needs)
MODELS = {
    "exp_shallow": ("configs/expcnn.yaml", [], "activations", "expcnn_shallow"),
    "exp_deep": ("configs/expcnn_deep.yaml", [], "activations", "expcnn_deep"),
    # the black boxes of the post-hoc route, trained with random reverse-complement augmentation
    # (standard practice; it raised their test AUROC on multilabel from 0.73 / 0.70 to 0.81 / 0.76)
    "relu_shallow": ("configs/expcnn.yaml", ["--model.arch_kwargs.activation", "relu", "--data.reverse_complement", "true"],
                     "activations", "expcnn_shallow"),
    "relu_deep": ("configs/expcnn_deep.yaml", ["--model.arch_kwargs.activation", "relu", "--data.reverse_complement", "true"],
                  "activations", "expcnn_deep"),
    "explainn": ("configs/explainn.yaml", [], "activations", "explainn"),
    "argminn": ("configs/argminn.yaml", [], "activations", "argminn"),
    "exp_strand": ("configs/expcnn_strand.yaml", [], "activations", "expcnn_shallow"),
    "pwm": ("configs/expcnn_pwm.yaml", [], "weights", "expcnn_shallow"),
    "pwm_strand": ("configs/expcnn_pwm_strand.yaml", [], "weights", "expcnn_shallow"),
    "pwm_deep": ("configs/expcnn_deep.yaml", ["--model.arch_kwargs.first_layer", "pwm"], "weights", "expcnn_deep"),
}
#: TOMTOM q below which two exported motifs (both ways) count as duplicates in the "after merging" column
MERGE_Q = 0.001
#: row -> the PWM row whose trained checkpoint it exports the other way (activation alignment over the data)
ALIGNED = {"pwm_aligned": "pwm", "pwm_strand_aligned": "pwm_strand", "pwm_deep_aligned": "pwm_deep"}
#: post-hoc row -> the ReLU CNN row it explains
POSTHOC = {"posthoc_shallow": "relu_shallow", "posthoc_deep": "relu_deep"}
#: rows trained and read out by the reference ``explainn`` package (0.1.5, benchmark-only extra)
REFERENCE = ["explainn_reference"]
#: row -> the reference row whose trained model motifzoo converts (``ExplaiNN.from_reference``) and exports
CONVERTED = {"explainn_reference_motifzoo": "explainn_reference"}
#: the reference row's training: the package's ``train_explainn`` loop (no early stopping; it keeps the
#: weights of the best validation loss), Adam at this learning rate, and its model defaults (filter 19,
#: pool 7/7, two unit FC layers of 100, dropout 0.3) with 100 units, as ``configs/explainn.yaml``; 30 epochs
#: is the cap of the zoo rows (which stop early)
REFERENCE_EPOCHS, REFERENCE_LR, REFERENCE_UNITS = 30, 0.001, 100


# --------------------------------------------------------------------------------------------
# workers (each runs in its own process)
# --------------------------------------------------------------------------------------------
def _cli(args: list[str]) -> str:
    """Run ``motifzoo ARGS`` in this process; its stdout, or SystemExit with the output on failure."""
    from motifzoo.cli import main
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        rc = main(args)
    if rc != 0:
        raise SystemExit(f"motifzoo {' '.join(args)} failed:\n{buf.getvalue()[-3000:]}")
    return buf.getvalue()


def test_score(ckpt: str, table: Path) -> tuple[float, str]:
    """Mean test-split AUROC (binary) or Pearson r (regression) over targets of a checkpoint."""
    import torch
    from torchmetrics.functional import auroc, pearson_corrcoef

    import motifzoo
    from motifzoo.data.encoding import one_hot
    model = motifzoo.load(ckpt)
    df = pd.read_csv(table, sep="\t")
    test = df[df["split"] == "test"]
    x = one_hot(test["sequence"].tolist())
    y = torch.tensor(test[model.target_names].to_numpy(), dtype=torch.float32)
    with torch.no_grad():
        pred = torch.cat([model(x[i:i + 512]) for i in range(0, len(x), 512)])
    if model.task == "binary":
        scores = [auroc(pred[:, t], y[:, t].long(), task="binary") for t in range(y.shape[1])]
        return float(torch.stack(scores).mean()), "AUROC"
    return float(pearson_corrcoef(pred, y).mean()), "Pearson"


def work_fit(out: Path, preset: str, row: str, seed: int) -> dict:
    """Train one row on one preset, score it on the test split and export its motifs (timed)."""
    import motifzoo
    config, overrides, route, _ = MODELS[row]
    d = out / preset
    table = d / "data.tsv.gz"
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        result = motifzoo.fit(config, args=["--data.path", str(table), "--trainer.default_root_dir", str(d / row),
                                            "--trainer.enable_progress_bar", "false",
                                            "--trainer.enable_model_summary", "false",
                                            "--seed_everything", str(seed), *overrides])
    train_s = time.perf_counter() - t0
    ckpt = str(result.best_checkpoint)
    score, metric = test_score(ckpt, table)
    meme, export_s = export_motifs(d, row, ckpt, route)
    import torch
    epochs = int(torch.load(ckpt, weights_only=True, map_location="cpu").get("epoch", -1)) + 1
    return {"preset": preset, "row": row, "route": f"filters ({route})", "meme": str(meme), "ckpt": ckpt,
            "train_s": train_s, "export_s": export_s, "score": score, "metric": metric, "best_epoch": epochs}


def export_motifs(d: Path, row: str, ckpt: str, route: str) -> tuple[Path, float]:
    """``motifzoo motifs`` for one trained row (timed): activation alignment over the data, or the exact
    PWMs from the weights (no data)."""
    import motifzoo.interpret.pwm  # noqa: F401  (imports paid before the clock starts, as after training)
    import motifzoo.cli  # noqa: F401
    meme = d / f"{row}.meme"
    export = ["--data", str(d / "data.tsv.gz")] if route == "activations" else ["--method", "weights"]
    t0 = time.perf_counter()
    _cli(["motifs", ckpt, "-o", str(meme), *export, "--table", str(d / f"{row}.filters.tsv"), "--force"])
    return meme, time.perf_counter() - t0


def work_export(out: Path, preset: str, row: str) -> dict:
    """Export a trained model row's motifs again from its cached checkpoint (after a change to the export,
    or to time every route again under the same load); nothing is retrained. Derived rows (aligned,
    converted, post-hoc) never train, so their own workers serve both runs."""
    base = json.loads((out / preset / row / "result.json").read_text())
    if row in REFERENCE:
        return export_reference(out, base)
    meme, export_s = export_motifs(out / preset, row, base["ckpt"], MODELS[row][2])
    return {**base, "meme": str(meme), "export_s": export_s}


def work_aligned(out: Path, preset: str, row: str) -> dict:
    """Export an already trained PWM row's motifs by activation alignment over the data (timed)."""
    d = out / preset
    base = json.loads((d / ALIGNED[row] / "result.json").read_text())
    meme, export_s = export_motifs(d, row, base["ckpt"], "activations")
    return {**base, "row": row, "route": f"{ALIGNED[row]}, filters (activations)", "meme": str(meme),
            "export_s": export_s}


def _modisco_motifs(one_hot_nlc: np.ndarray, hyp_nlc: np.ndarray, prefix: str, trim: float = 0.3) -> list:
    """TF-MoDISco (modisco-lite, its command-line defaults) -> Motifs: each pattern's PPM trimmed to the
    columns whose contribution reaches ``trim`` x the pattern's maximum (as modisco's report trims)."""
    import modiscolite

    from motifzoo.motifs import Motif
    pos, neg = modiscolite.tfmodisco.TFMoDISco(
        one_hot=one_hot_nlc, hypothetical_contribs=hyp_nlc, max_seqlets_per_metacluster=2000,
        sliding_window_size=20, flank_size=5, trim_to_window_size=30, initial_flank_to_add=10,
        final_flank_to_add=0, target_seqlet_fdr=0.05, n_leiden_runs=2, verbose=False)
    motifs = []
    for sign, patterns in (("pos", pos or []), ("neg", neg or [])):
        for i, pattern in enumerate(patterns):
            score = np.abs(pattern.contrib_scores).sum(1)
            keep = np.flatnonzero(score >= trim * score.max())
            ppm = np.asarray(pattern.sequence, dtype=np.float64)[keep[0]:keep[-1] + 1] + 1e-3
            motifs.append(Motif(f"{prefix}_{sign}_{i}", ppm / ppm.sum(1, keepdims=True), nsites=len(pattern.seqlets)))
    return motifs


def work_posthoc(out: Path, preset: str, row: str, seed: int, max_sequences: int, n_shuffles: int) -> dict:
    """The post-hoc route from the black box's checkpoint: DeepLIFT/SHAP + TF-MoDISco per target -> MEME (timed)."""
    from tangermeme.deep_lift_shap import deep_lift_shap

    import motifzoo
    from motifzoo.data.encoding import one_hot
    from motifzoo.motifs import write_meme
    d = out / preset
    black_box = json.loads((d / POSTHOC[row] / "result.json").read_text())
    meme = d / f"{row}.meme"
    t0 = time.perf_counter()
    model = motifzoo.load(black_box["ckpt"]).eval()
    df = pd.read_csv(d / "data.tsv.gz", sep="\t")
    x = one_hot(df["sequence"].tolist())
    rng = np.random.default_rng(seed)
    motifs, attribution_s, modisco_s, n_attributed = [], 0.0, 0.0, 0
    for t, target in enumerate(model.target_names):
        # binary: the sequences the target is positive on (where its motif is); regression: all sequences
        pool = np.flatnonzero(df[target].to_numpy() > 0.5) if model.task == "binary" else np.arange(len(df))
        idx = np.sort(rng.choice(pool, size=min(max_sequences, len(pool)), replace=False))
        n_attributed += len(idx)
        t1 = time.perf_counter()
        hyp = deep_lift_shap(model, x[idx], target=t, n_shuffles=n_shuffles, hypothetical=True, random_state=seed,
                             device="cpu", batch_size=128, warning_threshold=1e9)
        attribution_s += time.perf_counter() - t1
        t1 = time.perf_counter()
        nlc = lambda a: np.ascontiguousarray(a.numpy().transpose(0, 2, 1), dtype=np.float32)  # noqa: E731
        motifs += _modisco_motifs(nlc(x[idx]), nlc(hyp), f"t{t}")
        modisco_s += time.perf_counter() - t1
    write_meme(motifs, meme)
    total_s = time.perf_counter() - t0
    return {"preset": preset, "row": row, "route": f"{POSTHOC[row]} + DeepLIFT/SHAP + TF-MoDISco", "meme": str(meme),
            "ckpt": black_box["ckpt"], "train_s": black_box["train_s"], "export_s": total_s,
            "attribution_s": attribution_s, "modisco_s": modisco_s, "n_attributed": n_attributed,
            "score": black_box["score"], "metric": black_box["metric"], "best_epoch": black_box["best_epoch"]}


def _reference_data(d: Path):
    """The preset's table as the reference package takes it: (N, 4, L) one-hot, targets, split, binary?"""
    import torch

    from motifzoo.data.encoding import codes_to_one_hot
    from motifzoo.data.tables import is_binary, read_table
    table = read_table(d / "data.tsv.gz")
    return (codes_to_one_hot(table.codes), torch.from_numpy(table.targets), table.split, table.target_names,
            is_binary(table.targets))


def work_reference(out: Path, preset: str, row: str, seed: int) -> dict:
    """Train the reference ``explainn`` ExplaiNN with the package's own loop, score it on the test split, and
    export its units' motifs with the package's own readout (``get_explainn_unit_activations`` ->
    ``get_pwms_explainn`` -> ``pwm_to_meme``, every sequence, its 0.5 x max cut; timed)."""
    import torch
    from explainn.models.networks import ExplaiNN as Reference
    from explainn.train.train import train_explainn
    from torch.utils.data import DataLoader, TensorDataset
    from torchmetrics.functional import auroc, pearson_corrcoef

    d, work = out / preset, out / preset / row
    work.mkdir(parents=True, exist_ok=True)
    x, y, split, targets, binary = _reference_data(d)
    torch.manual_seed(seed)

    def loader(part: str | None, shuffle: bool) -> DataLoader:
        keep = np.ones(len(split), bool) if part is None else split == part
        return DataLoader(TensorDataset(x[keep], y[keep]), batch_size=128, shuffle=shuffle)

    model = Reference(REFERENCE_UNITS, x.shape[-1], len(targets))
    criterion = torch.nn.BCEWithLogitsLoss() if binary else torch.nn.MSELoss()
    t0 = time.perf_counter()
    model, _, valid_loss = train_explainn(loader("train", True), loader("valid", False), model, "cpu", criterion,
                                          torch.optim.Adam(model.parameters(), lr=REFERENCE_LR), REFERENCE_EPOCHS,
                                          str(work), "reference", verbose=False, trim_weights=False)
    train_s = time.perf_counter() - t0
    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(xb) for xb, _ in loader("test", False)])
    truth = y[split == "test"]
    if binary:
        score = float(torch.stack([auroc(pred[:, t], truth[:, t].long(), task="binary")
                                   for t in range(len(targets))]).mean())
    else:
        score = float(pearson_corrcoef(pred, truth).mean())
    weights = work / "reference.pt"
    torch.save(model.state_dict(), weights)
    result = {"preset": preset, "row": row, "route": "reference explainn 0.1.5: training and unit PWMs",
              "ckpt": str(weights), "train_s": train_s, "score": score, "metric": "AUROC" if binary else "Pearson",
              "best_epoch": int(np.argmin(valid_loss)) + 1}
    return export_reference(out, result)


def export_reference(out: Path, result: dict) -> dict:
    """The reference package's readout of a trained reference row -> MEME (timed from loading its weights)."""
    import torch
    from explainn.interpretation.interpretation import (get_explainn_unit_activations, get_pwms_explainn,
                                                        pwm_to_meme)
    from explainn.models.networks import ExplaiNN as Reference
    from torch.utils.data import DataLoader, TensorDataset
    d = out / result["preset"]
    x, y, _, targets, _ = _reference_data(d)
    meme = d / f"{result['row']}.meme"
    t0 = time.perf_counter()
    model = Reference(REFERENCE_UNITS, x.shape[-1], len(targets))
    model.load_state_dict(torch.load(result["ckpt"], weights_only=True))
    model.eval()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):  # tqdm bars
        activations = get_explainn_unit_activations(DataLoader(TensorDataset(x, y), batch_size=128), model, "cpu")
        pwms = get_pwms_explainn(activations, x.numpy(), y.numpy(), 19)
        pwm_to_meme(pwms, str(meme))
    return {**result, "meme": str(meme), "export_s": time.perf_counter() - t0}


def work_converted(out: Path, preset: str, row: str) -> dict:
    """The reference row's trained model converted to motifzoo's ExplaiNN and exported by ``motifzoo motifs``
    (activation alignment and the default hygiene; the conversion is not timed)."""
    import torch

    import motifzoo
    from motifzoo.models.explainn import ExplaiNN
    d = out / preset
    base = json.loads((d / CONVERTED[row] / "result.json").read_text())
    x, _, _, targets, binary = _reference_data(d)
    zoo = ExplaiNN.from_reference(torch.load(base["ckpt"], weights_only=True), input_length=x.shape[-1])
    ckpt = d / row / "converted.pt"
    ckpt.parent.mkdir(parents=True, exist_ok=True)
    motifzoo.save(zoo, ckpt, target_names=targets, task="binary" if binary else "regression",
                  input_length=x.shape[-1])
    meme, export_s = export_motifs(d, row, str(ckpt), "activations")
    return {**base, "row": row, "route": f"{CONVERTED[row]} converted, filters (activations)", "meme": str(meme),
            "ckpt": str(ckpt), "export_s": export_s}


# --------------------------------------------------------------------------------------------
# driver
# --------------------------------------------------------------------------------------------
def prepare(out: Path, preset: str, n: int, seed: int) -> None:
    """Simulate ``preset`` once: data.tsv.gz (with its split) and planted.meme under out/preset."""
    from motifzoo.data.simulate import simulate
    d = out / preset
    if (d / "planted.meme").exists():
        return
    d.mkdir(parents=True, exist_ok=True)
    simulate(preset, seed=seed, n=n).write(d / "data.tsv.gz", d / "planted.meme", seed=seed)


def run_job(out: Path, job: tuple[str, str], args) -> dict | None:
    """Run one (preset, row) in a child process unless its result is cached; returns the result."""
    preset, row = job
    result = out / preset / row / "result.json"
    reexport = args.reexport and result.exists()
    if result.exists() and not args.force and not reexport:
        return json.loads(result.read_text())
    result.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "MKL_NUM_THREADS": str(args.threads),
           "NUMBA_NUM_THREADS": str(args.threads)}
    cmd = [sys.executable, __file__, "--worker", preset, row, "--out", str(out), "--seed", str(args.seed),
           "--max-sequences", str(args.max_sequences), "--n-shuffles", str(args.n_shuffles)]
    cmd += ["--reexport"] if reexport else []
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        print(f"FAILED {preset}/{row}:\n{proc.stderr[-3000:]}{proc.stdout[-2000:]}", file=sys.stderr, flush=True)
        return None
    print(f"done {preset}/{row}", flush=True)
    return json.loads(result.read_text())


def evaluate(out: Path, results: list[dict]) -> pd.DataFrame:
    """Recovery of every result's MEME against its preset's planted motifs + JASPAR (TOMTOM q < 0.05)."""
    from motifzoo.motifs import load_jaspar
    from motifzoo.interpret import read_meme
    from motifzoo.interpret.compare import motif_recovery
    from motifzoo.interpret.pwm import find_duplicates
    jaspar = load_jaspar()
    rows = []
    for r in results:
        planted = read_meme(out / r["preset"] / "planted.meme")
        # a route that found nothing writes a MEME header without motifs
        learned = read_meme(r["meme"]) if "MOTIF" in Path(r["meme"]).read_text() else []
        rec = motif_recovery(learned, planted, jaspar)
        missed = [m.altname for m in planted if m.name not in rec["recovered"]]
        # filter hygiene as `motifzoo motifs --merge-q 0.001` applies it (here in file order, not by sites)
        duplicates = set(find_duplicates(learned, MERGE_Q, jaspar)["duplicate"])
        merged = motif_recovery([m for m in learned if m.name not in duplicates], planted, jaspar)
        rows.append({**r, "recovered": rec["n_recovered"], "planted": rec["n_planted"], "exported": rec["n_learned"],
                     "matching": rec["n_learned_matching"], "precision": rec["precision"],
                     "merged_exported": merged["n_learned"], "merged_recovered": merged["n_recovered"],
                     "merged_precision": merged["precision"], "missed": ",".join(missed) or "-"})
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame) -> str:
    """One summary matrix (rows x presets) and one detailed table per preset."""
    lines = []
    presets = [p for p in PRESETS if p in set(table["preset"])]
    order = [*MODELS, *ALIGNED, *REFERENCE, *CONVERTED, *POSTHOC]
    rows = [r for r in order if r in set(table["row"])]
    cell = {(r.preset, r.row): r for r in table.itertuples(index=False)}
    lines.append("| model | " + " | ".join(presets) + " |")
    lines.append("| --- |" + " --- |" * len(presets))
    for row in rows:
        cells = []
        for p in presets:
            r = cell.get((p, row))
            cells.append("n/a" if r is None else f"{r.recovered}/{r.planted} · {r.precision:.2f} · {r.score:.3f}")
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    for p in presets:
        lines += ["", f"**{p}**", "",
                  "| model | route | recovered | matching / exported | precision | test score | train s | model→MEME s "
                  "| after merging duplicates (q < 0.001): recovered, exported, precision | missed |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for row in rows:
            r = cell.get((p, row))
            if r is None:
                continue
            lines.append(f"| {row} | {r.route} | {r.recovered}/{r.planted} | {r.matching}/{r.exported} | "
                         f"{r.precision:.2f} | {r.score:.3f} {r.metric} | {r.train_s:.0f} | {r.export_s:.2g} | "
                         f"{r.merged_recovered}/{r.planted}, {r.merged_exported}, {r.merged_precision:.2f} | {r.missed} |")
    return "\n".join(lines)


def target_table(table: pd.DataFrame) -> str:
    """The issue's target per preset, as markdown: a motifzoo row (a zoo model trained by ``motifzoo fit``;
    not the reference package's rows) whose recall is at least the better post-hoc recall and whose
    precision is at least the better post-hoc precision, and the fastest such row's model->MEME time
    against the faster post-hoc route (at least 10x)."""
    lines = ["| preset | post-hoc: best recall · best precision, fastest model→MEME s | motifzoo rows meeting both "
             "| fastest of them, model→MEME s | speed-up | met? |", "| --- | --- | --- | --- | --- | --- |"]
    for preset in [p for p in PRESETS if p in set(table["preset"])]:
        t = table[table["preset"] == preset]
        post = t[t["row"].isin(list(POSTHOC))]
        zoo = t[~t["row"].isin([*POSTHOC, *REFERENCE, *CONVERTED])]
        if post.empty or zoo.empty:
            continue
        recall, precision, post_s = post["recovered"].max(), post["precision"].max(), post["export_s"].min()
        planted = t["planted"].iloc[0]
        good = zoo[(zoo["recovered"] >= recall) & (zoo["precision"] >= precision)].sort_values("export_s")
        cell = f"| {preset} | {recall}/{planted} · {precision:.2f}, {post_s:.3g} s |"
        if good.empty:
            lines.append(f"{cell} none | - | - | **no** |")
            continue
        fastest = good.iloc[0]
        speed = post_s / fastest["export_s"]
        lines.append(f"{cell} {', '.join(f'`{r}`' for r in good['row'])} | "
                     f"`{fastest['row']}` {fastest['recovered']}/{planted} · {fastest['precision']:.2f}, "
                     f"{fastest['export_s']:.2g} s | {speed:,.0f}× | {'**yes**' if speed >= 10 else '**no** (speed)'} |")
    return "\n".join(lines)


def main_cli(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="benchmarks/out/matrix8k")
    ap.add_argument("--n", type=int, default=8000, help="sequences per preset (default 8000, the presets' own)")
    ap.add_argument("--presets", nargs="+", default=PRESETS)
    ap.add_argument("--models", nargs="+", default=[*MODELS, *ALIGNED, *REFERENCE, *CONVERTED, *POSTHOC])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=1, help="child processes at once")
    ap.add_argument("--threads", type=int, default=1, help="OMP/numba threads per child")
    ap.add_argument("--max-sequences", type=int, default=500, help="post-hoc: sequences attributed per target")
    ap.add_argument("--n-shuffles", type=int, default=20, help="post-hoc: DeepLIFT/SHAP references per sequence")
    ap.add_argument("--force", action="store_true", help="recompute cached results")
    ap.add_argument("--report", action="store_true", help="only evaluate and print what is already there")
    ap.add_argument("--reexport", action="store_true",
                    help="export the motifs of every row already trained again, post-hoc and reference routes included "
                         "(cached checkpoints, nothing retrained): to time all routes under the same load")
    ap.add_argument("--worker", nargs=2, metavar=("PRESET", "ROW"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    out = Path(args.out)
    if args.worker:
        preset, row = args.worker
        if row in POSTHOC:
            res = work_posthoc(out, preset, row, args.seed, args.max_sequences, args.n_shuffles)
        elif row in ALIGNED:
            res = work_aligned(out, preset, row)
        elif row in CONVERTED:
            res = work_converted(out, preset, row)
        elif args.reexport:
            res = work_export(out, preset, row)
        elif row in REFERENCE:
            res = work_reference(out, preset, row, args.seed)
        else:
            res = work_fit(out, preset, row, args.seed)
        (out / preset / row / "result.json").write_text(json.dumps(res, indent=1))
        return

    from motifzoo.data.simulate import PRESETS as KNOWN, _load_extra_presets
    from motifzoo.models.registry import list_models
    _load_extra_presets()
    presets = [p for p in args.presets if p in KNOWN]
    skipped = sorted(set(args.presets) - set(presets)) + [r for r in args.models if r in MODELS and MODELS[r][3] not in list_models()]
    if skipped:
        print(f"skipped (not registered): {', '.join(skipped)}", flush=True)
    derived = {**ALIGNED, **CONVERTED, **POSTHOC}  # rows computed from another row's checkpoint
    rows = [r for r in args.models
            if r in derived or r in REFERENCE or (r in MODELS and MODELS[r][3] in list_models())]
    unknown = [r for r in args.models if r not in MODELS and r not in derived and r not in REFERENCE]
    if unknown:
        raise SystemExit(f"unknown rows {unknown}; choose from {[*MODELS, *REFERENCE, *derived]}")
    results = []
    if not args.report:
        for p in presets:
            prepare(out, p, args.n, args.seed)
        fits = [(p, r) for p in presets for r in rows if r not in derived]
        fits += [(p, derived[r]) for p in presets for r in rows if r in derived and derived[r] not in rows]
        fits = list(dict.fromkeys(fits))
        with ThreadPoolExecutor(args.jobs) as pool:
            results += [r for r in pool.map(lambda j: run_job(out, j, args), fits) if r]
            later = [(p, r) for p in presets for r in rows if r in derived]
            results += [r for r in pool.map(lambda j: run_job(out, j, args), later) if r]
    else:
        results = [json.loads(f.read_text()) for p in presets for r in rows
                   if (f := out / p / r / "result.json").exists()]
    table = evaluate(out, [r for r in results if r["row"] in rows])
    table.drop(columns=["ckpt"]).to_csv(out / "results.tsv", sep="\t", index=False)
    print(markdown(table))
    print("\nAgainst the targets\n")
    print(target_table(table))


if __name__ == "__main__":
    main_cli()
