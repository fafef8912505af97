"""The zoo: plain ``torch.nn.Module`` architectures, usable without Lightning."""
from .base import MotifModel, filter_name
from .layers import Exp, make_activation
from .scanner import Scanner, ScannerModel
from .registry import get_model, list_models, model_class, model_hyperparameters, register_model
from .expcnn import ExpCNNDeep, ExpCNNShallow

__all__ = [
    "MotifModel", "filter_name", "Exp", "Scanner", "ScannerModel", "make_activation", "get_model", "list_models",
    "model_class", "model_hyperparameters", "register_model", "ExpCNNDeep", "ExpCNNShallow",
]
from .io import CheckpointError, load, save  # noqa: E402

__all__ += ["CheckpointError", "load", "save"]
from .explainn import ExplaiNN  # noqa: E402

__all__ += ["ExplaiNN"]
from .argminn import Argminn, ArgminnPairwise  # noqa: E402

__all__ += ["Argminn", "ArgminnPairwise"]
