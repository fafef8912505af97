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

from typing import Iterable

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from .motif import UNIFORM, Motif, information_content, trim


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
    """One-hot batches (B, 4, L) from a tensor/array, or a DataLoader yielding x or (x, y, ...)."""
    if isinstance(data, (torch.Tensor, np.ndarray)):
        x = torch.as_tensor(data, dtype=torch.float32)
        for i in range(0, len(x), batch_size):
            yield x[i:i + batch_size]
        return
    for batch in data:
        yield batch[0] if isinstance(batch, (tuple, list)) else batch


@torch.no_grad()
def activation_counts(model, data, threshold: float = 0.5, batch_size: int = 256, device="cpu"):
    """Align and count the windows where each filter fires above ``threshold`` x its maximum.

    Parameters
    ----------
    model : MotifModel
        Any zoo model (uses ``motif_activations``, ``motif_filters``, ``motif_padding``).
    data : tensor (N, 4, L) or iterable of batches
        One-hot sequences; iterated twice (maxima, then counts).
    threshold : float
        Fraction of each filter's dataset-wide maximum activation.

    Returns
    -------
    counts : numpy.ndarray, shape (F, W, 4)
        Base counts of the aligned windows.
    nsites : numpy.ndarray, shape (F,)
        Number of windows counted per filter.
    max_activation : numpy.ndarray, shape (F,)
    n_sequences : int
        Number of sequences scanned.
    """
    model = model.to(device).eval()
    width = model.motif_filters().shape[-1]
    pad = int(getattr(model, "motif_padding", 0))
    maxima, n_seqs = None, 0
    for x in _iter_batches(data, batch_size):
        n_seqs += len(x)
        a = model.motif_activations(x.to(device)).amax(dim=(0, 2))
        maxima = a if maxima is None else torch.maximum(maxima, a)
    if maxima is None:
        raise ValueError("no sequences given to extract motifs from")
    counts = torch.zeros(len(maxima), 4, width, dtype=torch.float64, device=device)
    nsites = torch.zeros(len(maxima), dtype=torch.float64, device=device)
    cut = (threshold * maxima).clamp_min(1e-12)[None, :, None]
    for x in _iter_batches(data, batch_size):
        x = x.to(device)
        act = model.motif_activations(x)
        mask = (act > cut) & (maxima[None, :, None] > 0)
        if not mask.any():
            continue
        xp = F.pad(x, (pad, width))  # zero columns: windows past either end count nothing
        windows = xp.unfold(2, width, 1)[:, :, : act.shape[-1]]  # (B, 4, L', W)
        counts += torch.einsum("bfl,bclw->fcw", mask.double(), windows.double())
        nsites += mask.sum(dim=(0, 2)).double()
    return counts.permute(0, 2, 1).cpu().numpy(), nsites.cpu().numpy().astype(int), maxima.cpu().numpy(), n_seqs


def counts_to_pwms(counts: np.ndarray, pseudocount: float = 1.0, background=UNIFORM) -> np.ndarray:
    """(F, W, 4) counts -> (F, W, 4) probabilities, adding ``pseudocount`` x background per position."""
    c = np.asarray(counts, dtype=np.float64) + pseudocount * np.asarray(background)[None, None, :]
    return c / c.sum(-1, keepdims=True)


def model_motifs(model, data=None, method: str | None = None, threshold: float = 0.5, min_sites: int = 10,
                 min_site_fraction: float = 0.005, min_ic: float = 3.0, trim_ic: float = 0.2, beta: float = 1.0, keep_all: bool = False,
                 batch_size: int = 256, background=UNIFORM) -> tuple[list[Motif], pd.DataFrame]:
    """Every informative first-layer filter of ``model`` as a :class:`Motif`.

    Parameters
    ----------
    model : MotifModel
    data : tensor (N, 4, L) or iterable of batches, optional
        Needed for ``method="activations"``.
    method : {"activations", "weights"}, optional
        Default: ``activations`` when ``data`` is given, else ``weights``.
    threshold : float
        Activation fraction for ``activations``.
    min_sites, min_site_fraction : int, float
        A filter with fewer aligned windows than ``max(min_sites, min_site_fraction * N)`` (N the
        number of sequences scanned) is *dead* and skipped (``activations``): a filter that
        fires strongly in under 0.5% of sequences by default is fitting noise.
    min_ic : float
        A filter whose trimmed PWM carries fewer bits in total is *flat* and skipped.
    trim_ic : float
        Flanking columns with less information (bits) are trimmed; 0 keeps the full width.
    keep_all : bool
        Export dead and flat filters too (untrimmed where nothing passes ``trim_ic``).

    Returns
    -------
    motifs : list of Motif
        Named ``filter{i}``; ``meta`` records ``filter``, ``start`` (first kept
        column within the filter), ``method``, ``information``.
    table : pandas.DataFrame
        One row per filter: ``filter, name, status (kept|dead|flat), nsites, width, information, start``;
        ``table.attrs["min_sites"]`` is the site threshold applied.
    """
    names = model.filter_names()
    if method is None:
        method = "activations" if data is not None else "weights"
    if method == "activations":
        if data is None:
            raise ValueError("method='activations' needs data (sequences to scan)")
        counts, nsites, _, n_seqs = activation_counts(model, data, threshold=threshold, batch_size=batch_size)
        pwms = counts_to_pwms(counts, background=background)
        min_sites = max(min_sites, int(np.ceil(min_site_fraction * n_seqs)))
    elif method == "weights":
        pwms = filters_to_pwms(model.motif_filters().cpu(), beta=beta, background=background)
        nsites = np.full(len(pwms), 0, dtype=int)
    else:
        raise ValueError(f"unknown method {method!r}; expected 'activations' or 'weights'")

    motifs, rows = [], []
    for f, pwm in enumerate(pwms):
        start, end = trim(pwm, trim_ic, background) if trim_ic > 0 else (0, len(pwm))
        info = float(information_content(pwm[start:end], background).sum()) if end > start else 0.0
        status = "kept"
        if method == "activations" and nsites[f] < min_sites:
            status = "dead"
        elif info < min_ic:
            status = "flat"
        rows.append({"filter": f, "name": names[f], "status": status, "nsites": int(nsites[f]),
                     "width": end - start, "information": round(info, 3), "start": start})
        if status != "kept" and not keep_all:
            continue
        if end <= start:
            start, end = 0, len(pwm)
        # weights carry no site count; 100 keeps Biopython's count conversion faithful to 2 decimals
        n = int(nsites[f]) if method == "activations" and nsites[f] > 0 else 100
        motifs.append(Motif(names[f], pwm[start:end], nsites=n,
                            meta={"filter": f, "start": start, "method": method, "information": info,
                                  "status": status}))
    table = pd.DataFrame(rows)
    table.attrs["min_sites"] = min_sites
    return motifs, table
