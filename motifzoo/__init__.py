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

_SUBPACKAGES = ("cli", "data", "interpret", "models", "motifs", "training")

#: top-level names -> the module that defines them, imported on first use: ``import motifzoo`` (and so
#: ``motifzoo --help``) loads neither torch nor Lightning until one of these is touched
_LAZY = {
    "get_model": "models", "list_models": "models", "load": "models", "register_model": "models", "save": "models",
    "fit": "training.fit", "FitResult": "training.fit", "one_hot": "data.encoding", "decode": "data.encoding",
}

__all__ = ["get_model", "list_models", "load", "register_model", "save", "fit", "FitResult", "one_hot", "decode",
           "__version__", *_SUBPACKAGES]


def __getattr__(name: str):
    # PEP 562: `motifzoo.interpret`, `motifzoo.fit` etc. work after a plain `import motifzoo`
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value  # later look-ups skip this hook
        return value
    if name in _SUBPACKAGES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'motifzoo' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
