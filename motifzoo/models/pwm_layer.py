"""First-layer motif scanners that are PWMs by construction, and scanners that read both strands.

:class:`PWMConv` parameterises filter ``f`` as

    w_f(a, j) = beta_f * log(p_f(a, j) / q(a)),    p_f(., j) = softmax(theta_f(., j)),

so every filter is the log-odds scan of the PWM ``p_f`` against the background ``q``,
tempered by a positive scale ``beta_f``, plus an optional learned offset. The PWM is
read from the parameters with no approximation (:meth:`PWMConv.pwms`), whatever the
activation, scale or data.

Trained on the task loss alone, ``beta_f`` and the sharpness of ``theta_f`` are
interchangeable (for small ``theta``, ``beta * log softmax(theta)`` is linear in
``beta * theta``), and the task prefers a tempered scan: the PWMs stay nearly flat
(measured: under 5 bits over 19 columns after 30 epochs on ``multilabel``). So each
filter also pays the negative log-likelihood of its own sites under its PWM
(:meth:`PWMConv.site_nll`, weight ``site_weight``): the windows it fires on most in
each batch set the PWM's sharpness, and ``beta_f`` alone sets the scan's temperature.

:class:`StrandedMotifConv` is :class:`~motifzoo.models.layers.MotifConv` (free weights,
batch norm, activation) scanning both strands with shared weights: the reverse strand
is scanned with the reverse-complemented filter, and the two activation maps are
combined by ``max`` or ``sum``, so one filter covers a motif in both orientations.

Every scanner here maps (N, 4, L) -> (N, F, L - W + 1) and has ``folded()`` (weights
(F, 4, W) and bias (F,) of the forward-strand pre-activation) and ``stranded(x)``
((N, S, F, L - W + 1) activations per strand, S = 1 or 2; strand 1 at position ``i``
scores the reverse complement of the window starting at ``i``).
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .layers import MotifConv, make_activation

#: how a scanner reads the strands: the forward one only, or both combined by max or sum
STRAND_MODES = ("single", "max", "sum")
#: first-layer parameterisations selectable in the exp CNNs
FIRST_LAYERS = ("free", "pwm")


def reverse_complement_filters(weight: torch.Tensor) -> torch.Tensor:
    """(F, 4, W) filters -> the filters that score the reverse strand (ACGT order: complement = reversed rows)."""
    return weight.flip(1, 2)


def combine_strands(stranded: torch.Tensor, mode: str) -> torch.Tensor:
    """(N, S, F, L') activations per strand -> (N, F, L') by ``max`` or ``sum`` over strands (S = 1: squeezed)."""
    if stranded.shape[1] == 1:
        return stranded[:, 0]
    if mode == "max":
        return stranded.amax(dim=1)
    if mode == "sum":
        return stranded.sum(dim=1)
    raise ValueError(f"strands must be one of {', '.join(STRAND_MODES)}, got {mode!r}")


def _check_strands(strands: str) -> None:
    if strands not in STRAND_MODES:
        raise ValueError(f"strands must be one of {', '.join(STRAND_MODES)}, got {strands!r}")


def _scan(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, n_strands: int) -> torch.Tensor:
    """Linear scan of one or both strands: (N, 4, L) -> (N, S, F, L - W + 1)."""
    if n_strands == 2:
        weight = torch.cat([weight, reverse_complement_filters(weight)], 0)
        bias = bias.repeat(2) if bias is not None else None
    z = F.conv1d(x, weight, bias)
    return z.view(len(x), n_strands, -1, z.shape[-1])


class StrandedMotifConv(MotifConv):
    """:class:`MotifConv` (Conv1d -> BatchNorm -> activation) scanning both strands with shared weights.

    Parameters
    ----------
    n_filters, filter_width, activation, batch_norm, init_std
        As in :class:`MotifConv` (same parameter names, so the state dict has the same keys).
    strands : {"max", "sum"}
        How the two strands' activations are combined at each position.

    Batch-norm statistics are shared by a filter's two strands, so the folded weights and
    bias score the forward strand and their reverse complement (same bias) the reverse one.
    Shapes: (N, 4, L) -> (N, F, L - W + 1).
    """

    def __init__(self, n_filters: int, filter_width: int, activation: str = "exp", batch_norm: bool = True,
                 init_std: float = 0.001, strands: str = "max"):
        super().__init__(n_filters, filter_width, activation, batch_norm, init_std)
        _check_strands(strands)
        if strands == "single":
            raise ValueError("StrandedMotifConv scans both strands: strands must be 'max' or 'sum' "
                             "(use MotifConv for one strand)")
        self.strands = strands

    def preactivation(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 4, L) -> (N, 2, F, L - W + 1) pre-activations of both strands."""
        z = _scan(x, self.conv.weight, self.conv.bias, 2)
        if self.bn is None:
            return z
        n, s, f, length = z.shape
        # both strands in one batch-norm call: one set of statistics per filter
        return self.bn(z.reshape(n * s, f, length)).view(n, s, f, length)

    def stranded(self, x: torch.Tensor) -> torch.Tensor:
        """Activations per strand, (N, 4, L) -> (N, 2, F, L - W + 1)."""
        return self.act(self.preactivation(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return combine_strands(self.stranded(x), self.strands)


class PWMConv(nn.Module):
    """A motif scanner whose every filter is a PWM: ``beta_f * log(softmax(theta_f) / q)`` per column.

    Parameters
    ----------
    n_filters, filter_width : int
        F and W.
    activation : str
        Nonlinearity after the scan (``exp``: the output is a likelihood ratio ``(p/q)^beta``
        times ``exp(offset)``).
    strands : {"single", "max", "sum"}
        Scan the forward strand only, or both (reverse strand with the reverse-complemented
        PWM) combined by max or sum.
    offset : bool
        Learn a per-filter offset (a firing threshold); otherwise it stays 0.
    background : sequence of 4 floats, optional
        Background letter frequencies ``q`` (ACGT); normalised to sum to 1. ``None`` (default):
        uniform until the first training batch, then that batch's letter frequencies (made
        strand-symmetric), kept in the state dict. Against a uniform ``q`` in a GC-rich genome
        every GC-rich window scores as a weak site, and the site likelihood then sharpens
        filters toward the background composition instead of motifs.
    init_beta : float
        Initial scale ``beta_f`` (> 0; parameterised as ``exp(log_beta)`` so it stays positive).
    init_offset : float
        Initial offset.
    init_std : float
        Standard deviation of the normal initialisation of the logits ``theta``: small values
        start every filter near the background (a flat PWM).
    learn_beta : bool
        Learn ``beta_f``; otherwise it stays at ``init_beta``.
    lr_scale : float
        ``theta``, ``log beta`` and the offset are stored divided by this, so Adam's steps on
        them are this many times larger: sharp PWMs need logits of several units, which the
        default learning rate would take thousands of steps to reach.
    site_weight : float
        Weight of the site likelihood (:meth:`site_nll`) added to the loss through
        :meth:`regularization`; 0 trains on the task loss alone.
    site_threshold : float
        A sequence's best window counts as a site of a filter when its activation reaches this
        fraction of the filter's maximum over the batch (as ``motifzoo motifs`` aligns windows).

    Shapes: (N, 4, L) -> (N, F, L - W + 1).
    """

    def __init__(self, n_filters: int, filter_width: int, activation: str = "exp", strands: str = "single",
                 offset: bool = True, background=None, init_beta: float = 0.2,
                 init_offset: float = 0.0, init_std: float = 0.1, learn_beta: bool = True,
                 lr_scale: float = 10.0, site_weight: float = 0.1, site_threshold: float = 0.5):
        super().__init__()
        _check_strands(strands)
        q = torch.as_tensor(np.asarray(background if background is not None else [0.25] * 4, dtype=np.float64))
        if q.shape != (4,) or not bool((q > 0).all()):
            raise ValueError(f"background must be 4 positive letter frequencies (ACGT), got {list(background)}")
        if init_beta <= 0:
            raise ValueError(f"init_beta must be > 0, got {init_beta}")
        self.activation_name = activation
        self.act = make_activation(activation)
        self.strands = strands
        self.n_strands = 1 if strands == "single" else 2
        if lr_scale <= 0:
            raise ValueError(f"lr_scale must be > 0, got {lr_scale}")
        self.lr_scale = float(lr_scale)
        self.raw_logits = nn.Parameter(torch.randn(n_filters, 4, filter_width) * (init_std / self.lr_scale))
        self.raw_log_beta = nn.Parameter(torch.full((n_filters,), math.log(init_beta) / self.lr_scale),
                                         requires_grad=learn_beta)
        self.raw_offset = nn.Parameter(torch.full((n_filters,), init_offset / self.lr_scale), requires_grad=offset)
        self.register_buffer("log_background", torch.log(q / q.sum()).float())
        # whether q is settled: given, or estimated from a training batch (saved with the weights)
        self.register_buffer("background_fixed", torch.tensor(background is not None))
        if site_weight < 0 or not 0 <= site_threshold < 1:
            raise ValueError(f"site_weight must be >= 0 and site_threshold in [0, 1), got {site_weight}, {site_threshold}")
        self.site_weight, self.site_threshold = float(site_weight), float(site_threshold)
        self.site_pseudocount = 1.0
        self._site_loss: torch.Tensor | float = 0.0

    def weight(self) -> torch.Tensor:
        """Scan weights ``beta_f * (log p_f - log q)``, (F, 4, W), differentiable."""
        log_p = torch.log_softmax(self.logits(), dim=1)
        return self.log_beta().exp()[:, None, None] * (log_p - self.log_background[None, :, None])

    def logits(self) -> torch.Tensor:
        """The logits ``theta`` (F, 4, W) whose column-wise softmax is each filter's PWM."""
        return self.lr_scale * self.raw_logits

    def offset(self) -> torch.Tensor:
        """Per-filter offset added to the scan score, (F,)."""
        return self.lr_scale * self.raw_offset

    def log_beta(self) -> torch.Tensor:
        """Per-filter log scale ``log beta_f``, (F,)."""
        return self.lr_scale * self.raw_log_beta

    def beta(self) -> torch.Tensor:
        """Per-filter scale ``beta_f``, (F,)."""
        return self.log_beta().detach().exp()

    def pwms(self) -> np.ndarray:
        """The filters' PWMs exactly, ``softmax(theta_f)`` per column, in float64: (F, W, 4), rows sum to 1."""
        return torch.softmax(self.logits().detach().double(), dim=1).permute(0, 2, 1).cpu().numpy()

    def preactivation(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 4, L) -> (N, S, F, L - W + 1) scan scores per strand, before the nonlinearity."""
        return _scan(x, self.weight(), self.offset(), self.n_strands)

    def stranded(self, x: torch.Tensor) -> torch.Tensor:
        """Activations per strand, (N, 4, L) -> (N, S, F, L - W + 1)."""
        return self.act(self.preactivation(x))

    def fit_background(self, x: torch.Tensor) -> None:
        """Set ``q`` to the strand-symmetric letter frequencies of the one-hot batch ``x`` (N, 4, L)."""
        freq = x.detach().float().mean(dim=(0, 2))
        freq = (freq + freq.flip(0)).clamp_min(1e-3)  # ACGT: flip pairs A with T and C with G
        self.log_background.copy_(torch.log(freq / freq.sum()))
        self.background_fixed.fill_(True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training and not bool(self.background_fixed):
            self.fit_background(x)
        stranded = self.stranded(x)
        # replaced on every pass (0 in eval) so regularization() never returns a stale batch's term
        self._site_loss = (self.site_weight * self.site_nll(x, stranded.detach())
                           if self.training and self.site_weight > 0 else 0.0)
        return combine_strands(stranded, self.strands)

    def folded(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Forward-strand weights (F, 4, W) and bias (F,): ``preactivation(x)[:, 0] == conv1d(x, weight, bias)``."""
        return self.weight().detach().clone(), self.offset().detach().clone()

    def site_counts(self, x: torch.Tensor, stranded: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Letter counts of each filter's sites in a batch: its best window per sequence, where that window's
        activation reaches ``site_threshold`` x the filter's batch maximum and no other filter with an overlapping
        best window fires closer to its own maximum (reverse-strand sites reverse-complemented).

        Parameters
        ----------
        x : (N, 4, L) one-hot
        stranded : (N, S, F, L') activations per strand (``stranded(x)``)

        Returns
        -------
        counts : (F, 4, W)
        n_sites : (F,)
        """
        n, s, f, length = stranded.shape
        width = self.raw_logits.shape[-1]
        best, where = stranded.permute(0, 2, 1, 3).reshape(n, f, s * length).max(dim=-1)  # (N, F)
        strand, pos = where // length, where % length
        relative = best / best.amax(dim=0, keepdim=True).clamp_min(1e-30)
        selected = (relative >= self.site_threshold) & (best > 0)
        # competition: where the windows of several filters overlap, only the filter firing closest to
        # its own batch maximum claims the site, so filters do not all converge on the strongest motif
        overlap = (pos[:, :, None] - pos[:, None, :]).abs() < width  # (N, F, F)
        stronger = (relative[:, None, :] > relative[:, :, None]) | (
            (relative[:, None, :] == relative[:, :, None]) & (torch.arange(f)[None, None, :] < torch.arange(f)[None, :, None]))
        selected = selected & ~(overlap & stronger & selected[:, None, :]).any(dim=-1)
        windows = x.unfold(2, width, 1).permute(0, 2, 1, 3)[torch.arange(n)[:, None], pos]  # (N, F, 4, W)
        # ACGT order: flipping letters and columns reverse-complements a window
        windows = torch.where((strand == 1)[..., None, None], windows.flip(2, 3), windows)
        weights = selected.to(windows.dtype)
        return torch.einsum("nf,nfcw->fcw", weights, windows), weights.sum(0)

    def site_nll(self, x: torch.Tensor, stranded: torch.Tensor) -> torch.Tensor:
        """Negative log-likelihood (nats per site) of each filter's sites under its PWM, summed over filters.

        Pulls each PWM toward the letter frequencies of the windows it fires on, so the sharpness of
        ``softmax(theta)`` is set by the sites while ``beta`` sets the scan's temperature.
        """
        counts, n_sites = self.site_counts(x, stranded)
        # a pseudo-site spread as the background keeps the maximum-likelihood PWM off 0 and 1
        counts = counts + self.site_pseudocount * self.log_background.exp()[None, :, None]
        n_sites = n_sites + self.site_pseudocount
        log_p = torch.log_softmax(self.logits(), dim=1)
        return (-(counts * log_p).sum(dim=(1, 2)) / n_sites).sum()

    def regularization(self) -> torch.Tensor | float:
        """The site-likelihood term of the last training forward pass (0 when ``site_weight`` is 0)."""
        loss, self._site_loss = self._site_loss, 0.0
        return loss


def make_motif_layer(first_layer: str, n_filters: int, filter_width: int, activation: str = "exp",
                     strands: str = "single") -> nn.Module:
    """The first layer of a zoo model by name.

    Parameters
    ----------
    first_layer : {"free", "pwm"}
        ``free``: unconstrained conv weights with batch norm (:class:`MotifConv`, or
        :class:`StrandedMotifConv` when both strands are read); ``pwm``: :class:`PWMConv`.
    n_filters, filter_width : int
    activation : str
    strands : {"single", "max", "sum"}

    Returns
    -------
    nn.Module mapping (N, 4, L) -> (N, F, L - W + 1), with ``folded()``.
    """
    _check_strands(strands)
    if first_layer == "free":
        if strands == "single":
            return MotifConv(n_filters, filter_width, activation)
        return StrandedMotifConv(n_filters, filter_width, activation, strands=strands)
    if first_layer == "pwm":
        return PWMConv(n_filters, filter_width, activation, strands=strands)
    raise ValueError(f"first_layer must be one of {', '.join(FIRST_LAYERS)}, got {first_layer!r}")


def stranded_scan(scanner: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Activations per strand of any first layer: (N, 4, L) -> (N, S, F, L'); S = 1 for one-strand layers."""
    if isinstance(scanner, (StrandedMotifConv, PWMConv)):
        return scanner.stranded(x)
    return scanner(x)[:, None]


def scanner_regularization(scanner: nn.Module) -> torch.Tensor | float:
    """Training penalty of a first layer (the site likelihood of :class:`PWMConv`); 0 for the others."""
    return scanner.regularization() if isinstance(scanner, PWMConv) else 0.0


def scanner_pwms(scanner: nn.Module) -> np.ndarray | None:
    """The exact PWMs (F, W, 4) of a PWM-parameterised first layer; ``None`` for free filters."""
    return scanner.pwms() if isinstance(scanner, PWMConv) else None
