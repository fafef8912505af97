"""Pre-encoded datasets: ``.npy``/``.npz`` (memory-mapped) and HDF5, read a batch at a time.

The sequence array ``x`` may hold

* codes, shape (N, L), integers 0..4 (A, C, G, T, N; see :mod:`motifzoo.data.encoding`) -- the
  compact form ``motifzoo encode`` writes (1 byte per base);
* one-hot, shape (N, 4, L) (channels first, as motifzoo and tangermeme use) or (N, L, 4)
  (channels last, Keras style), of any numeric dtype.

Targets ``y`` have shape (N,) or (N, T). Optional arrays: ``split`` (``train``/``valid``/``test``
strings, or 0/1/2) and ``target_names``.

``.npy`` files and the members of an uncompressed ``.npz`` (``numpy.savez``) are memory-mapped;
members of a compressed ``.npz`` (``numpy.savez_compressed``) cannot be and are read whole
(with a warning). HDF5 datasets are read row by row with h5py (the ``hdf5`` extra).
"""
from __future__ import annotations

import os
import shutil
import struct
import tempfile
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset

from .dataset import crop_window, random_reverse_complement, unpack_index
from .encoding import N_CODE, codes_to_one_hot
from .tables import SPLITS, DataError, _check_file, _encode_checked, _numeric_targets, _read_frame

ARRAY_SUFFIXES = (".npy", ".npz", ".h5", ".hdf5")
_SPLIT_CODES = {s: i for i, s in enumerate(SPLITS)}


# --------------------------------------------------------------------------------------------
# Opening arrays
# --------------------------------------------------------------------------------------------
def _npz_member(path: Path, zf: zipfile.ZipFile, name: str):
    """A member of an .npz as a read-only memmap (stored members) or an in-memory array (compressed)."""
    info = zf.getinfo(name)
    if info.compress_type != zipfile.ZIP_STORED:
        array = np.load(zf.open(name), allow_pickle=False)
        if array.nbytes > 64 * 2**20:
            warnings.warn(f"{path}: member {name!r} is compressed, so it is read whole ({array.nbytes / 2**20:.0f} MiB); "
                          "save with numpy.savez (not savez_compressed) or as .npy to stream it", stacklevel=3)
        return array
    with open(path, "rb") as fh:
        fh.seek(info.header_offset)
        local = fh.read(30)
        name_len, extra_len = struct.unpack("<HH", local[26:30])
        fh.seek(info.header_offset + 30 + name_len + extra_len)
        version = np.lib.format.read_magic(fh)
        read_header = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
        if version not in read_header:
            raise DataError(f"{path}: member {name!r} uses .npy format version {version}; re-save it with numpy.savez")
        shape, fortran, dtype = read_header[version](fh)
        offset = fh.tell()
    if dtype.hasobject:
        raise DataError(f"{path}: member {name!r} holds Python objects; store numbers or fixed-width strings")
    if int(np.prod(shape)) == 0:
        return np.zeros(shape, dtype=dtype)
    return np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape, order="F" if fortran else "C")


def _open_h5(path: Path):
    try:
        import h5py
    except ImportError:
        raise DataError(f"{path}: reading HDF5 needs h5py: pip install 'motifzoo[hdf5]'") from None
    try:
        return h5py.File(path, "r")
    except OSError as err:
        raise DataError(f"{path}: cannot open as HDF5 ({err})") from None


class ArrayFile:
    """Named arrays of one .npy/.npz/.h5 file, opened lazily in each process (picklable).

    Parameters
    ----------
    path : str or Path
    """

    def __init__(self, path):
        self.path = _check_file(path)
        self.suffix = self.path.suffix.lower()
        if self.suffix not in ARRAY_SUFFIXES:
            raise DataError(f"{self.path}: unknown array file type {self.suffix!r}; expected {', '.join(ARRAY_SUFFIXES)}")
        self._handle, self._pid = None, None
        self.keys = self._keys()

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_handle"], state["_members"] = None, {}  # memmaps would pickle as whole arrays
        return state

    def _open(self):
        # a fork shares file offsets, and h5py handles are not fork-safe: one handle per process
        if self._handle is None or self._pid != os.getpid():
            if self.suffix == ".npy":
                try:
                    self._handle = {"x": np.load(self.path, mmap_mode="r", allow_pickle=False)}
                except ValueError as err:
                    raise DataError(f"{self.path}: not a readable .npy array ({err})") from None
            elif self.suffix == ".npz":
                try:
                    self._handle = zipfile.ZipFile(self.path)
                except zipfile.BadZipFile:
                    raise DataError(f"{self.path}: not a valid .npz (zip) file") from None
                self._members = {}
            else:
                self._handle = _open_h5(self.path)
            self._pid = os.getpid()
        return self._handle

    def _keys(self) -> list[str]:
        h = self._open()
        if self.suffix == ".npy":
            return ["x"]
        if self.suffix == ".npz":
            return [n[:-4] if n.endswith(".npy") else n for n in h.namelist()]
        names = []
        h.visititems(lambda name, obj: names.append(name) if hasattr(obj, "shape") else None)
        return names

    def __contains__(self, key: str) -> bool:
        return key in self.keys

    def __getitem__(self, key: str):
        """The array ``key``: a memmap, an in-memory array or an h5py dataset (all index like numpy)."""
        if key not in self.keys:
            raise DataError(f"{self.path}: no array {key!r}; it holds {', '.join(self.keys) or 'nothing'}")
        h = self._open()
        if self.suffix == ".npy":
            return h["x"]
        if self.suffix == ".npz":
            if key not in self._members:
                try:
                    self._members[key] = _npz_member(self.path, h, key + ".npy")
                except ValueError as err:
                    raise DataError(f"{self.path}: member {key!r} is not a readable array ({err})") from None
            return self._members[key]
        return h[key]


def read_rows(array, rows: np.ndarray) -> np.ndarray:
    """``array[rows]`` for a numpy array, memmap or h5py dataset (which needs increasing indices)."""
    rows = np.asarray(rows)
    if isinstance(array, np.ndarray):
        return np.asarray(array[rows])
    # h5py: one read per row (in file order) is ~8x faster than its fancy-index selection
    uniq, inverse = np.unique(rows, return_inverse=True)
    return np.stack([array[int(i)] for i in uniq])[inverse.reshape(-1)]


# --------------------------------------------------------------------------------------------
# A dataset's arrays
# --------------------------------------------------------------------------------------------
class ArraySource:
    """Sequences, targets and split of a pre-encoded dataset.

    Parameters
    ----------
    path : str
        ``.npz``/``.h5`` holding ``x_key`` and ``y_key`` (and optionally ``split``,
        ``target_names``), or a ``.npy`` of sequences only (then give ``targets``).
    targets : str, optional
        Targets for ``.npy`` sequences (or to override ``y``): a ``.npy`` of shape (N,) or (N, T),
        or a TSV/CSV table with one row per sequence (every column a target but ``split``).
    x_key, y_key : str

    Attributes
    ----------
    layout : {"codes", "ncl", "nlc"}
        (N, L) codes, (N, 4, L) or (N, L, 4) one-hot.
    n, length : int
    targets : numpy.ndarray, shape (N, T), float32
    target_names : list of str
    split : numpy.ndarray, shape (N,), int8, or None
        0 train, 1 valid, 2 test.
    """

    def __init__(self, path, targets: str | None = None, x_key: str = "x", y_key: str = "y"):
        self.file = ArrayFile(path)
        self.x_key = x_key if self.file.suffix != ".npy" else "x"
        x = self.file[self.x_key]
        self.layout = self._layout(x.shape, x.dtype)
        self.n = int(x.shape[0])
        self.length = int(x.shape[-1] if self.layout in ("codes", "ncl") else x.shape[1])
        if self.n == 0:
            raise DataError(f"{self.file.path}: array {self.x_key!r} holds no sequences")
        self.targets, names, self.split = self._targets(targets, y_key)
        self.target_names = names

    def _where(self, key: str | None = None) -> str:
        return f"{self.file.path}[{key or self.x_key!r}]" if self.file.suffix != ".npy" else str(self.file.path)

    def _layout(self, shape, dtype) -> str:
        kind = np.dtype(dtype).kind
        if kind not in "uifb":
            raise DataError(f"{self._where()}: dtype {dtype} is not numeric")
        if len(shape) == 2:
            if kind not in "ui":
                raise DataError(f"{self._where()}: a 2-D sequence array must hold integer codes 0-4 (A, C, G, T, N), "
                                f"got dtype {dtype}")
            return "codes"
        if len(shape) == 3 and shape[1] == 4:
            return "ncl"
        if len(shape) == 3 and shape[2] == 4:
            return "nlc"
        raise DataError(f"{self._where()}: shape {tuple(shape)} is not (N, L) codes, (N, 4, L) or (N, L, 4) one-hot")

    def _targets(self, targets: str | None, y_key: str):
        names, split = None, None
        if targets is not None:
            y, names, split = self._external_targets(targets)
        elif self.file.suffix == ".npy":
            raise DataError(f"{self.file.path}: a .npy holds sequences only; give the targets as data.targets "
                            "(a .npy or a TSV/CSV table with one row per sequence)")
        else:
            if y_key not in self.file:
                raise DataError(f"{self.file.path}: no targets array {y_key!r} (data.y_key); it holds "
                                f"{', '.join(self.file.keys)}")
            y = np.asarray(self.file[y_key][()] if self.file.suffix in (".h5", ".hdf5") else self.file[y_key])
            y = self._as_2d(y, self._where(y_key))
            if "target_names" in self.file:
                raw = np.asarray(self.file["target_names"][()] if self.file.suffix in (".h5", ".hdf5")
                                 else self.file["target_names"])
                names = [v.decode() if isinstance(v, bytes) else str(v) for v in raw.reshape(-1)]
                if len(names) != y.shape[1]:
                    raise DataError(f"{self._where('target_names')}: {len(names)} names for {y.shape[1]} targets")
        if "split" in self.file and split is None:
            raw = self.file["split"]
            split = self._split_codes(np.asarray(raw[()] if self.file.suffix in (".h5", ".hdf5") else raw),
                                      self._where("split"))
        if len(y) != self.n:
            raise DataError(f"{self.file.path}: {self.n} sequences but {len(y)} rows of targets")
        if split is not None and len(split) != self.n:
            raise DataError(f"{self._where('split')}: {len(split)} split labels for {self.n} sequences")
        bad = ~np.isfinite(y)
        if bad.any():
            row, col = np.argwhere(bad)[0]
            raise DataError(f"{self.file.path}: target {col} of sequence {row} (0-based) is {y[row, col]}; "
                            "targets must be finite numbers")
        return y.astype(np.float32), names or [f"target{i}" for i in range(y.shape[1])], split

    @staticmethod
    def _as_2d(y: np.ndarray, where: str) -> np.ndarray:
        if y.dtype.kind not in "uifb":
            raise DataError(f"{where}: targets must be numbers, got dtype {y.dtype}")
        if y.ndim == 1:
            return y[:, None]
        if y.ndim != 2:
            raise DataError(f"{where}: targets must have shape (N,) or (N, T), got {y.shape}")
        return y

    def _external_targets(self, targets: str):
        p = _check_file(targets, "targets file")
        if p.suffix.lower() == ".npy":
            try:
                y = np.load(p, allow_pickle=False)
            except ValueError as err:
                raise DataError(f"{p}: not a readable .npy array ({err})") from None
            return self._as_2d(y, str(p)), None, None
        df = _read_frame(p)
        if len(df) == 0:
            raise DataError(f"{p}: has a header but no rows")
        split = None
        if "split" in df.columns:
            split = self._split_codes(df["split"].fillna("").astype(str).str.strip().str.lower().to_numpy(), str(p),
                                      line_offset=2)
        columns = [c for c in df.columns if c != "split"]
        if not columns:
            raise DataError(f"{p}: no target columns (every column other than split is a target)")
        return _numeric_targets(df, columns, p), columns, split

    @staticmethod
    def _split_codes(raw: np.ndarray, where: str, line_offset: int | None = None) -> np.ndarray:
        if raw.dtype.kind in "ui":
            bad = (raw < 0) | (raw > 2)
            codes = raw
        else:
            text = np.array([v.decode() if isinstance(v, bytes) else str(v) for v in raw.reshape(-1)])
            text = np.char.lower(np.char.strip(text))
            codes = np.array([_SPLIT_CODES.get(v, -1) for v in text])
            bad = codes < 0
        if bad.any():
            i = int(np.argmax(bad))
            at = f" line {i + line_offset}" if line_offset is not None else f" entry {i} (0-based)"
            value = raw.reshape(-1)[i]
            value = value.item() if isinstance(value, np.generic) else value
            raise DataError(f"{where}{at}: unknown split {value!r}; expected train, valid, test or 0, 1, 2")
        return np.asarray(codes, dtype=np.int8)

    def one_hot(self, rows: np.ndarray) -> torch.Tensor:
        """(B, 4, L) float32 one-hot of ``rows`` (any order; duplicates allowed)."""
        x = read_rows(self.file[self.x_key], rows)
        if self.layout == "codes":
            if x.size and (x.max() > N_CODE or x.min() < 0):
                r = int(np.argmax((x > N_CODE).any(1) | (x < 0).any(1)))
                raise DataError(f"{self._where()}: sequence {int(rows[r])} (0-based) holds code "
                                f"{int(x[r][(x[r] > N_CODE) | (x[r] < 0)][0])}; codes are 0-4 (A, C, G, T, N)")
            return codes_to_one_hot(torch.from_numpy(x.astype(np.int64)))
        t = torch.from_numpy(np.ascontiguousarray(x)).float()
        return t.transpose(1, 2).contiguous() if self.layout == "nlc" else t


class ArrayDataset(Dataset):
    """Rows of an :class:`ArraySource` served as (B, 4, L') one-hot batches, read on demand.

    Parameters
    ----------
    source : ArraySource
    rows : numpy.ndarray, shape (N,)
        The rows of ``source`` in this dataset (e.g. one split).
    reverse_complement, jitter, train
        As for :class:`~motifzoo.data.dataset.SequenceDataset`: the model sees ``L - 2 * jitter`` bp.
    """

    def __init__(self, source: ArraySource, rows: np.ndarray, reverse_complement: bool = False, jitter: int = 0,
                 train: bool = False):
        if jitter < 0 or 2 * jitter >= source.length:
            raise DataError(f"data.jitter={jitter} must be >= 0 and leave a window of the {source.length} bp sequences")
        self.source, self.rows = source, np.asarray(rows, dtype=np.int64)
        self.rc, self.jitter, self.train = reverse_complement, jitter, train

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def output_length(self) -> int:
        return self.source.length - 2 * self.jitter

    def __getitem__(self, index):
        idx, gen, single = unpack_index(index)
        rows = self.rows[idx]
        x = crop_window(self.source.one_hot(rows), self.jitter, self.train, gen)
        if self.rc and self.train:
            random_reverse_complement(x, gen)
        y = torch.from_numpy(self.source.targets[rows])
        return (x[0], y[0]) if single else (x, y)


# --------------------------------------------------------------------------------------------
# Writing: a table streamed into an .npz of codes
# --------------------------------------------------------------------------------------------
def _write_npy_member(zf: zipfile.ZipFile, name: str, raw_path: Path | None, array: np.ndarray | None,
                      dtype, shape) -> None:
    """Add ``name.npy`` to ``zf`` uncompressed (so it can be memory-mapped), copying raw bytes in blocks."""
    with zf.open(name + ".npy", "w", force_zip64=True) as out:
        np.lib.format.write_array_header_2_0(out, {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
                                                   "fortran_order": False, "shape": tuple(shape)})
        if array is not None:
            out.write(np.ascontiguousarray(array).tobytes())
        else:
            with open(raw_path, "rb") as fh:
                shutil.copyfileobj(fh, out, 16 * 2**20)


def encode_table(path, output, seq_len: int | None = None, pad_mode: str = "center", chunk_rows: int = 100_000,
                 on_chunk=None) -> dict:
    """Encode a TSV/CSV(.gz) table of sequences into an ``.npz`` of codes, ``chunk_rows`` rows at a time.

    Memory stays bounded by the chunk, so tables larger than memory can be converted. The
    output holds ``x`` (N, L) uint8 codes, ``y`` (N, T) float32, ``target_names`` and, when the
    table has a ``split`` column, ``split``; its members are stored uncompressed so that
    training memory-maps them. ``on_chunk``, if given, is called with the number of rows of each
    chunk written (e.g. a progress bar's ``update``).

    Returns
    -------
    dict
        ``n``, ``length``, ``targets`` (names) and ``output``.
    """
    path = _check_file(path)
    output = Path(output)
    if output.suffix != ".npz":
        raise DataError(f"{output}: the encoded output must be an .npz file")
    sep = "," if "".join(path.suffixes[-2:]).lower().startswith(".csv") or path.suffix.lower() == ".csv" else "\t"
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".encode-") as tmp:
        x_raw, y_raw = Path(tmp) / "x.raw", Path(tmp) / "y.raw"
        n, length, names, splits = 0, None, None, []
        try:
            with pd.read_csv(path, sep=sep, chunksize=chunk_rows, dtype={"sequence": str, "split": str}) as reader, \
                    open(x_raw, "wb") as xf, open(y_raw, "wb") as yf:
                for chunk in reader:
                    chunk.columns = [str(c).strip() for c in chunk.columns]
                    if "sequence" not in chunk.columns:
                        raise DataError(f"{path}: no 'sequence' column; found columns: {', '.join(chunk.columns)}")
                    if names is None:
                        names = [c for c in chunk.columns if c not in ("sequence", "split", "name", "id")]
                        if not names:
                            raise DataError(f"{path}: no target columns; every column other than sequence/split/name/id "
                                            "is a target")
                    missing = chunk["sequence"].isna().to_numpy()
                    if missing.any():
                        raise DataError(f"{path} line {n + int(np.argmax(missing)) + 2}: empty sequence")
                    labels = [f"{path} line {n + i + 2}" for i in range(len(chunk))]
                    codes = _encode_checked(chunk["sequence"].str.strip().tolist(), labels, seq_len, pad_mode)
                    if length is None:
                        length = codes.shape[1]
                    elif codes.shape[1] != length:
                        raise DataError(f"{path} line {n + 2}: sequences differ in length ({codes.shape[1]} bp here, "
                                        f"{length} bp before); give --seq-len to pad or crop them")
                    y = _numeric_targets(chunk, names, path, line_offset=n + 2)
                    if "split" in chunk.columns:
                        splits.append(ArraySource._split_codes(
                            chunk["split"].fillna("").str.strip().str.lower().to_numpy(), str(path), line_offset=n + 2))
                    xf.write(codes.tobytes())
                    yf.write(y.tobytes())
                    n += len(chunk)
                    if on_chunk is not None:
                        on_chunk(len(chunk))
        except pd.errors.EmptyDataError:
            raise DataError(f"{path}: file is empty") from None
        except (pd.errors.ParserError, UnicodeDecodeError, EOFError) as err:
            raise DataError(f"{path}: cannot parse as {'CSV' if sep == ',' else 'TSV'}: "
                            f"{str(err).strip().splitlines()[-1]}") from None
        if n == 0:
            raise DataError(f"{path}: has a header but no rows")
        # built inside the temporary directory (removed on any failure, a full disk included), then renamed
        partial = Path(tmp) / output.name
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
            _write_npy_member(zf, "x", x_raw, None, np.uint8, (n, length))
            _write_npy_member(zf, "y", y_raw, None, np.float32, (n, len(names)))
            _write_npy_member(zf, "target_names", None, np.array(names), np.array(names).dtype, (len(names),))
            if splits:
                split = np.concatenate(splits)
                _write_npy_member(zf, "split", None, split, split.dtype, split.shape)
        os.replace(partial, output)
    return {"n": n, "length": length, "targets": names, "output": str(output)}
