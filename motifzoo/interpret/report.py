"""One HTML report per trained model: what a biologist looks at.

:func:`write_report` writes ``DIR/index.html`` and the files it is built from:

* a model card — architecture, hyper-parameters, data, metrics (from the checkpoint and, when
  present, the Lightning run directory beside it);
* the distinct motifs (redundant filters grouped by TOMTOM), each as a logo aligned to its best
  database match with the q-value, the other close matches and, where the architecture makes it
  readable (:meth:`~motifzoo.models.MotifModel.motif_target_weights`), its weight on each target;
* every exported filter with its PWM and mean-centred weight logos;
* the unit -> target heatmap (models with target weights);
* syntax rules and spacing histograms: from the weights of a syntax layer, or for other models
  from motif instances over the data (:mod:`motifzoo.interpret.syntax`, when installed);
* downloads: ``motifs.meme`` (annotated), ``annotation.tsv``, ``filters.tsv``, ``target_weights.tsv``,
  ``syntax_rules.tsv``, and every logo and the heatmap as PNG and SVG under ``logos/``.

The page needs no network: images sit beside it and the style is inline. Everything goes
through the :class:`~motifzoo.models.MotifModel` interface, so it works for every model in
the zoo; optional readouts appear only when the model provides them.
"""
from __future__ import annotations

import datetime as _dt
import html
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .annotate import annotate, cluster_motifs, database_label, label_motifs, load_database, match_score
from ..motifs import Motif, atomic_write_text, format_meme
from . import syntax

LOGO_DIR = "logos"
#: targets shown as their own importance column; more are summarised as "top targets"
MAX_TARGET_COLUMNS = 8
JASPAR_ID = re.compile(r"^MA\d{4}\.\d+$")
#: CSS pixels per figure inch on the page (the PNGs are 100 dpi; browsers scale them down sharply)
DISPLAY_DPI = 64


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
    hparams = getattr(model, "hparams", None) or ((raw or {}).get("motifzoo") or {}).get("hparams") or {}
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
            ("architecture", getattr(model, "model_name", type(model).__name__)),
            ("description", doc[0] if doc else ""),
            ("parameters", f"{n_params:,}"),
            ("first-layer filters", f"{filters.shape[0]} x {filters.shape[-1]} bp"),
            ("first-layer activation", getattr(model, "motif_activation", "")),
            ("scans both strands", "yes" if getattr(model, "motif_strand_aware", False) else "no"),
        ],
        "Hyper-parameters": [(k, v) for k, v in sorted(_hyperparameters(model, raw).items())],
        "Data": [
            ("task", getattr(model, "task", "")),
            ("input length", f"{getattr(model, 'input_length', '')} bp"),
            ("targets", ", ".join(map(str, getattr(model, "target_names", [])))),
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
def target_weights(model) -> pd.DataFrame | None:
    """The model's (filter x target) weights as a DataFrame, or ``None`` when it has none."""
    weights = model.motif_target_weights()
    if weights is None:
        return None
    w = weights.detach().cpu().numpy() if hasattr(weights, "detach") else np.asarray(weights)
    names = model.filter_names()
    targets = list(getattr(model, "target_names", [])) or [f"target{t}" for t in range(w.shape[1])]
    if w.shape != (len(names), len(targets)):
        raise ReportError(f"motif_target_weights() has shape {w.shape}, expected ({len(names)}, {len(targets)}) "
                          "(filters x targets)")
    return pd.DataFrame(w, index=pd.Index(names, name="filter"), columns=targets)


#: rules shown on the page (all of them go to syntax_rules.tsv)
MAX_RULES_SHOWN = 20


def syntax_readout(model, data=None, threshold: float = 0.5, min_ic: float = 3.0) -> dict:
    """Syntax rules of a model, and what is needed to draw its spacing histograms.

    With :mod:`motifzoo.interpret.syntax` installed, rules come from the weights of a syntax layer
    (``argminn_pairwise``) or, for any other model given ``data``, from motif instances called over
    the data (attention-gated for ``argminn``). Without that module, the model interface's
    :meth:`~motifzoo.models.MotifModel.syntax_readout` is used.

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
    how = ("Rules read from the weights of the model's syntax layer." if layer else
           "Rules read from motif instances called over --data: the effect of an arrangement is the model's mean "
           "output on sequences holding it minus its mean on sequences holding both motifs arranged otherwise. "
           "Models without a syntax layer cannot represent spacing rules explicitly, so read these as what the "
           "model does with co-occurring motifs.")
    if rules is None or rules.empty:
        return {**empty, "note": "No syntax rule passed the readout's filters. " + how}
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
    """Spacing histograms of the strongest rules' motif pairs as ``stem.png`` (drawn by
    :func:`motifzoo.interpret.syntax.plot_spacing_histograms`; PNG only, as it is slow to draw)."""
    from . import syntax
    if readout["pairs"] is None or readout["geometry"] is None or len(readout["pairs"]) == 0:
        return None
    pairs = _top_pairs(readout["rules"]) or None
    shown = syntax.plot_spacing_histograms(readout["pairs"], readout["geometry"], stem.with_suffix(".png"),
                                           motif_pairs=pairs)
    from PIL import Image  # matplotlib's own dependency
    with Image.open(stem.with_suffix(".png")) as png:
        width, height = png.size
    return {"src": f"{stem.parent.name}/{stem.name}.png", "width": width, "height": height,
            "caption": f"spacing of the {len(shown)} most frequent / strongest motif pairs, by orientation"}


def heatmap_figure(weights: pd.DataFrame, row_labels: list[str]):
    """Filter x target weight heatmap (diverging colours, centred on zero)."""
    from .logos import new_figure
    values = weights.to_numpy()
    limit = float(np.abs(values).max()) or 1.0
    fig = new_figure(max(3.5, 0.45 * values.shape[1] + 2.8), max(2.0, 0.22 * values.shape[0] + 1.4))
    ax = fig.add_subplot(1, 1, 1)
    image = ax.imshow(values, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto", interpolation="nearest")
    ax.set_xticks(range(values.shape[1]), [str(c) for c in weights.columns], rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(values.shape[0]), row_labels, fontsize=7)
    fig.colorbar(image, ax=ax, label="weight", shrink=0.8)
    ax.set_title("unit -> target weights", fontsize=9, loc="left")
    fig.tight_layout(pad=0.4)
    return fig


# --------------------------------------------------------------------------------------------
# Tables behind the page
# --------------------------------------------------------------------------------------------
def motif_table(motifs: list[Motif], annotation: pd.DataFrame, clusters: pd.DataFrame,
                weights: pd.DataFrame | None, filter_table: pd.DataFrame) -> pd.DataFrame:
    """One row per exported motif: filter stats, best match, cluster and target weights."""
    table = pd.DataFrame({"motif": [m.name for m in motifs], "width": [m.width for m in motifs]})
    stats = filter_table.set_index("name")[["filter", "nsites"]]
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
    """Create the report directory and its ``logos/``, dropping the logos of an earlier report."""
    out = check_output_dir(out_dir, force)
    (out / LOGO_DIR).mkdir(parents=True, exist_ok=True)
    for old in (out / LOGO_DIR).glob("*"):  # an earlier model may have had filters this one lacks
        if old.is_file() and old.suffix in (".png", ".svg"):
            old.unlink()
    return out


def _save_both(fig, stem: Path, display_dpi: int | None = None) -> dict:
    """Save ``fig`` as ``stem.png`` and ``stem.svg``.

    Returns ``{"src": PNG path relative to the report, "width": .., "height": ..}`` with the display
    size in CSS pixels, so that every logo is shown at the same scale (bits per pixel).
    """
    from .logos import save_figure
    width, height = (fig.get_size_inches() * (display_dpi or DISPLAY_DPI)).round().astype(int)
    save_figure(fig, stem.with_suffix(".svg"), close=False)
    save_figure(fig, stem.with_suffix(".png"))
    return {"src": f"{stem.parent.name}/{stem.name}.png", "width": int(width), "height": int(height)}


def write_logos(out: Path, model, motifs: list[Motif], annotation: pd.DataFrame, database: list[Motif]) -> dict:
    """Logos of every motif; returns ``{motif: {"logo": png, "weights": png}}`` (paths relative to ``out``).

    ``logo`` is the learned motif aligned above its best match when the match is significant
    (reverse complemented for minus-strand matches), else the learned motif alone; ``weights`` is
    the mean-centred weight logo of the filter's exported span, in the same orientation.
    """
    from .logos import match_logo_figure, pwm_logo_figure, weight_logo_figure
    by_id = {m.name: m for m in database}
    hits = {r.motif: r for r in annotation.itertuples(index=False) if r.significant}
    filters = model.motif_filters().detach().cpu().numpy()
    paths = {}
    for m in motifs:
        stem = out / LOGO_DIR / _safe(m.name)
        hit = hits.get(m.name)
        rc = hit is not None and hit.strand == "-"
        if hit is not None and hit.match_id in by_id:
            label = f"{hit.match_id} {hit.match_name}".strip()
            fig = match_logo_figure(m, by_id[hit.match_id], int(hit.offset), hit.strand, target_label=label)
        else:
            fig = pwm_logo_figure(m.pwm, title=m.name)
        entry = {"logo": _save_both(fig, stem)}
        f, start = m.meta.get("filter"), int(m.meta.get("start", 0))
        if f is not None:
            span = filters[int(f)][:, start:start + m.width]
            title = f"{m.name} weights" + (" (reverse complement)" if rc else "")
            entry["weights"] = _save_both(weight_logo_figure(span, title, reverse_complement=rc),
                                          out / LOGO_DIR / f"{_safe(m.name)}_weights")
        paths[m.name] = entry
    return paths


def write_report(model, out_dir, data=None, *, checkpoint=None, data_path=None, database="jaspar",
                 database_name: str | None = None, q_threshold: float = 0.05, method: str | None = None,
                 threshold: float = 0.5, min_ic: float = 3.0, syntax: bool = True, force: bool = False) -> Path:
    """Write ``out_dir/index.html`` for ``model`` and the files it links to.

    Parameters
    ----------
    model : MotifModel
        A trained model (``motifzoo.load(checkpoint)``).
    out_dir : path
        Report directory (created; its parent must exist).
    data : tensor (N, 4, L), optional
        One-hot sequences to align filter activations on; without it PWMs come from the weights.
    checkpoint : path, optional
        The checkpoint the model came from (model card: metrics, training settings, provenance).
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
    from .pwm import model_motifs
    db = load_database(database)  # first: a bad database path fails before any work
    check_output_dir(out_dir, force)
    raw = read_checkpoint(checkpoint) if checkpoint is not None else None
    motifs, filter_table = model_motifs(model, data, method=method, threshold=threshold, min_ic=min_ic)
    if not motifs:
        counts = filter_table["status"].value_counts()
        hint = "train longer or check the data" + ("" if data is not None else ", or pass --data to align activations")
        raise ReportError(
            f"the model has no informative motifs: of {len(filter_table)} filters, {counts.get('dead', 0)} are dead "
            f"(fewer than {filter_table.attrs.get('min_sites', '?')} sites), {counts.get('unenriched', 0)} unenriched "
            f"(as many sites in shuffled sequences) and {counts.get('flat', 0)} flat (under {min_ic} bits); {hint}")
    weights = target_weights(model)
    annotation = annotate(motifs, db, q_threshold=q_threshold, significant_only=False)
    clusters = cluster_motifs(motifs, q_threshold=q_threshold, score=match_score(motifs, annotation))
    labelled = label_motifs(motifs, annotation)
    table = motif_table(labelled, annotation, clusters, weights, filter_table)
    groups = cluster_table(table, weights)
    # number the groups in the order the page lists them (named motifs first)
    renumber = {old: new for new, old in enumerate(groups["cluster"], start=1)}
    table["cluster"] = table["cluster"].map(renumber)
    groups["cluster"] = groups["cluster"].map(renumber)
    readout = syntax_readout(model, data, threshold, min_ic) if syntax else {"rules": None, "note": None}
    rules = readout["rules"]

    out = prepare_output(out_dir, force)  # only now: a failed report leaves an earlier one intact

    files = write_downloads(out, labelled, table, filter_table, weights, rules)
    logos = write_logos(out, model, labelled, annotation, db)
    figures = {}
    if weights is not None:
        kept = weights.loc[table["motif"]]
        labels = [f"{m} · {lab}" if isinstance(lab, str) and ok else m
                  for m, lab, ok in zip(table["motif"], table["match_name"], table["significant"])]
        figures["heatmap"] = _save_both(heatmap_figure(kept, labels), out / LOGO_DIR / "target_heatmap", 100)
    if rules is not None:
        spacing = write_spacing_histograms(readout, out / LOGO_DIR / "spacing")
        if spacing:
            figures["spacing"] = spacing
    extraction = extraction_summary(motifs, filter_table, data, data_path, database_name or database_label(database),
                                    q_threshold)
    card = model_card(model, checkpoint, raw, extraction)
    page = render_html(card, table, groups, logos, figures, readout, files, q_threshold,
                       getattr(model, "model_name", type(model).__name__))
    index = out / "index.html"
    atomic_write_text(index, page)
    return index


def write_downloads(out: Path, motifs: list[Motif], table: pd.DataFrame, filter_table: pd.DataFrame,
                    weights: pd.DataFrame | None, rules: pd.DataFrame | None) -> dict[str, str]:
    """The data files behind the report; returns ``{file name: description}``."""
    files = {}
    atomic_write_text(out / "motifs.meme", format_meme(motifs))
    files["motifs.meme"] = "exported motifs (MEME), best match as alt name"
    atomic_write_text(out / "annotation.tsv", table.to_csv(sep="\t", index=False))
    files["annotation.tsv"] = "one row per motif: best match, p, q, strand, cluster, target weights"
    atomic_write_text(out / "filters.tsv", filter_table.to_csv(sep="\t", index=False))
    files["filters.tsv"] = "every first-layer filter: kept, dead or flat, sites, bits"
    if weights is not None:
        atomic_write_text(out / "target_weights.tsv", weights.to_csv(sep="\t"))
        files["target_weights.tsv"] = "filter x target weights (every filter)"
    if rules is not None:
        atomic_write_text(out / "syntax_rules.tsv", rules.to_csv(sep="\t", index=False))
        files["syntax_rules.tsv"] = "syntax rules read from the model"
    return files


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------
STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2em auto; max-width: 1200px;
       padding: 0 1em; color: #222; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; margin-top: 1.8em; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.5em; vertical-align: middle; text-align: left; }
th { background: #f3f3f3; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.card td:first-child { color: #555; white-space: nowrap; }
.cards { display: flex; flex-wrap: wrap; gap: 1.5em; } .cards > div { flex: 1 1 340px; }
img.figure { max-width: 100%; height: auto; } .muted { color: #777; } .wide { overflow-x: auto; }
th.target { font-size: 0.8em; max-width: 6em; overflow-wrap: anywhere; }
nav a { margin-right: 1em; } pre { background: #f7f7f7; padding: 0.6em; overflow-x: auto; font-size: 0.8em; }
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
    """An ``<img>`` of a figure saved by :func:`_save_both`, at its display size."""
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


def _groups_html(table: pd.DataFrame, groups: pd.DataFrame, logos: dict, targets: list[str], limit: float) -> str:
    rows = []
    for g in groups.to_dict("records"):
        rep = table[table["motif"] == g["representative"]].iloc[0].to_dict()
        weights = _weight_cells({**rep, **g}, targets, limit) if targets else ""
        rows.append(
            f"<tr><td class='num'>{g['cluster']}</td>"
            f"<td>{_img(logos[rep['motif']]['logo'], 'logo of ' + rep['motif'])}</td>"
            f"<td>{_match_cell(rep)}</td><td class='num'>{_fmt(rep.get('q'))}</td>"
            f"<td>{_e(rep.get('other_matches') or '')}</td>{weights}"
            f"<td>{_e(g['members'])}</td></tr>")
    head = ("<tr><th>#</th><th>logo (learned above best match)</th><th>best match</th><th>q</th>"
            f"<th>other matches</th>{_weight_header(targets)}<th>filters</th></tr>")
    return f"<div class='wide'><table id='motif-table'>{head}{''.join(rows)}</table></div>"


def _filters_html(table: pd.DataFrame, logos: dict, targets: list[str], limit: float) -> str:
    rows = []
    for r in table.sort_values(["cluster", "q"]).to_dict("records"):
        wlogo = logos[r["motif"]].get("weights")
        wcell = _img(wlogo, "weights of " + r["motif"], lazy=True) if wlogo else ""
        weights = _weight_cells(r, targets, limit) if targets else ""
        rows.append(
            f"<tr><td>{_e(r['motif'])}</td><td class='num'>{r['cluster']}</td>"
            f"<td>{_img(logos[r['motif']]['logo'], 'logo of ' + r['motif'], lazy=True)}</td>"
            f"<td>{wcell}</td><td>{_match_cell(r)}</td><td class='num'>{_fmt(r.get('q'))}</td>"
            f"<td>{_e(r.get('strand') or '')}</td><td class='num'>{_fmt(r.get('nsites'))}</td>"
            f"<td class='num'>{_fmt(r.get('information'))}</td>{weights}</tr>")
    head = ("<tr><th>filter</th><th>group</th><th>PWM logo</th><th>weight logo (mean-centred)</th><th>best match</th>"
            f"<th>q</th><th>strand</th><th>sites</th><th>bits</th>{_weight_header(targets)}</tr>")
    return f"<div class='wide'><table id='filter-table'>{head}{''.join(rows)}</table></div>"


def _rules_html(rules: pd.DataFrame) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in rules.columns)
    body = "".join("<tr>" + "".join(f"<td>{_e(_fmt(v))}</td>" for v in row) + "</tr>"
                   for row in rules.itertuples(index=False))
    return f"<div class='wide'><table id='syntax-table'><tr>{head}</tr>{body}</table></div>"


def render_html(card: dict, table: pd.DataFrame, groups: pd.DataFrame, logos: dict, figures: dict,
                readout: dict, files: dict, q_threshold: float, title: str) -> str:
    """The report page (plain HTML, inline style, no scripts, no network)."""
    targets = [c.split(":", 1)[1] for c in table.columns if c.startswith("weight:")]
    limit = float(table[[f"weight:{t}" for t in targets]].abs().to_numpy().max()) if targets else 0.0
    n_named = int(table["significant"].fillna(False).sum())
    sections = [("model-card", "Model card", _card_html(card))]
    intro = (f"<p>{len(table)} informative filters form <b>{len(groups)}</b> distinct motifs "
             f"(filters grouped when TOMTOM q &lt; {q_threshold} between every pair). "
             f"{n_named} filters match a known motif (q &lt; {q_threshold}). "
             "Each logo shows the learned motif above its best match, reverse complemented when the match is on the "
             "minus strand." + (" Weights: the model's weight from each motif to each target (summed over a group's "
                               "filters); red raises the output, blue lowers it." if targets else "") + "</p>")
    sections.append(("motifs", "Motifs", intro + _groups_html(table, groups, logos, targets, limit)))
    sections.append(("filters", "All exported filters",
                     "<details><summary>show every filter with its PWM and weight logos</summary>"
                     + _filters_html(table, logos, targets, limit) + "</details>"))
    if "heatmap" in figures:
        sections.append(("targets", "Units → targets",
                         f"<p>Weight of each motif unit on each target (download: "
                         f"<a href='target_weights.tsv'>target_weights.tsv</a>).</p>"
                         + _img(figures["heatmap"], "unit to target heatmap", css="figure")))
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
    links = "".join(f"<li><a href='{_e(name)}' download>{_e(name)}</a> — {_e(desc)}</li>"
                    for name, desc in files.items())
    links += f"<li><a href='{LOGO_DIR}/'>{LOGO_DIR}/</a> — every logo and the heatmap as PNG and SVG</li>"
    sections.append(("downloads", "Downloads", f"<ul>{links}</ul>"))
    nav = "".join(f"<a href='#{sid}'>{_e(name)}</a>" for sid, name, _ in sections)
    body = "".join(f"<section id='{sid}'><h2>{_e(name)}</h2>{content}</section>" for sid, name, content in sections)
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<title>motifzoo report: {_e(title)}</title><style>{STYLE}</style></head>\n"
            f"<body><h1>motifzoo report: {_e(title)}</h1><nav>{nav}</nav>\n{body}\n</body></html>\n")
