"""What motifzoo's LightningDataModules share: metadata, loaders and ``describe``; a subclass reads its source."""
from __future__ import annotations

import lightning as L
import numpy as np
import torch
from torch.utils.data import Dataset

from ..data.dataset import batch_loader
from ..data.tables import DataError, is_binary
from .ranges import check

ALL = "all"  # dataset(ALL): every example, as predict_dataloader serves them


class BaseDataModule(L.LightningDataModule):
    """Train/valid/test/predict loaders over the examples of one data source.

    A subclass keeps its own documented ``__init__`` (the CLI's ``data.*`` keys), passes the
    shared settings to this one, and implements the hooks :meth:`dataset` (the examples of a
    split), :meth:`_load` (read and split the source) and :meth:`_describe_source`. The other
    hooks default to a source of rows read from one ``path``: :meth:`_loaded` (a
    :class:`~motifzoo.data.tables.SequenceTable` or :class:`~motifzoo.data.arrays.ArraySource`)
    gives the metadata, and a ``splits`` mapping of row indices the split sizes.
    """

    def __init__(self, *, task: str, batch_size: int, num_workers: int, reverse_complement: bool, jitter: int,
                 seed: int | None = None):
        super().__init__()
        if task not in ("auto", "binary", "regression"):
            raise DataError(f"data.task must be auto, binary or regression, got {task!r}")
        for key, value in (("batch_size", batch_size), ("num_workers", num_workers), ("jitter", jitter),
                           ("seed", seed)):
            check(f"data.{key}", value)
        self._task = task
        self.batch_size, self.num_workers = batch_size, num_workers
        self.reverse_complement, self.jitter, self.seed = reverse_complement, jitter, seed

    # -- hooks -----------------------------------------------------------------------------------
    def dataset(self, split: str, train: bool = False) -> Dataset:
        """The examples of ``split`` (``train``, ``valid``, ``test``, or ``all`` for prediction) as a
        dataset of whole batches; ``train``: with random jitter and reverse-complement draws."""
        raise NotImplementedError

    def _load(self) -> None:
        """Read the source and split it, so that its errors come up before training."""
        raise NotImplementedError

    def _describe_source(self) -> dict:
        raise NotImplementedError

    def _loaded(self):
        """The data as read: its ``target_names``, ``length`` and ``targets`` are the defaults of the next three."""
        raise NotImplementedError

    def _names(self) -> list[str]:
        """The target names."""
        return self._loaded().target_names

    def _length(self) -> int:
        """Bases each example holds, the ``jitter`` bp either side of the model's window included."""
        return self._loaded().length

    def _targets(self) -> np.ndarray:
        """The targets that ``task: auto`` looks at (binary when every one is 0 or 1)."""
        return self._loaded().targets

    def _split_sizes(self) -> dict:
        return {k: int(len(v)) for k, v in self.splits.items()}

    def _empty_test_message(self) -> str:
        return f"{self.path}: the 'test' split is empty"

    # -- checks shared by sources read from one path ----------------------------------------------
    @staticmethod
    def _check_fractions(valid_frac: float, test_frac: float) -> None:
        for name, frac in (("valid_frac", valid_frac), ("test_frac", test_frac)):
            check(f"data.{name}", frac)
        if valid_frac + test_frac >= 1:
            raise DataError("data.valid_frac + data.test_frac must leave some training data")

    def _check_read(self, length: int, targets: np.ndarray) -> None:
        """Errors of ``jitter`` and ``task`` that show once the sequences' ``length`` and ``targets`` are read."""
        if self.jitter < 0 or 2 * self.jitter >= length:
            raise DataError(f"data.jitter={self.jitter} leaves no window of the {length} bp sequences")
        if self._task == "binary" and not is_binary(targets):
            raise DataError(f"{self.path}: data.task is binary but some targets are not 0/1")

    # -- metadata (linked to the model's arguments by the CLI) ------------------------------------
    @property
    def n_targets(self) -> int:
        return len(self._names())

    @property
    def target_names(self) -> list[str]:
        return list(self._names())

    @property
    def input_length(self) -> int:
        return self._length() - 2 * self.jitter

    @property
    def task(self) -> str:
        if self._task != "auto":
            return self._task
        return "binary" if is_binary(self._targets()) else "regression"

    # -- loaders ---------------------------------------------------------------------------------
    def _seed(self) -> int:
        """``data.seed``, else the run's ``seed_everything``: it fixes batch order and augmentation per epoch."""
        return int(self.seed) if self.seed is not None else torch.initial_seed() % 2**32

    def _loader(self, dataset: Dataset, shuffle: bool = False, seed: int = 0):
        return batch_loader(dataset, self.batch_size, shuffle, self.num_workers, seed=seed)

    def setup(self, stage: str | None = None) -> None:
        self._load()

    def train_dataloader(self):
        return self._loader(self.dataset("train", True), shuffle=True, seed=self._seed())

    def val_dataloader(self):
        return self._loader(self.dataset("valid"))

    def test_dataloader(self):
        ds = self.dataset("test")
        if not len(ds):
            raise DataError(self._empty_test_message())
        return self._loader(ds)

    def predict_dataloader(self):
        return self._loader(self.dataset(ALL))

    def describe(self) -> dict:
        return {**self._describe_source(), "targets": self.target_names, "task": self.task,
                "split_sizes": self._split_sizes()}
