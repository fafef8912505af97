"""LightningDataModules: sequences and targets from files or the simulator."""
from __future__ import annotations

from pathlib import Path

import lightning as L
import numpy as np
import torch

from ..data.dataset import SequenceDataset, batch_loader
from ..data.tables import DataError, SequenceTable, is_binary, random_split, read_sequences


class SequenceDataModule(L.LightningDataModule):
    """Train/valid/test loaders over a TSV/CSV table or FASTA + targets.

    Parameters
    ----------
    path : str
        TSV/CSV(.gz) with a ``sequence`` column, or a FASTA file (then give ``targets``).
    targets : str, optional
        Targets table keyed by FASTA record name.
    seq_len : int, optional
        Pad (with N) or crop sequences to this length; without it sequences must be equal length.
    pad_mode : str
        ``center``, ``left`` or ``right``.
    task : str
        ``binary`` (multi-label, BCE), ``regression`` (MSE) or ``auto`` (binary when every target is 0/1).
    valid_frac, test_frac : float
        Fractions for a seeded random split, used when the table has no ``split`` column.
    split_seed : int
        Seed of that split.
    batch_size, num_workers : int
    reverse_complement : bool
        Random reverse-complement augmentation during training.
    jitter : int
        Random shift augmentation: the model sees ``L - 2 * jitter`` bp.
    """

    def __init__(self, path: str, targets: str | None = None, seq_len: int | None = None, pad_mode: str = "center",
                 task: str = "auto", valid_frac: float = 0.1, test_frac: float = 0.1, split_seed: int = 0,
                 batch_size: int = 128, num_workers: int = 0, reverse_complement: bool = False, jitter: int = 0):
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
        self.path, self.targets_path = path, targets
        self.seq_len, self.pad_mode = seq_len, pad_mode
        self._task = task
        self.valid_frac, self.test_frac, self.split_seed = valid_frac, test_frac, split_seed
        self.batch_size, self.num_workers = batch_size, num_workers
        self.reverse_complement, self.jitter = reverse_complement, jitter
        self._table: SequenceTable | None = None
        self._splits: dict[str, np.ndarray] | None = None

    # -- reading -------------------------------------------------------------------------------
    @property
    def table(self) -> SequenceTable:
        if self._table is None:
            self._table = read_sequences(self.path, self.targets_path, self.seq_len, self.pad_mode)
            if not self._table.target_names:
                raise DataError(f"{self.path}: FASTA input needs a targets table (data.targets)")
            if 2 * self.jitter >= self._table.length:
                raise DataError(f"data.jitter={self.jitter} leaves no window of the {self._table.length} bp sequences")
            # fail on split and task problems now, before a model is built for this data
            _ = self.splits
            if self._task == "binary" and not is_binary(self._table.targets):
                raise DataError(f"{self.path}: data.task is binary but some targets are not 0/1")
        return self._table

    @property
    def splits(self) -> dict[str, np.ndarray]:
        """Row indices of each split."""
        if self._splits is None:
            t = self.table
            if t.split is not None:
                split = t.split
            else:
                split = random_split(len(t), self.valid_frac, self.test_frac, self.split_seed)
            self._splits = {s: np.flatnonzero(split == s) for s in ("train", "valid", "test")}
            for s in ("train", "valid"):
                if len(self._splits[s]) == 0 and t.split is not None:
                    raise DataError(f"{self.path}: the {s!r} split is empty; add rows with split={s} "
                                    "or use a random split (drop the split column)")
                if len(self._splits[s]) == 0:
                    raise DataError(f"{self.path}: the random split of {len(t)} rows left the {s!r} split empty; "
                                    f"add rows or change data.{s}_frac")
        return self._splits

    @property
    def n_targets(self) -> int:
        return len(self.table.target_names)

    @property
    def target_names(self) -> list[str]:
        return list(self.table.target_names)

    @property
    def input_length(self) -> int:
        return self.table.length - 2 * self.jitter

    @property
    def task(self) -> str:
        if self._task != "auto":
            return self._task
        return "binary" if is_binary(self.table.targets) else "regression"

    # -- loaders -------------------------------------------------------------------------------
    def _dataset(self, split: str, train: bool) -> SequenceDataset:
        idx = self.splits[split]
        return SequenceDataset(self.table.codes[idx], self.table.targets[idx], self.reverse_complement,
                               self.jitter, train=train)

    def setup(self, stage: str | None = None) -> None:
        _ = self.table

    def train_dataloader(self):
        # the seed set by `seed_everything` fixes batch order and augmentation per epoch
        return batch_loader(self._dataset("train", True), self.batch_size, True, self.num_workers,
                            seed=torch.initial_seed() % 2**32)

    def val_dataloader(self):
        return batch_loader(self._dataset("valid", False), self.batch_size, False, self.num_workers)

    def test_dataloader(self):
        if len(self.splits["test"]) == 0:
            raise DataError(f"{self.path}: the 'test' split is empty")
        return batch_loader(self._dataset("test", False), self.batch_size, False, self.num_workers)

    def predict_dataloader(self):
        ds = SequenceDataset(self.table.codes, self.table.targets, False, self.jitter, train=False)
        return batch_loader(ds, self.batch_size, False, self.num_workers)

    def describe(self) -> dict:
        return {"path": str(Path(self.path)), "n_sequences": len(self.table), "length": self.table.length,
                "targets": self.target_names, "task": self.task,
                "split_sizes": {k: int(len(v)) for k, v in self.splits.items()}}
