"""Variant effects explained by named motifs, read from the model's first layer.

For each variant (a reference and an alternative window of the model's input length) and each target,
:func:`variant_effects` returns the model's scores and, from the first-layer motif activations, which
motif instance the variant changes and how much of the effect that one motif explains:

``variant``, ``target``
    Variant name and target name (one row per variant x target, variant-major).
``ref_score``, ``alt_score``, ``delta``
    Model outputs (logits of binary targets, values of regression targets) and ``alt - ref``.
``delta_prob``
    ``sigmoid(alt) - sigmoid(ref)`` (binary models only).
``motif``
    The motif whose activations, swapped alone from ref to alt with every other activation kept at ref,
    move this target the most; where no motif moves it, the filter whose instance changed most. A motif is
    a filter, or with ``motifs`` the exported filters that share one alt name (swapped together); only
    exported filters count when ``motifs`` is given. The label is the motif's filter with the most-changed
    instance (unit models: its unit with the largest contribution, see ``unit``), ``filter{i}``, followed by
    its MEME alt name (``filter3 FOXA1_MA0148.5`` after ``motifzoo annotate --meme``) when there is one.
    With ``database``, the motifs are named here instead (:func:`name_motifs`): the best TOMTOM match
    followed by every match it cannot tell apart from it (p within a factor of
    :data:`~motifzoo.interpret.annotate.TIE_P_RATIO`), joined by ``/``:
    ``filter6 CEBPE_MA0837.3/CEBPB_MA0466.4`` says "CEBPE or CEBPB", where the best match alone would
    pick one of two paralogs by p-values 1-2.5 fold apart (``benchmarks/variants.md``). Filters are grouped
    by the first (best) name.
``motif_delta``
    Activation change (alt - ref) of that filter's instance that changed most (the position and strand
    with the largest ``|alt - ref|``).
``explained``
    That single-motif swap's change of the target over ``delta`` (NaN when ``delta`` is ~0). 1: the motif
    alone accounts for the effect; near 0: it does not; above 1 or below 0 when other motifs push the
    other way (e.g. a variant that breaks one site and creates another).
``created_or_broken``
    The instance's change: ``broken`` (alt activation at most half of ref), ``created`` (ref at most half of
    alt), ``weakened``, ``strengthened`` or ``unchanged``. This says what happened to the instance, not
    whether it matters: read it with ``delta`` and ``explained``.
``instance_start``, ``instance_strand``, ``ref_activation``, ``alt_activation``, ``ref_instance``, ``alt_instance``
    Where that instance is (0-based start in the window, ``+``/``-``), its activations, and the bases the
    filter reads there in the filter's orientation (reverse complemented on ``-``).
``unit``, ``unit_contribution``
    Unit models (ExplaiNN, :meth:`~motifzoo.models.MotifModel.unit_outputs`): the unit of ``motif`` and its
    exact linear contribution ``w[unit, target] * (u_alt - u_ref)``; the contributions of all units sum to
    ``delta``. A motif of several units (grouped by name) is swapped as their sum, so ``explained`` is that
    sum over ``delta``; the unit reported is the motif's unit with the largest ``|unit_contribution|`` for
    this target (the label, ``motif_delta`` and instance columns are that unit's). For a motif of one unit,
    ``explained = unit_contribution / delta`` exactly.

How the single-motif swap is computed: through the interface's
:meth:`~motifzoo.models.MotifModel.forward_from_activations` (the model's outputs from first-layer
activations), with the swapped motif's activations taken from alt and every other filter's from ref. For a
model whose architecture has no such forward (it returns ``None``), ``motif`` is the filter with the largest
activation change and ``explained`` is NaN.

Variants are processed in batches (:func:`stream_variant_effects`), so a file of 100,000 variants is never
held in memory as windows; :func:`write_variant_effects` streams a file (window table or VCF + genome,
:mod:`motifzoo.data.vcf`) to a TSV.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import pandas as pd
import torch

from ..data.encoding import codes_to_one_hot, encode, fit_length
from ..data.vcf import VariantBatch, read_variants
from .progress import progress_bar
from .pwm import _model_device

#: floats of the activation tensors built per chunk of single-motif swaps (bounds memory)
SWAP_CHUNK_FLOATS = 2 ** 24
#: ``created``/``broken`` when one side's activation is at most this fraction of the other's
SITE_RATIO = 0.5
_BASES = np.array(list("ACGTN"))


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------
#: separates the names of indistinguishable database matches in a motif label (``CEBPE_MA0837.3/CEBPB_MA0466.4``)
NAME_SEPARATOR = "/"


def name_motifs(motifs, database="jaspar", p_ratio: float | None = None) -> list:
    """Copies of ``motifs`` named for the variant table: the best match and the matches indistinguishable from it.

    The alt name becomes ``BEST/NEXT/...`` (:data:`NAME_SEPARATOR`), from
    :func:`~motifzoo.interpret.annotate.indistinguishable_matches` (significant TOMTOM matches, q < 0.05,
    whose p-value is within ``p_ratio``, default :data:`~motifzoo.interpret.annotate.TIE_P_RATIO`, of the
    best). A motif without a significant match keeps its alt name.
    """
    from ..motifs import Motif
    from .annotate import TIE_P_RATIO, indistinguishable_matches
    motifs = list(motifs)
    names = indistinguishable_matches(motifs, database, p_ratio=TIE_P_RATIO if p_ratio is None else p_ratio)
    out = []
    for m in motifs:
        copy = Motif(m.name, m.pwm.copy(), m.nsites, m.altname, m.evalue, dict(m.meta))
        if names[m.name]:
            copy.altname = NAME_SEPARATOR.join(names[m.name])
        out.append(copy)
    return out


def motif_labels(model, motifs=None, group_by_name: bool = True,
                 database=None) -> tuple[list[str], np.ndarray, np.ndarray]:
    """A label per filter, a mask of the filters that count as motifs, and the motifs as groups of filters.

    ``motifs`` (a list of :class:`Motif` or a MEME path, e.g. from ``motifzoo motifs`` / ``motifzoo annotate
    --meme``) restricts the candidates to the exported filters and adds their alt names to the labels; with
    ``database`` they are first named by :func:`name_motifs`. With ``group_by_name``, exported filters that
    share an alt name (redundant filters named after one database motif; the first name of a ``/`` list)
    form one motif, whose activations are swapped together; every other filter is a motif of its own.

    Returns
    -------
    labels : list of str, length F
    allowed : numpy.ndarray of bool, shape (F,)
    members : numpy.ndarray of bool, shape (G, F)
        Filter f belongs to motif g; every allowed filter belongs to exactly one motif.
    """
    names = model.filter_names()
    labels, allowed = list(names), np.ones(len(names), dtype=bool)
    keys = list(names)
    if motifs is not None:
        if isinstance(motifs, (str, os.PathLike)):
            from ..motifs import read_meme
            motifs = read_meme(motifs)
        if database is not None:
            motifs = name_motifs(motifs, database)
        index = {n: i for i, n in enumerate(names)}
        allowed[:] = False
        for m in motifs:
            if m.name not in index:
                raise ValueError(f"motif {m.name!r} is not a filter of this {model.model_name} model (its filters "
                                 f"are named {names[0]} .. {names[-1]}); pass the motifs exported from this checkpoint")
            f = index[m.name]
            allowed[f] = True
            if m.altname:
                labels[f] = f"{m.name} {m.altname}"
                if group_by_name:
                    keys[f] = f"\0{m.altname.split(NAME_SEPARATOR)[0]}"  # cannot collide with a filter name
        if not allowed.any():
            raise ValueError("no motifs given: the MEME file has no motifs")
    elif database is not None:
        raise ValueError("database names the exported motifs: pass motifs too (e.g. from `motifzoo motifs`)")
    groups = list(dict.fromkeys(k for k, ok in zip(keys, allowed) if ok))
    members = np.array([[ok and k == g for k, ok in zip(keys, allowed)] for g in groups], dtype=bool)
    return labels, allowed, members


def _as_codes(seqs, length: int, what: str) -> np.ndarray:
    """Windows as (N, L) codes: strings (padded/cropped to ``length``), codes or one-hot (N, 4, L)."""
    if isinstance(seqs, str):
        seqs = [seqs]
    if isinstance(seqs, (list, tuple)) and (not seqs or isinstance(seqs[0], str)):
        return encode(fit_length(list(seqs), length))
    x = torch.as_tensor(seqs)
    if x.dim() == 3:
        from ..data.encoding import one_hot_to_codes
        x = one_hot_to_codes(x)
    if x.dim() != 2:
        raise ValueError(f"{what} must be sequences, (N, L) codes or (N, 4, L) one-hot; got shape {tuple(x.shape)}")
    if x.shape[1] != length:
        raise ValueError(f"{what} windows are {x.shape[1]} bp but the model takes {length} bp")
    return x.cpu().numpy().astype(np.uint8)


def _instance_bases(codes: np.ndarray, start: np.ndarray, width: int, minus: np.ndarray) -> list[str]:
    """The ``width`` bases at ``start`` of each row, reverse complemented where ``minus``."""
    idx = start[:, None] + np.arange(width)[None, :]
    window = np.take_along_axis(codes, idx, axis=1)
    comp = np.array([3, 2, 1, 0, 4], dtype=np.uint8)
    window = np.where(minus[:, None], comp[window[:, ::-1]], window)
    return ["".join(row) for row in _BASES[window]]


def _change_label(ref: np.ndarray, alt: np.ndarray) -> np.ndarray:
    out = np.where(alt > ref, "strengthened", np.where(alt < ref, "weakened", "unchanged")).astype(object)
    out[(alt < ref) & (alt <= SITE_RATIO * ref)] = "broken"
    out[(alt > ref) & (ref <= SITE_RATIO * alt)] = "created"
    return out


# --------------------------------------------------------------------------------------------
@torch.no_grad()
def _batch_effects(model, batch: VariantBatch, labels: list[str], allowed: torch.Tensor, members: torch.Tensor,
                   device) -> pd.DataFrame:
    x_ref = codes_to_one_hot(torch.from_numpy(batch.ref)).to(device)
    x_alt = codes_to_one_hot(torch.from_numpy(batch.alt)).to(device)
    n = len(batch)
    y_ref, y_alt = model(x_ref).float(), model(x_alt).float()  # (B, T)
    delta = y_alt - y_ref
    a_ref = model.stranded_activations(x_ref)  # (B, S, F, L')
    a_alt = model.stranded_activations(x_alt)
    _, n_strands, n_filters, length = a_ref.shape
    n_groups = members.shape[0]
    diff = (a_alt - a_ref).float()
    # each filter's most-changed instance: (B, F) index into S * L'
    flat = diff.permute(0, 2, 1, 3).reshape(n, n_filters, n_strands * length)
    where = flat.abs().argmax(dim=-1)
    motif_delta = flat.gather(-1, where[..., None])[..., 0]  # (B, F)
    # each motif's most-changed filter: (B, G)
    in_group = motif_delta.abs()[:, None, :].masked_fill(~members[None], -1.0)
    representative = in_group.argmax(dim=-1)

    unit_out = model.unit_outputs(x_ref)
    effect = None  # (B, G, T): change of each target when only motif g's activations are swapped
    unit_contribution = None
    if unit_out is not None:
        weights = model.motif_target_weights()  # (F, T)
        unit_contribution = (model.unit_outputs(x_alt) - unit_out).float()[:, :, None] * weights.float()[None]
        effect = torch.einsum("bft,gf->bgt", unit_contribution, members.float())
    elif (base := model.forward_from_activations(a_ref)) is not None:  # None: the architecture has no forward from activations
        base = base.float()
        per_chunk = max(1, SWAP_CHUNK_FLOATS // max(1, n * a_ref[0].numel()))
        parts = []
        for lo in range(0, n_groups, per_chunk):
            gs = list(range(lo, min(lo + per_chunk, n_groups)))
            swapped = a_ref.unsqueeze(1).repeat(1, len(gs), 1, 1, 1)  # (B, k, S, F, L')
            for j, g in enumerate(gs):
                fs = members[g].nonzero()[:, 0]
                swapped[:, j][:, :, fs] = a_alt[:, :, fs]
            out = model.forward_from_activations(swapped.reshape(n * len(gs), n_strands, n_filters, length)).float()
            parts.append(out.view(n, len(gs), -1) - base[:, None])
        effect = torch.cat(parts, dim=1)

    n_targets = delta.shape[1]
    # without a swap effect (or where no motif moves the target): the filter whose instance changed most
    most_changed = motif_delta.abs().masked_fill(~allowed[None], -1.0).argmax(dim=1)[:, None].expand(n, n_targets)
    if effect is not None:
        best_score, group = effect.abs().max(dim=1)  # (B, T)
        chosen = representative.gather(1, group)  # the motif's filter whose instance changed most
        if unit_contribution is not None:
            # unit models: the motif's unit whose own contribution to this target is largest, so that ``unit``,
            # ``unit_contribution`` and the instance columns describe the unit that carries the effect
            in_motif = members[group]  # (B, T, F): the units of each target's top motif
            top, unit = unit_contribution.abs().transpose(1, 2).masked_fill(~in_motif, -1.0).max(dim=2)  # (B, T)
            chosen = torch.where(top > 0, unit, chosen)
        best = torch.where(best_score > 0, chosen, most_changed)
        best_effect = effect.gather(1, group[:, None])[:, 0]
        tiny = delta.abs() <= 1e-6 * (1.0 + y_ref.abs())
        explained = torch.where(tiny | (best_score <= 0), torch.full_like(delta, float("nan")), best_effect / delta)
    else:
        best = most_changed
        explained = torch.full_like(delta, float("nan"))

    best_np = best.cpu().numpy()  # (B, T)
    rows = np.arange(n)[:, None]
    where_np = where.cpu().numpy()[rows, best_np]  # (B, T)
    strand, start = np.divmod(where_np, length)
    a_ref_np = a_ref.float().permute(0, 2, 1, 3).reshape(n, n_filters, -1).gather(-1, where[..., None])[..., 0]
    a_alt_np = a_alt.float().permute(0, 2, 1, 3).reshape(n, n_filters, -1).gather(-1, where[..., None])[..., 0]
    ref_act = a_ref_np.cpu().numpy()[rows, best_np]
    alt_act = a_alt_np.cpu().numpy()[rows, best_np]
    width = x_ref.shape[-1] - length + 1
    flat_rows = np.repeat(np.arange(n), n_targets)
    minus = strand.reshape(-1) == 1
    starts = start.reshape(-1)

    frame = {"variant": np.repeat(np.asarray(batch.names, dtype=object), n_targets)}
    for key, values in batch.info.items():
        frame[key] = np.repeat(np.asarray(values, dtype=object), n_targets)
    ref_np, alt_np = y_ref.cpu().numpy(), y_alt.cpu().numpy()
    frame.update({
        "target": np.tile(np.asarray(model.target_names, dtype=object), n),
        "ref_score": ref_np.reshape(-1), "alt_score": alt_np.reshape(-1), "delta": (alt_np - ref_np).reshape(-1)})
    if model.task == "binary":
        sig = lambda v: 1.0 / (1.0 + np.exp(-v.astype(np.float64)))  # noqa: E731
        frame["delta_prob"] = (sig(alt_np) - sig(ref_np)).reshape(-1)
    frame.update({
        "motif": np.asarray(labels, dtype=object)[best_np.reshape(-1)],
        "motif_delta": motif_delta.cpu().numpy()[rows, best_np].reshape(-1),
        "explained": explained.cpu().numpy().reshape(-1),
        "created_or_broken": _change_label(ref_act.reshape(-1), alt_act.reshape(-1))})
    if unit_contribution is not None:
        frame["unit"] = np.asarray(model.filter_names(), dtype=object)[best_np.reshape(-1)]
        targets = np.arange(n_targets)[None]
        frame["unit_contribution"] = unit_contribution.cpu().numpy()[rows, best_np, targets].reshape(-1)
    frame.update({
        "instance_start": starts, "instance_strand": np.where(minus, "-", "+"),
        "ref_activation": ref_act.reshape(-1), "alt_activation": alt_act.reshape(-1),
        "ref_instance": _instance_bases(batch.ref[flat_rows], starts, width, minus),
        "alt_instance": _instance_bases(batch.alt[flat_rows], starts, width, minus)})
    return pd.DataFrame(frame)


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------
def stream_variant_effects(model, batches: Iterable[VariantBatch], *, motifs=None, group_by_name: bool = True,
                           database=None, device=None,
                           total: int | None = None, progress: bool = False) -> Iterator[pd.DataFrame]:
    """:func:`variant_effects` one batch at a time: yields one DataFrame per :class:`VariantBatch`.

    Parameters
    ----------
    model : MotifModel
    batches : iterable of VariantBatch
        E.g. from :func:`motifzoo.data.vcf.read_variants`.
    motifs, group_by_name, database, device
        As in :func:`variant_effects`.
    total : int, optional
        Number of variants, for the progress bar.
    progress : bool
        Show a progress bar on stderr (only drawn when stderr is a terminal).
    """
    device = _model_device(model) if device is None else torch.device(device)
    model = model.to(device).eval()
    labels, allowed, members = motif_labels(model, motifs, group_by_name, database)
    allowed_t = torch.as_tensor(allowed, device=device)
    members_t = torch.as_tensor(members, device=device)
    with progress_bar(enabled=progress, total=total, desc="variants", unit="variant") as bar:
        for batch in batches:
            if len(batch):
                yield _batch_effects(model, batch, labels, allowed_t, members_t, device)
            bar.update(len(batch))


def variant_effects(model, ref, alt, names=None, *, motifs=None, group_by_name: bool = True, database=None,
                    batch_size: int = 256, device=None,
                    progress: bool = False) -> pd.DataFrame:
    """Effects of variants on every target, explained by the first-layer motif they change most.

    Parameters
    ----------
    model : MotifModel
        Any zoo model (``motifzoo.load(checkpoint)``).
    ref, alt : list of str, (N, L) codes or (N, 4, L) one-hot
        Reference and alternative windows. Strings are padded with ``N`` or cropped (both ends equally) to
        the model's input length, so an indel's windows may differ in length.
    names : list of str, optional
        Variant names (default ``variant0``, ...).
    motifs : list of Motif or path, optional
        The model's exported motifs (``motifzoo motifs``, named by ``motifzoo annotate --meme``): only
        these filters are reported, labelled with their alt names.
    group_by_name : bool
        Filters with the same alt name (redundant filters named after one database motif) are one motif:
        ``explained`` swaps their activations together, and ``motif`` names the one whose instance changed
        most. False: every filter is a motif of its own.
    database : str, path or list of Motif, optional
        Name ``motifs`` against this database here (:func:`name_motifs`: the best match plus the matches
        TOMTOM cannot tell apart from it, ``CEBPE_MA0837.3/CEBPB_MA0466.4``), e.g. ``"jaspar"``. Default:
        the alt names the motifs carry.
    batch_size : int
        Variants per forward pass.
    device : str or torch.device, optional
        Where to run (default: the model's device, as in :func:`~motifzoo.interpret.pwm.activation_counts`).
    progress : bool
        Show a progress bar on stderr (only drawn when stderr is a terminal).

    Returns
    -------
    pandas.DataFrame
        One row per variant x target; the columns are described in the module docstring.
    """
    length = int(model.input_length)
    ref_codes, alt_codes = _as_codes(ref, length, "ref"), _as_codes(alt, length, "alt")
    if len(ref_codes) != len(alt_codes):
        raise ValueError(f"ref has {len(ref_codes)} windows but alt has {len(alt_codes)}")
    names = [f"variant{i}" for i in range(len(ref_codes))] if names is None else [str(n) for n in names]
    if len(names) != len(ref_codes):
        raise ValueError(f"{len(names)} names for {len(ref_codes)} variants")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    batches = (VariantBatch(names[i:i + batch_size], ref_codes[i:i + batch_size], alt_codes[i:i + batch_size])
               for i in range(0, len(names), batch_size))
    parts = list(stream_variant_effects(model, batches, motifs=motifs, group_by_name=group_by_name, database=database,
                                        device=device, total=len(names), progress=progress))
    if not parts:
        raise ValueError("no variants given")
    return pd.concat(parts, ignore_index=True)


def write_variant_effects(model, variants, output, *, genome=None, motifs=None, group_by_name: bool = True,
                          database=None, batch_size: int = 256,
                          device=None, progress: bool = False) -> int:
    """Stream the effects of every variant in a file to a TSV; returns the number of variants.

    ``variants`` is a window table (``name``, ``ref``, ``alt``) or a VCF with ``genome``
    (:func:`motifzoo.data.vcf.read_variants`). Rows are written batch by batch to ``OUTPUT.partial`` and
    renamed at the end, so memory stays bounded and a failed run leaves no truncated table. The other
    arguments are those of :func:`variant_effects`.
    """
    output = Path(output)
    batches, total = read_variants(variants, int(model.input_length), genome=genome, batch_size=batch_size)
    partial = output.with_name(output.name + ".partial")
    n = 0
    try:
        with open(partial, "w") as fh:
            frames = stream_variant_effects(model, batches, motifs=motifs, group_by_name=group_by_name,
                                            database=database, device=device, total=total, progress=progress)
            for i, frame in enumerate(frames):
                frame.to_csv(fh, sep="\t", index=False, header=i == 0, float_format="%.6g")
                n += len(frame) // max(1, len(model.target_names))
        if n == 0:
            from ..data.tables import DataError
            raise DataError(f"{variants}: no variants")
        os.replace(partial, output)
    finally:
        if partial.exists():
            partial.unlink()
    return n
