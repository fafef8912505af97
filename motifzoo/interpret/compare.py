"""Motif-to-motif comparison with TOMTOM (memelite; no external binaries) and recovery of planted motifs."""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ..motifs import Motif


def _require_memelite():
    try:
        from memelite import tomtom
    except ImportError:
        raise ImportError("motif comparison needs memelite: pip install 'motifzoo[tomtom]'") from None
    return tomtom


def bh_qvalues(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg q-values along the last axis of ``p``."""
    p = np.asarray(p, dtype=np.float64)
    n = p.shape[-1]
    order = np.argsort(p, axis=-1)
    ranked = np.take_along_axis(p, order, -1) * n / np.arange(1, n + 1)
    ranked = np.minimum.accumulate(ranked[..., ::-1], axis=-1)[..., ::-1]
    q = np.empty_like(ranked)
    np.put_along_axis(q, order, np.minimum(ranked, 1.0), -1)
    return q


def tomtom(queries: list[Motif], targets: list[Motif]) -> pd.DataFrame:
    """Compare every query with every target.

    Returns
    -------
    pandas.DataFrame
        One row per (query, target): ``query, target, target_altname, p, q, offset, overlap, strand``.
        ``q`` is the Benjamini-Hochberg q-value over all targets of the query, as TOMTOM reports.
        ``strand`` is ``+`` when the query matches the target as given, ``-`` when its reverse complement does.
    """
    if not queries or not targets:
        return pd.DataFrame(columns=["query", "target", "target_altname", "p", "q", "offset", "overlap", "strand"])
    run = _require_memelite()
    import warnings
    Qs = [np.ascontiguousarray(m.pwm.T, dtype=np.float64) for m in queries]
    Ts = [np.ascontiguousarray(m.pwm.T, dtype=np.float64) for m in targets]
    threads = torch.get_num_threads()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p, _, offsets, overlaps, strands = run(Qs, Ts)[:5]
    finally:
        # numba's OpenMP layer sets the team size of the libgomp that torch shares (to every core): without this,
        # a training run after a TOMTOM call in the same process ran 2 spinning OpenMP threads per process
        # (up to 5x slower per epoch on 2 shared cores; benchmarks/syntax.md, "#15 seventh round")
        torch.set_num_threads(threads)
    p = np.nan_to_num(np.asarray(p, dtype=np.float64), nan=1.0)
    q = bh_qvalues(p)
    nq, nt = p.shape
    return pd.DataFrame({
        "query": np.repeat([m.name for m in queries], nt),
        "target": np.tile([m.name for m in targets], nq),
        "target_altname": np.tile([m.altname or "" for m in targets], nq),
        "p": p.ravel(), "q": q.ravel(),
        "offset": np.asarray(offsets).ravel().astype(int), "overlap": np.asarray(overlaps).ravel().astype(int),
        "strand": np.where(np.asarray(strands).ravel() == 1, "-", "+"),
    })


def motif_recovery(learned: list[Motif], planted: list[Motif], background: list[Motif] | None = None,
                   q_threshold: float = 0.05) -> dict:
    """How many planted motifs the learned ones recover, and how many learned ones are planted motifs.

    Learned motifs are compared by TOMTOM against the planted set plus ``background``
    (e.g. all JASPAR CORE vertebrates, so that p-values are calibrated; background
    motifs with a planted motif's name are dropped).

    Returns
    -------
    dict
        ``recovered`` (planted names with a learned match at q < threshold), ``n_recovered``,
        ``n_planted``, ``n_learned``, ``n_learned_matching`` (learned motifs with a planted match),
        ``precision`` (that over n_learned), ``matches`` (DataFrame of the significant planted matches).
    """
    planted_names = [m.name for m in planted]
    db = list(planted) + [m for m in (background or []) if m.name not in set(planted_names)]
    table = tomtom(learned, db)
    hits = table[(table["q"] < q_threshold) & table["target"].isin(planted_names)]
    recovered = [n for n in planted_names if n in set(hits["target"])]
    matching = hits["query"].nunique()
    return {"recovered": recovered, "n_recovered": len(recovered), "n_planted": len(planted),
            "n_learned": len(learned), "n_learned_matching": int(matching),
            "precision": float(matching / len(learned)) if learned else 0.0,
            "matches": hits.sort_values("q").reset_index(drop=True)}
