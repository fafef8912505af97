"""Training windows from a reference genome: BED regions, negatives, blacklists, lazy reads.

A region file (BED3+, narrowPeak, optionally gzipped) names intervals; each becomes a
fixed-length window centered on its summit (narrowPeak column 10) or its midpoint. The
windows are stored as coordinates only and their sequences read from an indexed FASTA
(pyfaidx) one batch at a time, so a genome-scale dataset needs memory for its
coordinates, not its sequences.

Negatives are drawn from the genome with the positives' GC content, made by
dinucleotide-shuffling positives, or read from a BED of their own.

Coordinates are 0-based and half-open, as in BED. Every error names the file and line.
"""
from __future__ import annotations

import gzip
import zlib
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from .dataset import IndexBatch
from .encoding import _LUT, N_CODE, SequenceError, codes_to_one_hot, encode, reverse_complement_codes
from .shuffle import dinucleotide_shuffle, row_seeds
from .tables import DataError

CENTER_MODES = ("summit", "midpoint", "region")
_HEADER_PREFIXES = ("#", "track", "browser")


# --------------------------------------------------------------------------------------------
# BED
# --------------------------------------------------------------------------------------------
@dataclass
class BedRegions:
    """Intervals read from a BED file.

    Attributes
    ----------
    path : str
    chroms : numpy.ndarray of str, shape (N,)
    starts, ends : numpy.ndarray, shape (N,), int64
        0-based, half-open.
    summits : numpy.ndarray, shape (N,), int64
        Absolute summit position (narrowPeak column 10 added to the start), -1 where there is none.
    lines : numpy.ndarray, shape (N,), int64
        Line of the file each region came from (1-based), for error messages.
    values : numpy.ndarray, shape (N, K), float32
        The requested numeric columns (``K = 0`` when none were asked for).
    """

    path: str
    chroms: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    summits: np.ndarray
    lines: np.ndarray
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.starts)

    def where(self, i: int) -> str:
        """How region ``i`` is named in errors: ``"peaks.bed line 12 (chr1:100-300)"``."""
        return f"{self.path} line {self.lines[i]} ({self.chroms[i]}:{self.starts[i]}-{self.ends[i]})"


def _iter_lines(path: Path):
    """``(line number, line)`` of a (gzipped) text file, read as a stream: memory does not grow with the file."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt") as fh:
            for lineno, line in enumerate(fh, 1):
                yield lineno, line.rstrip("\n")
    except (UnicodeDecodeError, gzip.BadGzipFile, EOFError, OSError, zlib.error) as err:
        raise DataError(f"{path}: cannot read as a text BED file ({err})") from None


#: BED rows parsed together: the text of one chunk is held at a time, whatever the file's size
BED_CHUNK_ROWS = 100_000


def _integers(column: list[str], name: str, path, lines: np.ndarray) -> np.ndarray:
    """Parse a column of integer strings; the first bad value is reported with its line."""
    try:
        return np.array(column, dtype=np.int64)
    except (ValueError, OverflowError):
        for i, v in enumerate(column):
            try:
                fits = -2**63 <= int(v) < 2**63
            except (ValueError, OverflowError):
                raise DataError(f"{path} line {lines[i]}: {name} {v!r} is not an integer") from None
            if not fits:
                raise DataError(f"{path} line {lines[i]}: {name} {v!r} is too large for a genome coordinate")
        raise


def read_bed(path, value_columns: list[int] | None = None) -> BedRegions:
    """Read a BED file (BED3 or more; narrowPeak gives summits), optionally gzipped.

    Lines starting with ``#``, ``track`` or ``browser`` and blank lines are skipped.

    Parameters
    ----------
    path : str or Path
    value_columns : list of int, optional
        1-based columns holding numeric per-region values (e.g. ``[7]`` for narrowPeak's signalValue).

    Returns
    -------
    BedRegions
    """
    p = Path(path)
    if not p.exists():
        raise DataError(f"BED file not found: {p}")
    if p.is_dir():
        raise DataError(f"BED file {p} is a directory, expected a file")
    value_columns = list(value_columns or [])
    for c in value_columns:
        if c < 4:
            raise DataError(f"{p}: value column {c} is one of chrom/start/end (columns 1-3); "
                            "value columns are 1-based and start at 4")
    chunks: list[list] = []
    fields, lines = [], []
    for lineno, line in _iter_lines(p):
        if not line.strip() or line.startswith(_HEADER_PREFIXES):
            continue
        row = line.split("\t") if "\t" in line else line.split()
        if len(row) < 3:
            raise DataError(f"{p} line {lineno}: expected at least 3 tab-separated fields (chrom, start, end), "
                            f"got {len(row)}: {line[:60]!r}")
        fields.append(row)
        lines.append(lineno)
        if len(fields) >= BED_CHUNK_ROWS:
            chunks.append(_bed_chunk(p, fields, lines, value_columns))
            fields, lines = [], []
    if fields:
        chunks.append(_bed_chunk(p, fields, lines, value_columns))
    if not chunks:
        raise DataError(f"{p}: no regions (the file is empty or holds only header/comment lines)")
    columns = []
    for k in range(6):  # one column at a time, each chunk's copy freed as it is joined: peak ~ the result
        columns.append(np.concatenate([c[k] for c in chunks]))
        for c in chunks:
            c[k] = None
    return BedRegions(str(p), *columns)


def _bed_chunk(p: Path, fields: list[list[str]], lines: list[int], value_columns: list[int]) -> list:
    """Parse and check a chunk of BED rows: (chroms, starts, ends, summits, lines, values) arrays."""
    lines_arr = np.array(lines, dtype=np.int64)
    chroms = np.array([r[0] for r in fields])
    starts = _integers([r[1] for r in fields], "start", p, lines_arr)
    ends = _integers([r[2] for r in fields], "end", p, lines_arr)
    for bad, what in ((starts < 0, "start is negative"), (ends <= starts, "end is not greater than start")):
        if bad.any():
            i = int(np.argmax(bad))
            raise DataError(f"{p} line {lines[i]}: {what} ({chroms[i]}:{starts[i]}-{ends[i]})")
    summits = np.full(len(fields), -1, dtype=np.int64)
    has_summit = np.array([len(r) >= 10 for r in fields])
    if has_summit.any():
        idx = np.flatnonzero(has_summit)
        offsets = _integers([fields[i][9] for i in idx], "summit offset (column 10)", p, lines_arr[idx])
        given = offsets >= 0  # narrowPeak uses -1 for "no summit"
        outside = given & (offsets >= (ends - starts)[idx])
        if outside.any():
            i = idx[int(np.argmax(outside))]
            raise DataError(f"{p} line {lines[i]}: summit offset {fields[i][9]} (column 10) lies outside the "
                            f"{ends[i] - starts[i]} bp region {chroms[i]}:{starts[i]}-{ends[i]}")
        summits[idx[given]] = starts[idx[given]] + offsets[given]
    values = np.zeros((len(fields), len(value_columns)), dtype=np.float32)
    for j, c in enumerate(value_columns):
        short = np.array([len(r) < c for r in fields])
        if short.any():
            i = int(np.argmax(short))
            raise DataError(f"{p} line {lines[i]}: has {len(fields[i])} columns, no value column {c}")
        column = [r[c - 1] for r in fields]
        try:
            values[:, j] = np.array(column, dtype=np.float64)
        except ValueError:
            i = next(i for i, v in enumerate(column) if not _is_float(v))
            raise DataError(f"{p} line {lines[i]}: column {c} holds {column[i]!r}, expected a number") from None
        nonfinite = ~np.isfinite(values[:, j])
        if nonfinite.any():
            i = int(np.argmax(nonfinite))
            raise DataError(f"{p} line {lines[i]}: column {c} is {column[i]}; values must be finite numbers")
    return [chroms, starts, ends, summits, lines_arr, values]


def _is_float(v: str) -> bool:
    try:
        float(v)
        return True
    except ValueError:
        return False


# --------------------------------------------------------------------------------------------
# Genome
# --------------------------------------------------------------------------------------------
class Genome:
    """An indexed FASTA read lazily; picklable, so DataLoader workers can use it.

    pyfaidx builds (or reads) the ``.fai`` index. An uncompressed FASTA is then read through a
    memory map, a whole batch of windows in one vectorised gather (the index gives each base's
    byte offset); a bgzip-compressed one through pyfaidx. Each process opens its own handles:
    a file handle shared across a fork would share its file offset.

    Parameters
    ----------
    path : str or Path
        Uncompressed or bgzip-compressed FASTA.

    Attributes
    ----------
    names : list of str
        Chromosome (record) names in file order.
    sizes : numpy.ndarray, shape (C,), int64
    """

    def __init__(self, path):
        self.path = Path(path)
        if not self.path.exists():
            raise DataError(f"genome FASTA not found: {self.path}")
        if self.path.is_dir():
            raise DataError(f"genome FASTA {self.path} is a directory, expected a file")
        fasta = self._open()
        self.names = list(fasta.keys())
        if not self.names:
            raise DataError(f"{self.path}: no FASTA records")
        self.sizes = np.array([len(fasta[n]) for n in self.names], dtype=np.int64)
        self._index = {n: i for i, n in enumerate(self.names)}
        # per chromosome: byte offset of its first base, bases per line, bytes per line (newlines included)
        records = [fasta.faidx.index[n] for n in self.names]
        self._layout = np.array([[r.offset, r.lenc, r.lenb] for r in records], dtype=np.int64)
        self._line_layouts, self._layout_id = np.unique(self._layout[:, 1:], axis=0, return_inverse=True)
        self._layout_id = self._layout_id.reshape(-1)
        self._compressed = bool(getattr(fasta.faidx, "_bgzf", False)) or self.path.suffix == ".gz"
        self._mmap, self._skip_tables = None, {}

    def _open(self):
        try:
            import pyfaidx
        except ImportError:
            raise DataError("reading a genome needs pyfaidx: pip install 'motifzoo[genome]'") from None
        index = Path(str(self.path) + ".fai")
        had_index = index.exists()
        try:
            fasta = pyfaidx.Fasta(str(self.path), as_raw=True, sequence_always_upper=True, build_index=True)
        except pyfaidx.UnsupportedCompressionFormat:
            raise DataError(f"{self.path}: has no index and cannot be indexed: compressed FASTA must be bgzip-compressed "
                            "(gunzip it, then `bgzip` it or leave it uncompressed)") from None
        except pyfaidx.FastaIndexingError as err:
            what = "its index is inconsistent with it" if had_index else "has no index and cannot be indexed"
            raise DataError(f"{self.path}: {what}: {err}. Every line of a record but its last must have the same "
                            "length (reformat with `samtools faidx` or `seqkit seq -w 60`)") from None
        except (PermissionError, OSError) as err:
            if not had_index:
                raise DataError(f"{self.path}: has no index ({index.name}) and it cannot be written ({err}); "
                                f"index it where you can write (`samtools faidx {self.path.name}`)") from None
            raise DataError(f"{self.path}: cannot read ({err})") from None
        except (UnicodeDecodeError, ValueError) as err:
            raise DataError(f"{self.path}: not a FASTA file that can be indexed ({err})") from None
        self._fasta, self._records, self._pid = fasta, None, os.getpid()
        return fasta

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_fasta"] = state["_records"] = state["_mmap"] = None
        return state

    def _handles(self) -> list:
        if self._fasta is None or self._pid != os.getpid():
            self._open()
        if self._records is None:
            self._records = [self._fasta[n] for n in self.names]
        return self._records

    def __len__(self) -> int:
        return len(self.names)

    def chrom_index(self, chroms, where=None) -> np.ndarray:
        """Index of each chromosome name; an unknown name is an error naming ``where(i)``.

        Parameters
        ----------
        chroms : array of str, shape (N,)
        where : callable, optional
            ``where(i)`` describes item ``i`` for the error message.
        """
        chroms = np.asarray(chroms)
        uniq, inverse = np.unique(chroms, return_inverse=True)
        idx = np.array([self._index.get(c, -1) for c in uniq], dtype=np.int64)
        if (idx < 0).any():
            missing = uniq[idx < 0]
            i = int(np.argmax(np.isin(chroms, missing)))
            label = where(i) if where else repr(chroms[i])
            raise DataError(f"{label}: chromosome {str(chroms[i])!r} is not in {self.path.name} "
                            f"({self._names_hint(str(chroms[i]))}); {len(missing)} unknown name(s) in all: "
                            f"{', '.join(map(str, missing[:5]))}{' ...' if len(missing) > 5 else ''}")
        return idx[inverse.reshape(-1)]

    def _names_hint(self, name: str) -> str:
        shown = ", ".join(self.names[:6]) + (" ..." if len(self.names) > 6 else "")
        has_chr = self.names[0].startswith("chr")
        if name.startswith("chr") != has_chr:
            return f"its names look like {shown}; the naming conventions differ (with/without 'chr')"
        return f"its records are {shown}"

    def fetch(self, chrom_idx: np.ndarray, starts: np.ndarray, length: int) -> np.ndarray:
        """Read windows as codes; positions past either chromosome end read as ``N``.

        Parameters
        ----------
        chrom_idx : numpy.ndarray, shape (B,)
        starts : numpy.ndarray, shape (B,), int64
            0-based window starts (may be negative or run past the end).
        length : int

        Returns
        -------
        numpy.ndarray, shape (B, length), uint8
        """
        if not self._compressed:
            return self._fetch_mapped(np.asarray(chrom_idx, dtype=np.int64), np.asarray(starts, dtype=np.int64), length)
        records = self._handles()
        pieces = []
        for c, s in zip(np.asarray(chrom_idx).tolist(), np.asarray(starts).tolist()):
            size = int(self.sizes[c])
            a, b = max(s, 0), min(s + length, size)
            seq = records[c][a:b] if b > a else ""
            if len(seq) != length:
                left = min(max(-s, 0), length)
                seq = "N" * left + seq + "N" * (length - left - len(seq))
            pieces.append(seq)
        if not pieces:
            return np.zeros((0, length), dtype=np.uint8)
        try:
            return encode(pieces)
        except SequenceError:
            names = [f"{self.path} {self.names[c]}:{s}-{s + length}" for c, s in zip(chrom_idx, starts)]
            try:
                encode(pieces, names=names)
            except SequenceError as err:
                raise DataError(str(err)) from None
            raise


    def _fetch_mapped(self, chrom_idx: np.ndarray, starts: np.ndarray, length: int) -> np.ndarray:
        """:meth:`fetch` for an uncompressed FASTA: gathers from a memory map, no Python loop over windows."""
        if self._mmap is None or self._pid != os.getpid():
            self._mmap, self._pid = np.memmap(self.path, dtype=np.uint8, mode="r"), os.getpid()
            self._fasta = self._records = None  # a pyfaidx handle from another process must not be used
        codes = np.full((len(starts), length), N_CODE, dtype=np.uint8)
        whole = (starts >= 0) & (starts + length <= self.sizes[chrom_idx])
        layout_of = self._layout_id[chrom_idx]
        for k in (range(len(self._line_layouts)) if len(self._line_layouts) > 1 else [0]):
            rows = np.flatnonzero(whole & (layout_of == k)) if len(self._line_layouts) > 1 else np.flatnonzero(whole)
            if len(rows):
                codes[rows] = self._gather_whole(chrom_idx[rows], starts[rows], length, *self._line_layouts[k])
        for b in np.flatnonzero(~whole):  # windows over a chromosome end: rare, one at a time
            a, e = max(int(starts[b]), 0), min(int(starts[b]) + length, int(self.sizes[chrom_idx[b]]))
            if e > a:
                codes[b, a - starts[b]:e - starts[b]] = self._gather_whole(chrom_idx[b:b + 1], np.array([a]), e - a,
                                                                           *self._layout[chrom_idx[b], 1:])[0]
        return codes

    def _gather_whole(self, chrom_idx: np.ndarray, starts: np.ndarray, length: int, per_line: int,
                      line_bytes: int) -> np.ndarray:
        """(B, length) codes of windows inside their chromosomes, whose FASTA lines share one layout."""
        key = (int(per_line), int(line_bytes), length)
        if key not in self._skip_tables:
            # newline bytes skipped before base k of a window whose first base is in column c: table[c + k]
            self._skip_tables[key] = (np.arange(per_line + length) // per_line) * (line_bytes - per_line)
        column = starts % per_line
        first = self._layout[chrom_idx, 0] + (starts // per_line) * line_bytes + column
        byte = first[:, None] + np.arange(length)[None, :] + np.take(self._skip_tables[key],
                                                                     column[:, None] + np.arange(length)[None, :])
        codes = np.take(_LUT, np.take(self._mmap, byte))
        if (codes == 255).any():
            b, i = np.argwhere(codes == 255)[0]
            raise DataError(f"{self.path} {self.names[chrom_idx[b]]}:{starts[b] + i + 1}: invalid character "
                            f"{chr(self._mmap[byte[b, i]])!r}; expected A, C, G, T, N or another IUPAC nucleotide code")
        return codes


# --------------------------------------------------------------------------------------------
# Intervals
# --------------------------------------------------------------------------------------------
class IntervalSet:
    """Merged half-open intervals per chromosome, for vectorised overlap queries.

    Parameters
    ----------
    n_chroms : int
    chrom_idx, starts, ends : numpy.ndarray, shape (N,)
    """

    def __init__(self, n_chroms: int, chrom_idx=(), starts=(), ends=()):
        chrom_idx, starts, ends = (np.asarray(a, dtype=np.int64) for a in (chrom_idx, starts, ends))
        self._starts, self._ends = [], []
        for c in range(n_chroms):
            m = chrom_idx == c
            s, e = starts[m], ends[m]
            order = np.argsort(s, kind="stable")
            s, e = s[order], e[order]
            # merge: an interval starts a new block when it begins after every earlier end
            reach = np.maximum.accumulate(e) if len(e) else e
            new = np.ones(len(s), dtype=bool)
            new[1:] = s[1:] > reach[:-1]
            self._starts.append(s[new])
            self._ends.append(np.maximum.reduceat(e, np.flatnonzero(new)) if len(e) else e)

    def as_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The merged intervals as (chrom_idx, starts, ends), each of shape (M,)."""
        chrom = [np.full(len(s), c, dtype=np.int64) for c, s in enumerate(self._starts)]
        return (np.concatenate(chrom), np.concatenate(self._starts).astype(np.int64),
                np.concatenate(self._ends).astype(np.int64))

    @classmethod
    def union(cls, *sets: "IntervalSet") -> "IntervalSet":
        """One set holding every interval of ``sets`` (same chromosomes)."""
        parts = [s.as_arrays() for s in sets]
        return cls(len(sets[0]._starts), *(np.concatenate([p[i] for p in parts]) for i in range(3)))

    def overlaps(self, chrom_idx, starts, ends) -> np.ndarray:
        """Whether each query ``[start, end)`` overlaps some interval; shape (N,) bool."""
        chrom_idx, starts, ends = (np.asarray(a, dtype=np.int64) for a in (chrom_idx, starts, ends))
        hit = np.zeros(len(starts), dtype=bool)
        for c in np.unique(chrom_idx):
            m = chrom_idx == c
            s, e = self._starts[c], self._ends[c]
            if not len(s):
                continue
            # last merged interval starting before the query's end; merged intervals are disjoint
            j = np.searchsorted(s, ends[m], side="left") - 1
            hit[m] = (j >= 0) & (e[np.maximum(j, 0)] > starts[m])
        return hit

    def contains(self, chrom_idx, positions) -> np.ndarray:
        """Whether each position lies inside some interval; shape (N,) bool."""
        positions = np.asarray(positions, dtype=np.int64)
        return self.overlaps(chrom_idx, positions, positions + 1)


# --------------------------------------------------------------------------------------------
# Windows
# --------------------------------------------------------------------------------------------
def region_centers(regions: BedRegions, mode: str, seq_len: int) -> np.ndarray:
    """Center position of each region's window.

    Parameters
    ----------
    mode : {"summit", "midpoint", "region"}
        ``summit``: narrowPeak column 10 (the midpoint where a region has none); ``midpoint``;
        ``region``: the region itself, which must be at least ``seq_len`` bp (its central
        ``seq_len`` bp are used).

    Returns
    -------
    numpy.ndarray, shape (N,), int64
        A window is ``[center - seq_len // 2, center - seq_len // 2 + seq_len)``.
    """
    if mode not in CENTER_MODES:
        raise DataError(f"data.center must be one of {', '.join(CENTER_MODES)}, got {mode!r}")
    mid = (regions.starts + regions.ends) // 2
    if mode == "summit":
        return np.where(regions.summits >= 0, regions.summits, mid)
    if mode == "region":
        lengths = regions.ends - regions.starts
        short = lengths < seq_len
        if short.any():
            i = int(np.argmax(short))
            raise DataError(f"{regions.where(i)}: region is {lengths[i]} bp, shorter than the {seq_len} bp window "
                            f"({int(short.sum())} region(s) in all); with data.center: region every region must "
                            "hold a whole window; use center: summit or midpoint to take windows around them")
        return regions.starts + (lengths - seq_len) // 2 + seq_len // 2
    return mid


def check_in_genome(regions: BedRegions, genome: Genome) -> np.ndarray:
    """Chromosome index of each region; unknown chromosomes and regions past a chromosome end are errors."""
    chrom_idx = genome.chrom_index(regions.chroms, regions.where)
    past = regions.ends > genome.sizes[chrom_idx]
    if past.any():
        i = int(np.argmax(past))
        raise DataError(f"{regions.where(i)}: region ends past the end of {regions.chroms[i]} "
                        f"({genome.sizes[chrom_idx[i]]:,} bp in {genome.path.name}); "
                        f"{int(past.sum())} region(s) do; is the BED for another genome assembly?")
    return chrom_idx


def gc_fraction(codes: np.ndarray) -> np.ndarray:
    """GC fraction of each sequence among its unambiguous bases; shape (N,) (NaN when all are N)."""
    codes = np.asarray(codes)
    known = (codes < N_CODE).sum(1)
    gc = ((codes == 1) | (codes == 2)).sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(known > 0, gc / np.maximum(known, 1), np.nan)


def fetch_in_chunks(genome: Genome, chrom_idx, starts, length: int, chunk: int = 4096):
    """Yield (slice, codes) for windows read ``chunk`` at a time (bounded memory)."""
    for a in range(0, len(starts), chunk):
        yield slice(a, a + chunk), genome.fetch(chrom_idx[a:a + chunk], starts[a:a + chunk], length)


def sample_gc_matched(genome: Genome, chroms: np.ndarray, target_gc: np.ndarray, n: int, length: int,
                      exclude: IntervalSet, rng: np.random.Generator, n_bins: int = 20,
                      max_n_fraction: float = 0.1, max_candidates_factor: int = 50):
    """Random genomic windows whose GC distribution matches ``target_gc``.

    Candidate windows are drawn uniformly from ``chroms`` (by length), and kept when they
    overlap nothing in ``exclude`` and hold at most ``max_n_fraction`` ambiguous bases;
    each GC bin (``n_bins`` equal bins of [0, 1]) takes as many as the targets put there,
    scaled to ``n``. Bins the background cannot fill (extreme GC is rare) borrow from the
    nearest bins, with a warning.

    Parameters
    ----------
    chroms : numpy.ndarray of int
        Chromosome indices to draw from.
    target_gc : numpy.ndarray, shape (P,)
        GC fractions of the positives.
    n : int
        Number of negatives.

    Returns
    -------
    chrom_idx, starts : numpy.ndarray, shape (n,), int64
    gc : numpy.ndarray, shape (n,), float
    """
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    chroms = np.asarray([c for c in chroms if genome.sizes[c] > length], dtype=np.int64)
    if not len(chroms):
        raise DataError(f"no chromosome longer than the {length} bp window to draw background negatives from")
    span = (genome.sizes[chroms] - length + 1).astype(np.float64)
    target_gc = target_gc[np.isfinite(target_gc)]
    bins = np.minimum((target_gc * n_bins).astype(np.int64), n_bins - 1)
    hist = np.bincount(bins, minlength=n_bins).astype(np.float64)
    quota = _apportion(hist / max(hist.sum(), 1), n)
    taken = [[] for _ in range(n_bins)]  # per bin: (chrom, start, gc) triples
    spare = [[] for _ in range(n_bins)]
    drawn = 0
    while sum(len(t) for t in taken) < n and drawn < max_candidates_factor * n:
        m = int(min(max(4 * (n - sum(len(t) for t in taken)), 4096), 200_000))
        c = chroms[rng.choice(len(chroms), size=m, p=span / span.sum())]
        s = (rng.random(m) * (genome.sizes[c] - length + 1)).astype(np.int64)
        drawn += m
        ok = ~exclude.overlaps(c, s, s + length)
        c, s = c[ok], s[ok]
        gc = np.empty(len(s))
        n_frac = np.empty(len(s))
        for sl, codes in fetch_in_chunks(genome, c, s, length):
            gc[sl] = gc_fraction(codes)
            n_frac[sl] = (codes == N_CODE).mean(1)
        ok = (n_frac <= max_n_fraction) & np.isfinite(gc)
        c, s, gc = c[ok], s[ok], gc[ok]
        b = np.minimum((gc * n_bins).astype(np.int64), n_bins - 1)
        for k in range(n_bins):
            sel = np.flatnonzero(b == k)
            room = quota[k] - len(taken[k])
            taken[k].extend(zip(c[sel[:room]], s[sel[:room]], gc[sel[:room]]))
            spare[k].extend(zip(c[sel[room:]], s[sel[room:]], gc[sel[room:]]))
    borrowed = 0
    for k in np.flatnonzero([len(taken[k]) < quota[k] for k in range(n_bins)]):
        # fill from the nearest bins' spares
        for j in sorted(range(n_bins), key=lambda j: (abs(j - k), j)):
            need = quota[k] - len(taken[k])
            if need <= 0:
                break
            got, spare[j] = spare[j][:need], spare[j][need:]
            taken[k].extend(got)
            borrowed += len(got)
    rows = [t for k in range(n_bins) for t in taken[k]]
    if len(rows) < n:
        raise DataError(f"could draw only {len(rows)} of {n} background windows of {length} bp from "
                        f"{len(chroms)} chromosome(s) after {drawn:,} candidates: the chromosomes are too small or too "
                        "covered by positives, blacklist and N; lower data.negative_ratio or use negatives: shuffle")
    if borrowed:
        warnings.warn(f"GC-matched negatives: {borrowed} of {n} came from a neighbouring GC bin "
                      "(the background has too few windows at the positives' extreme GC)", stacklevel=2)
    out = np.array(rows, dtype=np.float64).reshape(-1, 3)
    return out[:, 0].astype(np.int64), out[:, 1].astype(np.int64), out[:, 2]


def _apportion(p: np.ndarray, n: int) -> np.ndarray:
    """Integer counts summing to ``n`` proportional to ``p`` (largest remainders)."""
    raw = p * n
    counts = np.floor(raw).astype(np.int64)
    rest = n - counts.sum()
    if rest > 0:
        counts[np.argsort(-(raw - counts), kind="stable")[:rest]] += 1
    return counts


# --------------------------------------------------------------------------------------------
# Dataset
# --------------------------------------------------------------------------------------------
@dataclass
class Windows:
    """Fixed-length windows as coordinates (no sequence held in memory).

    Attributes
    ----------
    chrom_idx : numpy.ndarray, shape (N,), int64
    starts : numpy.ndarray, shape (N,), int64
        Start of each model-length window (before any jitter flank).
    shuffle_keys : numpy.ndarray, shape (N,), int64
        -1 for genomic windows; otherwise the window is a dinucleotide shuffle of the
        genomic window at these coordinates, drawn with this key (so it is the same every epoch).
    targets : numpy.ndarray, shape (N, T), float32
    """

    chrom_idx: np.ndarray
    starts: np.ndarray
    shuffle_keys: np.ndarray
    targets: np.ndarray

    def __len__(self) -> int:
        return len(self.starts)

    @staticmethod
    def concat(parts: list["Windows"]) -> "Windows":
        return Windows(*(np.concatenate([getattr(p, f) for p in parts]) for f in
                         ("chrom_idx", "starts", "shuffle_keys", "targets")))

    def subset(self, idx) -> "Windows":
        return Windows(self.chrom_idx[idx], self.starts[idx], self.shuffle_keys[idx], self.targets[idx])


class GenomeWindowDataset(Dataset):
    """Windows read from a genome one batch at a time, served as (B, 4, L) one-hot batches.

    Index it with an :class:`~motifzoo.data.dataset.IndexBatch` (what
    :func:`~motifzoo.data.dataset.batch_loader` yields): its seed fixes the batch's jitter and
    reverse-complement draws, so batches do not depend on the number of workers.

    Parameters
    ----------
    genome : Genome
    windows : Windows
    seq_len : int
        Model input length L.
    jitter : int
        Training windows are shifted by up to ``jitter`` bp either way (evaluation: no shift).
    reverse_complement : bool
        Training windows are reverse-complemented with probability 1/2.
    train : bool
    seed : int
        Seed of the dinucleotide shuffles (with each window's key).
    shuffle_cache_bytes : int
        Shuffled windows are computed once, up front, when they fit in this many bytes (a batch's
        worth of shuffling costs more than a model step); beyond it they are shuffled per batch.
        Both give the same sequences.
    """

    def __init__(self, genome: Genome, windows: Windows, seq_len: int, jitter: int = 0,
                 reverse_complement: bool = False, train: bool = False, seed: int = 0,
                 shuffle_cache_bytes: int = 2**30):
        if jitter < 0:
            raise DataError(f"data.jitter must be >= 0, got {jitter}")
        self.genome, self.windows = genome, windows
        self.seq_len, self.jitter, self.rc, self.train, self.seed = seq_len, jitter, reverse_complement, train, seed
        self.width = seq_len + 2 * jitter  # bases read per window, jitter flanks included
        shuffled = np.flatnonzero(windows.shuffle_keys >= 0)
        self._cache_row = self._cache = None
        if len(shuffled) and len(shuffled) * self.width <= shuffle_cache_bytes:
            # built in the main process, so forked DataLoader workers share it
            self._cache_row = np.full(len(windows), -1, dtype=np.int64)
            self._cache_row[shuffled] = np.arange(len(shuffled))
            self._cache = np.empty((len(shuffled), self.width), dtype=np.uint8)
            for a in range(0, len(shuffled), 4096):
                self._cache[a:a + 4096] = self._shuffled(shuffled[a:a + 4096])

    def __len__(self) -> int:
        return len(self.windows)

    def _shuffled(self, idx: np.ndarray) -> np.ndarray:
        """(B, width) dinucleotide shuffles of the genomic windows behind shuffled windows ``idx``."""
        w = self.windows
        source = self.genome.fetch(w.chrom_idx[idx], w.starts[idx] - self.jitter, self.width)
        return dinucleotide_shuffle(source, row_seeds(self.seed, w.shuffle_keys[idx]))

    def unaugmented(self, idx: np.ndarray) -> np.ndarray:
        """(B, width) codes of windows ``idx`` with their jitter flanks, before any shift or strand flip."""
        w = self.windows
        idx = np.asarray(idx)
        shuffled = w.shuffle_keys[idx] >= 0
        codes = np.empty((len(idx), self.width), dtype=np.uint8)
        plain = idx[~shuffled]
        if len(plain):
            codes[~shuffled] = self.genome.fetch(w.chrom_idx[plain], w.starts[plain] - self.jitter, self.width)
        if shuffled.any():
            codes[shuffled] = (self._cache[self._cache_row[idx[shuffled]]] if self._cache is not None
                               else self._shuffled(idx[shuffled]))
        return codes

    def codes(self, idx: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        """(B, L) codes of windows ``idx``, augmented when training (``rng`` draws the shifts and strands)."""
        idx = np.asarray(idx)
        flank = self.jitter
        if self.train and rng is None:
            rng = np.random.default_rng()
        shift = rng.integers(0, 2 * flank + 1, len(idx)) if self.train and flank else np.full(len(idx), flank)
        w = self.windows
        shuffled = w.shuffle_keys[idx] >= 0
        codes = np.empty((len(idx), self.seq_len), dtype=np.uint8)
        plain = idx[~shuffled]
        if len(plain):  # read just the shifted window, not the flanked one
            codes[~shuffled] = self.genome.fetch(w.chrom_idx[plain], w.starts[plain] - flank + shift[~shuffled],
                                                 self.seq_len)
        if shuffled.any():
            full = self.unaugmented(idx[shuffled])
            cols = shift[shuffled][:, None] + np.arange(self.seq_len)[None, :]
            codes[shuffled] = np.take_along_axis(full, cols, 1)
        if self.rc and self.train:
            flip = rng.random(len(idx)) < 0.5
            codes[flip] = reverse_complement_codes(codes[flip])
        return codes

    def __getitem__(self, index):
        rng = None
        if isinstance(index, IndexBatch):
            rng = np.random.default_rng(index.seed)
            index = index.indices
        single = np.isscalar(index)
        idx = np.atleast_1d(np.asarray(index))
        x = codes_to_one_hot(torch.from_numpy(self.codes(idx, rng)))
        y = torch.from_numpy(self.windows.targets[idx])
        return (x[0], y[0]) if single else (x, y)
