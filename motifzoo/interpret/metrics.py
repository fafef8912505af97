"""Ranking metrics over arrays, for reports and benchmarks (no torch, no Lightning).

Training computes its metrics with torchmetrics (:mod:`motifzoo.training.module`); these are for
readers of predictions already in numpy.
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def auroc(y, score) -> float:
    """Area under the ROC curve by ranks (Mann-Whitney U, ties averaged).

    Parameters
    ----------
    y : array_like, shape (N,)
        Labels; values above 0.5 are positives.
    score : array_like, shape (N,)
        Scores, higher for positives.

    Returns
    -------
    float
        NaN when ``y`` holds only one class.
    """
    pos = np.asarray(y, dtype=float) > 0.5
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = pd.Series(np.asarray(score, dtype=float)).rank().to_numpy()
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def average_precision(y, score) -> float:
    """Area under the precision-recall curve, step-wise (average precision); NaN without positives.

    Parameters
    ----------
    y, score : array_like, shape (N,)
        As in :func:`auroc`. Tied scores keep their input order.
    """
    pos = np.asarray(y, dtype=float) > 0.5
    if not pos.any():
        return float("nan")
    order = np.argsort(-np.asarray(score, dtype=float), kind="stable")
    hits = pos[order].astype(float)
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float((precision * hits).sum() / hits.sum())
