"""A LightningDataModule over pre-encoded arrays (.npy/.npz memory-mapped, HDF5), streamed by batch.

Select it on the command line or in a config::

    motifzoo fit --config configs/expcnn.yaml \\
        --data motifzoo.training.array_datamodule.ArrayDataModule --data.path data.npz

``motifzoo encode table.tsv.gz -o data.npz`` converts a table without loading it whole.
"""
from __future__ import annotations

import lightning as L
import numpy as np
import torch

from ..data.arrays import ArrayDataset, ArraySource
from ..data.dataset import batch_loader
from ..data.tables import SPLITS, DataError, is_binary, random_split


class ArrayDataModule(L.LightningDataModule):
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
        super().__init__()
        if task not in ("auto", "binary", "regression"):
            raise DataError(f"data.task must be auto, binary or regression, got {task!r}")
        for name, frac in (("valid_frac", valid_frac), ("test_frac", test_frac)):
            if not 0 <= frac < 1:
                raise DataError(f"data.{name} must be in [0, 1), got {frac}")
        if valid_frac + test_frac >= 1:
            raise DataError("data.valid_frac + data.test_frac must leave some training data")
        if batch_size < 1:
            raise DataError(f"data.batch_size must be positive, got {batch_size}")
        self.path, self.targets_path, self.x_key, self.y_key = path, targets, x_key, y_key
        self._task = task
        self.valid_frac, self.test_frac, self.split_seed = valid_frac, test_frac, split_seed
        self.batch_size, self.num_workers = batch_size, num_workers
        self.reverse_complement, self.jitter, self.seed = reverse_complement, jitter, seed
        self._source: ArraySource | None = None
        self._splits: dict[str, np.ndarray] | None = None

    @property
    def source(self) -> ArraySource:
        if self._source is None:
            self._source = ArraySource(self.path, self.targets_path, self.x_key, self.y_key)
            if self.jitter < 0 or 2 * self.jitter >= self._source.length:
                raise DataError(f"data.jitter={self.jitter} leaves no window of the {self._source.length} bp sequences")
            if self._task == "binary" and not is_binary(self._source.targets):
                raise DataError(f"{self.path}: data.task is binary but some targets are not 0/1")
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

    @property
    def n_targets(self) -> int:
        return len(self.source.target_names)

    @property
    def target_names(self) -> list[str]:
        return list(self.source.target_names)

    @property
    def input_length(self) -> int:
        return self.source.length - 2 * self.jitter

    @property
    def task(self) -> str:
        if self._task != "auto":
            return self._task
        return "binary" if is_binary(self.source.targets) else "regression"

    def _seed(self) -> int:
        return int(self.seed) if self.seed is not None else torch.initial_seed() % 2**32

    def setup(self, stage: str | None = None) -> None:
        _ = self.splits

    def dataset(self, split: str, train: bool = False) -> ArrayDataset:
        return ArrayDataset(self.source, self.splits[split], self.reverse_complement, self.jitter, train=train)

    def train_dataloader(self):
        return batch_loader(self.dataset("train", True), self.batch_size, True, self.num_workers, seed=self._seed())

    def val_dataloader(self):
        return batch_loader(self.dataset("valid"), self.batch_size, False, self.num_workers)

    def test_dataloader(self):
        if len(self.splits["test"]) == 0:
            raise DataError(f"{self.path}: the 'test' split is empty")
        return batch_loader(self.dataset("test"), self.batch_size, False, self.num_workers)

    def predict_dataloader(self):
        ds = ArrayDataset(self.source, np.arange(self.source.n), False, self.jitter, train=False)
        return batch_loader(ds, self.batch_size, False, self.num_workers)

    def describe(self) -> dict:
        return {"path": str(self.path), "n_sequences": self.source.n, "length": self.source.length,
                "layout": self.source.layout, "targets": self.target_names, "task": self.task,
                "split_sizes": {k: int(len(v)) for k, v in self.splits.items()}}
