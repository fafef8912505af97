"""Simulated sequences with planted *syntax*: which motifs combine, at what spacing and orientation.

Registers four presets into :data:`motifzoo.data.simulate.PRESETS` (imported automatically by
:func:`motifzoo.data.simulate.simulate`):

``spacing``
    Positives hold motifs A (FOXA1) and B (NFYA) with the center of B exactly
    ``distance`` bp downstream of the center of A, both on the same strand (``++``).
    The pair is planted as a unit on a random DNA strand, so on the forward strand
    half the positives read ``B- ... A-`` (the reverse-complement-equivalent
    arrangement). Negatives hold A and B in another arrangement (same orientation
    at another spacing, the planted spacing in another orientation, or both random),
    A alone, B alone, or neither. A distractor motif (SP1) is planted in half of all
    sequences regardless of class. Presence of A and B alone cannot separate the
    classes; only the arrangement can.
``spacing_small``
    The same with 2,000 sequences of 150 bp, for quick tests.
``cooperative``
    Positive iff both HNF4A and CEBPB are present (any spacing and strand);
    negatives hold one of them or neither. Distractor as above.
``repression``
    Positive iff TEAD1 is present and CTCF is absent: CTCF cancels TEAD1.
    Distractor as above.

The planted rules are kept with the simulation as ``sim.targets.attrs["rules"]``
(a list of dicts: ``motif_a``, ``motif_b`` (JASPAR ids), ``distance`` (center of
b minus center of a on the forward strand of the pair, bp, or ``None`` for any),
``orientation`` (``++``/``+-``/``-+``/``--`` or ``None``), ``kind``
(``spacing``/``cooperative``/``repression``) and ``sign`` (+1/-1)); the same without
simulating is :func:`planted_rules`. Every planted site is in ``sim.sites`` with a
``role`` column: ``a``/``b`` (the pair), ``distractor``.

Centers: a motif of width ``w`` planted at ``start`` has its center at
``start + (w - 1) / 2``. The shipped motifs used here keep every column at a
0.2-bit trim, so this is also the center of the motif ``motifzoo motifs``
would export if it recovered the whole motif.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..motifs import Motif, load_jaspar
from .simulate import PRESETS, Simulation, _to_strings, background, plant, sample_instance

#: (motif_a, motif_b, distractor) JASPAR ids per preset
SPACING_MOTIFS = ("MA0148.5", "MA0060.4", "MA0079.5")      # FOXA1, NFYA; SP1
COOPERATIVE_MOTIFS = ("MA0114.5", "MA0466.4", "MA0079.5")  # HNF4A, CEBPB; SP1
REPRESSION_MOTIFS = ("MA0090.4", "MA0139.2", "MA0079.5")   # TEAD1 (activator), CTCF (repressor); SP1

SITE_COLUMNS = ["sequence", "motif", "start", "end", "strand", "role"]
_FLIP = {"+": "-", "-": "+"}


def _center_offset(width: int) -> float:
    """Center of a site relative to its first base."""
    return (width - 1) / 2


def arrangement_starts(width_a: int, width_b: int, distance: int, orientation: str, unit_strand: str):
    """Forward-strand starts and strands of a pair of sites, relative to the leftmost base.

    Parameters
    ----------
    width_a, width_b : int
        Site widths.
    distance : int
        Center of b minus center of a, in the pair's own frame.
    orientation : str
        Strands of a and b in the pair's own frame (``++``, ``+-``, ``-+``, ``--``).
    unit_strand : {"+", "-"}
        ``-`` mirrors the whole pair onto the other DNA strand: positions are
        reflected and both strands flipped.

    Returns
    -------
    (start_a, strand_a, start_b, strand_b, span) : tuple
        ``span`` is the number of bases from the leftmost to the rightmost planted base.
    """
    center_a, center_b = 0.0, float(distance)
    strand_a, strand_b = orientation[0], orientation[1]
    if unit_strand == "-":
        center_a, center_b = -center_a, -center_b
        strand_a, strand_b = _FLIP[strand_a], _FLIP[strand_b]
    start_a = center_a - _center_offset(width_a)
    start_b = center_b - _center_offset(width_b)
    if start_b - start_a != int(start_b - start_a):
        raise ValueError(f"distance {distance} is not reachable for widths {width_a} and {width_b}: "
                         "one center would fall between bases")
    left = min(start_a, start_b)
    start_a, start_b = int(round(start_a - left)), int(round(start_b - left))
    span = max(start_a + width_a, start_b + width_b)
    return start_a, strand_a, start_b, strand_b, span


def _plant_at(seq, motif: Motif, start: int, strand: str, occupied, rng) -> None:
    site = sample_instance(motif.pwm, rng)
    if strand == "-":
        site = 3 - site[::-1]
    seq[start:start + motif.width] = site
    occupied[start:start + motif.width] = True


def plant_pair(seq, occupied, motif_a: Motif, motif_b: Motif, distance: int, orientation: str,
               rng: np.random.Generator, unit_strand: str | None = None) -> list[tuple]:
    """Plant a and b in a given arrangement at a random offset of an empty sequence.

    Returns the sites as ``(motif id, start, end, strand, role)`` tuples.
    """
    unit_strand = unit_strand or ("+" if rng.random() < 0.5 else "-")
    start_a, strand_a, start_b, strand_b, span = arrangement_starts(
        motif_a.width, motif_b.width, distance, orientation, unit_strand)
    if span > len(seq):
        raise ValueError(f"a pair spanning {span} bp does not fit a {len(seq)} bp sequence")
    offset = int(rng.integers(0, len(seq) - span + 1))
    sites = []
    for motif, start, strand, role in ((motif_a, start_a, strand_a, "a"), (motif_b, start_b, strand_b, "b")):
        _plant_at(seq, motif, offset + start, strand, occupied, rng)
        sites.append((motif.name, offset + start, offset + start + motif.width, strand, role))
    return sites


def _other_arrangement(rng, distance: int, orientation: str, max_distance: int, min_gap: int,
                       tolerance: int) -> tuple[int, str]:
    """An arrangement of a and b that is not the planted one (nor its reverse-complement equivalent).

    A third keep the planted orientation at another spacing, a third keep the planted spacing in another
    orientation, a third are random. ``|distance| >= min_gap`` keeps the sites from overlapping.
    """
    orientations = ["++", "+-", "-+", "--"]
    mode = rng.integers(3)
    while True:
        d = int(rng.integers(-max_distance, max_distance + 1)) if mode != 1 else distance
        o = str(rng.choice(orientations)) if mode != 0 else orientation
        if abs(d) < min_gap:
            continue
        # in the pair frame, (o, d) read on the other strand is (flipped o, -d)
        same = (o == orientation and abs(d - distance) <= tolerance)
        mirrored = (o == _FLIP[orientation[0]] + _FLIP[orientation[1]] and abs(-d - distance) <= tolerance)
        if not (same or mirrored):
            return d, o


def _plant_alone(seq, occupied, motif: Motif, role: str, rng) -> list[tuple]:
    pos, strand = plant(seq, motif, occupied, rng)
    return [] if pos is None else [(motif.name, pos, pos + motif.width, strand, role)]


def _finish(codes, y, target, motifs, sites, rules) -> Simulation:
    targets = pd.DataFrame({target: y.astype(np.float32)})
    targets.attrs["rules"] = rules
    rows = [(i, *s) for i, seq_sites in enumerate(sites) for s in seq_sites]
    return Simulation(_to_strings(codes), targets, motifs, pd.DataFrame(rows, columns=SITE_COLUMNS))


def simulate_spacing(n: int = 8000, length: int = 200, motif_ids=SPACING_MOTIFS, distance: int = 20,
                     orientation: str = "++", positive_frac: float = 0.5, max_distance: int = 60,
                     distractor_frac: float = 0.5, tolerance: int = 4, gc: float = 0.5, seed: int = 0) -> Simulation:
    """Planted spacing and orientation: positives hold a and b in one arrangement (see module docstring).

    Parameters
    ----------
    n, length : int
        Number of sequences and their length in bp.
    motif_ids : (str, str, str)
        JASPAR ids of motif a, motif b and the distractor.
    distance : int
        Center of b minus center of a in the positives (pair frame), bp.
    orientation : str
        Strands of a and b in the positives (pair frame).
    positive_frac : float
        Fraction of positives.
    max_distance : int
        Largest |distance| of the negatives' other arrangements.
    distractor_frac : float
        Fraction of all sequences (either class) that also hold the distractor.
    tolerance : int
        Other arrangements differ from the planted one by more than this many bp, or in orientation.
    """
    if orientation not in ("++", "+-", "-+", "--"):
        raise ValueError(f"orientation must be ++, +-, -+ or --, got {orientation!r}")
    rng = np.random.default_rng(seed)
    motif_a, motif_b, distractor = load_jaspar(list(motif_ids))
    min_gap = (motif_a.width + motif_b.width) // 2 + 1
    if abs(distance) < min_gap:
        raise ValueError(f"distance={distance} makes the sites overlap; use |distance| >= {min_gap}")
    codes = background(n, length, rng, gc)
    y = (rng.random(n) < positive_frac).astype(np.float32)
    sites = []
    for i in range(n):
        occupied = np.zeros(length, dtype=bool)
        if y[i]:
            seq_sites = plant_pair(codes[i], occupied, motif_a, motif_b, distance, orientation, rng)
        else:
            u = rng.random()
            if u < 0.5:
                d, o = _other_arrangement(rng, distance, orientation, max_distance, min_gap, tolerance)
                seq_sites = plant_pair(codes[i], occupied, motif_a, motif_b, d, o, rng)
            elif u < 0.7:
                seq_sites = _plant_alone(codes[i], occupied, motif_a, "a", rng)
            elif u < 0.9:
                seq_sites = _plant_alone(codes[i], occupied, motif_b, "b", rng)
            else:
                seq_sites = []
        if rng.random() < distractor_frac:
            seq_sites += _plant_alone(codes[i], occupied, distractor, "distractor", rng)
        sites.append(seq_sites)
    rules = [{"motif_a": motif_a.name, "motif_b": motif_b.name, "distance": distance, "orientation": orientation,
              "kind": "spacing", "sign": 1}]
    target = f"{motif_a.altname}_{motif_b.altname}_spacing"
    return _finish(codes, y, target, [motif_a, motif_b, distractor], sites, rules)


def simulate_combination(n: int = 8000, length: int = 200, motif_ids=COOPERATIVE_MOTIFS, kind: str = "cooperative",
                         distractor_frac: float = 0.5, gc: float = 0.5, seed: int = 0) -> Simulation:
    """Cooperativity (positive iff a and b both present) or repression (positive iff a present and b absent).

    Each motif is planted at a random position and strand; spacing and orientation do not matter.
    Sequences are split evenly over the four combinations of a present/absent and b present/absent,
    so that positives are 1/4 (cooperative) or 1/4 (repression) of the data.
    """
    if kind not in ("cooperative", "repression"):
        raise ValueError(f"kind must be 'cooperative' or 'repression', got {kind!r}")
    rng = np.random.default_rng(seed)
    motif_a, motif_b, distractor = load_jaspar(list(motif_ids))
    codes = background(n, length, rng, gc)
    combo = rng.integers(0, 4, size=n)  # bit 0: a present, bit 1: b present
    has_a, has_b = (combo & 1).astype(bool), (combo & 2).astype(bool)
    y = (has_a & has_b) if kind == "cooperative" else (has_a & ~has_b)
    sites = []
    for i in range(n):
        occupied = np.zeros(length, dtype=bool)
        seq_sites = []
        if has_a[i]:
            seq_sites += _plant_alone(codes[i], occupied, motif_a, "a", rng)
        if has_b[i]:
            seq_sites += _plant_alone(codes[i], occupied, motif_b, "b", rng)
        if rng.random() < distractor_frac:
            seq_sites += _plant_alone(codes[i], occupied, distractor, "distractor", rng)
        sites.append(seq_sites)
    rules = [{"motif_a": motif_a.name, "motif_b": motif_b.name, "distance": None, "orientation": None,
              "kind": kind, "sign": 1 if kind == "cooperative" else -1}]
    target = f"{motif_a.altname}_{motif_b.altname}_{kind}"
    return _finish(codes, y, target, [motif_a, motif_b, distractor], sites, rules)


def planted_rules(preset: str) -> pd.DataFrame:
    """The rule a syntax preset plants, without simulating it (columns as in ``targets.attrs["rules"]``)."""
    from .simulate import _load_extra_presets
    _load_extra_presets()  # presets of other modules (e.g. the ARGMINN-like ones) register on import
    if preset not in SYNTAX_PRESETS:
        raise KeyError(f"{preset!r} is not a syntax preset; choose one of: {', '.join(SYNTAX_PRESETS)}")
    fn, defaults, _, _ = SYNTAX_PRESETS[preset]
    sim = fn(**{**defaults, "n": 1})
    return pd.DataFrame(sim.targets.attrs["rules"])


SYNTAX_PRESETS = {
    "spacing": (simulate_spacing, {},
                "FOXA1 then NFYA 20 bp apart (centers), same strand, vs other arrangements or either alone; "
                "SP1 distractor; 200 bp, 8,000 sequences", "binary"),
    "spacing_small": (simulate_spacing, {"n": 2000, "length": 150},
                      "the spacing preset with 2,000 sequences of 150 bp (quick tests)", "binary"),
    "cooperative": (simulate_combination, {"kind": "cooperative", "motif_ids": COOPERATIVE_MOTIFS},
                    "HNF4A and CEBPB both needed; SP1 distractor; 200 bp, 8,000 sequences", "binary"),
    "repression": (simulate_combination, {"kind": "repression", "motif_ids": REPRESSION_MOTIFS},
                   "TEAD1 activates unless CTCF is present; SP1 distractor; 200 bp, 8,000 sequences", "binary"),
}
PRESETS.update(SYNTAX_PRESETS)
