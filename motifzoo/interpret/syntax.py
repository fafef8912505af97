"""Syntax rules: which motifs combine, at what spacing and orientation, read from a model, with a test each.

Conventions (every table here):

* Rules are between *motifs*, not filters: redundant filters of one motif (the groups of the
  report, :func:`motifzoo.interpret.annotate.cluster_motifs`) are merged first. ``motif_a``,
  ``motif_b`` are motif ids as ``motifzoo motifs`` writes them to MEME (the name of the group's
  representative filter, ``filter{i}``); ``motif_a_name``, ``motif_b_name`` the best JASPAR
  match (TOMTOM q < 0.05), empty where none.
* ``kind``: ``heterotypic`` (two different motifs) or ``homotypic`` (one motif twice).
* A filter's site has the center of the filter's exported (IC-trimmed) motif:
  ``start + (width - 1) / 2`` on the forward strand, where ``start`` is the first kept
  column (``meta['start']`` of :func:`motifzoo.interpret.pwm.model_motifs`). On the reverse
  strand the filter's columns run backwards, so the trimmed motif starts at window
  position ``W - start - width``. A *motif* instance's center is where that site puts the
  center of the motif's JASPAR match (TOMTOM's alignment of the group's representative on
  its match, :func:`align_to` of each filter on its representative), so that distances do not
  depend on which part of a motif a filter learned or how it was trimmed; for unnamed motifs,
  the center of the representative filter's trimmed motif.
* ``distance`` = center of b minus center of a, in bp on the sequence's forward strand
  (half-integers occur when the two widths differ in parity).
* ``orientation`` = strand of a then strand of b (``++``, ``+-``, ``-+``, ``--``); only for
  models that scan both strands (for the others it is always ``++`` and the column is left out).
* Two descriptions name the same arrangement: (a, b, d, xy) = (b, a, -d, yx). Read from
  the other DNA strand an arrangement becomes its *reverse-complement equivalent*
  (a, b, d, xy) ~ (b, a, d, y'x'). For strand-aware models rule tables merge the two
  (``effect`` is their mean; ``effect_fwd``/``effect_rc`` give both) and write the canonical
  one: distance >= 0, then the most ``+`` strands, then the lower index first.

Two kinds of rule (column ``rule``), each with ``effect``, ``z`` (its standardised size), ``p`` and
``q``, the Benjamini-Hochberg q-value over every rule tested (both kinds, all pairs, distances,
orientations and targets); tables are ranked by p, then by the effect in multiples of its test's
minimum effect (``|effect| / margin``, see below; |z| where the margin is 0). The second key decides
among rules whose p underflows to 0: there ``z`` measures how tight the pair's null is more than how
large the rule is, and a weak copy of a motif with a near-empty row of weights would come first:

* ``spacing``: *does this arrangement of two motifs change the output more than the same two
  motifs in other arrangements?* ``effect`` is that difference (output units: log-odds for
  binary targets). Read from the weights or from data, below.
* ``co-occurrence`` (:func:`rules_from_cooccurrence`, any model, from data): *does having both
  motifs anywhere in a sequence change the predicted output more than each alone adds?*
  ``effect`` is the interaction ``m(both) - m(a only) - m(b only) + m(neither)`` of the mean
  predicted probability (binary targets) or output (regression), sequences split by motif
  instance calls and stratified by how many other motifs they hold; ``mean_neither`` ...
  ``mean_both`` are the four means. Positive: cooperative (both needed); negative: repression or
  redundancy. The null is an interaction of at most :data:`MIN_INTERACTION` (a minimum-effect
  test), so additive effects, dosage and the small imperfections of a model fitted to thousands
  of sequences are not called. ``distance`` and ``orientation`` are empty. Pairs with a
  significant spacing rule are not tested again.

The spacing test:

* ``weights`` (a pairwise syntax layer, ``pair_weights()``): the effect of an arrangement is
  ``K * s_a * s_b`` (output units per pair of typical sites), summed over the filters of each
  motif. The null is the same motif pair's effects at all its other distances and orientations:
  ``effect`` = this arrangement minus the pair's median, ``z`` = that over a robust spread (the
  pair's median absolute deviation, floored at the target's over all pairs), ``p`` from a
  Laplace tail ``exp(-|effect| / b)`` (weights under an L1 penalty are Laplace-like; a normal
  tail would call the heavy tail of noise significant). A broad "two sites beat one" profile
  moves the median, not the residual, so only a spacing-specific peak or dip is significant.
* ``data`` (any model, from instance calls over sequences): sequences holding both motifs are
  stratified by how many sites of each they hold (``n_a``, ``n_b``, capped at 3), so dosage and
  co-occurrence are the same on both sides. Within each stratum the holders of the arrangement
  are compared with the non-holders by a stratified permutation test (the exact mean and
  variance of the holders' summed output under random relabelling within strata, normal
  approximation). ``n`` holders, ``n_null`` non-holders in the same strata.

Both spacing tests are minimum-effect tests, as the co-occurrence test: the null is an effect no
larger than :data:`MIN_SPACING_EFFECT` (log 1.5 log-odds: the arrangement changes the odds by at
most 1.5-fold; for regression targets, that many output SDs). A sparse syntax layer or thousands of
sequences otherwise make tiny entries "significant": on ``repression`` a pairwise head whose largest
entry changed the log-odds by 0.1 ranked such entries above the planted co-occurrence rule.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from .instances import (DEFAULT_P, INSTANCE_COLUMNS, ScoreNull, call_instances, merge_instances,  # noqa: F401
                        n_strands, score_null)
from .pwm import _iter_batches, _n_sequences, model_motifs

ORIENTATIONS = ("++", "+-", "-+", "--")
#: every column a rule table can have; single-strand models drop :data:`STRAND_COLUMNS`
RULE_COLUMNS = ["rank", "kind", "rule", "motif_a", "motif_b", "motif_a_name", "motif_b_name", "distance",
                "orientation", "target", "effect", "z", "p", "q", "n", "n_null", "method", "effect_fwd", "effect_rc",
                "mean_neither", "mean_a_only", "mean_b_only", "mean_both"]
STRAND_COLUMNS = ["orientation", "effect_fwd", "effect_rc"]
#: the co-occurrence test's cell means (empty for spacing rules)
CELL_COLUMNS = ["mean_neither", "mean_a_only", "mean_b_only", "mean_both"]
#: ``rule`` values: an arrangement (distance, orientation) or presence anywhere in the sequence
SPACING, CO_OCCURRENCE = "spacing", "co-occurrence"
#: the significance level of the default output
Q_THRESHOLD = 0.05
#: strata of the data test: site counts per sequence are capped here
MAX_STRATUM_COUNT = 3
#: co-occurrence test: the null is |interaction| <= this (probability for binary targets; for regression
#: targets, this many standard deviations of the target's output)
MIN_INTERACTION = 0.1
#: spacing tests: the null is |effect| <= this (log-odds for binary targets, i.e. an arrangement must change
#: the odds by more than 1.5-fold; for regression targets, this many standard deviations of the output)
MIN_SPACING_EFFECT = float(np.log(1.5))
#: co-occurrence test: strata by the number of *other* motifs present in a sequence, capped here
MAX_OTHER_MOTIFS = 2
#: co-occurrence test: a stratum counts only when each of its four cells holds this many sequences
MIN_CELL = 5


def rule_columns(stranded: bool) -> list[str]:
    """The columns of a rule table for a model that scans both strands (``stranded``) or one (which also
    gets ``orientation`` when a filter reads the other strand of its named motif)."""
    return RULE_COLUMNS if stranded else [c for c in RULE_COLUMNS if c not in STRAND_COLUMNS]


# --------------------------------------------------------------------------------------------
# statistics
# --------------------------------------------------------------------------------------------
def bh_qvalues(p) -> np.ndarray:
    """Benjamini-Hochberg q-values of p-values, shape (n,) -> (n,) (NaN stays NaN)."""
    p = np.asarray(p, dtype=np.float64)
    q = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    n = int(ok.sum())
    if n == 0:
        return q
    order = np.argsort(p[ok])
    ranked = p[ok][order] * n / np.arange(1, n + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1].clip(max=1.0)
    out = np.empty(n)
    out[order] = ranked
    q[ok] = out
    return q


def normal_two_sided(z) -> np.ndarray:
    """Two-sided normal tail p-values of z-scores, shape preserved."""
    return 2.0 * normal_upper(np.abs(np.asarray(z, dtype=np.float64)))


def normal_upper(z) -> np.ndarray:
    """One-sided upper normal tail P(Z > z), shape preserved; accurate down to float64's smallest (z ~ 37).

    From ``erfc``: ``ndtr(-z)`` loses the tail beyond z ~ 8 (it returns 0 below ~1e-16), which tied every
    strong rule at p = 0 and left their order to the tie-break.
    """
    z = np.asarray(z, dtype=np.float64)
    return 0.5 * torch.special.erfc(torch.as_tensor(z / np.sqrt(2.0))).numpy()


def minimum_effect_p(effect, se, margin) -> np.ndarray:
    """Two-sided p of an estimate against the null ``|true effect| <= margin`` (normal approximation).

    ``p = P(|estimate| >= |effect|)`` when the true effect sits on the null's edge (+-margin); at margin 0
    the usual two-sided p. Where ``se`` is 0 the estimate is exact: p is 1 inside the margin, 0 outside.
    Shapes broadcast.
    """
    effect, se, margin = (np.asarray(v, dtype=np.float64) for v in (effect, se, margin))
    sd = np.maximum(se, 1e-300)
    p = normal_upper((np.abs(effect) - margin) / sd) + normal_upper((np.abs(effect) + margin) / sd)
    return np.where(se > 0, np.minimum(p, 1.0), (np.abs(effect) <= margin).astype(float))


def target_margins(model, n_targets: int, margin: float, outputs: np.ndarray | None = None) -> np.ndarray:
    """(T,) a minimum-effect test's margin per target: ``margin`` itself for binary targets (in the test's units:
    log-odds for spacing, probability for co-occurrence), ``margin`` output SDs for regression targets.

    Regression targets need ``outputs`` (N, T) for their SD; without them the margin is 0 there.
    """
    if model.task == "binary":
        return np.full(n_targets, float(margin))
    if outputs is None:
        return np.zeros(n_targets)
    return float(margin) * np.asarray(outputs, dtype=np.float64).std(0)


def stratified_permutation_z(k, s1, n, s, ss):
    """Stratified permutation test of whether k of n items in each stratum have a different mean.

    Within each stratum of ``n`` items with outputs summing to ``s`` (squares ``ss``), ``k``
    holders summing to ``s1`` are compared with random relabelling: the holders' sum has mean
    ``k s / n`` and variance ``k (n - k) / (n - 1) * var`` (sampling without replacement, ``var``
    the stratum's population variance). Strata are summed within each test.

    Parameters
    ----------
    k, s1, n, s, ss : arrays, shape (tests, strata)
        Zero-padded; strata with ``k == 0`` or ``k == n`` carry no information and are ignored.

    Returns
    -------
    effect : (tests,) mean holder output minus the stratum means, averaged over holders
    z : (tests,) standardised holder sum
    n_holders, n_other : (tests,) items in the informative strata
    """
    k, s1, n, s, ss = (np.asarray(a, dtype=np.float64) for a in (k, s1, n, s, ss))
    info = (k > 0) & (k < n)
    nn = np.where(info, n, 2.0)
    mean = s / nn
    var = np.maximum(ss / nn - mean ** 2, 0.0)
    dev = np.where(info, s1 - k * mean, 0.0).sum(-1)
    v = np.where(info, k * (nn - k) / (nn - 1) * var, 0.0).sum(-1)
    holders = np.where(info, k, 0.0).sum(-1)
    other = np.where(info, n - k, 0.0).sum(-1)
    effect = dev / np.maximum(holders, 1)
    z = dev / np.sqrt(np.maximum(v, 1e-300))
    z = np.where(v > 0, z, 0.0)
    return effect, z, holders, other


# --------------------------------------------------------------------------------------------
# motif geometry, motif groups and arrangement conventions
# --------------------------------------------------------------------------------------------
def motif_geometry(model, data=None, threshold: float = 0.5, min_sites: int = 10, min_site_fraction: float = 0.005,
                   min_ic: float = 3.0, trim_ic: float = 0.2, beta: float = 1.0, batch_size: int = 256,
                   progress: bool = False) -> pd.DataFrame:
    """Where each filter's exported motif sits inside the filter, with the same settings as ``motifzoo motifs``.

    Returns
    -------
    pandas.DataFrame, one row per filter (index = filter index)
        ``name, status (kept|dead|unenriched|flat), start, width, center_plus, center_minus``: ``start``/``width``
        of the trimmed motif within the filter, and its center relative to the window start when the
        filter reads the forward (``center_plus``) or reverse (``center_minus``) strand. Filters with
        nothing left after trimming keep the whole filter. ``attrs``: ``filter_width``, ``motifs`` (the
        exported :class:`~motifzoo.motifs.Motif` objects, as ``motifzoo motifs`` writes them).
    """
    motifs, table = model_motifs(model, data, progress=progress, threshold=threshold, min_sites=min_sites,
                                 min_site_fraction=min_site_fraction, min_ic=min_ic, trim_ic=trim_ic, beta=beta,
                                 keep_all=True, batch_size=batch_size)
    full = model.motif_filters().shape[-1]
    geo = table[["filter", "name", "status", "start", "width"]].copy().set_index("filter")
    empty = geo["width"] <= 0
    geo.loc[empty, "start"], geo.loc[empty, "width"] = 0, full
    center = geo["start"] + (geo["width"] - 1) / 2
    geo["center_plus"] = center
    geo["center_minus"] = (full - 1) - center
    geo.attrs["filter_width"] = full
    geo.attrs["motifs"] = [m for m in motifs if m.meta["status"] == "kept"]
    return geo


def motif_groups(geometry: pd.DataFrame, merge: bool = True, names: bool = True,
                 q_threshold: float = 0.05) -> pd.DataFrame:
    """The motif each filter belongs to: redundant filters merged as in the report, named by JASPAR.

    Parameters
    ----------
    geometry : DataFrame
        From :func:`motif_geometry` (its ``attrs["motifs"]`` are the exported motifs).
    merge : bool
        Group filters whose motifs match each other (TOMTOM q < ``q_threshold``,
        :func:`~motifzoo.interpret.annotate.cluster_motifs`, representative = best JASPAR match), and
        groups named by the same JASPAR motif.
    names : bool
        Name each group by its representative's best JASPAR match (:func:`~motifzoo.interpret.annotate.annotate`
        against :func:`motifzoo.motifs.load_jaspar`, q < ``q_threshold``).

    Returns
    -------
    pandas.DataFrame, one row per filter (index = filter index)
        ``motif`` (id of the group: its representative's MEME name), ``unit`` (the representative's
        filter index), ``motif_name`` (best JASPAR match, ``""`` where none or ``names`` is False),
        ``flip`` (the filter's forward strand is the named motif's reverse strand: the filter is the
        reverse complement of its representative, or the representative that of its JASPAR match) and
        ``shift`` (the filter's motif center minus the motif's reference center, in columns of the named
        motif: the center of the JASPAR match where the group is named, placed by TOMTOM's alignment of
        the representative and :func:`align_to` of the member on the representative; else the
        representative's center). ``extent``: how many bp a site spans in that frame (the JASPAR
        match's width where named, else the trimmed motif's): calls closer than the mean of two extents
        overlap. Groups whose representatives have the same best JASPAR match are one motif. Filters
        that are not exported are their own group.
    """
    exported = list(geometry.attrs.get("motifs", []))
    groups = pd.DataFrame({"motif": geometry["name"].astype(str).to_list(), "unit": geometry.index.to_numpy(int).copy(),
                           "motif_name": "", "flip": False, "shift": 0.0,
                           "extent": geometry["width"].to_numpy(float)}, index=geometry.index.copy())
    if not exported:
        return groups
    annotation, score, widths = None, None, {}
    if names:
        from ..motifs import load_jaspar
        from .annotate import annotate, match_score
        database = load_jaspar()
        widths = {m.name: m.width for m in database}
        annotation = annotate(exported, database, q_threshold=q_threshold, significant_only=False)
        score = match_score(exported, annotation)
    cluster_rep = {m.name: m.name for m in exported}
    if merge and len(exported) > 1:
        from .annotate import cluster_motifs
        clusters = cluster_motifs(exported, q_threshold=q_threshold, score=score)
        cluster_rep = dict(zip(clusters["motif"], clusters["representative"]))
    index_of = {name: int(f) for f, name in geometry["name"].items()}
    by_name = {m.name: m for m in exported}
    hits = pd.DataFrame(columns=["motif", "match_id", "match_name", "strand", "offset"])
    if annotation is not None:
        hits = annotation[annotation["significant"].astype(bool)]
    label = dict(zip(hits["motif"], hits["match_name"].fillna("").astype(str)))
    match = {r.motif: (r.match_id, r.strand == "-", _center_on_match(by_name[r.motif].width, widths[r.match_id],
                                                                     int(r.offset), r.strand == "-"))
             for r in hits.itertuples()}
    rep = dict(cluster_rep)
    if merge:
        # one motif per JASPAR match: groups TOMTOM keeps apart (partial or shifted copies of one motif) but
        # whose representatives share their best match are merged, under the best-scoring representative
        best: dict = {}
        for r in sorted(set(cluster_rep.values()), key=lambda r: -(score or {}).get(r, 0.0)):
            if r in match:
                best.setdefault(match[r][0], r)
        rep = {m: best[match[r][0]] if r in match else r for m, r in cluster_rep.items()}
    for m in exported:
        f, r0, r = m.meta["filter"], cluster_rep[m.name], rep[m.name]
        flip, shift = align_to(m.pwm, by_name[r0].pwm)   # the member on its cluster's representative
        groups.loc[f, ["motif", "unit", "motif_name"]] = [r, index_of[r], label.get(r, "")]
        if r0 in match:
            # then the representative on its JASPAR match: strands as the match reads them, centers the match's
            _, rep_flip, rep_shift = match[r0]
            groups.loc[f, "flip"] = bool(flip) != rep_flip
            groups.loc[f, "shift"] = rep_shift + (-float(shift) if rep_flip else float(shift))
            # a site in the match's frame spans the match: two calls closer than that share bases
            groups.loc[f, "extent"] = float(widths[match[r0][0]])
        else:
            groups.loc[f, ["flip", "shift"]] = [bool(flip), float(shift)]
    return groups


def site_extents(geometry: pd.DataFrame, groups: pd.DataFrame) -> np.ndarray:
    """(F,) bp a filter's site spans in its motif's frame (``groups["extent"]``): two motif-level calls whose
    centers are closer than the mean of their extents share bases."""
    return (groups["extent"] if "extent" in groups else geometry["width"]).reindex(geometry.index).to_numpy(float)


def _center_on_match(width: int, match_width: int, offset: int, minus: bool) -> float:
    """A motif's center minus its database match's center, in the match's columns (forward strand).

    TOMTOM's ``offset`` is where the motif's first column sits in the match, or in the match's reverse
    complement when ``minus``.
    """
    on_match = offset + (width - 1) / 2 - (match_width - 1) / 2
    return -on_match if minus else on_match


def align_to(pwm: np.ndarray, reference: np.ndarray, min_overlap: int = 4) -> tuple[bool, float]:
    """How a motif sits on a reference motif: (reverse-complemented?, center shift in reference columns).

    The best ungapped alignment (either orientation) by the summed product of background-centered
    columns over at least ``min_overlap`` columns; ``shift`` = the motif's center minus the reference's
    center, in the reference's columns. A filter grouped with a representative that reads the other
    strand has ``flip`` True.

    Parameters
    ----------
    pwm, reference : arrays (W, 4) and (V, 4)
    """
    a0, ref = np.asarray(pwm, float) - 0.25, np.asarray(reference, float) - 0.25
    best = (-np.inf, False, 0.0)
    for flip, a in ((False, a0), (True, a0[::-1, ::-1])):
        w, v = len(a), len(ref)
        for s in range(-(w - min(min_overlap, w)), v - min(min_overlap, v) + 1):  # a[i] on ref[i + s]
            i0, i1 = max(0, -s), min(w, v - s)
            if i1 - i0 < min(min_overlap, w, v):
                continue
            score = float((a[i0:i1] * ref[i0 + s:i1 + s]).sum())
            if score > best[0] + 1e-12:
                best = (score, flip, (w - 1) / 2 + s - (v - 1) / 2)
    return best[1], best[2]


def to_motif_frame(filters, plus, center, groups: pd.DataFrame):
    """Sites of filters as sites of their motifs: (unit, plus, center) in the named motif's frame.

    Parameters
    ----------
    filters : int array (n,)
    plus : bool array (n,)
        The filter reads the forward strand.
    center : float array (n,)
        Center of the filter's trimmed motif on the forward strand.
    groups : DataFrame
        From :func:`motif_groups`.

    Returns
    -------
    unit (n,), plus (n,) (the named motif reads the forward strand), center (n,) (where the
    representative's center would be).
    """
    f = np.asarray(filters, dtype=np.int64)
    pos = groups.index.get_indexer(f)
    flip, shift = groups["flip"].to_numpy(bool)[pos], groups["shift"].to_numpy(float)[pos]
    named_plus = np.asarray(plus, dtype=bool) != flip
    center = np.asarray(center, dtype=np.float64) - np.where(named_plus, shift, -shift)
    return groups["unit"].to_numpy(np.int64)[pos], named_plus, center


def _choose(reps: list[tuple]):
    """Pick the canonical description among equivalent ones (vectorised over arrays)."""
    keys = []
    for a, b, d, sa, sb in reps:
        n_plus = sa.astype(int) + sb.astype(int)
        # distance >= 0 first, then more '+' strands, then lower indices, then '+' before '-'
        keys.append((d < 0) * 4e12 + (2 - n_plus) * 1e12 + a * 1e7 + b * 10 + (~sa) * 2 + (~sb))
    best = np.argmin(np.stack(keys), axis=0)
    pick = lambda i: np.choose(best, [r[i] for r in reps])  # noqa: E731
    return pick(0), pick(1), pick(2), pick(3).astype(bool), pick(4).astype(bool)


def canonical_arrangements(a, b, distance, plus_a, plus_b, merge_rc: bool = True):
    """Canonical descriptions of arrangements (see the module docstring), vectorised.

    Parameters
    ----------
    a, b : int arrays
        Filter (or motif unit) indices.
    distance : float array
        Center of b minus center of a.
    plus_a, plus_b : bool arrays
        Whether a (b) reads the forward strand.
    merge_rc : bool
        Also identify reverse-complement-equivalent arrangements.

    Returns
    -------
    (a, b, distance, plus_a, plus_b) arrays in canonical form.
    """
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    d = np.asarray(distance, dtype=np.float64)
    sa, sb = np.asarray(plus_a, dtype=bool), np.asarray(plus_b, dtype=bool)
    reps = [(a, b, d, sa, sb), (b, a, -d, sb, sa)]
    if merge_rc:
        reps += [(b, a, d, ~sb, ~sa), (a, b, -d, ~sa, ~sb)]
    return _choose(reps)


def rc_equivalent(a, b, distance, plus_a, plus_b):
    """The reverse-complement-equivalent arrangement: (a, b, d, xy) -> (b, a, d, y'x')."""
    return b, a, distance, ~np.asarray(plus_b, dtype=bool), ~np.asarray(plus_a, dtype=bool)


def orientation_string(plus_a, plus_b) -> np.ndarray:
    """Bool arrays -> array of ``++``/``+-``/``-+``/``--``."""
    return np.char.add(np.where(plus_a, "+", "-"), np.where(plus_b, "+", "-"))


def _canonical_with_twin(a, b, d, sa, sb, merge_rc: bool):
    """Canonical (a, b, d, sa, sb) and whether each input reads as the canonical form itself (not its rc twin)."""
    a, b, d, sa, sb = canonical_arrangements(a, b, d, sa, sb, merge_rc=False)
    if not merge_rc:
        return a, b, d, sa, sb, np.ones(len(a), bool)
    ra, rb, rd, rsa, rsb = canonical_arrangements(a, b, d, sa, sb, merge_rc=True)
    is_fwd = (ra == a) & (rb == b) & (rd == d) & (rsa == sa) & (rsb == sb)
    return ra, rb, rd, rsa, rsb, is_fwd


def _max_activation_from_weights(model) -> np.ndarray:
    """(F,) the largest activation each filter can reach: nonlinearity of (best base per column + bias)."""
    from ..models.layers import make_activation
    w, b = model.motif_filters().detach().cpu(), model.motif_bias().detach().cpu()
    best = w.amax(dim=1).sum(-1) + b
    return make_activation(model.motif_activation)(best).numpy()


def _targets(model, n_targets: int, target_names=None) -> list[str]:
    return list(target_names or model.target_names or [f"target{t}" for t in range(n_targets)])


# --------------------------------------------------------------------------------------------
# rules from the weights of a pairwise head
# --------------------------------------------------------------------------------------------
def rules_from_weights(model, geometry: pd.DataFrame | None = None, groups: pd.DataFrame | None = None,
                       site_activation=None, target_names=None, merge_rc: bool = True,
                       include_overlapping: bool = False, keep_all: bool = False,
                       min_effect: float = MIN_SPACING_EFFECT, outputs: np.ndarray | None = None) -> pd.DataFrame:
    """Every arrangement stored in a pairwise head (``pair_weights()``, (T, C, C, D + 1)), tested against its pair.

    Each stored entry ``K[t, a, b, k]`` (channels a, b = filter x strand, window offset k) is one
    arrangement of two filters; times ``s_a * s_b`` (``site_activation``: a typical site's
    activation, default the largest the filter can reach) it is the change in output when two
    typical sites sit in that arrangement. Entries of filters of one motif (``groups``) that land
    on the same motif arrangement are summed. The test is described in the module docstring.

    Parameters
    ----------
    model : MotifModel with a pairwise head
    geometry : DataFrame, optional
        From :func:`motif_geometry`; default: from the weights alone.
    groups : DataFrame, optional
        From :func:`motif_groups`; default: every filter its own motif, unnamed.
    site_activation : array (F,), optional
    target_names : list of str, optional
    merge_rc : bool
        Merge reverse-complement-equivalent arrangements (strand-aware models).
    include_overlapping : bool
        Also test arrangements whose trimmed motifs overlap (``|distance| < (width_a + width_b) / 2``).
    keep_all : bool
        Keep rules of filters that are not exported.
    min_effect : float
        The null is ``|effect| <= min_effect`` (:func:`target_margins`): log-odds for binary targets.
    outputs : array (N, T), optional
        Model outputs on data; regression targets take their margin in output SDs from them (else 0).

    Returns
    -------
    pandas.DataFrame with :func:`rule_columns` (every rule tested, with p and q), ranked by p, then :func:`rule_size`.
    """
    kernel_t = model.pair_weights()
    if kernel_t is None:
        raise TypeError(f"{model.model_name or type(model).__name__} has no pairwise syntax layer (pair_weights)")
    geometry = geometry if geometry is not None else motif_geometry(model)
    groups = groups if groups is not None else motif_groups(geometry, merge=False, names=False)
    kernel = kernel_t.detach().cpu().numpy().astype(np.float64)  # (T, C, C, D+1)
    n_targets, channels, _, n_offsets = kernel.shape
    n_filters = len(geometry)
    stranded = channels > n_filters
    scale = np.asarray(site_activation if site_activation is not None else _max_activation_from_weights(model),
                       dtype=np.float64)
    scale = model.pair_inputs(torch.as_tensor(scale)).numpy()  # in the units the pairwise layer multiplies
    targets = _targets(model, n_targets, target_names)
    margin = target_margins(model, n_targets, min_effect, outputs)
    # every offset of each channel pair the layer uses (a pair whose entries are all exactly 0 is masked or unused)
    used = (kernel != 0).any(axis=(0, 3))
    ca, cb, k = np.nonzero(np.broadcast_to(used[..., None], kernel.shape[1:]))
    fa, fb = ca % n_filters, cb % n_filters
    pa, pb = ca < n_filters, cb < n_filters
    cplus, cminus = geometry["center_plus"].to_numpy(), geometry["center_minus"].to_numpy()
    widths = geometry["width"].to_numpy()
    distance = k + np.where(pb, cplus[fb], cminus[fb]) - np.where(pa, cplus[fa], cminus[fa])
    keep = np.ones(len(ca), bool)
    if not include_overlapping:
        keep &= np.abs(distance) >= (widths[fa] + widths[fb]) / 2
    if not keep_all:
        kept = geometry["status"].to_numpy() == "kept"
        keep &= kept[fa] & kept[fb]
    ca, cb, k, fa, fb, pa, pb, distance = (v[keep] for v in (ca, cb, k, fa, fb, pa, pb, distance))
    # in the frame of each filter's motif (redundant filters merged, strands as the named motif reads them)
    cen_a, cen_b = np.where(pa, cplus[fa], cminus[fa]), k + np.where(pb, cplus[fb], cminus[fb])
    ua, na, cen_a = to_motif_frame(fa, pa, cen_a, groups)
    ub, nb, cen_b = to_motif_frame(fb, pb, cen_b, groups)
    a, b, d, sa, sb, is_fwd = _canonical_with_twin(ua, ub, cen_b - cen_a, na, nb, merge_rc and stranded)
    effects = kernel[:, ca, cb, k] * (scale[fa] * scale[fb])[None]  # (T, n)
    key = ["a", "b", "distance", "sa", "sb"]
    frames = []
    for t, target in enumerate(targets):
        frame = pd.DataFrame({"a": a, "b": b, "distance": d, "sa": sa, "sb": sb,
                              "fwd": np.where(is_fwd, effects[t], 0.0), "rc": np.where(is_fwd, 0.0, effects[t])})
        frame = frame.groupby(key, sort=False).agg(effect_fwd=("fwd", "sum"), effect_rc=("rc", "sum")).reset_index()
        if merge_rc and stranded:
            # one motif facing itself (+- or -+) is its own reverse-complement twin: nothing to average
            own_twin = (frame["a"] == frame["b"]) & (frame["sa"] != frame["sb"])
            frame["total"] = np.where(own_twin, frame["effect_fwd"], (frame["effect_fwd"] + frame["effect_rc"]) / 2)
            frame.loc[own_twin, "effect_rc"] = np.nan
        else:
            frame["total"] = frame["effect_fwd"]
        frames.append(_offset_test(frame, margin[t]).assign(target=target))
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return _finish_rules(table, geometry, groups, "weights", stranded)


def _offset_test(frame: pd.DataFrame, margin: float = 0.0) -> pd.DataFrame:
    """Test each arrangement's ``total`` against the same motif pair's other arrangements (one target).

    ``effect`` = total - the pair's median; the spread ``b`` is the Laplace scale (median absolute
    residual / ln 2) of the pair, floored at that of all pairs; ``z`` = effect / (b ln2 x 1.4826),
    a robust z; ``p = P(|estimate| >= |effect|)`` for a true effect on the null's edge (+-``margin``)
    plus Laplace(b) noise (``exp(-|effect| / b)`` at margin 0); ``n_null`` = arrangements of the pair.
    """
    if frame.empty:
        return frame.assign(effect=[], z=[], p=[], n=[], n_null=[], margin=[])
    pair = frame.groupby(["a", "b"])["total"]
    center = pair.transform("median")
    resid = frame["total"] - center
    abs_resid = resid.abs()
    b_pair = abs_resid.groupby([frame["a"], frame["b"]]).transform("median") / np.log(2)
    b_all = float(abs_resid.median()) / np.log(2)
    b = np.maximum(b_pair.to_numpy(), b_all)
    b = np.maximum(b, 1e-300)  # no spread at all (e.g. a single non-zero weight): any residual is extreme
    e = abs_resid.to_numpy()
    # Laplace tails beyond +-e around a true effect of +margin (the two halves of exp(-e / b) at margin 0)
    half = 0.5 * np.exp(-np.abs(e - margin) / b)
    upper = np.where(e >= margin, half, 1.0 - half)
    p = np.minimum(upper + 0.5 * np.exp(-(e + margin) / b), 1.0)
    return frame.assign(effect=resid.to_numpy(), z=resid.to_numpy() / (b * np.log(2) * 1.4826), p=p,
                        n=np.nan, n_null=pair.transform("size").to_numpy() - 1, margin=float(margin))


def _finish_rules(table: pd.DataFrame, geometry: pd.DataFrame, groups: pd.DataFrame, method: str,
                  stranded: bool) -> pd.DataFrame:
    """Name motifs, add kind and q (over every rule tested), rank (:func:`_ranked`).

    ``table`` holds ``a, b`` (motif units), ``distance`` (NaN for co-occurrence rules), ``sa, sb``,
    ``target, effect, z, p, n, n_null``, ``margin`` (the test's minimum effect) and optionally ``rule``
    (default spacing), ``effect_fwd``, ``effect_rc`` and :data:`CELL_COLUMNS`.
    """
    if table is None or table.empty:
        return _ranked(None, stranded)
    names = geometry["name"].to_numpy()
    label = dict(zip(groups["unit"].to_numpy(int), groups["motif_name"].astype(str)))
    a, b = table["a"].to_numpy(int), table["b"].to_numpy(int)
    distance = table["distance"].astype(float)
    orientation = orientation_string(table["sa"].to_numpy(bool), table["sb"].to_numpy(bool))
    table = table.assign(
        motif_a=names[a], motif_b=names[b], motif_a_name=[label.get(i, "") for i in a],
        motif_b_name=[label.get(i, "") for i in b], kind=np.where(a == b, "homotypic", "heterotypic"),
        orientation=np.where(distance.isna(), "", orientation), method=method, distance=distance)
    if "rule" not in table:
        table["rule"] = SPACING
    return _ranked(table, stranded)


def _ranked(table: pd.DataFrame | None, stranded: bool) -> pd.DataFrame:
    """BH q over every row, ranked, the columns of :func:`rule_columns` (``attrs["n_tested"]``).

    Ranked by p, then by :func:`rule_size`. ``attrs["margins"]`` maps (rule, target) to the test's margin, so
    that :func:`combine_rules` can rank tables again after the ``margin`` column is dropped.
    """
    columns = rule_columns(stranded)
    if table is None or table.empty:
        out = pd.DataFrame(columns=columns)
        out.attrs["n_tested"] = 0
        return out
    table = table.assign(q=bh_qvalues(table["p"].to_numpy(float)))
    for c in ["effect_fwd", "effect_rc"] + CELL_COLUMNS:
        if c not in table:
            table[c] = np.nan
    spacing = table["rule"] == SPACING
    if not stranded and (table.loc[spacing, "orientation"] != "++").any():  # a filter reads its motif's other strand
        columns = columns[:columns.index("distance") + 1] + ["orientation"] + columns[columns.index("distance") + 1:]
    order = np.lexsort((-rule_size(table), table["p"].to_numpy()))
    table = table.iloc[order].reset_index(drop=True)
    table["rank"] = np.arange(1, len(table) + 1)
    out = table[columns]
    out.attrs["n_tested"] = len(out)
    if "margin" in table:
        out.attrs["margins"] = {(str(r), str(t)): float(m) for r, t, m in
                                table[["rule", "target", "margin"]].drop_duplicates().itertuples(index=False)}
    return out


def rule_size(table: pd.DataFrame) -> np.ndarray:
    """(n,) how large each rule is, comparable across tests: ``|effect| / margin``, |z| where there is no margin.

    Effects differ in units between tests (log-odds for spacing, probability for co-occurrence on binary
    targets); each test's ``margin`` (the smallest effect it calls, :func:`target_margins`) is in its own
    units, so their ratio is not. The margin is the ``margin`` column, else the table's ``attrs["margins"]``
    (a rule table as returned); rows without a positive margin (``min_effect=0``) fall back to |z|.
    """
    effect = np.abs(table["effect"].to_numpy(np.float64))
    margin = (table["margin"].to_numpy(np.float64) if "margin" in table
              else _row_margins(table, table.attrs.get("margins", {})))
    usable = np.isfinite(margin) & (margin > 0)
    return np.where(usable, effect / np.where(usable, margin, 1.0), np.abs(table["z"].to_numpy(np.float64)))


def _row_margins(table: pd.DataFrame, margins: dict) -> np.ndarray:
    """(n,) each row's test margin from a (rule, target) -> margin map (NaN where unknown)."""
    return np.array([margins.get((str(r), str(t)), np.nan) for r, t in zip(table["rule"], table["target"])],
                    dtype=np.float64)


def combine_rules(*tables: pd.DataFrame, stranded: bool) -> pd.DataFrame:
    """Rule tables of several tests as one: q (BH) again over every rule of all of them, ranked as :func:`_ranked`."""
    full = [t for t in tables if t is not None and len(t)]
    if not full:
        return _ranked(None, stranded)
    margins = {k: v for t in full for k, v in t.attrs.get("margins", {}).items()}
    table = pd.concat(full, ignore_index=True).drop(columns=["q", "rank"])
    table["margin"] = _row_margins(table, margins)
    # single-strand tables leave out orientation: spacing rules there read ++
    fill = pd.Series(np.where(table["rule"] == SPACING, "++", ""), index=table.index)
    table["orientation"] = table["orientation"].fillna(fill) if "orientation" in table else fill
    return _ranked(table, stranded)


def significant(rules: pd.DataFrame, q_threshold: float = Q_THRESHOLD) -> pd.DataFrame:
    """The rules with q < ``q_threshold``, re-ranked 1.. (``attrs`` kept)."""
    out = rules[rules["q"].astype(float) < q_threshold].copy()
    out["rank"] = np.arange(1, len(out) + 1)
    out.attrs.update(rules.attrs)
    return out.reset_index(drop=True)


def describe_rule(rule) -> str:
    """One line for a user: motifs (named), spacing and orientation or co-occurrence in plain words, effect, q."""
    def name(m, n):
        return f"{n} ({m})" if isinstance(n, str) and n else str(m)
    a, b = name(rule["motif_a"], rule.get("motif_a_name")), name(rule["motif_b"], rule.get("motif_b_name"))
    if rule.get("rule", SPACING) == CO_OCCURRENCE:
        cells = (f"mean output {rule['mean_neither']:.2g} with neither, {rule['mean_a_only']:.2g} with {a} alone, "
                 f"{rule['mean_b_only']:.2g} with {b} alone, {rule['mean_both']:.2g} with both")
        raises = rule["mean_a_only"] > rule["mean_neither"]
        if rule["effect"] > 0:
            what = f"{a} and {b} cooperate: with both, {rule['target']} is higher than the sum of each alone"
        elif raises and rule["mean_both"] < rule["mean_a_only"]:
            what = f"{b} represses {a}: with {b} present, {a} raises {rule['target']} less"
        elif raises:
            what = f"{a} and {b} are redundant: either raises {rule['target']}, both add little more"
        else:
            what = f"{a} and {b} interact negatively: with both, {rule['target']} is lower than the sum of each alone"
        return (f"{what} (co-occurrence anywhere in the sequence, {rule['kind']}; interaction {rule['effect']:+.2g}, "
                f"{cells}; q = {rule['q']:.2g})")
    orient = f", orientation {rule['orientation']}" if "orientation" in rule.index else ""
    return (f"{a} -> {b} {rule['distance']:g} bp{orient} ({rule['kind']}): effect {rule['effect']:+.3g} on "
            f"{rule['target']} vs other arrangements, q = {rule['q']:.2g}")


# --------------------------------------------------------------------------------------------
# rules from instance calls over data
# --------------------------------------------------------------------------------------------
@torch.no_grad()
def predict_outputs(model, data, batch_size: int = 256) -> np.ndarray:
    """(N, T) model outputs (logits for binary targets), streamed in batches."""
    model.eval()
    # one growing numpy buffer rather than a list of small tensors kept between the large per-batch ones
    out, n = None, 0
    for x in _iter_batches(data, batch_size):
        y = model(x).cpu().numpy()
        if out is None:
            size = _n_sequences(data) or len(y)
            out = np.empty((size, y.shape[1]), dtype=y.dtype)
        if n + len(y) > len(out):
            out = np.concatenate([out, np.empty((max(len(out), len(y)), y.shape[1]), dtype=y.dtype)])
        out[n:n + len(y)] = y
        n += len(y)
    if out is None:
        raise ValueError("no sequences given")
    return out[:n]


def motif_instances(calls: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    """Filter-level calls -> motif-level calls (redundant filters merged, :func:`merge_instances`).

    ``filter`` becomes the motif's unit (its representative filter index), ``motif`` its id and
    ``motif_name`` its best JASPAR match (``""`` where none); ``strand`` and ``center`` are moved into the
    motif's frame (:func:`to_motif_frame`: the strand of the named motif, and where the representative's
    center falls, which distances are measured between); ``position`` and ``end`` stay the span of the
    calling filter's trimmed motif.
    """
    if calls.empty:
        return calls.assign(filter=calls["filter"].astype(np.int64), motif_name=pd.Series(dtype=str))
    unit, plus, center = to_motif_frame(calls["filter"].to_numpy(np.int64), calls["strand"].to_numpy() == "+",
                                        calls["center"].to_numpy(float), groups)
    # motif-level calls passed again get their names anew
    calls = calls.drop(columns="motif_name", errors="ignore").assign(center=center, strand=np.where(plus, "+", "-"))
    merged = merge_instances(calls, dict(zip(groups.index.to_numpy(int), groups["unit"].to_numpy(int))))
    ids = dict(zip(groups["unit"].to_numpy(int), groups["motif"]))
    merged["filter"] = merged["motif"].astype(int)
    merged["motif"] = merged["filter"].map(ids)
    names = dict(zip(groups["unit"].to_numpy(int), groups["motif_name"].astype(str)))
    merged.insert(merged.columns.get_loc("motif") + 1, "motif_name", merged["filter"].map(names).fillna(""))
    return merged


def rules_from_data(model, data, instances: pd.DataFrame, geometry: pd.DataFrame, groups: pd.DataFrame | None = None,
                    target_names=None, max_distance: float = 60, min_support: int | None = None,
                    merge_rc: bool = True, include_overlapping: bool = False, outputs: np.ndarray | None = None,
                    batch_size: int = 256, max_chunk_pairs: int = 500_000,
                    min_effect: float = MIN_SPACING_EFFECT) -> pd.DataFrame:
    """Rules from motif instances over data, each tested against the same motifs in other arrangements.

    For each arrangement (a, b, distance, orientation) held by at least ``min_support`` sequences,
    sequences holding instances of a and b are stratified by their site counts (n_a, n_b, capped at
    :data:`MAX_STRATUM_COUNT`); ``effect`` is the holders' mean model output minus their strata's
    mean, ``z``/``p`` the stratified permutation test (:func:`stratified_permutation_z`), ``q`` BH
    over every arrangement and target tested.

    Parameters
    ----------
    instances : DataFrame
        Filter-level calls (:func:`~motifzoo.interpret.instances.call_instances`); merged to motifs
        with ``groups`` (default: every filter its own motif).
    min_support : int, optional
        Default ``max(10, 0.25% of the sequences)``.
    max_chunk_pairs : int
        Instance pairs are formed for blocks of sequences with about this many pairs at a time.
    min_effect : float
        The null is ``|effect| <= min_effect`` (:func:`target_margins`; regression: output SDs).
    Other parameters as in :func:`rules_from_weights`.

    Returns
    -------
    pandas.DataFrame with :func:`rule_columns`, ranked by p, then :func:`rule_size`.
    """
    stranded = n_strands(model) == 2
    groups = groups if groups is not None else motif_groups(geometry, merge=False, names=False)
    method = "attention" if model.has_position_attention else "activations"
    outputs = outputs if outputs is not None else predict_outputs(model, data, batch_size)
    n_seqs, n_targets = outputs.shape
    targets = _targets(model, n_targets, target_names)
    margin = target_margins(model, n_targets, min_effect, outputs)
    min_support = min_support if min_support is not None else max(10, int(np.ceil(0.0025 * n_seqs)))
    inst = motif_instances(instances, groups)
    if inst.empty:
        return _finish_rules(None, geometry, groups, method, stranded)
    merge = merge_rc and stranded
    widths = site_extents(geometry, groups)
    # site counts per sequence and motif (capped): the strata
    counts = inst.groupby(["sequence", "filter"]).size().clip(upper=MAX_STRATUM_COUNT).rename("c").reset_index()
    strata = _stratum_moments(counts, outputs)
    key = ["a", "b", "distance", "sa", "sb"]
    held = []
    for chunk in _sequence_chunks(inst, max_chunk_pairs):
        arr = _arrangements(chunk, max_distance, merge)
        if not include_overlapping and len(arr):
            a, b = arr["a"].to_numpy(int), arr["b"].to_numpy(int)
            arr = arr[np.abs(arr["distance"].to_numpy()) >= (widths[a] + widths[b]) / 2]
        held.append(arr)
    held = pd.concat(held, ignore_index=True)
    support = held.drop_duplicates(["sequence"] + key).groupby(key).size()
    frequent = support[support >= min_support].reset_index()[key]
    if frequent.empty:
        return _finish_rules(None, geometry, groups, method, stranded)
    held = held.merge(frequent, on=key)
    held = _with_counts(held, counts)
    stats = _stratified_tests(held.drop_duplicates(["sequence"] + key), strata, outputs, key)
    twins = {}
    if merge:
        for flag, name in ((True, "effect_fwd"), (False, "effect_rc")):
            sub = held[held["is_fwd"] == flag].drop_duplicates(["sequence"] + key)
            t = _stratified_tests(sub, strata, outputs, key) if len(sub) else None
            twins[name] = (stats[key].merge(t, on=key, how="left") if t is not None else None)
    frames = []
    for t, target in enumerate(targets):
        frame = stats[key].assign(effect=stats[f"effect{t}"], z=stats[f"z{t}"], n=stats["n"], n_null=stats["n_null"],
                                  target=target)
        effect, z = frame["effect"].to_numpy(float), frame["z"].to_numpy(float)
        se = np.abs(effect) / np.where(z != 0, np.abs(z), np.nan)  # z = 0: no information (p = 1)
        frame["p"] = minimum_effect_p(effect, np.where(z != 0, se, np.inf), margin[t])
        frame["margin"] = float(margin[t])
        frame = frame[frame["n"] > 0]
        for name, tw in twins.items():
            frame[name] = tw[f"effect{t}"].to_numpy()[frame.index] if tw is not None else np.nan
        frames.append(frame)
    return _finish_rules(pd.concat(frames, ignore_index=True), geometry, groups, method, stranded)


def _stratum_moments(counts: pd.DataFrame, y: np.ndarray) -> pd.DataFrame:
    """Per ordered motif pair (a, b) and stratum (c_a, c_b): sequences ``n`` and output sums ``s{t}``, ``ss{t}``.

    Heterotypic pairs: sequences with both motifs, in both orders, since a canonical arrangement can name
    either motif first (:func:`canonical_arrangements` puts the upstream one first). Homotypic (a == b):
    sequences with >= 2 sites.
    """
    both = counts.merge(counts, on="sequence", suffixes=("_a", "_b"))
    het = both[both["filter_a"] != both["filter_b"]]
    hom = counts[counts["c"] >= 2]
    pairs = pd.concat([
        pd.DataFrame({"sequence": het["sequence"].to_numpy(), "a": het["filter_a"].to_numpy(),
                      "b": het["filter_b"].to_numpy(), "ca": het["c_a"].to_numpy(), "cb": het["c_b"].to_numpy()}),
        pd.DataFrame({"sequence": hom["sequence"].to_numpy(), "a": hom["filter"].to_numpy(),
                      "b": hom["filter"].to_numpy(), "ca": hom["c"].to_numpy(), "cb": hom["c"].to_numpy()})],
        ignore_index=True)
    return _moments(pairs, ["a", "b", "ca", "cb"], y)


def _moments(frame: pd.DataFrame, key: list[str], y: np.ndarray) -> pd.DataFrame:
    """Per group of ``key``: ``n`` rows and per-target sums ``s{t}``, ``ss{t}`` of outputs of ``frame.sequence``."""
    seq = frame["sequence"].to_numpy()
    cols = {"n": np.ones(len(frame))}
    for t in range(y.shape[1]):
        cols[f"s{t}"], cols[f"ss{t}"] = y[seq, t], y[seq, t] ** 2
    return pd.concat([frame[key].reset_index(drop=True), pd.DataFrame(cols)], axis=1).groupby(key).sum().reset_index()


def _with_counts(held: pd.DataFrame, counts: pd.DataFrame) -> pd.DataFrame:
    """Add each holder sequence's stratum (site counts ``ca`` of a, ``cb`` of b)."""
    c = counts.rename(columns={"filter": "a", "c": "ca"})
    held = held.merge(c, on=["sequence", "a"])
    return held.merge(c.rename(columns={"a": "b", "ca": "cb"}), on=["sequence", "b"])


def _stratified_tests(holders: pd.DataFrame, strata: pd.DataFrame, y: np.ndarray, key: list[str]) -> pd.DataFrame:
    """One row per arrangement: ``n``, ``n_null`` and per target ``effect{t}``, ``z{t}`` (stratified permutation)."""
    n_targets = y.shape[1]
    h = _moments(holders, key + ["ca", "cb"], y)
    h = h.merge(strata, on=["a", "b", "ca", "cb"], suffixes=("", "_all"))
    rules = h[key].drop_duplicates().reset_index(drop=True)
    row = rules.reset_index().merge(h[key].reset_index().rename(columns={"index": "h"}), on=key)
    r_of_h = np.empty(len(h), dtype=np.int64)
    r_of_h[row["h"].to_numpy()] = row["index"].to_numpy()
    side = MAX_STRATUM_COUNT + 1
    col = h["ca"].to_numpy(int) * side + h["cb"].to_numpy(int)
    shape = (len(rules), side * side)

    def dense(values):
        out = np.zeros(shape)
        out[r_of_h, col] = values
        return out
    k, n = dense(h["n"].to_numpy()), dense(h["n_all"].to_numpy())
    out = rules.copy()
    for t in range(n_targets):
        effect, z, holders_n, other_n = stratified_permutation_z(
            k, dense(h[f"s{t}"].to_numpy()), n, dense(h[f"s{t}_all"].to_numpy()), dense(h[f"ss{t}_all"].to_numpy()))
        out[f"effect{t}"], out[f"z{t}"] = effect, z
        out["n"], out["n_null"] = holders_n, other_n
    return out


def _sequence_chunks(instances: pd.DataFrame, max_pairs: int = 500_000):
    """Instance tables of consecutive sequences, each with at most about ``max_pairs`` instance pairs."""
    per_seq = instances.groupby("sequence", sort=True).size()
    cost = np.cumsum(per_seq.to_numpy() ** 2 // 2)
    block = cost // max_pairs
    for b in np.unique(block):
        seqs = per_seq.index.to_numpy()[block == b]
        yield instances[instances["sequence"].between(seqs[0], seqs[-1])]


def _arrangements(instances: pd.DataFrame, max_distance: float, merge_rc: bool) -> pd.DataFrame:
    """Canonical arrangement of every instance pair: ``sequence, a, b, distance, sa, sb, is_fwd`` (deduplicated).

    ``is_fwd``: the pair reads as the canonical arrangement itself (not its reverse-complement twin).
    """
    pairs = instance_pairs(instances, max_distance)
    a, b, d, sa, sb, is_fwd = _canonical_with_twin(pairs["a"], pairs["b"], pairs["distance"], pairs["plus_a"],
                                                   pairs["plus_b"], merge_rc)
    arr = pd.DataFrame({"sequence": pairs["sequence"].to_numpy(), "a": a, "b": b, "distance": d, "sa": sa, "sb": sb,
                        "is_fwd": is_fwd})
    return arr.drop_duplicates()


def instance_pairs(instances: pd.DataFrame, max_distance: float = 60) -> pd.DataFrame:
    """Every pair of instances of one sequence within ``max_distance`` bp (centers), in forward-strand naming.

    Returns
    -------
    pandas.DataFrame
        ``sequence, a, b (filter indices, a <= b), distance (center b - center a), plus_a, plus_b``;
        for two instances of one filter, a is the upstream one.
    """
    cols = ["sequence", "filter", "center", "strand"]
    left = instances[cols].reset_index().rename(columns={"index": "id"})
    pairs = left.merge(left, on="sequence", suffixes=("_1", "_2"))
    pairs = pairs[pairs["id_1"] < pairs["id_2"]]
    swap = (pairs["filter_1"] > pairs["filter_2"]) | (
        (pairs["filter_1"] == pairs["filter_2"]) & (pairs["center_1"] > pairs["center_2"]))
    first = lambda c: np.where(swap, pairs[f"{c}_2"], pairs[f"{c}_1"])  # noqa: E731
    second = lambda c: np.where(swap, pairs[f"{c}_1"], pairs[f"{c}_2"])  # noqa: E731
    out = pd.DataFrame({"sequence": pairs["sequence"].to_numpy(), "a": first("filter"), "b": second("filter"),
                        "distance": second("center") - first("center"),
                        "plus_a": first("strand") == "+", "plus_b": second("strand") == "+"})
    return out[np.abs(out["distance"]) <= max_distance].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# co-occurrence: presence of two motifs anywhere, from predictions over data
# --------------------------------------------------------------------------------------------
def interaction_test(n, s, ss, margin, min_cell: int = MIN_CELL):
    """Stratified 2x2 interaction contrast of cell means, tested against |interaction| <= ``margin``.

    Cells (last axis): 0 neither motif, 1 a only, 2 b only, 3 both. In each stratum the contrast is
    ``m_both - m_a - m_b + m_neither`` (0 when the two motifs add up), its variance the sum of the cells'
    ``var / n``. Strata are combined with weights ``1 / sum(1 / n_cell)`` (sample sizes, not variances: a
    stratum where the model is near-certain would otherwise dominate). The null is an interaction no
    larger than ``margin`` (a minimum-effect test): ``p = P(|I_hat| >= |I|)`` when the true interaction is
    ``+-margin`` (normal approximation; the two-sided p-value at margin 0), so that with thousands of
    sequences a model's tiny imperfections are not called.

    Parameters
    ----------
    n, s, ss : arrays, shape (tests, strata, 4)
        Sequences, summed outputs and summed squared outputs per cell.
    margin : float or array (tests,)
    min_cell : int
        A stratum counts only when each of its cells holds at least this many sequences.

    Returns
    -------
    effect, z (= effect / se), p, n_both, n_other : arrays (tests,), means : (tests, 4) cell means averaged over
    the strata that count with the contrast's weights (so ``effect`` is their contrast). Tests with no
    stratum that counts have p = NaN.
    """
    n, s, ss = (np.asarray(v, dtype=np.float64) for v in (n, s, ss))
    info = (n >= min_cell).all(-1)                                    # (tests, strata)
    nn = np.maximum(n, 1.0)
    mean = s / nn
    var = np.maximum(ss - nn * mean ** 2, 0.0) / np.maximum(nn - 1, 1.0)
    inter = mean @ np.array([1.0, -1.0, -1.0, 1.0])
    w = np.where(info, 1.0 / (1.0 / nn).sum(-1), 0.0)
    total = w.sum(-1)
    ok = total > 0
    wn = w / np.where(ok, total, 1.0)[:, None]
    effect = (wn * inter).sum(-1)
    se = np.sqrt((wn ** 2 * (var / nn).sum(-1)).sum(-1))
    z = np.where(se > 0, effect / np.maximum(se, 1e-300), np.where(effect == 0, 0.0, np.copysign(np.inf, effect)))
    p = np.where(ok, minimum_effect_p(effect, se, margin), np.nan)
    cells = np.where(info[..., None], n, 0.0).sum(1)
    means = (wn[..., None] * mean).sum(1)   # standardised over strata as the contrast: effect = their contrast
    return effect, z, p, cells[:, 3], cells[:, :3].sum(-1), means


def _held_arrangements(inst: pd.DataFrame, max_distance: float, merge: bool, max_chunk_pairs: int) -> pd.DataFrame:
    """Canonical arrangements of every pair of motif instances (:func:`_arrangements`), chunk by chunk."""
    held = [_arrangements(chunk, max_distance, merge) for chunk in _sequence_chunks(inst, max_chunk_pairs)]
    return pd.concat(held, ignore_index=True) if held else pd.DataFrame(
        columns=["sequence", "a", "b", "distance", "sa", "sb", "is_fwd"])


def rules_from_cooccurrence(model, instances: pd.DataFrame, geometry: pd.DataFrame,
                            groups: pd.DataFrame | None = None, data=None, outputs: np.ndarray | None = None,
                            target_names=None, exclude: pd.DataFrame | None = None, min_support: int | None = None,
                            min_interaction: float = MIN_INTERACTION, max_chunk_pairs: int = 500_000, batch_size: int = 256) -> pd.DataFrame:
    """Co-occurrence rules: does having both motifs (anywhere) change the output more than each alone adds?

    For each pair of different motifs (a, b) and target, sequences are split by presence of a and b
    (motif instances) into four cells; ``effect`` is the interaction ``m_both - m_a - m_b + m_neither``
    of the model's mean predicted output (probability for binary targets), stratified by how many
    *other* motifs a sequence holds (0, 1, >= :data:`MAX_OTHER_MOTIFS`), tested against ``|effect| <=
    min_interaction`` (:func:`interaction_test`). Positive: cooperative (both needed); negative:
    repression (one cancels the other) or redundancy (either suffices). Additive effects and dosage
    give no interaction. ``motif_a`` is the motif whose presence alone raises the output more.

    Left out: pairs named by the same JASPAR motif (one motif the merging missed); pairs whose calls
    fall on the same sites in most sequences holding both (one site read by two motifs: "either
    suffices" by construction); from each pair's test, the sequences where a call of a and a call of b
    share bases (one site called as both: it is not evidence of two motifs, and a filter that also fires
    on the other motif's sites would otherwise fill the both-present cell with sequences that hold one
    motif only); and pairs with a significant spacing rule (``exclude``): their
    combination is already described by the arrangement, and co-occurrence would repeat it. (Leaving
    only the arrangement's holders out of the both-present cell does not work: holders whose call
    of one motif was missed stay in the one-motif cells and fake an interaction.)

    Parameters
    ----------
    instances : DataFrame
        Filter-level calls (:func:`~motifzoo.interpret.instances.call_instances`), merged to motifs with ``groups``.
    outputs : array (N, T), optional
        Model outputs (logits for binary targets); default predicted from ``data``.
    exclude : DataFrame, optional
        Significant spacing rules (a rule table): their motif pairs are not tested.
    min_support : int, optional
        Pairs need this many sequences with both motifs in the strata that count; default
        ``max(10, 0.25% of the sequences)``.
    min_interaction : float
        The null's margin: probability for binary targets, standard deviations of the output for regression.

    Returns
    -------
    pandas.DataFrame with :func:`rule_columns` (``rule`` = co-occurrence, ``distance`` empty), ranked by p.
    """
    stranded = n_strands(model) == 2
    groups = groups if groups is not None else motif_groups(geometry, merge=False, names=False)
    method = "attention" if model.has_position_attention else "activations"
    if outputs is None:
        if data is None:
            raise ValueError("the co-occurrence test needs data or outputs")
        outputs = predict_outputs(model, data, batch_size)
    outputs = np.asarray(outputs, dtype=np.float64)
    n_seqs, n_targets = outputs.shape
    binary = model.task == "binary"
    y = torch.sigmoid(torch.as_tensor(outputs)).numpy() if binary else outputs
    margin = target_margins(model, n_targets, min_interaction, outputs)
    targets = _targets(model, n_targets, target_names)
    min_support = min_support if min_support is not None else max(10, int(np.ceil(0.0025 * n_seqs)))
    inst = motif_instances(instances, groups)
    units = np.unique(inst["filter"].to_numpy(np.int64)) if len(inst) else np.array([], dtype=np.int64)
    if len(units) < 2:
        return _finish_rules(None, geometry, groups, method, stranded)
    col = np.searchsorted(units, inst["filter"].to_numpy(np.int64))
    present = np.zeros((n_seqs, len(units)), dtype=bool)
    present[inst["sequence"].to_numpy(np.int64), col] = True
    n_present = present.sum(1)
    # which pairs to test
    label = dict(zip(groups["unit"].to_numpy(int), groups["motif_name"].astype(str)))
    widths = site_extents(geometry, groups)
    held = _held_arrangements(inst, float(widths.max()), stranded, max_chunk_pairs)  # reaches every overlap
    a_h, b_h = held["a"].to_numpy(int), held["b"].to_numpy(int)
    overlap = held[(a_h != b_h) & (np.abs(held["distance"].to_numpy()) < (widths[a_h] + widths[b_h]) / 2)]
    shared = pd.DataFrame({"sequence": overlap["sequence"], "lo": np.minimum(overlap["a"], overlap["b"]),
                           "hi": np.maximum(overlap["a"], overlap["b"])}).drop_duplicates()
    shared_in = {pair: g["sequence"].to_numpy(np.int64) for pair, g in shared.groupby(["lo", "hi"])}
    same_site = {pair: len(seqs) for pair, seqs in shared_in.items()}
    unit_of = {name: int(f) for f, name in geometry["name"].items()}
    spaced = set()
    if exclude is not None and len(exclude):
        sp = exclude[exclude["rule"] == SPACING] if "rule" in exclude else exclude
        ua, ub = sp["motif_a"].map(unit_of).to_numpy(int), sp["motif_b"].map(unit_of).to_numpy(int)
        spaced = set(zip(np.minimum(ua, ub).tolist(), np.maximum(ua, ub).tolist()))
    side = MAX_OTHER_MOTIFS + 1
    rows, stats = [], []
    for i in range(len(units)):
        for j in range(i + 1, len(units)):
            ua, ub = int(units[i]), int(units[j])
            if (ua, ub) in spaced or (label.get(ua) and label.get(ua) == label.get(ub)):
                continue
            both = present[:, i] & present[:, j]
            if same_site.get((ua, ub), 0) > 0.5 * both.sum():
                continue
            cell = present[:, i] + 2 * present[:, j]
            stratum = np.minimum(n_present - present[:, i] - present[:, j], MAX_OTHER_MOTIFS)
            onehot = np.zeros((n_seqs, side * 4))
            onehot[np.arange(n_seqs), stratum * 4 + cell] = 1.0
            onehot[shared_in.get((ua, ub), [])] = 0.0  # one site called as both motifs
            stats.append((onehot.sum(0), onehot.T @ y, onehot.T @ y ** 2))
            rows.append((ua, ub))
    if not rows:
        return _finish_rules(None, geometry, groups, method, stranded)
    n = np.stack([st[0] for st in stats]).reshape(len(rows), side, 4)
    frames = []
    for t, target in enumerate(targets):
        s = np.stack([st[1][:, t] for st in stats]).reshape(len(rows), side, 4)
        ss = np.stack([st[2][:, t] for st in stats]).reshape(len(rows), side, 4)
        effect, z, p, n_both, n_other, means = interaction_test(n, s, ss, margin[t])
        ab = np.asarray(rows)
        swap = means[:, 2] > means[:, 1]    # motif_a: the one whose presence alone raises the output more
        a = np.where(swap, ab[:, 1], ab[:, 0])
        b = np.where(swap, ab[:, 0], ab[:, 1])
        means[swap] = means[swap][:, [0, 2, 1, 3]]
        frame = pd.DataFrame({"a": a, "b": b, "distance": np.nan, "sa": True, "sb": True, "target": target,
                              "effect": effect, "z": z, "p": p, "n": n_both, "n_null": n_other, "rule": CO_OCCURRENCE,
                              "margin": float(margin[t]),
                              **{c: means[:, k] for k, c in enumerate(CELL_COLUMNS)}})
        frames.append(frame[np.isfinite(p) & (n_both >= min_support)])
    return _finish_rules(pd.concat(frames, ignore_index=True), geometry, groups, method, stranded)


# --------------------------------------------------------------------------------------------
# figure
# --------------------------------------------------------------------------------------------
def top_motif_pairs(rules: pd.DataFrame, n: int = 6) -> list[tuple[int, int]]:
    """Filter-index pairs (a <= b) of the strongest rules, in rank order, without repeats."""
    seen: list[tuple[int, int]] = []
    for a, b in zip(rules["motif_a"], rules["motif_b"]):
        pair = tuple(sorted((int(str(a).removeprefix("filter")), int(str(b).removeprefix("filter")))))
        if pair not in seen:
            seen.append(pair)
        if len(seen) == n:
            break
    return seen


def pairs_of(instances: pd.DataFrame, motif_pairs, max_distance: float = 60) -> pd.DataFrame:
    """:func:`instance_pairs` restricted to the given (a, b) filter pairs (cheap when instances are many)."""
    wanted = set(map(tuple, motif_pairs))
    filters = {f for ab in wanted for f in ab}
    pairs = instance_pairs(instances[instances["filter"].isin(filters)], max_distance)
    keep = [(a, b) in wanted for a, b in zip(pairs["a"], pairs["b"])]
    return pairs[np.asarray(keep, dtype=bool)].reset_index(drop=True)


def plot_spacing_histograms(table: pd.DataFrame, geometry: pd.DataFrame, path, motif_pairs=None,
                            max_pairs: int = 6, max_distance: float = 60) -> list[tuple[int, int]]:
    """Spacing histograms per motif pair, stacked by orientation, written as a PNG.

    Distances are in forward-strand naming (filter a <= b, distance = center b - center a), so an
    arrangement and its reverse-complement twin show as two peaks at +-distance.

    Parameters
    ----------
    table : DataFrame
        Instance calls (:func:`call_instances`) or instance pairs (:func:`instance_pairs`, :func:`pairs_of`).
    geometry : DataFrame
        From :func:`motif_geometry` (names).
    path : str or Path
        PNG to write.
    motif_pairs : list of (a, b) filter indices, optional
        Pairs to show (default: the ``max_pairs`` pairs with most co-occurrences).

    Returns
    -------
    The (a, b) pairs shown. Each sequence counts once per arrangement.
    """
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    is_instances = "filter" in table.columns
    if motif_pairs is None and is_instances:  # pairs of the filters called in most sequences
        common = sorted(table.groupby("filter")["sequence"].nunique().sort_values(ascending=False).index[:3])
        motif_pairs = [(int(a), int(b)) for i, a in enumerate(common) for b in common[i:]]
    elif motif_pairs is None:  # the pairs seen in most sequences
        counts = table.groupby(["a", "b"])["sequence"].nunique().sort_values(ascending=False)
        motif_pairs = [tuple(map(int, ab)) for ab in counts.index[:max_pairs]]
    motif_pairs = list(motif_pairs)[:max_pairs]
    pairs = pairs_of(table, motif_pairs, max_distance) if is_instances else table
    n = max(1, len(motif_pairs))
    cols = min(3, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 2.8 * rows), squeeze=False)
    bins = np.arange(-max_distance - 0.75, max_distance + 1, 0.5)
    names = geometry["name"].to_numpy()
    colours = {"++": "#1b9e77", "+-": "#d95f02", "-+": "#7570b3", "--": "#e7298a"}
    for ax, (a, b) in zip(axes.ravel(), motif_pairs):
        sub = pairs[(pairs["a"] == a) & (pairs["b"] == b)].drop_duplicates(
            ["sequence", "distance", "plus_a", "plus_b"])
        orient = orientation_string(sub["plus_a"].to_numpy(bool), sub["plus_b"].to_numpy(bool))
        data = [sub["distance"].to_numpy()[orient == o] for o in ORIENTATIONS]
        ax.hist(data, bins=bins, stacked=True, color=[colours[o] for o in ORIENTATIONS], label=list(ORIENTATIONS))
        ax.set_title(f"{names[a]} -> {names[b]}", fontsize=9)
        ax.set_xlabel(f"center {names[b]} - center {names[a]} (bp)", fontsize=8)
        ax.set_ylabel("sequences", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes.ravel()[len(motif_pairs):]:
        ax.axis("off")
    if not motif_pairs:
        axes[0, 0].text(0.5, 0.5, "no co-occurring motif instances", ha="center", va="center")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="upper right", fontsize=7, title="orientation", title_fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return motif_pairs


# --------------------------------------------------------------------------------------------
# one call for the CLI and scripts
# --------------------------------------------------------------------------------------------
def has_syntax_layer(model) -> bool:
    """Whether the model has a syntax layer whose weights are rules (``pair_weights()`` is not None)."""
    return model.pair_weights() is not None


def syntax_rules(model, data=None, method: str = "auto", p_threshold: float = DEFAULT_P,
                 attention_threshold: float = 2.0, max_distance: float = 60, min_support: int | None = None,
                 merge_rc: bool = True, include_overlapping: bool = False, keep_all: bool = False,
                 all_rules: bool = False, q_threshold: float = Q_THRESHOLD, merge_motifs: bool = True,
                 names: bool = True, motif_kwargs: dict | None = None, null: ScoreNull | None = None,
                 co_occurrence: bool = True, min_interaction: float = MIN_INTERACTION,
                 min_effect: float = MIN_SPACING_EFFECT, batch_size: int = 256, progress: bool = False) -> dict:
    """Tested rule table, motif instances and instance pairs of a model, the way ``motifzoo syntax`` computes them.

    Parameters
    ----------
    method : {"auto", "weights", "data"}
        The spacing test: ``weights`` reads a syntax layer (needs one); ``data`` calls instances over
        ``data`` and compares predictions (any model); ``auto`` = weights when the model has a syntax layer.
    co_occurrence : bool
        With ``data``, also test every pair of motifs for co-occurrence (:func:`rules_from_cooccurrence`,
        any model; pairs with a spacing rule significant at ``q_threshold`` are not tested again).
        q is then over the rules of both tests together.
    min_interaction : float
        The co-occurrence test's margin (:func:`rules_from_cooccurrence`).
    min_effect : float
        The spacing tests' margin (:func:`target_margins`): log-odds for binary targets.
    p_threshold : float
        Instance calls: per-window p-value against dinucleotide-shuffled sequences.
    all_rules : bool
        Return every rule tested; default only those with q < ``q_threshold``.
    merge_motifs, names : bool
        Merge redundant filters into motifs; name motifs by JASPAR (:func:`motif_groups`).
    motif_kwargs : dict
        Settings of :func:`motif_geometry` (as ``motifzoo motifs``: threshold, min_sites, ...).
    progress : bool
        Progress bars over the batches on a terminal (motif export, instance calls).

    Returns
    -------
    dict with ``rules`` (``attrs["n_tested"]``: rules tested), ``instances`` (motif-level calls; None
    without data), ``pairs`` (instance pairs of the motif pairs of the top rules, for
    :func:`plot_spacing_histograms`; None without data), ``geometry`` and ``groups``.
    """
    if method not in ("auto", "weights", "data"):
        raise ValueError(f"method must be auto, weights or data, got {method!r}")
    if method == "auto":
        method = "weights" if has_syntax_layer(model) else "data"
    if method == "weights" and not has_syntax_layer(model):
        raise ValueError(f"model {model.model_name!r} has no syntax layer to read rules from; use method 'data' "
                         "with sequences")
    if method == "data" and data is None:
        raise ValueError(f"model {model.model_name!r} has no syntax layer; reading rules from activations needs "
                         "data (sequences)")
    model.eval()
    geometry = motif_geometry(model, data, batch_size=batch_size, progress=progress, **(motif_kwargs or {}))
    groups = motif_groups(geometry, merge=merge_motifs, names=names)
    calls = instances = outputs = None
    site_activation = None
    if data is not None:
        outputs = predict_outputs(model, data, batch_size)
        calls = call_instances(model, data, geometry, p_threshold, null=null, attention_threshold=attention_threshold,
                               keep_all=keep_all, batch_size=batch_size, progress=progress)
        instances = motif_instances(calls, groups)
        # a typical site's activation per filter (median over calls); filters never called keep the weights' bound
        site_activation = _max_activation_from_weights(model).astype(np.float64)
        med = calls.groupby("filter")["activation"].median()
        site_activation[med.index.to_numpy(int)] = med.to_numpy()
    if method == "weights":
        rules = rules_from_weights(model, geometry=geometry, groups=groups, site_activation=site_activation,
                                   merge_rc=merge_rc, include_overlapping=include_overlapping, keep_all=keep_all,
                                   min_effect=min_effect, outputs=outputs)
    else:
        rules = rules_from_data(model, data, calls, geometry, groups, max_distance=max_distance,
                                min_support=min_support, merge_rc=merge_rc, include_overlapping=include_overlapping,
                                outputs=outputs, batch_size=batch_size, min_effect=min_effect)
    if data is not None and co_occurrence:
        co = rules_from_cooccurrence(model, calls, geometry, groups, outputs=outputs,
                                     exclude=significant(rules, q_threshold), min_support=min_support,
                                     min_interaction=min_interaction)
        rules = combine_rules(rules, co, stranded=n_strands(model) == 2)
    if not all_rules:
        rules = significant(rules, q_threshold)
    rules.attrs["q_threshold"] = q_threshold
    # instance pairs of the strongest rules' motif pairs, for spacing histograms
    pairs = pairs_of(instances, top_motif_pairs(rules), max_distance) if instances is not None else None
    return {"rules": rules, "instances": instances, "pairs": pairs, "geometry": geometry, "groups": groups}
