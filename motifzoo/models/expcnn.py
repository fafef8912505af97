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
from .pwm_layer import make_motif_layer, scanner_pwms, scanner_regularization, stranded_scan
from .registry import register_model


def _flat_size(body: nn.Module, input_length: int) -> int:
    with torch.no_grad():
        was_training = body.training
        body.eval()
        n = body(torch.zeros(1, 4, input_length)).numel()
        body.train(was_training)
    return n


class _FirstLayerMixin(MotifModel):
    def motif_filters(self) -> torch.Tensor:
        return self.scanner.folded()[0]

    def motif_bias(self) -> torch.Tensor:
        return self.scanner.folded()[1]

    def motif_activations(self, x: torch.Tensor) -> torch.Tensor:
        return self.scanner(x)

    def motif_pwms(self):
        return scanner_pwms(self.scanner)

    def stranded_activations(self, x: torch.Tensor) -> torch.Tensor:
        return stranded_scan(self.scanner, x)

    def regularization(self, epoch: int) -> torch.Tensor | float:
        return scanner_regularization(self.scanner)


@register_model("expcnn_shallow")
class ExpCNNShallow(_FirstLayerMixin):
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
        ``beta_f * log(softmax(theta_f) / q)`` (:class:`~motifzoo.models.pwm_layer.PWMConv`),
        a PWM by construction that exports exactly.
    strands : {"single", "max", "sum"}
        ``max``/``sum``: each filter also scans the reverse strand with shared weights and the
        two strands are combined, so one filter covers a motif in both orientations.

    Shapes: (N, 4, L) -> (N, n_targets) logits (or real values for regression).
    """

    def __init__(self, n_targets: int, input_length: int, n_filters: int = 32, filter_width: int = 19,
                 activation: str = "exp", pool_size: int = 25, hidden: int = 128, dropout: float = 0.1,
                 first_layer: str = "free", strands: str = "single"):
        super().__init__()
        if input_length < filter_width + pool_size - 1:
            raise ValueError(f"input_length={input_length} is too short for filter_width={filter_width} "
                             f"and pool_size={pool_size}")
        self.motif_activation = activation
        self.motif_strand_aware = strands != "single"
        self.scanner = make_motif_layer(first_layer, n_filters, filter_width, activation, strands)
        self.body = nn.Sequential(self.scanner, nn.MaxPool1d(pool_size), nn.Dropout(dropout), nn.Flatten())
        flat = _flat_size(self.body, input_length)
        if hidden > 0:
            self.head = nn.Sequential(nn.Linear(flat, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
                                      nn.Dropout(dropout), nn.Linear(hidden, n_targets))
        else:
            self.head = nn.Linear(flat, n_targets)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


@register_model("expcnn_deep")
class ExpCNNDeep(_FirstLayerMixin):
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
                 first_layer: str = "free", strands: str = "single"):
        super().__init__()
        channels, widths = list(channels), list(widths)
        if len(channels) != len(widths):
            raise ValueError(f"channels ({len(channels)} values) and widths ({len(widths)} values) must have the same length")
        self.motif_activation = activation
        self.motif_strand_aware = strands != "single"
        self.scanner = make_motif_layer(first_layer, n_filters, filter_width, activation, strands)
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

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))
