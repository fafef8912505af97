"""Unit-level readouts of models whose output is a linear function of per-filter units (ExplaiNN).

In ExplaiNN each first-layer filter drives one *unit*: the filter's max-pooled
activations go through the unit's own small MLP to one scalar, and a final
linear layer sums the units into each target. Three readouts follow from the
weights:

* :func:`unit_target_weights` — the final layer, (units x targets): which motif
  drives which target, and in which direction (any model whose
  ``motif_target_weights()`` is not ``None``);
* :func:`unit_contributions` — weight x mean unit output over a dataset, per
  target, ranked by magnitude (needs ``unit_outputs``);
* :func:`response_curves` / :func:`positional_effects` — each unit's MLP as a
  function of its filter's pooled activation at each position bin (needs
  ``unit_response``, ``pooled_activations`` and ``pooled_bins``).

Units are named like filters (``filter_names()``), so these tables join the
MEME files written by ``motifzoo motifs``.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from .pwm import _iter_batches


class NoUnitsError(ValueError):
    """The model has no units: its outputs are not a linear function of per-filter units."""


@contextmanager
def _eval_mode(model):
    """Run readouts with batch-norm running statistics and no dropout, then restore the mode."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def _target_names(model, n_targets: int, target_names=None) -> list[str]:
    names = list(target_names) if target_names is not None else list(model.target_names)
    names = names or [f"target{t}" for t in range(n_targets)]
    if len(names) != n_targets:
        raise ValueError(f"target_names has {len(names)} names for {n_targets} targets")
    return names


def _require(model, *methods: str) -> None:
    """Raise :class:`NoUnitsError` unless the model is built of units (``model.has_units``)."""
    if not model.has_units:
        raise NoUnitsError(f"model {model.model_name!r} has no unit readout ({', '.join(methods)}); "
                           "unit readouts need a model built of units, such as 'explainn'")


def unit_target_weights(model, target_names=None) -> pd.DataFrame:
    """Final-layer weight of each unit on each target.

    Parameters
    ----------
    model : MotifModel
        A model whose ``motif_target_weights()`` returns an (F, T) tensor.
    target_names : list of str, optional
        Default: ``model.target_names`` (set by :func:`motifzoo.load`), else ``target0, ...``.

    Returns
    -------
    pandas.DataFrame, shape (F, T)
        Index ``unit`` (the filter names), one column per target.
    """
    weights = model.motif_target_weights()
    if weights is None:
        raise NoUnitsError(f"model {model.model_name!r} has no units: its outputs are not a linear function of per-filter "
                           "units (motif_target_weights() is None); unit readouts need a model such as 'explainn'")
    weights = weights.detach().cpu().double().numpy()
    frame = pd.DataFrame(weights, index=pd.Index(model.filter_names(), name="unit"),
                         columns=_target_names(model, weights.shape[1], target_names))
    return frame


@torch.no_grad()
def unit_outputs(model, data, batch_size: int = 256) -> np.ndarray:
    """Unit outputs for every sequence, in eval mode.

    Parameters
    ----------
    model : a model with ``unit_outputs(x)`` (B, 4, L) -> (B, F)
    data : tensor or array (N, 4, L), or an iterable of batches

    Returns
    -------
    numpy.ndarray, shape (N, F)
    """
    _require(model, "unit_outputs")
    param = next(model.parameters())
    with _eval_mode(model):
        chunks = [model.unit_outputs(x.to(param.device, param.dtype)).double().cpu()
                  for x in _iter_batches(data, batch_size)]
    if not chunks:
        raise ValueError("no sequences given to compute unit outputs on")
    return torch.cat(chunks).numpy()


def rank_contributions(weights: pd.DataFrame, mean_output: np.ndarray) -> pd.DataFrame:
    """Per-target ranking of units by contribution = weight x mean unit output.

    Units are ranked by the contribution's magnitude: a unit's MLP can invert its
    motif (high output when the motif is absent), which the final layer then reads
    with a negative weight, so a large negative contribution marks a driver too.

    Parameters
    ----------
    weights : pandas.DataFrame, shape (F, T)
        From :func:`unit_target_weights`.
    mean_output : array, shape (F,)
        Mean output of each unit over a dataset.

    Returns
    -------
    pandas.DataFrame
        One row per (target, unit): ``target, rank, unit, weight, mean_output, contribution``
        (signed); rank 1 is the contribution of largest magnitude. Targets keep their column order.
    """
    mean_output = np.asarray(mean_output, dtype=np.float64)
    if mean_output.shape != (len(weights),):
        raise ValueError(f"mean_output has shape {mean_output.shape}; expected ({len(weights)},), one per unit")
    contribution = weights.to_numpy() * mean_output[:, None]  # (F, T)
    order = np.argsort(-np.abs(contribution), axis=0, kind="stable")  # (F, T) unit indices, largest first
    n_units, n_targets = contribution.shape
    cols = np.repeat(np.arange(n_targets), n_units)
    rows = order.T.ravel()
    return pd.DataFrame({
        "target": np.asarray(weights.columns)[cols],
        "rank": np.tile(np.arange(1, n_units + 1), n_targets),
        "unit": np.asarray(weights.index)[rows],
        "weight": weights.to_numpy()[rows, cols],
        "mean_output": mean_output[rows],
        "contribution": contribution[rows, cols],
    })


def unit_contributions(model, data, target_names=None, batch_size: int = 256) -> pd.DataFrame:
    """Per-target unit contributions over ``data`` (weight x mean unit output), ranked.

    Parameters
    ----------
    model : a model with ``motif_target_weights`` and ``unit_outputs``
    data : tensor or array (N, 4, L), or an iterable of batches

    Returns
    -------
    pandas.DataFrame
        As :func:`rank_contributions`: ``target, rank, unit, weight, mean_output, contribution``.
    """
    weights = unit_target_weights(model, target_names)
    return rank_contributions(weights, unit_outputs(model, data, batch_size).mean(axis=0))


def top_units(weights: pd.DataFrame) -> pd.DataFrame:
    """The unit with the largest final-layer weight magnitude on each target.

    Magnitude, not signed value: a unit whose MLP inverts its motif drives the target
    through a negative weight (see :func:`rank_contributions`).

    Returns
    -------
    pandas.DataFrame
        One row per target: ``target, unit, weight`` (signed).
    """
    values = weights.to_numpy()
    best = np.abs(values).argmax(axis=0)
    return pd.DataFrame({"target": list(weights.columns), "unit": np.asarray(weights.index)[best],
                         "weight": values[best, np.arange(weights.shape[1])]})


def weights_heatmap(weights: pd.DataFrame, path, title: str | None = None) -> Path:
    """Units x targets heatmap of the final-layer weights, on a diverging scale centered at 0.

    Parameters
    ----------
    weights : pandas.DataFrame, shape (F, T)
    path : str or Path
        Output file; the format follows the suffix (``.png``, ``.svg``, ``.pdf``).

    Returns
    -------
    Path
    """
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    values = weights.to_numpy()
    n_units, n_targets = values.shape
    limit = float(np.abs(values).max()) or 1.0
    fig, ax = plt.subplots(figsize=(1.6 + 0.45 * n_targets, 1.2 + 0.16 * n_units))
    image = ax.imshow(values, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto", interpolation="nearest")
    ax.set_xticks(range(n_targets), [str(c) for c in weights.columns], rotation=60, ha="right", fontsize=7)
    step = max(1, n_units // 60)  # keep unit labels legible for many units
    ax.set_yticks(range(0, n_units, step), [str(u) for u in weights.index[::step]], fontsize=6)
    ax.set_xlabel("target")
    ax.set_ylabel("unit")
    ax.set_title(title or "unit -> target weights", fontsize=9)
    fig.colorbar(image, ax=ax, fraction=0.05, pad=0.02, label="weight")
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)
    return path


# --------------------------------------------------------------------------------------------
# response curves
# --------------------------------------------------------------------------------------------
@torch.no_grad()
def pooled_statistics(model, data, batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Mean and maximum pooled activation of every unit at every bin over ``data``.

    Returns
    -------
    mean : numpy.ndarray, shape (F, P)
    maximum : numpy.ndarray, shape (F,)
        Largest pooled activation of each unit, over all bins and sequences.
    """
    _require(model, "pooled_activations")
    param = next(model.parameters())
    total, count, maximum = None, 0, None
    with _eval_mode(model):
        for x in _iter_batches(data, batch_size):
            pooled = model.pooled_activations(x.to(param.device, param.dtype)).double()  # (B, F, P)
            total = pooled.sum(0) if total is None else total + pooled.sum(0)
            top = pooled.amax(dim=(0, 2))
            maximum = top if maximum is None else torch.maximum(maximum, top)
            count += len(pooled)
    if total is None:
        raise ValueError("no sequences given to compute pooled activations on")
    return (total / count).cpu().numpy(), maximum.cpu().numpy()


@torch.no_grad()
def background_statistics(model, input_length: int) -> tuple[np.ndarray, np.ndarray]:
    """Data-free stand-ins for :func:`pooled_statistics`.

    The baseline is the pooled activation of a uniform (0.25 per base) input, the
    expected scan of random sequence; the maximum is each unit's pooled activation
    of its filter's consensus (best-scoring) sequence.

    Returns
    -------
    baseline : numpy.ndarray, shape (F, P)
    maximum : numpy.ndarray, shape (F,)
    """
    _require(model, "pooled_activations")
    param = next(model.parameters())
    filters = model.motif_filters()  # (F, 4, W)
    n_filters, _, width = filters.shape
    with _eval_mode(model):
        uniform = torch.full((1, 4, input_length), 0.25, dtype=param.dtype, device=param.device)
        baseline = model.pooled_activations(uniform)[0].double()
        consensus = torch.zeros(n_filters, 4, input_length, dtype=param.dtype, device=param.device)
        best = filters.argmax(dim=1)  # (F, W)
        consensus[:, :, :width].scatter_(1, best[:, None, :], 1.0)
        pooled = model.pooled_activations(consensus)  # (F, F, P): sequence f, unit g
        maximum = pooled[torch.arange(n_filters), torch.arange(n_filters)].amax(dim=-1).double()
    return baseline.cpu().numpy(), maximum.cpu().numpy()


def value_grid(maximum: np.ndarray, n_values: int) -> np.ndarray:
    """(F, V) evenly spaced pooled-activation values from 0 to each unit's maximum."""
    if n_values < 2:
        raise ValueError(f"n_values must be at least 2, got {n_values}")
    return np.asarray(maximum, dtype=np.float64)[:, None] * np.linspace(0.0, 1.0, n_values)[None, :]


@torch.no_grad()
def unit_response_grid(model, baseline: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each unit's output when the pooled activation at one bin is set to each value, others at baseline.

    Units are independent (unit ``u`` reads only its own pooled activations), so all
    units are probed in one batch: row ``(p, k)`` sets bin ``p`` of every unit ``u``
    to ``values[u, k]``.

    Parameters
    ----------
    model : a model with ``unit_response(pooled)`` (B, F, P) -> (B, F)
    baseline : array, shape (F, P)
    values : array, shape (F, V)

    Returns
    -------
    response : numpy.ndarray, shape (F, P, V)
    baseline_output : numpy.ndarray, shape (F,)
        Each unit's output at the baseline.
    """
    _require(model, "unit_response")
    param = next(model.parameters())
    base = torch.as_tensor(baseline, dtype=param.dtype, device=param.device)
    vals = torch.as_tensor(values, dtype=param.dtype, device=param.device)
    n_units, n_bins = base.shape
    n_values = vals.shape[1]
    probe = base.expand(n_bins, n_values, n_units, n_bins).clone()  # (P, V, F, P)
    bins = torch.arange(n_bins, device=param.device)
    probe[bins, :, :, bins] = vals.T[None].expand(n_bins, n_values, n_units)
    with _eval_mode(model):
        out = model.unit_response(probe.reshape(n_bins * n_values, n_units, n_bins))  # (P*V, F)
        base_out = model.unit_response(base[None])[0]
    response = out.reshape(n_bins, n_values, n_units).permute(2, 0, 1)
    return response.double().cpu().numpy(), base_out.double().cpu().numpy()


def response_curves(model, data=None, n_values: int = 9, batch_size: int = 256) -> pd.DataFrame:
    """Every unit's output as a function of its filter's pooled activation at each position bin.

    The baseline of the other bins is the unit's mean pooled activation over ``data``
    (without data: its activation on a uniform 0.25 input), and the probed values run
    from 0 to the largest pooled activation seen in ``data`` (without data: the
    activation of the filter's consensus sequence). A unit that prefers a position
    answers more strongly when its motif is placed in that bin.

    Returns
    -------
    pandas.DataFrame
        One row per (unit, bin, value): ``unit, bin, start, end, value, output, baseline_output``,
        with ``start``/``end`` the sequence span (bp, end exclusive) whose windows the bin pools.
    """
    _require(model, "unit_response", "pooled_activations", "pooled_bins")
    if data is None:
        baseline, maximum = background_statistics(model, int(model.input_length))
    else:
        baseline, maximum = pooled_statistics(model, data, batch_size)
    values = value_grid(maximum, n_values)
    response, base_out = unit_response_grid(model, baseline, values)  # (F, P, V)
    n_units, n_bins, _ = response.shape
    spans = model.pooled_bins().cpu().numpy()  # (P, 2)
    units = np.asarray(model.filter_names())
    unit_i, bin_i, value_i = np.meshgrid(np.arange(n_units), np.arange(n_bins), np.arange(n_values), indexing="ij")
    unit_i, bin_i, value_i = unit_i.ravel(), bin_i.ravel(), value_i.ravel()
    return pd.DataFrame({"unit": units[unit_i], "bin": bin_i, "start": spans[bin_i, 0], "end": spans[bin_i, 1],
                         "value": values[unit_i, value_i], "output": response.ravel(),
                         "baseline_output": base_out[unit_i]})


def positional_effects(curves: pd.DataFrame) -> pd.DataFrame:
    """Units x bins: output at the largest probed value minus the baseline output.

    Parameters
    ----------
    curves : pandas.DataFrame
        From :func:`response_curves`.

    Returns
    -------
    pandas.DataFrame, shape (F, P)
        Index ``unit`` (in the curves' order), one column per bin named ``start-end``.
    """
    top = curves.loc[curves.groupby(["unit", "bin"], sort=False)["value"].idxmax()]
    effect = top.assign(effect=top["output"] - top["baseline_output"])
    table = effect.pivot(index="unit", columns="bin", values="effect")
    table = table.loc[pd.unique(curves["unit"])]
    spans = effect.drop_duplicates("bin").set_index("bin")
    table.columns = [f"{spans.loc[b, 'start']}-{spans.loc[b, 'end']}" for b in table.columns]
    return table
