"""Variants with known answers on simulated data: ground truth for variant-effect readers.

:func:`simulate_variants` takes a :class:`~motifzoo.data.simulate.Simulation` and returns a window table
(``name``, ``ref``, ``alt``, as :func:`motifzoo.interpret.variant_effects` and ``motifzoo variants`` read
it) with the truth in ``kind``, ``motif`` (JASPAR id), ``tf`` (its TF name), ``sequence`` (row of the
simulation), ``position`` (0-based, first changed base) and ``ref_allele``/``alt_allele``:

``break``
    An SNV inside a planted site, at the site's most informative position: the column where putting the
    motif's least likely base lowers that instance's log-odds score the most. The alt allele is that base.
``create``
    An SNV that completes a site: an instance of a motif absent from the sequence is planted at a free
    position with its most informative column (highest information content) set to the least likely base
    (the ref window), and the SNV restores the most likely base there (the alt window).
``background``
    Matched to each ``break`` variant: an SNV in the same sequence outside every planted site, to a random
    other base.
``spacing``, ``orientation`` (syntax presets with a planted pair, ``sim.sites`` roles ``a``/``b``)
    On sequences holding both sites: ``spacing`` deletes ``shift`` bp between the two sites (an indel: one base
    cannot move a site), so the centers move ``shift`` bp closer, beyond the preset's tolerance; ``orientation``
    reverse-complements site b in place (a multi-nucleotide variant), turning its strand. The window stays
    the same length: a deletion pulls in ``shift`` background bases at the right end. ``motif`` is b's id.

Variants are drawn from the rows in ``rows`` (e.g. the test split), without repeating a site.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..motifs import information_content
from .simulate import Simulation

KINDS = ("break", "create", "background", "spacing", "orientation")
COLUMNS = ["name", "ref", "alt", "kind", "motif", "tf", "sequence", "position", "ref_allele", "alt_allele"]
_COMP = str.maketrans("ACGT", "TGCA")


def _log_odds(pwm: np.ndarray) -> np.ndarray:
    return np.log(np.clip(pwm, 1e-3, 1.0) / 0.25)


def _revcomp(s: str) -> str:
    return s.translate(_COMP)[::-1]


def _occupancy(sites: pd.DataFrame, length: int):
    """``occupied(row)``: a (length,) mask of the bases inside planted sites of sequence ``row``."""
    spans: dict[int, list[tuple[int, int]]] = {}
    for row, start, end in zip(sites["sequence"].tolist(), sites["start"].tolist(), sites["end"].tolist()):
        spans.setdefault(int(row), []).append((int(start), int(end)))

    def occupied(row: int) -> np.ndarray:
        mask = np.zeros(length, dtype=bool)
        for start, end in spans.get(int(row), ()):
            mask[start:end] = True
        return mask
    return occupied


def _break_snv(seq: str, site, pwm: np.ndarray) -> tuple[int, str, str]:
    """Position, ref and alt base of the SNV that lowers the planted instance's log-odds score the most."""
    lo = _log_odds(pwm)
    width = len(pwm)
    window = seq[site.start:site.end]
    motif_strand = window if site.strand == "+" else _revcomp(window)
    idx = np.array(["ACGT".index(b) if b in "ACGT" else 0 for b in motif_strand])
    drop = lo[np.arange(width), idx] - lo.min(axis=1)
    j = int(np.argmax(drop))
    alt_motif_base = "ACGT"[int(np.argmin(lo[j]))]
    if site.strand == "+":
        return site.start + j, seq[site.start + j], alt_motif_base
    pos = site.start + width - 1 - j
    return pos, seq[pos], alt_motif_base.translate(_COMP)


def _snv(seq: str, pos: int, base: str) -> str:
    return seq[:pos] + base + seq[pos + 1:]


def simulate_variants(sim: Simulation, n: int = 200, rows=None, shift: int = 6, seed: int = 0) -> pd.DataFrame:
    """Variants with known answers (see the module docstring) on the sequences of ``sim``.

    Parameters
    ----------
    sim : Simulation
        From :func:`motifzoo.data.simulate.simulate` (any preset; ``spacing``/``orientation`` need a planted pair).
    n : int
        Variants per kind (fewer when the rows hold fewer sites); ``background`` matches ``break`` one to one.
    rows : array of int, optional
        Sequences to draw from (default: all); pass the test split to score held-out sequences.
    shift : int
        Bases deleted between the pair's sites for ``spacing``.
    seed : int
    """
    rng = np.random.default_rng(seed)
    seqs = sim.sequences
    length = len(seqs[0])
    rows = np.arange(len(seqs)) if rows is None else np.asarray(rows, dtype=np.int64)
    by_id = {m.name: m for m in sim.motifs}
    sites = sim.sites.reset_index(drop=True)
    in_rows = sites[sites["sequence"].isin(set(rows.tolist()))]
    occupied = _occupancy(sites, length)
    present_by_row = sites.groupby("sequence")["motif"].agg(set).to_dict()
    out: list[dict] = []
    counts = dict.fromkeys(KINDS, 0)

    def add(kind, motif, row, pos, ref, alt, ref_allele, alt_allele):
        k = counts[kind]
        counts[kind] += 1
        out.append({"name": f"{kind}{k}_seq{row}_{pos}", "ref": ref, "alt": alt, "kind": kind, "motif": motif,
                    "tf": by_id[motif].altname if motif else "", "sequence": int(row), "position": int(pos),
                    "ref_allele": ref_allele, "alt_allele": alt_allele})

    # break + matched background
    chosen = in_rows.iloc[rng.permutation(len(in_rows))[:n]]
    for site in chosen.itertuples(index=False):
        seq = seqs[site.sequence]
        pos, ref_b, alt_b = _break_snv(seq, site, by_id[site.motif].pwm)
        if ref_b == alt_b:
            continue
        add("break", site.motif, site.sequence, pos, seq, _snv(seq, pos, alt_b), ref_b, alt_b)
        free = np.flatnonzero(~occupied(site.sequence))
        bpos = int(rng.choice(free))
        bref = seq[bpos]
        balt = str(rng.choice([b for b in "ACGT" if b != bref]))
        add("background", "", site.sequence, bpos, seq, _snv(seq, bpos, balt), bref, balt)

    # create: a one-off site completed by the SNV
    motif_ids = [m.name for m in sim.motifs]
    for _ in range(n):
        for _attempt in range(20):
            row = int(rng.choice(rows))
            present = present_by_row.get(row, set())
            absent = [m for m in motif_ids if m not in present]
            if not absent:
                continue
            motif = by_id[str(rng.choice(absent))]
            occ = occupied(row)
            free = np.flatnonzero(np.convolve(occ, np.ones(motif.width), "valid") == 0)
            if free.size:
                break
        else:
            continue
        start = int(rng.choice(free))
        site = "".join("ACGT"[i] for i in motif.pwm.argmax(1))
        j = int(np.argmax(information_content(motif.pwm)))
        weak = "ACGT"[int(np.argmin(motif.pwm[j]))]
        broken = site[:j] + weak + site[j + 1:]
        strand = "+" if rng.random() < 0.5 else "-"
        if strand == "-":
            site, broken, j = _revcomp(site), _revcomp(broken), motif.width - 1 - j
        seq = seqs[row]
        ref = seq[:start] + broken + seq[start + motif.width:]
        alt = seq[:start] + site + seq[start + motif.width:]
        add("create", motif.name, row, start + j, ref, alt, ref[start + j], alt[start + j])

    # syntax: change a planted pair's spacing or orientation
    if "role" in sites.columns:
        pairs = []
        for row, group in in_rows.groupby("sequence"):
            a, b = group[group["role"] == "a"], group[group["role"] == "b"]
            if len(a) == 1 and len(b) == 1:
                pairs.append((int(row), a.iloc[0], b.iloc[0]))
        order = rng.permutation(len(pairs))
        for i in order[:n]:
            row, a, b = pairs[i]
            seq = seqs[row]
            lo, hi = (a, b) if a.start < b.start else (b, a)
            gap = int(hi.start - lo.end)
            if gap >= shift:
                pos = int(lo.end + (gap - shift) // 2)
                tail = "".join(rng.choice(list("ACGT"), shift))
                alt = seq[:pos] + seq[pos + shift:] + tail
                add("spacing", b.motif, row, pos, seq, alt, seq[pos:pos + shift], "")
            window = seq[b.start:b.end]
            alt = seq[:b.start] + _revcomp(window) + seq[b.end:]
            if alt != seq:
                add("orientation", b.motif, row, int(b.start), seq, alt, window, _revcomp(window))
    return pd.DataFrame(out, columns=COLUMNS)


def write_variants(table: pd.DataFrame, path) -> None:
    """Write a :func:`simulate_variants` table as TSV (gzipped when the name ends in .gz)."""
    table.to_csv(path, sep="\t", index=False)


def write_simulated_variants(sim: Simulation, path, n: int = 200, seed: int = 0, valid_frac: float = 0.1,
                             test_frac: float = 0.1) -> pd.DataFrame:
    """:func:`simulate_variants` on the test split of ``sim`` (the split :meth:`Simulation.write` assigns with the
    same ``seed``), written to ``path``; returns the table."""
    from .tables import random_split
    split = random_split(len(sim.sequences), valid_frac, test_frac, seed + 7919)
    table = simulate_variants(sim, n=n, rows=np.flatnonzero(split == "test"), seed=seed)
    write_variants(table, path)
    return table
