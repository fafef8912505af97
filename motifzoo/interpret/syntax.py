"""Syntax rules: which motifs combine, at what spacing and orientation, read from a model.

Conventions (every table here):

* ``motif_a``, ``motif_b`` are filter names exactly as ``motifzoo motifs`` writes them
  (``filter{i}``), for the same checkpoint and data.
* A motif instance's *centre* is the centre of the filter's exported (IC-trimmed) motif:
  ``start + (width - 1) / 2`` on the forward strand, where ``start`` is the first kept
  column (``meta['start']`` of :func:`motifzoo.interpret.pwm.model_motifs`). On the reverse
  strand the filter's columns run backwards, so the trimmed motif starts at window
  position ``W - start - width``.
* ``distance`` = centre of b minus centre of a, in bp on the sequence's forward strand
  (half-integers occur when the two trimmed widths differ in parity).
* ``orientation`` = strand of a then strand of b (``++``, ``+-``, ``-+``, ``--``); ``+``
  means the filter's motif reads on the forward strand.
* Two descriptions name the same arrangement: (a, b, d, xy) = (b, a, -d, yx). Read from
  the other DNA strand an arrangement becomes its *reverse-complement equivalent*
  (a, b, d, xy) ~ (b, a, d, y'x') with ' flipping a strand; e.g. (A, B, +20, ++) ~
  (B, A, +20, --). Rule tables merge the two by default (``effect`` is their mean; both
  are reported) and write the canonical one: distance >= 0, then the most ``+`` strands,
  then the lower filter index first.

Rules come from the weights of a model with a syntax layer (:func:`rules_from_weights`,
``method = "weights"``) or from motif instances called over data, with the model's
predictions compared between sequences that hold an arrangement and sequences that hold
the same two motifs otherwise (:func:`rules_from_data`, ``method = "attention"`` when
the model has attention, else ``"activations"``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from .pwm import _iter_batches, model_motifs

ORIENTATIONS = ("++", "+-", "-+", "--")
RULE_COLUMNS = ["rank", "motif_a", "motif_b", "distance", "orientation", "effect", "target", "method", "strength",
                "effect_fwd", "effect_rc", "rc_merged", "support", "overlapping"]
INSTANCE_COLUMNS = ["sequence", "position", "end", "centre", "strand", "motif", "filter", "score", "activation",
                    "attention"]


# --------------------------------------------------------------------------------------------
# motif geometry and arrangement conventions
# --------------------------------------------------------------------------------------------
def n_strands(model) -> int:
    """1 or 2: how many strands the model's scanner reads (2 when ``stranded_activations`` gives both)."""
    return 2 if getattr(model, "motif_strand_aware", False) and hasattr(model, "stranded_activations") else 1


def stranded_activations(model, x: torch.Tensor) -> torch.Tensor:
    """(N, 4, L) -> (N, S, F, L') activations per strand (S = 1 for models that scan one strand)."""
    if n_strands(model) == 2:
        return model.stranded_activations(x)
    return model.motif_activations(x)[:, None]


def motif_geometry(model, data=None, threshold: float = 0.5, min_sites: int = 10, min_site_fraction: float = 0.005,
                   min_ic: float = 3.0, trim_ic: float = 0.2, beta: float = 1.0, batch_size: int = 256) -> pd.DataFrame:
    """Where each filter's exported motif sits inside the filter, with the same settings as ``motifzoo motifs``.

    Returns
    -------
    pandas.DataFrame, one row per filter (index = filter index)
        ``name, status (kept|dead|flat), start, width, centre_plus, centre_minus``: ``start``/``width`` of
        the trimmed motif within the filter, and its centre relative to the window start when the
        filter reads the forward (``centre_plus``) or reverse (``centre_minus``) strand. Filters with
        nothing left after trimming keep the whole filter.
    """
    _, table = model_motifs(model, data, threshold=threshold, min_sites=min_sites, min_site_fraction=min_site_fraction,
                            min_ic=min_ic, trim_ic=trim_ic, beta=beta, keep_all=True, batch_size=batch_size)
    full = model.motif_filters().shape[-1]
    geo = table[["filter", "name", "status", "start", "width"]].copy().set_index("filter")
    empty = geo["width"] <= 0
    geo.loc[empty, "start"], geo.loc[empty, "width"] = 0, full
    centre = geo["start"] + (geo["width"] - 1) / 2
    geo["centre_plus"] = centre
    geo["centre_minus"] = (full - 1) - centre
    geo.attrs["filter_width"] = full
    return geo


def _choose(reps: list[tuple], merge_rc: bool):
    """Pick the canonical description among equivalent ones (vectorised over arrays)."""
    keys = []
    for a, b, d, sa, sb in reps:
        n_plus = sa.astype(int) + sb.astype(int)
        # distance >= 0 first, then more '+' strands, then lower filter indices, then '+' before '-'
        keys.append((d < 0) * 4e12 + (2 - n_plus) * 1e12 + a * 1e7 + b * 10 + (~sa) * 2 + (~sb))
    best = np.argmin(np.stack(keys), axis=0)
    pick = lambda i: np.choose(best, [r[i] for r in reps])  # noqa: E731
    return pick(0), pick(1), pick(2), pick(3).astype(bool), pick(4).astype(bool)


def canonical_arrangements(a, b, distance, plus_a, plus_b, merge_rc: bool = True):
    """Canonical descriptions of arrangements (see the module docstring), vectorised.

    Parameters
    ----------
    a, b : int arrays
        Filter indices.
    distance : float array
        Centre of b minus centre of a.
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
    return _choose(reps, merge_rc)


def rc_equivalent(a, b, distance, plus_a, plus_b):
    """The reverse-complement-equivalent arrangement: (a, b, d, xy) -> (b, a, d, y'x')."""
    return b, a, distance, ~np.asarray(plus_b, dtype=bool), ~np.asarray(plus_a, dtype=bool)


def orientation_string(plus_a, plus_b) -> np.ndarray:
    """Bool arrays -> array of ``++``/``+-``/``-+``/``--``."""
    return np.char.add(np.where(plus_a, "+", "-"), np.where(plus_b, "+", "-"))


def _max_activation_from_weights(model) -> np.ndarray:
    """(F,) the largest activation each filter can reach: nonlinearity of (best base per column + bias)."""
    from ..models.layers import make_activation
    w, b = model.motif_filters().detach().cpu(), model.motif_bias().detach().cpu()
    best = w.amax(dim=1).sum(-1) + b
    return make_activation(getattr(model, "motif_activation", "relu"))(best).numpy()


# --------------------------------------------------------------------------------------------
# rules from the weights of a pairwise head
# --------------------------------------------------------------------------------------------
def rules_from_weights(model, geometry: pd.DataFrame | None = None, site_activation=None, target_names=None,
                       merge_rc: bool = True, include_overlapping: bool = False, keep_all: bool = False,
                       min_abs_effect: float = 1e-6) -> pd.DataFrame:
    """The rule table of a model with a pairwise head (``pair_weights()`` of shape (T, C, C, D + 1)).

    Each stored entry ``K[t, a, b, k]`` (channels a, b = filter x strand, window offset k) is one
    arrangement; its ``effect`` is ``K * s_a * s_b`` (output units, log-odds for binary targets)
    with ``s_f`` the activation of a typical site of filter f (``site_activation``; default the
    largest activation the filter can reach), i.e. the change in output when two typical sites
    sit in that arrangement.

    Parameters
    ----------
    model : ArgminnPairwise-like
    geometry : DataFrame, optional
        From :func:`motif_geometry`; default: computed from the weights alone.
    site_activation : array (F,), optional
    target_names : list of str, optional
        Default ``model.target_names`` or ``target{t}``.
    merge_rc : bool
        Merge reverse-complement-equivalent arrangements (``effect`` = their mean).
    include_overlapping : bool
        Keep arrangements whose trimmed motifs overlap (``|distance| < (width_a + width_b) / 2``).
    keep_all : bool
        Keep rules of dead and flat filters (not in the exported MEME file).
    min_abs_effect : float
        Drop rules with a smaller |effect|.

    Returns
    -------
    pandas.DataFrame with :data:`RULE_COLUMNS`, ranked by |effect| (``strength``).
    """
    if not hasattr(model, "pair_weights"):
        raise TypeError(f"{type(model).__name__} has no pairwise syntax layer (pair_weights)")
    geometry = geometry if geometry is not None else motif_geometry(model)
    kernel = model.pair_weights().detach().cpu().numpy()  # (T, C, C, D+1)
    mask = model.pair_mask.detach().cpu().numpy().astype(bool)
    n_targets, channels, _, n_offsets = kernel.shape
    n_filters = len(geometry)
    scale = np.asarray(site_activation if site_activation is not None else _max_activation_from_weights(model),
                       dtype=np.float64)
    targets = list(target_names or getattr(model, "target_names", None) or [f"target{t}" for t in range(n_targets)])

    ca, cb, k = np.nonzero(mask)
    fa, fb = ca % n_filters, cb % n_filters
    pa, pb = ca < n_filters, cb < n_filters
    cplus, cminus = geometry["centre_plus"].to_numpy(), geometry["centre_minus"].to_numpy()
    centre_a = np.where(pa, cplus[fa], cminus[fa])
    centre_b = np.where(pb, cplus[fb], cminus[fb])
    distance = k + centre_b - centre_a
    effects = kernel[:, ca, cb, k] * (scale[fa] * scale[fb])[None]  # (T, n)
    return _rule_table(fa, fb, distance, pa, pb, effects, targets, geometry, "weights", merge_rc,
                       include_overlapping, keep_all, support=None, strength=None, min_abs_effect=min_abs_effect)


def _rule_table(fa, fb, distance, pa, pb, effects, targets, geometry, method, merge_rc, include_overlapping,
                keep_all, support=None, strength=None, min_abs_effect=0.0) -> pd.DataFrame:
    """Assemble weight-derived rules: merge reverse-complement twins (mean effect), filter and rank by |effect|.

    ``effects`` is (T, n) for n distinct arrangements given in any description.
    """
    a, b, d, sa, sb = canonical_arrangements(fa, fb, distance, pa, pb, merge_rc=False)
    ra, rb, rd, rsa, rsb = canonical_arrangements(a, b, d, sa, sb, merge_rc=True)
    is_fwd = (ra == a) & (rb == b) & (rd == d) & (rsa == sa) & (rsb == sb)
    frames = []
    for t, target in enumerate(targets):
        if merge_rc:
            frame = pd.DataFrame({"a": ra, "b": rb, "distance": rd, "sa": rsa, "sb": rsb,
                                  "fwd": np.where(is_fwd, effects[t], np.nan),
                                  "rc": np.where(is_fwd, np.nan, effects[t])})
            frame = frame.groupby(["a", "b", "distance", "sa", "sb"], sort=False).agg(
                effect_fwd=("fwd", "max"), effect_rc=("rc", "max")).reset_index()
            # an arrangement the model cannot represent (e.g. one strand not scanned) contributes 0
            frame["effect"] = (frame["effect_fwd"].fillna(0.0) + frame["effect_rc"].fillna(0.0)) / 2
            frame["rc_merged"] = True
        else:
            frame = pd.DataFrame({"a": a, "b": b, "distance": d, "sa": sa, "sb": sb, "effect": effects[t],
                                  "effect_fwd": effects[t], "effect_rc": np.nan, "rc_merged": False})
        frame["strength"] = frame["effect"].abs()
        frame["support"] = np.nan
        frames.append(frame.assign(target=target))
    return _finish_rules(pd.concat(frames, ignore_index=True), geometry, method, include_overlapping, keep_all,
                         min_abs_effect)


def _finish_rules(table: pd.DataFrame, geometry: pd.DataFrame, method: str, include_overlapping: bool,
                  keep_all: bool, min_abs_effect: float = 0.0) -> pd.DataFrame:
    """Name, flag overlapping motifs, drop rules of unexported filters, rank by |strength|."""
    names = geometry["name"].to_numpy()
    widths = geometry["width"].to_numpy()
    a, b = table["a"].to_numpy(int), table["b"].to_numpy(int)
    table = table.assign(overlapping=np.abs(table["distance"].to_numpy(float)) < (widths[a] + widths[b]) / 2)
    keep = table["effect"].abs().to_numpy() >= min_abs_effect
    if not include_overlapping:
        keep &= ~table["overlapping"].to_numpy()
    if not keep_all:
        kept = geometry["status"].to_numpy() == "kept"
        keep &= kept[a] & kept[b]
    table = table[keep].copy()
    table["motif_a"] = names[table["a"].to_numpy(int)]
    table["motif_b"] = names[table["b"].to_numpy(int)]
    table["orientation"] = orientation_string(table["sa"].to_numpy(bool), table["sb"].to_numpy(bool))
    table["method"] = method
    table["distance"] = table["distance"].astype(float)
    order = np.lexsort((-table["support"].fillna(0).to_numpy(), -table["strength"].abs().to_numpy()))
    table = table.iloc[order].reset_index(drop=True)
    table["rank"] = np.arange(1, len(table) + 1)
    return table[RULE_COLUMNS]


# --------------------------------------------------------------------------------------------
# motif instances over data
# --------------------------------------------------------------------------------------------
def calling_scale(model, acts: torch.Tensor) -> torch.Tensor:
    """Activations on the scale instances are thresholded on: log for ``exp`` filters, else as they are.

    ``exp`` turns a log-odds score into a likelihood ratio, so "half the maximum" on the linear scale
    keeps only near-perfect sites; on the log scale it means half the best log-odds score.
    """
    if getattr(model, "motif_activation", None) == "exp":
        return torch.log(acts.clamp_min(1e-30)).clamp_min(0.0)
    return acts


@torch.no_grad()
def filter_maxima(model, data, batch_size: int = 256) -> np.ndarray:
    """(F,) largest activation of each filter over the data, either strand (on :func:`calling_scale`)."""
    model.eval()
    best = None
    for x in _iter_batches(data, batch_size):
        m = calling_scale(model, stranded_activations(model, x)).amax(dim=(0, 1, 3))
        best = m if best is None else torch.maximum(best, m)
    if best is None:
        raise ValueError("no sequences given")
    return best.cpu().numpy()


@torch.no_grad()
def call_instances(model, data, geometry: pd.DataFrame, threshold: float = 0.5, attention_threshold: float = 2.0,
                   keep_all: bool = False, batch_size: int = 256, maxima: np.ndarray | None = None) -> pd.DataFrame:
    """Motif instances: local maxima of each filter's activation (either strand) above ``threshold`` x its maximum.

    For ``exp`` filters activations are compared on the log scale (:func:`calling_scale`), i.e. a
    site needs ``threshold`` x the best log-odds score over the data.
    A filter's activation is the larger of its two strands at each window; an instance is a
    window where this is the largest within +-W/2 bp. Models with attention
    (``position_attention``, ARGMINN) also need the position's attention, relative to a uniform
    distribution, to reach ``attention_threshold``.

    Returns
    -------
    pandas.DataFrame with :data:`INSTANCE_COLUMNS`
        ``sequence`` (row of ``data``), ``position``/``end`` (0-based half-open span of the trimmed
        motif on the forward strand), ``centre``, ``strand``, ``motif`` (filter name), ``filter``,
        ``score`` (activation / the filter's maximum over the data, on :func:`calling_scale`, times the
        relative attention when the model has attention), ``activation``, ``attention`` (NaN without attention).
    """
    model.eval()
    maxima = maxima if maxima is not None else filter_maxima(model, data, batch_size)
    width = int(geometry.attrs.get("filter_width", model.motif_filters().shape[-1]))
    starts, widths = geometry["start"].to_numpy(), geometry["width"].to_numpy()
    allowed = np.ones(len(geometry), bool) if keep_all else geometry["status"].to_numpy() == "kept"
    cut = torch.as_tensor(threshold * maxima, dtype=torch.float32).clamp_min(1e-12)
    has_attention = hasattr(model, "position_attention")
    frames, offset = [], 0
    for x in _iter_batches(data, batch_size):
        raw = stranded_activations(model, x)  # (B, S, F, L')
        acts = calling_scale(model, raw)
        best, strand = acts.max(dim=1)  # (B, F, L')
        peak = F.max_pool1d(best, width, stride=1, padding=width // 2)[..., : best.shape[-1]]
        keep = (best >= peak) & (best > cut[None, :, None]) & torch.as_tensor(allowed)[None, :, None]
        attention = model.position_attention(x) if has_attention else None
        if attention is not None:
            keep &= attention[:, None, :] >= attention_threshold
        n, f, i = torch.nonzero(keep, as_tuple=True)
        n, f, i = n.numpy(), f.numpy(), i.numpy()
        minus = strand[n, f, i].numpy() == 1
        act = raw.gather(1, strand[:, None]).squeeze(1)[n, f, i].numpy()
        relative = best[n, f, i].numpy() / maxima[f]
        att = attention[n, i].numpy() if attention is not None else np.full(len(n), np.nan)
        position = np.where(minus, i + width - starts[f] - widths[f], i + starts[f])
        frames.append(pd.DataFrame({
            "sequence": n + offset, "position": position, "end": position + widths[f],
            "centre": position + (widths[f] - 1) / 2, "strand": np.where(minus, "-", "+"),
            "motif": geometry["name"].to_numpy()[f], "filter": f,
            "score": relative * (att if attention is not None else 1.0), "activation": act, "attention": att}))
        offset += len(x)
    calls = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=INSTANCE_COLUMNS)
    calls.attrs["n_sequences"] = offset
    return calls.sort_values(["sequence", "position", "filter"], kind="stable").reset_index(drop=True)[INSTANCE_COLUMNS]


def instance_pairs(instances: pd.DataFrame, max_distance: float = 60) -> pd.DataFrame:
    """Every pair of instances of one sequence within ``max_distance`` bp (centres), in forward-strand naming.

    Returns
    -------
    pandas.DataFrame
        ``sequence, a, b (filter indices, a <= b), distance (centre b - centre a), plus_a, plus_b``;
        for two instances of one filter, a is the upstream one.
    """
    cols = ["sequence", "filter", "centre", "strand"]
    left = instances[cols].reset_index().rename(columns={"index": "id"})
    pairs = left.merge(left, on="sequence", suffixes=("_1", "_2"))
    pairs = pairs[pairs["id_1"] < pairs["id_2"]]
    swap = (pairs["filter_1"] > pairs["filter_2"]) | (
        (pairs["filter_1"] == pairs["filter_2"]) & (pairs["centre_1"] > pairs["centre_2"]))
    first = lambda c: np.where(swap, pairs[f"{c}_2"], pairs[f"{c}_1"])  # noqa: E731
    second = lambda c: np.where(swap, pairs[f"{c}_1"], pairs[f"{c}_2"])  # noqa: E731
    out = pd.DataFrame({"sequence": pairs["sequence"].to_numpy(), "a": first("filter"), "b": second("filter"),
                        "distance": second("centre") - first("centre"),
                        "plus_a": first("strand") == "+", "plus_b": second("strand") == "+"})
    return out[np.abs(out["distance"]) <= max_distance].reset_index(drop=True)


@torch.no_grad()
def predict_outputs(model, data, batch_size: int = 256) -> np.ndarray:
    """(N, T) model outputs (logits for binary targets)."""
    model.eval()
    return torch.cat([model(x) for x in _iter_batches(data, batch_size)]).cpu().numpy()


def rules_from_data(model, data, instances: pd.DataFrame, geometry: pd.DataFrame, target_names=None,
                    max_distance: float = 60, min_support: int | None = None, merge_rc: bool = True,
                    include_overlapping: bool = False, keep_all: bool = False, outputs: np.ndarray | None = None,
                    batch_size: int = 256, max_chunk_pairs: int = 2_000_000) -> pd.DataFrame:
    """Rules from motif instances over data: how the model's output differs when two motifs sit in an arrangement.

    For each arrangement (a, b, distance, orientation) held by at least ``min_support``
    sequences, ``effect`` = mean model output over those sequences minus the mean over
    sequences holding instances of both a and b in no such arrangement (all other sequences
    when there are fewer than 2), in output units (log-odds for binary targets);
    ``strength`` is the Welch t statistic of that difference, and the table is ranked by |t|.

    Parameters
    ----------
    min_support : int, optional
        Default ``max(10, 0.25% of the sequences)``.
    max_chunk_pairs : int
        Instance pairs are formed for blocks of sequences with about this many pairs at a time.
    Other parameters as in :func:`rules_from_weights`.
    """
    outputs = outputs if outputs is not None else predict_outputs(model, data, batch_size)
    n_seqs, n_targets = outputs.shape
    targets = list(target_names or getattr(model, "target_names", None) or [f"target{t}" for t in range(n_targets)])
    min_support = min_support if min_support is not None else max(10, int(np.ceil(0.0025 * n_seqs)))
    method = "attention" if hasattr(model, "position_attention") else "activations"
    key = ["a", "b", "distance", "sa", "sb"]
    y, y2 = outputs, outputs ** 2
    total = (len(y), y.sum(0), y2.sum(0))
    # two passes over chunks of sequences keep memory bounded when there are many instances per sequence:
    # first count each arrangement's support, then collect the sequences of the frequent ones
    counts = [_arrangements(chunk, max_distance, merge_rc).drop_duplicates(["sequence"] + key).groupby(key).size()
              for chunk in _sequence_chunks(instances, max_chunk_pairs)]
    counts = [c for c in counts if len(c)]
    if not counts:
        return pd.DataFrame(columns=RULE_COLUMNS)
    support = pd.concat(counts).groupby(level=list(range(len(key)))).sum()
    frequent = support[support >= min_support].reset_index()[key]
    if frequent.empty:
        return pd.DataFrame(columns=RULE_COLUMNS)
    held, pair_moments = [], []
    for chunk in _sequence_chunks(instances, max_chunk_pairs):
        held.append(_arrangements(chunk, max_distance, merge_rc).merge(frequent, on=key))
        # sequences holding both motifs of each unordered pair, in any arrangement or none
        present = chunk[["sequence", "filter"]].drop_duplicates()
        both = present.merge(present, on="sequence", suffixes=("_a", "_b"))
        both = both[both["filter_a"] <= both["filter_b"]].rename(columns={"filter_a": "a", "filter_b": "b"})
        pair_moments.append(_group_moments(both, ["a", "b"], y, y2))
    held = pd.concat(held, ignore_index=True)
    stats_pair = pd.concat(pair_moments).groupby(level=[0, 1]).sum().reset_index()
    stats = _group_moments(held.drop_duplicates(["sequence"] + key), key, y, y2).reset_index()
    stats = stats.merge(stats_pair, on=["a", "b"], suffixes=("", "_pair"))
    effects, strength = _contrast(stats, total, n_targets)
    # the same contrast for the sequences that hold each twin as named (forward) or as its reverse complement
    twins = {}
    for flag, name in ((True, "effect_fwd"), (False, "effect_rc")):
        part = held[held["is_fwd"] == flag].drop_duplicates(["sequence"] + key)
        if merge_rc or flag:
            sub = _group_moments(part, key, y, y2).reset_index()
            sub = sub.merge(stats_pair, on=["a", "b"], suffixes=("", "_pair"))
            eff, _ = _contrast(sub, total, n_targets) if len(sub) else (np.zeros((n_targets, 0)), None)
            twins[name] = stats[key].merge(sub[key].assign(**{f"v{t}": eff[t] for t in range(n_targets)}),
                                           on=key, how="left")
    frames = []
    for t, target in enumerate(targets):
        frames.append(pd.DataFrame({
            **{k: stats[k].to_numpy() for k in key}, "effect": effects[t], "strength": strength[t],
            "support": stats["n"].to_numpy(), "target": target, "rc_merged": merge_rc,
            "effect_fwd": twins["effect_fwd"][f"v{t}"].to_numpy(),
            "effect_rc": twins["effect_rc"][f"v{t}"].to_numpy() if merge_rc else np.nan}))
    return _finish_rules(pd.concat(frames, ignore_index=True), geometry, method, include_overlapping, keep_all)


def _sequence_chunks(instances: pd.DataFrame, max_pairs: int = 2_000_000):
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
    a, b, d, sa, sb = canonical_arrangements(pairs["a"], pairs["b"], pairs["distance"], pairs["plus_a"],
                                             pairs["plus_b"], merge_rc=False)
    arr = pd.DataFrame({"sequence": pairs["sequence"].to_numpy(), "a": a, "b": b, "distance": d, "sa": sa, "sb": sb,
                        "is_fwd": True})
    if merge_rc and len(arr):
        ra, rb, rd, rsa, rsb = canonical_arrangements(a, b, d, sa, sb, merge_rc=True)
        arr["is_fwd"] = (ra == a) & (rb == b) & (rd == d) & (rsa == sa) & (rsb == sb)
        arr["a"], arr["b"], arr["distance"], arr["sa"], arr["sb"] = ra, rb, rd, rsa, rsb
    return arr.drop_duplicates()


def _group_moments(frame: pd.DataFrame, key: list[str], y: np.ndarray, y2: np.ndarray) -> pd.DataFrame:
    """Per group: ``n`` sequences and per-target sums ``s{t}`` of outputs and ``q{t}`` of squared outputs."""
    seq = frame["sequence"].to_numpy()
    cols = {"n": np.ones(len(frame))}
    for t in range(y.shape[1]):
        cols[f"s{t}"], cols[f"q{t}"] = y[seq, t], y2[seq, t]
    return pd.concat([frame[key].reset_index(drop=True), pd.DataFrame(cols)], axis=1).groupby(key).sum()


def _contrast(stats: pd.DataFrame, total, n_targets: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean difference and Welch t between the sequences with an arrangement and the comparison group."""
    n_all, s_all, q_all = total
    n1 = stats["n"].to_numpy()
    n_other = stats["n_pair"].to_numpy() - n1
    use_all = n_other < 2
    effects, strength = np.zeros((n_targets, len(stats))), np.zeros((n_targets, len(stats)))
    for t in range(n_targets):
        s1, q1 = stats[f"s{t}"].to_numpy(), stats[f"q{t}"].to_numpy()
        s0 = np.where(use_all, s_all[t], stats[f"s{t}_pair"].to_numpy()) - s1
        q0 = np.where(use_all, q_all[t], stats[f"q{t}_pair"].to_numpy()) - q1
        n0 = np.where(use_all, n_all, stats["n_pair"].to_numpy()) - n1
        m1, m0 = s1 / n1, s0 / np.maximum(n0, 1)
        v1 = np.maximum(q1 / n1 - m1 ** 2, 0) * n1 / np.maximum(n1 - 1, 1)
        v0 = np.maximum(q0 / np.maximum(n0, 1) - m0 ** 2, 0) * n0 / np.maximum(n0 - 1, 1)
        effects[t] = m1 - m0
        strength[t] = effects[t] / np.sqrt(v1 / n1 + v0 / np.maximum(n0, 1) + 1e-12)
    return effects, strength


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

    Distances are in forward-strand naming (filter a <= b, distance = centre b - centre a), so an
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
        ax.set_xlabel(f"centre {names[b]} - centre {names[a]} (bp)", fontsize=8)
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


def syntax_rules(model, data=None, method: str = "auto", threshold: float = 0.5, attention_threshold: float = 2.0,
                 max_distance: float = 60, min_support: int | None = None, merge_rc: bool = True,
                 include_overlapping: bool = False, keep_all: bool = False, motif_kwargs: dict | None = None,
                 batch_size: int = 256) -> dict:
    """Rule table, instance calls and instance pairs of a model, the way ``motifzoo syntax`` computes them.

    Parameters
    ----------
    method : {"auto", "weights", "data"}
        ``weights`` reads a syntax layer (needs one); ``data`` calls instances over ``data`` and
        compares predictions (any model); ``auto`` = weights when the model has a syntax layer.
    motif_kwargs : dict
        Settings of :func:`motif_geometry` (as ``motifzoo motifs``: threshold, min_sites, ...).

    Returns
    -------
    dict with ``rules``, ``instances`` (None without data), ``pairs`` (instance pairs of the motif pairs of
    the strongest rules, for :func:`plot_spacing_histograms`; None without data) and ``geometry``.
    """
    if method not in ("auto", "weights", "data"):
        raise ValueError(f"method must be auto, weights or data, got {method!r}")
    if method == "auto":
        method = "weights" if has_syntax_layer(model) else "data"
    if method == "weights" and not has_syntax_layer(model):
        raise ValueError(f"model {getattr(model, 'model_name', type(model).__name__)!r} has no syntax layer to read "
                         "rules from; use method 'data' with sequences")
    if method == "data" and data is None:
        raise ValueError(f"model {getattr(model, 'model_name', type(model).__name__)!r} has no syntax layer; "
                         "reading rules from activations needs data (sequences)")
    model.eval()
    geometry = motif_geometry(model, data, batch_size=batch_size, **(motif_kwargs or {}))
    instances = None
    site_activation = None
    if data is not None:
        instances = call_instances(model, data, geometry, threshold, attention_threshold, keep_all, batch_size)
        # a typical site's activation per filter (median over calls); filters never called keep the weights' bound
        site_activation = _max_activation_from_weights(model).astype(np.float64)
        med = instances.groupby("filter")["activation"].median()
        site_activation[med.index.to_numpy(int)] = med.to_numpy()
    if method == "weights":
        rules = rules_from_weights(model, geometry=geometry, site_activation=site_activation, merge_rc=merge_rc,
                                     include_overlapping=include_overlapping, keep_all=keep_all)
    else:
        rules = rules_from_data(model, data, instances, geometry, max_distance=max_distance, min_support=min_support,
                                merge_rc=merge_rc, include_overlapping=include_overlapping, keep_all=keep_all,
                                batch_size=batch_size)
    # instance pairs of the strongest rules' motif pairs, for spacing histograms
    pairs = pairs_of(instances, top_motif_pairs(rules), max_distance) if instances is not None else None
    return {"rules": rules, "instances": instances, "pairs": pairs, "geometry": geometry}
