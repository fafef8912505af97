"""The report's "Variants" section: the top variants, each with ref and alt logos of the instance it changes.

:func:`variants_section` scores a variant file with :func:`motifzoo.interpret.variants.write_variant_effects`,
writes ``variant_effects.tsv`` and, for the ``n_top`` variants with the largest ``|delta|`` (each on the
target it moves most), a logo pair under ``logos/``: the bases the affected filter reads at that instance in
the reference and in the alternative window, each letter as tall as the filter's weight for it (mean-centered
per column, as the report's weight logos), so a broken site shows its tallest letter replaced. It returns the
section's HTML and the files it wrote, for :func:`motifzoo.interpret.report.write_report`.
"""
from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import numpy as np
import pandas as pd

from .logos import ALPHABET, draw_logo, new_figure
from .variants import write_variant_effects

#: variants shown with logos
N_TOP = 10
EFFECTS_FILE = "variant_effects.tsv"


def instance_matrix(bases: str, weights: np.ndarray) -> pd.DataFrame:
    """(W, ACGT) logo matrix of one instance: the filter's mean-centered weight of each observed base.

    ``bases`` is the instance in the filter's orientation (``N`` contributes nothing), ``weights`` (4, W).
    """
    w = np.asarray(weights, dtype=np.float64)
    w = w - w.mean(axis=0, keepdims=True)
    frame = np.zeros((len(bases), 4))
    for j, b in enumerate(bases.upper()):
        if b in ALPHABET:
            a = ALPHABET.index(b)
            frame[j, a] = w[a, j]
    return pd.DataFrame(frame, columns=list(ALPHABET))


def variant_logo_figure(row, weights: np.ndarray):
    """Ref above alt: the affected instance of one effects row, letters scaled by the filter's weights."""
    ref, alt = instance_matrix(row["ref_instance"], weights), instance_matrix(row["alt_instance"], weights)
    lo = min(ref.to_numpy().min(), alt.to_numpy().min(), 0.0)
    hi = max(ref.to_numpy().max(), alt.to_numpy().max(), 1e-6)
    fig = new_figure(max(2.5, 0.22 * len(ref) + 0.8), 2.2)
    for k, (frame, which, act) in enumerate(((ref, "ref", row["ref_activation"]), (alt, "alt", row["alt_activation"]))):
        ax = fig.add_subplot(2, 1, k + 1)
        draw_logo(ax, frame, title=f"{which} · activation {act:.3g}", ylabel="weight", ymax=None)
        ax.set_ylim(lo * 1.05, hi * 1.05)
        ax.axhline(0, color="0.4", lw=0.5)
        ax.set_xticks([])
        differs = [j for j, (a, b) in enumerate(zip(row["ref_instance"], row["alt_instance"])) if a != b]
        for j in differs:
            ax.axvspan(j - 0.5, j + 0.5, color="#fde68a", alpha=0.5, zorder=0)
    fig.tight_layout(pad=0.3)
    return fig


def top_variants(effects: pd.DataFrame, n: int = N_TOP) -> pd.DataFrame:
    """The ``n`` variants with the largest ``|delta|``, one row each (the target they move most)."""
    strongest = effects.loc[effects["delta"].abs().groupby(effects["variant"], sort=False).idxmax()]
    return strongest.reindex(strongest["delta"].abs().sort_values(ascending=False).index).head(n)


def _fmt(v) -> str:
    if isinstance(v, float):
        return "" if np.isnan(v) else f"{v:.3g}"
    return str(v)


def embedded_png(fig, dpi: int = 100) -> tuple[str, int, int]:
    """``(data URI, width px, height px)`` of a figure as PNG (no timestamps: reruns give identical bytes)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    width, height = (fig.get_size_inches() * dpi).round().astype(int)
    fig.clear()
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii"), int(width), int(height)


def variants_section(model, variants, out_dir, *, genome=None, motifs=None, database=None, n_top: int = N_TOP,
                     batch_size: int = 256, device=None) -> tuple[str, dict]:
    """Score ``variants`` and write the report section's files into ``out_dir``.

    Parameters
    ----------
    model : MotifModel
    variants : path
        Window table (``name``, ``ref``, ``alt``) or VCF (with ``genome``), as for ``motifzoo variants``.
    out_dir : path
        The report directory (must exist): ``variant_effects.tsv`` is written there; the logos are embedded.
    motifs : list of Motif, optional
        The report's exported, annotated motifs: variants are explained by these, with their names.
    database : str, path or list of Motif, optional
        Name the motifs as ``motifzoo variants --database`` does (the best match and the matches TOMTOM
        cannot tell apart from it, :func:`~motifzoo.interpret.variants.name_motifs`), so the section and
        ``motifzoo variants`` give the same labels.

    Returns
    -------
    (html, files) : str, dict
        The section body and ``{file name: description}`` of the downloads it adds.
    """
    out = Path(out_dir)
    n = write_variant_effects(model, variants, out / EFFECTS_FILE, genome=genome, motifs=motifs, database=database,
                              batch_size=batch_size, device=device)
    effects = pd.read_csv(out / EFFECTS_FILE, sep="\t", keep_default_na=True)
    top = top_variants(effects, n_top)
    filters = model.motif_filters().detach().cpu().numpy()
    names = model.filter_names()
    rows = []
    for i, (_, row) in enumerate(top.iterrows()):
        f = names.index(str(row["motif"]).split(" ")[0])
        src, width, height = embedded_png(variant_logo_figure(row, filters[f]))
        cells = "".join(f"<td>{html.escape(_fmt(row[c]))}</td>" for c in
                        ("variant", "target", "delta", "motif", "created_or_broken", "explained"))
        rows.append(f"<tr>{cells}<td><img src='{src}' width='{width // 2}' height='{height // 2}' alt='ref and alt "
                    f"instance of {html.escape(str(row['variant']))}' loading='lazy'></td></tr>")
    head = "".join(f"<th>{c}</th>" for c in ("variant", "target", "Δ logit" if model.task == "binary" else "Δ",
                                             "motif", "instance", "explained", "ref / alt instance"))
    intro = (f"<p>{n} variants scored from <code>{html.escape(Path(variants).name)}</code>; the {len(top)} with the "
             "largest effect are shown, each on the target it moves most. <i>motif</i>: the motif whose activations, "
             "swapped alone from ref to alt, move that target most; <i>explained</i>: the fraction of Δ that swap "
             "recovers. Logos: the bases the filter reads at the changed instance, ref above alt, each letter as tall "
             "as the filter's weight for it; the changed bases are shaded. All rows: "
             f"<a href='{EFFECTS_FILE}'>{EFFECTS_FILE}</a>.</p>")
    body = intro + f"<div class='wide'><table id='variants-table'><tr>{head}</tr>{''.join(rows)}</table></div>"
    return body, {EFFECTS_FILE: "one row per variant x target: scores, delta, the motif instance changed, explained"}
