"""Simulated sets modelled on ARGMINN's six (Tseng et al. 2024), 500 bp, from JASPAR motifs.

Registers these presets into :data:`motifzoo.data.simulate.PRESETS` (imported by
:func:`motifzoo.data.simulate.simulate`) and into :data:`motifzoo.data.simulate_syntax.SYNTAX_PRESETS`,
so that :func:`motifzoo.data.simulate_syntax.planted_rules` returns their ground truth:

``argminn_single``
    Single TF: positive iff SPI1 (MA0080.7) is present (1-3 copies); negatives are background.
``argminn_tal_gata``
    TAL/GATA pair with *soft* spacing: positives hold TAL1::TCF3 (MA0091.2) and GATA1 (MA0035.5)
    with the GATA1 center 16.5-24.5 bp downstream of the TAL1 center (pair frame, any orientation; the
    pair sits on a random strand, so on the forward strand only |center distance| matters);
    negatives hold the two farther apart (|d| >= 40 bp), one of them alone, or neither.
``argminn_cooperative``
    Cooperative pair: positive iff both E2F6 (MA0471.3) and MAX (MA0058.4) are present (any spacing
    and strand; 1-2 copies each).
``argminn_hard_spacing``
    Hard spacing: positives hold JUND (MA0491.3) and TEAD1 (MA0090.4) with the TEAD1 center exactly
    ``distance`` = 18 bp downstream of the JUND center, both ``++`` (pair frame; the pair is planted on
    a random DNA strand). Half of the negatives hold the same orientation at 18 +- 1..3 bp (the
    "near misses" that make the spacing hard), a fifth hold another arrangement (same orientation more
    than 3 bp off, or TEAD1 on the other strand; JUND's AP-1 site is palindromic, so its strand is never
    what separates the classes), the rest one motif alone or neither.
``argminn_hard_spacing_small``
    The same at 200 bp with 3,000 sequences (quick tests).
``argminn_repressor``
    A repressor: positive iff HNF1A (MA0046.3) is present and REST (MA0138.3) is absent.
``argminn_cooccur_repression``
    Co-occurrence with repression: positive iff SPI1 and CEBPB (MA0466.4) are both present and
    CTCF (MA0139.2) is absent.

The planted rules are in ``sim.targets.attrs["rules"]`` (dicts as in
:mod:`motifzoo.data.simulate_syntax`: ``motif_a``, ``motif_b`` (JASPAR ids; ``None`` for a
single-motif rule), ``distance`` (center of b minus center of a in the pair frame, or ``None``),
``orientation`` (or ``None``), ``kind`` (``presence``, ``soft_spacing``, ``cooperative``,
``spacing``, ``repression``), ``sign`` (+1/-1) and ``tolerance`` (bp around ``distance`` that
counts as the rule; 0 for hard spacing)). Every planted site is in ``sim.sites`` with its ``role``.
"""
from __future__ import annotations

import numpy as np

from ..motifs import Motif, load_jaspar
from .simulate import PRESETS, background
from .simulate_syntax import SYNTAX_PRESETS, _FLIP, _finish, _plant_alone, plant_pair

SPI1, TAL1, GATA1 = "MA0080.7", "MA0091.2", "MA0035.5"
E2F6, MAX, JUND, TEAD1 = "MA0471.3", "MA0058.4", "MA0491.3", "MA0090.4"
HNF1A, REST, CEBPB, CTCF = "MA0046.3", "MA0138.3", "MA0466.4", "MA0139.2"


def _reachable(distance: float, width_a: int, width_b: int) -> float:
    """Smallest distance >= ``distance`` at which both centers fall on bases.

    Half-integer when the widths differ in parity.
    """
    half = ((width_a - width_b) % 2) / 2
    return float(np.ceil(distance - half) + half)


def _other_arrangement_b(rng, distance: int, orientation: str, max_distance: int, min_gap: int,
                         near: int) -> tuple[int, str]:
    """Another arrangement that keeps a's strand: b's strand flipped, or the same orientation more than ``near`` bp off.

    a's strand is never flipped alone, so a palindromic a (JUND, an AP-1 site) cannot turn a negative into
    a copy of the planted arrangement.
    """
    flipped = orientation[0] + _FLIP[orientation[1]]
    while True:
        d = int(rng.integers(-max_distance, max_distance + 1))
        if rng.random() < 0.5:
            if abs(d) >= min_gap:
                return d if rng.random() < 0.5 else distance, flipped
        elif abs(d) >= min_gap and abs(d - distance) > near:
            return d, orientation


def simulate_hard_spacing(n: int = 8000, length: int = 500, motif_ids=(JUND, TEAD1), distance: int = 18,
                          orientation: str = "++", positive_frac: float = 0.5, near: int = 3,
                          near_frac: float = 0.5, other_frac: float = 0.2, max_distance: int = 60,
                          gc: float = 0.5, seed: int = 0):
    """Hard spacing: the pair counts only at exactly ``distance`` bp in ``orientation`` (see module docstring).

    Parameters
    ----------
    near : int
        Negatives' near misses: same orientation at ``distance +- 1..near``.
    near_frac, other_frac : float
        Fractions of the negatives with a near miss and with another arrangement (more than ``near``
        bp off or another orientation); the rest hold a alone, b alone or neither (equally often).
    """
    rng = np.random.default_rng(seed)
    motif_a, motif_b = load_jaspar(list(motif_ids))
    min_gap = (motif_a.width + motif_b.width) // 2 + 1
    if abs(distance) - near < min_gap:
        raise ValueError(f"distance={distance} - near={near} makes the sites overlap; use >= {min_gap + near}")
    codes = background(n, length, rng, gc)
    y = (rng.random(n) < positive_frac).astype(np.float32)
    sites = []
    for i in range(n):
        occupied = np.zeros(length, dtype=bool)
        if y[i]:
            seq_sites = plant_pair(codes[i], occupied, motif_a, motif_b, distance, orientation, rng)
        else:
            u = rng.random()
            if u < near_frac:
                d = distance + int(rng.choice([-1, 1])) * int(rng.integers(1, near + 1))
                seq_sites = plant_pair(codes[i], occupied, motif_a, motif_b, d, orientation, rng)
            elif u < near_frac + other_frac:
                d, o = _other_arrangement_b(rng, distance, orientation, max_distance, min_gap, near)
                seq_sites = plant_pair(codes[i], occupied, motif_a, motif_b, d, o, rng)
            else:
                v = rng.integers(3)
                seq_sites = ([] if v == 2 else
                             _plant_alone(codes[i], occupied, motif_a if v == 0 else motif_b, "ab"[v], rng))
        sites.append(seq_sites)
    rules = [{"motif_a": motif_a.name, "motif_b": motif_b.name, "distance": distance, "orientation": orientation,
              "kind": "spacing", "sign": 1, "tolerance": 0}]
    return _finish(codes, y, f"{motif_a.altname}_{motif_b.altname}_hard_spacing", [motif_a, motif_b], sites, rules)


def simulate_soft_spacing(n: int = 8000, length: int = 500, motif_ids=(TAL1, GATA1), low: float = 16.5,
                          high: float = 24.5, far: int = 40, positive_frac: float = 0.5, gc: float = 0.5,
                          seed: int = 0):
    """Soft spacing, any orientation: b's center ``low``..``high`` bp downstream of a's (pair frame) in positives.

    Negatives: half hold the pair at ``far <= |d| <= length / 3`` (any orientation), the rest a alone,
    b alone or neither.
    """
    rng = np.random.default_rng(seed)
    motif_a, motif_b = load_jaspar(list(motif_ids))
    min_gap = (motif_a.width + motif_b.width) // 2 + 1
    low, high = _reachable(low, motif_a.width, motif_b.width), _reachable(high, motif_a.width, motif_b.width)
    if low < min_gap:
        raise ValueError(f"low={low} makes the sites overlap; use >= {min_gap}")
    spacings = np.arange(low, high + 0.5, 1.0)
    far_max = max(far, length // 3)
    far_d = np.arange(_reachable(far, motif_a.width, motif_b.width), far_max + 0.5, 1.0)
    codes = background(n, length, rng, gc)
    y = (rng.random(n) < positive_frac).astype(np.float32)
    sites = []
    orientations = ["++", "+-", "-+", "--"]
    for i in range(n):
        occupied = np.zeros(length, dtype=bool)
        if y[i]:
            seq_sites = plant_pair(codes[i], occupied, motif_a, motif_b, float(rng.choice(spacings)),
                                   str(rng.choice(orientations)), rng)
        elif rng.random() < 0.5:
            d = float(rng.choice(far_d)) * (1 if rng.random() < 0.5 else -1)
            seq_sites = plant_pair(codes[i], occupied, motif_a, motif_b, d, str(rng.choice(orientations)), rng)
        else:
            v = rng.integers(3)
            seq_sites = [] if v == 2 else _plant_alone(codes[i], occupied, motif_a if v == 0 else motif_b,
                                                       "ab"[v], rng)
        sites.append(seq_sites)
    rules = [{"motif_a": motif_a.name, "motif_b": motif_b.name, "distance": (low + high) / 2, "orientation": None,
              "kind": "soft_spacing", "sign": 1, "tolerance": (high - low) / 2}]
    return _finish(codes, y, f"{motif_a.altname}_{motif_b.altname}_soft_spacing", [motif_a, motif_b], sites, rules)


def simulate_logic(n: int = 8000, length: int = 500, motif_ids=(SPI1,), present=(0.5,), logic: str = "single",
                   max_copies: int = 3, gc: float = 0.5, seed: int = 0):
    """Presence logic: motif k is present with probability ``present[k]`` (1..``max_copies`` copies).

    ``logic``: ``single`` (positive iff motif 0), ``and`` (motifs 0 and 1), ``and_not`` (motif 0 and not
    motif 1), ``and_and_not`` (motifs 0 and 1 and not motif 2).
    """
    rules_of = {"single": 1, "and": 2, "and_not": 2, "and_and_not": 3}
    if logic not in rules_of or len(motif_ids) != rules_of[logic] or len(present) != len(motif_ids):
        raise ValueError(f"logic {logic!r} needs {rules_of.get(logic, '?')} motifs and presence probabilities")
    rng = np.random.default_rng(seed)
    motifs: list[Motif] = load_jaspar(list(motif_ids))
    codes = background(n, length, rng, gc)
    has = rng.random((n, len(motifs))) < np.asarray(present)
    roles = "abc"
    sites = []
    for i in range(n):
        occupied = np.zeros(length, dtype=bool)
        seq_sites = []
        for k, motif in enumerate(motifs):
            if has[i, k]:
                for _ in range(int(rng.integers(1, max_copies + 1))):
                    seq_sites += _plant_alone(codes[i], occupied, motif, roles[k], rng)
        sites.append(seq_sites)
    # labels follow what was planted (a copy that did not fit is not there)
    ids = [m.name for m in motifs]
    has = np.zeros_like(has)
    for i, seq_sites in enumerate(sites):
        for site in seq_sites:
            has[i, ids.index(site[0])] = True
    y = has[:, 0].copy()
    if logic in ("and", "and_and_not"):
        y &= has[:, 1]
    if logic == "and_not":
        y &= ~has[:, 1]
    if logic == "and_and_not":
        y &= ~has[:, 2]
    a, names = motifs[0], "_".join(m.altname for m in motifs)
    if logic == "single":
        rules = [{"motif_a": a.name, "motif_b": None, "distance": None, "orientation": None, "kind": "presence",
                  "sign": 1, "tolerance": None}]
    elif logic == "and":
        rules = [{"motif_a": a.name, "motif_b": motifs[1].name, "distance": None, "orientation": None,
                  "kind": "cooperative", "sign": 1, "tolerance": None}]
    elif logic == "and_not":
        rules = [{"motif_a": a.name, "motif_b": motifs[1].name, "distance": None, "orientation": None,
                  "kind": "repression", "sign": -1, "tolerance": None}]
    else:
        rules = [{"motif_a": a.name, "motif_b": motifs[1].name, "distance": None, "orientation": None,
                  "kind": "cooperative", "sign": 1, "tolerance": None}] + [
                 {"motif_a": m.name, "motif_b": motifs[2].name, "distance": None, "orientation": None,
                  "kind": "repression", "sign": -1, "tolerance": None} for m in motifs[:2]]
    return _finish(codes, y.astype(np.float32), f"{names}_{logic}", motifs, sites, rules)


ARGMINN_PRESETS = {
    "argminn_single": (simulate_logic, {"motif_ids": (SPI1,), "present": (0.5,), "logic": "single"},
                       "ARGMINN-like single TF: SPI1 present (1-3 copies) or not; 500 bp, 8,000 sequences", "binary"),
    "argminn_tal_gata": (simulate_soft_spacing, {},
                         "ARGMINN-like TAL/GATA pair: TAL1::TCF3 then GATA1 16.5-24.5 bp apart, any orientation, "
                         "vs farther apart or alone; 500 bp, 8,000 sequences", "binary"),
    "argminn_cooperative": (simulate_logic, {"motif_ids": (E2F6, MAX), "present": (0.7, 0.7), "logic": "and",
                                             "max_copies": 2},
                            "ARGMINN-like cooperative pair: E2F6 and MAX both needed, any spacing; 500 bp, "
                            "8,000 sequences", "binary"),
    "argminn_hard_spacing": (simulate_hard_spacing, {},
                             "ARGMINN-like hard spacing: JUND then TEAD1 exactly 18 bp apart, ++, vs 18+-1..3 bp "
                             "and other arrangements; 500 bp, 8,000 sequences", "binary"),
    "argminn_hard_spacing_small": (simulate_hard_spacing, {"n": 3000, "length": 200},
                                   "the hard-spacing preset at 200 bp with 3,000 sequences (quick tests)", "binary"),
    "argminn_repressor": (simulate_logic, {"motif_ids": (HNF1A, REST), "present": (0.7, 0.4), "logic": "and_not",
                                           "max_copies": 2},
                          "ARGMINN-like repressor: HNF1A activates unless REST is present; 500 bp, 8,000 sequences",
                          "binary"),
    "argminn_cooccur_repression": (simulate_logic, {"motif_ids": (SPI1, CEBPB, CTCF), "present": (0.7, 0.7, 0.4),
                                                    "logic": "and_and_not", "max_copies": 2},
                                   "ARGMINN-like co-occurrence with repression: SPI1 and CEBPB both needed, CTCF "
                                   "cancels; 500 bp, 8,000 sequences", "binary"),
}
PRESETS.update(ARGMINN_PRESETS)
SYNTAX_PRESETS.update(ARGMINN_PRESETS)
