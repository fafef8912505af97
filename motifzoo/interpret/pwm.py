"""Position weight matrices from a model's first-layer filters, two ways.

1. :func:`filters_to_pwms` — from the weights alone, no data. With an
   exponential activation a filter scores ``exp(w . x + b)``; if
   ``w_j(a) = log(p_j(a) / q(a)) + c_j`` this is a likelihood-ratio scan of the PWM
   ``p``. Inverting gives ``p_j(a) = q(a) exp(beta * w_j(a)) / sum_b q(b) exp(beta * w_j(b))``
   with ``q`` the background. ``beta = 1`` is exact for ``exp`` filters whose batch
   norm has been folded in (the scan is then in natural-log units); for other
   activations the scale is arbitrary and ``beta`` acts as a temperature.
2. :func:`activation_counts` — from data: the windows where a filter's
   activation exceeds ``threshold`` x its maximum over the dataset are aligned and
   counted (Koo & Eddy 2019). Streamed in batches: memory does not grow with the
   dataset.

Both only use the model interface of :class:`motifzoo.models.MotifModel`.
"""
from __future__ import annotations

import math
from typing import Iterable

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from ..data.encoding import EncodedSequences
from ..motifs import UNIFORM, Motif, information_content, trim


def filters_to_pwms(filters, beta: float = 1.0, background=UNIFORM) -> np.ndarray:
    """Weights -> PWMs: ``p_j(a) ∝ q(a) exp(beta * w_j(a))``.

    Parameters
    ----------
    filters : array or tensor, shape (F, 4, W)
        First-layer weights with batch norm folded in (``model.motif_filters()``).
    beta : float
        Inverse temperature; 1 for exp-activation filters.
    background : array, shape (4,)
        Background letter frequencies ``q``.

    Returns
    -------
    numpy.ndarray, shape (F, W, 4)
        Rows sum to 1.
    """
    w = torch.as_tensor(filters, dtype=torch.float64)
    logq = torch.log(torch.as_tensor(np.asarray(background), dtype=torch.float64))
    logits = beta * w + logq[None, :, None]
    return torch.softmax(logits, dim=1).permute(0, 2, 1).numpy()


def _iter_batches(data, batch_size: int) -> Iterable[torch.Tensor]:
    """One-hot batches (B, 4, L) from a tensor/array, :class:`~motifzoo.data.encoding.EncodedSequences`, or a
    DataLoader yielding x or (x, y, ...)."""
    if isinstance(data, EncodedSequences):
        yield from data.batches(batch_size)
        return
    if isinstance(data, (torch.Tensor, np.ndarray)):
        x = torch.as_tensor(data, dtype=torch.float32)
        for i in range(0, len(x), batch_size):
            yield x[i:i + batch_size]
        return
    for batch in data:
        yield batch[0] if isinstance(batch, (tuple, list)) else batch


def _n_sequences(data) -> int | None:
    """Number of sequences in ``data`` when it is held whole (a tensor, array or EncodedSequences), else None."""
    return len(data) if isinstance(data, (torch.Tensor, np.ndarray, EncodedSequences)) else None


def _n_batches(data, batch_size: int) -> int | None:
    """Number of batches :func:`_iter_batches` yields (None when unknown), for progress bars."""
    if (n := _n_sequences(data)) is not None:
        return -(-n // batch_size)
    try:
        return len(data)
    except TypeError:
        return None


def _shuffled_batches(batches: Iterable[torch.Tensor], seed: int, device=None) -> Iterable[torch.Tensor]:
    """Dinucleotide-shuffled copies (B, 4, L) of one-hot ``batches``; sequence i of the stream (counted
    across batches) is shuffled with ``row_seeds(seed, i)``, so a shuffle depends on the seed and index only."""
    from ..data.encoding import codes_to_one_hot, one_hot_to_codes
    from ..data.shuffle import dinucleotide_shuffle, row_seeds
    offset = 0
    for x in batches:
        seeds = row_seeds(seed, np.arange(offset, offset + len(x)))
        offset += len(x)
        codes = one_hot_to_codes(x).to(torch.uint8).cpu().numpy()
        yield codes_to_one_hot(dinucleotide_shuffle(codes, seeds)).to(x.device if device is None else device,
                                                                      torch.float32)


def _model_device(model) -> torch.device:
    """Where the model's parameters are (the CPU for a model without parameters)."""
    return next(iter(model.parameters()), torch.empty(0)).device


@torch.no_grad()
def activation_counts(model, data, threshold: float = 0.5, batch_size: int = 256, device=None,
                      return_strands: bool = False, progress: bool = False, flank: int = 0):
    """Align and count the windows where each filter fires above ``threshold`` x its maximum.

    For a strand-aware model (``motif_strand_aware``) a position fires when its stronger
    strand does, and a window where the reverse strand won is counted reverse-complemented,
    so every site is aligned in the filter's own orientation.

    Parameters
    ----------
    model : MotifModel
        Any zoo model (uses ``motif_activations`` or ``stranded_activations`` and ``motif_filters``).
    data : tensor (N, 4, L) or iterable of batches
        One-hot sequences; iterated twice (maxima, then counts).
    threshold : float
        Fraction of each filter's dataset-wide maximum activation.
    return_strands : bool
        Also return ``nsites_minus`` (F,): how many counted windows were reverse-strand sites.
    device : str or torch.device, optional
        Where to scan (default: where the model's parameters are).
    progress : bool
        Show a progress bar over the batches of both passes on a terminal
        (:func:`motifzoo.interpret.progress.progress_bar`).
    flank : int
        Also count this many bases of sequence on each side of every window (the filter's columns are
        ``flank .. flank + W - 1`` of the counts; bases past a sequence end count nothing).

    Returns
    -------
    counts : numpy.ndarray, shape (F, W + 2 * flank, 4)
        Base counts of the aligned windows.
    nsites : numpy.ndarray, shape (F,)
        Number of windows counted per filter.
    max_activation : numpy.ndarray, shape (F,)
    n_sequences : int
        Number of sequences scanned.
    nsites_minus : numpy.ndarray, shape (F,)
        Only with ``return_strands``.
    """
    from .progress import progress_bar
    device = _model_device(model) if device is None else device
    model = model.to(device).eval()
    if flank < 0:
        raise ValueError(f"flank must be at least 0, got {flank}")
    width = model.motif_filters().shape[-1]
    span = width + 2 * flank  # counted columns: the filter's window and its flanks
    maxima, n_seqs = None, 0
    n_batches = _n_batches(data, batch_size)
    for x in progress_bar(_iter_batches(data, batch_size), enabled=progress, total=n_batches,
                          desc="filter maxima", unit="batch"):
        n_seqs += len(x)
        a = model.stranded_activations(x.to(device)).amax(dim=(0, 1, 3))
        maxima = a if maxima is None else torch.maximum(maxima, a)
    if maxima is None:
        raise ValueError("no sequences given to extract motifs from")
    counts = torch.zeros(len(maxima), 4, span, dtype=torch.float64, device=device)
    nsites = torch.zeros(len(maxima), dtype=torch.float64, device=device)
    nsites_minus = torch.zeros(len(maxima), dtype=torch.float64, device=device)
    cut = (threshold * maxima).clamp_min(1e-12)[None, :, None]
    for x in progress_bar(_iter_batches(data, batch_size), enabled=progress, total=n_batches,
                          desc="aligning sites", unit="batch"):
        x = x.to(device)
        stranded = model.stranded_activations(x)  # (B, S, F, L')
        act = stranded.amax(dim=1)
        mask = (act > cut) & (maxima[None, :, None] > 0)
        if not mask.any():
            continue
        xp = F.pad(x, (flank, width + flank))  # zero columns: windows past either end count nothing
        if stranded.shape[1] == 2:
            minus = mask & (stranded[:, 1] > stranded[:, 0])
            # ACGT order: flipping letters and columns reverse-complements a window
            _add_sites(counts, minus, xp, reverse=True)
            nsites_minus += minus.sum(dim=(0, 2)).double()
            mask = mask & ~minus
        _add_sites(counts, mask, xp)
        nsites += mask.sum(dim=(0, 2)).double()
    nsites = nsites + nsites_minus
    out = (counts.permute(0, 2, 1).cpu().numpy(), nsites.cpu().numpy().astype(int), maxima.cpu().numpy(), n_seqs)
    return out + (nsites_minus.cpu().numpy().astype(int),) if return_strands else out


def _add_sites(counts: torch.Tensor, mask: torch.Tensor, xp: torch.Tensor, reverse: bool = False) -> None:
    """Add the windows where ``mask`` (B, F, L') is set to ``counts`` (F, 4, W) of their filter, in place.

    ``xp`` (B, 4, >= L' + W - 1): the padded sequences, window i being ``xp[..., i:i + W]``. Where sites
    are few (a trained filter fires at a few positions per sequence) they are gathered one by one; where
    they are many (a flat or dead filter fires nearly everywhere, and gathering its windows took most of
    ``motifzoo syntax``'s time and memory for such models) column j of the counts is one product of the
    mask with the sequences shifted by j, whose cost does not grow with the number of sites.
    ``reverse`` adds each window reverse-complemented."""
    n, n_filters, length = mask.shape
    width = counts.shape[-1]
    n_sites = int(mask.sum())
    if n_sites == 0:
        return
    if 8 * n_sites < mask.numel():
        b, f, pos = mask.nonzero(as_tuple=True)
        sites = xp.unfold(2, width, 1)[b, :, pos, :]  # (S, 4, W)
        counts.index_add_(0, f, (sites.flip(1, 2) if reverse else sites).to(counts.dtype))
        return
    # float32 sums of one-hot columns are exact below 2^24 windows per batch; a larger batch sums in float64
    dtype = xp.dtype if n * length < 2 ** 24 else torch.float64
    m = mask.to(dtype).transpose(0, 1).reshape(n_filters, n * length)  # (F, B L')
    cols = torch.stack([m @ xp[:, :, j:j + length].to(dtype).transpose(1, 2).reshape(n * length, -1)
                        for j in range(width)], dim=-1)  # (F, 4, W)
    counts += (cols.flip(1, 2) if reverse else cols).to(counts.dtype)


@torch.no_grad()
def shuffled_site_counts(model, data, min_activation, seed: int = 0, batch_size: int = 256,
                         device=None, progress: bool = False) -> np.ndarray:
    """Sites each filter has on dinucleotide-shuffled copies of the sequences: the null for enrichment.

    Every sequence is shuffled once, keeping its dinucleotide counts
    (:func:`motifzoo.data.shuffle.dinucleotide_shuffle`, seeded per sequence by ``seed`` and its
    index), and scanned like :func:`activation_counts` scans the real ones.

    Parameters
    ----------
    model : MotifModel
    data : tensor (N, 4, L) or iterable of batches
    min_activation : array, shape (F,)
        A position is a site of filter f when its activation exceeds ``min_activation[f]`` (use the
        real data's ``threshold`` x maximum, so both counts use the same cut).

    Returns
    -------
    numpy.ndarray, shape (F,)
        Site counts on the shuffled sequences.
    """
    from .progress import progress_bar
    device = _model_device(model) if device is None else device
    model = model.to(device).eval()
    cut = torch.as_tensor(np.asarray(min_activation), dtype=torch.float32, device=device).clamp_min(1e-12)
    counts = torch.zeros(len(cut), dtype=torch.float64, device=device)
    batches = progress_bar(_iter_batches(data, batch_size), enabled=progress, total=_n_batches(data, batch_size),
                           desc="shuffled null", unit="batch")
    for shuffled in _shuffled_batches(batches, seed, device):
        act = model.stranded_activations(shuffled).amax(dim=1)
        counts += (act > cut[None, :, None]).sum(dim=(0, 2)).double()
    return counts.cpu().numpy().astype(int)


def enrichment_pvalues(n_real, n_null) -> np.ndarray:
    """One-sided p-values that ``n_real`` sites exceed ``n_null`` by chance (same number of sequences).

    Under the null both counts come from one rate, so given their sum ``n`` the real count is
    Binomial(n, 1/2); the p-value is its upper tail P(X >= n_real), exact (log space).

    Parameters
    ----------
    n_real, n_null : array of int, shape (F,)

    Returns
    -------
    numpy.ndarray, shape (F,)
    """
    n_real = np.asarray(n_real, dtype=np.int64)
    n_null = np.asarray(n_null, dtype=np.int64)
    return np.array([_binomial_half_upper(int(k), int(n)) for k, n in zip(n_real, n_real + n_null)])


def _binomial_half_upper(k: int, n: int, block: int = 4096) -> float:
    """P(X >= k) for X ~ Binomial(n, 1/2), summing only the terms that count.

    The terms fall off geometrically away from n / 2, so the sum runs from k upwards (k > n / 2) or, for
    the complement, from k - 1 downwards, a block at a time, until a block adds less than 1e-17 of the
    sum. Summing all n - k + 1 terms at once took hundreds of MB and seconds for a filter that fires at
    every position of 100,000 sequences (n ~ 10^7)."""
    if k <= 0:
        return 1.0
    upper = 2 * k > n
    log_norm = math.lgamma(n + 1.0) - n * math.log(2.0)
    total, pos = -math.inf, k if upper else k - 1
    while 0 <= pos <= n:
        lo, hi = (pos, min(pos + block - 1, n)) if upper else (max(pos - block + 1, 0), pos)
        i = torch.arange(lo, hi + 1, dtype=torch.float64)
        part = float(torch.logsumexp(log_norm - torch.lgamma(i + 1) - torch.lgamma(n - i + 1), 0))
        total = float(np.logaddexp(total, part))
        if part < total + math.log(1e-17):
            break
        pos = hi + 1 if upper else lo - 1
    tail = math.exp(total)
    return min(tail, 1.0) if upper else min(max(1.0 - tail, 0.0), 1.0)


def counts_to_pwms(counts: np.ndarray, pseudocount: float = 1.0, background=UNIFORM) -> np.ndarray:
    """(F, W, 4) counts -> (F, W, 4) probabilities, adding ``pseudocount`` x background per position."""
    c = np.asarray(counts, dtype=np.float64) + pseudocount * np.asarray(background)[None, None, :]
    return c / c.sum(-1, keepdims=True)


def model_motifs(model, data=None, method: str | None = None, threshold: float = 0.5, min_sites: int = 10,
                 min_site_fraction: float = 0.005, min_ic: float = 3.0, trim_ic: float = 0.2, beta: float = 1.0, keep_all: bool = False,
                 batch_size: int = 256, background=UNIFORM, merge_q: float | None = None,
                 merge_background: list[Motif] | None = None, enrichment_p: float | None = 0.05,
                 min_enrichment: float = 1.2, shuffle_seed: int = 0, flank: int = 0,
                 progress: bool = False) -> tuple[list[Motif], pd.DataFrame]:
    """Every informative first-layer filter of ``model`` as a :class:`Motif`.

    Parameters
    ----------
    model : MotifModel
    data : tensor (N, 4, L) or iterable of batches, optional
        Needed for ``method="activations"``.
    method : {"activations", "weights"}, optional
        Default: ``activations`` when ``data`` is given, else ``weights``. ``weights`` takes the
        exact PWMs of ``model.motif_pwms()`` when the model has them (PWM-parameterised layers;
        ``beta`` is then unused), else inverts ``model.motif_filters()``.
    threshold : float
        Activation fraction for ``activations``.
    min_sites, min_site_fraction : int, float
        A filter with fewer aligned windows than ``max(min_sites, min_site_fraction * N)`` (N the
        number of sequences scanned) is *dead* and skipped (``activations``): a filter that
        fires strongly in under 0.5% of sequences by default is fitting noise.
    enrichment_p, min_enrichment : float
        With ``activations``, each filter's sites (positions above the same cut) are also counted on a
        dinucleotide-shuffled copy of every sequence. A filter is *unenriched* and skipped unless it
        has at least ``min_enrichment`` x as many sites in the real sequences (+1 each) and the
        excess is significant: one-sided binomial p < ``enrichment_p`` / F (Bonferroni over the F
        filters; :func:`enrichment_pvalues`). Such filters fire as often on sequence with the same
        composition but no motifs: they match background, not a motif. ``None`` switches the test off.
    shuffle_seed : int
        Seed of the shuffles (the result depends on nothing else).
    progress : bool
        Show progress bars over the batches on a terminal.
    min_ic : float
        A filter whose trimmed PWM carries fewer bits in total is *flat* and skipped.
    trim_ic : float
        Flanking columns with less information (bits) are trimmed; 0 keeps the full width.
    flank : int
        With ``activations``: where the trimmed motif reaches an edge of the filter (its first or last
        column is informative), read up to ``flank`` more bases of the aligned sites past that edge and
        keep those above ``trim_ic`` (:func:`activation_counts` ``flank``). A filter that learned a motif
        shifted against its edge sees only part of it (a 7-bp forkhead core of FOXA1's 8 bp); the sites
        it fires on carry the rest, and a database match of the cut PWM can name another family member.
        The extra columns are the sites' bases, not the filter's: ``meta["flank_left"]`` and
        ``meta["flank_right"]`` count them, and ``meta["start"]`` stays the first filter column kept.
        Which filters are dead, unenriched or flat is decided on the filter's own columns, as with 0
        (the default: the filter's window only).
    keep_all : bool
        Export dead, flat and duplicate filters too (untrimmed where nothing passes ``trim_ic``).
    merge_q : float, optional
        Merge duplicates: a kept motif that matches a higher-ranked kept motif (more sites, then more
        information) with TOMTOM q < ``merge_q`` both ways, in either orientation, is marked
        ``duplicate`` and not exported (see :func:`find_duplicates`; 0.001 kept every recovered
        planted motif of the PWM and exp models in ``benchmarks/matrix.md``). ``None``: no merging.
    merge_background : list of Motif, optional
        Further TOMTOM targets (e.g. all JASPAR motifs) that calibrate the duplicate q-values.

    Returns
    -------
    motifs : list of Motif
        Named ``filter{i}``; ``evalue`` (MEME's ``E=``) is the filter's one-sided binomial enrichment
        p-value over dinucleotide-shuffled sequences (:func:`enrichment_pvalues`, not corrected for
        the F filters tested; floored at 1e-300), or 1 when no enrichment test ran (``method="weights"`` or
        ``enrichment_p=None``): never 0, which would read as maximally significant. ``meta`` records
        ``filter``, ``start`` (first kept
        column within the filter), ``method``, ``information``, ``status``, ``strand``
        (``+``: sites on the forward strand only; ``-``: reverse only; ``both``: a strand-aware
        filter with sites on both, or any strand-aware filter read from its weights; the PWM is
        always in the filter's forward orientation), ``sites_minus`` and, with ``merge_q``,
        ``merged`` (names of the duplicates it represents).
    table : pandas.DataFrame
        One row per filter: ``filter, name, status (kept|dead|unenriched|flat|duplicate), nsites, width,
        information, start, strand, sites_minus`` (+ ``nsites_shuffled, enrichment, enrichment_p`` with
        ``activations`` and ``enrichment_p``; + ``duplicate_of, duplicate_q`` with ``merge_q``);
        ``table.attrs["min_sites"]`` is the site threshold applied (activations), and
        ``table.attrs["enrichment_p"]`` the Bonferroni-corrected p-value cut.
    """
    names = model.filter_names()
    if method is None:
        method = "activations" if data is not None else "weights"
    if method not in ("activations", "weights"):
        raise ValueError(f"unknown method {method!r}; expected 'activations' or 'weights'")
    if method == "activations" and data is None:
        raise ValueError("method='activations' needs data (sequences to scan)")
    enriched = None
    if flank < 0:
        raise ValueError(f"flank must be at least 0, got {flank}")
    if method != "activations":
        flank = 0  # weights have no sites to read past the filter
    if method == "activations":
        counts, nsites, maxima, n_seqs, nsites_minus = activation_counts(model, data, threshold=threshold,
                                                                         batch_size=batch_size, return_strands=True,
                                                                         progress=progress, flank=flank)
        extended = counts_to_pwms(counts, background=background)  # (F, W + 2 flank, 4)
        pwms = extended[:, flank:extended.shape[1] - flank]  # the filter's own columns
        min_sites = max(min_sites, int(np.ceil(min_site_fraction * n_seqs)))
        if enrichment_p is not None:
            nsites_null = shuffled_site_counts(model, data, threshold * maxima, seed=shuffle_seed,
                                               batch_size=batch_size, progress=progress)
            fold = (nsites + 1.0) / (nsites_null + 1.0)
            pvalues = enrichment_pvalues(nsites, nsites_null)
            enriched = (fold >= min_enrichment) & (pvalues < enrichment_p / len(nsites))
    else:
        pwms = _weight_pwms(model, beta, background)
        nsites = nsites_minus = np.full(len(pwms), 0, dtype=int)

    motifs, rows = [], []
    for f, pwm in enumerate(pwms):
        start, end = trim(pwm, trim_ic, background) if trim_ic > 0 else (0, len(pwm))
        info = float(information_content(pwm[start:end], background).sum()) if end > start else 0.0
        status = "kept"
        if method == "activations" and nsites[f] < min_sites:
            status = "dead"
        elif enriched is not None and not enriched[f]:
            status = "unenriched"
        elif info < min_ic:
            status = "flat"
        strand = _strand_label(model.motif_strand_aware, nsites[f], nsites_minus[f])
        rows.append({"filter": f, "name": names[f], "status": status, "nsites": int(nsites[f]),
                     "width": end - start, "information": round(info, 3), "start": start,
                     "strand": strand, "sites_minus": int(nsites_minus[f])})
        if enriched is not None:
            rows[-1].update(nsites_shuffled=int(nsites_null[f]), enrichment=round(float(fold[f]), 3),
                            enrichment_p=float(pvalues[f]))
        if status != "kept" and not keep_all:
            continue
        if end <= start:
            start, end = 0, len(pwm)
        exported, left, right = pwm[start:end], 0, 0
        if flank and trim_ic > 0 and status == "kept" and (start == 0 or end == len(pwm)):
            # the motif reaches the filter's edge: read on into the sites' flanks, trimmed alike
            lo, hi = trim(extended[f], trim_ic, background)
            left = flank - lo if start == 0 else 0
            right = hi - flank - len(pwm) if end == len(pwm) else 0
            left, right = max(left, 0), max(right, 0)
            exported = extended[f][flank + start - left:flank + end + right]
        # weights carry no site count; 100 keeps Biopython's count conversion faithful to 2 decimals
        n = int(nsites[f]) if method == "activations" and nsites[f] > 0 else 100
        # MEME's E= field: the enrichment test's p-value over shuffled sequences (uncorrected; 1 when
        # no test ran: read from the weights, or enrichment_p=None), never a misleading 0
        evalue = max(float(pvalues[f]), 1e-300) if enriched is not None else 1.0  # floored: never E= 0
        meta = {"filter": f, "start": start, "method": method, "information": info,
                "status": status, "strand": strand, "sites_minus": int(nsites_minus[f])}
        if flank:
            meta.update(flank_left=left, flank_right=right)
        motifs.append(Motif(names[f], exported, nsites=n, evalue=evalue, meta=meta))
    table = pd.DataFrame(rows)
    if merge_q is not None:
        motifs = _merge_duplicates(motifs, table, merge_q, merge_background, keep_all)
    table.attrs["min_sites"] = min_sites
    if enriched is not None:
        table.attrs["enrichment_p"] = enrichment_p / len(pwms)
    return motifs, table


def _weight_pwms(model, beta: float, background) -> np.ndarray:
    """(F, W, 4) PWMs from the weights: the model's exact PWMs when it has them, else inverted filters."""
    filters = model.motif_filters().cpu()
    exact = model.motif_pwms()
    if exact is None:
        return filters_to_pwms(filters, beta=beta, background=background)
    exact = np.asarray(exact, dtype=np.float64)
    expected = (filters.shape[0], filters.shape[2], 4)
    if exact.shape != expected:
        raise ValueError(f"{type(model).__name__}.motif_pwms() returned shape {exact.shape}; expected {expected} "
                         "(filters, width, ACGT), matching motif_filters()")
    return exact


def _strand_label(strand_aware: bool, nsites: int, nsites_minus: int) -> str:
    """``+``, ``-`` or ``both``: which strands a filter's exported sites came from (see :func:`model_motifs`)."""
    if not strand_aware:
        return "+"
    if nsites > 0 and nsites_minus == 0:
        return "+"
    if nsites > 0 and nsites_minus == nsites:
        return "-"
    return "both"


def find_duplicates(motifs: list[Motif], q_threshold: float = 0.05, background: list[Motif] | None = None) -> pd.DataFrame:
    """Greedy duplicate detection by TOMTOM: each motif joins the best-matching earlier representative.

    Parameters
    ----------
    motifs : list of Motif
        In priority order: a motif can only be the duplicate of one listed before it.
    q_threshold : float
        Two motifs are duplicates when TOMTOM gives q < ``q_threshold`` with each one as query
        against the other (either orientation). Requiring both directions keeps a short motif
        from being merged into a longer, different one it partly resembles.
    background : list of Motif, optional
        Further targets in the TOMTOM database, to calibrate p-values (they are never merged).

    Returns
    -------
    pandas.DataFrame
        One row per duplicate: ``duplicate, representative, q, strand`` (``-``: the duplicate is
        the representative's reverse complement).
    """
    from .compare import tomtom
    columns = ["duplicate", "representative", "q", "strand"]
    if len(motifs) < 2:
        return pd.DataFrame(columns=columns)
    n = len(motifs)
    hits = tomtom(motifs, list(motifs) + list(background or []))
    n_targets = len(hits) // n
    # tomtom rows are query-major over the target list; the first n targets are the motifs themselves
    q = hits["q"].to_numpy().reshape(n, n_targets)[:, :n]
    strand = hits["strand"].to_numpy().reshape(n, n_targets)[:, :n]
    q_pair = np.maximum(q, q.T)
    representatives, rows = [], []
    for i in range(n):
        matches = [(q_pair[i, r], r) for r in representatives if q_pair[i, r] < q_threshold]
        if not matches:
            representatives.append(i)
            continue
        best_q, r = min(matches)
        rows.append({"duplicate": motifs[i].name, "representative": motifs[r].name, "q": float(best_q),
                     "strand": strand[i, r]})
    return pd.DataFrame(rows, columns=columns)


def _merge_duplicates(motifs: list[Motif], table: pd.DataFrame, q_threshold: float, background, keep_all: bool):
    """Mark duplicates among the kept motifs in ``table`` (status, duplicate_of, duplicate_q) and drop them."""
    kept = [m for m in motifs if m.meta["status"] == "kept"]
    kept.sort(key=lambda m: (-int(table.loc[m.meta["filter"], "nsites"]), -m.meta["information"], m.meta["filter"]))
    dups = find_duplicates(kept, q_threshold, background)
    table["duplicate_of"], table["duplicate_q"] = "", np.nan
    by_name = {m.name: m for m in motifs}
    for row in dups.itertuples(index=False):
        dup, rep = by_name[row.duplicate], by_name[row.representative]
        table.loc[dup.meta["filter"], ["status", "duplicate_of", "duplicate_q"]] = ["duplicate", rep.name, row.q]
        dup.meta["status"] = "duplicate"
        rep.meta.setdefault("merged", []).append(dup.name)
    table.attrs["duplicates"] = dups
    return motifs if keep_all else [m for m in motifs if m.meta["status"] != "duplicate"]
