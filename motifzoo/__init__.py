"""motifzoo: inherently interpretable neural networks for regulatory genomics.

>>> import motifzoo
>>> motifzoo.list_models()
>>> model = motifzoo.get_model("expcnn_shallow", n_targets=10, input_length=200)
>>> x = motifzoo.one_hot(["ACGT..."])                 # (N, 4, L) one-hot, ACGT order
>>> result = motifzoo.fit("configs/expcnn.yaml", data={"path": "sim.tsv.gz"})
>>> model = motifzoo.load(result.best_checkpoint)
>>> motifs, table = motifzoo.interpret.model_motifs(model, x)

Subpackages (imported on first use, so ``import motifzoo`` stays light): ``models`` (the zoo),
``motifs`` (Motif, MEME, JASPAR), ``data`` (sequences, encoding, simulation), ``training``
(Lightning), ``interpret`` (motifs, syntax, annotation, reports), ``cli``.
"""
__version__ = "0.2.0"

import importlib

from .data.encoding import decode, one_hot  # noqa: E402
from .models import get_model, list_models, load, register_model, save  # noqa: E402
from .training.fit import FitResult, fit  # noqa: E402

_SUBPACKAGES = ("cli", "data", "interpret", "models", "motifs", "training")

__all__ = ["get_model", "list_models", "load", "register_model", "save", "fit", "FitResult", "one_hot", "decode",
           "__version__", *_SUBPACKAGES]


def __getattr__(name: str):
    # PEP 562: `motifzoo.interpret` etc. work after a plain `import motifzoo`
    if name in _SUBPACKAGES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'motifzoo' has no attribute {name!r}")
