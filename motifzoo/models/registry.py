"""A registry of model architectures in the style of torchvision / timm.

Every architecture is a plain ``torch.nn.Module`` whose constructor takes
``n_targets`` and ``input_length`` plus its own hyper-parameters, all plain
data (ints, floats, strings), so a checkpoint can rebuild it by name.
"""
from __future__ import annotations

import difflib
import inspect
import textwrap
from typing import Callable

import torch.nn as nn

_MODELS: dict[str, type[nn.Module]] = {}


def register_model(name: str | None = None) -> Callable[[type[nn.Module]], type[nn.Module]]:
    """Class decorator that adds an architecture to the zoo under ``name``.

    ``name`` defaults to the lower-cased class name.
    """

    def decorator(cls: type[nn.Module]) -> type[nn.Module]:
        key = name or cls.__name__.lower()
        if key in _MODELS and _MODELS[key] is not cls:
            raise ValueError(f"a model named {key!r} is already registered ({_MODELS[key].__qualname__})")
        _MODELS[key] = cls
        cls.model_name = key
        get_model.__doc__ = _GET_MODEL_DOC + models_doc()
        return cls

    return decorator


def list_models() -> list[str]:
    """Names of every registered architecture, sorted."""
    return sorted(_MODELS)


def model_class(name: str) -> type[nn.Module]:
    """The class registered under ``name``; a clear error with suggestions otherwise."""
    try:
        return _MODELS[name]
    except KeyError:
        close = difflib.get_close_matches(str(name), list(_MODELS), n=3)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise KeyError(
            f"unknown model {name!r}.{hint} Available models: {', '.join(list_models())}"
        ) from None


def model_hyperparameters(name: str) -> dict[str, object]:
    """Constructor arguments of a model and their defaults (``inspect.Parameter.empty`` if required)."""
    sig = inspect.signature(model_class(name).__init__)
    return {k: p.default for k, p in sig.parameters.items() if k != "self" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}


def coerce_hyperparameters(name: str, kwargs: dict) -> dict:
    """Convert string values (e.g. from a command-line override) to the types a model expects.

    A value given as text for an argument that is not annotated ``str`` is parsed as YAML,
    so ``"8"`` becomes 8, ``"[64, 96]"`` a list and ``"true"`` True.
    """
    import yaml
    sig = inspect.signature(model_class(name).__init__)
    out = {}
    for k, v in kwargs.items():
        p = sig.parameters.get(k)
        annotation = str(p.annotation) if p is not None else "str"
        if isinstance(v, str) and "str" not in annotation:
            try:
                v = yaml.safe_load(v)
            except yaml.YAMLError:
                pass
        out[k] = v
    return out


def models_doc() -> str:
    """Every registered model with the first line of its docstring and its arguments with defaults."""
    lines = ["", "Models", "------"]
    for key in list_models():
        cls = _MODELS[key]
        summary = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""
        args = ", ".join(k if d is inspect.Parameter.empty else f"{k}={d!r}"
                         for k, d in model_hyperparameters(key).items())
        lines.append(key)
        lines += textwrap.wrap(summary, 92, initial_indent="    ", subsequent_indent="    ")
        lines += textwrap.wrap(f'get_model("{key}", {args})', 92, initial_indent="    ",
                               subsequent_indent="        ", break_on_hyphens=False)
        lines.append(f"    Details: help(motifzoo.models.{cls.__name__})")
    return "\n".join(f"    {line}" if line else line for line in lines) + "\n"


_GET_MODEL_DOC = """Build the architecture registered under ``name`` with ``kwargs``.

    Parameters
    ----------
    name : str
        A registered model (below, and :func:`list_models`).
    **kwargs
        Its arguments (plain data: ints, floats, strings, lists); ``n_targets`` and ``input_length``
        are required. Unknown ones raise a ``TypeError`` that lists the valid ones.

    Returns
    -------
    MotifModel
        With ``hparams`` (every argument, defaults filled in, so :func:`motifzoo.save` writes a
        checkpoint that rebuilds the same model even after a default changes), ``input_length``,
        ``target_names`` (``target0``, ...) and ``task`` (``binary``) set as :func:`motifzoo.load`
        sets them from a checkpoint.
"""


def get_model(name: str, **kwargs) -> nn.Module:
    cls = model_class(name)
    valid = model_hyperparameters(name)
    unknown = [k for k in kwargs if k not in valid]
    if unknown:
        hints = []
        for k in unknown:
            close = difflib.get_close_matches(k, list(valid), n=1)
            hints.append(f"{k!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise TypeError(
            f"model {name!r} has no argument {', '.join(hints)}; its arguments are: {', '.join(valid)}"
        )
    missing = [k for k, d in valid.items() if d is inspect.Parameter.empty and k not in kwargs]
    if missing:
        raise TypeError(f"model {name!r} needs argument(s): {', '.join(missing)}")
    for k, v in kwargs.items():
        if not isinstance(v, (int, float, str, bool, type(None), list, tuple)):
            raise TypeError(
                f"model {name!r}: argument {k!r} must be plain data (int, float, str, bool, list), got {type(v).__name__}"
            )
    model = cls(**kwargs)
    # every argument, defaults filled in: a checkpoint rebuilds the same model even if a default changes later
    resolved = {k: kwargs.get(k, d) for k, d in valid.items()}
    model.hparams = {k: (list(v) if isinstance(v, tuple) else v) for k, v in resolved.items()}
    model.input_length = int(resolved["input_length"])
    model.target_names = [f"target{i}" for i in range(int(resolved["n_targets"]))]
    model.task = "binary"
    return model
