"""One HTML report per trained model: what a biologist looks at.

:func:`write_report` writes ``DIR/index.html`` and the data files it is built from:

* a model card — architecture, hyper-parameters, data, the checkpoint's validation metrics and,
  when the data has a ``split`` column, metrics on its test split with the positives per target;
* the training curve from the run's ``metrics.csv`` (when the checkpoint sits in a
  ``motifzoo fit`` run directory);
* motif x target importance for every model, as a heatmap: the model's own weights where the
  architecture makes them readable (:meth:`~motifzoo.models.MotifModel.motif_target_weights`),
  else the change of each target's mean prediction when the motif's sites in the data are
  replaced by N (:func:`motifzoo.interpret.importance.occlusion_importance`);
* the distinct motifs (redundant filters grouped by TOMTOM), each as a logo aligned to its best
  database match with the q-value, its sites, the fraction of sequences holding one, and its
  enrichment over dinucleotide-shuffled sequences (as gimmemotifs reports them);
* every exported filter with its PWM and mean-centered weight logos;
* syntax rules and spacing histograms: from the weights of a syntax layer, or for other models
  from motif instances over the data (:mod:`motifzoo.interpret.syntax`);
* downloads: ``motifs.meme`` (annotated), ``annotation.tsv``, ``filters.tsv``, ``importance.tsv``,
  ``target_weights.tsv`` (models with weights), ``syntax_rules.tsv``.

``index.html`` stands alone: every figure is embedded as a PNG data URI, the style and the few
lines of script that sort the tables are inline, and nothing is fetched from the network, so the
page can be mailed or copied on its own (the data files are the downloads beside it). The layout
works from 400 px wide up (``tests/test_report.py`` renders it in headless Chromium). Everything
goes through the :class:`~motifzoo.models.MotifModel` interface, so it works for every model in
the zoo; optional readouts appear only when the model provides them, and the page says why a
section is missing.
"""
from __future__ import annotations

import base64
import datetime as _dt
import html
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .annotate import annotate, cluster_motifs, database_label, label_motifs, load_database, match_score
from .metrics import auroc, average_precision
from ..motifs import Motif, atomic_write_text, format_meme
from . import syntax

#: folder of earlier reports' logo files, removed when a report is rewritten (figures are now embedded)
LOGO_DIR = "logos"
#: targets shown as their own importance column; more are summarised as "top targets"
MAX_TARGET_COLUMNS = 8
JASPAR_ID = re.compile(r"^MA\d{4}\.\d+$")
#: CSS pixels per figure inch on the page: a figure's text in points is shown at pt x 96 / 72 px
#: (8 pt -> 10.7 px); the PNGs are drawn at twice that for sharp text on high-density screens
DISPLAY_DPI = 96
#: most sequences the occlusion importance and test metrics run on (a seeded subset beyond it)
MAX_IMPORTANCE_SEQUENCES = 4000


class ReportError(ValueError):
    """The report cannot be written (no informative motifs, existing output, ...)."""


# --------------------------------------------------------------------------------------------
# Model card
# --------------------------------------------------------------------------------------------
def _scalar(value):
    """Plain Python value of a tensor/NumPy scalar (checkpoint callback states hold tensors)."""
    if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:
        return value.item()
    return value


def run_files(checkpoint) -> tuple[dict | None, pd.DataFrame | None]:
    """The Lightning run's ``config.yaml`` and ``metrics.csv`` beside a checkpoint, when present.

    ``motifzoo fit`` writes ``<run>/checkpoints/best.ckpt`` next to ``<run>/config.yaml`` and
    ``<run>/metrics.csv``; checkpoints saved elsewhere simply have neither.
    """
    if checkpoint is None:
        return None, None
    run = Path(checkpoint).resolve().parent.parent
    config = metrics = None
    if (run / "config.yaml").is_file():
        import yaml
        try:
            config = yaml.safe_load((run / "config.yaml").read_text())
        except yaml.YAMLError:
            config = None
    if (run / "metrics.csv").is_file():
        try:
            metrics = pd.read_csv(run / "metrics.csv")
        except (pd.errors.ParserError, pd.errors.EmptyDataError):
            metrics = None
    return config, metrics


def checkpoint_metrics(raw: dict | None, metrics: pd.DataFrame | None) -> list[tuple[str, object]]:
    """Headline metrics: the monitored score of the saved epoch and its logged validation metrics."""
    rows: list[tuple[str, object]] = []
    if raw is None:
        return rows
    epoch = raw.get("epoch")
    if epoch is not None:
        rows.append(("epoch saved", int(epoch)))
    if raw.get("global_step") is not None:
        rows.append(("optimizer steps", int(raw["global_step"])))
    for key, state in (raw.get("callbacks") or {}).items():
        if not isinstance(state, dict):
            continue
        if str(key).startswith("ModelCheckpoint") and state.get("best_model_score") is not None:
            score = round(float(_scalar(state["best_model_score"])), 4)
            rows.append((f"best {state.get('monitor') or 'score'}", score))
        if str(key).startswith("EarlyStopping") and state.get("stopped_epoch"):
            rows.append(("early stopping at epoch", int(state["stopped_epoch"])))
    if metrics is not None and epoch is not None and "epoch" in metrics:
        at_epoch = metrics[metrics["epoch"] == epoch]
        for col in sorted(c for c in metrics.columns if c.startswith(("val/", "test/"))):
            values = at_epoch[col].dropna() if col.startswith("val/") else metrics[col].dropna()
            if len(values):
                rows.append((col, round(float(values.iloc[-1]), 4)))
    return rows


def _hyperparameters(model, raw: dict | None) -> dict:
    """The model's constructor arguments: from the model, else from its checkpoint."""
    hparams = model.hparams or ((raw or {}).get("motifzoo") or {}).get("hparams") or {}
    return dict(hparams)


def model_card(model, checkpoint=None, raw: dict | None = None, extraction: list | None = None) -> dict:
    """Sections of the model card as ``{title: [(key, value), ...]}``.

    Parameters
    ----------
    model : MotifModel
        A loaded model (``motifzoo.load``), with ``model_name``, ``hparams``, ``target_names`` ...
    checkpoint : path, optional
        Its checkpoint, for provenance and the run files beside it (``config.yaml``, ``metrics.csv``).
    raw : dict, optional
        The checkpoint dict (:func:`motifzoo.models.io.read_checkpoint`): training hyper-parameters,
        the saved epoch and the monitored score.
    extraction : list of (key, value), optional
        How the motifs were read (method, data, database), shown as its own section.
    """
    from .. import __version__
    config, metrics = run_files(checkpoint)
    n_params = sum(p.numel() for p in model.parameters())
    filters = model.motif_filters()
    doc = (type(model).__doc__ or "").strip().splitlines()
    card = {
        "Model": [
            ("architecture", model.model_name or type(model).__name__),
            ("description", doc[0] if doc else ""),
            ("parameters", f"{n_params:,}"),
            ("first-layer filters", f"{filters.shape[0]} x {filters.shape[-1]} bp"),
            ("first-layer activation", model.motif_activation),
            ("scans both strands", "yes" if model.motif_strand_aware else "no"),
        ],
        "Hyper-parameters": [(k, v) for k, v in sorted(_hyperparameters(model, raw).items())],
        "Data": [
            ("task", model.task),
            ("input length", f"{model.input_length} bp"),
            ("targets", ", ".join(map(str, model.target_names))),
        ],
        "Metrics": checkpoint_metrics(raw, metrics),
        "Motif extraction": list(extraction or []),
        "Provenance": [],
    }
    training = (raw or {}).get("hyper_parameters") or {}
    for key in ("lr", "weight_decay", "scheduler", "lr_patience"):
        if key in training:
            card["Hyper-parameters"].append((f"training: {key}", training[key]))
    data_cfg = (config or {}).get("data") or {}
    if isinstance(data_cfg, dict) and "init_args" in data_cfg:  # LightningCLI subclass mode
        data_cfg = data_cfg["init_args"] or {}
    for key in ("path", "batch_size", "valid_frac", "test_frac", "reverse_complement", "jitter"):
        if key in data_cfg:
            card["Data"].append((f"training {key}", data_cfg[key]))
    if (config or {}).get("seed_everything") is not None:
        card["Hyper-parameters"].append(("training: seed", config["seed_everything"]))
    if (config or {}).get("trainer", {}).get("max_epochs") is not None:
        card["Hyper-parameters"].append(("training: max_epochs", config["trainer"]["max_epochs"]))
    card["Provenance"] = [("checkpoint", str(checkpoint) if checkpoint else "(in memory)"),
                          ("motifzoo", __version__),
                          ("report written", _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))]
    if raw and raw.get("pytorch-lightning_version"):
        card["Provenance"].append(("lightning", raw["pytorch-lightning_version"]))
    return card


def extraction_summary(motifs: list[Motif], filter_table: pd.DataFrame, data, data_path, database_name: str,
                       q_threshold: float) -> list[tuple[str, str]]:
    """The model card's "Motif extraction" rows: how PWMs were read, what was kept, the database."""
    method = motifs[0].meta.get("method", "") if motifs else ""
    if method == "activations":
        source = f"{data_path} ({len(data)} sequences)" if data_path else f"{len(data)} sequences"
        how = f"aligned windows where each filter fires (activations on {source})"
    else:
        how = "from the weights, p ∝ q·exp(w)" + ("" if data is not None else " (no --data given)")
    counts = filter_table["status"].value_counts()
    return [("method", how),
            ("filters", f"{len(filter_table)}: {counts.get('kept', 0)} informative, {counts.get('dead', 0)} dead, "
                        + (f"{counts.get('unenriched', 0)} unenriched (no more sites than in dinucleotide-shuffled "
                           "sequences), " if "enrichment_p" in filter_table.attrs else "")
                        + f"{counts.get('flat', 0)} flat"),
            ("motif database", database_name),
            ("significance", f"TOMTOM q < {q_threshold} (Benjamini-Hochberg over the database, per motif)")]


# --------------------------------------------------------------------------------------------
# Readouts
# --------------------------------------------------------------------------------------------
def target_weights(model, per_site: bool = False) -> pd.DataFrame | None:
    """The model's (filter x target) weights as a DataFrame, or ``None`` when it has none.

    ``per_site``: the weights of each filter's summed site strength
    (:meth:`~motifzoo.models.MotifModel.motif_site_weights`) instead of the strongest site's.
    """
    weights, method = ((model.motif_site_weights(), "motif_site_weights") if per_site
                       else (model.motif_target_weights(), "motif_target_weights"))
    if weights is None:
        return None
    w, names, targets = _filter_target_weights(model, weights, method, 2)
    return pd.DataFrame(w, index=pd.Index(names, name="filter"), columns=targets)


def _filter_target_weights(model, weights, method: str, ndim: int) -> tuple[np.ndarray, list[str], list[str]]:
    """``weights`` as numpy with the model's filter and target names, after checking it is (filters, targets[, ...])
    with ``ndim`` dimensions."""
    w = weights.detach().cpu().numpy()
    names = model.filter_names()
    targets = list(model.target_names) or [f"target{t}" for t in range(w.shape[1])]
    if w.ndim != ndim or w.shape[:2] != (len(names), len(targets)):
        expected = ", ".join([str(len(names)), str(len(targets))] + ["bins"] * (ndim - 2))
        what = " x ".join(["filters", "targets"] + ["bins"] * (ndim - 2))
        raise ReportError(f"{method}() has shape {w.shape}, expected ({expected}) ({what})")
    return w, names, targets


def position_weights(model) -> pd.DataFrame | None:
    """The model's weights of each filter's strongest instance per position bin
    (:meth:`~motifzoo.models.MotifModel.motif_position_weights`) as a (filter x target and bin) DataFrame, or
    ``None`` when it has none. Columns ``"<target> <a>-<b>"``: the bin of windows starting at bp a to b (1-based;
    ``"<target> bin <i>"`` when the model's input length is unknown)."""
    weights = model.motif_position_weights()
    if weights is None:
        return None
    w, names, targets = _filter_target_weights(model, weights, "motif_position_weights", 3)
    n_bins = w.shape[2]
    windows = (model.input_length or 0) - model.motif_filters().shape[-1] + 1
    if windows >= n_bins:  # adaptive_max_pool1d's bins: starts floor(i L / B) to ceil((i + 1) L / B) - 1
        bins = [f"{i * windows // n_bins + 1}-{-(-(i + 1) * windows // n_bins)}" for i in range(n_bins)]
    else:
        bins = [f"bin {i + 1}" for i in range(n_bins)]
    columns = [f"{target} {b}" for target in targets for b in bins]
    return pd.DataFrame(w.reshape(len(names), -1), index=pd.Index(names, name="filter"), columns=columns)


def importance_table(model, data=None, motifs: list[Motif] | None = None, threshold: float = 0.5,
                     batch_size: int = 256, progress: bool = False) -> tuple[pd.DataFrame | None, str]:
    """Motif x target importance and a sentence saying what it is (or why there is none).

    The model's :meth:`~motifzoo.models.MotifModel.motif_target_weights` when it has them (every
    filter); otherwise, given ``data``, :func:`~motifzoo.interpret.importance.occlusion_importance`
    for the filters of ``motifs`` on at most :data:`MAX_IMPORTANCE_SEQUENCES` sequences.
    """
    weights = target_weights(model)
    if weights is not None:
        return weights, ("the model's weight from each motif unit to each target (its final linear layer); "
                         "red raises the output, blue lowers it")
    if data is None:
        return None, ("This architecture has no readable motif -> target weights, and without --data the "
                      "model-agnostic measure (occluding each motif's sites in the sequences) cannot be computed: "
                      "pass --data.")
    from .importance import occlusion_importance
    filters = [int(m.meta["filter"]) for m in motifs or [] if m.meta.get("filter") is not None] or None
    table = occlusion_importance(model, _subset(data), filters, threshold, batch_size, progress)
    n = min(len(data), MAX_IMPORTANCE_SEQUENCES)
    return table, (f"{table.attrs['measure']} of each target when the motif's sites (the windows where its filter "
                   f"fires above {threshold:g} x its maximum) are replaced by N in {n} sequences of --data: "
                   "this architecture has no readable motif -> target weights, so the effect is measured "
                   "(red: the motif raises the target, blue: it lowers it)")


def _subset(data, n: int = MAX_IMPORTANCE_SEQUENCES):
    """At most ``n`` rows of ``data``: a seeded random subset, in order."""
    if len(data) <= n:
        return data
    idx = np.sort(np.random.default_rng(0).choice(len(data), n, replace=False))
    return data[idx]


def predictions(model, data, batch_size: int = 256, progress: bool = False) -> np.ndarray:
    """(N, T) predictions: probabilities for binary targets, outputs for regression."""
    import torch

    from .progress import progress_bar
    param = next(iter(model.parameters()), torch.empty(0))
    out = []
    starts = range(0, len(data), batch_size)
    with torch.no_grad():
        for i in progress_bar(starts, enabled=progress, desc="predicting", unit="batch"):
            y = model(torch.as_tensor(data[i:i + batch_size]).to(param.device, param.dtype)).float()
            out.append((torch.sigmoid(y) if model.task == "binary" else y).cpu())
    return torch.cat(out).numpy()


def split_metrics(model, data, labels: pd.DataFrame | None, split: str = "test", batch_size: int = 256,
                  progress: bool = False) -> tuple[pd.DataFrame | None, str]:
    """Metrics of ``model`` on the rows of ``data`` whose ``labels["split"]`` is ``split``.

    ``labels`` holds one row per sequence of ``data``: the target columns (named as the model's
    targets) and optionally ``split``. Returns one row per target (``n``, ``positives``, ``AUROC``,
    ``AUPRC`` for binary targets; ``n``, ``Pearson r``, ``Spearman r`` for regression) and a
    sentence for the page, or ``None`` and why there are none.
    """
    if data is None or labels is None:
        return None, "Test metrics need --data with the target columns and a split column."
    targets = [t for t in model.target_names if t in labels.columns]
    if not targets:
        return None, "Test metrics need the model's target columns in --data; none were found."
    if "split" not in labels.columns:
        return None, ("--data has no split column, so the test sequences are unknown (`motifzoo fit` draws its random "
                      "split from data.split_seed); add a split column to get test metrics here.")
    rows = np.flatnonzero(labels["split"].astype(str).str.lower().to_numpy() == split)
    if not len(rows):
        return None, f"--data has no rows with split = {split}."
    pred = predictions(model, data[rows], batch_size, progress)
    index = {t: i for i, t in enumerate(model.target_names)}
    out = []
    for t in targets:
        y, p = labels[t].to_numpy(dtype=float)[rows], pred[:, index[t]]
        if model.task == "binary":
            out.append({"target": t, "n": len(rows), "positives": int((y > 0.5).sum()),
                        "AUROC": auroc(y, p), "AUPRC": average_precision(y, p)})
        else:
            out.append({"target": t, "n": len(rows), "Pearson r": float(pd.Series(y).corr(pd.Series(p))),
                        "Spearman r": float(pd.Series(y).rank().corr(pd.Series(p).rank()))})  # no scipy
    table = pd.DataFrame(out)
    note = (f"On the {len(rows)} sequences of --data with split = {split} (not seen in training or checkpoint "
            "selection). " + ("AUROC is undefined for a target with one class; AUPRC of a random model equals the "
                              "fraction of positives." if model.task == "binary" else ""))
    return table, note


def training_curve_figure(metrics: pd.DataFrame):
    """Loss (left) and validation score (right) per epoch from a Lightning ``metrics.csv``."""
    from .logos import new_figure
    if metrics is None or "epoch" not in metrics:
        return None
    by_epoch = metrics.groupby("epoch").mean(numeric_only=True)
    losses = [c for c in ("train/loss", "val/loss") if c in by_epoch and by_epoch[c].notna().any()]
    scores = [c for c in by_epoch.columns if c in ("val/score", "val/auroc", "val/auprc", "val/pearson")
              and by_epoch[c].notna().any()]
    if not losses and not scores:
        return None
    fig = new_figure(4.0, 2.2 if not (losses and scores) else 4.0)
    axes = fig.subplots(2 if losses and scores else 1, 1, squeeze=False)[:, 0]
    for ax, columns, label in zip(axes, [c for c in (losses, scores) if c], ("loss", "validation")):
        for c in columns:
            values = by_epoch[c].dropna()
            ax.plot(values.index, values.to_numpy(), marker="o", ms=3, label=c)
        ax.set_ylabel(label, fontsize=8)
        ax.tick_params(labelsize=8)
        ax.legend(fontsize=8, frameon=False)
    axes[-1].set_xlabel("epoch", fontsize=8)
    fig.tight_layout(pad=0.4)
    return fig


#: rules shown on the page (all of them go to syntax_rules.tsv)
MAX_RULES_SHOWN = 20


def syntax_readout(model, data=None, threshold: float = 0.5, min_ic: float = 3.0) -> dict:
    """Syntax rules of a model, and what is needed to draw its spacing histograms.

    Rules come from the weights of a syntax layer (``pair_weights()``, ``argminn_pairwise``) or, for
    any other model given ``data``, from motif instances called over the data (attention-gated for
    models with ``has_position_attention``, ``argminn``).

    Returns
    -------
    dict
        ``rules`` (DataFrame or None when there are none), ``pairs`` and ``geometry`` (for spacing
        histograms; None without data), ``how`` (a sentence for the page), ``note`` (why a
        readout the model should have could not be computed, else None).
    """
    empty = {"rules": None, "pairs": None, "geometry": None, "how": "", "note": None}
    layer = syntax.has_syntax_layer(model)
    if not layer and data is None:
        return empty
    try:
        result = syntax.syntax_rules(model, data, method="weights" if layer else "data",
                                     motif_kwargs={"threshold": threshold, "min_ic": min_ic})
    except ValueError as err:  # an optional readout: the rest of the report still stands
        return {**empty, "note": f"syntax rules could not be read: {err}"}
    rules = result["rules"]
    how = ("Significant rules only (q < 0.05, Benjamini-Hochberg over every rule tested). A spacing rule: an "
           "arrangement changes the output more than the same two motifs in other arrangements. A co-occurrence "
           "rule (from --data): having both motifs anywhere changes the predicted probability more than each alone "
           "adds, by more than 0.1 (cooperation if positive, repression or redundancy if negative). "
           + ("Spacing rules read from the weights of the model's syntax layer." if layer else
              "Spacing rules read from motif instances called over --data (sequences stratified by their site "
              "counts). Models without a syntax layer cannot represent spacing rules explicitly, so read these as "
              "what the model does with motifs arranged this way."))
    if rules is None or rules.empty:
        return {**empty, "note": "No significant syntax rules at q < 0.05. " + how}
    return {"rules": rules, "pairs": result.get("pairs"), "geometry": result.get("geometry"), "how": how,
            "note": None}


def _top_pairs(rules: pd.DataFrame, n: int = 6) -> list[tuple[int, int]]:
    """Filter-index pairs (a <= b) of the strongest rules, in rank order, without repeats."""
    seen: list[tuple[int, int]] = []
    for a, b in zip(rules["motif_a"], rules["motif_b"]):
        try:
            pair = tuple(sorted((int(str(a).removeprefix("filter")), int(str(b).removeprefix("filter")))))
        except ValueError:  # a model naming its filters otherwise: let the plotter choose
            return []
        if pair not in seen:
            seen.append(pair)
        if len(seen) == n:
            break
    return seen


def write_spacing_histograms(readout: dict, stem: Path) -> dict | None:
    """Spacing histograms of the strongest rules' motif pairs, drawn to ``stem.png`` by
    :func:`motifzoo.interpret.syntax.plot_spacing_histograms` and embedded (the file is removed)."""
    from . import syntax
    if readout["pairs"] is None or readout["geometry"] is None or len(readout["pairs"]) == 0:
        return None
    pairs = _top_pairs(readout["rules"]) or None
    shown = syntax.plot_spacing_histograms(readout["pairs"], readout["geometry"], stem.with_suffix(".png"),
                                           motif_pairs=pairs)
    return {**_embed_file(stem.with_suffix(".png")),
            "caption": f"spacing of the {len(shown)} most frequent / strongest motif pairs, by orientation"}


def heatmap_figure(weights: pd.DataFrame, row_labels: list[str], label: str = "weight",
                   title: str = "motif -> target weights"):
    """Motif x target heatmap (diverging colours, centered on zero)."""
    from .logos import new_figure
    values = weights.to_numpy()
    limit = float(np.abs(values).max()) or 1.0
    fig = new_figure(min(4.1, max(3.0, 0.4 * values.shape[1] + 2.4)), max(2.0, 0.2 * values.shape[0] + 1.4))
    ax = fig.add_subplot(1, 1, 1)
    image = ax.imshow(values, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto", interpolation="nearest")
    ax.set_xticks(range(values.shape[1]), [str(c) for c in weights.columns], rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(values.shape[0]), row_labels, fontsize=8)
    bar = fig.colorbar(image, ax=ax, shrink=0.8)
    bar.set_label(label, fontsize=8)
    bar.ax.tick_params(labelsize=8)
    ax.set_title(title, fontsize=9, loc="left")
    fig.tight_layout(pad=0.4)
    return fig


# --------------------------------------------------------------------------------------------
# Tables behind the page
# --------------------------------------------------------------------------------------------
def motif_table(motifs: list[Motif], annotation: pd.DataFrame, clusters: pd.DataFrame,
                weights: pd.DataFrame | None, filter_table: pd.DataFrame) -> pd.DataFrame:
    """One row per exported motif: filter stats (sites, enrichment over shuffled sequences, fraction
    of sequences with a site when known), best match, cluster and importance per target (``weights``:
    a filter x target table, the model's weights or the occlusion importance)."""
    table = pd.DataFrame({"motif": [m.name for m in motifs], "width": [m.width for m in motifs]})
    stat_columns = [c for c in ("filter", "nsites", "seq_fraction", "nsites_shuffled", "enrichment", "enrichment_p")
                    if c in filter_table.columns]
    stats = filter_table.set_index("name")[stat_columns]
    table = table.join(stats, on="motif")
    table = table.merge(annotation, on="motif", how="left").merge(clusters, on="motif", how="left")
    if weights is not None:
        w = weights.loc[table["motif"]].add_prefix("weight:").reset_index(drop=True)
        table = pd.concat([table.reset_index(drop=True), w], axis=1)
    return table


def cluster_table(table: pd.DataFrame, weights: pd.DataFrame | None) -> pd.DataFrame:
    """One row per group of redundant motifs: its representative and members, weights summed.

    Ordered by the representative's match q-value, so named motifs come first.
    """
    rows = []
    for cluster, group in table.groupby("cluster", sort=True):
        rep = group[group["motif"] == group["representative"].iloc[0]].iloc[0]
        row = {"cluster": int(cluster), "representative": rep["motif"], "members": ", ".join(group["motif"]),
               "n_members": len(group)}
        if weights is not None:
            row.update(weights.loc[group["motif"]].sum(axis=0).add_prefix("weight:").to_dict())
        row["q"] = rep["q"]
        rows.append(row)
    return pd.DataFrame(rows).sort_values(["q", "cluster"], kind="stable").drop(columns="q").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------
def _safe(name: str) -> str:
    """A file-name-safe version of a motif name."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def check_output_dir(out_dir, force: bool = False) -> Path:
    """Refuse an unusable report directory, or an existing report unless ``force``; changes nothing."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ReportError(f"report output {out} exists and is not a directory")
    if not out.parent.exists():
        raise ReportError(f"cannot write report {out}: directory {out.parent} does not exist")
    if (out / "index.html").exists() and not force:
        raise ReportError(f"{out / 'index.html'} already exists; pass --force to overwrite the report")
    return out


def prepare_output(out_dir, force: bool = False) -> Path:
    """Create the report directory, dropping the ``logos/`` files of an earlier report (figures are
    embedded in the page now)."""
    out = check_output_dir(out_dir, force)
    out.mkdir(exist_ok=True)
    old_logos = out / LOGO_DIR
    if old_logos.is_dir():
        for old in old_logos.glob("*"):
            if old.is_file() and old.suffix in (".png", ".svg"):
                old.unlink()
        if not any(old_logos.iterdir()):
            old_logos.rmdir()
    return out


def _embed(fig, display_dpi: int | None = None) -> dict:
    """``fig`` as an embedded PNG: ``{"src": data URI, "width": .., "height": ..}``.

    The display size is in CSS pixels at :data:`DISPLAY_DPI`, so that every logo is shown at the
    same scale (bits per pixel) and text keeps its point size; the PNG is drawn at twice that.
    """
    from .logos import save_figure_bytes
    dpi = display_dpi or DISPLAY_DPI
    width, height = (fig.get_size_inches() * dpi).round().astype(int)
    png = save_figure_bytes(fig, "png", dpi=2 * dpi)
    return {"src": "data:image/png;base64," + base64.b64encode(png).decode("ascii"),
            "width": int(width), "height": int(height)}


def _embed_file(path: Path) -> dict:
    """An image file written by another module, embedded (and removed)."""
    from PIL import Image  # matplotlib's own dependency
    data = path.read_bytes()
    with Image.open(io.BytesIO(data)) as png:
        width, height = png.size
        dpi = png.info.get("dpi", (100, 100))[0] or 100
    path.unlink()
    scale = DISPLAY_DPI / float(dpi)
    return {"src": "data:image/png;base64," + base64.b64encode(data).decode("ascii"),
            "width": int(round(width * scale)), "height": int(round(height * scale))}


def write_logos(model, motifs: list[Motif], annotation: pd.DataFrame, database: list[Motif],
                progress: bool = False) -> dict:
    """Logos of every motif, embedded; returns ``{motif: {"logo": image, "weights": image}}`` (see :func:`_embed`).

    ``logo`` is the learned motif aligned above its best match when the match is significant
    (reverse complemented for minus-strand matches), else the learned motif alone; ``weights`` is
    the mean-centered weight logo of the filter's exported span, in the same orientation.
    """
    from .logos import match_logo_figure, pwm_logo_figure, weight_logo_figure
    by_id = {m.name: m for m in database}
    hits = {r.motif: r for r in annotation.itertuples(index=False) if r.significant}
    filters = model.motif_filters().detach().cpu().numpy()
    from .progress import progress_bar
    paths = {}
    for m in progress_bar(motifs, enabled=progress, desc="logos", unit="motif"):
        hit = hits.get(m.name)
        rc = hit is not None and hit.strand == "-"
        if hit is not None and hit.match_id in by_id:
            label = f"{hit.match_id} {hit.match_name}".strip()
            fig = match_logo_figure(m, by_id[hit.match_id], int(hit.offset), hit.strand, target_label=label)
        else:
            fig = pwm_logo_figure(m.pwm, title=m.name)
        entry = {"logo": _embed(fig)}
        f, start = m.meta.get("filter"), int(m.meta.get("start", 0))
        if f is not None:
            span = filters[int(f)][:, start:start + m.width]
            title = f"{m.name} weights" + (" (reverse complement)" if rc else "")
            entry["weights"] = _embed(weight_logo_figure(span, title, reverse_complement=rc))
        paths[m.name] = entry
    return paths


def write_report(model, out_dir, data=None, *, checkpoint=None, data_path=None, database="jaspar",
                 database_name: str | None = None, q_threshold: float = 0.05, method: str | None = None,
                 threshold: float = 0.5, min_ic: float = 3.0, syntax: bool = True, force: bool = False,
                 labels: pd.DataFrame | None = None, motif_kwargs: dict | None = None, batch_size: int = 256,
                 progress: bool = False, variants=None, genome=None) -> Path:
    """Write ``out_dir/index.html`` for ``model`` and the data files it links to.

    Parameters
    ----------
    model : MotifModel
        A trained model (``motifzoo.load(checkpoint)``), on the device it should run on.
    out_dir : path
        Report directory (created; its parent must exist).
    data : tensor (N, 4, L), optional
        One-hot sequences to align filter activations on; without it PWMs come from the weights.
    checkpoint : path, optional
        The checkpoint the model came from (model card: metrics, training settings, provenance,
        and the training curve from the run's ``metrics.csv``).
    data_path : path, optional
        Where ``data`` came from, for the model card.
    database : str, path or list of Motif
        Motif database for annotation (see :func:`motifzoo.interpret.annotate.load_database`).
    database_name : str, optional
        How the model card names the database (default: derived from ``database``).
    q_threshold : float
        TOMTOM q-value for a match and for grouping redundant motifs.
    method, threshold, min_ic
        Passed to :func:`motifzoo.interpret.model_motifs` (and to the syntax readout).
    syntax : bool
        Add syntax rules (:func:`syntax_readout`): from a syntax layer, or from ``data`` for other models.
    force : bool
        Overwrite an existing report.
    labels : pandas.DataFrame, optional
        One row per sequence of ``data``: target columns and optionally ``split``; gives the test
        metrics (:func:`split_metrics`).
    motif_kwargs : dict, optional
        Further :func:`~motifzoo.interpret.model_motifs` arguments (``min_sites``, ``enrichment_p``,
        ``trim_ic``, ``keep_all`` ...), as ``motifzoo motifs`` takes them, so that both select the
        same filters.
    progress : bool
        Progress bars on a terminal (stderr).
    variants, genome : path, optional
        Variants to score (window table, or VCF with ``genome``): adds a Variants section and
        ``variant_effects.tsv`` (:mod:`motifzoo.interpret.variants_report`).

    Returns
    -------
    pathlib.Path
        The ``index.html`` written.

    Raises
    ------
    ReportError
        The model has no informative motif, or the report exists and ``force`` is False.
    DatabaseError
        The database cannot be read.
    """
    from ..models.io import read_checkpoint
    from .importance import sequence_site_fraction
    from .progress import progress_bar
    from .pwm import model_motifs
    db = load_database(database)  # first: a bad database path fails before any work
    check_output_dir(out_dir, force)
    raw = read_checkpoint(checkpoint) if checkpoint is not None else None
    kwargs = {"method": method, "threshold": threshold, "min_ic": min_ic, "batch_size": batch_size,
              **(motif_kwargs or {})}
    threshold, min_ic = kwargs["threshold"], kwargs["min_ic"]
    stages = progress_bar(total=7, enabled=progress, desc="report", unit="stage")
    stages.set_description("report: motifs")
    motifs, filter_table = model_motifs(model, data, progress=progress, **kwargs)
    stages.update()
    if not motifs:
        counts = filter_table["status"].value_counts()
        hint = "train longer or check the data" + ("" if data is not None else ", or pass --data to align activations")
        raise ReportError(
            f"the model has no informative motifs: of {len(filter_table)} filters, {counts.get('dead', 0)} are dead "
            f"(fewer than {filter_table.attrs.get('min_sites', '?')} sites), {counts.get('unenriched', 0)} unenriched "
            f"(as many sites in shuffled sequences) and {counts.get('flat', 0)} flat (under {min_ic} bits); {hint}")
    if data is not None and motifs and motifs[0].meta.get("method") == "activations":
        filter_table["seq_fraction"] = sequence_site_fraction(model, data, threshold, batch_size)
    stages.set_description("report: importance")
    importance, importance_note = importance_table(model, data, motifs, threshold, batch_size, progress)
    weights = target_weights(model)
    site_weights = target_weights(model, per_site=True)
    bin_weights = position_weights(model)
    stages.update()
    stages.set_description("report: test metrics")
    metrics, metrics_note = split_metrics(model, data, labels, batch_size=batch_size, progress=progress)
    stages.update()
    stages.set_description("report: naming motifs")
    annotation = annotate(motifs, db, q_threshold=q_threshold, significant_only=False)
    clusters = cluster_motifs(motifs, q_threshold=q_threshold, score=match_score(motifs, annotation))
    labelled = label_motifs(motifs, annotation)
    table = motif_table(labelled, annotation, clusters, importance, filter_table)
    groups = cluster_table(table, importance)
    # number the groups in the order the page lists them (named motifs first)
    renumber = {old: new for new, old in enumerate(groups["cluster"], start=1)}
    table["cluster"] = table["cluster"].map(renumber)
    groups["cluster"] = groups["cluster"].map(renumber)
    stages.update()
    stages.set_description("report: syntax")
    readout = syntax_readout(model, data, threshold, min_ic) if syntax else {"rules": None, "note": None}
    rules = readout["rules"]
    stages.update()

    out = prepare_output(out_dir, force)  # only now: a failed report leaves an earlier one intact

    stages.set_description("report: figures")
    files = write_downloads(out, labelled, table, filter_table, weights, rules, importance, site_weights, bin_weights)
    # --- variants section (issue 18): motifzoo.interpret.variants_report ---
    extra_sections = []
    if variants is not None:
        from .variants_report import variants_section
        body, extra_files = variants_section(model, variants, out, genome=genome, motifs=labelled, database=db,
                                             batch_size=batch_size)
        files.update(extra_files)
        extra_sections.append(("variants", "Variants", body))
    # --- end variants section ---
    logos = write_logos(model, labelled, annotation, db, progress=progress)
    figures = {}
    names = dict(zip(table["motif"], zip(table["match_name"], table["significant"])))

    def motif_heatmap(frame: pd.DataFrame, label: str, title: str) -> dict:
        """The rows of ``frame`` for the exported motifs, in the table's order, labelled by their match."""
        kept = frame.loc[[m for m in table["motif"] if m in frame.index]]
        row_labels = [f"{m} · {names[m][0]}" if isinstance(names[m][0], str) and names[m][1] else m
                      for m in kept.index]
        return _embed(heatmap_figure(kept, row_labels, label=label, title=title))

    if importance is not None:
        by_weights = weights is not None
        figures["heatmap"] = motif_heatmap(
            importance, label="weight" if by_weights else "Δ mean prediction",
            title="motif -> target weights" if by_weights else "motif -> target (occlusion)")
        if site_weights is not None:  # shown only beside the importance heatmap (render_html)
            figures["site_heatmap"] = motif_heatmap(site_weights, label="weight per unit of site strength",
                                                    title="motif -> target weights per site (dosage)")
        if bin_weights is not None:
            figures["position_heatmap"] = motif_heatmap(bin_weights, label="added weight of the strongest site in the bin",
                                                        title="motif -> target weights by position (window start, bp)")
    _, run_metrics = run_files(checkpoint)
    curve = training_curve_figure(run_metrics)
    if curve is not None:
        figures["curve"] = _embed(curve)
    if rules is not None:
        spacing = write_spacing_histograms(readout, out / "spacing")
        if spacing:
            figures["spacing"] = spacing
    stages.update()
    extraction = extraction_summary(motifs, filter_table, data, data_path, database_name or database_label(database),
                                    q_threshold)
    card = model_card(model, checkpoint, raw, extraction)
    page = render_html(card, table, groups, logos, figures, readout, files, q_threshold,
                       model.model_name or type(model).__name__,
                       importance_note=importance_note, metrics=metrics, metrics_note=metrics_note,
                       has_curve=checkpoint is not None, extra_sections=extra_sections)
    index = out / "index.html"
    atomic_write_text(index, page)
    stages.update()
    stages.close()
    return index


def write_downloads(out: Path, motifs: list[Motif], table: pd.DataFrame, filter_table: pd.DataFrame,
                    weights: pd.DataFrame | None, rules: pd.DataFrame | None,
                    importance: pd.DataFrame | None = None,
                    site_weights: pd.DataFrame | None = None,
                    position_weights: pd.DataFrame | None = None) -> dict[str, str]:
    """The data files behind the report; returns ``{file name: description}``."""
    files = {}
    atomic_write_text(out / "motifs.meme", format_meme(motifs))
    files["motifs.meme"] = "exported motifs (MEME; same ids as `motifzoo motifs`), best match as alt name"
    atomic_write_text(out / "annotation.tsv", table.to_csv(sep="\t", index=False))
    files["annotation.tsv"] = ("one row per motif: best match, p, q, strand, cluster, sites, enrichment, "
                               "importance per target (weight: columns)")
    atomic_write_text(out / "filters.tsv", filter_table.to_csv(sep="\t", index=False))
    files["filters.tsv"] = "every first-layer filter: kept, dead, unenriched or flat, sites, enrichment, bits"
    if importance is not None:
        atomic_write_text(out / "importance.tsv", importance.to_csv(sep="\t"))
        files["importance.tsv"] = "motif x target importance shown in the heatmap"
    if weights is not None:
        atomic_write_text(out / "target_weights.tsv", weights.to_csv(sep="\t"))
        files["target_weights.tsv"] = "filter x target weights (every filter)"
    if site_weights is not None:
        atomic_write_text(out / "site_weights.tsv", site_weights.to_csv(sep="\t"))
        files["site_weights.tsv"] = "filter x target weights of each filter's summed site strength (dosage term)"
    if position_weights is not None:
        atomic_write_text(out / "position_weights.tsv", position_weights.to_csv(sep="\t"))
        files["position_weights.tsv"] = ("filter x (target, position bin) weights each filter's strongest site in the "
                                         "bin adds (bins named by the bp range of window starts)")
    if rules is not None:
        atomic_write_text(out / "syntax_rules.tsv", rules.to_csv(sep="\t", index=False, float_format="%.4g"))
        files["syntax_rules.tsv"] = "syntax rules read from the model"
    for name in ("importance.tsv", "target_weights.tsv", "site_weights.tsv", "position_weights.tsv",
                 "syntax_rules.tsv"):
        if name not in files and (out / name).exists():  # an earlier report's file this model has no data for
            (out / name).unlink()
    return files


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------
STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 1.5em auto; max-width: 1200px;
       padding: 0 0.8em; color: #222; line-height: 1.4; overflow-wrap: break-word; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; margin-top: 1.8em; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.5em; vertical-align: middle; text-align: left; }
th { background: #f3f3f3; } td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.sortable th { cursor: pointer; user-select: none; } table.sortable th:hover { background: #e6e6e6; }
th[aria-sort=ascending]::after { content: " ▲"; } th[aria-sort=descending]::after { content: " ▼"; }
table.card td:first-child { color: #555; } table.card td:last-child { overflow-wrap: anywhere; }
.cards { display: flex; flex-wrap: wrap; gap: 1.5em; } .cards > div { flex: 1 1 300px; min-width: 0; }
img { max-width: 100%; height: auto; } .muted { color: #777; } .wide { overflow-x: auto; max-width: 100%; }
.wide img { max-width: none; }
th.target { font-size: 0.8em; max-width: 6em; }
nav { display: flex; flex-wrap: wrap; gap: 0.3em 1em; } pre { background: #f7f7f7; padding: 0.6em; overflow-x: auto; font-size: 0.8em; }
"""

#: click a column header to sort its table (numbers numerically, the rest as text); without
#: script the tables keep their order (named motifs first). A few lines inline, so the page stays
#: one file that works offline; <details> could hide rows but not reorder them.
SORT_SCRIPT = """
document.querySelectorAll('table.sortable').forEach(function (table) {
  table.querySelectorAll('thead th').forEach(function (th, col) {
    th.addEventListener('click', function () {
      var up = th.getAttribute('aria-sort') !== 'ascending', body = table.tBodies[0];
      table.querySelectorAll('thead th').forEach(function (h) { h.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', up ? 'ascending' : 'descending');
      var key = function (row) { var c = row.cells[col], v = c ? (c.dataset.v || c.textContent.trim()) : '';
                                 var n = parseFloat(v); return isNaN(n) ? v.toLowerCase() : n; };
      Array.from(body.rows).sort(function (a, b) {
        var x = key(a), y = key(b), d = (typeof x === typeof y) ? (x < y ? -1 : x > y ? 1 : 0)
                                                               : (typeof x === 'number' ? -1 : 1);
        return up ? d : -d; }).forEach(function (row) { body.appendChild(row); });
    });
  });
});
"""


def _e(value) -> str:
    return html.escape(str(value), quote=True)


def _fmt(value) -> str:
    """Numbers for tables: q/p values in scientific notation, others rounded."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (float, np.floating)):
        return f"{value:.2e}" if value != 0 and abs(value) < 1e-3 else f"{value:.3g}"
    return str(value)


def _img(image: dict, alt: str, lazy: bool = False, css: str = "") -> str:
    """An ``<img>`` of a figure embedded by :func:`_embed`, at its display size."""
    loading = " loading='lazy'" if lazy else ""
    cls = f" class='{css}'" if css else ""
    return (f"<img{cls} src='{_e(image['src'])}' width='{image['width']}' height='{image['height']}' "
            f"alt='{_e(alt)}'{loading}>")


def _match_cell(row) -> str:
    """Best match as 'NAME (ID)', linked to JASPAR for JASPAR ids; greyed when not significant."""
    if not isinstance(row.get("match_id"), str):
        return "<span class='muted'>–</span>"
    name = row.get("match_name") or ""
    text = f"<b>{_e(name)}</b> {_e(row['match_id'])}" if name else _e(row["match_id"])
    if JASPAR_ID.match(row["match_id"]):
        text = f"<a href='https://jaspar.elixir.no/matrix/{_e(row['match_id'])}/'>{text}</a>"
    if not row.get("significant", False):
        return f"<span class='muted'>none significant (nearest: {text})</span>"
    return text


def _weight_cells(row, targets: list[str], limit: float) -> str:
    """Importance per target as coloured numbers (red positive, blue negative)."""
    if len(targets) > MAX_TARGET_COLUMNS:
        ranked = sorted(targets, key=lambda t: -abs(row[f"weight:{t}"]))[:3]
        return "<td>" + "<br>".join(f"{_e(t)}: {row[f'weight:{t}']:+.3g}" for t in ranked) + "</td>"
    cells = []
    for t in targets:
        v = float(row[f"weight:{t}"])
        alpha = min(1.0, abs(v) / limit) * 0.75 if limit > 0 else 0
        colour = f"rgba(214,39,40,{alpha:.2f})" if v > 0 else f"rgba(31,119,180,{alpha:.2f})"
        cells.append(f"<td class='num' style='background:{colour}'>{v:+.3g}</td>")
    return "".join(cells)


def _weight_header(targets: list[str]) -> str:
    if not targets:
        return ""
    if len(targets) > MAX_TARGET_COLUMNS:
        return "<th>top targets (weight)</th>"
    return "".join(f"<th class='target'>{_e(t)}</th>" for t in targets)


def _card_html(card: dict) -> str:
    blocks = []
    for title, rows in card.items():
        if not rows:
            continue
        body = "".join(f"<tr><td>{_e(k)}</td><td>{_e(_fmt(v))}</td></tr>" for k, v in rows)
        blocks.append(f"<div><h3>{_e(title)}</h3><table class='card'>{body}</table></div>")
    return "<div class='cards'>" + "".join(blocks) + "</div>"


def _site_cells(row) -> str:
    """Sites, % of sequences with a site, and enrichment over shuffled sequences (with its p-value)."""
    frac = row.get("seq_fraction")
    frac_text = f"{100 * float(frac):.1f}%" if frac is not None and not pd.isna(frac) else ""
    enrichment = row.get("enrichment")
    enr_text = ""
    if enrichment is not None and not pd.isna(enrichment):
        enr_text = f"{float(enrichment):.3g}× <span class='muted'>(p {_fmt(row.get('enrichment_p'))})</span>"
    return (f"<td class='num'>{_fmt(row.get('nsites'))}</td><td class='num'>{frac_text}</td>"
            f"<td class='num' data-v='{_e(_fmt(enrichment))}'>{enr_text}</td>")


SITE_HEADER = ("<th title='windows where the filter fires above the threshold'>sites</th>"
               "<th title='fraction of the sequences with at least one site'>seqs with site</th>"
               "<th title='sites in the sequences / sites in dinucleotide-shuffled copies (+1 each)'>"
               "enrichment vs shuffled</th>")


def _table(table_id: str, head: str, rows: list[str]) -> str:
    """A sortable table in a horizontally scrolling box (the page itself never scrolls sideways)."""
    return (f"<div class='wide'><table id='{table_id}' class='sortable'><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def _groups_html(table: pd.DataFrame, groups: pd.DataFrame, logos: dict, targets: list[str], limit: float) -> str:
    rows = []
    for g in groups.to_dict("records"):
        rep = table[table["motif"] == g["representative"]].iloc[0].to_dict()
        weights = _weight_cells({**rep, **g}, targets, limit) if targets else ""
        rows.append(
            f"<tr><td class='num'>{g['cluster']}</td>"
            f"<td>{_img(logos[rep['motif']]['logo'], 'logo of ' + rep['motif'])}</td>"
            f"<td>{_match_cell(rep)}</td><td class='num' data-v='{_e(rep.get('q'))}'>{_fmt(rep.get('q'))}</td>"
            f"{_site_cells(rep)}{weights}"
            f"<td>{_e(rep.get('other_matches') or '')}</td><td>{_e(g['members'])}</td></tr>")
    head = ("<th>#</th><th>logo (learned above best match)</th><th>best match</th><th>q</th>"
            f"{SITE_HEADER}{_weight_header(targets)}<th>other matches</th><th>filters</th>")
    return _table("motif-table", head, rows)


def _filters_html(table: pd.DataFrame, logos: dict, targets: list[str], limit: float) -> str:
    rows = []
    for r in table.sort_values(["cluster", "q"]).to_dict("records"):
        wlogo = logos[r["motif"]].get("weights")
        wcell = _img(wlogo, "weights of " + r["motif"], lazy=True) if wlogo else ""
        weights = _weight_cells(r, targets, limit) if targets else ""
        rows.append(
            f"<tr><td>{_e(r['motif'])}</td><td class='num'>{r['cluster']}</td>"
            f"<td>{_img(logos[r['motif']]['logo'], 'logo of ' + r['motif'], lazy=True)}</td>"
            f"<td>{wcell}</td><td>{_match_cell(r)}</td><td class='num' data-v='{_e(r.get('q'))}'>{_fmt(r.get('q'))}</td>"
            f"<td>{_e(r.get('strand') or '')}</td>{_site_cells(r)}"
            f"<td class='num'>{_fmt(r.get('information'))}</td>{weights}</tr>")
    head = ("<th>filter</th><th>group</th><th>PWM logo</th><th>weight logo (mean-centered)</th><th>best match</th>"
            f"<th>q</th><th>strand</th>{SITE_HEADER}<th>bits</th>{_weight_header(targets)}")
    return _table("filter-table", head, rows)


def _rules_html(rules: pd.DataFrame) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in rules.columns)
    body = ["<tr>" + "".join(f"<td>{_e(_fmt(v))}</td>" for v in row) + "</tr>"
            for row in rules.itertuples(index=False)]
    return _table("syntax-table", head, body)


def _metrics_html(metrics: pd.DataFrame) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in metrics.columns)
    body = ["<tr>" + "".join(f"<td class='num'>{_e(_fmt(v))}</td>" if not isinstance(v, str) else f"<td>{_e(v)}</td>"
                             for v in row) + "</tr>" for row in metrics.itertuples(index=False)]
    return _table("metrics-table", head, body)


def render_html(card: dict, table: pd.DataFrame, groups: pd.DataFrame, logos: dict, figures: dict,
                readout: dict, files: dict, q_threshold: float, title: str, importance_note: str = "",
                metrics: pd.DataFrame | None = None, metrics_note: str = "", has_curve: bool = False,
                extra_sections=()) -> str:
    """The report page: one file, figures embedded, inline style and sorting script, no network."""
    targets = [c.split(":", 1)[1] for c in table.columns if c.startswith("weight:")]
    limit = float(table[[f"weight:{t}" for t in targets]].abs().to_numpy().max()) if targets else 0.0
    n_named = int(table["significant"].fillna(False).sum())
    sections = [("model-card", "Model card", _card_html(card))]
    perf = (f"<p>{_e(metrics_note)}</p>" + _metrics_html(metrics)) if metrics is not None else (
        f"<p class='muted'>{_e(metrics_note)}</p>")
    if "curve" in figures:
        perf += (f"<figure>{_img(figures['curve'], 'training curve', css='figure')}<figcaption>training curve from "
                 "the run's metrics.csv</figcaption></figure>")
    elif has_curve:
        perf += "<p class='muted'>No training curve: the checkpoint is not inside a run directory with metrics.csv.</p>"
    sections.append(("performance", "Test metrics", perf))
    if "heatmap" in figures:
        sections.append(("importance", "Which motif drives which target",
                         f"<p>Importance: {_e(importance_note)} (download: "
                         f"<a href='importance.tsv'>importance.tsv</a>).</p>"
                         + _img(figures["heatmap"], "motif to target importance heatmap", css="figure")
                         + ("<p>This model also adds every further site: each motif's summed site strength has its "
                            "own weight per target (the dosage term), beside the strongest site's weight above "
                            "(download: <a href='site_weights.tsv'>site_weights.tsv</a>).</p>"
                            + _img(figures["site_heatmap"], "motif to target per-site weight heatmap", css="figure")
                            if "site_heatmap" in figures else "")
                         + ("<p>Where a motif sits counts too: on top of the weight above (its strongest site "
                            "anywhere), this model adds a weight for each motif's strongest site in each position "
                            "bin. A profile that is high in the middle bins is a motif that counts more when "
                            "centred, as a factor's own site is in ChIP-seq peaks centred on their summits (download: "
                            "<a href='position_weights.tsv'>position_weights.tsv</a>).</p>"
                            + _img(figures["position_heatmap"], "motif to target weight by position heatmap",
                                   css="figure")
                            if "position_heatmap" in figures else "")))
    else:
        sections.append(("importance", "Which motif drives which target", f"<p class='muted'>{_e(importance_note)}</p>"))
    intro = (f"<p>{len(table)} informative filters form <b>{len(groups)}</b> distinct motifs "
             f"(filters grouped when TOMTOM q &lt; {q_threshold} between every pair). "
             f"{n_named} filters match a known motif (q &lt; {q_threshold}). "
             "Each logo shows the learned motif above its best match, reverse complemented when the match is on the "
             "minus strand. Sites: windows where the filter fires; enrichment: sites in the sequences over sites in "
             "dinucleotide-shuffled copies of them, with the one-sided binomial p-value."
             + (" Importance per target as in the heatmap above (summed over a group's filters); red raises the "
                "output, blue lowers it." if targets else "")
             + " Click a column header to sort.</p>")
    sections.append(("motifs", "Motifs", intro + _groups_html(table, groups, logos, targets, limit)))
    sections.append(("filters", "All exported filters",
                     "<details><summary>show every filter with its PWM and weight logos</summary>"
                     + _filters_html(table, logos, targets, limit) + "</details>"))
    rules = readout.get("rules")
    if rules is not None:
        shown = f" The {MAX_RULES_SHOWN} strongest of {len(rules)} are shown" if len(rules) > MAX_RULES_SHOWN else ""
        hist = ""
        if "spacing" in figures:
            spacing = figures["spacing"]
            hist = (f"<figure>{_img(spacing, 'spacing histograms', css='figure')}"
                    f"<figcaption>{_e(spacing['caption'])}</figcaption></figure>")
        sections.append(("syntax", "Syntax rules",
                         f"<p>{_e(readout.get('how', ''))}{shown} "
                         "(all: <a href='syntax_rules.tsv'>syntax_rules.tsv</a>).</p>"
                         f"{_rules_html(rules.head(MAX_RULES_SHOWN))}{hist}"))
    elif readout.get("note"):
        sections.append(("syntax", "Syntax rules", f"<p class='muted'>{_e(readout['note'])}</p>"))
    sections.extend(extra_sections)  # (id, title, html) sections of other modules, e.g. variants (issue 18)
    links = "".join(f"<li><a href='{_e(name)}' download>{_e(name)}</a> — {_e(desc)}</li>"
                    for name, desc in files.items())
    sections.append(("downloads", "Downloads",
                     "<p>The data behind this page, in the report folder beside index.html (the page itself holds "
                     f"every figure and works on its own).</p><ul>{links}</ul>"))
    nav = "".join(f"<a href='#{sid}'>{_e(name)}</a>" for sid, name, _ in sections)
    body = "".join(f"<section id='{sid}'><h2>{_e(name)}</h2>{content}</section>" for sid, name, content in sections)
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>motifzoo report: {_e(title)}</title><style>{STYLE}</style></head>\n"
            f"<body><h1>motifzoo report: {_e(title)}</h1><nav>{nav}</nav>\n{body}\n"
            f"<script>{SORT_SCRIPT}</script></body></html>\n")
