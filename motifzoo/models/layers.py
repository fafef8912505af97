"""Building blocks shared by the zoo's architectures."""
from __future__ import annotations

import torch
import torch.nn as nn

# exp(20) ~ 4.9e8: large enough never to bind on sensible inputs, small enough that
# pooled sums stay finite in float32 and bfloat16.
EXP_CLAMP = 20.0


class Exp(nn.Module):
    """Exponential activation with an overflow guard (pre-activations clamped at ``max_value``)."""

    def __init__(self, max_value: float = EXP_CLAMP):
        super().__init__()
        self.max_value = max_value

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.exp(torch.clamp(x, max=self.max_value))


ACTIVATIONS = {
    "exp": Exp,
    "relu": nn.ReLU,
    "softplus": nn.Softplus,
    "gelu": nn.GELU,
    "elu": nn.ELU,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
}


def make_activation(name: str) -> nn.Module:
    """An activation module by name: one of ``exp, relu, softplus, gelu, elu, sigmoid, tanh``."""
    try:
        return ACTIVATIONS[name]()
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; choose one of: {', '.join(ACTIVATIONS)}") from None


class MotifConv(nn.Module):
    """First-layer motif scanner: Conv1d(4 -> F, W, valid) -> BatchNorm -> activation.

    The convolution uses no padding, so output position ``i`` scans the window
    ``x[:, :, i:i + W]``. With batch norm the conv has no bias (BN provides it).

    Parameters
    ----------
    n_filters, filter_width : int
        F and W.
    activation : str
        Name passed to :func:`make_activation`.
    batch_norm : bool
        Whether to normalise pre-activations.
    init_std : float
        Standard deviation of the normal initialisation of the filters. Small
        weights keep ``exp`` in its stable range at the start of training
        (Koo & Ploenzke 2021).
    """

    def __init__(self, n_filters: int, filter_width: int, activation: str = "exp",
                 batch_norm: bool = True, init_std: float = 0.001):
        super().__init__()
        self.conv = nn.Conv1d(4, n_filters, filter_width, bias=not batch_norm)
        self.bn = nn.BatchNorm1d(n_filters) if batch_norm else None
        self.act = make_activation(activation)
        self.activation_name = activation
        nn.init.normal_(self.conv.weight, std=init_std)
        if self.conv.bias is not None:
            nn.init.zeros_(self.conv.bias)

    def preactivation(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 4, L) -> (N, F, L - W + 1), before the nonlinearity."""
        z = self.conv(x)
        return self.bn(z) if self.bn is not None else z

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.preactivation(x))

    def folded(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Weights (F, 4, W) and bias (F,) with the batch-norm affine (running statistics) folded in.

        ``preactivation(x)`` in eval mode equals ``conv1d(x, weight, bias)``.
        """
        w = self.conv.weight.detach()
        b = self.conv.bias.detach() if self.conv.bias is not None else torch.zeros(w.shape[0], device=w.device)
        if self.bn is None:
            return w.clone(), b.clone()
        scale = self.bn.weight.detach() / torch.sqrt(self.bn.running_var + self.bn.eps)
        return w * scale[:, None, None], (b - self.bn.running_mean) * scale + self.bn.bias.detach()
