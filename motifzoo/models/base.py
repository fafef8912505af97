"""The small interface every interpretable model in the zoo implements.

``motifzoo.interpret`` only ever calls these methods, so a new architecture
plugs into motif export, syntax tables and reports by implementing them.
"""
from __future__ import annotations

import torch
import torch.nn as nn


def filter_name(index: int) -> str:
    """Name of first-layer filter ``index`` in every export (MEME ids, syntax tables, reports)."""
    return f"filter{index}"


class MotifModel(nn.Module):
    """Base class for interpretable models.

    Subclasses implement :meth:`motif_filters`, :meth:`motif_activations` and
    set :attr:`motif_activation`. Position ``i`` of ``motif_activations(x)`` scans
    the window ``x[:, :, i - motif_padding : i - motif_padding + W]``.
    """

    #: name of the first-layer nonlinearity ("exp", "relu", ...); "exp" makes a filter a log-odds scan
    motif_activation: str = "exp"
    #: left zero-padding of the first layer, in bp
    motif_padding: int = 0
    #: whether each filter also scans the reverse strand with shared weights
    motif_strand_aware: bool = False

    def motif_filters(self) -> torch.Tensor:
        """First-layer weights, (F, 4, W), with any batch-norm affine folded in."""
        raise NotImplementedError

    def motif_bias(self) -> torch.Tensor:
        """First-layer bias, (F,), with any batch-norm affine folded in."""
        return torch.zeros(self.motif_filters().shape[0])

    def motif_activations(self, x: torch.Tensor) -> torch.Tensor:
        """First-layer activations after the nonlinearity: (N, 4, L) -> (N, F, L')."""
        raise NotImplementedError

    def motif_pwms(self):
        """Exact PWMs of the first-layer filters, numpy (F, W, 4) with rows summing to 1, when the
        layer is a PWM by construction (e.g. ``first_layer="pwm"``); ``None`` otherwise, and
        ``model_motifs(method="weights")`` then inverts :meth:`motif_filters`."""
        return None

    def stranded_activations(self, x: torch.Tensor) -> torch.Tensor:
        """Activations per scanned strand, (N, 4, L) -> (N, S, F, L'). S = 2 when ``motif_strand_aware``:
        strand 1 at position i scores the reverse complement of the window starting at i."""
        return self.motif_activations(x)[:, None]

    def filter_names(self) -> list[str]:
        """One name per first-layer filter, as written to MEME files."""
        return [filter_name(i) for i in range(self.motif_filters().shape[0])]

    def regularization(self, epoch: int) -> torch.Tensor | float:
        """Extra loss terms (e.g. filter penalties) computed during the last forward pass,
        given the current epoch for schedules. Added to the task loss by the trainer."""
        return 0.0

    def motif_target_weights(self) -> torch.Tensor | None:
        """(F, T) weight of each first-layer filter on each target where the architecture makes it
        readable (e.g. ExplaiNN's final linear layer); ``None`` otherwise."""
        return None

    def syntax_readout(self, **kwargs):
        """Syntax rules read from the weights (a ``pandas.DataFrame``), or ``None`` when the
        architecture has no syntax layer."""
        return None
