"""Motif instance calls with a p-value each, FIMO-like, from a model's first-layer filters.

A filter's *score* at a window is its activation (the larger of its two strands for
strand-aware models). Its null distribution comes from the same filter scanned over
dinucleotide-shuffled copies of the data (:func:`motifzoo.data.shuffle.dinucleotide_shuffle`):
composition and dinucleotide counts kept, motifs destroyed. A call's p-value is the
fraction of null windows scoring at least as high, ``p = (1 + #null >= s) / (1 + n_null)``
(an empirical, per-window p-value as FIMO's is per position and strand; here per window,
either strand). Instances are windows with ``p <= p_threshold`` that are the best of their
filter within +-W/2 bp. Everything is streamed in batches: memory depends on the batch size
and on the number of calls, not on the number of sequences.

A p-value threshold lets the number of false calls grow with the data (windows x p). Each call
also gets a ``q``: the Benjamini-Hochberg false discovery rate of calling every window of its
filter that scores at least as high, ``q(s) = min over s' <= s of m p(s') / R(s')`` with ``m``
the filter's windows in the data and ``R(s')`` how many of them score >= s' (counted at the
null's stored scores while scanning). ``q_threshold`` keeps calls with ``q <= q_threshold``: an
expected fraction of at most ``q_threshold`` of a filter's called windows are background.

Only the :class:`motifzoo.models.MotifModel` interface is used.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from .progress import progress_bar
from .pwm import _iter_batches, _n_batches, _shuffled_batches

#: default per-window p-value threshold of an instance call (FIMO's default is 1e-4 per position)
DEFAULT_P = 1e-4
INSTANCE_COLUMNS = ["sequence", "position", "end", "center", "strand", "motif", "filter", "score", "p", "q",
                    "activation", "attention"]
#: with a q threshold, windows are candidates up to this p (q <= 0.1 above it needs >= 1 % of windows to be sites)
Q_CANDIDATE_P = 1e-3


def n_strands(model) -> int:
    """1 or 2: how many strands the model's scanner reads."""
    return 2 if model.motif_strand_aware else 1


@dataclass
class ScoreNull:
    """The upper tail of each filter's score distribution on shuffled sequences.

    Attributes
    ----------
    tail : numpy.ndarray, shape (F, K)
        The K highest null scores of each filter, in descending order.
    n : int
        Null windows scanned per filter (sequences x windows).
    """

    tail: np.ndarray
    n: int

    def pvalues(self, filters: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """(M,) p-values ``(1 + #null >= score) / (1 + n)`` of scores of the given filters.

        Scores below the stored tail get the tail's bound ``(1 + K) / (1 + n)`` or more (K/n).
        """
        filters, scores = np.asarray(filters, dtype=np.int64), np.asarray(scores, dtype=np.float64)
        out = np.empty(len(scores))
        for f in np.unique(filters):
            sel = filters == f
            asc = self.tail[f][::-1]
            count = len(asc) - np.searchsorted(asc, scores[sel], side="left")  # null >= score
            out[sel] = (1.0 + count) / (1.0 + self.n)
        return out

    def real_counts(self, best: torch.Tensor) -> np.ndarray:
        """(F, K) how many of the windows ``best`` (B, F, L') of each filter score >= each stored null score."""
        k = self.tail.shape[1]
        out = np.zeros((len(self.tail), k), dtype=np.int64)
        # only windows at or above a filter's lowest stored null score count anywhere (about 1 % of them)
        lowest = torch.as_tensor(self.tail[:, -1], dtype=best.dtype, device=best.device)
        _, f, _ = idx = torch.nonzero(best >= lowest[None, :, None], as_tuple=True)
        scores, f = best[idx].double().cpu().numpy(), f.cpu().numpy()
        for g in np.unique(f):
            asc = self.tail[g][::-1]
            # a score counts towards every stored null score at or below it: n_le of them, the lowest ones
            n_le = np.searchsorted(asc, scores[f == g], side="right")
            reach = np.bincount(n_le, minlength=k + 1)[1:]  # reach[j]: scores reaching exactly the j + 1 lowest
            # the j-th highest null score (descending, as the tail) is reached by every score reaching at least
            # k - j of the lowest: a cumulative sum from the top
            out[g] = reach[::-1].cumsum()
        return out

    def qvalues(self, filters: np.ndarray, scores: np.ndarray, real_counts: np.ndarray, n_real: int) -> np.ndarray:
        """(M,) Benjamini-Hochberg q-values of scores, from the real windows' counts at the null's stored scores.

        ``real_counts`` (F, K): real windows (of ``n_real`` per filter) scoring >= each stored null score
        (:meth:`real_counts`, summed over batches). The FDR of cutting at the j-th highest null score is
        ``n_real * p_j / R_j``; a score's q is the smallest FDR over the cuts at or below it.
        """
        filters, scores = np.asarray(filters, dtype=np.int64), np.asarray(scores, dtype=np.float64)
        k = self.tail.shape[1]
        out = np.ones(len(scores))
        for f in np.unique(filters):
            sel = filters == f
            asc = self.tail[f][::-1]
            p_cut = (1.0 + k - np.searchsorted(asc, self.tail[f], side="left")) / (1.0 + self.n)  # ties share a p
            fdr = np.minimum(1.0, n_real * p_cut / np.maximum(real_counts[f], 1))
            # step-up: a cut at a lower score that is at least as good counts too (min over cuts j' >= j)
            envelope = np.minimum.accumulate(fdr[::-1])[::-1]
            j = len(asc) - np.searchsorted(asc, scores[sel], side="right")  # null scores above: cut index
            # the cuts at or below the score are those with index >= j (0-based); none -> 1
            out[sel] = np.where(j < k, envelope[np.minimum(j, k - 1)], 1.0)
        return out

    def cutoff(self, p: float) -> np.ndarray:
        """(F,) the smallest score whose p-value is <= ``p`` (inf when no stored null score allows it)."""
        k = int(np.floor(p * (1 + self.n) - 1))  # at most k null scores may reach the cut
        if k < 0:
            return np.full(len(self.tail), np.inf)
        if k >= self.tail.shape[1]:
            raise ValueError(f"p = {p} is above the stored null tail (K/n = {self.tail.shape[1] / self.n:.3g})")
        # a score strictly above the (k+1)-th highest null score has at most k null scores >= it
        # scores are float32: step to the next float32 so that ties with that null score stay out
        return np.nextafter(self.tail[:, k].astype(np.float32), np.float32(np.inf)).astype(np.float64)


def _first_sequences(batches, limit: int):
    """The batches cut to their first ``limit`` sequences in all (no batch is read past them)."""
    left = limit
    if left <= 0:
        return
    for x in batches:
        yield x[:left]
        left -= len(x)
        if left <= 0:
            return


@torch.no_grad()
def score_null(model, data, max_sequences: int = 4000, keep_fraction: float = 0.01, seed: int = 0,
               batch_size: int = 256) -> ScoreNull:
    """Each filter's score distribution on dinucleotide-shuffled copies of (up to ``max_sequences``) sequences.

    Parameters
    ----------
    model : MotifModel
    data : tensor (N, 4, L) or iterable of one-hot batches
    max_sequences : int
        Shuffle at most this many sequences (the first ones); 4,000 x 200 bp gives ~7e5 null
        windows, enough to resolve p = 1e-4 with ~70 null scores above the cut.
    keep_fraction : float
        Keep the top fraction of null scores per filter (p-values above it are bounded, not exact).
    seed : int
        Shuffle seed (each sequence's shuffle depends on it and its index only).

    Returns
    -------
    ScoreNull
    """
    model.eval()
    tail, n = None, 0
    for shuffled in _shuffled_batches(_first_sequences(_iter_batches(data, batch_size), max_sequences), seed):
        scores = model.stranded_activations(shuffled).amax(dim=1).cpu()  # (B, F, L')
        n += scores.shape[0] * scores.shape[2]
        flat = scores.permute(1, 0, 2).reshape(scores.shape[1], -1)
        both = flat if tail is None else torch.cat([tail, flat], dim=1)
        k = min(both.shape[1], max(1, int(np.ceil(keep_fraction * n))) + 1)
        tail = torch.topk(both, k, dim=1).values
    if tail is None:
        raise ValueError("no sequences given")
    return ScoreNull(tail.numpy().astype(np.float64), n)


@torch.no_grad()
def call_instances(model, data, geometry: pd.DataFrame, p_threshold: float = DEFAULT_P, null: ScoreNull | None = None,
                   attention_threshold: float = 0.0, keep_all: bool = False, batch_size: int = 256,
                   progress: bool = False, q_threshold: float | None = None) -> pd.DataFrame:
    """Motif instances: windows whose score has p <= ``p_threshold`` against the shuffled null, best within +-W/2.

    Parameters
    ----------
    model : MotifModel
    data : tensor (N, 4, L) or iterable of one-hot batches
    geometry : DataFrame
        From :func:`motifzoo.interpret.syntax.motif_geometry` (names, status, trimmed start/width).
    p_threshold : float
        Per-window p-value cut (default :data:`DEFAULT_P`).
    q_threshold : float, optional
        Also keep only calls whose q (false discovery rate over the filter's windows) is at most
        this. ``p_threshold`` still caps the candidates: pass :data:`Q_CANDIDATE_P` (or more) to let
        q decide.
    null : ScoreNull, optional
        Default: :func:`score_null` on ``data``.
    attention_threshold : float
        Models with attention (``position_attention`` not None) also need the window's attention,
        relative to uniform, to reach this (0, the default: no gate; :func:`motifzoo.interpret.syntax.syntax_rules`
        uses 2).
    keep_all : bool
        Also call filters that ``motifzoo motifs`` does not export.
    progress : bool
        Show a progress bar over the batches on a terminal (:func:`~motifzoo.interpret.progress.progress_bar`).

    Returns
    -------
    pandas.DataFrame with :data:`INSTANCE_COLUMNS`
        ``sequence`` (row of ``data``), ``position``/``end`` (0-based half-open span of the trimmed
        motif on the forward strand), ``center``, ``strand``, ``motif`` (filter name), ``filter``,
        ``score`` (-log10 p), ``p``, ``q``, ``activation``, ``attention`` (NaN without attention).
        ``attrs``: ``n_sequences``, ``p_threshold``, ``q_threshold``, ``n_null`` (null windows per filter).
    """
    model.eval()
    if q_threshold is not None and not 0 < q_threshold <= 1:
        raise ValueError(f"q_threshold must be in (0, 1], got {q_threshold}")
    null = null if null is not None else score_null(model, data, batch_size=batch_size)
    width = int(geometry.attrs.get("filter_width", model.motif_filters().shape[-1]))
    starts, widths = geometry["start"].to_numpy(), geometry["width"].to_numpy()
    names = geometry["name"].to_numpy()
    allowed = torch.as_tensor(np.ones(len(geometry), bool) if keep_all else geometry["status"].to_numpy() == "kept")
    cut = torch.as_tensor(null.cutoff(p_threshold), dtype=torch.float32)
    frames, offset, n_windows = [], 0, 0
    above = np.zeros(null.tail.shape, dtype=np.int64)  # real windows >= each stored null score, for q
    for x in progress_bar(_iter_batches(data, batch_size), enabled=progress, total=_n_batches(data, batch_size),
                          desc="instances", unit="batch"):
        stranded = model.stranded_activations(x).cpu()  # (B, S, F, L')
        best = stranded.amax(dim=1)  # best strand; which one is looked up at the few calls only
        above += null.real_counts(best)
        n_windows += best.shape[0] * best.shape[2]
        peak = F.max_pool1d(best, width, stride=1, padding=width // 2)[..., : best.shape[-1]]
        keep = (best >= peak) & (best >= cut[None, :, None]) & allowed[None, :, None]
        del peak
        attention = model.position_attention(x)
        if attention is not None:
            attention = attention.cpu()
            keep &= attention[:, None, :] >= attention_threshold
        n, f, i = (t.numpy() for t in torch.nonzero(keep, as_tuple=True))
        minus = (stranded[n, 1, f, i] > stranded[n, 0, f, i]).numpy() if stranded.shape[1] == 2 else np.zeros(len(n), bool)
        act = best[n, f, i].numpy()
        position = np.where(minus, i + width - starts[f] - widths[f], i + starts[f])
        frames.append(pd.DataFrame({
            "sequence": n + offset, "position": position, "end": position + widths[f],
            "center": position + (widths[f] - 1) / 2, "strand": np.where(minus, "-", "+"), "motif": names[f],
            "filter": f, "activation": act,
            "attention": attention[n, i].numpy() if attention is not None else np.full(len(n), np.nan)}))
        offset += len(x)
    calls = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=INSTANCE_COLUMNS)
    calls["p"] = null.pvalues(calls["filter"].to_numpy(int), calls["activation"].to_numpy(float))
    calls["score"] = -np.log10(calls["p"].to_numpy(float))
    calls["q"] = null.qvalues(calls["filter"].to_numpy(int), calls["activation"].to_numpy(float), above, n_windows)
    if q_threshold is not None:
        calls = calls[calls["q"] <= q_threshold]
    calls = calls.sort_values(["sequence", "position", "filter"], kind="stable").reset_index(drop=True)[INSTANCE_COLUMNS]
    calls.attrs.update(n_sequences=offset, p_threshold=p_threshold, q_threshold=q_threshold, n_null=null.n)
    return calls


def merge_instances(calls: pd.DataFrame, motif_of: dict, radius: float | None = None) -> pd.DataFrame:
    """Motif-level instances: calls of redundant filters of one motif at one site become one call.

    Parameters
    ----------
    calls : DataFrame
        From :func:`call_instances`.
    motif_of : dict filter index -> motif id
        The motif each filter belongs to (e.g. its cluster's representative, as written to MEME).
    radius : float, optional
        Two calls of one motif whose centers are closer than this are one site; the one with the
        lower p (then lower filter index) is kept. Default: half the narrower trimmed width.

    Returns
    -------
    DataFrame: the kept calls with ``motif`` replaced by the motif id (``filter`` stays the filter that
    made the call), sorted by sequence and position; ``attrs`` copied.
    """
    out = calls.assign(motif=calls["filter"].map(motif_of)).dropna(subset=["motif"])
    if out.empty:
        out.attrs.update(calls.attrs)
        return out.reset_index(drop=True)
    out = out.sort_values(["sequence", "motif", "center"], kind="stable").reset_index(drop=True)
    width = (out["end"] - out["position"]).to_numpy(float)
    seq, mot = out["sequence"].to_numpy(), out["motif"].to_numpy()
    center, p, filt = out["center"].to_numpy(float), out["p"].to_numpy(float), out["filter"].to_numpy(int)
    rank = np.lexsort((filt, p)).argsort()  # lower = better
    alive = np.ones(len(out), bool)
    # greedy non-maximum suppression along each (sequence, motif) chain in center order: each round drops the
    # calls that lose to a live neighbour within the radius which itself loses to none
    while True:
        idx = np.flatnonzero(alive)
        a, b = idx[:-1], idx[1:]
        r = np.minimum(width[a], width[b]) / 2 if radius is None else np.full(len(a), float(radius))
        close = (seq[a] == seq[b]) & (mot[a] == mot[b]) & (np.abs(center[b] - center[a]) < r)
        if not close.any():
            break
        a_wins = rank[a] < rank[b]
        lose, win = np.where(a_wins, b, a)[close], np.where(a_wins, a, b)[close]
        alive[lose[~np.isin(win, lose)]] = False
    merged = out[alive].sort_values(["sequence", "position", "filter"], kind="stable").reset_index(drop=True)
    merged.attrs.update(calls.attrs)
    return merged


def site_overlap(calls: pd.DataFrame, sites: pd.DataFrame, match: dict | None = None,
                 min_overlap: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Which calls hit a planted site, and which planted sites are hit.

    Parameters
    ----------
    calls : DataFrame
        ``sequence, position, end, motif`` (instance calls).
    sites : DataFrame
        Planted sites ``sequence, motif, start, end`` (``motifzoo simulate --sites``).
    match : dict call motif -> planted motif id, optional
        Count a hit only when the call's motif matches the site's motif; None: any planted site counts.
    min_overlap : float
        A hit overlaps at least this fraction of the shorter of the two spans.

    Returns
    -------
    call_hit : (n_calls,) bool
    site_hit : (n_sites,) bool
    """
    c = calls[["sequence", "position", "end", "motif"]].reset_index(drop=True).rename_axis("call").reset_index()
    s = sites[["sequence", "start", "end", "motif"]].reset_index(drop=True).rename_axis("site").reset_index()
    j = c.merge(s, on="sequence", suffixes=("_c", "_s"))
    inter = np.minimum(j["end_c"], j["end_s"]) - np.maximum(j["position"], j["start"])
    shorter = np.minimum(j["end_c"] - j["position"], j["end_s"] - j["start"])
    ok = inter.to_numpy(float) >= min_overlap * shorter.to_numpy(float)
    if match is not None:
        ok &= (j["motif_c"].map(match).to_numpy() == j["motif_s"].to_numpy())
    j = j[ok]
    call_hit = np.zeros(len(c), bool)
    site_hit = np.zeros(len(s), bool)
    call_hit[j["call"].to_numpy()] = True
    site_hit[j["site"].to_numpy()] = True
    return call_hit, site_hit
