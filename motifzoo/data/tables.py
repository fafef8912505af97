"""Reading sequences and targets from TSV/CSV (optionally gzipped) and FASTA.

Tabular input: a ``sequence`` column, an optional ``split`` column (``train``,
``valid``, ``test``), an optional ``name``/``id`` column, and every other column a
target (binary 0/1 for multi-label classification, or real-valued).

FASTA input: sequences plus a targets table (TSV/CSV) whose first column (or a
``name`` column) holds the record names.

Every error names the file, the line and what was expected.
"""
from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .encoding import SequenceError, encode, fit_length

SPLITS = ("train", "valid", "test")
ID_COLUMNS = ("name", "id")
FASTA_SUFFIXES = (".fa", ".fasta", ".fna", ".fa.gz", ".fasta.gz", ".fna.gz")


class DataError(ValueError):
    """Input data is malformed; the message names the file, line or column."""


@dataclass
class SequenceTable:
    """Sequences and targets held in memory.

    Attributes
    ----------
    codes : numpy.ndarray, shape (N, L), uint8
        Sequences as codes (see :mod:`motifzoo.data.encoding`).
    targets : numpy.ndarray, shape (N, T), float32
    target_names : list of str, length T
    split : numpy.ndarray of str, shape (N,), or None
    names : list of str, length N
    """

    codes: np.ndarray
    targets: np.ndarray
    target_names: list[str]
    split: np.ndarray | None
    names: list[str]

    def __len__(self) -> int:
        return len(self.codes)

    @property
    def length(self) -> int:
        return int(self.codes.shape[1])


def random_split(n: int, valid_frac: float, test_frac: float, seed: int) -> np.ndarray:
    """(n,) split names from a seeded uniform draw: ``test`` below ``test_frac``, then ``valid``, else ``train``."""
    u = np.random.default_rng(seed).random(n)
    return np.where(u < test_frac, "test", np.where(u < test_frac + valid_frac, "valid", "train"))


def is_binary(targets) -> bool:
    """Whether every target is 0 or 1, i.e. a multi-label classification task."""
    return bool(np.isin(targets, (0.0, 1.0)).all())


def _suffix(path: Path) -> str:
    s = "".join(path.suffixes[-2:]).lower()
    return s if s.endswith(".gz") else path.suffix.lower()


def _check_file(path, what: str = "data file") -> Path:
    path = Path(path)
    if not path.exists():
        raise DataError(f"{what} not found: {path}")
    if path.is_dir():
        raise DataError(f"{what} {path} is a directory, expected a file")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: file is empty")
    return path


def _read_frame(path: Path) -> pd.DataFrame:
    suffix = _suffix(path)
    if suffix in (".csv", ".csv.gz"):
        sep = ","
    elif suffix in (".tsv", ".tsv.gz", ".txt", ".txt.gz", ".tab", ".tab.gz"):
        sep = "\t"
    else:
        raise DataError(f"{path}: unknown file type {suffix!r}; expected .tsv, .csv, .txt (optionally .gz) or FASTA "
                        f"({', '.join(FASTA_SUFFIXES)})")
    try:
        df = pd.read_csv(path, sep=sep, dtype={"sequence": str, "split": str, "name": str, "id": str},
                         keep_default_na=True, comment=None)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: file is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError, gzip.BadGzipFile, EOFError, OSError, zlib.error) as err:
        raise DataError(f"{path}: cannot parse as {'CSV' if sep == ',' else 'TSV'}: {str(err).strip().splitlines()[-1]}") from None
    df.columns = [str(c).strip() for c in df.columns]
    return df


def _numeric_targets(df: pd.DataFrame, columns: list[str], path, line_offset: int = 2) -> np.ndarray:
    out = np.empty((len(df), len(columns)), dtype=np.float32)
    for j, col in enumerate(columns):
        values = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=np.float64)
        bad = np.isnan(values) & df[col].notna().to_numpy()
        if bad.any():
            i = int(np.argmax(bad))
            raise DataError(f"{path} line {i + line_offset}: target column {col!r} holds {df[col].iloc[i]!r}; "
                            "targets must be numbers (0/1 for classification)")
        nonfinite = ~np.isfinite(values)
        if nonfinite.any():
            i = int(np.argmax(nonfinite))
            raise DataError(f"{path} line {i + line_offset}: target column {col!r} is {'missing (NaN)' if np.isnan(values[i]) else values[i]}; "
                            "every target must be a finite number")
        out[:, j] = values
    return out


def _encode_checked(seqs: list[str], labels: list[str], seq_len: int | None, pad_mode: str) -> np.ndarray:
    """Encode with error messages that use ``labels`` (e.g. "x.tsv line 3") to name sequences."""
    if seq_len is not None:
        seqs = fit_length(seqs, seq_len, pad_mode)
    try:
        return encode(seqs, names=labels)
    except SequenceError as err:
        raise DataError(str(err)) from None


def table_labels(path, n: int) -> list[str]:
    """How rows of a table are named in errors: "<path> line <k>" (the header is line 1)."""
    return [f"{path} line {i + 2}" for i in range(n)]


def fasta_labels(path, names: list[str], lines: list[int]) -> list[str]:
    """How FASTA records are named in errors: "<path> record 'name' (line k)"."""
    return [f"{path} record {n!r} (line {k})" for n, k in zip(names, lines)]


def table_sequences(df: pd.DataFrame, path) -> list[str]:
    """The ``sequence`` column of a table read from ``path``, stripped; clear errors for a missing column,
    no rows or an empty sequence."""
    if "sequence" not in df.columns:
        raise DataError(f"{path}: no 'sequence' column; found columns: {', '.join(df.columns)}")
    if len(df) == 0:
        raise DataError(f"{path}: has a header but no rows")
    missing = df["sequence"].isna().to_numpy()
    if missing.any():
        raise DataError(f"{path} line {int(np.argmax(missing)) + 2}: empty sequence")
    return df["sequence"].astype(str).str.strip().tolist()


def read_table(path, seq_len: int | None = None, pad_mode: str = "center",
               target_columns: list[str] | None = None) -> SequenceTable:
    """Read a TSV/CSV (optionally gzipped) or FASTA-less table of sequences and targets.

    Parameters
    ----------
    path : str or Path
    seq_len : int, optional
        Pad (with N) or crop every sequence to this length; without it, unequal
        lengths are an error.
    pad_mode : {"center", "left", "right"}
    target_columns : list of str, optional
        Use only these target columns (default: every column but sequence/split/name/id).
    """
    path = _check_file(path)
    if _suffix(path) in FASTA_SUFFIXES:
        raise DataError(f"{path} is FASTA; give the targets table too (--data.targets TABLE)")
    df = _read_frame(path)
    seqs = table_sequences(df, path)
    reserved = {"sequence", "split", *ID_COLUMNS}
    if target_columns is None:
        target_columns = [c for c in df.columns if c not in reserved]
    else:
        absent = [c for c in target_columns if c not in df.columns]
        if absent:
            raise DataError(f"{path}: target column(s) {', '.join(map(repr, absent))} not found; columns: {', '.join(df.columns)}")
    if not target_columns:
        raise DataError(f"{path}: no target columns; every column other than sequence/split/name/id is a target")
    split = None
    if "split" in df.columns:
        split = df["split"].fillna("").str.strip().str.lower().to_numpy()
        bad = ~np.isin(split, SPLITS)
        if bad.any():
            i = int(np.argmax(bad))
            raise DataError(f"{path} line {i + 2}: unknown split {df['split'].iloc[i]!r}; expected one of train, valid, test")
    targets = _numeric_targets(df, target_columns, path)
    codes = _encode_checked(seqs, table_labels(path, len(df)), seq_len, pad_mode)
    id_col = next((c for c in ID_COLUMNS if c in df.columns), None)
    names = df[id_col].astype(str).tolist() if id_col else [f"{path.name}:{i + 2}" for i in range(len(df))]
    return SequenceTable(codes, targets, list(target_columns), split, names)


def read_fasta(path) -> tuple[list[str], list[str]]:
    """Read a FASTA file (optionally gzipped). Returns (names, sequences); a record's name is the
    first word of its header."""
    names, seqs, _ = _parse_fasta(path)
    return names, seqs


def _parse_fasta(path) -> tuple[list[str], list[str], list[int]]:
    path = _check_file(path, "FASTA file")
    opener = gzip.open if path.suffix == ".gz" else open
    names, seqs, lines_of = [], [], []
    current: list[str] | None = None
    try:
        with opener(path, "rt") as fh:
            for lineno, line in enumerate(fh, 1):
                line = line.strip()
                if not line:
                    continue
                if line.startswith(">"):
                    name = line[1:].split()[0] if line[1:].split() else ""
                    if not name:
                        raise DataError(f"{path} line {lineno}: FASTA header has no name")
                    if current is not None and not current:
                        raise DataError(f"{path} line {lines_of[-1]}: record {names[-1]!r} has no sequence")
                    names.append(name)
                    lines_of.append(lineno)
                    current = []
                    seqs.append(current)
                elif current is None:
                    raise DataError(f"{path} line {lineno}: expected a FASTA header starting with '>', got {line[:20]!r}")
                else:
                    current.append(line)
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a text FASTA file") from None
    except (gzip.BadGzipFile, EOFError, zlib.error) as err:
        raise DataError(f"{path}: corrupt or truncated gzip file ({err})") from None
    if not names:
        raise DataError(f"{path}: no FASTA records")
    if current is not None and not current:
        raise DataError(f"{path} line {lines_of[-1]}: record {names[-1]!r} has no sequence")
    dup = pd.Index(names).duplicated()
    if dup.any():
        i = int(np.argmax(dup))
        raise DataError(f"{path} line {lines_of[i]}: duplicate record name {names[i]!r}")
    return names, ["".join(s) for s in seqs], lines_of


def read_fasta_table(fasta, targets, seq_len: int | None = None, pad_mode: str = "center") -> SequenceTable:
    """FASTA sequences with targets from a table keyed by record name (a ``name`` column, or the first column)."""
    names, seqs, lines_of = _parse_fasta(fasta)
    tpath = _check_file(targets, "targets table")
    df = _read_frame(tpath)
    if len(df) == 0:
        raise DataError(f"{tpath}: has a header but no rows")
    key = "name" if "name" in df.columns else df.columns[0]
    df[key] = df[key].astype(str)
    dup = df[key].duplicated().to_numpy()
    if dup.any():
        raise DataError(f"{tpath} line {int(np.argmax(dup)) + 2}: duplicate name {df[key].iloc[int(np.argmax(dup))]!r}")
    index = {n: i for i, n in enumerate(df[key])}
    absent = [n for n in names if n not in index]
    if absent:
        raise DataError(f"{tpath}: no targets for FASTA record(s) {', '.join(map(repr, absent[:5]))}"
                        f"{' ...' if len(absent) > 5 else ''} (matched on column {key!r})")
    rows = df.iloc[[index[n] for n in names]].reset_index(drop=True)
    target_columns = [c for c in df.columns if c not in (key, "split", "sequence", *ID_COLUMNS)]
    if not target_columns:
        raise DataError(f"{tpath}: no target columns besides {key!r}")
    split = None
    if "split" in rows.columns:
        split = rows["split"].fillna("").str.strip().str.lower().to_numpy()
        bad = ~np.isin(split, SPLITS)
        if bad.any():
            i = int(np.argmax(bad))
            raise DataError(f"{tpath} line {index[names[i]] + 2}: unknown split {rows['split'].iloc[i]!r}; expected train, valid or test")
    targets_arr = _numeric_targets(rows, target_columns, tpath, line_offset=2)
    codes = _encode_checked(seqs, fasta_labels(fasta, names, lines_of), seq_len, pad_mode)
    return SequenceTable(codes, targets_arr, target_columns, split, names)


def read_sequences(path, targets=None, seq_len: int | None = None, pad_mode: str = "center") -> SequenceTable:
    """Dispatch on the file type: FASTA (+ ``targets`` table) or TSV/CSV."""
    p = Path(path)
    if _suffix(p) in FASTA_SUFFIXES:
        if targets is None:
            names, seqs, lines_of = _parse_fasta(p)
            codes = _encode_checked(seqs, fasta_labels(p, names, lines_of), seq_len, pad_mode)
            return SequenceTable(codes, np.zeros((len(seqs), 0), np.float32), [], None, names)
        return read_fasta_table(p, targets, seq_len, pad_mode)
    return read_table(p, seq_len=seq_len, pad_mode=pad_mode)


def read_onehot(path, max_sequences: int | None = None, **kwargs):
    """One-hot (N, 4, L) float tensor of the sequences in a TSV/CSV/FASTA file (targets ignored).

    The same checks and arguments as :func:`read_codes`; for large files prefer
    ``EncodedSequences(read_codes(...))``, which holds 1 byte per base instead of 16.
    """
    from .encoding import codes_to_one_hot
    return codes_to_one_hot(read_codes(path, max_sequences, **kwargs))


def read_codes(path, max_sequences: int | None = None, *, length: int | None = None, seq_len: int | None = None,
               pad_mode: str = "center", needed_by: str = "the model", fix: str = "--seq-len",
               exact: bool = True) -> np.ndarray:
    """Base codes (N, L) uint8 of the sequences in a TSV/CSV/FASTA file (targets ignored; A, C, G, T = 0..3,
    ambiguous = 4).

    Sequences must have equal length; errors name the file and line.

    Parameters
    ----------
    length : int, optional
        The length the sequences must have (a checkpoint's ``input_length``); checked before
        encoding, so a mismatch says the length found, the length needed and ``fix``.
    seq_len : int, optional
        Pad (with N) or crop every sequence to this length first (``pad_mode``: center, left, right).
    needed_by, fix : str
        How the error names what needs ``length`` and the option that pads or crops.
    exact : bool
        ``False``: sequences longer than ``length`` are fine (a convolution scans them; e.g. motif
        alignment), only shorter ones are an error.
    """
    if max_sequences is not None and max_sequences < 1:
        raise DataError(f"--max-sequences must be at least 1, got {max_sequences}")
    if seq_len is not None and seq_len < 1:
        raise DataError(f"{fix} must be at least 1, got {seq_len}")
    p = _check_file(path)
    if _suffix(p) in FASTA_SUFFIXES:
        names, seqs, lines = _parse_fasta(p)
        labels = fasta_labels(p, names, lines)
    else:
        df = _read_frame(p)
        seqs, labels = table_sequences(df, p), table_labels(p, len(df))
    if max_sequences:
        seqs, labels = seqs[:max_sequences], labels[:max_sequences]
    if seq_len is not None:
        seqs = fit_length(seqs, seq_len, pad_mode)
    if length is not None:
        check_length(seqs, labels, length, needed_by, fix, exact)
    return _encode_checked(seqs, labels, None, "center")


def check_length(seqs: list[str], labels: list[str], length: int, needed_by: str = "the model",
                 fix: str = "--seq-len", exact: bool = True) -> None:
    """Raise a :class:`DataError` naming the first sequence whose length is not ``length`` (with
    ``exact=False``: shorter than ``length``), the length found, the length needed and the option
    (``fix``) that pads or crops to it."""
    lengths = np.fromiter((len(s) for s in seqs), dtype=np.int64, count=len(seqs))
    bad = np.flatnonzero(lengths != length if exact else lengths < length)
    if len(bad):
        i = int(bad[0])
        others = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        raise DataError(f"{labels[i]}: sequence is {lengths[i]} bp{others} but {needed_by} needs {'' if exact else 'at least '}{length} bp; "
                        f"pad or crop the sequences with {fix} {length}")
