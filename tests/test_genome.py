"""BED + genome input: windows, chromosome splits, negatives, lazy reads, and clear errors."""
import gzip
import pickle
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

pytest.importorskip("pyfaidx")

import motifzoo  # noqa: E402
from motifzoo.data.encoding import decode  # noqa: E402
from motifzoo.data.genome import Genome, IntervalSet, gc_fraction, read_bed  # noqa: E402
from motifzoo.data.shuffle import dinucleotide_counts, dinucleotide_shuffle  # noqa: E402
from motifzoo.data.tables import DataError  # noqa: E402
from motifzoo.training.genome_datamodule import GenomeDataModule  # noqa: E402
from clirun import fit, run

SIZES = {"chr1": 40_000, "chr2": 40_000, "chr3": 30_000, "chr4": 30_000, "chrM": 150}
MOTIF = "TGACTCAGCA"
BLOCK = 2000  # GC content alternates in blocks of this many bp
COMPLEMENT = str.maketrans("ACGTN", "TGCAN")


def _write_fasta(path, seqs: dict, width=60):
    with open(path, "w") as fh:
        for name, s in seqs.items():
            fh.write(f">{name} assembled\n" + "\n".join(s[i:i + width] for i in range(0, len(s), width)) + "\n")


def make_genome(d: Path, seed=0):
    """A 140 kb genome whose GC alternates between 0.30 and 0.65 in 2 kb blocks, and narrowPeak positives
    (with a planted motif at the summit) only in the GC-rich blocks."""
    rng = np.random.default_rng(seed)
    seqs, rows = {}, []
    for chrom, n in SIZES.items():
        block_gc = rng.permutation(np.resize([0.30, 0.65], n // BLOCK + 1))
        gc = np.repeat(block_gc, BLOCK)[:n]
        strong = rng.random(n) < 0.5
        s = np.where(rng.random(n) < gc, np.where(strong, "G", "C"), np.where(strong, "A", "T"))
        if chrom == "chr1":
            s[:1000] = "N"  # an assembly gap at the start
        if n > 1000:
            for b in np.flatnonzero(block_gc == 0.65):
                for start in (b * BLOCK + 300, b * BLOCK + 1100):
                    if start + 600 > n or start < 1000:
                        continue
                    width = int(rng.integers(250, 500))
                    off = int(rng.integers(60, width - 60))
                    s[start + off - 5:start + off + 5] = list(MOTIF)
                    rows.append((chrom, start, start + width, off, round(float(rng.random() * 10), 2)))
        seqs[chrom] = "".join(s)
    seqs["chr2"] = seqs["chr2"][:5000].lower() + seqs["chr2"][5000:]  # soft-masked stretch
    _write_fasta(d / "genome.fa", seqs)
    with open(d / "peaks.narrowPeak", "w") as fh:
        fh.write("track name=peaks\n")
        for chrom, a, b, off, signal in rows:
            fh.write(f"{chrom}\t{a}\t{b}\tpeak\t0\t.\t{signal}\t-1\t-1\t{off}\n")
    return seqs, rows


@pytest.fixture(scope="module")
def genome_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("genome")
    seqs, rows = make_genome(d)
    return d, seqs, rows


def module(genome_dir, **kwargs):
    d = genome_dir[0]
    args = dict(genome=str(d / "genome.fa"), bed=str(d / "peaks.narrowPeak"), seq_len=200,
                valid_chroms=["chr3"], test_chroms=["chr4"], seed=0)
    args.update(kwargs)
    return GenomeDataModule(**args)


def found_in(seq: str, chroms: dict) -> set:
    """Chromosomes holding ``seq`` on either strand (case-insensitive)."""
    rc = seq.translate(COMPLEMENT)[::-1]
    return {c for c, s in chroms.items() if seq in s or rc in s}


# --------------------------------------------------------------------------------------------
# Training through `motifzoo fit`, and chromosome separation
# --------------------------------------------------------------------------------------------
def test_fit_with_chromosome_splits_keeps_test_chromosome_out_of_training(genome_dir, tmp_path):
    d, seqs, _ = genome_dir
    ckpt = fit(["--config", "configs/genome.yaml", "--data.genome", str(d / "genome.fa"),
                        "--data.bed", str(d / "peaks.narrowPeak"), "--data.valid_chroms", "[chr3]",
                        "--data.test_chroms", "[chr4]", "--trainer.max_epochs", "3",
                        "--trainer.default_root_dir", str(tmp_path), "--trainer.enable_model_summary", "false"])
    model = motifzoo.load(ckpt)
    assert model.input_length == 200 and model.target_names == ["peaks"]
    metrics = (Path(ckpt).parents[1] / "metrics.csv").read_text()
    assert "val/score" in metrics
    # rebuild the data module exactly as the run configured it, and read every training batch it served
    config = yaml.safe_load((Path(ckpt).parents[1] / "config.yaml").read_text())
    assert config["data"]["class_path"].endswith("GenomeDataModule")
    dm = GenomeDataModule(**config["data"]["init_args"])
    dm.setup("fit")
    assert set(dm.windows_table("train")["chrom"]) <= {"chr1", "chr2", "chrM"}
    assert set(dm.windows_table("valid")["chrom"]) == {"chr3"}
    assert set(dm.windows_table("test")["chrom"]) == {"chr4"}
    upper = {c: s.upper() for c, s in seqs.items()}
    train_chroms = {c: upper[c] for c in ("chr1", "chr2")}
    held_out = {c: upper[c] for c in ("chr3", "chr4")}
    n_seen = 0
    for x, _ in dm.train_dataloader():  # jittered, reverse-complemented: as the model saw them
        for s in decode(x):
            assert found_in(s, train_chroms), "a training window is not from a training chromosome"
            assert not found_in(s, held_out), "a training window comes from a held-out chromosome"
            n_seen += 1
    assert n_seen == len(dm.windows["train"]) > 50
    test_seqs = decode(next(iter(dm.test_dataloader()))[0])
    assert all(found_in(s, {"chr4": upper["chr4"]}) for s in test_seqs)


@pytest.mark.parametrize("negatives", ["gc", "shuffle"])
def test_every_split_stays_on_its_chromosomes(genome_dir, negatives):
    dm = module(genome_dir, negatives=negatives, negative_ratio=2.0)
    dm.setup()
    for split, allowed in (("train", {"chr1", "chr2", "chrM"}), ("valid", {"chr3"}), ("test", {"chr4"})):
        t = dm.windows_table(split)
        assert set(t["chrom"]) <= allowed and (t["peaks"] == 0).sum() == 2 * (t["peaks"] == 1).sum() > 0
    assert dm.describe()["split_sizes"]["valid"]["negatives"] == 2 * dm.describe()["split_sizes"]["valid"]["positives"]


def test_train_chroms_restricts_training_and_background(genome_dir):
    dm = module(genome_dir, train_chroms=["chr2"])
    with pytest.warns(UserWarning, match="on chromosomes in no split"):
        dm.setup()
    assert set(dm.windows_table("train")["chrom"]) == {"chr2"}


# --------------------------------------------------------------------------------------------
# Windows
# --------------------------------------------------------------------------------------------
def test_windows_are_centered_on_summits_or_midpoints(genome_dir):
    d, seqs, rows = genome_dir
    for center, expect in (("summit", [a + off for _, a, _, off, _ in rows]),
                           ("midpoint", [(a + b) // 2 for _, a, b, _, _ in rows])):
        dm = module(genome_dir, center=center, negatives="shuffle")
        dm.setup()
        starts = set(zip(dm.windows_table("train")["chrom"], dm.windows_table("train")["start"]))
        wanted = {(c, e - 100) for (c, *_), e in zip(rows, expect) if c in ("chr1", "chr2")}
        assert wanted <= starts
    # with summits, the planted motif sits at the center of every positive window
    dm = module(genome_dir, center="summit", negatives="shuffle")
    dm.setup()
    ds = dm.dataset("valid")
    pos = np.flatnonzero(ds.windows.targets[:, 0] == 1)
    centers = [s[95:105] for s in decode(torch.as_tensor(ds.codes(pos)))]
    assert all(c == MOTIF for c in centers)


def test_window_past_chromosome_end_reads_as_n(genome_dir):
    g = Genome(genome_dir[0] / "genome.fa")
    codes = g.fetch(np.array([g.names.index("chrM"), g.names.index("chr3")]), np.array([-20, 29_950]), 200)
    assert (codes[0, :20] == 4).all() and (codes[0, 170:] == 4).all() and (codes[0, 20:170] < 4).all()
    assert (codes[1, 50:] == 4).all() and (codes[1, :50] < 4).all()


def test_bgzip_fasta_reads_the_same_windows(genome_dir, tmp_path):
    bgzf = pytest.importorskip("Bio.bgzf")
    with open(genome_dir[0] / "genome.fa", "rb") as src, bgzf.BgzfWriter(str(tmp_path / "g.fa.gz"), "wb") as out:
        out.write(src.read())
    plain, packed = Genome(genome_dir[0] / "genome.fa"), Genome(tmp_path / "g.fa.gz")
    assert packed._compressed and not plain._compressed
    chrom, starts = np.array([0, 1, 4, 2]), np.array([-30, 4_990, 100, 29_900])
    assert np.array_equal(plain.fetch(chrom, starts, 200), packed.fetch(chrom, starts, 200))


def test_fetch_matches_the_sequence_for_any_line_width(tmp_path):
    rng = np.random.default_rng(5)
    seqs = {f"c{w}": "".join(rng.choice(list("ACGTNacgt"), 1000 + w)) for w in (50, 60, 61)}
    with open(tmp_path / "g.fa", "w") as fh:  # each record with its own line width; Windows line ends on one
        for name, seq in seqs.items():
            w = int(name[1:])
            end = "\r\n" if w == 61 else "\n"
            fh.write(f">{name}{end}" + end.join(seq[i:i + w] for i in range(0, len(seq), w)) + end)
    g = Genome(tmp_path / "g.fa")
    chrom = rng.integers(0, 3, 200)
    starts = rng.integers(-100, 1100, 200)
    got = decode(torch.as_tensor(g.fetch(chrom, starts, 90)))
    for c, a, s in zip(chrom, starts, got):
        seq = seqs[g.names[c]].upper()
        want = "".join(seq[p] if 0 <= p < len(seq) else "N" for p in range(a, a + 90))
        assert s == want


def test_invalid_genome_character_is_reported(tmp_path):
    _write_fasta(tmp_path / "g.fa", {"a": "ACGT" * 10 + "ACGX" + "ACGT" * 10})
    with pytest.raises(DataError, match=r"g.fa a:44: invalid character 'X'"):
        Genome(tmp_path / "g.fa").fetch(np.array([0]), np.array([30]), 20)


def test_soft_masked_bases_read_as_upper_case(genome_dir):
    g = Genome(genome_dir[0] / "genome.fa")
    codes = g.fetch(np.array([g.names.index("chr2")]), np.array([100]), 50)
    assert decode(torch.as_tensor(codes))[0] == genome_dir[1]["chr2"][100:150].upper()


def test_dataset_holds_coordinates_not_sequences_and_pickles_small(genome_dir):
    dm = module(genome_dir)
    dm.setup()
    ds = dm.dataset("train", train=True)
    blob = pickle.dumps(ds)
    assert len(blob) < 100 * len(ds) + 10_000  # ~40 bytes a window; the genome is 140 kb
    clone = pickle.loads(blob)
    idx = np.arange(8)
    assert np.array_equal(clone.codes(idx), dm.dataset("train").codes(idx))


def test_multitask_beds_label_each_window_by_center(genome_dir, tmp_path):
    d, _, rows = genome_dir
    every_other = [r for i, r in enumerate(rows) if i % 2 == 0]
    with open(tmp_path / "B.bed", "w") as fh:
        for chrom, a, b, off, _ in every_other:
            fh.write(f"{chrom}\t{a}\t{b}\n")
    dm = module(genome_dir, bed={"A": str(d / "peaks.narrowPeak"), "B": str(tmp_path / "B.bed")},
                center="midpoint", negatives="gc")
    assert dm.n_targets == 2 and dm.target_names == ["A", "B"] and dm.task == "binary"
    dm.setup()
    t = pd_concat(dm)
    pos = t[(t["A"] == 1)]
    assert len(pos) == len(rows)  # a window from both files appears once
    assert (t["B"] == 1).sum() == len(every_other) and ((t["B"] == 1) <= (t["A"] == 1)).all()
    assert ((t["A"] == 0) & (t["B"] == 0)).sum() > 0


def pd_concat(dm):
    import pandas as pd
    return pd.concat([dm.windows_table(s) for s in ("train", "valid", "test")], ignore_index=True)


def test_value_columns_make_a_regression_task(genome_dir):
    _, _, rows = genome_dir
    dm = module(genome_dir, value_columns=[7], negatives="none")
    assert dm.task == "regression" and dm.target_names == ["peaks_col7"]
    dm.setup()
    t = pd_concat(dm)
    assert np.allclose(sorted(t["peaks_col7"]), sorted(r[4] for r in rows))


# --------------------------------------------------------------------------------------------
# Negatives
# --------------------------------------------------------------------------------------------
def test_gc_matched_negatives_match_the_positives_gc(genome_dir):
    dm = module(genome_dir, negatives="gc", gc_bins=10)
    dm.setup()
    ds = dm.dataset("train")
    codes = ds.codes(np.arange(len(ds)))
    gc = gc_fraction(codes)
    pos = ds.windows.targets[:, 0] == 1
    assert gc[pos].mean() > 0.58  # positives sit in GC-rich blocks
    assert abs(gc[pos].mean() - gc[~pos].mean()) < 0.02
    hist = lambda v: np.bincount(np.minimum((v * 10).astype(int), 9), minlength=10)  # noqa: E731
    assert np.array_equal(hist(gc[pos]), hist(gc[~pos]))
    # without matching, the same background is much AT-richer: the check above has teeth
    g = dm.genome
    rng = np.random.default_rng(1)
    c = rng.choice([g.names.index("chr1"), g.names.index("chr2")], 500)
    background = gc_fraction(g.fetch(c, rng.integers(1000, 39_000, 500), 200))
    assert np.nanmean(background) < gc[~pos].mean() - 0.05
    # and negatives overlap no positive region
    w = dm.windows["train"]
    peaks = IntervalSet(len(g), g.chrom_index(dm.regions[0].chroms), dm.regions[0].starts, dm.regions[0].ends)
    assert not peaks.overlaps(w.chrom_idx[~pos], w.starts[~pos], w.starts[~pos] + 200).any()


def test_shuffled_negatives_keep_dinucleotides_of_their_positive(genome_dir):
    dm = module(genome_dir, negatives="shuffle")
    dm.setup()
    ds = dm.dataset("valid")
    w = ds.windows
    neg = np.flatnonzero(w.shuffle_keys >= 0)
    shuffled = ds.codes(neg)
    original = dm.genome.fetch(w.chrom_idx[neg], w.starts[neg], 200)
    assert np.array_equal(dinucleotide_counts(shuffled), dinucleotide_counts(original))
    assert (shuffled != original).any(1).mean() > 0.9
    assert np.array_equal(ds.codes(neg), shuffled)  # the same negatives every epoch
    assert ds._cache is not None
    lazy = type(ds)(ds.genome, ds.windows, 200, seed=ds.seed, shuffle_cache_bytes=0)
    assert lazy._cache is None and np.array_equal(lazy.codes(neg), shuffled)  # cached or not: the same


def test_negatives_from_a_bed(genome_dir, tmp_path):
    _, _, rows = genome_dir
    lines = ["chr1\t2000\t2400", "chr3\t500\t900", "chr4\t700\t1000", "chr2\t1000\t1300"]
    chrom, a, b, *_ = rows[0]
    lines.append(f"{chrom}\t{a}\t{b}")  # overlaps a positive: dropped
    (tmp_path / "neg.bed").write_text("\n".join(lines) + "\n")
    dm = module(genome_dir, negatives="bed", negative_bed=str(tmp_path / "neg.bed"))
    with pytest.warns(UserWarning, match="1 of 5 negative windows overlap a positive region"):
        dm.setup()
    counts = dm.describe()["split_sizes"]
    assert (counts["train"]["negatives"], counts["valid"]["negatives"], counts["test"]["negatives"]) == (2, 1, 1)
    t = dm.windows_table("train")
    assert set(t.loc[t["peaks"] == 0, "start"]) == {2200 - 100, 1150 - 100}


def test_blacklist_removes_positives_and_keeps_negatives_away(genome_dir, tmp_path):
    _, _, rows = genome_dir
    chrom, a, b, *_ = next(r for r in rows if r[0] == "chr1")
    (tmp_path / "bl.bed").write_text(f"{chrom}\t{a}\t{b}\nchr1\t20000\t30000\nchrUn_contig\t0\t100\n")
    dm = module(genome_dir, blacklist=str(tmp_path / "bl.bed"), jitter=10)
    with pytest.warns(UserWarning, match="overlap the blacklist"):
        dm.setup()
    w = dm.windows["train"]
    bl = IntervalSet(len(dm.genome), [0, 0], [a, 20000], [b, 30000])
    assert not bl.overlaps(w.chrom_idx, w.starts - 10, w.starts + 210).any()
    assert len(w) > 0


def test_dinucleotide_shuffle_preserves_counts_and_ends(monkeypatch):
    import motifzoo.data.shuffle as shuffle_module
    fallbacks = []
    exact = shuffle_module._wilson_tree
    monkeypatch.setattr(shuffle_module, "_wilson_tree", lambda *a: fallbacks.append(1) or exact(*a))
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 5, (64, 150)).astype(np.uint8)
    codes[0] = np.resize([0, 1], 150)  # ACAC...: one possible order only
    codes[1] = 0
    codes[1, 70:72] = 3  # A...ATTA...AT: A's last edge must be one of its 2 A->T of 147 (exact fallback)
    codes[1, -1] = 3
    out = dinucleotide_shuffle(codes, np.arange(64))
    assert fallbacks
    assert np.array_equal(dinucleotide_counts(out), dinucleotide_counts(codes))
    assert np.array_equal(out[:, [0, -1]], codes[:, [0, -1]])
    assert np.array_equal(out[0], codes[0])
    assert (out[2:] != codes[2:]).any(1).all()
    # a row's shuffle depends on its seed alone, not on the batch around it
    assert np.array_equal(out, dinucleotide_shuffle(codes, np.arange(64)))
    assert np.array_equal(out[10:12], dinucleotide_shuffle(codes[10:12], np.arange(10, 12)))
    assert not np.array_equal(out[2:], dinucleotide_shuffle(codes, np.arange(64) + 100)[2:])


def test_dinucleotide_shuffle_is_uniform_over_valid_sequences():
    # ACAGACGCAT has 15 distinct shuffles with its dinucleotides, first and last letter
    seq = np.array([[0, 1, 0, 2, 0, 1, 2, 1, 0, 3]], dtype=np.uint8)
    counts = Counter(map(tuple, dinucleotide_shuffle(np.repeat(seq, 15_000, 0), np.arange(15_000))))
    assert len(counts) == 15
    assert max(abs(v - 1000) for v in counts.values()) < 150  # ~5 standard deviations


# --------------------------------------------------------------------------------------------
# Deterministic loading
# --------------------------------------------------------------------------------------------
def test_batches_are_identical_for_any_number_of_workers(genome_dir):
    def batches(workers, seed):
        dm = module(genome_dir, jitter=15, reverse_complement=True, num_workers=workers, seed=seed,
                    negatives="shuffle", batch_size=32)
        dm.setup()
        loader = dm.train_dataloader()
        loader.sampler.set_epoch(1)
        return [x for x, _ in loader]
    serial, parallel, other = batches(0, 3), batches(2, 3), batches(0, 4)
    assert len(serial) == len(parallel)
    assert all(torch.equal(a, b) for a, b in zip(serial, parallel))
    assert not all(torch.equal(a, b) for a, b in zip(serial, other))


# --------------------------------------------------------------------------------------------
# Bad inputs
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("bed, pattern", [
    ("chr3\t29950\t30100\n", r"peaks.bed line 1 \(chr3:29950-30100\): region ends past the end of chr3 "
                             r"\(30,000 bp in genome.fa\)"),
    ("chr1\t100\t300\nchr9\t100\t300\n", r"peaks.bed line 2 \(chr9:100-300\): chromosome 'chr9' is not in genome.fa"),
    ("1\t100\t300\n", r"chromosome '1' is not in genome.fa .*naming conventions differ \(with/without 'chr'\)"),
    ("", r"peaks.bed: no regions"),
    ("# comment\ntrack name=x\n\n", r"peaks.bed: no regions"),
    ("chr1\tabc\t300\n", r"peaks.bed line 1: start 'abc' is not an integer"),
    ("chr1\t300\t300\n", r"peaks.bed line 1: end is not greater than start"),
    ("chr1\t-5\t300\n", r"peaks.bed line 1: start is negative"),
    ("chr1 100\n", r"peaks.bed line 1: expected at least 3 tab-separated fields"),
    ("chr1\t100\t300\tp\t0\t.\t1\t-1\t-1\t500\n", r"line 1: summit offset 500 \(column 10\) lies outside"),
])
def test_bad_bed_files(genome_dir, tmp_path, bed, pattern):
    (tmp_path / "peaks.bed").write_text(bed)
    dm = module(genome_dir, bed=str(tmp_path / "peaks.bed"))
    with pytest.raises(DataError, match=pattern):
        dm.setup()


def test_regions_shorter_than_the_window(genome_dir, tmp_path):
    (tmp_path / "peaks.bed").write_text("chr1\t2000\t2500\nchr1\t3000\t3150\n")
    dm = module(genome_dir, bed=str(tmp_path / "peaks.bed"), center="region")
    with pytest.raises(DataError, match=r"peaks.bed line 2 \(chr1:3000-3150\): region is 150 bp, shorter than the "
                                        r"200 bp window"):
        dm.setup()


def test_fasta_that_cannot_be_indexed(tmp_path):
    (tmp_path / "ragged.fa").write_text(">chr1\nACGTACGT\nACG\nACGTACGT\n")
    with pytest.raises(DataError, match=r"ragged.fa: has no index and cannot be indexed.*same length"):
        Genome(tmp_path / "ragged.fa")
    with gzip.open(tmp_path / "plain.fa.gz", "wt") as fh:
        fh.write(">chr1\nACGT\n")
    with pytest.raises(DataError, match=r"plain.fa.gz: has no index and cannot be indexed: .*bgzip"):
        Genome(tmp_path / "plain.fa.gz")
    with pytest.raises(DataError, match="genome FASTA not found"):
        Genome(tmp_path / "missing.fa")


@pytest.mark.parametrize("kwargs, pattern", [
    (dict(valid_chroms=["chrX"]), r"data.valid_chroms: chromosome 'chrX' is not in genome.fa"),
    (dict(valid_chroms=["chr3"], test_chroms=["chr3"]), r"data.test_chroms: chr3 is already a validation chromosome"),
    (dict(valid_chroms=["chrM"]), r"no positive regions on the valid chromosomes \(chrM\)"),
    (dict(negatives="none"), r"negatives is none with a single BED"),
    (dict(value_columns=[7], task="binary"), r"data.task is binary but value columns \[7\] hold values other than 0/1"),
])
def test_bad_settings(genome_dir, kwargs, pattern):
    with pytest.raises(DataError, match=pattern):
        module(genome_dir, **kwargs).setup()


@pytest.mark.parametrize("kwargs, pattern", [
    (dict(valid_chroms=[]), r"data.valid_chroms is empty"),
    (dict(negatives="random"), r"data.negatives must be one of gc, shuffle, bed, none"),
    (dict(negatives="bed"), r"give the negative regions as data.negative_bed"),
    (dict(center="peak"), r"data.center must be one of summit, midpoint, region"),
    (dict(bed=["a/x.bed", "b/x.bed"]), r"several files would be named 'x'"),
])
def test_bad_settings_fail_at_construction(genome_dir, kwargs, pattern):
    with pytest.raises(DataError, match=pattern):
        module(genome_dir, **kwargs)


def test_cli_reports_bad_bed_in_one_line(genome_dir, tmp_path):
    d = genome_dir[0]
    (tmp_path / "peaks.bed").write_text("chr1\t100\t300\nchr3\t29950\t30100\n")
    rc, _, err = run(["fit", "--config", "configs/genome.yaml", "--data.genome", str(d / "genome.fa"),
                      "--data.bed", str(tmp_path / "peaks.bed"), "--data.valid_chroms", "[chr3]",
                      "--data.test_chroms", "[chr4]", "--trainer.default_root_dir", str(tmp_path)])
    assert rc == 2 and "Traceback" not in err
    assert "peaks.bed line 2 (chr3:29950-30100): region ends past the end of chr3" in err


def test_interval_set_merges_and_queries():
    s = IntervalSet(2, [0, 0, 0, 1], [10, 15, 40, 5], [20, 30, 50, 6])
    assert s.overlaps([0, 0, 0, 0, 1, 1], [0, 29, 30, 45, 6, 0], [10, 31, 40, 46, 9, 5]).tolist() == \
        [False, True, False, True, False, False]
    assert s.contains([0, 0, 0], [9, 10, 29]).tolist() == [False, True, True]


def test_read_bed_skips_headers_and_reads_gzip(tmp_path):
    p = tmp_path / "x.bed.gz"
    with gzip.open(p, "wt") as fh:
        fh.write("browser position chr1\n#chrom\tstart\tend\nchr1\t5\t10\n\nchr2\t1\t3\n")
    r = read_bed(p)
    assert r.chroms.tolist() == ["chr1", "chr2"] and r.lines.tolist() == [3, 5] and (r.summits == -1).all()


def test_genome_builds_missing_index(tmp_path):
    _write_fasta(tmp_path / "g.fa", {"a": "ACGT" * 30, "b": "GG"})
    g = Genome(tmp_path / "g.fa")
    assert (tmp_path / "g.fa.fai").exists() and g.names == ["a", "b"] and g.sizes.tolist() == [120, 2]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Genome(tmp_path / "g.fa")  # re-reads the index it wrote


def test_fasta_whose_index_cannot_be_written(tmp_path, monkeypatch):
    import pyfaidx
    _write_fasta(tmp_path / "g.fa", {"a": "ACGT" * 30})

    def read_only(self, mode="r"):
        if "w" in mode:
            raise PermissionError(13, "Permission denied", self.indexname)
        return open(self.indexname, mode)
    monkeypatch.setattr(pyfaidx.Faidx, "_open_fai", read_only)
    with pytest.raises(DataError, match=r"g.fa: has no index \(g.fa.fai\) and it cannot be written"):
        Genome(tmp_path / "g.fa")


def test_bed_lists_and_mappings_from_the_command_line(genome_dir, tmp_path):
    d = genome_dir[0]
    for bed in (f"[{d / 'peaks.narrowPeak'}]", f"{{P: {d / 'peaks.narrowPeak'}}}"):
        rc, out, err = run(["fit", "--config", "configs/genome.yaml", "--data.genome", str(d / "genome.fa"),
                            "--data.bed", bed, "--data.valid_chroms", "[chr3]", "--data.test_chroms", "[chr4]",
                            "--trainer.max_epochs", "1", "--trainer.limit_train_batches", "1",
                            "--trainer.default_root_dir", str(tmp_path), "--trainer.enable_model_summary", "false"])
        assert rc == 0, err[-2000:]
        name = "P" if bed.startswith("{") else "peaks"
        assert motifzoo.load(out.strip().splitlines()[-1].split(": ", 1)[1]).target_names == [name]
