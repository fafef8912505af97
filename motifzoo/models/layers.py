"""Activations shared by the zoo's architectures (the first layer is :mod:`motifzoo.models.scanner`)."""
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
