"""Self-describing checkpoints: rebuild a trained model with only motifzoo installed.

A checkpoint (from ``motifzoo fit`` or :func:`save`) holds, under the key ``"motifzoo"``,
the checkpoint ``format`` (2), the model's registry name, every constructor argument with
defaults filled in (plain data), the target names, the task, the alphabet and the input
length, and the weights under ``"state_dict"`` with the prefix ``model.``. Everything is
tensors and plain Python data, so ``torch.load(..., weights_only=True)`` reads it.
Checkpoints of format 1 (earlier versions) load too (:mod:`motifzoo.models.compat`).
"""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn as nn

from .base import MotifModel
from .compat import FORMAT_VERSION, upgrade_hparams, upgrade_state
from .registry import get_model, list_models, model_class

PREFIX = "model."


class CheckpointError(ValueError):
    """A checkpoint is missing, unreadable, not a motifzoo checkpoint, or cannot be saved."""


def _check_saveable(model: nn.Module) -> None:
    if not isinstance(model, MotifModel) or not model.model_name or not model.hparams:
        raise CheckpointError(
            f"cannot save a {type(model).__name__}: only models built with motifzoo.get_model(name, ...) (or read "
            "by motifzoo.load) can be saved, as the checkpoint rebuilds them by registry name and arguments; "
            "register the class with motifzoo.models.register_model and build it with get_model")


def checkpoint_metadata(model: nn.Module, *, target_names, task: str, input_length: int,
                        alphabet: str = "ACGT") -> dict:
    """The ``"motifzoo"`` entry of a checkpoint for a model built by :func:`get_model`."""
    _check_saveable(model)
    from .. import __version__
    return {
        "format": FORMAT_VERSION,
        "model": model.model_name,
        "hparams": dict(model.hparams),
        "target_names": [str(t) for t in target_names],
        "task": task,
        "input_length": int(input_length),
        "alphabet": alphabet,
        "motifzoo_version": __version__,
    }


def save(model: nn.Module, path, *, target_names=None, task: str | None = None,
         input_length: int | None = None) -> None:
    """Save a zoo model as a self-describing checkpoint that :func:`load` reads.

    Parameters
    ----------
    model : MotifModel
        Built by :func:`get_model` or read by :func:`load`; anything else raises :class:`CheckpointError`.
    path : str or Path
    target_names, task, input_length : optional
        Default: the model's own ``target_names``, ``task`` and ``input_length``.
    """
    _check_saveable(model)
    meta = checkpoint_metadata(
        model, target_names=target_names if target_names is not None else model.target_names,
        task=task or model.task, input_length=input_length if input_length is not None else model.input_length,
        alphabet=model.alphabet)
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


def load(path, map_location: str | torch.device = "cpu") -> MotifModel:
    """Rebuild a trained model from a checkpoint (format 1 or 2), in eval mode.

    Returns
    -------
    MotifModel
        As :func:`get_model` builds it (``hparams`` every argument, defaults filled in), with the
        checkpoint's weights, ``target_names``, ``task``, ``input_length`` and ``alphabet``.

    Raises
    ------
    CheckpointError
        Missing or foreign file, a format newer than this motifzoo reads, a model this motifzoo
        does not register, or weights that do not fit the model; the message says what would fix it.
    """
    ckpt = read_checkpoint(path)
    meta = ckpt["motifzoo"]
    fmt = int(meta.get("format", 1))
    written_by = f"motifzoo {meta['motifzoo_version']}" if meta.get("motifzoo_version") else "a newer motifzoo"
    if fmt > FORMAT_VERSION:
        from .. import __version__
        raise CheckpointError(f"{path} has checkpoint format {fmt}, written by {written_by}; this motifzoo "
                              f"({__version__}) reads formats up to {FORMAT_VERSION}: upgrade motifzoo to read it")
    name = meta["model"]
    try:
        model_class(name)
    except KeyError:
        raise CheckpointError(
            f"{path} holds a {name!r} model (written by {written_by}), which this motifzoo does not register "
            f"(it has: {', '.join(list_models())}); install the motifzoo version that wrote it, or import the "
            f"module that registers {name!r} (motifzoo.models.register_model) before loading") from None
    hparams = upgrade_hparams(name, meta["hparams"], fmt)
    try:
        model = get_model(name, **hparams)
    except TypeError as err:
        raise CheckpointError(f"{path}: cannot rebuild {name!r} from its stored arguments ({err}); "
                              f"install the motifzoo version that wrote it ({written_by})") from None
    state = {k[len(PREFIX):]: v for k, v in ckpt["state_dict"].items() if k.startswith(PREFIX)}
    try:
        model.load_state_dict(upgrade_state(name, state, fmt))
    except RuntimeError as err:
        raise CheckpointError(f"{path}: weights do not fit model {name!r}: {str(err).splitlines()[0]}") from None
    model.target_names = list(meta["target_names"])
    model.task = meta["task"]
    model.input_length = int(meta["input_length"])
    model.alphabet = meta.get("alphabet", "ACGT")
    return model.to(map_location).eval()
