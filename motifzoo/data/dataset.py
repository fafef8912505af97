"""A map-style dataset that yields whole one-hot batches from compact codes."""
from __future__ import annotations

import math

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler

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
        Whether augmentation is random (training) or deterministic (center, forward strand).
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
        idx, gen, single = unpack_index(index)
        codes = torch.from_numpy(np.ascontiguousarray(self.codes[idx]))
        x = codes_to_one_hot(crop_window(codes, self.jitter, self.train, gen))
        if self.rc and self.train:
            random_reverse_complement(x, gen)
        y = torch.from_numpy(self.targets[idx])
        return (x[0], y[0]) if single else (x, y)


def unpack_index(index) -> tuple[np.ndarray, torch.Generator | None, bool]:
    """``(rows, generator, single)`` of a dataset index: an int, a list of rows, or an :class:`IndexBatch`
    (whose seed makes the batch's augmentation reproducible; otherwise the global RNG is used)."""
    gen = None
    if isinstance(index, IndexBatch):
        gen = torch.Generator().manual_seed(index.seed)
        index = index.indices
    return np.atleast_1d(np.asarray(index)), gen, np.isscalar(index)


def crop_window(t: torch.Tensor, jitter: int, train: bool, gen: torch.Generator | None = None) -> torch.Tensor:
    """The ``L - 2 * jitter`` window of each sequence along the last axis: at a random offset in
    ``0..2*jitter`` per sequence when ``train``, else the central one.

    Parameters
    ----------
    t : tensor, shape (B, L) codes or (B, C, L) one-hot

    Returns
    -------
    tensor, shape (B, L - 2 * jitter) or (B, C, L - 2 * jitter)
    """
    if not jitter:
        return t
    length = t.shape[-1] - 2 * jitter
    if not train:
        return t[..., jitter:jitter + length].contiguous()
    offsets = torch.randint(0, 2 * jitter + 1, (t.shape[0],), generator=gen)
    cols = offsets[:, None] + torch.arange(length)[None, :]
    if t.dim() == 3:
        cols = cols[:, None, :].expand(-1, t.shape[1], -1)
    return torch.gather(t, t.dim() - 1, cols)


def random_reverse_complement(x: torch.Tensor, gen: torch.Generator | None = None) -> None:
    """Reverse-complement each (B, 4, L) one-hot sequence with probability 1/2, in place."""
    flip = torch.rand(len(x), generator=gen) < 0.5
    x[flip] = reverse_complement(x[flip])


class IndexBatch:
    """The row indices of one batch and the seed of its augmentation."""

    __slots__ = ("indices", "seed")

    def __init__(self, indices: np.ndarray, seed: int):
        self.indices, self.seed = indices, seed


class EpochBatchSampler(DistributedSampler):
    """Batches of indices whose order and augmentation seeds depend only on (seed, epoch).

    Lightning calls :meth:`set_epoch` before every epoch, so a run resumed from a
    checkpoint sees exactly the batches an uninterrupted run would have seen. Under
    ``torch.distributed`` each rank takes every ``world_size``-th batch.
    """

    # A DistributedSampler only by type: Lightning wraps any other sampler in a
    # DistributedSamplerWrapper under DDP, which would shard the already-sharded batches again.
    # DistributedSampler.__init__ is not called (it needs a process group); every method is overridden.
    def __init__(self, n: int, batch_size: int, shuffle: bool, seed: int = 0):
        self.n, self.batch_size, self.shuffle, self.seed = n, batch_size, shuffle, seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def _shard(self):
        import torch.distributed as dist
        if dist.is_available() and dist.is_initialized():
            return dist.get_rank(), dist.get_world_size()
        return 0, 1

    def __len__(self) -> int:
        _, world = self._shard()
        return math.ceil(math.ceil(self.n / self.batch_size) / world)

    def __iter__(self):
        rank, world = self._shard()
        rng = np.random.default_rng([self.seed, self.epoch])
        order = rng.permutation(self.n) if self.shuffle else np.arange(self.n)
        starts = list(range(0, self.n, self.batch_size))
        while len(starts) % world:  # equal batch counts per rank keep DDP in step
            starts.append(starts[len(starts) % len(starts)])
        seeds = rng.integers(0, 2**62, size=len(starts))
        for b in range(rank, len(starts), world):
            yield IndexBatch(order[starts[b]:starts[b] + self.batch_size], int(seeds[b]))


def batch_loader(dataset: SequenceDataset, batch_size: int, shuffle: bool = False, num_workers: int = 0,
                 seed: int = 0) -> DataLoader:
    """A DataLoader that fetches whole batches from ``dataset`` in one call, reproducibly under ``seed``."""
    return DataLoader(dataset, batch_size=None, sampler=EpochBatchSampler(len(dataset), batch_size, shuffle, seed),
                      num_workers=num_workers, persistent_workers=num_workers > 0)
