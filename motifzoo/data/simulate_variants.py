"""Variants with known answers on simulated data: ground truth for variant-effect readers.

:func:`simulate_variants` takes a :class:`~motifzoo.data.simulate.Simulation` and returns a window table
(``name``, ``ref``, ``alt``, as :func:`motifzoo.interpret.variant_effects` and ``motifzoo variants`` read
it) with the truth in ``kind``, ``motif`` (JASPAR id), ``tf`` (its TF name), ``sequence`` (row of the
simulation), ``position`` (0-based, first changed base), ``ref_allele``/``alt_allele`` and ``site_p`` (the p-value
of the planted instance in ref for ``break``, of the completed one in alt for ``create``; :func:`site_pvalue`):

``break``
    An SNV inside a planted site, at the site's most informative position: the column where putting the
    motif's least likely base lowers that instance's log-odds score the most. The alt allele is that base.
    Only at *called* sites (``max_site_p``, default 1e-4): planted instances are sampled from the PWM, and
    some samples score no better than one random window in 10,000 does (16-22 % of the sites on the
    ``multilabel`` preset), so neither a FIMO-style scan with the generating motif nor a model can be
    expected to see a site there.
    A site is called when its log-odds score under the generating PWM (log2 odds against a uniform
    background, probabilities clipped at 1e-3, scores binned at 0.1 bit) has an exact p-value of at most
    ``max_site_p`` (:func:`site_pvalue`; FIMO's default threshold is 1e-4). ``max_site_p=None`` draws from
    every planted site (the rule before; same draws for the same seed).
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
COLUMNS = ["name", "ref", "alt", "kind", "motif", "tf", "sequence", "position", "ref_allele", "alt_allele", "site_p"]
#: default p-value a planted site must reach to be drawn for a ``break`` SNV (FIMO's default threshold)
MAX_SITE_P = 1e-4
#: score bins per bit of the exact p-value computation (:func:`score_survival`)
BINS_PER_BIT = 10
_COMP = str.maketrans("ACGT", "TGCA")


def _log_odds(pwm: np.ndarray) -> np.ndarray:
    return np.log(np.clip(pwm, 1e-3, 1.0) / 0.25)


def score_survival(pwm: np.ndarray, scale: int = BINS_PER_BIT) -> tuple[np.ndarray, int, np.ndarray]:
    """Exact null distribution of a PWM's log-odds score, binned, under a uniform i.i.d. background.

    The score of a window is the sum over columns of ``round(scale * log2(p / 0.25))`` (probabilities clipped at
    1e-3), so its distribution is the convolution of the columns'. Returns ``(lo_int, min_score, survival)``:
    the (W, 4) integer log-odds, the lowest score, and ``survival[s - min_score] = P(score >= s)``.
    """
    lo_int = np.round(np.log2(np.clip(pwm, 1e-3, 1.0) / 0.25) * scale).astype(np.int64)
    dist, lo_min = np.array([1.0]), 0
    for col in lo_int:
        step = np.zeros(col.max() - col.min() + 1)
        np.add.at(step, col - col.min(), 0.25)
        dist = np.convolve(dist, step)
        lo_min += int(col.min())
    return lo_int, lo_min, np.cumsum(dist[::-1])[::-1]


def site_pvalue(pwm: np.ndarray, site: str, table=None) -> float:
    """Exact p-value (uniform background) of ``site``, read on the PWM's strand, under :func:`score_survival`.

    ``table`` is that function's result for ``pwm`` (computed when not given)."""
    lo_int, lo_min, survival = score_survival(pwm) if table is None else table
    idx = np.array(["ACGT".index(b) for b in site])
    score = int(lo_int[np.arange(len(idx)), idx].sum())
    return float(survival[min(max(score - lo_min, 0), len(survival) - 1)])


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


def simulate_variants(sim: Simulation, n: int = 200, rows=None, shift: int = 6, seed: int = 0,
                      max_site_p: float | None = MAX_SITE_P) -> pd.DataFrame:
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
    max_site_p : float or None
        ``break`` SNVs only at planted sites whose p-value under the generating PWM is at most this
        (:func:`site_pvalue`); ``None``: at any planted site.
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
    tables = {m.name: score_survival(m.pwm) for m in sim.motifs}

    def pvalue(motif: str, window: str, strand: str) -> float:
        return site_pvalue(by_id[motif].pwm, window if strand == "+" else _revcomp(window), tables[motif])

    def add(kind, motif, row, pos, ref, alt, ref_allele, alt_allele, site_p=float("nan")):
        k = counts[kind]
        counts[kind] += 1
        out.append({"name": f"{kind}{k}_seq{row}_{pos}", "ref": ref, "alt": alt, "kind": kind, "motif": motif,
                    "tf": by_id[motif].altname if motif else "", "sequence": int(row), "position": int(pos),
                    "ref_allele": ref_allele, "alt_allele": alt_allele, "site_p": site_p})

    # break + matched background
    site_p = np.array([pvalue(m, seqs[r][a:b], st) for r, m, a, b, st in
                       zip(in_rows["sequence"], in_rows["motif"], in_rows["start"], in_rows["end"], in_rows["strand"])])
    candidates = in_rows
    if max_site_p is not None:
        candidates, site_p = in_rows[site_p <= max_site_p], site_p[site_p <= max_site_p]
    order = rng.permutation(len(candidates))[:n]
    for site, p in zip(candidates.iloc[order].itertuples(index=False), site_p[order]):
        seq = seqs[site.sequence]
        pos, ref_b, alt_b = _break_snv(seq, site, by_id[site.motif].pwm)
        if ref_b == alt_b:
            continue
        add("break", site.motif, site.sequence, pos, seq, _snv(seq, pos, alt_b), ref_b, alt_b, float(p))
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
        add("create", motif.name, row, start + j, ref, alt, ref[start + j], alt[start + j],
            pvalue(motif.name, alt[start:start + motif.width], strand))

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
