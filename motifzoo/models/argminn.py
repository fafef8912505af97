"""ARGMINN-like models: motif scanners made motif-like by penalties, and two syntax readers.

After Tseng, Eraslan, Biancalani & Scalia 2024 ("ARGMINN: a mechanistically
interpretable neural network for regulatory genomics", arXiv:2410.06211); written
from the paper's description, with these differences:

* **Both strands.** Each filter scans both strands with shared weights (``strands="both"``),
  giving separate forward and reverse activation maps, so the syntax readout knows
  each motif instance's strand and ``++``, ``+-``, ``-+``, ``--`` are distinct rules.
* **Scale-free penalties.** Batch norm makes the network invariant to the scale of
  each filter, so a plain L1 penalty would only shrink every filter uniformly.
  The L1 term here is each filter's L1 norm over its L2 norm (small when the weight
  sits on few bases), and the overlap term compares the fraction of each filter's
  weight that lands on the same sequence positions (each pair of filters normalised
  by their total weight), with activations scaled by their batch maximum.
* **Proper keys.** The syntax builder's attention logits are ``query . key`` with a
  learned key projection (the original used ``query . value``).
* **Several targets.** The head maps the stream to any number of outputs (binary
  multi-label logits or regression values).
* **Relative-position bias (optional).** Layers after the first can add a learned bias
  for the offset between each token and where the previous layer attended
  (``relative_range``; :func:`relative_position_bias`), so relative spacing need not be
  decoded from sinusoidal encodings through the stream.

:class:`ArgminnPairwise` (``argminn_pairwise``) replaces the attention stack by a
pairwise interaction head whose weights ``K[t, a, b, d]`` *are* the syntax rules.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .base import MotifModel
from .registry import register_model
from .scanner import Scanner, ScannerModel, strand_mode


# --------------------------------------------------------------------------------------------
# schedules and penalties
# --------------------------------------------------------------------------------------------
def schedule_weight(epoch: int, weight: float, burn_in: int, ramp: int, start_fraction: float = 1e-3) -> float:
    """Weight of a penalty at ``epoch``: zero for ``burn_in`` epochs, then a log-linear ramp, then a plateau.

    During the ``ramp`` epochs after the burn-in the weight grows geometrically from
    ``start_fraction * weight`` to ``weight``; from epoch ``burn_in + ramp`` on it is ``weight``.
    """
    if weight == 0 or epoch < burn_in:
        return 0.0
    if ramp <= 0 or epoch >= burn_in + ramp:
        return float(weight)
    progress = (epoch - burn_in) / ramp
    return float(weight * start_fraction ** (1.0 - progress))


def filter_sparsity_penalty(weights: torch.Tensor) -> torch.Tensor:
    """Scale-free L1 penalty: mean over filters of ``||w||_1 / (||w||_2 sqrt(4 W))``, in (0, 1].

    (F, 4, W) -> scalar. A filter with weight on one base of one column scores ``1 / sqrt(4W)``;
    a dense random filter about 0.8.
    """
    flat = weights.reshape(weights.shape[0], -1)
    l1 = flat.abs().sum(1)
    l2 = flat.norm(dim=1).clamp_min(1e-8)
    return (l1 / (l2 * math.sqrt(flat.shape[1]))).mean()


def channel_profiles(weights: torch.Tensor, n_strands: int) -> torch.Tensor:
    """Absolute weight per column of every scanning channel: (F, 4, W) -> (S * F, W).

    Channel ``s * F + f`` is filter f on strand s (0 forward, 1 reverse: columns reversed).
    """
    profile = weights.abs().sum(1)
    return profile if n_strands == 1 else torch.cat([profile, profile.flip(1)], 0)


def overlap_matrix(profiles: torch.Tensor) -> torch.Tensor:
    """Fraction of two channels' weight that falls on the same bases, per relative offset.

    Parameters
    ----------
    profiles : (C, W)
        Absolute weight per column of each channel.

    Returns
    -------
    (C, C, 2W - 1) tensor
        ``O[a, b, k]`` with ``d = k - (W - 1)``: channel a at window i and channel b at window
        ``i + d`` put ``sum_c P_a[c + d] P_b[c] / (sum P_a * sum P_b)`` on shared positions.
    """
    n_channels, width = profiles.shape
    # cross-correlation of every pair of profiles: out[a, b, k] = sum_j P_b[j] P_a[j + k - (W - 1)]
    raw = F.conv1d(profiles[:, None, :], profiles[:, None, :], padding=width - 1)
    mass = profiles.sum(1).clamp_min(1e-8)
    return raw / (mass[:, None, None] * mass[None, :, None])


def _fft_size(n: int) -> int:
    """The smallest 5-smooth number (2^a 3^b 5^c) >= n: FFT lengths that pocketfft handles fastest."""
    best = 1 << (n - 1).bit_length()
    p2 = 1
    while p2 < best:
        p3 = p2
        while p3 < best:
            p5 = p3
            while p5 < best:
                if p5 >= n:
                    best = p5
                p5 *= 5
            p3 *= 3
        p2 *= 2
    return best


def _real_block(spec: torch.Tensor) -> torch.Tensor:
    """Complex (N, C, f) -> real (f, N, 2C) with each channel's (real, imaginary) parts side by side.

    One transpose of complex elements (8-byte moves; splitting real and imaginary parts into separate column
    blocks took three times as long at 500 bp), then a free real view."""
    n, channels, freqs = spec.shape
    return torch.view_as_real(spec.permute(2, 0, 1).contiguous()).view(freqs, n, 2 * channels)


def _block_matrix(b: torch.Tensor) -> torch.Tensor:
    """Complex (f, k, p) -> real (f, 2k, 2p) with ``a_block @ result`` = the block of ``a @ b`` for ``a_block`` as
    :func:`_real_block` lays it out (each entry's real and imaginary parts side by side): a real view of the
    complex product (complex ``bmm`` on CPU copies every batch)."""
    f, k, p = b.shape
    from_real, from_imag = torch.stack([b.real, b.imag], -1), torch.stack([-b.imag, b.real], -1)  # (f, k, p, 2)
    return torch.stack([from_real, from_imag], 2).reshape(f, 2 * k, 2 * p)


class _FFTConv1d(torch.autograd.Function):
    """:func:`fft_conv1d` with its gradients computed by FFT too (correlations of the output gradient with the
    saved input and kernel spectra): autograd through ``rfft`` pads every gradient to a full complex spectrum.
    Spectra are kept as real blocks (:func:`_real_block`) so every sum over channels or sequences is one real
    batched matrix product per frequency."""

    @staticmethod
    def forward(ctx, x, weight, padding):
        n, channels, length = x.shape
        out_channels, width = weight.shape[0], weight.shape[-1]
        if not 0 <= padding < width:
            raise ValueError(f"fft_conv1d needs 0 <= padding < kernel width {width}, got {padding}")
        # The full linear convolution z = x * h has L + K - 1 entries, but only z[start : L + P] is kept: a
        # transform of L + P points wraps only entries that are dropped (and the gradients' correlations wrap
        # only zeros), so it can be K - 1 - P points shorter than a full convolution's (at least K: all of h).
        size = _fft_size(max(length + padding, width))
        x_block = _real_block(torch.fft.rfft(x, size))  # (f, N, 2C)
        spec_h = torch.fft.rfft(weight.flip(-1), size).permute(2, 1, 0)  # (f, C, O): the flipped kernel h
        product = torch.view_as_complex(torch.bmm(x_block, _block_matrix(spec_h)).view(-1, n, out_channels, 2))
        out = torch.fft.irfft(product.permute(1, 2, 0), size)  # (N, O, size): z, circularly
        start, out_length = width - 1 - padding, length + 2 * padding - width + 1
        ctx.save_for_backward(x_block, spec_h)
        ctx.shape = (length, width, size, start, out_length)
        return out[..., start:start + out_length]

    @staticmethod
    def backward(ctx, grad):
        x_block, spec_h = ctx.saved_tensors
        length, width, size, start, out_length = ctx.shape
        freqs, n, channels = x_block.shape[0], x_block.shape[1], x_block.shape[2] // 2
        out_channels = spec_h.shape[-1]
        # y = z[start:start + out_length]; with g = dL/dz (zero elsewhere):
        # dL/dx[j] = sum_m g[j + m] h[m] and dL/dh[m] = sum_j g[j + m] x[j], i.e. G conj(H) and G conj(X)
        g_block = _real_block(torch.fft.rfft(F.pad(grad, (start, size - start - out_length)), size))  # (f, N, 2O)
        grad_x = grad_w = None
        if ctx.needs_input_grad[0]:
            spec = torch.bmm(g_block, _block_matrix(spec_h.transpose(1, 2).conj())).view(freqs, n, channels, 2)
            grad_x = torch.fft.irfft(torch.view_as_complex(spec).permute(1, 2, 0), size)[..., :length]
        if ctx.needs_input_grad[1]:
            # p[f, o, s, c, t] = sum_n G_s[n, o] X_t[n, c] (s, t: 0 real, 1 imaginary part), so
            # Re(G^T conj X) = Gr^T Xr + Gi^T Xi and Im = Gi^T Xr - Gr^T Xi
            p = torch.bmm(g_block.transpose(1, 2), x_block).view(freqs, out_channels, 2, channels, 2)
            spec = torch.complex(p[:, :, 0, :, 0] + p[:, :, 1, :, 1], p[:, :, 1, :, 0] - p[:, :, 0, :, 1])  # (f, O, C)
            grad_w = torch.fft.irfft(spec.permute(1, 2, 0), size)[..., :width].flip(-1)
        return grad_x, grad_w, None


def fft_conv1d(x: torch.Tensor, weight: torch.Tensor, padding: int) -> torch.Tensor:
    """``F.conv1d(x, weight, padding=padding)`` (a cross-correlation, zero padding) computed by FFT.

    (N, C, L), (O, C, K) -> (N, O, L + 2 padding - K + 1). The same up to float rounding; on CPU
    ~4x faster than ``conv1d`` for long kernels on few channels (the relative-position bias:
    K = 121) and ~1.5x for the overlap penalty (issue #15). The transform length is the first 5-smooth
    number >= L + K - 1 (no wrap-around); the sum over input channels of the complex products is one
    real batched matrix product per frequency (:func:`_block_matrix`), and the gradients are FFT
    correlations too (:class:`_FFTConv1d`; second derivatives are not supported).
    """
    return _FFTConv1d.apply(x, weight, padding)


def filter_overlap_penalty(weights: torch.Tensor, activations: torch.Tensor) -> torch.Tensor:
    """ARGMINN's filter-overlap penalty, without materialising B x L' x C x (2W - 1).

    At each position the most active channel (activations scaled by each channel's batch
    maximum) is the winner a; every channel b of another filter that fires at an offset
    ``|d| < W`` adds ``act_a(i) * act_b(i + d) * O[a, b, d]`` (:func:`overlap_matrix`). For every
    channel a, ``G_a(i) = sum_{b, d} O[a, b, d] act_b(i + d)`` is one ordinary convolution of the
    activations with the overlap matrix as its kernel (C -> C channels, width 2W - 1); the penalty
    is ``sum_{n, i} act_win(n, i) G_win(n, i)`` (the convolution by FFT, :func:`fft_conv1d`). Memory
    O(B L' C); ~3x faster on CPU than :func:`filter_overlap_penalty_cofire` (issue #15), the same value
    up to rounding.

    Parameters
    ----------
    weights : (F, 4, W)
        Filters (forward strand).
    activations : (N, S, F, L')
        Non-negative activations on S = 1 or 2 strands.

    Returns
    -------
    scalar tensor
        Penalty averaged over sequences and positions.
    """
    scaled, overlap = _overlap_inputs(weights, activations)
    n, _, length = scaled.shape
    win_value, winner = scaled.max(dim=1)  # (N, L')
    other = overlap.shape[-1] // 2  # W - 1
    reach = fft_conv1d(scaled, overlap, other)  # (N, C_a, L'): G_a(i)
    return (win_value * reach.gather(1, winner[:, None]).squeeze(1)).sum() / (n * length)


def _overlap_inputs(weights: torch.Tensor, activations: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Activations (N, S, F, L') -> (N, C, L') scaled by each channel's batch maximum, and the (C, C, 2W - 1)
    overlap matrix with pairs of channels of the same filter zeroed."""
    n, n_strands, n_filters, length = activations.shape
    channels = n_strands * n_filters
    acts = activations.reshape(n, channels, length)
    scale = acts.detach().amax(dim=(0, 2), keepdim=True).clamp_min(1e-6)
    filter_of = torch.arange(channels, device=acts.device) % n_filters
    other_filter = (filter_of[:, None] != filter_of[None, :]).to(acts.dtype)  # (C, C)
    overlap = overlap_matrix(channel_profiles(weights, n_strands)) * other_filter[:, :, None]
    return acts / scale, overlap


def filter_overlap_penalty_cofire(weights: torch.Tensor, activations: torch.Tensor) -> torch.Tensor:
    """:func:`filter_overlap_penalty` computed as before issue #15, as a table of co-firing totals (the
    reference the tests compare it with; ``argminn_pairwise`` used it until the twelfth round of #15).

    The co-firing totals ``sum_{n,i} win_a(n, i) act_b(n, i + d)`` for all a, b, d are one
    convolution with the batch as input channels. Shapes as :func:`filter_overlap_penalty`.
    """
    scaled, overlap = _overlap_inputs(weights, activations)
    n, channels, length = scaled.shape
    width = (overlap.shape[-1] + 1) // 2
    winner = scaled.argmax(dim=1, keepdim=True)  # (N, 1, L')
    winning = torch.zeros_like(scaled).scatter(1, winner, scaled.gather(1, winner))  # (N, C, L')
    # cofire[b, a, k] = sum_n sum_i winning[n, a, i] * scaled[n, b, i + k - (W - 1)] (zero outside the sequence)
    padded = F.pad(scaled, (width - 1, width - 1)).transpose(0, 1)  # (C, N, L' + 2W - 2)
    cofire = F.conv1d(padded, winning.transpose(0, 1)).transpose(0, 1)  # (C_a, C_b, 2W - 1)
    return (cofire * overlap).sum() / (n * length)


def attention_entropy(probs: torch.Tensor) -> torch.Tensor:
    """Mean entropy of attention distributions over positions, in units of log(L') (0 = one position, 1 = uniform).

    (N, layers, heads, L') -> scalar.
    """
    length = probs.shape[-1]
    ent = -(probs * torch.log(probs.clamp_min(1e-12))).sum(-1)
    return ent.mean() / math.log(length)


def relative_position_bias(previous: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """Attention-logit bias from where the previous layer attended, by relative offset.

    ``bias[n, h, i] = sum_{g, j} kernel[h, g, R + (i - j)] * previous[n, g, j]`` for
    ``|i - j| <= R``: when head g of the previous layer attends sharply to position j, head
    h of this layer adds ``kernel[h, g, R + d]`` to the logit of the token d positions
    downstream of j (d < 0: upstream). One convolution with the reversed kernel (zero outside
    the sequence), by FFT (:func:`fft_conv1d`); no loop over positions.

    Parameters
    ----------
    previous : (N, G, L')
        Attention probabilities of the previous layer's G heads.
    kernel : (H, G, 2R + 1)
        Bias per head of this layer, head of the previous layer and offset d = -R .. R.

    Returns
    -------
    (N, H, L') tensor
    """
    reach = (kernel.shape[-1] - 1) // 2
    return fft_conv1d(previous, kernel.flip(-1), reach)


def sinusoidal_encoding(length: int, dim: int) -> torch.Tensor:
    """(length, dim) sinusoidal positional encoding (Vaswani et al. 2017); ``dim`` even."""
    if dim % 2:
        raise ValueError(f"pos_dim must be even, got {dim}")
    position = torch.arange(length, dtype=torch.float32)[:, None]
    freq = torch.exp(-math.log(10000.0) * torch.arange(0, dim, 2, dtype=torch.float32) / dim)
    enc = torch.zeros(length, dim)
    enc[:, 0::2] = torch.sin(position * freq)
    enc[:, 1::2] = torch.cos(position * freq)
    return enc


# --------------------------------------------------------------------------------------------
# modules
# --------------------------------------------------------------------------------------------
def argminn_scanner(n_filters: int, filter_width: int, activation: str, strands: str, norm: str,
                    init_std: float | None = None) -> Scanner:
    """The argminn models' first layer: free filters, strands kept apart (``both``) or ``forward`` only.

    ``norm="post"``: conv -> activation -> batch norm (ARGMINN; the pre-norm activations are the motif
    activations, the normalised ones feed the next layer). ``pre``: conv -> batch norm -> activation (the
    batch-norm shift acts as a firing threshold). Filters start small for ``exp`` (PyTorch's default else)
    unless ``init_std`` is given.
    """
    if init_std is None and activation == "exp":
        init_std = 0.001
    return Scanner(n_filters, filter_width, activation, strand_mode(strands, ("forward", "both")), "free", norm=norm,
                   init_std=init_std)


class StreamCrossAttention(nn.Module):
    """One syntax-builder layer: a per-sequence stream vector queries the motif tokens.

    ``q = W_q stream``, ``k = W_k token``, ``v = W_v token`` per head; the attention
    probabilities are ``softmax(q . k / sqrt(d_head) + bias)`` over positions (with keys, unlike
    the original's ``q . v``; ``bias`` is an optional per-head logit offset, e.g. the
    relative-position bias of :class:`Argminn`). The attended values go through an output
    projection, LayerNorm, a feed-forward net to the stream width and a LayerNorm; the caller
    adds the result to the stream (residual).

    Shapes: tokens (N, L', D), stream (N, E), bias (N, H, L') or None -> update (N, E),
    probabilities (N, H, L').
    """

    def __init__(self, token_dim: int, stream_dim: int, n_heads: int, ff_dim: int, dropout: float = 0.0):
        super().__init__()
        if token_dim % n_heads:
            raise ValueError(f"hidden={token_dim} must be divisible by n_heads={n_heads}")
        self.n_heads, self.head_dim = n_heads, token_dim // n_heads
        self.query = nn.Linear(stream_dim, token_dim)
        self.key = nn.Linear(token_dim, token_dim)
        self.value = nn.Linear(token_dim, token_dim)
        self.out = nn.Linear(token_dim, token_dim)
        self.norm_attended = nn.LayerNorm(token_dim)
        self.ff = nn.Sequential(nn.Linear(token_dim, ff_dim), nn.ReLU(), nn.Dropout(dropout),
                                nn.Linear(ff_dim, stream_dim))
        self.norm_update = nn.LayerNorm(stream_dim)
        self.dropout = nn.Dropout(dropout)

    def forward(self, tokens: torch.Tensor | "FactoredTokens", stream: torch.Tensor,
                bias: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        if isinstance(tokens, FactoredTokens):
            n, length, dim = tokens.n, tokens.length, tokens.dim
        else:
            n, length, dim = tokens.shape
        heads, head_dim = self.n_heads, self.head_dim
        q = self.query(stream).view(n, heads, head_dim)
        # q . (W_k t + b_k) = (W_k^T q) . t + q . b_k, and W_v t + b_v averaged by the probabilities = W_v (the
        # probability-weighted token) + b_v: the key and value projections act on one vector per head instead of
        # every token (the same attention, ~8x fewer operations at 500 bp; issue #15). q . b_k is the same for
        # every position, so the softmax drops it.
        query_tokens = torch.einsum("nhd,hdc->nhc", q, self.key.weight.view(heads, head_dim, dim))
        if isinstance(tokens, FactoredTokens):
            logits = tokens.dot(query_tokens)
        else:
            logits = query_tokens @ tokens.transpose(1, 2)
        logits = logits / math.sqrt(head_dim)  # (N, H, L')
        if bias is not None:
            logits = logits + bias
        probs = torch.softmax(logits, dim=-1)
        pooled = tokens.pool(probs) if isinstance(tokens, FactoredTokens) else probs @ tokens  # (N, H, D)
        attended = (torch.einsum("nhc,hdc->nhd", pooled, self.value.weight.view(heads, head_dim, dim))
                    + self.value.bias.view(heads, head_dim)).reshape(n, -1)  # (N, H * d)
        attended = self.norm_attended(self.dropout(self.out(attended)))
        return self.norm_update(self.dropout(self.ff(attended))), probs


class FactoredTokens:
    """Tokens ``t[n, l] = sum_k maps_k[n, :, l] @ mixes_k^T + shared[l]`` that are never materialised (issue #15).

    Attention only uses the tokens linearly, through ``q . t[n, l]`` and ``sum_l p[n, l] t[n, l]``, so both are
    computed on the feature maps (channel-major, as the scanner and the pair context produce them) and the
    (N, L', D) token tensor, its projection and its gradient are never built: the same values up to float
    rounding, ~25 % less time per training step at 500 bp.

    maps: (N, C_k, L') tensors; mixes: (D, C_k) matrices; shared: (L', D) (the projected position encoding + bias).
    """

    def __init__(self, maps: list[torch.Tensor], mixes: list[torch.Tensor], shared: torch.Tensor):
        self.maps, self.mixes, self.shared = maps, mixes, shared
        self.n, self.length = maps[0].shape[0], maps[0].shape[-1]
        self.dim = shared.shape[-1]

    def dot(self, queries: torch.Tensor) -> torch.Tensor:
        """(N, H, D) -> (N, H, L'): ``queries . t``."""
        out = queries @ self.shared.T
        for m, w in zip(self.maps, self.mixes):
            out = out + (queries @ w) @ m
        return out

    def pool(self, probs: torch.Tensor) -> torch.Tensor:
        """(N, H, L') -> (N, H, D): ``sum_l probs[.., l] t[n, l]``."""
        out = probs @ self.shared
        for m, w in zip(self.maps, self.mixes):
            out = out + (probs @ m.transpose(1, 2)) @ w.T
        return out

    def materialise(self) -> torch.Tensor:
        """(N, L', D) tokens (for tests)."""
        out = self.shared.expand(self.n, -1, -1)
        for m, w in zip(self.maps, self.mixes):
            out = out + m.transpose(1, 2) @ w.T
        return out


class _PenalisedScannerModel(ScannerModel, MotifModel):
    """The argminn models' shared part: a :class:`~motifzoo.models.scanner.Scanner` first layer (interface
    methods from :class:`~motifzoo.models.scanner.ScannerModel`) and the filter penalties on it."""

    def _init_penalties(self, l1_weight, l1_burn_in, l1_ramp, overlap_weight, overlap_burn_in, overlap_ramp,
                        ramp_start) -> None:
        for name, v in (("l1_weight", l1_weight), ("overlap_weight", overlap_weight), ("ramp_start", ramp_start)):
            if v < 0:
                raise ValueError(f"{name} must be >= 0, got {v}")
        self.l1_schedule = (l1_weight, l1_burn_in, l1_ramp)
        self.overlap_schedule = (overlap_weight, overlap_burn_in, overlap_ramp)
        self.ramp_start = ramp_start
        self.overlap_batch = 0  # 0: the overlap penalty sees the whole batch (set by the constructors)
        self._cache: dict[str, torch.Tensor] = {}

    def _schedules(self) -> list[tuple[float, int, int]]:
        """(weight, burn-in, ramp) of every penalty schedule of the model."""
        return [self.l1_schedule, self.overlap_schedule]

    def warmup_epochs(self) -> int:
        """The epoch from which every penalty with a non-zero weight is at full weight (burn-in + ramp)."""
        return max((burn_in + max(ramp, 0) for weight, burn_in, ramp in self._schedules() if weight > 0), default=0)

    def _filter_penalties(self, epoch: int) -> torch.Tensor | float:
        acts = self._cache.get("activations")
        total: torch.Tensor | float = 0.0
        w_l1 = schedule_weight(epoch, *self.l1_schedule, self.ramp_start)
        if w_l1 > 0:
            total = total + w_l1 * filter_sparsity_penalty(self.scanner.conv.weight)
        w_overlap = schedule_weight(epoch, *self.overlap_schedule, self.ramp_start)
        if w_overlap > 0 and acts is not None:
            if 0 < self.overlap_batch < len(acts):  # batches are shuffled: the first k are a random subset
                acts = acts[:self.overlap_batch]
            total = total + w_overlap * filter_overlap_penalty(self.scanner.conv.weight, acts)
        return total


# --------------------------------------------------------------------------------------------
# models
# --------------------------------------------------------------------------------------------
@register_model("argminn")
class Argminn(_PenalisedScannerModel):
    """ARGMINN-like: motif scanner -> positional encoding -> stream cross-attention -> targets.

    Parameters
    ----------
    n_targets, input_length : int
        Outputs T and sequence length L.
    n_filters, filter_width : int
        Motif scanners F and their width W.
    activation : str
        Scanner nonlinearity (``relu`` as in ARGMINN, or ``exp``).
    strands : {"both", "forward"}
        ``both``: scan both strands with shared weights, kept apart; tokens then carry 2F features
        (F per strand).
    pos_dim : int
        Width of the sinusoidal positional encoding concatenated to each token (even).
    hidden : int
        Width the shared projection maps tokens (+ encoding) to; divisible by ``n_heads``.
    stream_dim : int
        Width of the per-sequence stream vector.
    n_layers, n_heads : int
        Cross-attention layers and heads per layer.
    dropout : float
        Dropout in the attention layers.
    relative_range : int
        Largest offset R (in positions = bp) of the learned relative-position bias (0 = off). Every
        layer after the first adds to its attention logits a learned bias ``kernel[h, g, R + d]``
        for the token d bp from where head g of the previous layer attended
        (:func:`relative_position_bias`), so "NFYA 20 bp downstream of the FOXA1 that layer 1
        found" is one learned number per offset instead of a rotation of sinusoidal encodings
        that the stream would have to carry. Zero-initialised: the model starts as without it.
    relative_scale : float
        Multiplier of the stored relative-bias kernel (the bias is ``relative_scale * kernel``):
        with Adam each stored entry moves about ``lr`` per step, so this sets how fast the bias
        can grow relative to the other weights (a reparametrisation; 1 = plain).
    l1_weight, l1_burn_in, l1_ramp : float, int, int
        Filter sparsity penalty (:func:`filter_sparsity_penalty`) and its schedule (:func:`schedule_weight`).
    overlap_weight, overlap_burn_in, overlap_ramp : float, int, int
        Filter-overlap penalty (:func:`filter_overlap_penalty`) and its schedule.
    entropy_weight, entropy_burn_in, entropy_ramp : float, int, int
        Optional attention-entropy penalty (:func:`attention_entropy`; 0 = off) and its schedule.
    ramp_start : float
        Fraction of the full weight at the start of each log-linear ramp.
    scanner_norm : {"post", "pre"}
        ``post`` (default, ARGMINN): conv -> activation -> batch norm. ``pre``: conv -> batch norm ->
        activation, with the batch-norm shift starting at -1 (a firing threshold, as ``argminn_pairwise``).
    motif_skip : bool
        Add a linear map of each filter's strongest normalised instance (max over positions and
        strands) to the outputs, so the scanner gets a direct gradient (issue #15). Off by default
        so that earlier checkpoints load unchanged.
    overlap_batch : int
        Compute the overlap penalty on the first ``overlap_batch`` sequences of each (shuffled) batch
        only (0 = all): a stochastic estimate (activations scaled by the subset's maximum) at a fraction
        of the cost; on the full batch the penalty is over half of a training step at 500 bp (issue #15).
    scanner_init_std : float, optional
        Normal initialisation of the scanner's filters (``None``: PyTorch's default, or 0.001 for ``exp``).
        With batch norm the scan is invariant to the filters' scale, so Adam's fixed-size steps change
        small filters much faster: 0.01 turned a scanner that took ~10 epochs to form motifs into one
        that forms them in 1-2 (issue #15; as the exp CNN's 0.001).
    pair_range, pair_channels : int
        Motif-pair context (``pair_range`` 0 = off): every token also gets ``pair_channels`` learned linear
        maps of the motif activations within +-``pair_range`` bp of its position (``pair_context[p, channel,
        offset]``, zero-initialised; one FFT convolution), projected to the token width, so "motif b at
        exactly d bp from this motif a" is a feature of a's token that attention can select in one step,
        instead of needing a sharp first layer for the relative bias to act on (issue #15). Instance calls
        count the positions an attended token reads this way as attended (:meth:`position_attention`).
    pair_skip : bool
        Add a linear map of each pair-context map's strongest value (max over positions) to the outputs (needs
        ``pair_range > 0``; off by default so that earlier checkpoints load unchanged). It is to the pair
        context what ``motif_skip`` is to the scanner: the context kernel gets a CNN-like gradient, so "b at d bp
        from a" forms without waiting for the attention stack to escape from motif presence, which it did on
        some seeds only (#15, ``benchmarks/syntax.md``, seventh round). The rules are still read from the
        model's outputs over data, whichever path carries them.

    Relative spacing: with one query per layer, a sinusoidal encoding alone leaves "motif B d bp
    from the motif layer 1 found" to a rotation the stream must carry from layer to layer; the
    relative bias (``relative_range > 0``, as in ``configs/argminn.yaml``) learns it directly.
    Layer 1's query does not depend on the sequence (the stream starts as a learned constant), so
    layer 1 finds motifs by content and later layers by content and offset. Filter penalties from
    the start slow the attention stack, hence the burn-in (as ARGMINN's warm-up). Checkpoints keep
    the arguments they were trained with, whatever the defaults become (format-1 checkpoints: the
    relative bias off). Measured effects of these choices, per preset and seed: ``benchmarks/syntax.md``.

    Shapes: (N, 4, L) -> (N, T). ``forward(x, return_attention=True)`` also returns the
    attention probabilities (N, n_layers, n_heads, L'), L' = L - W + 1.
    """

    has_position_attention = True

    def __init__(self, n_targets: int, input_length: int, n_filters: int = 8, filter_width: int = 15,
                 activation: str = "relu", strands: str = "both", pos_dim: int = 16, hidden: int = 32,
                 stream_dim: int = 128, n_layers: int = 2, n_heads: int = 4, dropout: float = 0.0,
                 relative_range: int = 0, relative_scale: float = 1.0,
                 l1_weight: float = 0.01, l1_burn_in: int = 10, l1_ramp: int = 5,
                 overlap_weight: float = 0.1, overlap_burn_in: int = 10, overlap_ramp: int = 5,
                 entropy_weight: float = 0.0, entropy_burn_in: int = 10, entropy_ramp: int = 5,
                 ramp_start: float = 1e-3, scanner_norm: str = "post", motif_skip: bool = False,
                 overlap_batch: int = 0, scanner_init_std: float | None = None, pair_range: int = 0,
                 pair_channels: int = 8, pair_skip: bool = False):
        super().__init__()
        if input_length < filter_width:
            raise ValueError(f"input_length={input_length} is shorter than filter_width={filter_width}")
        for name, v in (("n_layers", n_layers), ("n_heads", n_heads), ("n_filters", n_filters)):
            if v < 1:
                raise ValueError(f"{name} must be >= 1, got {v}")
        if entropy_weight < 0:
            raise ValueError(f"entropy_weight must be >= 0, got {entropy_weight}")
        if relative_range < 0 or pair_range < 0:
            raise ValueError(f"relative_range and pair_range must be >= 0, got {relative_range}, {pair_range}")
        self.scanner = argminn_scanner(n_filters, filter_width, activation, strands, scanner_norm, scanner_init_std)
        if scanner_norm == "pre":  # a firing threshold from the start, as argminn_pairwise
            nn.init.constant_(self.scanner.bn.bias, -1.0)
        # issue #15: a direct path from each filter's strongest instance to the outputs (off by default)
        self.motif_skip = nn.Linear(n_filters, n_targets) if motif_skip else None
        n_tokens = input_length - filter_width + 1
        self.register_buffer("position_encoding", sinusoidal_encoding(n_tokens, pos_dim), persistent=False)
        self.project = nn.Linear(self.scanner.n_strands * n_filters + pos_dim, hidden)
        # issue #15: each token also sees the motif activations within +-pair_range bp (off by default)
        self.pair_context = self.pair_project = None
        if pair_range > 0:
            self.pair_context = nn.Parameter(torch.zeros(pair_channels, self.scanner.n_strands * n_filters,
                                                         2 * pair_range + 1))
            self.pair_project = nn.Linear(pair_channels, hidden, bias=False)
        if pair_skip and pair_range == 0:
            raise ValueError("pair_skip needs the motif-pair context (pair_range > 0)")
        # each pair map's strongest value also feeds the outputs directly (as motif_skip for single motifs)
        self.pair_skip = nn.Linear(pair_channels, n_targets) if pair_skip else None
        self.stream_init = nn.Parameter(torch.randn(stream_dim) * 0.1)
        self.layers = nn.ModuleList(StreamCrossAttention(hidden, stream_dim, n_heads, hidden, dropout)
                                    for _ in range(n_layers))
        self.final_norm = nn.LayerNorm(stream_dim)
        self.head = nn.Linear(stream_dim, n_targets)
        self.relative_scale = relative_scale
        # one (H, H, 2R + 1) kernel per layer after the first
        self.relative = nn.ParameterList(
            nn.Parameter(torch.zeros(n_heads, n_heads, 2 * relative_range + 1))
            for _ in range(n_layers - 1 if relative_range > 0 else 0))
        self._init_penalties(l1_weight, l1_burn_in, l1_ramp, overlap_weight, overlap_burn_in, overlap_ramp,
                             ramp_start)
        self.overlap_batch = overlap_batch
        self.entropy_schedule = (entropy_weight, entropy_burn_in, entropy_ramp)

    def forward(self, x: torch.Tensor, return_attention: bool = False):
        return self._forward_maps(*self.scanner.scan(x), return_attention)

    def forward_from_activations(self, stranded: torch.Tensor) -> torch.Tensor:
        return self._forward_maps(stranded, self.scanner.next_layer_input(stranded))

    def _forward_maps(self, acts: torch.Tensor, normed: torch.Tensor, return_attention: bool = False):
        """The network after the scanner, from its activations and next-layer inputs, both (N, S, F, L')."""
        n, s, f, length = normed.shape
        if length != self.position_encoding.shape[0]:
            width = self.scanner.filter_width
            raise ValueError(f"argminn was built for {self.position_encoding.shape[0] + width - 1} bp "
                             f"inputs, got {length + width - 1} bp")
        # project([token, encoding]) as W_token token + (W_encoding encoding + b) (+ W_pair context): the encoding
        # part once per pass, the rest never materialised (FactoredTokens)
        weight, channels = self.project.weight, s * f
        maps = [normed.reshape(n, channels, length)]
        mixes = [weight[:, :channels]]
        if self.pair_context is not None:
            reach = (self.pair_context.shape[-1] - 1) // 2
            pair_maps = fft_conv1d(maps[0], self.pair_context, reach)  # (N, P, L')
            maps.append(pair_maps)
            mixes.append(self.pair_project.weight)
        tokens = FactoredTokens(maps, mixes, F.linear(self.position_encoding, weight[:, channels:], self.project.bias))
        stream = self.stream_init.expand(n, -1)
        probs = []
        for i, layer in enumerate(self.layers):
            bias = None
            if i > 0 and len(self.relative):
                bias = relative_position_bias(probs[-1], self.relative_scale * self.relative[i - 1])
            update, p = layer(tokens, stream, bias)
            stream = stream + update
            probs.append(p)
        attention = torch.stack(probs, 1)  # (N, layers, H, L')
        # replaced on every pass (cleared in eval) so regularization() never reads a stale batch
        self._cache = {"activations": acts, "attention": attention} if self.training else {}
        out = self.head(self.final_norm(stream))
        if self.motif_skip is not None:
            # max over positions by index (its backward scatters; amax compares the whole map with the maximum)
            out = out + self.motif_skip(normed.max(dim=3).values.amax(1))
        if self.pair_skip is not None:
            out = out + self.pair_skip(pair_maps.max(dim=2).values)
        return (out, attention) if return_attention else out

    @torch.no_grad()
    def position_attention(self, x: torch.Tensor) -> torch.Tensor:
        """Attention on each token position relative to uniform, max over layers and heads: (N, 4, L) -> (N, L').

        1 means the position gets the attention of a uniform distribution; ARGMINN-style instance
        calls keep positions well above 1. With the motif-pair context (``pair_range > 0``) an attended
        token also reads the positions its context kernel reaches, so position p gets
        ``max_d attention(p - d) * w(d)``, with ``w(d)`` the kernel's weight on offset d relative to its
        largest (:meth:`pair_reach`): the partner d bp away of an attended motif counts as attended.
        """
        _, attention = self.forward(x, return_attention=True)
        attended = attention.amax(dim=(1, 2)) * attention.shape[-1]  # (N, L')
        if self.pair_context is None:
            return attended
        weight = self.pair_reach()  # (2R + 1,), offsets d = -R .. R
        reach = (len(weight) - 1) // 2
        windows = F.pad(attended, (reach, reach)).unfold(1, len(weight), 1)  # [n, p, t] = attended[p + t - R]
        return torch.maximum(attended, (windows * weight.flip(0)).amax(-1))

    @torch.no_grad()
    def pair_reach(self) -> torch.Tensor:
        """Weight of each offset d = -R .. R in the motif-pair context, relative to the largest: (2R + 1,).

        The norm over token features of the context's effective kernel (projection x maps), max over
        motif channels. Raises if the model has no pair context.
        """
        if self.pair_context is None:
            raise ValueError("this model has no motif-pair context (pair_range = 0)")
        kernel = torch.einsum("hp,pct->hct", self.pair_project.weight, self.pair_context)
        weight = kernel.norm(dim=0).amax(0)
        return weight / weight.max().clamp_min(1e-12)

    def _schedules(self) -> list[tuple[float, int, int]]:
        return [*super()._schedules(), self.entropy_schedule]

    def regularization(self, epoch: int) -> torch.Tensor | float:
        total = self._filter_penalties(epoch)
        w_ent = schedule_weight(epoch, *self.entropy_schedule, self.ramp_start)
        if w_ent > 0 and "attention" in self._cache:
            total = total + w_ent * attention_entropy(self._cache["attention"])
        return total


@register_model("argminn_pairwise")
class ArgminnPairwise(_PenalisedScannerModel):
    """Motif scanner + additive motif effects + a pairwise interaction head whose weights are syntax rules.

    With strand-specific motif maps ``m_a(i)`` (channel a = filter and strand, window starting
    at i), the output for target t is

        y_t = bias_t + sum_f A[t, f] max_{i, strand} m_f(i) + sum_{a, b, k} K[t, a, b, k] sum_i m_a(i) m_b(i + k)
              [+ sum_f B[t, f] sum_{i, strand} m_f(i)]   (``dosage``)

    with window offsets ``k = 0 .. max_distance``. Every arrangement of two instances is
    counted once: (a, b, -k) is (b, a, k), so only k >= 0 is stored, and at k = 0 only
    a < b. Pairs of channels of the same filter closer than W (overlapping windows of one
    site) are masked. The pairwise sum is one convolution of the motif maps with K and a
    product with the maps; no loops over positions or pairs.

    Parameters
    ----------
    n_targets, input_length, n_filters, filter_width, activation, strands
        As in :class:`Argminn` (``relu`` default; the scanner is conv -> batch norm -> activation,
        so the batch-norm shift is a learned firing threshold and background stays near zero).
    max_distance : int
        Largest window offset (bp) between two instances in K.
    pair_l1 : float
        L1 penalty on K (sum of |K|): few rules.
    pair_smooth : float
        Penalty on squared differences of K between neighbouring offsets: smooth spacing profiles.
    dropout : float
        Dropout on the pooled additive features.
    l1_weight, l1_burn_in, l1_ramp, overlap_weight, overlap_burn_in, overlap_ramp, ramp_start, overlap_batch
        Filter penalties and schedules as in :class:`Argminn`.
    scanner_init_std : float, optional
        Normal initialisation of the scanner's filters, as in :class:`Argminn` (``None``: PyTorch's default).
    pair_burn_in : int
        Epochs at the start of training during which K is held at its initial value (zero): no gradient
        reaches it and its penalties are off, so the scanner and the additive weights A learn the motifs
        alone, as a max-pool CNN, before the interaction head can take over their job (#14). 0 (default):
        K trains from the first step, as before. The epoch is the one passed to :meth:`regularization`
        on the previous training step.
    pair_scale : float
        K is stored divided by this factor (``K = pair_scale * pair``), so under Adam, whose steps are about
        the learning rate whatever the gradient's size, K moves ``pair_scale`` times slower than the scanner
        and A: a per-parameter learning rate for K. 1.0 (default): as before. Below 1 the interaction head
        cannot outrun the motifs (#14: with K switched on after ``pair_burn_in`` at the full rate, the train
        loss jumped from 0.34 to 8.4), and the entries that ``pair_l1`` holds near zero jitter less.
        ``pair_l1`` and ``pair_smooth`` act on K itself, so their meaning does not change.
    pair_ramp : int
        Epochs after ``pair_burn_in`` over which K is switched on gradually: ``K = f * pair_scale * pair`` with
        ``f`` growing log-linearly from ``ramp_start`` to 1 (:func:`schedule_weight`), then 1. Adam's first
        steps move every entry of K by about the learning rate whatever its gradient, and with hundreds of
        thousands of entries (10 targets) their sum swamps the outputs at the switch (``multilabel``: validation
        auROC 0.87 -> 0.59 in one epoch; #15); under the ramp those steps change the outputs ``f`` times less
        while Adam's moment estimates settle. 0 (default): switched on at once, as before. The epoch is stored
        with the model (the buffer ``epoch``), so a checkpoint saved during the ramp predicts as it was validated.
    pair_norm : bool
        Learn K per unit of each channel's typical peak: ``pair`` stores ``K[a, b, k] * peak_a * peak_b``, where
        ``peak`` (the buffer ``map_peak``) is a running mean over sequences of each channel's strongest
        instance, updated in training like batch norm's statistics. ``pair_weights()`` still returns K per unit
        of the motif maps, so rules read the same; ``pair_l1`` and ``pair_smooth`` act on the peak-unit K. Under
        Adam, which moves every stored entry by about the learning rate, an entry of K then moves in proportion
        to ``1 / (peak_a * peak_b)``: with ``exp`` maps, whose sites are hundreds of times their background,
        the many products of background activity cannot swamp the outputs when K switches on (#15). False
        (default): as before.
    pair_input : {"activation", "log"}
        What the pairwise term multiplies: the motif maps (default), or ``max(log m, 0)``. With ``exp``
        activations that is the positive part of the scanner's normalised score: the additive term keeps exp's
        fast forming of weak motifs, while the pairwise products stay as sparse and bounded as a ReLU's (a
        product of two exp maps is heavy-tailed, and their dense background swamped the outputs when K switched
        on; #15). :meth:`pair_inputs` gives the map, so rules read from the weights use the same units.
    position_bins : int
        Add a per-bin term: the positions are cut into this many equal bins (``adaptive_max_pool1d``) and
        ``P[t, f, b]`` times filter f's strongest instance in bin b is added to the output, so where a motif sits
        can count (ChIP-seq peaks centred on their summits hold the factor's site near the centre, while a
        dinucleotide shuffle's chance match sits anywhere: ``benchmarks/syntax.md``, #15 nineteenth round).
        ``P`` (the parameter ``position``) starts at zero, so the model starts as the position-free one,
        and is not penalised; :meth:`motif_target_weights` stays ``A`` (the strongest instance anywhere) and
        :meth:`motif_position_weights` reads ``P``. 1 (default): no per-bin term, as before. ``K`` and ``B``
        stay position-free.
    position_burn_in : int
        Epochs at the start of training during which the per-bin term is left out (``P`` stays zero and takes
        no step), so that training is the position-free model's, step for step, until then: with ``P`` trained
        from the first step the hard-spacing preset at 500 bp formed no motif (#15 nineteenth round). 0
        (default): from the first step. The epoch is the one passed to :meth:`regularization`, as for
        ``pair_burn_in``.
    dosage : bool
        Add a per-site term: ``B[t, f]`` times the sum over positions and strands of filter f's map, in the
        units the pairwise term multiplies (:meth:`pair_inputs`), so every further site of a motif adds to the
        output, not only the strongest. ``B`` (the layer ``dosage``, no bias) starts at zero and is not
        penalised. With it, site counts have their own weights instead of only the max-pool and ``K``'s
        homotypic entries (real peaks with many weak sites; ``benchmarks/syntax.md``, #15 fourteenth and
        fifteenth rounds). False (default): as before; ``configs/argminn_pairwise.yaml`` turns it on. Not part of
        :meth:`motif_target_weights`, which stays the weight of each motif's strongest instance;
        :meth:`motif_site_weights` reads ``B`` (the report shows both).

    With ``position_bins`` B > 1, ``+ sum_{f, b} P[t, f, b] max_{i in bin b, strand} m_f(i)``.

    Shapes: (N, 4, L) -> (N, T); ``pair_weights()`` is (T, C, C, max_distance + 1), C = S F,
    channel ``s * F + f`` = filter f on strand s (0 forward, 1 reverse).
    """

    def __init__(self, n_targets: int, input_length: int, n_filters: int = 8, filter_width: int = 15,
                 activation: str = "relu", strands: str = "both", max_distance: int = 60,
                 pair_l1: float = 1e-4, pair_smooth: float = 1e-3, dropout: float = 0.0,
                 l1_weight: float = 0.05, l1_burn_in: int = 2, l1_ramp: int = 4,
                 overlap_weight: float = 0.5, overlap_burn_in: int = 2, overlap_ramp: int = 4,
                 ramp_start: float = 1e-3, overlap_batch: int = 0, scanner_init_std: float | None = None,
                 pair_burn_in: int = 0, pair_scale: float = 1.0, pair_ramp: int = 0, pair_norm: bool = False,
                 pair_input: str = "activation", dosage: bool = False, position_bins: int = 1,
                 position_burn_in: int = 0):
        super().__init__()
        if pair_scale <= 0:
            raise ValueError(f"pair_scale must be > 0, got {pair_scale}")
        if pair_input not in ("activation", "log"):
            raise ValueError(f"pair_input must be 'activation' or 'log', got {pair_input!r}")
        if not isinstance(pair_norm, bool):
            raise ValueError(f"pair_norm must be true or false, got {pair_norm!r}")
        if not isinstance(dosage, bool):
            raise ValueError(f"dosage must be true or false, got {dosage!r}")
        if pair_burn_in < 0 or pair_ramp < 0 or position_burn_in < 0:
            raise ValueError(f"pair_burn_in, pair_ramp and position_burn_in must be >= 0, got {pair_burn_in}, "
                             f"{pair_ramp}, {position_burn_in}")
        if input_length < filter_width:
            raise ValueError(f"input_length={input_length} is shorter than filter_width={filter_width}")
        if not isinstance(position_bins, int) or isinstance(position_bins, bool) or not (
                1 <= position_bins <= input_length - filter_width + 1):
            raise ValueError(f"position_bins must be an integer from 1 to input_length - filter_width + 1 = "
                             f"{input_length - filter_width + 1}, got {position_bins!r}")
        if max_distance < 0:
            raise ValueError(f"max_distance must be >= 0, got {max_distance}")
        if pair_l1 < 0 or pair_smooth < 0:
            raise ValueError("pair_l1 and pair_smooth must be >= 0")
        self.scanner = argminn_scanner(n_filters, filter_width, activation, strands, "pre", scanner_init_std)
        # start with a firing threshold: at initialisation few background positions pass
        nn.init.constant_(self.scanner.bn.bias, -1.0)
        self.max_distance = max_distance
        channels = self.scanner.n_strands * n_filters
        self.additive = nn.Linear(n_filters, n_targets)
        self.position_bins, self.position_burn_in = position_bins, position_burn_in
        self.position = None
        if position_bins > 1:  # (T, F * bins), column f * position_bins + b: filter f's strongest instance in bin b
            # zeros, drawn from no random generator: with position_burn_in, training is the position-free model's
            # step for step until the burn-in ends
            self.position = nn.Parameter(torch.zeros(n_targets, n_filters * position_bins))
        self.dosage = None
        if dosage:
            self.dosage = nn.Linear(n_filters, n_targets, bias=False)
            nn.init.zeros_(self.dosage.weight)  # starts as the max-pool model
        self.dropout = nn.Dropout(dropout)
        self.pair = nn.Parameter(torch.zeros(n_targets, channels, channels, max_distance + 1))
        self.register_buffer("pair_mask", self._pair_mask(channels, n_filters, filter_width, max_distance),
                             persistent=False)
        self.pair_l1, self.pair_smooth = pair_l1, pair_smooth
        self._init_penalties(l1_weight, l1_burn_in, l1_ramp, overlap_weight, overlap_burn_in, overlap_ramp,
                             ramp_start)
        self.overlap_batch = overlap_batch
        self.pair_burn_in = pair_burn_in
        self.pair_scale = pair_scale
        self.pair_ramp = pair_ramp
        # the training epoch, as last passed to regularization(): saved, so that a resumed run or a checkpoint
        # taken during the burn-in or the ramp sees the K it was trained with
        self.register_buffer("epoch", torch.zeros((), dtype=torch.long))
        self._epoch = 0  # the buffer as a Python int: read on every step without a device sync
        self.pair_norm = pair_norm
        self.pair_input = pair_input
        # running mean over sequences of each channel's strongest instance (pair_norm)
        self.register_buffer("map_peak", torch.ones(channels))

    def _schedules(self) -> list[tuple[float, int, int]]:
        # K switched on after pair_burn_in and ramped over pair_ramp epochs; the per-bin term after position_burn_in
        return [*super()._schedules(), (1.0, self.pair_burn_in, self.pair_ramp),
                (1.0 if self.position is not None else 0.0, self.position_burn_in, 0)]

    def _pair_frozen(self) -> bool:
        return self._epoch < self.pair_burn_in

    def _pair_factor(self) -> float:
        """The switch-on factor f of K at the stored epoch (``pair_ramp``); 1 without a ramp."""
        if self.pair_ramp == 0:
            return 1.0
        return schedule_weight(max(self._epoch, self.pair_burn_in), 1.0, self.pair_burn_in, self.pair_ramp,
                               self.ramp_start)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # checkpoints from before the epoch was saved: no ramp then, so only resumed training reads it
        state_dict.setdefault(prefix + "epoch", torch.zeros((), dtype=torch.long))
        if not self.pair_norm:  # unused then: checkpoints from before it load
            state_dict.setdefault(prefix + "map_peak", torch.ones_like(self.map_peak))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
        self._epoch = int(self.epoch)

    @staticmethod
    def _pair_mask(channels: int, n_filters: int, width: int, max_distance: int) -> torch.Tensor:
        """(C, C, D + 1) 0/1 mask of the stored arrangements (see the class docstring)."""
        a = torch.arange(channels)[:, None, None]
        b = torch.arange(channels)[None, :, None]
        k = torch.arange(max_distance + 1)[None, None, :]
        keep = (k > 0) | (a < b)
        same_site = (a % n_filters == b % n_filters) & (k < width)
        return (keep & ~same_site).float()

    def _peak_kernel(self) -> torch.Tensor:
        """K in units of the channels' typical peaks (``pair_norm``), masked: (T, C, C, max_distance + 1). The
        penalties act on it."""
        scale = self.pair_scale * self._pair_factor()
        if scale != 1.0:
            return self.pair * (self.pair_mask * scale)
        return self.pair * self.pair_mask

    def pair_weights(self) -> torch.Tensor:
        """K with masked entries zeroed, per unit of the motif maps: (T, C, C, max_distance + 1)."""
        kernel = self._peak_kernel()
        if self.pair_norm:
            peak = self.map_peak.clamp_min(1e-6)
            kernel = kernel / (peak[:, None, None] * peak[None, :, None])
        return kernel

    def pairwise_term(self, maps: torch.Tensor) -> torch.Tensor:
        """sum_{a,b,k} K[t,a,b,k] sum_i m_a(i) m_b(i + k): (N, C, L') -> (N, T)."""
        n, channels, length = maps.shape
        if self.pair_norm and self.training:
            with torch.no_grad():  # as batch norm's running statistics
                self.map_peak.lerp_(maps.amax(dim=2).mean(dim=0), 0.1)
        kernel = self.pair_weights()
        if self.training and self._pair_frozen():
            kernel = kernel.detach()
        n_targets = kernel.shape[0]
        # g[t, a](i) = sum_b sum_k K[t, a, b, k] m_b(i + k): a cross-correlation, zero beyond the sequence; with
        # D = max_distance on both sides it is entries D .. D + L' - 1 of the padded one. By FFT: ~10x faster than
        # conv1d on CPU at 500 bp (the kernel is D + 1 wide; issue #15)
        reach = self.max_distance
        g = fft_conv1d(maps, kernel.reshape(n_targets * channels, channels, -1), reach)[..., reach:reach + length]
        return (g.view(n, n_targets, channels, length) * maps[:, None]).sum(dim=(2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._forward_maps(*self.scanner.scan(x))

    def forward_from_activations(self, stranded: torch.Tensor) -> torch.Tensor:
        return self._forward_maps(stranded, self.scanner.next_layer_input(stranded))

    def _forward_maps(self, acts: torch.Tensor, maps: torch.Tensor) -> torch.Tensor:
        """The network after the scanner, from its activations and motif maps, both (N, S, F, L') (the same
        tensor for norm="pre")."""
        n, s, f, length = maps.shape
        self._cache = {"activations": acts} if self.training else {}
        pooled = maps.amax(dim=(1, 3))  # (N, F): strongest instance of each motif, either strand
        pair_maps = self.pair_inputs(maps).reshape(n, s * f, length)
        out = self.additive(self.dropout(pooled)) + self.pairwise_term(pair_maps)
        # left out during its burn-in (P is zero then): the same outputs, and dropout draws as without it
        if self.position is not None and self._epoch >= self.position_burn_in:
            # (N, F * bins): strongest instance per position bin, either strand
            binned = F.adaptive_max_pool1d(maps.amax(dim=1), self.position_bins).reshape(n, -1)
            out = out + F.linear(self.dropout(binned), self.position)
        if self.dosage is not None:
            out = out + self.dosage(pair_maps.view(n, s, f, length).sum(dim=(1, 3)))
        return out

    def pair_inputs(self, activations: torch.Tensor) -> torch.Tensor:
        if self.pair_input == "log":
            return torch.log(activations.clamp_min(1.0))  # max(log m, 0), with no NaN gradient where m = 0
        return activations

    def motif_target_weights(self) -> torch.Tensor:
        """(F, T) weight of each filter's strongest instance on each target (the additive part)."""
        return self.additive.weight.detach().T.clone()

    def motif_position_weights(self) -> torch.Tensor | None:
        """(F, T, position_bins) ``P[t, f, b]``, what filter f's strongest instance in position bin b adds on
        top of :meth:`motif_target_weights`' weight of its strongest instance anywhere; ``None`` without bins."""
        if self.position is None:
            return None
        weight = self.position.detach()  # (T, F * bins), column f * bins + b
        return weight.view(weight.shape[0], -1, self.position_bins).permute(1, 0, 2).clone()

    def motif_site_weights(self) -> torch.Tensor | None:
        """(F, T) ``B``, the weight of each filter's summed site strength (``dosage``); ``None`` without it."""
        return None if self.dosage is None else self.dosage.weight.detach().T.clone()

    def regularization(self, epoch: int) -> torch.Tensor | float:
        self._epoch = epoch
        self.epoch.fill_(epoch)
        total = self._filter_penalties(epoch)
        if self._pair_frozen():
            return total
        kernel = self._peak_kernel()
        if self.pair_l1 > 0:
            total = total + self.pair_l1 * kernel.abs().sum()
        if self.pair_smooth > 0 and kernel.shape[-1] > 1:
            both = self.pair_mask[..., 1:] * self.pair_mask[..., :-1]
            total = total + self.pair_smooth * ((kernel[..., 1:] - kernel[..., :-1]) ** 2 * both).sum()
        return total
