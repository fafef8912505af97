"""The allowed range of every numeric training option, written once.

:data:`RANGES` maps a config key (``model.lr``, ``data.batch_size``, ``trainer.max_epochs``, ...)
to its :class:`Range`. The classes that read an option check it with :func:`check` (so the Python
API checks too), ``motifzoo fit`` checks the trainer, early-stopping and checkpoint keys before
Lightning sees them, and ``motifzoo fit --help`` shows each range next to its option. A value
outside its range is a :class:`~motifzoo.training.errors.ConfigError` with one line:
``model.lr = -0.1: must be > 0``.

Light: imports no torch or Lightning.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import ConfigError


@dataclass(frozen=True)
class Range:
    """``low <= value <= high`` (``<`` where ``low_open`` / ``high_open``); ``also``: values
    allowed outside it (e.g. -1, "no limit"); ``fraction_if_float``: a float must be <= 1
    (Lightning's ``limit_*_batches``: a fraction, or an int number of batches)."""

    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False
    integer: bool = False
    also: tuple = ()
    also_text: str = ""
    fraction_if_float: bool = False

    def __str__(self) -> str:
        if self.fraction_if_float:
            text = "a fraction in [0, 1] or a whole number of batches >= 0"
        elif math.isinf(self.high):
            text = f"{'>' if self.low_open else '>='} {self.low:g}"
        elif math.isinf(self.low):
            text = f"{'<' if self.high_open else '<='} {self.high:g}"
        else:
            text = (f"in {'(' if self.low_open else '['}{self.low:g}, {self.high:g}"
                    f"{')' if self.high_open else ']'}")
        if self.integer and not self.fraction_if_float:
            text = "an integer " + text
        if self.also:
            text += f" (or {self.also_text or ', '.join(map(str, self.also))})"
        return text

    def contains(self, value) -> bool:
        if value in self.also and not isinstance(value, bool):
            return True
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if math.isnan(value):
            return False
        if math.isinf(value):  # no option takes an infinite value
            return False
        whole = isinstance(value, int) or float(value).is_integer()
        if self.fraction_if_float:  # Lightning: a float in [0, 1], or a whole number (2 or 2.0) of batches
            return value >= 0 and (value <= 1 or whole)
        if self.integer and not whole:
            return False
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below


POSITIVE = Range(0, low_open=True)
NON_NEGATIVE = Range(0)
COUNT = Range(1, integer=True)            # 1, 2, ...
NON_NEGATIVE_INT = Range(0, integer=True)  # 0, 1, ...
FRACTION = Range(0, 1, high_open=True)     # [0, 1)
PROBABILITY = Range(0, 1)                  # [0, 1]
BATCHES = Range(0, fraction_if_float=True, integer=True)

#: config key -> allowed range (``None`` is always allowed where an option is optional)
RANGES: dict[str, Range] = {
    # MotifZooModule (model.*)
    "model.lr": POSITIVE,
    "model.weight_decay": NON_NEGATIVE,
    "model.lr_patience": NON_NEGATIVE_INT,
    "model.n_targets": COUNT,
    "model.input_length": COUNT,
    # the data modules (data.*)
    "data.batch_size": COUNT,
    "data.num_workers": NON_NEGATIVE_INT,
    "data.valid_frac": FRACTION,
    "data.test_frac": FRACTION,
    "data.split_seed": NON_NEGATIVE_INT,
    "data.seed": NON_NEGATIVE_INT,
    "data.seq_len": COUNT,
    "data.jitter": NON_NEGATIVE_INT,
    "data.negative_ratio": NON_NEGATIVE,
    "data.gc_bins": COUNT,
    "data.max_n_fraction": PROBABILITY,
    # Lightning's Trainer (the keys users commonly set)
    "trainer.max_epochs": Range(1, integer=True, also=(-1,), also_text="-1: no limit"),
    "trainer.min_epochs": NON_NEGATIVE_INT,
    "trainer.max_steps": Range(1, integer=True, also=(-1,), also_text="-1: no limit"),
    "trainer.min_steps": NON_NEGATIVE_INT,
    "trainer.gradient_clip_val": NON_NEGATIVE,
    "trainer.limit_train_batches": BATCHES,
    "trainer.limit_val_batches": BATCHES,
    "trainer.limit_test_batches": BATCHES,
    "trainer.limit_predict_batches": BATCHES,
    "trainer.check_val_every_n_epoch": COUNT,
    "trainer.accumulate_grad_batches": COUNT,
    "trainer.log_every_n_steps": COUNT,
    "trainer.num_sanity_val_steps": Range(0, integer=True, also=(-1,), also_text="-1: all"),
    # the callbacks motifzoo adds
    "early_stopping.patience": NON_NEGATIVE_INT,
    "early_stopping.min_delta": NON_NEGATIVE,
    "checkpoint.save_top_k": Range(0, integer=True, also=(-1,), also_text="-1: all"),
    "checkpoint.every_n_epochs": NON_NEGATIVE_INT,
}


def check(key: str, value):
    """``value`` if it lies in ``key``'s range (or is ``None``), else a one-line :class:`ConfigError`
    naming the key, the value and the range."""
    if value is None:
        return value
    rng = RANGES[key]
    if not rng.contains(value):
        raise ConfigError(f"{key} = {value!r}: must be {rng}")
    return value


def check_all(section: str, values: dict) -> None:
    """Check every key of ``values`` (a config section such as ``trainer``) that has a range."""
    for name, value in values.items():
        key = f"{section}.{name}"
        if key in RANGES:
            check(key, value)


def range_help(key: str) -> str:
    """``"(must be > 0)"``: the text ``--help`` appends to ``key``'s help."""
    return f"(must be {RANGES[key]})"


def document_ranges(section: str):
    """Class decorator: each numpy-docstring parameter of ``section`` (``model``, ``data``) with a range
    in :data:`RANGES` gets "Must be ..." appended to its description, so ``help()`` and
    ``motifzoo fit --help`` show the range written here. Grouped entries (``a, b : int``) are split
    into one entry per name, so that every option gets its own help."""
    def decorate(cls):
        if cls.__doc__:
            cls.__doc__ = _with_ranges(cls.__doc__, section)
        return cls
    return decorate


def _with_ranges(doc: str, section: str) -> str:
    import re
    lines = doc.splitlines()
    out: list[str] = []
    i = 0
    in_params = False
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if re.fullmatch(r"\s*-{3,}\s*", nxt):
            in_params = line.strip() == "Parameters"
            out += [line, nxt]
            i += 2
            continue
        m = re.fullmatch(r"(\s*)([A-Za-z_][\w]*(?:\s*,\s*[A-Za-z_][\w]*)*)(\s*:\s*.+)?", line) if in_params else None
        if not m or not line.strip():
            out.append(line)
            i += 1
            continue
        indent, names, typ = m.group(1), [n.strip() for n in m.group(2).split(",")], m.group(3) or ""
        desc = []
        i += 1
        while i < len(lines) and (not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > len(indent)):
            if not lines[i].strip() and (i + 1 >= len(lines) or
                                         len(lines[i + 1]) - len(lines[i + 1].lstrip()) <= len(indent)):
                break
            desc.append(lines[i])
            i += 1
        for name in names:
            out.append(f"{indent}{name}{typ}")
            out += desc
            key = f"{section}.{name}"
            if key in RANGES:
                out.append(f"{indent}    Must be {RANGES[key]}.")
    return "\n".join(out) + ("\n" if doc.endswith("\n") else "")
