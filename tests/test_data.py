"""Reading user data: every bad input gets a clear error naming the file, line or column."""
import gzip

import numpy as np
import pytest

from motifzoo.data.tables import DataError, read_fasta, read_sequences, read_table
from motifzoo.training.datamodule import SequenceDataModule


def write(path, text):
    path.write_text(text)
    return path


def test_tsv_with_split_and_targets(tmp_path):
    p = write(tmp_path / "d.tsv", "sequence\tsplit\tA\tB\nACGT\ttrain\t1\t0\nacgn\tvalid\t0\t1\n")
    t = read_table(p)
    assert t.target_names == ["A", "B"] and list(t.split) == ["train", "valid"]
    assert t.codes.tolist() == [[0, 1, 2, 3], [0, 1, 2, 4]]


def test_csv_gz_without_split(tmp_path):
    p = tmp_path / "d.csv.gz"
    with gzip.open(p, "wt") as fh:
        fh.write("name,sequence,y\nr1,ACGT,0.5\nr2,TTTT,-1.5\n")
    t = read_table(p)
    assert t.split is None and t.names == ["r1", "r2"] and t.targets[:, 0].tolist() == [0.5, -1.5]


@pytest.mark.parametrize("content, pattern", [
    ("", "file is empty"),
    ("sequence\tA\n", "header but no rows"),
    ("seq\tA\nACGT\t1\n", "no 'sequence' column; found columns: seq, A"),
    ("sequence\tA\nACGT\t1\nACXT\t0\n", r"d.tsv line 3: invalid character 'X' at position 3"),
    ("sequence\tA\nACGT\t1\nACG\t0\n", r"differ in length.*d.tsv line 3 has 3 bp"),
    ("sequence\tA\nACGT\t1\nACGT\tnan\n", r"line 3: target column 'A' is missing \(NaN\)"),
    ("sequence\tA\nACGT\t1\nACGT\tinf\n", r"line 3: target column 'A' is inf"),
    ("sequence\tA\nACGT\t1\nACGT\thigh\n", r"line 3: target column 'A' holds 'high'"),
    ("sequence\tsplit\tA\nACGT\ttrain\t1\nACGT\ttraining\t0\n", r"line 3: unknown split 'training'"),
    ("sequence\n", "header but no rows"),
    ("sequence\nACGT\n", "no target columns"),
    ("sequence\tA\n\t1\n", "line 2: empty sequence"),
])
def test_bad_tables(tmp_path, content, pattern):
    p = write(tmp_path / "d.tsv", content)
    with pytest.raises(DataError, match=pattern):
        read_table(p)


def test_missing_file_and_unknown_type(tmp_path):
    with pytest.raises(DataError, match="not found"):
        read_table(tmp_path / "nope.tsv")
    with pytest.raises(DataError, match="unknown file type '.xlsx'"):
        read_table(write(tmp_path / "d.xlsx", "x"))


def test_unequal_lengths_allowed_with_seq_len(tmp_path):
    p = write(tmp_path / "d.tsv", "sequence\tA\nACGTAC\t1\nAC\t0\n")
    t = read_table(p, seq_len=4)
    assert t.length == 4


def test_fasta_with_targets(tmp_path):
    fa = write(tmp_path / "s.fa", ">r1 desc\nACGT\nAC\n>r2\nTTTTTT\n")
    tg = write(tmp_path / "t.tsv", "name\tA\nr2\t1\nr1\t0\n")
    t = read_sequences(fa, tg)
    assert t.names == ["r1", "r2"] and t.targets[:, 0].tolist() == [0, 1]


@pytest.mark.parametrize("content, pattern", [
    ("ACGT\n>r1\nACGT\n", r"s.fa line 1: expected a FASTA header"),
    (">r1\n>r2\nACGT\n", r"s.fa line 1: record 'r1' has no sequence"),
    (">r1\nACGT\n>r1\nACGT\n", r"s.fa line 3: duplicate record name 'r1'"),
    (">r1\nACGT\n>r2\nAC-T\n", r"s.fa record 'r2' \(line 3\): invalid character '-' at position 3"),
    (">\nACGT\n", "line 1: FASTA header has no name"),
])
def test_bad_fasta(tmp_path, content, pattern):
    fa = write(tmp_path / "s.fa", content)
    tg = write(tmp_path / "t.tsv", "name\tA\nr1\t1\nr2\t0\n")
    with pytest.raises(DataError, match=pattern):
        read_sequences(fa, tg)


def test_fasta_record_without_targets(tmp_path):
    fa = write(tmp_path / "s.fa", ">r1\nACGT\n>r3\nACGT\n")
    tg = write(tmp_path / "t.tsv", "name\tA\nr1\t1\n")
    with pytest.raises(DataError, match="no targets for FASTA record.*'r3'"):
        read_sequences(fa, tg)


def test_datamodule_random_split_is_seeded(tmp_path, tiny_table):
    a = SequenceDataModule(str(tiny_table), split_seed=3, valid_frac=0.2, test_frac=0.1)
    b = SequenceDataModule(str(tiny_table), split_seed=3, valid_frac=0.2, test_frac=0.1)
    # the simulated table has a split column; drop it to get a random split
    import pandas as pd
    df = pd.read_csv(tiny_table, sep="\t").drop(columns="split")
    p = tmp_path / "nosplit.tsv"
    df.to_csv(p, sep="\t", index=False)
    a = SequenceDataModule(str(p), split_seed=3, valid_frac=0.2, test_frac=0.1)
    b = SequenceDataModule(str(p), split_seed=3, valid_frac=0.2, test_frac=0.1)
    for s in ("train", "valid", "test"):
        np.testing.assert_array_equal(a.splits[s], b.splits[s])
    assert 0.1 < len(a.splits["valid"]) / len(df) < 0.3
    assert a.task == "binary" and a.n_targets == 3 and a.input_length == 100


def test_empty_split_is_clear(tmp_path):
    p = write(tmp_path / "d.tsv", "sequence\tsplit\tA\nACGT\ttrain\t1\nACGT\ttest\t0\n")
    dm = SequenceDataModule(str(p))
    with pytest.raises(DataError, match="the 'valid' split is empty"):
        dm.setup("fit")


def test_augmentation_shapes_and_rc(tiny_table):
    import torch

    from motifzoo.data.encoding import reverse_complement
    dm = SequenceDataModule(str(tiny_table), jitter=5, reverse_complement=True, batch_size=16)
    assert dm.input_length == 90
    x, y = next(iter(dm.train_dataloader()))
    assert x.shape == (16, 4, 90) and y.shape == (16, 3)
    xv, _ = next(iter(dm.val_dataloader()))
    # evaluation is deterministic: center window, forward strand
    xv2, _ = next(iter(dm.val_dataloader()))
    assert torch.equal(xv, xv2)
    assert torch.equal(reverse_complement(reverse_complement(xv)), xv)
