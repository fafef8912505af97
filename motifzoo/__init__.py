"""motifzoo: inherently interpretable neural networks for regulatory genomics.

>>> import motifzoo
>>> motifzoo.list_models()
>>> model = motifzoo.get_model("expcnn_shallow", n_targets=10, input_length=200)
>>> model = motifzoo.load("runs/demo/checkpoints/best.ckpt")
"""
__version__ = "0.1.0"

from .models import get_model, list_models, load, register_model, save  # noqa: E402

__all__ = ["get_model", "list_models", "load", "register_model", "save", "__version__"]
