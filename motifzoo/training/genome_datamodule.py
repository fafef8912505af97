"""A LightningDataModule over BED regions and a reference genome, split by chromosome.

Select it in a config with::

    data:
      class_path: motifzoo.training.genome_datamodule.GenomeDataModule
      init_args: {genome: hg38.fa, bed: peaks.narrowPeak, valid_chroms: [chr8], test_chroms: [chr9]}

(see ``configs/genome.yaml``).
"""
from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.genome import (CENTER_MODES, BedRegions, Genome, GenomeWindowDataset, IntervalSet, Windows,
                           check_in_genome, fetch_in_chunks, gc_fraction, read_bed, region_centers,
                           sample_gc_matched)
from ..data.tables import DataError, is_binary
from .base_datamodule import ALL, BaseDataModule
from .ranges import check, document_ranges

SPLITS = ("train", "valid", "test")
NEGATIVE_MODES = ("gc", "shuffle", "bed", "none")
_BED_SUFFIXES = re.compile(r"(\.(bed|narrowpeak|broadpeak|peaks?|txt|tsv))*(\.gz)?$", re.IGNORECASE)


def task_name(path: str) -> str:
    """A task's default name: the BED file name without its extensions (``CTCF.narrowPeak.gz`` -> ``CTCF``)."""
    return _BED_SUFFIXES.sub("", Path(path).name) or Path(path).name


@document_ranges("data")
class GenomeDataModule(BaseDataModule):
    """Windows around BED regions, read lazily from an indexed genome FASTA.

    Each region becomes a ``seq_len`` window centered on its summit or midpoint. With one
    BED per task, a window's target for task *t* is 1 when its center lies inside a region
    of BED *t*. Negatives (all targets 0) come from the genome with matched GC content, from
    dinucleotide shuffles of the positives, or from a BED. Windows on ``valid_chroms`` and
    ``test_chroms`` form the validation and test sets (negatives too); every other
    chromosome (or ``train_chroms``) is for training.

    Parameters
    ----------
    genome : str
        FASTA (uncompressed or bgzip); its ``.fai`` index is built when missing.
    bed : str, list of str, or dict of str to str
        A BED/narrowPeak file (optionally .gz) of positive regions; a list makes one task per
        file (named after the file), a dict names the tasks.
    seq_len : int
        Model input length in bp.
    center : str
        ``summit`` (narrowPeak column 10, else the midpoint), ``midpoint``, or ``region``
        (the region itself, which must be at least ``seq_len`` bp long; its center is used).
    valid_chroms, test_chroms : list of str
        Held-out chromosomes; ``valid_chroms`` is required, ``test_chroms`` may be empty.
    train_chroms : list of str, optional
        Training chromosomes (default: every other chromosome of the genome). Regions
        elsewhere are dropped.
    negatives : str
        ``gc`` (random genomic windows with the positives' GC distribution, away from every
        region and the blacklist), ``shuffle`` (dinucleotide-shuffled positives), ``bed``
        (the regions of ``negative_bed``) or ``none``.
    negative_bed : str, optional
        Negative regions for ``negatives: bed``.
    negative_ratio : float
        Negatives per positive, per split (``gc`` and ``shuffle``).
    blacklist : str, optional
        BED of regions no window may overlap (e.g. the ENCODE blacklist).
    value_columns : list of int, optional
        1-based BED columns holding per-region targets (e.g. ``[7]``, narrowPeak's signalValue)
        in place of 0/1 labels; one BED only. Negatives get 0 for every target.
    target_names : list of str, optional
        Names of the targets (default: task names, or ``<bed>_col<k>``).
    task : str
        ``binary``, ``regression`` or ``auto`` (binary unless value columns hold other than 0/1).
    gc_bins : int
        Number of equal GC bins that ``gc`` negatives are matched in.
    max_n_fraction : float
        ``gc`` negatives hold at most this fraction of N.
    jitter : int
        Training windows shift randomly by up to this many bp either way.
    reverse_complement : bool
        Training windows are reverse-complemented with probability 1/2.
    batch_size, num_workers : int
    seed : int, optional
        Seed of the negatives and of batch order and augmentation (default: the run's
        ``seed_everything``). Loading is deterministic for any ``num_workers``.
    """

    def __init__(self, genome: str, bed: str | list[str] | dict[str, str], seq_len: int = 500,
                 center: str = "summit", valid_chroms: list[str] | None = None, test_chroms: list[str] | None = None,
                 train_chroms: list[str] | None = None, negatives: str = "gc", negative_bed: str | None = None,
                 negative_ratio: float = 1.0, blacklist: str | None = None, value_columns: list[int] | None = None,
                 target_names: list[str] | None = None, task: str = "auto", gc_bins: int = 20,
                 max_n_fraction: float = 0.1, jitter: int = 0, reverse_complement: bool = False,
                 batch_size: int = 128, num_workers: int = 0, seed: int | None = None):
        super().__init__(task=task, batch_size=batch_size, num_workers=num_workers,
                         reverse_complement=reverse_complement, jitter=jitter, seed=seed)
        for key, value in (("seq_len", seq_len), ("negative_ratio", negative_ratio), ("gc_bins", gc_bins),
                           ("max_n_fraction", max_n_fraction)):
            check(f"data.{key}", value)
        if center not in CENTER_MODES:
            raise DataError(f"data.center must be one of {', '.join(CENTER_MODES)}, got {center!r}")
        if negatives not in NEGATIVE_MODES:
            raise DataError(f"data.negatives must be one of {', '.join(NEGATIVE_MODES)}, got {negatives!r}")
        if negatives == "bed" and not negative_bed:
            raise DataError("data.negatives is bed: give the negative regions as data.negative_bed")
        if negative_bed and negatives != "bed":
            raise DataError(f"data.negative_bed is set but data.negatives is {negatives!r}; set negatives: bed")
        if not valid_chroms:
            raise DataError("data.valid_chroms is empty: name the chromosome(s) held out for validation, e.g. [chr8]")
        self.genome_path = genome
        self.beds = self._task_beds(bed)
        if value_columns and len(self.beds) > 1:
            raise DataError("data.value_columns reads targets from one BED; give a single data.bed")
        self.value_columns = list(value_columns or [])
        self._target_names = self._default_target_names(target_names)
        self.seq_len, self.center = seq_len, center
        self.chroms = {"train": list(train_chroms) if train_chroms else None, "valid": list(valid_chroms),
                       "test": list(test_chroms or [])}
        self.negatives, self.negative_bed, self.negative_ratio = negatives, negative_bed, negative_ratio
        self.blacklist = blacklist
        self.gc_bins, self.max_n_fraction = gc_bins, max_n_fraction
        self._genome: Genome | None = None
        self._regions: list[BedRegions] | None = None
        self._windows: dict[str, Windows] | None = None
        self._counts: dict[str, dict[str, int]] = {}

    # -- configuration ---------------------------------------------------------------------------
    @staticmethod
    def _task_beds(bed) -> dict[str, str]:
        if isinstance(bed, str):
            return {task_name(bed): bed}
        if isinstance(bed, dict):
            if not bed:
                raise DataError("data.bed is an empty mapping; give task: BED file pairs")
            return {str(k): str(v) for k, v in bed.items()}
        beds = [str(b) for b in bed]
        if not beds:
            raise DataError("data.bed is an empty list; give at least one BED file")
        names = [task_name(b) for b in beds]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise DataError(f"data.bed: several files would be named {', '.join(map(repr, dup))}; "
                            "name the tasks with a mapping (bed: {taskA: a.bed, taskB: b.bed})")
        return dict(zip(names, beds))

    def _default_target_names(self, names) -> list[str]:
        if self.value_columns:
            default = [f"{next(iter(self.beds))}_col{c}" for c in self.value_columns]
        else:
            default = list(self.beds)
        if names is None:
            return default
        if len(names) != len(default):
            raise DataError(f"data.target_names has {len(names)} names for {len(default)} targets "
                            f"({'value columns' if self.value_columns else 'BED files'})")
        return [str(n) for n in names]

    # -- reading ---------------------------------------------------------------------------------
    @property
    def genome(self) -> Genome:
        if self._genome is None:
            self._genome = Genome(self.genome_path)
        return self._genome

    @property
    def regions(self) -> list[BedRegions]:
        """The positive regions of each task's BED, as read."""
        if self._regions is None:
            self._regions = [read_bed(path, self.value_columns) for path in self.beds.values()]
        return self._regions

    def _split_of_chrom(self) -> np.ndarray:
        """Split of each genome chromosome: 0 train, 1 valid, 2 test, -1 none."""
        g = self.genome
        of = np.full(len(g), -1, dtype=np.int64)
        for k, split in ((1, "valid"), (2, "test")):
            idx = g.chrom_index(self.chroms[split], lambda i, s=split: f"data.{s}_chroms")
            clash = of[idx] >= 0
            if clash.any():
                raise DataError(f"data.{split}_chroms: {self.chroms[split][int(np.argmax(clash))]} is already a "
                                "validation chromosome; a chromosome belongs to one split")
            of[idx] = k
        if self.chroms["train"] is None:
            of[of < 0] = 0
        else:
            idx = g.chrom_index(self.chroms["train"], lambda i: "data.train_chroms")
            clash = of[idx] > 0
            if clash.any():
                raise DataError(f"data.train_chroms: {self.chroms['train'][int(np.argmax(clash))]} is also a "
                                "validation or test chromosome")
            of[idx] = 0
        return of

    def prepare_data(self) -> None:
        # index the FASTA once, on one process, before the ranks of a distributed run read it
        _ = self.genome

    # -- windows ---------------------------------------------------------------------------------
    @property
    def windows(self) -> dict[str, Windows]:
        """Windows of each split (positives first, then negatives)."""
        if self._windows is None:
            self._windows = self._build()
        return self._windows

    def _positives(self, genome: Genome):
        """Deduplicated positive windows: chrom index, window start, targets, and an IntervalSet of every region."""
        chrom, center, values, peaks = [], [], [], []
        for regions in self.regions:
            c = check_in_genome(regions, genome)
            chrom.append(c)
            center.append(region_centers(regions, self.center, self.seq_len))
            values.append(regions.values)
            peaks.append(IntervalSet(len(genome), c, regions.starts, regions.ends))
        all_regions = IntervalSet.union(*peaks)
        chrom, center = np.concatenate(chrom), np.concatenate(center)
        # the same window from several BEDs (or repeated lines) is one example
        _, first = np.unique(np.stack([chrom, center]), axis=1, return_index=True)
        first = np.sort(first)
        chrom, center = chrom[first], center[first]
        if self.value_columns:
            targets = np.concatenate(values)[first]
        else:
            targets = np.stack([p.contains(chrom, center) for p in peaks], 1).astype(np.float32)
        return chrom, center - self.seq_len // 2, targets.astype(np.float32), all_regions

    def _blacklist(self, genome: Genome) -> IntervalSet:
        if not self.blacklist:
            return IntervalSet(len(genome))
        bl = read_bed(self.blacklist)
        # blacklists often list contigs the genome lacks; those regions cannot overlap anything
        known = np.isin(bl.chroms, genome.names)
        c = genome.chrom_index(bl.chroms[known])
        return IntervalSet(len(genome), c, bl.starts[known], bl.ends[known])

    def _flanked(self, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every base a window may show, jitter included: [start - jitter, start + seq_len + jitter)."""
        return starts - self.jitter, starts + self.seq_len + self.jitter

    def _build(self) -> dict[str, Windows]:
        genome = self.genome
        seed = self._seed()
        rng = np.random.default_rng([seed, 0])
        split_of = self._split_of_chrom()
        chrom, starts, targets, regions = self._positives(genome)
        blacklist = self._blacklist(genome)
        bad = blacklist.overlaps(chrom, *self._flanked(starts))
        if bad.any():
            warnings.warn(f"{int(bad.sum())} of {len(bad)} positive windows overlap the blacklist "
                          f"{self.blacklist} and are dropped", stacklevel=2)
        split = split_of[chrom]
        if (split < 0).any():
            warnings.warn(f"{int((split < 0).sum())} positive windows lie on chromosomes in no split "
                          "(not in data.train_chroms, valid_chroms or test_chroms) and are dropped", stacklevel=2)
        keep = ~bad & (split >= 0)
        positives = Windows(chrom[keep], starts[keep], np.full(int(keep.sum()), -1, np.int64), targets[keep])
        split = split[keep]
        # negatives stay clear of every region and every positive window, jitter included
        exclude = IntervalSet.union(regions, blacklist,
                                    IntervalSet(len(genome), positives.chrom_idx, *self._flanked(positives.starts)))
        user_negatives = self._user_negatives(genome, regions, blacklist, split_of) if self.negatives == "bed" else None
        out, key_offset = {}, 0
        for k, name in enumerate(SPLITS):
            pos = positives.subset(split == k)
            chroms_here = np.flatnonzero(split_of == k)
            if name in ("train", "valid") and not len(pos):
                raise DataError(self._empty_split_message(name, genome, chroms_here))
            neg = self._negatives(pos, chroms_here, genome, exclude, rng, key_offset,
                                  user_negatives[k] if user_negatives else None)
            key_offset += len(neg)
            out[name] = Windows.concat([pos, neg])
            self._counts[name] = {"positives": len(pos), "negatives": len(neg)}
        if self.task == "binary":
            if not self.value_columns and self.n_targets == 1 and self.negatives == "none":
                raise DataError("data.negatives is none with a single BED: every window would be a positive; "
                                "choose negatives: gc, shuffle or bed")
            if not is_binary(positives.targets):
                raise DataError(f"{next(iter(self.beds.values()))}: data.task is binary but value columns "
                                f"{self.value_columns} hold values other than 0/1")
        return out

    def _empty_split_message(self, split: str, genome: Genome, chroms_here: np.ndarray) -> str:
        on = sorted({str(c) for r in self.regions for c in np.unique(r.chroms)})
        names = ", ".join(genome.names[c] for c in chroms_here[:8]) or "none"
        return (f"no positive regions on the {split} chromosomes ({names}); the BED has regions on "
                f"{', '.join(on[:12])}{' ...' if len(on) > 12 else ''}; change data.{split}_chroms")

    def _negatives(self, pos: Windows, chroms_here: np.ndarray, genome: Genome, exclude: IntervalSet,
                   rng: np.random.Generator, key_offset: int, user: tuple[np.ndarray, np.ndarray] | None) -> Windows:
        """Negatives of one split: ``pos`` are its positives, ``chroms_here`` its chromosomes."""
        n_targets = pos.targets.shape[1]
        if self.negatives == "none" or not len(pos) and self.negatives != "bed":
            return Windows(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64),
                           np.zeros((0, n_targets), np.float32))
        if self.negatives == "bed":
            c, s = user
            return Windows(c, s, np.full(len(s), -1, np.int64), np.zeros((len(s), n_targets), np.float32))
        n = int(round(self.negative_ratio * len(pos)))
        if self.negatives == "shuffle":
            source = np.arange(n) % len(pos)
            return Windows(pos.chrom_idx[source], pos.starts[source], key_offset + np.arange(n, dtype=np.int64),
                           np.zeros((n, n_targets), np.float32))
        target_gc = self._window_gc(genome, pos)
        flank = self.jitter
        c, s, _ = sample_gc_matched(genome, chroms_here, target_gc, n, self.seq_len + 2 * flank,
                                    exclude, rng, self.gc_bins, self.max_n_fraction)
        return Windows(c, s + flank, np.full(n, -1, np.int64), np.zeros((n, n_targets), np.float32))

    def _window_gc(self, genome: Genome, w: Windows) -> np.ndarray:
        """GC fraction of each window as the model sees it unshifted; shape (N,)."""
        gc = np.empty(len(w))
        for sl, codes in fetch_in_chunks(genome, w.chrom_idx, w.starts, self.seq_len):
            gc[sl] = gc_fraction(codes)
        return gc

    def _user_negatives(self, genome: Genome, regions: IntervalSet, blacklist: IntervalSet, split_of: np.ndarray):
        bed = read_bed(self.negative_bed)
        chrom = check_in_genome(bed, genome)
        mode = "midpoint" if self.center == "summit" and (bed.summits < 0).all() else self.center
        starts = region_centers(bed, mode, self.seq_len) - self.seq_len // 2
        lo, hi = self._flanked(starts)
        clash = regions.overlaps(chrom, lo, hi)
        black = blacklist.overlaps(chrom, lo, hi)
        if clash.any():
            warnings.warn(f"{self.negative_bed}: {int(clash.sum())} of {len(bed)} negative windows overlap a "
                          "positive region and are dropped", stacklevel=2)
        if black.any():
            warnings.warn(f"{self.negative_bed}: {int(black.sum())} negative windows overlap the blacklist and "
                          "are dropped", stacklevel=2)
        keep = ~clash & ~black
        split = split_of[chrom]
        return [(chrom[keep & (split == k)], starts[keep & (split == k)]) for k in range(len(SPLITS))]

    # -- the hooks of BaseDataModule -------------------------------------------------------------
    def dataset(self, split: str, train: bool = False) -> GenomeWindowDataset:
        """The windows of ``split`` (``all``: of every split) as a dataset (``train``: with jitter and
        reverse-complement draws)."""
        windows = Windows.concat([self.windows[s] for s in SPLITS]) if split == ALL else self.windows[split]
        return GenomeWindowDataset(self.genome, windows, self.seq_len, self.jitter, self.reverse_complement,
                                   train=train, seed=self._seed())

    def _load(self) -> None:
        _ = self.windows

    def _names(self) -> list[str]:
        return self._target_names

    def _length(self) -> int:
        return self.seq_len + 2 * self.jitter  # a window with its jitter flanks

    def _targets(self) -> np.ndarray:
        # 0/1 labels unless value columns give the targets
        return self.regions[0].values if self.value_columns else np.zeros(0, np.float32)

    def _empty_test_message(self) -> str:
        return "the test split is empty: name test chromosomes with data.test_chroms"

    def _split_sizes(self) -> dict[str, dict[str, int]]:
        _ = self.windows
        return dict(self._counts)

    def _describe_source(self) -> dict:
        return {"genome": str(self.genome_path), "beds": dict(self.beds), "seq_len": self.seq_len,
                "negatives": self.negatives, "chroms": {k: v for k, v in self.chroms.items()}}

    # -- inspection ------------------------------------------------------------------------------
    def windows_table(self, split: str) -> pd.DataFrame:
        """The windows of ``split``: chrom, start, end (model window, 0-based half-open), shuffled, and targets."""
        w = self.windows[split]
        df = pd.DataFrame({"chrom": np.array(self.genome.names)[w.chrom_idx], "start": w.starts,
                           "end": w.starts + self.seq_len, "shuffled": w.shuffle_keys >= 0})
        for j, name in enumerate(self.target_names):
            df[name] = w.targets[:, j]
        return df
