"""A LightningDataModule over pre-encoded arrays (.npy/.npz memory-mapped, HDF5), streamed by batch.

Select it on the command line or in a config::

    motifzoo fit --config configs/expcnn.yaml \\
        --data motifzoo.training.array_datamodule.ArrayDataModule --data.path data.npz

``motifzoo encode table.tsv.gz -o data.npz`` converts a table without loading it whole.
"""
from __future__ import annotations

import numpy as np

from ..data.arrays import ArrayDataset, ArraySource
from ..data.tables import SPLITS, DataError, random_split
from .base_datamodule import ALL, BaseDataModule
from .ranges import check, document_ranges


@document_ranges("data")
class ArrayDataModule(BaseDataModule):
    """Train/valid/test loaders that read one batch of a large array file at a time.

    Parameters
    ----------
    path : str
        ``.npz`` or ``.h5``/``.hdf5`` holding ``x_key`` (sequences: (N, L) codes 0-4, or (N, 4, L) /
        (N, L, 4) one-hot) and ``y_key`` (targets, (N,) or (N, T)), optionally ``split`` and
        ``target_names``; or a ``.npy`` of sequences with ``targets``.
    targets : str, optional
        Targets for a ``.npy`` (a ``.npy``, or a TSV/CSV table with a row per sequence).
    x_key, y_key : str
        Array names inside ``.npz``/HDF5 files.
    task : str
        ``binary``, ``regression`` or ``auto`` (binary when every target is 0/1).
    valid_frac, test_frac, split_seed
        A seeded random split, used when the file has no ``split`` array.
    batch_size, num_workers : int
    reverse_complement : bool
    jitter : int
        Random shift augmentation: the model sees ``L - 2 * jitter`` bp.
    seed : int, optional
        Seed of batch order and augmentation (default: the run's ``seed_everything``).
    """

    def __init__(self, path: str, targets: str | None = None, x_key: str = "x", y_key: str = "y", task: str = "auto",
                 valid_frac: float = 0.1, test_frac: float = 0.1, split_seed: int = 0, batch_size: int = 128,
                 num_workers: int = 0, reverse_complement: bool = False, jitter: int = 0, seed: int | None = None):
        super().__init__(task=task, batch_size=batch_size, num_workers=num_workers,
                         reverse_complement=reverse_complement, jitter=jitter, seed=seed)
        self._check_fractions(valid_frac, test_frac)
        check("data.split_seed", split_seed)
        self.path, self.targets_path, self.x_key, self.y_key = path, targets, x_key, y_key
        self.valid_frac, self.test_frac, self.split_seed = valid_frac, test_frac, split_seed
        self._source: ArraySource | None = None
        self._splits: dict[str, np.ndarray] | None = None

    @property
    def source(self) -> ArraySource:
        if self._source is None:
            self._source = ArraySource(self.path, self.targets_path, self.x_key, self.y_key)
            self._check_read(self._source.length, self._source.targets)
        return self._source

    @property
    def splits(self) -> dict[str, np.ndarray]:
        """Row indices of each split."""
        if self._splits is None:
            src = self.source
            if src.split is not None:
                self._splits = {s: np.flatnonzero(src.split == k) for k, s in enumerate(SPLITS)}
            else:
                names = random_split(src.n, self.valid_frac, self.test_frac, self.split_seed)
                self._splits = {s: np.flatnonzero(names == s) for s in SPLITS}
            for s in ("train", "valid"):
                if len(self._splits[s]) == 0:
                    how = "its split array has no " + s + " rows" if src.split is not None else \
                        f"the random split of {src.n} rows left it empty; change data.{s}_frac"
                    raise DataError(f"{self.path}: the {s!r} split is empty ({how})")
        return self._splits

    # -- the hooks of BaseDataModule -----------------------------------------------------------
    def dataset(self, split: str, train: bool = False) -> ArrayDataset:
        rows = np.arange(self.source.n) if split == ALL else self.splits[split]
        return ArrayDataset(self.source, rows, self.reverse_complement, self.jitter, train=train)

    def _load(self) -> None:
        _ = self.splits

    def _loaded(self) -> ArraySource:
        return self.source

    def _describe_source(self) -> dict:
        return {"path": str(self.path), "n_sequences": self.source.n, "length": self.source.length,
                "layout": self.source.layout}
