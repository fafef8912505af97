"""The one interface every interpretable model in the zoo implements.

``motifzoo.interpret`` reads models only through :class:`MotifModel`: every attribute and
method below exists on every model, with one default each, so no reader probes with
``getattr``/``hasattr``. A new architecture plugs into motif export, syntax tables, variant
effects and reports by subclassing :class:`MotifModel`, implementing :meth:`motif_filters`,
:meth:`motif_bias` and :meth:`stranded_activations` (and the optional readouts its layers
support), and registering it (:func:`motifzoo.models.register_model`).
"""
from __future__ import annotations

import torch
import torch.nn as nn


def filter_name(index: int) -> str:
    """Name of first-layer filter ``index`` in every export (MEME ids, syntax tables, reports)."""
    return f"filter{index}"


class MotifModel(nn.Module):
    """Base class and interface of the zoo's interpretable models.

    Attributes (set on every model, whether built by :func:`~motifzoo.models.get_model` or
    read by :func:`~motifzoo.models.load`)
    ----------
    model_name : str
        Registry name (``"expcnn_shallow"``, ...).
    hparams : dict
        Every constructor argument, defaults filled in: ``get_model(model_name, **hparams)``
        rebuilds the architecture.
    input_length : int
        Sequence length L the model was built for.
    target_names : list of str
        One name per output (``target0``, ... until a checkpoint or the caller names them).
    task : {"binary", "regression"}
        What the outputs are: logits of binary targets, or real values.
    alphabet : str
        Letters of the one-hot channels, in order (``"ACGT"``).
    motif_activation : str
        Name of the first-layer nonlinearity (``"exp"``, ``"relu"``, ...); ``"exp"`` makes a
        filter a log-odds scan.
    motif_strand_aware : bool
        Whether every filter also scans the reverse strand with shared weights
        (:meth:`stranded_activations` then has S = 2).
    has_position_attention : bool
        Whether :meth:`position_attention` returns attention (not ``None``), so readers can
        choose a method before they have data.
    has_units : bool
        Whether the model is built of independent units that a final linear layer combines
        (ExplaiNN): :meth:`unit_outputs` then returns them, and the model also has the unit
        readouts of :mod:`motifzoo.interpret.units` (``pooled_activations(x)`` (N, F, P),
        ``unit_response(pooled)`` (N, F, P) -> (N, F) and ``pooled_bins()`` (P, 2)).
    """

    model_name: str = ""
    alphabet: str = "ACGT"
    motif_activation: str = "exp"
    motif_strand_aware: bool = False
    has_position_attention: bool = False
    has_units: bool = False

    def __init__(self) -> None:
        super().__init__()
        self.hparams: dict = {}
        self.input_length: int = 0
        self.target_names: list[str] = []
        self.task: str = "binary"

    # ------------------------------------------------------------------ first layer (required)
    def motif_filters(self) -> torch.Tensor:
        """First-layer weights, (F, 4, W), with any batch-norm affine folded in."""
        raise NotImplementedError

    def motif_bias(self) -> torch.Tensor:
        """First-layer bias, (F,), with any batch-norm affine folded in."""
        raise NotImplementedError

    def stranded_activations(self, x: torch.Tensor) -> torch.Tensor:
        """Activations per scanned strand, (N, 4, L) -> (N, S, F, L - W + 1); S = 2 when
        :attr:`motif_strand_aware`: strand 1 at position i scores the reverse complement of the
        window starting at i."""
        raise NotImplementedError

    def motif_activations(self, x: torch.Tensor) -> torch.Tensor:
        """First-layer activations after the nonlinearity, forward strand: (N, 4, L) -> (N, F, L - W + 1).

        Position i scans the window ``x[:, :, i:i + W]``.
        """
        return self.stranded_activations(x)[:, 0]

    # ------------------------------------------------------------------ optional readouts
    def motif_pwms(self):
        """Exact PWMs of the first-layer filters, numpy (F, W, 4) with rows summing to 1, when the
        layer is a PWM by construction (``first_layer="pwm"``); ``None`` otherwise, and
        ``model_motifs(method="weights")`` then inverts :meth:`motif_filters`."""
        return None

    def filter_names(self) -> list[str]:
        """One name per first-layer filter, as written to MEME files."""
        return [filter_name(i) for i in range(self.motif_filters().shape[0])]

    def motif_target_weights(self) -> torch.Tensor | None:
        """(F, T) weight of each first-layer filter on each target where the architecture makes it
        readable (e.g. ExplaiNN's final linear layer); ``None`` otherwise."""
        return None

    def pair_weights(self) -> torch.Tensor | None:
        """Weights of a pairwise syntax layer, (T, C, C, D + 1) with C = S F channels (channel
        ``s * F + f`` = filter f on strand s) and window offsets 0..D; ``None`` for models without one."""
        return None

    def position_attention(self, x: torch.Tensor) -> torch.Tensor | None:
        """Attention on each position relative to uniform, (N, 4, L) -> (N, L - W + 1), for models
        with attention; ``None`` otherwise."""
        return None

    def unit_outputs(self, x: torch.Tensor) -> torch.Tensor | None:
        """Outputs of independent units that a final linear layer combines, (N, 4, L) -> (N, F), for
        unit models (ExplaiNN); ``None`` otherwise."""
        return None

    # ------------------------------------------------------------------ training
    def regularization(self, epoch: int) -> torch.Tensor | float:
        """Extra loss terms (e.g. filter penalties), given the current epoch for schedules; added to
        the task loss by the trainer right after each training forward pass. 0 by default.

        Terms that depend on activations use those of the most recent forward pass *in training
        mode*; every forward pass replaces them, and one in eval mode clears them, so a call after
        an evaluation never reuses activations of an earlier training batch (only terms of the
        weights alone remain).
        """
        return 0.0
