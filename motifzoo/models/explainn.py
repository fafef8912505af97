"""ExplaiNN (Novakovsky et al. 2023, Genome Biology 24:154): N independent, readable units.

Each unit is one convolution filter -> batch norm -> exponential activation ->
max-pool -> a small MLP of its own -> one scalar; a final linear layer maps the
N unit outputs to the targets. Because the output is linear in the units, the
final weights say which motif drives which target, and each unit's MLP is a
function of where along the sequence its motif occurs.

The reference implementation (PyPI ``explainn``) repeats the one-hot input N
times and runs grouped convolutions. This one computes the same function with
one convolution (4 -> N channels) shared by all units and batched per-unit
matrix products (stacked weights, one ``bmm`` per layer, batch on the last axis
so every operand is contiguous). Max-pooling commutes with batch norm (for a
non-negative scale) and with a monotone activation, so in training the conv
output is only reduced to batch statistics and pooled, never normalised or
exponentiated as a whole, and it is recomputed in the backward pass instead of
kept (:class:`_ScanNormMaxPool`); dropout masks are drawn 16 bits at a time.
Outputs and gradients equal the reference's (tests compare them in float64).
:meth:`ExplaiNN.from_reference` converts a trained reference model.

Shapes: input (B, 4, L) -> conv (B, N, L - W + 1) -> pooled (B, N, P) with
``P = (L - W + 1 - pool_size) // pool_stride + 1`` -> unit outputs (B, N) ->
output (B, n_targets).
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .base import MotifModel, filter_name
from .registry import get_model, register_model
from .scanner import Scanner, ScannerModel, fold_batch_norm

#: activations that never decrease, so max-pooling commutes with them
MONOTONE_ACTIVATIONS = frozenset({"exp", "relu", "softplus", "elu", "sigmoid", "tanh"})


def pooled_length(input_length: int, filter_width: int, pool_size: int, pool_stride: int) -> int:
    """Number of max-pool bins P of a valid convolution of width W over L bp."""
    return (input_length - filter_width + 1 - pool_size) // pool_stride + 1


class _ScanNormMaxPool(torch.autograd.Function):
    """Training-mode conv -> batch norm -> max-pool that never normalises or keeps the whole map.

    With a non-negative BN scale, ``maxpool(BN(z)) == BN(maxpool(z))``, so only the
    pooled values are normalised; the batch statistics still come from the whole
    map ``z``. The backward pass is the batch-norm gradient written in pooled terms,
    ``dL/dz = a * z + c`` per channel plus ``scale * g`` at each pooled maximum, so
    instead of keeping ``z`` (B x N x L' floats) it recomputes it with one
    convolution and turns it into ``dL/dz`` in place. The conv bias gets no gradient
    (batch norm subtracts it again). The weights must carry the sign of the BN
    weight (``sign``), so the scale ``|gamma| / std`` is non-negative.

    Shapes: x (B, 4, 1, L) channels-last, weight (N, 4, 1, W), bias (N,) -> (B, N, 1, P).
    """

    @staticmethod
    def forward(ctx, x, weight, bias, gamma, beta, sign, running_mean, running_var, momentum: float, eps: float,
                pool_size: int, pool_stride: int):
        z = F.conv2d(x, weight, bias)
        mean, var = torch.batch_norm_update_stats(z, None, None, momentum)  # biased variance
        n = z.numel() // z.shape[1]
        # running statistics describe the unsigned scores, like nn.BatchNorm1d's
        running_mean.mul_(1 - momentum).add_(mean * sign, alpha=momentum)
        running_var.mul_(1 - momentum).add_(var * (n / max(n - 1, 1)), alpha=momentum)
        pooled, index = F.max_pool2d(z, (1, pool_size), (1, pool_stride), return_indices=True)
        del z
        invstd = torch.rsqrt(var + eps)
        scale = gamma.abs() * invstd
        centered = pooled - mean[:, None, None]
        # the argmax as an offset within its window: 1 byte instead of 8 kept for backward
        window_start = torch.arange(0, index.shape[-1] * pool_stride, pool_stride, device=index.device)
        offset = (index - window_start).to(torch.uint8 if pool_size <= 256 else torch.int64)
        ctx.pool_stride = pool_stride
        ctx.save_for_backward(x, weight, bias, centered, offset, mean, invstd, scale, sign)
        return torch.addcmul(beta[:, None, None], centered, scale[:, None, None])

    @staticmethod
    def backward(ctx, grad):
        x, weight, bias, centered, offset, mean, invstd, scale, sign = ctx.saved_tensors
        dims = (0, 2, 3)
        grad_beta = grad.sum(dims)
        grad_centered = (grad * centered).sum(dims)
        grad_gamma = grad_centered * invstd * sign
        grad_x = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0] or ctx.needs_input_grad[1]:
            z = F.conv2d(x, weight, bias)
            n = z.numel() // z.shape[1]
            # BN backward, scale * (G - mean(G) - zhat * mean(G * zhat)), with G nonzero only at the
            # pooled maxima: an affine function of z per channel plus the routed pooled gradient
            a = -scale * invstd * invstd * grad_centered / n
            c = -scale * grad_beta / n - a * mean
            grad_z = z.mul_(a[:, None, None]).add_(c[:, None, None])
            window_start = torch.arange(0, offset.shape[-1] * ctx.pool_stride, ctx.pool_stride, device=z.device)
            grad_z.scatter_add_(3, offset.long() + window_start, grad * scale[:, None, None])
            if ctx.needs_input_grad[1]:
                grad_weight = torch.nn.grad.conv2d_weight(x, weight.shape, grad_z)
            if ctx.needs_input_grad[0]:
                grad_x = torch.nn.grad.conv2d_input(x.shape, weight, grad_z)
        if ctx.needs_input_grad[2]:
            grad_bias = torch.zeros_like(bias)
        return grad_x, grad_weight, grad_bias, grad_gamma, grad_beta, None, None, None, None, None, None, None


def _keep_mask_scale(p: float) -> float:
    """1 / P(keep) for :func:`_keep_mask`, whose drop probability is ``p`` rounded to 2**-16."""
    return 65536.0 / (65536 - round(p * 65536))


def _keep_mask(shape: tuple[int, ...], p: float, device) -> tuple[torch.Tensor, float]:
    """Bernoulli keep-mask with P(keep) = 1 - p (to 2**-16) and the matching 1 / P(keep) scale.

    Four 16-bit draws per random 64-bit integer: on CPU several times cheaper than
    ``bernoulli_``, which dominated the training step.
    """
    n = math.prod(shape)
    bits = torch.empty((n + 3) // 4, dtype=torch.int64, device=device).random_(-2 ** 63, 2 ** 63 - 1)
    keep = bits.view(torch.int16)[:n].view(shape) >= round(p * 65536) - 32768
    return keep, _keep_mask_scale(p)


class _ReluDropout(torch.autograd.Function):
    """``relu(z) * keep`` with a Bernoulli(1 - p) ``keep`` in training; saves only a boolean mask.

    The dropout rescaling ``1 / (1 - p)`` is left to the next layer (``UnitLinear(h, input_scale)``),
    where it costs nothing.
    """

    @staticmethod
    def forward(ctx, z, p: float, training: bool):
        keep = z > 0
        if training and p > 0:
            keep &= _keep_mask(tuple(z.shape), p, z.device)[0]
        ctx.save_for_backward(keep)
        return z * keep

    @staticmethod
    def backward(ctx, grad):
        (keep,) = ctx.saved_tensors
        return grad * keep, None, None


def relu_dropout(z: torch.Tensor, p: float, training: bool) -> tuple[torch.Tensor, float]:
    """``dropout(relu(z), p)`` as ``(h, scale)`` with the result ``h * scale``; ``h`` has ``z``'s shape."""
    if training and p > 0:
        return _ReluDropout.apply(z, p, True), _keep_mask_scale(p)
    return _ReluDropout.apply(z, p, False), 1.0


class UnitLinear(nn.Module):
    """N independent linear layers applied in one batched matrix product.

    ``weight`` is (N, out, in) and ``bias`` (N, out); unit ``n`` maps its column
    ``h[n, :, b]`` to ``weight[n] @ h[n, :, b] + bias[n]``. Initialised like
    ``nn.Linear`` (uniform in +-1/sqrt(in)), as the reference's grouped 1x1
    convolutions are. The batch is the last axis so that every operand of the
    ``bmm`` is contiguous and the following batch norm sees (1, N*out, B).

    Shapes: (N, in, B) -> (N, out, B).
    """

    def __init__(self, n_units: int, in_features: int, out_features: int):
        super().__init__()
        bound = 1.0 / math.sqrt(in_features)
        self.weight = nn.Parameter(torch.empty(n_units, out_features, in_features).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(n_units, out_features).uniform_(-bound, bound))

    def forward(self, h: torch.Tensor, input_scale: float = 1.0) -> torch.Tensor:
        """``weight @ (input_scale * h) + bias``; ``input_scale`` carries a dropout rescaling for free."""
        return torch.baddbmm(self.bias.unsqueeze(-1), self.weight, h, alpha=input_scale)


@register_model("explainn")
class ExplaiNN(ScannerModel, MotifModel):
    """ExplaiNN: independent CNN units, each a filter plus its own MLP, summed linearly into the targets.

    Parameters
    ----------
    n_targets : int
        Number of outputs T.
    input_length : int
        Sequence length L the model is built for (fixes the number of pooled bins P).
    n_units : int
        Number of units N (the reference's ``num_cnns``).
    filter_width : int
        Width W of each unit's filter (``filter_size``).
    pool_size, pool_stride : int
        Max-pool window and stride over the filter's activations.
    n_fc : int
        Fully connected layers per unit (``num_fc``): 0 (the unit output is the
        filter's maximum activation over the sequence), 1 (P -> 1) or more
        (P -> hidden -> ... -> 1). Each layer is followed by batch norm and ReLU;
        dropout precedes every layer after the first.
    hidden : int
        Width of the hidden per-unit layers (the reference's ``fc_hidden``, 100).
    dropout : float
        Dropout rate in the per-unit MLPs (0.3 in the reference).
    activation : str
        First-layer nonlinearity; ``exp`` as in the paper.

    Shapes: (B, 4, L) -> (B, n_targets). ``unit_outputs`` gives (B, N),
    ``pooled_activations`` (B, N, P), ``motif_activations`` (B, N, L - W + 1).
    """

    has_units = True

    def __init__(self, n_targets: int, input_length: int, n_units: int = 100, filter_width: int = 19,
                 pool_size: int = 7, pool_stride: int = 7, n_fc: int = 2, hidden: int = 100,
                 dropout: float = 0.3, activation: str = "exp"):
        super().__init__()
        for name, value in (("n_targets", n_targets), ("input_length", input_length), ("n_units", n_units),
                            ("filter_width", filter_width), ("pool_size", pool_size), ("pool_stride", pool_stride),
                            ("hidden", hidden)):
            if int(value) != value or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if int(n_fc) != n_fc or n_fc < 0:
            raise ValueError(f"n_fc must be a non-negative integer, got {n_fc!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}")
        if input_length < filter_width:
            raise ValueError(f"input_length={input_length} is shorter than filter_width={filter_width}")
        n_bins = pooled_length(input_length, filter_width, pool_size, pool_stride) if n_fc > 0 else 1
        if n_bins < 1:
            raise ValueError(f"input_length={input_length} is too short for filter_width={filter_width} "
                             f"and pool_size={pool_size}")
        self.n_units, self.n_fc, self.n_bins, self.input_length = n_units, n_fc, n_bins, input_length
        self.filter_width, self.pool_size, self.pool_stride = filter_width, pool_size, pool_stride
        self.dropout = dropout
        self._pool_first = activation in MONOTONE_ACTIVATIONS
        # conv -> batch norm -> activation; the bias is kept (although BN follows) so reference weights map one
        # to one. The scanner defines the layer; the unit path below computes it faster (folded, pooled first).
        self.scanner = Scanner(n_units, filter_width, activation, "forward", "free", norm="pre", bias=True)
        widths = [n_bins] + [hidden] * (n_fc - 1) + [1] if n_fc > 0 else []
        self.fc = nn.ModuleList(UnitLinear(n_units, a, b) for a, b in zip(widths[:-1], widths[1:]))
        self.fc_norms = nn.ModuleList(nn.BatchNorm1d(n_units * b) for b in widths[1:])
        self.final = nn.Linear(n_units, n_targets)

    # ---------------------------------------------------------------- first layer
    def _folded_conv(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Conv weight (N, 4, W) and bias (N,) with the batch norm's running statistics folded in; differentiable."""
        return fold_batch_norm(self.scanner.conv.weight, self.scanner.conv.bias, self.scanner.bn)

    def preactivation(self, x: torch.Tensor) -> torch.Tensor:
        """Batch-normalised filter scores: (B, 4, L) -> (B, N, L - W + 1)."""
        if x.dim() != 3 or x.shape[1] != 4:
            raise ValueError(f"ExplaiNN expects one-hot input of shape (batch, 4, length), got {tuple(x.shape)}")
        if self.scanner.bn.training:
            return self.scanner.bn(self.scanner.conv(x))
        # eval: one conv with BN folded in instead of conv + a pass over the whole map
        weight, bias = self._folded_conv()
        return F.conv1d(x, weight, bias)

    def motif_activations(self, x: torch.Tensor) -> torch.Tensor:
        """Filter activations after the nonlinearity: (B, 4, L) -> (B, N, L - W + 1)."""
        return self.scanner.act(self.preactivation(x))

    def accepts_length(self, length: int) -> bool:
        """Any length that gives the same number of pooled bins (any length >= W without unit layers)."""
        if self.n_fc == 0:
            return length >= self.filter_width
        return length >= self.filter_width and pooled_length(
            length, self.filter_width, self.pool_size, self.pool_stride) == self.n_bins

    def stranded_activations(self, x: torch.Tensor) -> torch.Tensor:
        """Filter activations of the one scanned strand: (B, 4, L) -> (B, 1, N, L - W + 1)."""
        return self.motif_activations(x)[:, None]

    def filter_names(self) -> list[str]:
        return [filter_name(i) for i in range(self.n_units)]
    # ---------------------------------------------------------------- units
    def _pool_window(self, n_positions: int) -> tuple[int, int]:
        """Max-pool size and stride: the whole sequence when there are no FC layers."""
        return (n_positions, n_positions) if self.n_fc == 0 else (self.pool_size, self.pool_stride)

    @staticmethod
    def _channels_last(x: torch.Tensor) -> torch.Tensor:
        """(B, 4, L) -> (B, 4, 1, L) channels-last: conv2d then gives the layout in which CPU batch-norm
        statistics and pooling are vectorised."""
        if x.dim() != 3 or x.shape[1] != 4:
            raise ValueError(f"ExplaiNN expects one-hot input of shape (batch, 4, length), got {tuple(x.shape)}")
        return x.unsqueeze(2).contiguous(memory_format=torch.channels_last)

    def _pooled_preactivation(self, x: torch.Tensor) -> torch.Tensor:
        """Max-pooled batch-normalised scores, (B, 4, L) -> (B, N, P); pooling first, as for monotone activations."""
        n_positions = x.shape[-1] - self.filter_width + 1
        size, stride = self._pool_window(n_positions)
        if not self.scanner.bn.training:
            weight, bias = self._folded_conv()
            z = F.conv2d(self._channels_last(x), weight.unsqueeze(2), bias)
            return F.max_pool2d(z, (1, size), (1, stride)).squeeze(2)
        bn = self.scanner.bn
        sign = 1.0 - 2.0 * (bn.weight.detach() < 0).to(bn.weight.dtype)  # +-1 per filter
        x4 = self._channels_last(x)
        weight, bias = self.scanner.conv.weight * sign[:, None, None], self.scanner.conv.bias * sign
        bn.num_batches_tracked.add_(1)
        pooled = _ScanNormMaxPool.apply(x4, weight.unsqueeze(2), bias, bn.weight, bn.bias, sign, bn.running_mean,
                                        bn.running_var, bn.momentum, bn.eps, size, stride)
        return pooled.squeeze(2)

    def pooled_activations(self, x: torch.Tensor) -> torch.Tensor:
        """Max-pooled filter activations, the input of each unit's MLP: (B, 4, L) -> (B, N, P).

        With ``n_fc == 0`` the pool spans the whole sequence (P = 1).
        """
        if self._pool_first:
            pooled = self.scanner.act(self._pooled_preactivation(x))
        else:
            a = self.motif_activations(x)
            size, stride = self._pool_window(a.shape[-1])
            pooled = F.max_pool1d(a, size, stride)
        if pooled.shape[-1] != self.n_bins:
            raise ValueError(f"input length {x.shape[-1]} gives {pooled.shape[-1]} pooled bins, but this model was "
                             f"built for {self.n_bins} (input_length={self.input_length})")
        return pooled

    def unit_response(self, pooled: torch.Tensor) -> torch.Tensor:
        """Each unit's MLP applied to its own pooled activations: (B, N, P) -> (B, N)."""
        if self.n_fc == 0:
            return pooled[..., 0]
        batch = pooled.shape[0]
        h = pooled.permute(1, 2, 0).contiguous()  # (N, P, B): units first, batch last
        scale, last = 1.0, len(self.fc) - 1
        for i, (layer, norm) in enumerate(zip(self.fc, self.fc_norms)):
            z = norm(layer(h, scale).reshape(1, -1, batch)).reshape(self.n_units, -1, batch)
            # the reference's Dropout sits before every unit layer but the first
            h, scale = relu_dropout(z, self.dropout, self.training) if i < last else (F.relu(z), 1.0)
        return h[:, 0, :].T

    def unit_outputs(self, x: torch.Tensor) -> torch.Tensor:
        """The N unit outputs that the final layer combines: (B, 4, L) -> (B, N)."""
        return self.unit_response(self.pooled_activations(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.final(self.unit_outputs(x))

    def forward_from_activations(self, stranded: torch.Tensor) -> torch.Tensor:
        acts = stranded[:, 0]  # (B, N, L'): one strand
        size, stride = self._pool_window(acts.shape[-1])
        return self.final(self.unit_response(F.max_pool1d(acts, size, stride)))

    def motif_target_weights(self) -> torch.Tensor:
        """(N, T) final-layer weight of each unit on each target."""
        return self.final.weight.detach().T

    def pooled_bins(self) -> torch.Tensor:
        """(P, 2) start and end (bp, end exclusive) of the sequence span each pooled bin covers."""
        if self.n_fc == 0:
            return torch.tensor([[0, self.input_length]])
        start = torch.arange(self.n_bins) * self.pool_stride
        return torch.stack([start, start + self.pool_size + self.filter_width - 1], dim=1)

    # ---------------------------------------------------------------- reference import
    @classmethod
    def from_reference(cls, reference, *, input_length: int | None = None, pool_size: int | None = None,
                       pool_stride: int | None = None, dropout: float = 0.3, activation: str = "exp") -> "ExplaiNN":
        """Convert the ``explainn`` package's ``ExplaiNN`` (0.1.5) into this implementation.

        Parameters
        ----------
        reference : explainn.models.networks.ExplaiNN or dict
            The reference module, or its ``state_dict()``.
        input_length : int, optional
            Sequence length the reference was built for. Any length giving the same
            number of pooled bins gives the same predictions; when omitted, the
            shortest such length is recorded.
        pool_size, pool_stride : int, optional
            Read from a module; needed with a state dict when not 7 (the reference default).
        dropout : float
            The reference's dropout (0.3; not stored in its weights).
        activation : str
            ``exp`` for the reference. The clamp of the zoo's ``Exp`` (pre-activations
            above 20) is the only departure and never binds on trained models.

        Returns
        -------
        ExplaiNN
            Built with :func:`motifzoo.get_model`, so :func:`motifzoo.save` works; in
            eval mode its predictions equal the reference's in eval mode.
        """
        if isinstance(reference, nn.Module):
            pool = reference.linears[3] if len(reference.linears) > 3 else None
            if isinstance(pool, nn.MaxPool1d) and getattr(reference, "num_fc", 1) > 0:
                pool_size = pool_size or _as_int(pool.kernel_size)
                pool_stride = pool_stride or _as_int(pool.stride)
            state = reference.state_dict()
        elif isinstance(reference, dict):
            state = reference
        else:
            raise TypeError(f"reference must be an explainn ExplaiNN module or its state_dict, "
                            f"got {type(reference).__name__}")
        pool_size, pool_stride = pool_size or 7, pool_stride or 7
        hp, mapping = _reference_layout(state)
        width = hp["filter_width"]
        if hp["n_fc"] == 0:
            # the reference pools over the whole sequence: MaxPool1d(L - W + 1)
            pool = reference.linears[3] if isinstance(reference, nn.Module) else None
            if input_length is None and pool is not None:
                input_length = _as_int(pool.kernel_size) + width - 1
            if input_length is None:
                raise ValueError("input_length is needed to import a reference state dict with num_fc=0")
        else:
            n_bins = hp.pop("n_bins")
            if input_length is None:
                input_length = (n_bins - 1) * pool_stride + pool_size + width - 1
            got = pooled_length(input_length, width, pool_size, pool_stride)
            if got != n_bins:
                raise ValueError(f"input_length={input_length} with pool_size={pool_size}, pool_stride={pool_stride} "
                                 f"gives {got} pooled bins, but the reference's first unit layer takes {n_bins}")
        hp.pop("n_bins", None)
        model = get_model("explainn", input_length=int(input_length), pool_size=int(pool_size),
                          pool_stride=int(pool_stride), dropout=float(dropout), activation=activation, **hp)
        ours = {our_key: convert(state[ref_key].detach().clone()) for our_key, (ref_key, convert) in mapping.items()}
        model.to(dtype=state["linears.0.weight"].dtype, device=state["linears.0.weight"].device)
        model.load_state_dict(ours)
        return model.train(bool(isinstance(reference, nn.Module) and reference.training))


def _as_int(v) -> int:
    return int(v[0] if isinstance(v, (tuple, list)) else v)


def _reference_layout(state: dict) -> tuple[dict, dict]:
    """Hyper-parameters and the key mapping ``ours -> (reference key, converter)`` of a reference state dict."""
    required = ("linears.0.weight", "linears.0.bias", "linears.1.weight", "final.weight")
    missing = [k for k in required if k not in state]
    if missing:
        raise ValueError(f"not an explainn ExplaiNN state dict: missing {', '.join(missing)}")
    n_units, _, width = state["linears.0.weight"].shape
    n_targets = state["final.weight"].shape[0]
    same = lambda t: t  # noqa: E731

    def bn(ours: str, ref: str) -> dict:
        return {f"{ours}.{k}": (f"{ref}.{k}", same)
                for k in ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")}

    def unit_linear(ours: str, ref: str, out: int) -> dict:
        # grouped 1x1 conv: weight (N*out, in, 1), unit n owns output channels n*out .. (n+1)*out
        return {f"{ours}.weight": (f"{ref}.weight", lambda t: t[..., 0].reshape(n_units, out, -1)),
                f"{ours}.bias": (f"{ref}.bias", lambda t: t.reshape(n_units, out))}

    mapping = {"scanner.conv.weight": ("linears.0.weight", same), "scanner.conv.bias": ("linears.0.bias", same),
               "final.weight": ("final.weight", same), "final.bias": ("final.bias", same),
               **bn("scanner.bn", "linears.1")}
    if "linears.6.weight" not in state:
        n_fc, hidden, refs = 0, 100, []
    else:
        first_out = state["linears.6.weight"].shape[0] // n_units
        n_bins = state["linears.6.weight"].shape[1]
        if first_out == 1:
            n_fc, hidden, refs = 1, 100, [("linears.6", "linears.7")]
        else:
            hidden = first_out
            middle = sorted({int(k.split(".")[1]) for k in state if k.startswith("linears_bg.")})
            last = ("last_linear.1", "last_linear.2") if "last_linear.1.weight" in state else ("linears.10", "linears.11")
            refs = [("linears.6", "linears.7")] + [(f"linears_bg.{i}.1", f"linears_bg.{i}.2") for i in middle] + [last]
            n_fc = len(refs)
    for i, (lin, norm) in enumerate(refs):
        out = state[f"{lin}.weight"].shape[0] // n_units
        mapping.update(unit_linear(f"fc.{i}", lin, out))
        mapping.update(bn(f"fc_norms.{i}", norm))
    hp = {"n_targets": int(n_targets), "n_units": int(n_units), "filter_width": int(width), "n_fc": n_fc,
          "hidden": int(hidden)}
    if n_fc > 0:
        hp["n_bins"] = int(n_bins)
    return hp, mapping
