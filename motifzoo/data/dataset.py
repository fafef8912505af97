"""A map-style dataset that yields whole one-hot batches from compact codes."""
from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import BatchSampler, DataLoader, Dataset, RandomSampler, SequentialSampler

from .encoding import codes_to_one_hot, reverse_complement


class SequenceDataset(Dataset):
    """Sequences stored as (N, L) uint8 codes, served as (B, 4, L') one-hot batches.

    Indexing with a list of indices returns a whole batch, so a DataLoader with
    ``batch_size=None`` and a :class:`~torch.utils.data.BatchSampler` encodes a batch
    in one vectorised step.

    Parameters
    ----------
    codes : numpy.ndarray, shape (N, L), uint8
    targets : numpy.ndarray, shape (N, T)
    reverse_complement : bool
        Augmentation: each sequence is reverse-complemented with probability 1/2.
    jitter : int
        Augmentation: a random window of length ``L - 2 * jitter`` is taken
        (evaluation datasets take the central window).
    train : bool
        Whether augmentation is random (training) or deterministic (centre, forward strand).
    """

    def __init__(self, codes: np.ndarray, targets: np.ndarray, reverse_complement: bool = False,
                 jitter: int = 0, train: bool = False):
        if jitter < 0 or 2 * jitter >= codes.shape[1]:
            raise ValueError(f"jitter={jitter} must be >= 0 and leave a window (sequence length {codes.shape[1]})")
        self.codes = codes
        self.targets = np.asarray(targets, dtype=np.float32)
        self.rc = reverse_complement
        self.jitter = jitter
        self.train = train

    def __len__(self) -> int:
        return len(self.codes)

    @property
    def output_length(self) -> int:
        return self.codes.shape[1] - 2 * self.jitter

    def __getitem__(self, index):
        single = np.isscalar(index)
        idx = np.atleast_1d(np.asarray(index))
        codes = torch.from_numpy(np.ascontiguousarray(self.codes[idx]))
        if self.jitter:
            if self.train:
                offsets = torch.randint(0, 2 * self.jitter + 1, (len(idx),))
                cols = offsets[:, None] + torch.arange(self.output_length)[None, :]
                codes = torch.gather(codes, 1, cols)
            else:
                codes = codes[:, self.jitter:self.jitter + self.output_length]
        x = codes_to_one_hot(codes)
        if self.rc and self.train:
            flip = torch.rand(len(idx)) < 0.5
            x[flip] = reverse_complement(x[flip])
        y = torch.from_numpy(self.targets[idx])
        return (x[0], y[0]) if single else (x, y)


def batch_loader(dataset: SequenceDataset, batch_size: int, shuffle: bool = False, num_workers: int = 0,
                 generator: torch.Generator | None = None) -> DataLoader:
    """A DataLoader that fetches whole batches from ``dataset`` in one call."""
    base = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
    return DataLoader(dataset, batch_size=None, sampler=BatchSampler(base, batch_size, drop_last=False),
                      num_workers=num_workers, persistent_workers=num_workers > 0)
