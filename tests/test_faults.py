"""Faults a run must survive: signals during fit, a full disk, two runs sharing a root, corrupt and
truncated inputs, checkpoints of other versions.

Each ends in a one-line ``motifzoo: error`` (or a clean stop) and leaves the files it had written
intact; none hangs.
"""
import contextlib
import errno
import gzip
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from clirun import deadline, error_line, fit, run

FIT = ["fit", "--config", "configs/expcnn.yaml", "--trainer.enable_model_summary", "false",
       "--trainer.enable_progress_bar", "false"]
SMALL = ["--model.arch_kwargs.n_filters", "4", "--early_stopping.patience", "100"]


# ---------------------------------------------------------------------------------------------
# a full disk (ENOSPC), simulated by failing the write of matching files after some bytes
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def disk_full(monkeypatch):
    """``disk_full(pattern, after=0)``: every atomic write to a file whose name matches ``pattern``,
    after the first ``after`` of them, writes half its bytes and then fails with ENOSPC."""
    from motifzoo.motifs import files
    real = files._write_fd
    state = {"pattern": None, "after": 0, "seen": 0}

    def failing(fd, path, data):
        if state["pattern"] and re.search(state["pattern"], Path(path).name):
            state["seen"] += 1
            if state["seen"] > state["after"]:
                os.write(fd, data[: len(data) // 2])
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd, path, data)

    monkeypatch.setattr(files, "_write_fd", failing)

    def arm(pattern, after=0):
        state.update(pattern=pattern, after=after, seen=0)
    return arm


def _leftovers(directory) -> list[str]:
    return sorted(p.name for p in Path(directory).rglob("*") if p.name.startswith(".") or p.name.endswith((".tmp", ".partial")))


def test_disk_full_while_writing_meme_and_tsv(tmp_path, trained_ckpt, disk_full):
    meme, table = tmp_path / "m.meme", tmp_path / "t.tsv"
    meme.write_text("old meme")
    table.write_text("old table")
    disk_full(r"m\.meme")
    rc, _, err = run(["motifs", trained_ckpt, "-o", str(meme), "--table", str(table), "--method", "weights", "--force"])
    assert rc == 2 and re.fullmatch(rf"motifzoo: error: cannot write {re.escape(str(meme))}: the disk is full.*",
                                    error_line(err)), err
    assert meme.read_text() == "old meme" and table.read_text() == "old table"
    disk_full(r"t\.tsv")
    rc, _, err = run(["motifs", trained_ckpt, "-o", str(meme), "--table", str(table), "--method", "weights", "--force"])
    assert rc == 2 and "the disk is full" in error_line(err)
    assert table.read_text() == "old table" and meme.read_text().startswith("MEME version")
    assert _leftovers(tmp_path) == []


def test_disk_full_while_writing_a_report(tmp_path, trained_ckpt, tiny_table, disk_full):
    out = tmp_path / "rep"
    args = ["report", trained_ckpt, "-d", str(out), "--data", str(tiny_table), "--min-ic", "0", "--no-syntax"]
    assert run(args)[0] == 0
    before = (out / "index.html").read_bytes()
    disk_full(r"index\.html")
    rc, _, err = run(args + ["--force"])
    assert rc == 2 and "the disk is full" in error_line(err), err
    assert (out / "index.html").read_bytes() == before
    assert _leftovers(out) == []


def test_disk_full_while_saving_a_checkpoint(tiny_table, tmp_path, disk_full):
    disk_full(r"^\.last\.ckpt\.", after=1)  # the first epoch's last.ckpt is written, the second's is not
    root = tmp_path / "run"
    rc, _, err = run(FIT + SMALL + ["--data.path", str(tiny_table), "--trainer.default_root_dir", str(root),
                                    "--trainer.max_epochs", "3"])
    assert rc == 2 and re.search(r"cannot write .*last\.ckpt: the disk is full", error_line(err)), err
    last = next(root.glob("**/checkpoints/last.ckpt"))
    assert torch.load(last, weights_only=True)["epoch"] == 0  # the old one, intact
    assert _leftovers(root) == []


def test_disk_full_while_encoding_an_npz(tmp_path, tiny_table, monkeypatch):
    from motifzoo.data import arrays
    out = tmp_path / "e.npz"
    out.write_bytes(b"old")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(arrays, "_write_npy_member", full)
    rc, _, err = run(["encode", str(tiny_table), "-o", str(out), "--force"])
    assert rc == 2 and "the disk is full" in error_line(err), err
    assert out.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["e.npz"]


def test_a_raw_enospc_is_one_line_too():
    from motifzoo.cli.errors import user_message
    assert user_message(OSError(errno.ENOSPC, "No space left on device", "/x/y.npz")) == (
        "cannot write /x/y.npz: the disk is full (no space left on device); free some space and run again")
    assert user_message(PermissionError(errno.EACCES, "Permission denied", "/x")) == "Permission denied: /x"
    assert user_message(OSError(errno.EIO, "Input/output error")) is None  # not the user's: a traceback


def test_last_checkpoint_is_the_last_epoch_after_the_best_one(tiny_table, tmp_path):
    """last.ckpt is rewritten after every epoch, not only when the monitored score improves (Lightning
    >= 2.5 skips it then): `--ckpt_path last` must resume where training stopped. Monitoring `epoch` in
    min mode makes epoch 0 the best, so any later epoch is one without a new best checkpoint."""
    best = Path(fit(FIT[1:] + SMALL + ["--data.path", str(tiny_table), "--trainer.default_root_dir", str(tmp_path),
                                       "--trainer.max_epochs", "3", "--checkpoint.monitor", "epoch",
                                       "--checkpoint.mode", "min"]))
    assert torch.load(best, weights_only=True)["epoch"] == 0
    last = torch.load(best.with_name("last.ckpt"), weights_only=True)
    assert last["epoch"] == 2 and last["global_step"] > torch.load(best, weights_only=True)["global_step"]


# ---------------------------------------------------------------------------------------------
# two runs sharing one default_root_dir
# ---------------------------------------------------------------------------------------------
def test_two_runs_in_one_root_keep_their_own_files_and_resume_their_own(tiny_table, tmp_path):
    root = tmp_path / "shared"
    base = FIT + SMALL + ["--data.path", str(tiny_table), "--trainer.default_root_dir", str(root),
                          "--trainer.max_epochs", "1"]
    a = Path(fit(base[1:] + ["--model.lr", "0.003"]))
    b = Path(fit(base[1:] + ["--model.lr", "0.01"]))
    assert a.parents[1] != b.parents[1]
    for ckpt, lr in ((a, 0.003), (b, 0.01)):
        assert torch.load(ckpt, weights_only=True)["hyper_parameters"]["lr"] == lr
        assert f"lr: {lr}" in (ckpt.parents[1] / "config.yaml").read_text()
    # run a again with --ckpt_path last: its own last.ckpt, although b's is newer
    rc, out, err = run(base + ["--model.lr", "0.003", "--trainer.max_epochs", "2", "--ckpt_path", "last"])
    assert rc == 0, err
    assert f"resuming from {a.with_name('last.ckpt')}" in out
    # a third configuration has nothing of its own to resume: a clear refusal
    rc, _, err = run(base + ["--model.lr", "0.02", "--ckpt_path", "last"])
    assert rc == 2 and re.search(r"--ckpt_path last: the \d+ last.ckpt under .* come from other runs \(different config\): "
                                 r".*model.lr: .*pass the checkpoint itself", error_line(err)), err


def test_racing_runs_claim_different_version_directories(tmp_path):
    from lightning.pytorch.loggers import CSVLogger

    from motifzoo.training.fit import claim_version
    loggers = [CSVLogger(tmp_path) for _ in range(3)]
    for logger in loggers:  # all three would pick version_0 by listing the directory before any wrote it
        assert logger._get_next_version() == 0
    for logger in loggers:
        claim_version(logger)
    assert sorted(logger.version for logger in loggers) == [0, 1, 2]


# ---------------------------------------------------------------------------------------------
# corrupt or truncated .npz, HDF5 and gzipped tables: a clear error, never a hang
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def intact_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("intact")
    rng = np.random.default_rng(0)
    x = rng.integers(0, 4, (40, 30)).astype(np.uint8)
    y = rng.integers(0, 2, (40, 2)).astype(np.float32)
    np.savez(d / "a.npz", x=x, y=y)
    np.savez_compressed(d / "c.npz", x=x, y=y)
    np.save(d / "x.npy", x)
    files = {"a.npz": d / "a.npz", "c.npz": d / "c.npz", "x.npy": d / "x.npy"}
    with contextlib.suppress(ImportError):
        import h5py
        with h5py.File(d / "a.h5", "w") as f:
            f["x"], f["y"] = x, y
        files["a.h5"] = d / "a.h5"
    rows = "".join("".join(rng.choice(list("ACGT"), 30)) + f"\t{i % 2}\n" for i in range(300))
    (d / "t.tsv.gz").write_bytes(gzip.compress(("sequence\tA\n" + rows).encode()))
    fasta = "".join(f">r{i}\n" + "".join(rng.choice(list("ACGT"), 30)) + "\n" for i in range(300))
    (d / "s.fa.gz").write_bytes(gzip.compress(fasta.encode()))
    files.update({"t.tsv.gz": d / "t.tsv.gz", "s.fa.gz": d / "s.fa.gz"})
    return files


def _read_any(path: Path):
    from motifzoo.data.arrays import ArrayFile, ArraySource
    from motifzoo.data.tables import read_onehot
    if path.suffix == ".npy":  # sequences only
        return np.asarray(ArrayFile(path)["x"][:5])
    if path.suffix in (".npz", ".h5"):
        src = ArraySource(path)
        return src.one_hot(np.arange(min(5, src.n))), src.targets
    return read_onehot(path)


@pytest.mark.parametrize("name", ["a.npz", "c.npz", "x.npy", "a.h5", "t.tsv.gz", "s.fa.gz"])
def test_truncated_files_give_a_clear_error(intact_files, tmp_path, name):
    from motifzoo.data.tables import DataError
    if name not in intact_files:
        pytest.skip("h5py not installed")
    data = intact_files[name].read_bytes()
    cuts = sorted(set(random.Random(name).sample(range(1, len(data)), min(40, len(data) - 1))))
    outcomes = {"error": 0, "read": 0}
    for cut in cuts:
        path = tmp_path / name
        path.write_bytes(data[:cut])
        with deadline(20):
            try:
                _read_any(path)
                outcomes["read"] += 1  # a cut that leaves a readable prefix (e.g. within padding)
            except DataError as err:
                assert str(path) in str(err) and "\n" not in str(err)
                outcomes["error"] += 1
    assert outcomes["error"] >= len(cuts) * 0.8, outcomes


def test_corrupt_bytes_inside_a_gzipped_table(intact_files, tmp_path):
    from motifzoo.data.tables import DataError
    data = bytearray(intact_files["t.tsv.gz"].read_bytes())
    rng = random.Random(0)
    for _ in range(20):
        flipped = bytearray(data)
        for i in rng.sample(range(10, len(data) - 8), 3):
            flipped[i] ^= 0xFF
        path = tmp_path / "t.tsv.gz"
        path.write_bytes(bytes(flipped))
        with deadline(20):
            with contextlib.suppress(DataError):
                from motifzoo.data.tables import read_onehot
                read_onehot(path)


def test_truncated_npz_to_fit_is_one_line(intact_files, tmp_path):
    data = intact_files["a.npz"].read_bytes()
    path = tmp_path / "cut.npz"
    path.write_bytes(data[: len(data) // 2])
    rc, _, err = run(FIT + ["--data", "motifzoo.training.array_datamodule.ArrayDataModule", "--data.path", str(path),
                            "--trainer.default_root_dir", str(tmp_path)])
    assert rc == 2 and re.search(r"cut\.npz.*not a valid \.npz", error_line(err)), err


# ---------------------------------------------------------------------------------------------
# checkpoints of other motifzoo versions (formats in motifzoo/models/io.py)
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("change, pattern", [
    (lambda m: m.update(format=99), r"has checkpoint format 99.*upgrade motifzoo"),
    (lambda m: m.update(model="retired_net"), r"holds a 'retired_net' model .*does not register"),
    (lambda m: m["hparams"].update(no_such_argument=1), r"cannot rebuild 'expcnn_shallow'|no_such_argument"),
])
def test_checkpoints_of_other_versions(tmp_path, trained_ckpt, change, pattern):
    ck = torch.load(trained_ckpt, weights_only=True)
    change(ck["motifzoo"])
    path = tmp_path / "other.ckpt"
    torch.save(ck, path)
    for command in (["motifs", str(path), "-o", str(tmp_path / "m.meme"), "--method", "weights"],
                    ["predict", str(path), "--data", str(tmp_path / "none.tsv"), "-o", str(tmp_path / "p.tsv")]):
        rc, _, err = run(command)
        line = error_line(err)
        assert rc == 2 and re.search(pattern, line) and str(path) in line, err


# ---------------------------------------------------------------------------------------------
# SIGTERM / SIGINT during fit: a clean stop, last.ckpt kept, `--ckpt_path last` resumes identically
# ---------------------------------------------------------------------------------------------
RESUME = ["--trainer.max_epochs", "4", "--model.arch_kwargs.n_filters", "8", "--early_stopping.patience", "100",
          "--data.reverse_complement", "true", "--data.jitter", "3"]


@pytest.fixture(scope="module")
def reference_weights(tiny_table, tmp_path_factory):
    root = tmp_path_factory.mktemp("ref")
    best = fit(FIT[1:] + ["--data.path", str(tiny_table), "--trainer.default_root_dir", str(root), *RESUME])
    return torch.load(best.replace("best.ckpt", "last.ckpt"), weights_only=True)


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL], ids=["SIGTERM", "SIGINT", "SIGKILL"])
def test_signal_during_fit_stops_cleanly_and_resumes(tiny_table, tmp_path, reference_weights, signum):
    """SIGTERM and SIGINT stop the run with a message; SIGKILL cannot be caught, but the atomic
    checkpoint writes leave last.ckpt whole. Either way the resumed run ends with the same weights
    as an uninterrupted one: batch order and augmentation depend only on (seed, epoch), and the RNG
    state that dropout draws from is saved in the checkpoint."""
    root = tmp_path / "run"
    exe = Path(sys.executable).parent / "motifzoo"
    args = [str(exe), *FIT, "--data.path", str(tiny_table), "--trainer.default_root_dir", str(root), *RESUME]
    env = {**os.environ, "OMP_NUM_THREADS": str(torch.get_num_threads())}
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    limit = time.time() + 120
    while not list(root.glob("**/checkpoints/last.ckpt")) and time.time() < limit and proc.poll() is None:
        time.sleep(0.02)
    proc.send_signal(signum)  # mid-way through a later epoch
    _, err = proc.communicate(timeout=60)
    if signum != signal.SIGKILL:
        assert proc.returncode == 130, err[-2000:]
        assert "Traceback" not in err
        assert re.search(r"stopped by a signal at epoch \d+: kept .*last\.ckpt; run the same command with "
                         r"--ckpt_path last", err), err
    last = next(root.glob("**/checkpoints/last.ckpt"))
    assert torch.load(last, weights_only=True)["epoch"] < 3
    assert _leftovers(root) == []
    rc, out, err = run(FIT + ["--data.path", str(tiny_table), "--trainer.default_root_dir", str(root), *RESUME,
                              "--ckpt_path", "last"])
    assert rc == 0, err[-2000:]
    assert "resuming from" in out
    final = sorted(root.glob("**/checkpoints/last*.ckpt"), key=lambda p: p.stat().st_mtime)[-1]
    got = torch.load(final, weights_only=True)
    assert got["epoch"] == reference_weights["epoch"]
    for k, v in reference_weights["state_dict"].items():
        torch.testing.assert_close(got["state_dict"][k], v, rtol=0, atol=0, msg=k)
