"""Variant inputs for :func:`motifzoo.interpret.variant_effects`: window tables and VCF + genome.

Two sources, both streamed in batches so that 100,000 variants never sit in memory as windows:

* a **window table** (TSV/CSV, optionally gzipped) with columns ``name``, ``ref`` and ``alt``: the
  reference and alternative sequence of each window. A window that is not the model's input length
  is padded with ``N`` or cropped, both ends equally (:func:`~motifzoo.data.encoding.fit_length`);
  ref and alt may differ in length (indels). Further columns are ignored.
* a **VCF** (``.vcf`` or ``.vcf.gz``; columns CHROM, POS, ID, REF, ALT) with an indexed FASTA
  genome (pyfaidx, the ``genome`` extra).

VCF windows
-----------
The variant's first REF base sits at index ``L // 2`` of the ``L``-bp reference window
(``genome[POS - 1 - L//2 : POS - 1 - L//2 + L]``). The alternative window keeps the same left flank,
then the ALT allele, then the genome after the REF allele, cut at ``L`` bp: a deletion pulls in more
right flank, an insertion pushes the right end out. So SNVs and indels share one frame, and the
instances left of the variant line up base for base. A REF or ALT allele longer than the right half
of the window (``L - L//2`` bp) cannot be absorbed and is an error.

Multi-allelic records are **split**: ``A -> C,T`` gives two variants, ``A>C`` and ``A>T``, named
``ID:A>C`` and ``ID:A>T`` (``CHROM:POS:A>C`` without an ID); a single-ALT record is named by its ID,
or ``CHROM:POS:REF>ALT``. Errors name the file and line: a REF that does not match the genome
(both alleles shown), an unknown chromosome, a window that would run past either chromosome end,
symbolic or missing ALT alleles (``<DEL>``, ``*``, ``.``), malformed lines.
"""
from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from .encoding import SequenceError, encode, fit_length
from .tables import DataError

_BASES = frozenset("ACGTN")


@dataclass
class VariantBatch:
    """One batch of variants as equal-length windows.

    Attributes
    ----------
    names : list of str, length B
    ref, alt : numpy.ndarray, shape (B, L), uint8
        Window codes (A, C, G, T = 0..3, N = 4).
    info : dict of str -> list
        Extra per-variant columns for the output (``chrom``, ``pos``, ``ref_allele``, ``alt_allele`` for a VCF).
    """

    names: list[str]
    ref: np.ndarray
    alt: np.ndarray
    info: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.names)


def _open_text(path: Path):
    return gzip.open(path, "rt") if path.suffix == ".gz" else open(path, "rt")


def is_vcf(path) -> bool:
    """Whether ``path`` is a VCF: named ``.vcf``/``.vcf.gz``, or its first line is ``##fileformat=VCF...``."""
    path = Path(path)
    name = path.name.lower()
    if name.endswith(".vcf") or name.endswith(".vcf.gz") or name.endswith(".vcf.bgz"):
        return True
    try:
        with _open_text(path) as fh:
            return fh.readline().startswith("##fileformat=VCF")
    except (OSError, UnicodeDecodeError, EOFError):
        return False


def _check_file(path) -> Path:
    path = Path(path)
    if not path.exists():
        raise DataError(f"variant file not found: {path}")
    if path.is_dir():
        raise DataError(f"variant file {path} is a directory, expected a TSV or VCF file")
    return path


# --------------------------------------------------------------------------------------------
# window tables
# --------------------------------------------------------------------------------------------
def count_table_rows(path) -> int:
    """Data rows of a window table (lines minus the header), for a progress bar."""
    with _open_text(_check_file(path)) as fh:
        return max(sum(1 for line in fh if line.strip()) - 1, 0)


def read_window_table(path, length: int, batch_size: int = 256) -> Iterator[VariantBatch]:
    """Stream a table of ``name``, ``ref``, ``alt`` windows as :class:`VariantBatch` es of ``length`` bp."""
    import pandas as pd
    path = _check_file(path)
    sep = "," if path.name.lower().removesuffix(".gz").endswith(".csv") else "\t"
    try:
        reader = pd.read_csv(path, sep=sep, dtype=str, chunksize=batch_size, keep_default_na=False)
        first_line = 2
        for chunk in reader:
            missing = [c for c in ("name", "ref", "alt") if c not in chunk.columns]
            if missing:
                raise DataError(f"{path}: a variant table needs columns name, ref and alt (windows of sequence); "
                                f"missing {', '.join(missing)} (columns: {', '.join(map(str, chunk.columns))}). "
                                "For a VCF, name it .vcf and pass --genome")
            lines = [f"{path} line {first_line + i}" for i in range(len(chunk))]
            first_line += len(chunk)
            for col in ("ref", "alt"):
                empty = chunk[col].str.len() == 0
                if empty.any():
                    raise DataError(f"{lines[int(np.argmax(empty.to_numpy()))]}: empty {col} sequence")
            try:
                ref = encode(fit_length(chunk["ref"].tolist(), length), names=lines)
                alt = encode(fit_length(chunk["alt"].tolist(), length), names=lines)
            except SequenceError as err:
                raise DataError(str(err)) from None
            yield VariantBatch(chunk["name"].tolist(), ref, alt)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: empty variant table (expected columns name, ref, alt)") from None
    except pd.errors.ParserError as err:
        raise DataError(f"{path}: cannot parse as a {'CSV' if sep == ',' else 'TSV'} table ({err})") from None


# --------------------------------------------------------------------------------------------
# VCF
# --------------------------------------------------------------------------------------------
@dataclass
class VcfRecord:
    """One biallelic variant (multi-allelic records are split into several)."""

    name: str
    chrom: str
    pos: int  # 1-based, as in the VCF
    ref: str
    alt: str
    line: int


def _vcf_records(path: Path) -> Iterator[VcfRecord]:
    """Biallelic records of a VCF, lazily; malformed lines are errors naming the line."""
    with _open_text(path) as fh:
        for number, raw in enumerate(fh, start=1):
            if raw.startswith("#") or not raw.strip():
                continue
            cols = raw.rstrip("\n\r").split("\t")
            where = f"{path} line {number}"
            if len(cols) < 5:
                raise DataError(f"{where}: a VCF line needs tab-separated CHROM, POS, ID, REF, ALT; got {len(cols)} "
                                "column(s)")
            chrom, pos, vid, ref, alts = cols[0], cols[1], cols[2], cols[3].upper(), cols[4].upper()
            try:
                pos_i = int(pos)
            except ValueError:
                raise DataError(f"{where}: POS {pos!r} is not an integer") from None
            if pos_i < 1:
                raise DataError(f"{where}: POS {pos_i} must be >= 1 (VCF positions are 1-based)")
            if not ref or set(ref) - _BASES:
                raise DataError(f"{where} ({chrom}:{pos_i}): REF {ref!r} must be bases A, C, G, T or N")
            alt_list = alts.split(",")
            for alt in alt_list:
                if alt in (".", "*", "") or alt.startswith("<") or "[" in alt or "]" in alt or set(alt) - _BASES:
                    raise DataError(f"{where} ({chrom}:{pos_i}): ALT allele {alt!r} is not a sequence; symbolic, "
                                    "breakend, missing and '*' alleles are not supported (give explicit bases)")
            base = vid if vid not in (".", "") else f"{chrom}:{pos_i}"
            for alt in alt_list:
                single = len(alt_list) == 1 and vid not in (".", "")
                name = base if single else f"{base}:{ref}>{alt}"
                yield VcfRecord(name, chrom, pos_i, ref, alt, number)


def count_vcf_variants(path) -> int:
    """Number of biallelic variants in a VCF (multi-allelic records counted once per ALT allele)."""
    path = _check_file(path)
    n = 0
    with _open_text(path) as fh:
        for raw in fh:
            if raw.startswith("#") or not raw.strip():
                continue
            cols = raw.split("\t", 5)
            n += cols[4].count(",") + 1 if len(cols) > 4 else 1
    return n


def _decode(codes: np.ndarray) -> str:
    return np.frombuffer(b"ACGTN", dtype=np.uint8)[codes].tobytes().decode()


def vcf_windows(records: list[VcfRecord], genome, length: int, path) -> VariantBatch:
    """Reference and alternative windows of ``length`` bp for biallelic VCF records (see the module docstring)."""
    half = length // 2
    right = length - half  # bases from the variant's first base to the window end
    chrom_idx = genome.chrom_index([r.chrom for r in records], where=lambda i: f"{path} line {records[i].line}")
    for r in records:
        if len(r.ref) > right or len(r.alt) > right:
            allele = "REF" if len(r.ref) > right else "ALT"
            raise DataError(f"{path} line {r.line} ({r.chrom}:{r.pos}): the {allele} allele of "
                            f"{max(len(r.ref), len(r.alt))} bp does not fit the {length} bp window (at most "
                            f"{right} bp from the variant to the window end)")
    extra = np.array([max(len(r.ref) - len(r.alt), 0) for r in records], dtype=np.int64)
    starts = np.array([r.pos - 1 - half for r in records], dtype=np.int64)
    sizes = genome.sizes[chrom_idx]
    span = length + extra
    for i in np.flatnonzero((starts < 0) | (starts + span > sizes)):
        r = records[i]
        side = "start" if starts[i] < 0 else "end"
        raise DataError(f"{path} line {r.line} ({r.chrom}:{r.pos}): too close to the {side} of {r.chrom} "
                        f"({int(sizes[i])} bp) for a {length} bp window centered on the variant (needs {half} bp "
                        f"before and {int(span[i]) - half} bp from the variant on)")
    raw = genome.fetch(chrom_idx, starts, int(length + extra.max(initial=0)))
    ref = raw[:, :length].copy()
    alt = np.empty_like(ref)
    for i, r in enumerate(records):
        got = raw[i, half:half + len(r.ref)]
        want = encode([r.ref])[0]
        if not np.array_equal(got, want):
            raise DataError(f"{path} line {r.line} ({r.chrom}:{r.pos}): REF {r.ref!r} does not match the genome, "
                            f"which has {_decode(got)!r} there (ALT {r.alt!r}); is the VCF on another assembly?")
        tail = raw[i, half + len(r.ref):half + len(r.ref) + right - len(r.alt)]
        alt[i] = np.concatenate([raw[i, :half], encode([r.alt])[0], tail])
    info = {"chrom": [r.chrom for r in records], "pos": [r.pos for r in records],
            "ref_allele": [r.ref for r in records], "alt_allele": [r.alt for r in records]}
    return VariantBatch([r.name for r in records], ref, alt, info)


def read_vcf(path, genome, length: int, batch_size: int = 256) -> Iterator[VariantBatch]:
    """Stream a VCF as :class:`VariantBatch` es of ``length``-bp windows read from ``genome``.

    Parameters
    ----------
    path : path
        VCF (optionally gzipped).
    genome : motifzoo.data.genome.Genome or path
        Indexed FASTA of the assembly the VCF refers to.
    length : int
        Window length (the model's input length).
    batch_size : int
        Variants per batch (after splitting multi-allelic records).
    """
    from .genome import Genome
    path = _check_file(path)
    genome = genome if isinstance(genome, Genome) else Genome(genome)
    batch: list[VcfRecord] = []
    for record in _vcf_records(path):
        batch.append(record)
        if len(batch) == batch_size:
            yield vcf_windows(batch, genome, length, path)
            batch = []
    if batch:
        yield vcf_windows(batch, genome, length, path)


def read_variants(path, length: int, genome=None, batch_size: int = 256) -> tuple[Iterator[VariantBatch], int]:
    """Batches of windows from a window table or a VCF (which needs ``genome``), and the number of variants."""
    path = _check_file(path)
    if is_vcf(path):
        if genome is None:
            raise DataError(f"{path} is a VCF: pass the genome it refers to (--genome GENOME.fa) to read the windows")
        return read_vcf(path, genome, length, batch_size), count_vcf_variants(path)
    return read_window_table(path, length, batch_size), count_table_rows(path)
