"""LightningDataModules: sequences and targets from files or the simulator."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..data.dataset import SequenceDataset
from ..data.tables import DataError, SequenceTable, random_split, read_sequences
from .base_datamodule import ALL, BaseDataModule
from .ranges import check, document_ranges


@document_ranges("data")
class SequenceDataModule(BaseDataModule):
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
        super().__init__(task=task, batch_size=batch_size, num_workers=num_workers,
                         reverse_complement=reverse_complement, jitter=jitter)
        self._check_fractions(valid_frac, test_frac)
        check("data.seq_len", seq_len)
        check("data.split_seed", split_seed)
        self.path, self.targets_path = path, targets
        self.seq_len, self.pad_mode = seq_len, pad_mode
        self.valid_frac, self.test_frac, self.split_seed = valid_frac, test_frac, split_seed
        self._table: SequenceTable | None = None
        self._splits: dict[str, np.ndarray] | None = None

    # -- reading -------------------------------------------------------------------------------
    @property
    def table(self) -> SequenceTable:
        if self._table is None:
            self._table = read_sequences(self.path, self.targets_path, self.seq_len, self.pad_mode)
            if not self._table.target_names:
                raise DataError(f"{self.path}: FASTA input needs a targets table (data.targets)")
            # fail on split and task problems now, before a model is built for this data
            self._check_read(self._table.length, self._table.targets)
            _ = self.splits
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

    # -- the hooks of BaseDataModule -----------------------------------------------------------
    def dataset(self, split: str, train: bool = False) -> SequenceDataset:
        idx = slice(None) if split == ALL else self.splits[split]
        return SequenceDataset(self.table.codes[idx], self.table.targets[idx], self.reverse_complement,
                               self.jitter, train=train)

    def _load(self) -> None:
        _ = self.table

    def _loaded(self) -> SequenceTable:
        return self.table

    def _describe_source(self) -> dict:
        return {"path": str(Path(self.path)), "n_sequences": len(self.table), "length": self.table.length}
