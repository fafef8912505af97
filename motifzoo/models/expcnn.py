"""Exponential-activation CNNs after Koo & Ploenzke (2021, Nat Mach Intell 3:258).

With ``exp`` in the first layer a filter scores ``exp(w . x + b)``, a likelihood
ratio when ``w`` is a log-odds PWM, and filters learn whole motifs far more often
than with ``relu``. ``activation`` selects the first-layer nonlinearity so the
paper's comparison can be rerun; deeper layers always use ReLU.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from .base import MotifModel
from .scanner import Scanner, ScannerModel, strand_mode
from .registry import register_model


def _flat_size(body: nn.Module, input_length: int) -> int:
    with torch.no_grad():
        was_training = body.training
        body.eval()
        n = body(torch.zeros(1, 4, input_length)).numel()
        body.train(was_training)
    return n


def first_layer_scanner(first_layer: str, n_filters: int, filter_width: int, activation: str,
                        strands: str) -> Scanner:
    """The exp CNNs' first layer: free filters with batch norm before the nonlinearity (initialised small,
    so ``exp`` starts in its stable range), or PWM filters; one strand or both combined."""
    strands = strand_mode(strands, ("forward", "both-max", "both-sum"))
    if first_layer == "free":
        return Scanner(n_filters, filter_width, activation, strands, "free", norm="pre", init_std=0.001)
    return Scanner(n_filters, filter_width, activation, strands, first_layer, norm="none")


class _ScannerBodyHead(ScannerModel, MotifModel):
    """``head(body(x))`` with the scanner first in ``body``."""

    scanner: Scanner
    body: nn.Sequential
    head: nn.Module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))

    def forward_from_activations(self, stranded: torch.Tensor) -> torch.Tensor:
        return self.head(self.body[1:](self.scanner.combine(self.scanner.next_layer_input(stranded))))


@register_model("expcnn_shallow")
class ExpCNNShallow(_ScannerBodyHead):
    """One motif-scanning conv layer, a large max-pool and a dense head.

    The large pool (Koo & Eddy 2019) leaves the deeper layers no room to build
    motifs from parts, so whole motifs land in first-layer filters.

    Parameters
    ----------
    n_targets : int
        Number of outputs (tasks).
    input_length : int
        Sequence length L the model is built for.
    n_filters, filter_width : int
        First-layer filters F and their width W.
    activation : str
        First-layer nonlinearity: ``exp`` (default), ``relu``, ``softplus``, ...
    pool_size : int
        Max-pool size and stride after the first layer.
    hidden : int
        Width of the dense hidden layer (0: none).
    dropout : float
        Dropout after the pool and in the head.
    first_layer : {"free", "pwm"}
        ``free``: unconstrained filters with batch norm; ``pwm``: every filter is
        ``beta_f * log(softmax(theta_f) / q)`` (:class:`~motifzoo.models.scanner.Scanner`),
        a PWM by construction that exports exactly.
    strands : {"forward", "both-max", "both-sum"}
        ``both-max``/``both-sum``: each filter also scans the reverse strand with shared weights
        and the two strands are combined, so one filter covers a motif in both orientations
        (``single``, ``max``, ``sum`` are accepted as earlier spellings).

    Shapes: (N, 4, L) -> (N, n_targets) logits (or real values for regression).
    """

    def __init__(self, n_targets: int, input_length: int, n_filters: int = 32, filter_width: int = 19,
                 activation: str = "exp", pool_size: int = 25, hidden: int = 128, dropout: float = 0.1,
                 first_layer: str = "free", strands: str = "forward"):
        super().__init__()
        if input_length < filter_width + pool_size - 1:
            raise ValueError(f"input_length={input_length} is too short for filter_width={filter_width} "
                             f"and pool_size={pool_size}")
        self.scanner = first_layer_scanner(first_layer, n_filters, filter_width, activation, strands)
        self.body = nn.Sequential(self.scanner, nn.MaxPool1d(pool_size), nn.Dropout(dropout), nn.Flatten())
        flat = _flat_size(self.body, input_length)
        if hidden > 0:
            self.head = nn.Sequential(nn.Linear(flat, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
                                      nn.Dropout(dropout), nn.Linear(hidden, n_targets))
        else:
            self.head = nn.Linear(flat, n_targets)

@register_model("expcnn_deep")
class ExpCNNDeep(_ScannerBodyHead):
    """A motif-scanning first layer followed by conv blocks with small pools.

    Parameters
    ----------
    n_targets, input_length, n_filters, filter_width, activation, first_layer, strands
        As in :class:`ExpCNNShallow`.
    first_pool : int
        Max-pool after the first layer (small: motifs may be spread over layers).
    channels : list of int
        Output channels of each further conv block (ReLU, batch norm, 'same' padding).
    widths : list of int
        Kernel width of each further block (same length as ``channels``).
    pool_size : int
        Max-pool after each further block.
    hidden : int
        Dense hidden width.
    dropout : float
        Dropout after every block and in the head.
    """

    def __init__(self, n_targets: int, input_length: int, n_filters: int = 32, filter_width: int = 19,
                 activation: str = "exp", first_pool: int = 4, channels: list[int] = (64, 96),
                 widths: list[int] = (7, 5), pool_size: int = 4, hidden: int = 256, dropout: float = 0.2,
                 first_layer: str = "free", strands: str = "forward"):
        super().__init__()
        channels, widths = list(channels), list(widths)
        if len(channels) != len(widths):
            raise ValueError(f"channels ({len(channels)} values) and widths ({len(widths)} values) must have the same length")
        self.scanner = first_layer_scanner(first_layer, n_filters, filter_width, activation, strands)
        layers: list[nn.Module] = [self.scanner, nn.MaxPool1d(first_pool), nn.Dropout(dropout)]
        c_in, length = n_filters, (input_length - filter_width + 1) // first_pool
        for c_out, k in zip(channels, widths):
            if length < pool_size:
                raise ValueError(f"input_length={input_length} is too short for {len(channels)} pooled blocks")
            layers += [nn.Conv1d(c_in, c_out, k, padding=k // 2, bias=False), nn.BatchNorm1d(c_out), nn.ReLU(),
                       nn.MaxPool1d(pool_size), nn.Dropout(dropout)]
            c_in, length = c_out, length // pool_size
        layers.append(nn.Flatten())
        self.body = nn.Sequential(*layers)
        flat = _flat_size(self.body, input_length)
        self.head = nn.Sequential(nn.Linear(flat, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
                                  nn.Dropout(dropout), nn.Linear(hidden, n_targets))
