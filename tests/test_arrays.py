"""Pre-encoded arrays: .npy/.npz memory-mapped, HDF5, the streaming encoder, and `motifzoo fit` on them."""
import pickle

import numpy as np
import pytest
import torch

import motifzoo
from motifzoo.data.arrays import ArrayDataset, ArraySource, encode_table
from motifzoo.data.dataset import IndexBatch
from motifzoo.data.encoding import codes_to_one_hot
from motifzoo.data.tables import DataError, read_table
from motifzoo.training.array_datamodule import ArrayDataModule
from clirun import fit, run

ARRAY_MODULE = "motifzoo.training.array_datamodule.ArrayDataModule"


@pytest.fixture(scope="module")
def arrays(tmp_path_factory):
    """The same 300 random sequences (60 bp, some N) as codes, one-hot NCL float32 and one-hot NLC uint8."""
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 4, (300, 60)).astype(np.uint8)
    codes[rng.random(codes.shape) < 0.02] = 4
    y = (rng.random((300, 2)) < 0.4).astype(np.float32)
    split = np.array(["train"] * 200 + ["valid"] * 60 + ["test"] * 40)
    d = tmp_path_factory.mktemp("arrays")
    ncl = codes_to_one_hot(codes).numpy()
    np.savez(d / "codes.npz", x=codes, y=y, split=split, target_names=np.array(["A", "B"]))
    np.savez(d / "ncl.npz", x=ncl, y=y)
    np.savez_compressed(d / "nlc_compressed.npz", x=ncl.transpose(0, 2, 1).astype(np.uint8), y=y)
    np.save(d / "x.npy", ncl)
    np.save(d / "y.npy", y)
    return d, codes, y, split


def test_npz_members_are_memory_mapped(arrays):
    d, codes, y, split = arrays
    src = ArraySource(d / "codes.npz")
    assert isinstance(src.file["x"], np.memmap) and src.layout == "codes"
    assert src.target_names == ["A", "B"] and (src.n, src.length) == (300, 60)
    assert src.split.tolist() == [0] * 200 + [1] * 60 + [2] * 40
    assert np.array_equal(src.targets, y)
    assert isinstance(ArraySource(d / "x.npy", targets=str(d / "y.npy")).file["x"], np.memmap)


@pytest.mark.parametrize("name, targets", [("codes.npz", None), ("ncl.npz", None), ("nlc_compressed.npz", None),
                                           ("x.npy", "y.npy")])
def test_every_layout_gives_the_same_batches(arrays, name, targets):
    d, codes, y, _ = arrays
    src = ArraySource(d / name, targets=str(d / targets) if targets else None)
    rows = np.array([5, 2, 299, 2])
    assert torch.equal(src.one_hot(rows), codes_to_one_hot(codes[rows]))
    ds = ArrayDataset(src, np.arange(300), reverse_complement=True, jitter=5, train=True)
    x, yb = ds[IndexBatch(rows, seed=7)]
    x2, _ = ArrayDataset(ArraySource(d / "codes.npz"), np.arange(300), True, 5, train=True)[IndexBatch(rows, seed=7)]
    assert x.shape == (4, 4, 50) and torch.equal(x, x2) and torch.equal(yb, torch.from_numpy(y[rows]))


def test_hdf5_with_split_and_names(arrays, tmp_path):
    h5py = pytest.importorskip("h5py")
    _, codes, y, split = arrays
    with h5py.File(tmp_path / "d.h5", "w") as f:
        f.create_dataset("onehot", data=codes_to_one_hot(codes).numpy(), chunks=(16, 4, 60))
        f.create_dataset("labels", data=y)
        f.create_dataset("split", data=split.astype("S5"))
        f.create_dataset("target_names", data=np.array([b"A", b"B"]))
    dm = ArrayDataModule(str(tmp_path / "d.h5"), x_key="onehot", y_key="labels", batch_size=32, num_workers=2, seed=1)
    dm.setup()
    assert dm.target_names == ["A", "B"] and dm.n_targets == 2 and dm.task == "binary" and dm.input_length == 60
    assert {k: len(v) for k, v in dm.splits.items()} == {"train": 200, "valid": 60, "test": 40}
    xs = torch.cat([x for x, _ in dm.val_dataloader()])  # read in two worker processes
    assert torch.equal(xs, codes_to_one_hot(codes[200:260]))
    assert pickle.loads(pickle.dumps(dm.dataset("train"))).source.file._handle is None


def test_fit_on_npz_through_the_cli(arrays, tmp_path):
    d = arrays[0]
    model = motifzoo.load(fit(["--config", "configs/expcnn.yaml", "--data", ARRAY_MODULE,
                        "--data.path", str(d / "codes.npz"), "--data.jitter", "5", "--data.reverse_complement", "true",
                        "--model.arch_kwargs.pool_size", "10", "--trainer.max_epochs", "1",
                        "--trainer.default_root_dir", str(tmp_path), "--trainer.enable_model_summary", "false"]))
    assert model.input_length == 50 and model.target_names == ["A", "B"]


def test_encode_table_streams_in_chunks_and_matches_read_table(tiny_table, tmp_path):
    info = encode_table(tiny_table, tmp_path / "t.npz", chunk_rows=97)
    src = ArraySource(tmp_path / "t.npz")
    table = read_table(tiny_table)
    assert info["n"] == len(table) and isinstance(src.file["x"], np.memmap)
    assert np.array_equal(np.asarray(src.file["x"]), table.codes)
    assert np.array_equal(src.targets, table.targets) and src.target_names == table.target_names
    assert [("train", "valid", "test")[k] for k in src.split] == table.split.tolist()


def test_encode_cli_and_its_errors(tmp_path):
    rows = ["sequence\ty"] + [f"{'ACGT' * 5}\t{i % 2}" for i in range(30)]
    rows[24] = "ACGTACGTACXTACGTACGT\t1"  # line 25 of the file, in the fourth chunk of 7 rows
    (tmp_path / "bad.tsv").write_text("\n".join(rows) + "\n")
    rc, _, err = run(["encode", str(tmp_path / "bad.tsv"), "-o", str(tmp_path / "o.npz"), "--chunk-rows", "7"])
    assert rc == 2 and "bad.tsv line 25: invalid character 'X' at position 11" in err
    rows[24] = "ACGTACGT\t1"
    (tmp_path / "short.tsv").write_text("\n".join(rows) + "\n")
    rc, _, err = run(["encode", str(tmp_path / "short.tsv"), "-o", str(tmp_path / "o.npz"), "--chunk-rows", "7"])
    assert rc == 2 and "differ in length" in err and "short.tsv line 25" in err
    rc, out, err = run(["encode", str(tmp_path / "short.tsv"), "-o", str(tmp_path / "o.npz"), "--seq-len", "20"])
    assert rc == 0 and "wrote 30 sequences of 20 bp" in out
    assert not list(tmp_path.glob(".encode-*")) and not list(tmp_path.glob("*.partial"))
    rc, _, err = run(["encode", str(tmp_path / "short.tsv"), "-o", str(tmp_path / "o.npz"), "--seq-len", "20"])
    assert rc == 2 and "already exists; pass --force" in err


def _save(path, **arrays):
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize("make, kwargs, pattern", [
    (lambda p: _save(p / "a.npz", seqs=np.zeros((3, 10), np.uint8), y=np.zeros(3)), {},
     r"a.npz: no array 'x'; it holds seqs, y"),
    (lambda p: _save(p / "a.npz", x=np.zeros((3, 10), np.uint8), labels=np.zeros(3)), {},
     r"a.npz: no targets array 'y' \(data.y_key\); it holds x, labels"),
    (lambda p: _save(p / "a.npz", x=np.zeros((3, 5, 10)), y=np.zeros(3)), {},
     r"a.npz\['x'\]: shape \(3, 5, 10\) is not \(N, L\) codes, \(N, 4, L\) or \(N, L, 4\) one-hot"),
    (lambda p: _save(p / "a.npz", x=np.zeros((3, 10)), y=np.zeros(3)), {},
     r"a 2-D sequence array must hold integer codes"),
    (lambda p: _save(p / "a.npz", x=np.zeros((3, 10), np.uint8), y=np.zeros(4)), {},
     r"a.npz: 3 sequences but 4 rows of targets"),
    (lambda p: _save(p / "a.npz", x=np.zeros((3, 10), np.uint8), y=np.array([0, np.nan, 1])), {},
     r"target 0 of sequence 1 \(0-based\) is nan"),
    (lambda p: _save(p / "a.npz", x=np.zeros((3, 10), np.uint8), y=np.zeros(3), split=np.array(["train", "dev", "test"])),
     {}, r"a.npz\['split'\] entry 1 \(0-based\): unknown split 'dev'"),
    (lambda p: np.save(p / "a.npy", np.zeros((3, 10), np.uint8)) or p / "a.npy", {},
     r"a.npy: a .npy holds sequences only; give the targets as data.targets"),
    (lambda p: (p / "a.txt").write_text("x") and p / "a.txt", {}, r"unknown array file type '.txt'"),
    (lambda p: (p / "a.npz").write_text("not a zip") and p / "a.npz", {}, r"a.npz: not a valid .npz \(zip\) file"),
])
def test_bad_array_files(tmp_path, make, kwargs, pattern):
    path = make(tmp_path)
    with pytest.raises(DataError, match=pattern):
        ArraySource(path, **kwargs)


def test_bad_codes_are_reported_with_the_row(tmp_path):
    x = np.zeros((4, 10), np.uint8)
    x[2, 3] = 9
    src = ArraySource(_save(tmp_path / "a.npz", x=x, y=np.zeros(4)))
    with pytest.raises(DataError, match=r"sequence 2 \(0-based\) holds code 9; codes are 0-4"):
        src.one_hot(np.array([0, 2]))


def test_npy_with_a_targets_table(tmp_path, arrays):
    d, codes, y, split = arrays
    lines = ["split\tA\tB"] + [f"{s}\t{a:g}\t{b:g}" for s, (a, b) in zip(split, y)]
    (tmp_path / "t.tsv").write_text("\n".join(lines) + "\n")
    dm = ArrayDataModule(str(d / "x.npy"), targets=str(tmp_path / "t.tsv"))
    dm.setup()
    assert dm.target_names == ["A", "B"] and len(dm.splits["valid"]) == 60
    lines[3] = "train\t1\tmaybe"
    (tmp_path / "t.tsv").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"t.tsv line 4: target column 'B' holds 'maybe'"):
        ArrayDataModule(str(d / "x.npy"), targets=str(tmp_path / "t.tsv")).setup()


def test_random_split_and_deterministic_batches(arrays):
    d = arrays[0]

    def epoch(seed, workers):
        dm = ArrayDataModule(str(d / "ncl.npz"), batch_size=50, seed=seed, jitter=3, reverse_complement=True,
                             num_workers=workers)
        dm.setup()
        return dm, [x for x, _ in dm.train_dataloader()]
    dm, a = epoch(0, 0)
    _, b = epoch(0, 2)
    _, c = epoch(1, 0)
    assert sum(len(v) for v in dm.splits.values()) == 300 and len(dm.splits["valid"]) > 10
    assert all(torch.equal(u, v) for u, v in zip(a, b)) and len(a) == len(b)
    assert not all(torch.equal(u, v) for u, v in zip(a, c))
