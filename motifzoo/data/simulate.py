"""Simulated sequences with planted motifs: ground truth for interpretability.

Motifs come from the JASPAR 2024 CORE vertebrate matrices shipped with the
package (CC BY 4.0), so simulation works offline. Each planted instance is
sampled from the motif's PWM, on a random strand, at a random non-overlapping
position in an i.i.d. background.

Presets (see :data:`PRESETS`): ``multilabel`` (10 motifs, 1-3 per sequence,
one binary target per motif: present or not), ``regression`` (additive effects
of motif counts on two real-valued targets), ``low_information`` (as
``multilabel`` with six short, low-information motifs), ``gc_rich`` (the
``multilabel`` motifs in a 65% GC background) and ``tiny`` (a small, easy
multi-label set for tests). Syntax presets are added by
:mod:`motifzoo.data.simulate_syntax` when present.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from ..motifs import Motif, load_jaspar, write_meme
from .tables import random_split

#: ten dissimilar, well-known vertebrate motifs (JASPAR 2024 ids)
MULTILABEL_MOTIFS = ["MA0139.2", "MA0035.5", "MA0466.4", "MA0148.5", "MA0114.5",
                     "MA0083.3", "MA0060.4", "MA0079.5", "MA0090.4", "MA0137.4"]
#: six mutually dissimilar low-information motifs (6-8 bp, 7-9 bits each; JASPAR 2024 ids):
#: HOXA9, FOSL1::JUND, NFATC3, SOX9, NFIX, TBP
LOW_INFORMATION_MOTIFS = ["MA0594.3", "MA1142.2", "MA0625.3", "MA0077.2", "MA0671.2", "MA0108.3"]


@dataclass
class Simulation:
    """What :func:`simulate` returns.

    Attributes
    ----------
    sequences : list of str, length N
    targets : pandas.DataFrame, shape (N, T)
    motifs : list of Motif
        The planted motifs (JASPAR id as name, TF as altname).
    sites : pandas.DataFrame
        Every planted instance: ``sequence`` (row), ``motif`` (id), ``start`` (0-based),
        ``end``, ``strand`` (+/-).
    """

    sequences: list[str]
    targets: pd.DataFrame
    motifs: list[Motif]
    sites: pd.DataFrame

    def to_frame(self, valid_frac: float = 0.1, test_frac: float = 0.1, seed: int = 0) -> pd.DataFrame:
        """A table in motifzoo's input format: ``sequence``, ``split`` and one column per target."""
        split = random_split(len(self.sequences), valid_frac, test_frac, seed + 7919)
        return pd.concat([pd.DataFrame({"sequence": self.sequences, "split": split}), self.targets], axis=1)

    def write(self, table_path, meme_path=None, sites_path=None, **split_kwargs) -> None:
        """Write the dataset table (TSV, gzipped if the name ends in .gz), planted motifs (MEME) and sites (TSV)."""
        self.to_frame(**split_kwargs).to_csv(table_path, sep="\t", index=False)
        if meme_path is not None:
            write_meme(self.motifs, meme_path)
        if sites_path is not None:
            self.sites.to_csv(sites_path, sep="\t", index=False)


def sample_instance(pwm: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One site sampled from a (W, 4) PWM, as base indices (W,)."""
    cum = np.cumsum(pwm, axis=1)
    u = rng.random((len(pwm), 1))
    return np.minimum((u > cum).sum(1), 3)


def background(n: int, length: int, rng: np.random.Generator, gc: float = 0.5) -> np.ndarray:
    """(n, length) i.i.d. base indices with GC content ``gc``."""
    p = np.array([(1 - gc) / 2, gc / 2, gc / 2, (1 - gc) / 2])
    return rng.choice(4, size=(n, length), p=p).astype(np.uint8)


def place(seq: np.ndarray, site: np.ndarray, occupied: np.ndarray, rng: np.random.Generator,
          start: int | None = None) -> int | None:
    """Write ``site`` into ``seq`` at a free random position (or ``start``); returns the start or None."""
    w = len(site)
    if start is None:
        free = np.flatnonzero(np.convolve(occupied, np.ones(w), "valid") == 0)
        if free.size == 0:
            return None
        start = int(rng.choice(free))
    seq[start:start + w] = site
    occupied[start:start + w] = True
    return start


def plant(seq: np.ndarray, motif: Motif, occupied: np.ndarray, rng: np.random.Generator,
          start: int | None = None, strand: str | None = None):
    """Sample an instance of ``motif`` and plant it (random strand unless given). Returns (start, strand)."""
    site = sample_instance(motif.pwm, rng)
    strand = strand or ("+" if rng.random() < 0.5 else "-")
    if strand == "-":
        site = 3 - site[::-1]
    pos = place(seq, site, occupied, rng, start)
    return pos, strand


def _to_strings(codes: np.ndarray) -> list[str]:
    table = np.frombuffer(b"ACGT", dtype=np.uint8)
    return [row.tobytes().decode() for row in table[codes]]


def simulate_presence(n: int = 8000, length: int = 200, motif_ids=MULTILABEL_MOTIFS, min_motifs: int = 1,
                      max_motifs: int = 3, gc: float = 0.5, seed: int = 0) -> Simulation:
    """Multi-label presence: each sequence holds 1-3 distinct planted motifs; target k = motif k present."""
    rng = np.random.default_rng(seed)
    motifs = load_jaspar(list(motif_ids))
    codes = background(n, length, rng, gc)
    y = np.zeros((n, len(motifs)), dtype=np.float32)
    sites = []
    for i in range(n):
        occupied = np.zeros(length, dtype=bool)
        k = rng.integers(min_motifs, max_motifs + 1)
        for j in rng.choice(len(motifs), size=k, replace=False):
            pos, strand = plant(codes[i], motifs[j], occupied, rng)
            if pos is not None:
                y[i, j] = 1
                sites.append((i, motifs[j].name, pos, pos + motifs[j].width, strand))
    names = [f"{m.altname}_{m.name}" for m in motifs]
    return Simulation(_to_strings(codes), pd.DataFrame(y, columns=names), motifs,
                      pd.DataFrame(sites, columns=["sequence", "motif", "start", "end", "strand"]))


def simulate_additive(n: int = 8000, length: int = 200, motif_ids=MULTILABEL_MOTIFS[:5], n_targets: int = 2,
                      max_sites: int = 4, noise: float = 0.3, gc: float = 0.5, seed: int = 0) -> Simulation:
    """Regression: each sequence holds 0-``max_sites`` instances; target t = sum_k effect[t, k] * count_k + noise.

    Effects are drawn with magnitude in [0.5, 2] and random sign; they are stored in
    ``Simulation.targets.attrs["effects"]`` (T x K).
    """
    rng = np.random.default_rng(seed)
    motifs = load_jaspar(list(motif_ids))
    effects = rng.uniform(0.5, 2.0, size=(n_targets, len(motifs))) * rng.choice([-1, 1], size=(n_targets, len(motifs)))
    codes = background(n, length, rng, gc)
    counts = np.zeros((n, len(motifs)))
    sites = []
    for i in range(n):
        occupied = np.zeros(length, dtype=bool)
        for _ in range(rng.integers(0, max_sites + 1)):
            j = int(rng.integers(len(motifs)))
            pos, strand = plant(codes[i], motifs[j], occupied, rng)
            if pos is not None:
                counts[i, j] += 1
                sites.append((i, motifs[j].name, pos, pos + motifs[j].width, strand))
    y = counts @ effects.T + noise * rng.standard_normal((n, n_targets))
    targets = pd.DataFrame(y.astype(np.float32), columns=[f"activity{t}" for t in range(n_targets)])
    targets.attrs["effects"] = effects
    return Simulation(_to_strings(codes), targets, motifs,
                      pd.DataFrame(sites, columns=["sequence", "motif", "start", "end", "strand"]))


#: name -> (function, default keyword arguments, one-line description, task)
PRESETS: dict[str, tuple[Callable[..., Simulation], dict, str, str]] = {
    "multilabel": (simulate_presence, {}, "10 JASPAR motifs, 200 bp, 8,000 sequences, 1-3 motifs each; "
                   "one binary target per motif", "binary"),
    "regression": (simulate_additive, {}, "5 JASPAR motifs with additive effects on 2 real-valued targets, "
                   "200 bp, 8,000 sequences", "regression"),
    "low_information": (simulate_presence, {"motif_ids": LOW_INFORMATION_MOTIFS},
                        "6 low-information JASPAR motifs (7-9 bits), 200 bp, 8,000 sequences, 1-3 motifs each; "
                        "one binary target per motif", "binary"),
    "gc_rich": (simulate_presence, {"gc": 0.65}, "the multilabel motifs in a GC-rich background (65% GC), "
                "200 bp, 8,000 sequences", "binary"),
    "tiny": (simulate_presence, {"n": 1500, "length": 100, "motif_ids": MULTILABEL_MOTIFS[:3]},
             "3 motifs, 100 bp, 1,500 sequences: a quick multi-label set for tests", "binary"),
}


def simulate(preset: str = "multilabel", seed: int = 0, **overrides) -> Simulation:
    """Simulate the named preset; keyword arguments override its defaults (e.g. ``n=2000``)."""
    try:
        _load_extra_presets()
        fn, defaults, _, _ = PRESETS[preset]
    except KeyError:
        raise KeyError(f"unknown simulation preset {preset!r}; choose one of: {', '.join(PRESETS)}") from None
    return fn(**{**defaults, **overrides, "seed": seed})


def _load_extra_presets() -> None:
    try:
        from . import simulate_syntax  # noqa: F401  (registers syntax presets)
        from . import simulate_argminn  # noqa: F401  (ARGMINN-like presets, after simulate_syntax)
    except ImportError:
        pass
