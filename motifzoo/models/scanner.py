"""The one first layer of the zoo: a motif scanner with an explicit strand mode.

:class:`Scanner` is a valid convolution (4 -> F channels, width W) of one or both strands,
with an optional batch norm before or after the nonlinearity, and one of two
parameterisations of its filters:

* ``free``: unconstrained weights (a ``Conv1d``; with batch norm before the nonlinearity the
  conv has no bias unless asked, as batch norm supplies the shift);
* ``pwm``: every filter is ``w_f(a, j) = beta_f * log(p_f(a, j) / q(a))`` with
  ``p_f(., j) = softmax(theta_f(., j))``, so the filter is the log-odds scan of the PWM ``p_f``
  against the background ``q``, tempered by ``beta_f > 0``, plus a learned offset; the PWM is read
  from the parameters exactly (:meth:`Scanner.pwms`).

Trained on the task loss alone, ``beta_f`` and the sharpness of ``theta_f`` are
interchangeable (for small ``theta``, ``beta * log softmax(theta)`` is linear in
``beta * theta``), and the task prefers a tempered scan with nearly flat PWMs. So each PWM
filter also pays the negative log-likelihood of its own sites under its PWM
(:meth:`Scanner.site_nll`, weight ``site_weight``): the windows it fires on most in each batch
set the PWM's sharpness, and ``beta_f`` alone sets the scan's temperature.

Strand modes (:data:`STRAND_MODES`): ``forward`` scans the given strand; ``both`` also scans the
reverse strand with the reverse-complemented filters (shared weights) and keeps the two maps
apart (argminn: its syntax readout knows each instance's strand); ``both-max`` and ``both-sum``
combine them by max or sum at each position, so one filter covers a motif in both orientations.
Batch-norm statistics are shared by a filter's two strands.

Shapes: activations per strand (N, 4, L) -> (N, S, F, L - W + 1), S = 2 for the ``both*`` modes;
strand 1 at position ``i`` scores the reverse complement of the window starting at ``i``.
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .layers import make_activation

#: how a scanner reads the strands: the given one only, both kept apart, or both combined by max or sum
STRAND_MODES = ("forward", "both", "both-max", "both-sum")
#: earlier spellings of the strand modes, still accepted (configs and format-1 checkpoints use them)
STRAND_ALIASES = {"single": "forward", "max": "both-max", "sum": "both-sum"}
#: parameterisations of the filters
FIRST_LAYERS = ("free", "pwm")
#: where batch norm sits: before the nonlinearity (a learned firing threshold), after it, or nowhere
NORMS = ("pre", "post", "none")


def strand_mode(strands: str, allowed=STRAND_MODES) -> str:
    """The canonical strand mode of ``strands`` (aliases resolved); ``ValueError`` if not one of ``allowed``."""
    mode = STRAND_ALIASES.get(strands, strands)
    if mode not in allowed:
        raise ValueError(f"strands must be one of {', '.join(allowed)}, got {strands!r}")
    return mode


def reverse_complement_filters(weight: torch.Tensor) -> torch.Tensor:
    """(F, 4, W) filters -> the filters that score the reverse strand.

    In ACGT order the complement reverses the letter axis, so ``conv1d(x, reverse_complement_filters(w))[..., i]``
    scores the reverse complement of the window ``x[:, :, i:i + W]``.
    """
    return weight.flip(1, 2)


def fold_batch_norm(weight: torch.Tensor, bias: torch.Tensor | None,
                    bn: nn.BatchNorm1d) -> tuple[torch.Tensor, torch.Tensor]:
    """Weights (F, 4, W) and bias (F,) of ``bn(conv1d(x, weight, bias))`` in eval mode, as one convolution.

    Differentiable in the weights and the batch-norm affine (running statistics are constants).
    """
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    bias = bias if bias is not None else torch.zeros_like(bn.running_mean)
    return weight * scale[:, None, None], (bias - bn.running_mean) * scale + bn.bias


def combine_strands(stranded: torch.Tensor, mode: str) -> torch.Tensor:
    """(N, S, F, L') activations per strand -> (N, F, L'): the forward strand, or max or sum over both."""
    mode = strand_mode(mode)
    if mode == "forward" or stranded.shape[1] == 1:
        return stranded[:, 0]
    if mode == "both-max":
        return stranded.amax(dim=1)
    if mode == "both-sum":
        return stranded.sum(dim=1)
    raise ValueError("strands='both' keeps the strands apart; there is no combined map")


class Scanner(nn.Module):
    """Motif scanner: convolution of one or both strands, optional batch norm, nonlinearity.

    Parameters
    ----------
    n_filters, filter_width : int
        F and W.
    activation : str
        Nonlinearity (:func:`~motifzoo.models.layers.make_activation`): ``exp`` makes a filter a
        likelihood ratio, ``relu`` etc.
    strands : {"forward", "both", "both-max", "both-sum"}
        See the module docstring (``single``, ``max``, ``sum`` are accepted for the first, third, fourth).
    first_layer : {"free", "pwm"}
        Unconstrained filters, or PWMs by construction (needs ``norm="none"``).
    norm : {"pre", "post", "none"}
        Batch norm before the nonlinearity (conv -> BN -> activation), after it (conv -> activation
        -> BN: the activations are the motif activations, the normalised ones feed the next layer),
        or none.
    bias : bool, optional
        Whether free filters have a bias; default: unless batch norm precedes the nonlinearity.
    init_std : float, optional
        Normal initialisation of free filters (bias zeroed); ``None``: PyTorch's default. Small
        weights keep ``exp`` in its stable range at the start of training (Koo & Ploenzke 2021).
    background : sequence of 4 floats, optional
        PWM filters: background letter frequencies ``q`` (ACGT), normalised to sum to 1. ``None``:
        uniform until the first training batch, then that batch's letter frequencies (made
        strand-symmetric), kept in the state dict. Against a uniform ``q`` in a GC-rich genome
        every GC-rich window scores as a weak site, and the site likelihood then sharpens filters
        toward the background composition instead of motifs.
    offset : bool
        PWM filters: learn a per-filter offset (a firing threshold); otherwise it stays 0.
    init_beta, init_offset, pwm_init_std : float
        PWM filters: initial scale ``beta_f`` (> 0, stored as its log), offset, and the standard
        deviation of the logits ``theta`` (small: every filter starts near the background).
    learn_beta : bool
        PWM filters: learn ``beta_f``; otherwise it stays at ``init_beta``.
    lr_scale : float
        PWM filters: ``theta``, ``log beta`` and the offset are stored divided by this, so Adam's
        steps on them are this many times larger (sharp PWMs need logits of several units).
    site_weight, site_threshold : float
        PWM filters: weight of the site likelihood (:meth:`site_nll`) returned by
        :meth:`regularization` (0: task loss alone), and the fraction of a filter's batch maximum a
        sequence's best window must reach to count as a site.

    Shapes: :meth:`scan` (N, 4, L) -> two (N, S, F, L') maps; :meth:`forward` (N, 4, L) ->
    (N, F, L') (or (N, 2, F, L') for ``strands="both"``), L' = L - W + 1.
    """

    def __init__(self, n_filters: int, filter_width: int, activation: str = "exp", strands: str = "forward",
                 first_layer: str = "free", norm: str = "pre", bias: bool | None = None,
                 init_std: float | None = None, *, background=None, offset: bool = True, init_beta: float = 0.2,
                 init_offset: float = 0.0, pwm_init_std: float = 0.1, learn_beta: bool = True,
                 lr_scale: float = 10.0, site_weight: float = 0.1, site_threshold: float = 0.5):
        super().__init__()
        self.strands = strand_mode(strands)
        self.n_strands = 1 if self.strands == "forward" else 2
        if first_layer not in FIRST_LAYERS:
            raise ValueError(f"first_layer must be one of {', '.join(FIRST_LAYERS)}, got {first_layer!r}")
        if norm not in NORMS:
            raise ValueError(f"norm must be one of {', '.join(NORMS)}, got {norm!r}")
        if first_layer == "pwm" and norm != "none":
            raise ValueError("PWM filters are scanned without batch norm (norm='none')")
        self.n_filters, self.filter_width = n_filters, filter_width
        self.first_layer, self.norm = first_layer, norm
        self.activation_name = activation
        if first_layer == "free":
            self.conv = nn.Conv1d(4, n_filters, filter_width, bias=norm != "pre" if bias is None else bias)
        else:
            self._init_pwm(n_filters, filter_width, background, offset, init_beta, init_offset, pwm_init_std,
                           learn_beta, lr_scale, site_weight, site_threshold)
        self.bn = nn.BatchNorm1d(n_filters) if norm != "none" else None
        self.act = make_activation(activation)
        if first_layer == "free" and init_std is not None:
            nn.init.normal_(self.conv.weight, std=init_std)
            if self.conv.bias is not None:
                nn.init.zeros_(self.conv.bias)
        self._site_loss: torch.Tensor | float = 0.0

    # ---------------------------------------------------------------- the linear scan
    def linear(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Filters (F, 4, W) and bias (F,) or None of the forward-strand scan, before any batch norm; differentiable."""
        if self.first_layer == "free":
            return self.conv.weight, self.conv.bias
        log_p = torch.log_softmax(self.logits(), dim=1)
        weight = self.log_beta().exp()[:, None, None] * (log_p - self.log_background[None, :, None])
        return weight, self.offset()

    def scores(self, x: torch.Tensor) -> torch.Tensor:
        """Linear scan of the scanned strands: (N, 4, L) -> (N, S, F, L')."""
        weight, bias = self.linear()
        if self.n_strands == 2:
            weight = torch.cat([weight, reverse_complement_filters(weight)], 0)
            bias = bias.repeat(2) if bias is not None else None
        z = F.conv1d(x, weight, bias)
        return z.view(len(x), self.n_strands, -1, z.shape[-1])

    def _batch_norm(self, z: torch.Tensor) -> torch.Tensor:
        """Batch norm of (N, S, F, L') maps; strands stacked along the batch so both share a filter's statistics."""
        n, s, f, length = z.shape
        return self.bn(z.reshape(n * s, f, length)).view(n, s, f, length)

    def preactivation(self, x: torch.Tensor) -> torch.Tensor:
        """What the nonlinearity sees per strand: (N, 4, L) -> (N, S, F, L')."""
        z = self.scores(x)
        return self._batch_norm(z) if self.norm == "pre" else z

    def folded(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Forward-strand weights (F, 4, W) and bias (F,) of :meth:`preactivation`, batch norm folded in (eval), detached.

        ``preactivation(x)[:, 0]`` in eval mode equals ``conv1d(x, weight, bias)``.
        """
        weight, bias = self.linear()
        if self.norm == "pre":
            weight, bias = fold_batch_norm(weight, bias, self.bn)
        elif bias is None:
            bias = torch.zeros(weight.shape[0], device=weight.device, dtype=weight.dtype)
        return weight.detach().clone(), bias.detach().clone()

    # ---------------------------------------------------------------- activations
    def scan(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Motif activations and next-layer inputs per strand, both (N, 4, L) -> (N, S, F, L').

        The two are the same tensor unless batch norm follows the nonlinearity (``norm="post"``).
        In training, PWM filters also fit the background (first batch) and record the site
        likelihood for :meth:`regularization`.
        """
        if self.first_layer == "pwm" and self.training and not bool(self.background_fixed):
            self.fit_background(x)
        acts = self.act(self.preactivation(x))
        out = self.next_layer_input(acts)
        if self.first_layer == "pwm":
            # replaced on every pass (0 in eval) so regularization() never returns a stale batch's term
            self._site_loss = (self.site_weight * self.site_nll(x, acts.detach())
                               if self.training and self.site_weight > 0 else 0.0)
        return acts, out

    def next_layer_input(self, acts: torch.Tensor) -> torch.Tensor:
        """What the next layer reads from motif activations (N, S, F, L'): batch-normalised for ``norm="post"``."""
        return self._batch_norm(acts) if self.norm == "post" else acts

    def stranded(self, x: torch.Tensor) -> torch.Tensor:
        """Motif activations per strand, (N, 4, L) -> (N, S, F, L')."""
        return self.scan(x)[0]

    def combine(self, stranded: torch.Tensor) -> torch.Tensor:
        """(N, S, F, L') -> (N, F, L') by the strand mode (:func:`combine_strands`)."""
        return combine_strands(stranded, self.strands)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Next-layer inputs: (N, 4, L) -> (N, F, L'), or (N, 2, F, L') with ``strands="both"``."""
        out = self.scan(x)[1]
        return out if self.strands == "both" else self.combine(out)

    def regularization(self) -> torch.Tensor | float:
        """The site-likelihood term of the last training pass of PWM filters (returned once); 0 otherwise."""
        loss, self._site_loss = self._site_loss, 0.0
        return loss

    # ---------------------------------------------------------------- PWM parameterisation
    def _init_pwm(self, n_filters, filter_width, background, offset, init_beta, init_offset, init_std, learn_beta,
                  lr_scale, site_weight, site_threshold) -> None:
        q = torch.as_tensor(np.asarray(background if background is not None else [0.25] * 4, dtype=np.float64))
        if q.shape != (4,) or not bool((q > 0).all()):
            raise ValueError(f"background must be 4 positive letter frequencies (ACGT), got {list(background)}")
        if init_beta <= 0:
            raise ValueError(f"init_beta must be > 0, got {init_beta}")
        if lr_scale <= 0:
            raise ValueError(f"lr_scale must be > 0, got {lr_scale}")
        if site_weight < 0 or not 0 <= site_threshold < 1:
            raise ValueError(f"site_weight must be >= 0 and site_threshold in [0, 1), got {site_weight}, {site_threshold}")
        self.lr_scale = float(lr_scale)
        self.raw_logits = nn.Parameter(torch.randn(n_filters, 4, filter_width) * (init_std / self.lr_scale))
        self.raw_log_beta = nn.Parameter(torch.full((n_filters,), math.log(init_beta) / self.lr_scale),
                                         requires_grad=learn_beta)
        self.raw_offset = nn.Parameter(torch.full((n_filters,), init_offset / self.lr_scale), requires_grad=offset)
        self.register_buffer("log_background", torch.log(q / q.sum()).float())
        # whether q is settled: given, or estimated from a training batch (saved with the weights)
        self.register_buffer("background_fixed", torch.tensor(background is not None))
        self.site_weight, self.site_threshold = float(site_weight), float(site_threshold)
        self.site_pseudocount = 1.0

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

    def pwms(self) -> np.ndarray | None:
        """PWM filters: ``softmax(theta_f)`` per column exactly, float64 (F, W, 4), rows sum to 1; free: None."""
        if self.first_layer != "pwm":
            return None
        return torch.softmax(self.logits().detach().double(), dim=1).permute(0, 2, 1).cpu().numpy()

    def fit_background(self, x: torch.Tensor) -> None:
        """Set ``q`` to the strand-symmetric letter frequencies of the one-hot batch ``x`` (N, 4, L)."""
        freq = x.detach().float().mean(dim=(0, 2))
        freq = (freq + freq.flip(0)).clamp_min(1e-3)  # ACGT: flip pairs A with T and C with G
        self.log_background.copy_(torch.log(freq / freq.sum()))
        self.background_fixed.fill_(True)

    def site_counts(self, x: torch.Tensor, stranded: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Letter counts of each filter's sites in a batch: its best window per sequence, where that window's
        activation reaches ``site_threshold`` x the filter's batch maximum and no other filter with an overlapping
        best window fires closer to its own maximum (reverse-strand sites reverse-complemented).

        Parameters
        ----------
        x : (N, 4, L) one-hot
        stranded : (N, S, F, L') activations per strand (:meth:`stranded`)

        Returns
        -------
        counts : (F, 4, W)
        n_sites : (F,)
        """
        n, s, f, length = stranded.shape
        width = self.filter_width
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


class ScannerModel:
    """Mixin for :class:`~motifzoo.models.base.MotifModel` subclasses whose first layer is ``self.scanner``
    (a :class:`Scanner`): the first-layer part of the interface, defined once.

    List it before ``MotifModel`` in the bases.
    """

    scanner: Scanner

    @property
    def motif_strand_aware(self) -> bool:
        return self.scanner.n_strands == 2

    @property
    def motif_activation(self) -> str:
        return self.scanner.activation_name

    def motif_filters(self) -> torch.Tensor:
        return self.scanner.folded()[0]

    def motif_bias(self) -> torch.Tensor:
        return self.scanner.folded()[1]

    def stranded_activations(self, x: torch.Tensor) -> torch.Tensor:
        return self.scanner.stranded(x)

    def motif_activations(self, x: torch.Tensor) -> torch.Tensor:
        # the map the next layer reads: strands combined when the scanner combines them, else the forward strand
        stranded = self.stranded_activations(x)
        return stranded[:, 0] if self.scanner.strands == "both" else self.scanner.combine(stranded)

    def motif_pwms(self):
        return self.scanner.pwms()

    def regularization(self, epoch: int) -> torch.Tensor | float:
        return self.scanner.regularization()
