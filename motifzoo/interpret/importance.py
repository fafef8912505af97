"""Motif x target importance for every model: weights where readable, site occlusion otherwise.

Models whose architecture makes each filter's effect on each target readable (ExplaiNN's final
layer: :meth:`~motifzoo.models.MotifModel.motif_target_weights`) report those weights. For every
other model, :func:`occlusion_importance` measures it from the data through the
:class:`~motifzoo.models.MotifModel` interface alone (``stranded_activations`` and ``forward``):
a filter's *sites* — the windows where it fires above ``threshold`` x its maximum over the data,
the same windows :func:`~motifzoo.interpret.model_motifs` aligns into its PWM — are replaced by
``N`` (all-zero one-hot columns), and the importance of the filter for a target is the model's
mean prediction on the sequences minus its mean prediction with those sites removed (probability
for binary targets, the output itself for regression). Positive: the motif raises the target.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from .progress import progress_bar


def _predict(model, x: torch.Tensor) -> torch.Tensor:
    out = model(x).float()
    return torch.sigmoid(out) if model.task == "binary" else out


@torch.no_grad()
def occlusion_importance(model, data, filters: list[int] | None = None, threshold: float = 0.5,
                         batch_size: int = 256, progress: bool = False) -> pd.DataFrame:
    """Change of each target's mean prediction when one filter's sites are replaced by N.

    Parameters
    ----------
    model : MotifModel
    data : tensor (N, 4, L)
        One-hot sequences of the model's input length.
    filters : list of int, optional
        First-layer filters to measure (default: every filter).
    threshold : float
        A window is a site of filter f where its activation (the stronger strand) exceeds
        ``threshold`` x the filter's maximum over ``data``.

    Returns
    -------
    pandas.DataFrame
        (filters x targets), indexed by filter name: mean prediction minus mean prediction with
        the filter's sites occluded. ``attrs["measure"]`` names the unit.
    """
    model = model.eval()
    param = next(iter(model.parameters()), torch.empty(0))
    x_all = torch.as_tensor(data, dtype=torch.float32)
    names = model.filter_names()
    filters = list(range(len(names))) if filters is None else [int(f) for f in filters]
    width = int(model.motif_filters().shape[-1])
    batches = [x_all[i:i + batch_size] for i in range(0, len(x_all), batch_size)]
    maxima = None
    for x in batches:
        a = model.stranded_activations(x.to(param.device, param.dtype)).amax(dim=(0, 1, 3))
        maxima = a if maxima is None else torch.maximum(maxima, a)
    if maxima is None:
        raise ValueError("no sequences given to measure occlusion on")
    cut = (threshold * maxima).clamp_min(1e-12)
    base = None
    delta = None
    kernel = torch.ones(1, 1, width, device=param.device)
    for x in progress_bar(batches, enabled=progress, desc="motif occlusion", unit="batch"):
        x = x.to(param.device, param.dtype)
        pred = _predict(model, x)
        acts = model.stranded_activations(x).amax(dim=1)  # (B, F, L')
        base = pred.sum(0) if base is None else base + pred.sum(0)
        if delta is None:
            delta = torch.zeros(len(filters), pred.shape[1], device=pred.device)
        for k, f in enumerate(filters):
            sites = (acts[:, f] > cut[f]) & (maxima[f] > 0)  # (B, L')
            if not sites.any():
                continue
            # a site at window i covers bases i .. i + W - 1
            covered = F.conv1d(F.pad(sites[:, None].float(), (width - 1, width - 1)), kernel)[:, 0, : x.shape[-1]] > 0
            occluded = x * (~covered)[:, None, :].to(x.dtype)
            delta[k] += (pred - _predict(model, occluded)).sum(0)
    n = len(x_all)
    values = (delta / n).cpu().numpy() if delta is not None else np.zeros((len(filters), 0))
    targets = list(model.target_names) or [f"target{t}" for t in range(values.shape[1])]
    table = pd.DataFrame(values, index=pd.Index([names[f] for f in filters], name="filter"), columns=targets)
    table.attrs["measure"] = ("change of the mean predicted probability" if model.task == "binary"
                              else "change of the mean prediction")
    return table


@torch.no_grad()
def sequence_site_fraction(model, data, threshold: float = 0.5, batch_size: int = 256) -> np.ndarray:
    """(F,) fraction of the sequences in ``data`` holding at least one site of each filter: a window
    where the filter fires above ``threshold`` x its maximum over ``data`` (either strand), the
    cut :func:`~motifzoo.interpret.model_motifs` aligns sites at."""
    param = next(iter(model.parameters()), torch.empty(0))
    x_all = torch.as_tensor(data, dtype=torch.float32)
    batches = [x_all[i:i + batch_size] for i in range(0, len(x_all), batch_size)]
    peaks = torch.cat([model.stranded_activations(x.to(param.device, param.dtype)).amax(dim=(1, 3)).cpu()
                       for x in batches])  # (N, F): each sequence's strongest window per filter
    maxima = peaks.amax(dim=0)
    has_site = (peaks > (threshold * maxima).clamp_min(1e-12)) & (maxima > 0)
    return has_site.double().mean(dim=0).numpy()
