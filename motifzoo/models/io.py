"""Self-describing checkpoints: rebuild a trained model with only motifzoo installed.

A checkpoint (from ``motifzoo fit`` or :func:`save`) holds, under the key
``"motifzoo"``, the model's registry name, its constructor arguments (plain data),
the target names, the task, the alphabet and the input length, and the weights
under ``"state_dict"`` with the prefix ``model.``. Everything is tensors and
plain Python data, so ``torch.load(..., weights_only=True)`` reads it.
"""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn as nn

from .registry import get_model, model_class

FORMAT_VERSION = 1
PREFIX = "model."


class CheckpointError(ValueError):
    """A checkpoint is missing, unreadable or not a motifzoo checkpoint."""


def checkpoint_metadata(model: nn.Module, *, target_names, task: str, input_length: int,
                        alphabet: str = "ACGT") -> dict:
    """The ``"motifzoo"`` entry of a checkpoint for a model built by :func:`get_model`."""
    name = getattr(model, "model_name", None)
    if name is None or not hasattr(model, "hparams"):
        raise CheckpointError("only models built with motifzoo.get_model(name, ...) can be saved")
    from .. import __version__
    return {
        "format": FORMAT_VERSION,
        "model": name,
        "hparams": dict(model.hparams),
        "target_names": [str(t) for t in target_names],
        "task": task,
        "input_length": int(input_length),
        "alphabet": alphabet,
        "motifzoo_version": __version__,
    }


def save(model: nn.Module, path, *, target_names, task: str = "binary", input_length: int | None = None) -> None:
    """Save a zoo model as a self-describing checkpoint that :func:`load` reads."""
    input_length = input_length if input_length is not None else model.hparams.get("input_length")
    meta = checkpoint_metadata(model, target_names=target_names, task=task, input_length=input_length)
    state = {PREFIX + k: v.detach().cpu() for k, v in model.state_dict().items()}
    torch.save({"motifzoo": meta, "state_dict": state}, Path(path))


def read_checkpoint(path) -> dict:
    """Load a checkpoint dict with ``weights_only=True``; clear errors for missing or foreign files."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"checkpoint not found: {path}")
    if path.is_dir():
        raise CheckpointError(f"{path} is a directory; pass the .ckpt file (motifzoo fit prints its path last)")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many types for corrupt files
        raise CheckpointError(f"cannot read checkpoint {path}: not a PyTorch checkpoint or corrupt ({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''})") from None
    if not isinstance(ckpt, dict) or "motifzoo" not in ckpt or "state_dict" not in ckpt:
        raise CheckpointError(f"{path} is not a motifzoo checkpoint (no 'motifzoo' metadata); "
                              "it must come from `motifzoo fit` or motifzoo.save()")
    return ckpt


def load(path, map_location: str | torch.device = "cpu") -> nn.Module:
    """Rebuild a trained model from a checkpoint, in eval mode.

    Returns the ``nn.Module`` with these attributes set: ``target_names`` (list of
    str), ``task`` (``binary`` or ``regression``), ``input_length`` (int),
    ``alphabet`` (``"ACGT"``) and ``hparams`` (its constructor arguments).
    """
    ckpt = read_checkpoint(path)
    meta = ckpt["motifzoo"]
    try:
        model_class(meta["model"])
    except KeyError as err:
        raise CheckpointError(f"{path}: {err.args[0]}") from None
    model = get_model(meta["model"], **meta["hparams"])
    state = {k[len(PREFIX):]: v for k, v in ckpt["state_dict"].items() if k.startswith(PREFIX)}
    try:
        model.load_state_dict(state)
    except RuntimeError as err:
        raise CheckpointError(f"{path}: weights do not fit model {meta['model']!r}: {str(err).splitlines()[0]}") from None
    model.target_names = list(meta["target_names"])
    model.task = meta["task"]
    model.input_length = int(meta["input_length"])
    model.alphabet = meta.get("alphabet", "ACGT")
    return model.to(map_location).eval()
