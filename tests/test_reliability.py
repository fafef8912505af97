"""Reliability: the catalogue of bad inputs, resumable and reproducible training, safe outputs.

Every bad input must end with exit code 2, a one-line message that names the file, line or key
and what was expected, and no Python traceback.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from clirun import error_line, fit, run

FIT = ["fit", "--config", "configs/expcnn.yaml", "--trainer.enable_model_summary", "false",
       "--trainer.enable_progress_bar", "false"]


def _table(tmp_path, text, name="d.tsv"):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


SEQ = "ACGTACGTAC" * 6
GOOD = "sequence\tA\n" + "".join(f"{SEQ}\t{i % 2}\n" for i in range(20))

# (id, file contents or None, extra args, expected message regex)
DATA_CASES = [
    ("non_acgtn", "sequence\tA\nACGTACGTAC\t1\nACGTAZGTAC\t0\n", [], r"d.tsv line 3: invalid character 'Z' at position 6"),
    ("empty_file", "", [], r"d.tsv: file is empty"),
    ("header_only", "sequence\tA\n", [], r"d.tsv: has a header but no rows"),
    ("no_sequence_column", "seq\tA\nACGT\t1\n", [], r"no 'sequence' column; found columns: seq, A"),
    ("unequal_lengths", "sequence\tA\nACGTACGTAC\t1\nACGT\t0\n", [], r"differ in length.*d.tsv line 3 has 4 bp.*seq_len"),
    ("nan_target", "sequence\tA\nACGTACGTAC\t1\nACGTACGTAC\tNaN\n", [], r"line 3: target column 'A' is missing \(NaN\)"),
    ("inf_target", "sequence\tA\nACGTACGTAC\t1\nACGTACGTAC\t-inf\n", [], r"line 3: target column 'A' is -inf"),
    ("string_target", "sequence\tA\nACGTACGTAC\t1\nACGTACGTAC\tyes\n", [], r"line 3: target column 'A' holds 'yes'"),
    ("unknown_split", "sequence\tsplit\tA\nACGTACGTAC\ttrain\t1\nACGTACGTAC\tval\t0\n", [], r"line 3: unknown split 'val'; expected one of train, valid, test"),
    ("empty_split", f"sequence\tsplit\tA\n{SEQ}\ttrain\t1\n{SEQ}\ttest\t0\n", [], r"the 'valid' split is empty"),
    ("no_targets", "sequence\nACGTACGTAC\n", [], r"no target columns"),
    ("binary_task_real_targets", "sequence\tA\n" + f"{SEQ}\t0.5\n{SEQ}\t1\n" * 20, ["--data.task", "binary"], r"data.task is binary but some targets are not 0/1"),
    ("random_split_empty", "sequence\tA\n" + f"{SEQ}\t1\n" * 3, ["--data.valid_frac", "0.01"],
     r"random split of 3 rows left the 'valid' split empty"),
    ("bad_valid_frac", GOOD, ["--data.valid_frac", "1.5"], r"data.valid_frac = 1.5: must be in \[0, 1\)"),
    ("jitter_too_large", GOOD, ["--data.jitter", "30"], r"data.jitter=30 leaves no window"),
    ("bad_task", GOOD, ["--data.task", "ranking"], r"data.task"),
    ("too_short_for_model", "sequence\tA\n" + "ACGTACGTAC\t1\nACGTACGTAC\t0\n" * 20, [],
     r"model.arch_kwargs: input_length=10 is too short for filter_width=19"),
]


@pytest.mark.parametrize("case", DATA_CASES, ids=[c[0] for c in DATA_CASES])
def test_bad_data_to_fit(tmp_path, case):
    _, content, extra, pattern = case
    path = _table(tmp_path, content)
    rc, _, err = run(FIT + ["--data.path", path, "--trainer.default_root_dir", str(tmp_path / "run"), *extra])
    assert rc == 2, err
    assert re.search(pattern, err, re.S), err
    assert "Traceback" not in err


@pytest.mark.parametrize("name, content, pattern", [
    ("bad_header", "ACGT\n>r1\nACGT\n", r"s.fa line 1: expected a FASTA header starting with '>'"),
    ("no_targets_table", ">r1\nACGTACGTAC\n", r"FASTA input needs a targets table \(data.targets\)"),
])
def test_bad_fasta_to_fit(tmp_path, name, content, pattern):
    path = _table(tmp_path, content, "s.fa")
    rc, _, err = run(FIT + ["--data.path", path, "--trainer.default_root_dir", str(tmp_path)])
    assert rc == 2 and re.search(pattern, err), err
    assert "Traceback" not in err


def test_missing_data_file(tmp_path):
    rc, _, err = run(FIT + ["--data.path", str(tmp_path / "absent.tsv"), "--trainer.default_root_dir", str(tmp_path)])
    assert rc == 2 and "data file not found" in err and "absent.tsv" in err


@pytest.mark.parametrize("args, pattern", [
    (["--model.lrr", "0.1"], r"model.lrr.*Did you mean 'model.lr'"),
    (["--data.batch_size", "many"], r"data.batch_size.*int"),
    (["--model.arch", "expcnn_shalow"], r"model.arch: unknown model 'expcnn_shalow'. Did you mean 'expcnn_shallow'"),
    (["--model.arch_kwargs.pool", "3"], r"model.arch_kwargs: .*'pool' \(did you mean 'pool_size'\?\)"),
    (["--model.scheduler", "warmup"], r"model.scheduler must be plateau, cosine or none"),
])
def test_bad_config_values(tiny_table, tmp_path, args, pattern):
    rc, _, err = run(FIT + ["--data.path", str(tiny_table), "--trainer.default_root_dir", str(tmp_path), *args])
    assert rc == 2 and re.search(pattern, err, re.S), err
    assert "Traceback" not in err


def test_unknown_key_in_config_file(tiny_table, tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("model:\n  arch: expcnn_shallow\n  learning_rate: 0.1\n")
    rc, _, err = run(FIT + ["--config", str(cfg), "--data.path", str(tiny_table)])
    assert rc == 2 and "learning_rate" in err, err


def test_missing_config_file(tiny_table):
    rc, _, err = run(["fit", "--config", "configs/nope.yaml", "--data.path", str(tiny_table)])
    assert rc == 2 and "nope.yaml" in err


@pytest.mark.parametrize("kind, pattern", [
    ("missing", r"checkpoint not found"),
    ("corrupt", r"cannot read checkpoint .*corrupt"),
    ("foreign", r"is not a motifzoo checkpoint"),
    ("unknown_model", r"(unknown model|holds a) 'retired_net'"),
    ("directory", r"is a directory; pass the .ckpt file"),
])
def test_bad_checkpoints(tmp_path, trained_ckpt, kind, pattern):
    path = tmp_path / "x.ckpt"
    if kind == "corrupt":
        path.write_bytes(Path(trained_ckpt).read_bytes()[:500])
    elif kind == "foreign":
        torch.save({"state_dict": {"w": torch.zeros(2)}}, path)
    elif kind == "unknown_model":
        ck = torch.load(trained_ckpt, weights_only=True)
        ck["motifzoo"]["model"] = "retired_net"
        torch.save(ck, path)
    elif kind == "directory":
        path = tmp_path
    rc, _, err = run(["motifs", str(path), "-o", str(tmp_path / "m.meme"), "--method", "weights"])
    assert rc == 2 and re.search(pattern, err), err
    assert "Traceback" not in err


def test_output_in_missing_directory_and_no_silent_overwrite(tmp_path, trained_ckpt):
    rc, _, err = run(["motifs", trained_ckpt, "-o", str(tmp_path / "no" / "m.meme"), "--method", "weights"])
    assert rc == 2 and "directory" in err and "does not exist" in err
    existing = tmp_path / "mine.meme"
    existing.write_text("precious")
    rc, _, err = run(["motifs", trained_ckpt, "-o", str(existing), "--method", "weights"])
    assert rc == 2 and "already exists; pass --force" in err
    assert existing.read_text() == "precious"
    rc, _, err = run(["simulate", "tiny", "-o", str(existing)])
    assert rc == 2 and existing.read_text() == "precious"


def test_resume_last_without_checkpoint(tiny_table, tmp_path):
    rc, _, err = run(FIT + ["--data.path", str(tiny_table), "--trainer.default_root_dir", str(tmp_path),
                            "--ckpt_path", "last"])
    assert rc == 2 and "nothing to resume" in err


def test_nan_loss_stops_with_a_clear_message(tmp_path):
    rows = "".join(f"ACGTACGTACGTACGTACGTACGTACGTACGTACGTACGT{'ACGT' * 5}\t{3e38 if i % 2 else -3e38}\n" for i in range(60))
    path = _table(tmp_path, "sequence\ty\n" + rows)
    rc, _, err = run(FIT + ["--data.path", path, "--trainer.default_root_dir", str(tmp_path),
                            "--model.arch_kwargs.pool_size", "5", "--trainer.max_epochs", "1"])
    assert rc == 2 and re.search(r"training loss became (inf|nan).*learning rate", err), err
    assert "Traceback" not in err


def test_console_script_has_no_traceback(tmp_path):
    exe = Path(sys.executable).parent / "motifzoo"
    res = subprocess.run([str(exe), "motifs", str(tmp_path / "none.ckpt"), "-o", str(tmp_path / "m.meme")],
                         capture_output=True, text=True)
    assert res.returncode == 2
    assert res.stderr.strip().startswith("motifzoo: error: checkpoint not found") and "Traceback" not in res.stderr
    res = subprocess.run([str(exe), "--debug", "motifs", str(tmp_path / "none.ckpt"), "-o", str(tmp_path / "m.meme")],
                         capture_output=True, text=True)
    assert "Traceback" in res.stderr  # tracebacks stay available behind --debug


# ---------------------------------------------------------------------------------------------
# reproducibility and resuming
# ---------------------------------------------------------------------------------------------
def _fit(tiny_table, root, epochs, extra=()):
    return fit(FIT[1:] + ["--data.path", str(tiny_table), "--trainer.default_root_dir", str(root),
                          "--trainer.max_epochs", str(epochs), "--early_stopping.patience", "100",
                          "--model.arch_kwargs.n_filters", "8", "--data.reverse_complement", "true",
                          "--data.jitter", "3", *extra])


def test_same_seed_same_metrics_and_same_meme_bytes(tiny_table, tmp_path):
    memes = []
    scores = []
    for k in range(2):
        ckpt = _fit(tiny_table, tmp_path / f"r{k}", 2)
        ck = torch.load(ckpt, weights_only=True)
        scores.append([v["best_model_score"] for key, v in ck["callbacks"].items() if key.startswith("ModelCheckpoint")][0])
        out = tmp_path / f"m{k}.meme"
        assert run(["motifs", ckpt, "-o", str(out), "--data", str(tiny_table), "--keep-all"])[0] == 0
        memes.append(out.read_bytes())
        assert (Path(ckpt).parents[1] / "config.yaml").exists()
    assert scores[0] == scores[1]
    assert memes[0] == memes[1]


# killed, terminated and interrupted runs resume to the same weights: tests/test_faults.py


# ---------------------------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="ACGTNacgtnRYKM", min_size=12, max_size=12), min_size=1, max_size=8))
def test_one_hot_properties(seqs):
    from motifzoo.data.encoding import decode, one_hot, reverse_complement
    x = one_hot(seqs)
    assert x.shape == (len(seqs), 4, 12)
    col = x.sum(1)
    assert set(col.unique().tolist()) <= {0.0, 1.0}
    expected = ["".join(c if c in "ACGT" else "N" for c in s.upper()) for s in seqs]
    assert decode(x) == expected
    assert torch.equal(reverse_complement(reverse_complement(x)), x)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 25), st.integers(1, 10**6), st.integers(0, 2**31 - 1)), min_size=1, max_size=5))
def test_meme_roundtrip_property(tmp_path_factory, specs):
    from motifzoo.interpret import Motif, read_meme, write_meme
    motifs = []
    for i, (w, nsites, seed) in enumerate(specs):
        p = np.random.default_rng(seed).dirichlet(np.full(4, 0.3), size=w)
        motifs.append(Motif(f"m{i}", p, nsites=nsites))
    path = tmp_path_factory.mktemp("meme") / "p.meme"
    write_meme(motifs, path)
    back = read_meme(path)
    assert [(m.name, m.width, m.nsites) for m in back] == [(m.name, m.width, m.nsites) for m in motifs]
    for a, b in zip(motifs, back):
        np.testing.assert_allclose(a.pwm, b.pwm, atol=2e-6)


# ---------------------------------------------------------------------------------------------
# numeric ranges (motifzoo/training/ranges.py): checked where read, one line, shown in --help
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("args, pattern", [
    (["--model.lr", "-0.1"], r"model.lr = -0.1: must be > 0"),
    (["--model.lr", "0"], r"model.lr = 0(\.0)?: must be > 0"),
    (["--model.weight_decay=-1e-3"], r"model.weight_decay = -0.001: must be >= 0"),
    (["--model.lr_patience", "-2"], r"model.lr_patience = -2: must be an integer >= 0"),
    (["--data.batch_size", "0"], r"data.batch_size = 0: must be an integer >= 1"),
    (["--data.num_workers", "-1"], r"data.num_workers = -1: must be an integer >= 0"),
    (["--data.test_frac", "-0.2"], r"data.test_frac = -0.2: must be in \[0, 1\)"),
    (["--data.seq_len", "0"], r"data.seq_len = 0: must be an integer >= 1"),
    (["--data.jitter", "-1"], r"data.jitter = -1: must be an integer >= 0"),
    (["--data.split_seed", "-5"], r"data.split_seed = -5: must be an integer >= 0"),
    (["--trainer.max_epochs", "-3"], r"trainer.max_epochs = -3: must be an integer >= 1 \(or -1: no limit\)"),
    (["--trainer.min_epochs", "-1"], r"trainer.min_epochs = -1: must be an integer >= 0"),
    (["--trainer.gradient_clip_val", "-1.0"], r"trainer.gradient_clip_val = -1.0: must be >= 0"),
    (["--trainer.limit_train_batches", "1.5"], r"trainer.limit_train_batches = 1.5: must be a fraction in \[0, 1\]"),
    (["--trainer.limit_val_batches", "-1"], r"trainer.limit_val_batches = -1(\.0)?: must be a fraction"),
    (["--trainer.check_val_every_n_epoch", "0"], r"trainer.check_val_every_n_epoch = 0: must be an integer >= 1"),
    (["--trainer.accumulate_grad_batches", "0"], r"trainer.accumulate_grad_batches = 0: must be an integer >= 1"),
    (["--early_stopping.patience", "-1"], r"early_stopping.patience = -1: must be an integer >= 0"),
])
def test_out_of_range_values_name_key_value_and_range(tiny_table, tmp_path, args, pattern):
    rc, _, err = run(FIT + ["--data.path", str(tiny_table), "--trainer.default_root_dir", str(tmp_path), *args])
    assert rc == 2 and re.fullmatch(r"motifzoo: error: " + pattern + ".*", error_line(err)), err
    assert "Traceback" not in err, err
    assert not list(tmp_path.glob("**/*.ckpt"))


def test_every_range_is_enforced_and_documented():
    """Every key of the one table rejects a value outside it, accepts one inside, and its range is in
    the help of its option (model/data: the class docstrings that --help shows)."""
    from motifzoo.training import array_datamodule, datamodule, genome_datamodule
    from motifzoo.training.errors import ConfigError
    from motifzoo.training.module import MotifZooModule
    from motifzoo.training.ranges import RANGES, check
    for key, rng in RANGES.items():
        bad = -2 if rng.low >= 0 or rng.also else rng.low - 1
        with pytest.raises(ConfigError, match=re.escape(f"{key} = {bad!r}: must be {rng}")):
            check(key, bad)
        good = rng.low if not rng.low_open else rng.low + 0.5
        assert check(key, good if not rng.integer else int(good) if good >= 0 else 1) is not None
        assert check(key, None) is None
    docs = {"model": MotifZooModule.__doc__,
            "data": datamodule.SequenceDataModule.__doc__ + array_datamodule.ArrayDataModule.__doc__
            + genome_datamodule.GenomeDataModule.__doc__}
    for key, rng in RANGES.items():
        section, name = key.split(".", 1)
        if section in docs:
            assert re.search(rf"{name}( :[^\n]*)?\n(\s+[^\n]*\n)*?\s+Must be {re.escape(str(rng))}\.", docs[section]), key


def test_fit_help_shows_the_ranges():
    rc, out, _ = run(["fit", "--help"])
    assert rc == 0
    flat = " ".join(out.split())
    for text in ("Must be > 0.", "(must be an integer >= 1 (or -1: no limit))",
                 "(must be a fraction in [0, 1] or a whole number of batches >= 0)"):
        assert text in flat, text


def test_ranges_are_checked_from_python_too():
    from motifzoo.training.datamodule import SequenceDataModule
    from motifzoo.training.errors import ConfigError
    from motifzoo.training.module import MotifZooModule
    with pytest.raises(ConfigError, match=r"model.lr = -1: must be > 0"):
        MotifZooModule(lr=-1)
    with pytest.raises(ConfigError, match=r"data.batch_size = 0"):
        SequenceDataModule("x.tsv", batch_size=0)
    with pytest.raises(ConfigError, match=r"model.lr = nan"):
        MotifZooModule(lr=float("nan"))


def test_fit_api_raises_the_one_line_errors(tiny_table, tmp_path):
    import motifzoo
    from motifzoo.training.errors import ConfigError
    with pytest.raises(ConfigError, match=r"^trainer.max_epochs = -2: must be an integer >= 1"):
        motifzoo.fit("configs/expcnn.yaml", data={"path": str(tiny_table)},
                     trainer={"max_epochs": -2, "default_root_dir": str(tmp_path)})
    with pytest.raises(ConfigError, match=r'^Parser key "data.batch_size": Expected a .*int'):
        motifzoo.fit("configs/expcnn.yaml", data={"path": str(tiny_table), "batch_size": "many"})
    bad = tmp_path / "bad.yaml"
    bad.write_text("model:\n  lr: [1\n")
    with pytest.raises(ConfigError, match=r"bad.yaml line 3, column 1: invalid YAML"):
        motifzoo.fit(bad, data={"path": str(tiny_table)})


# ---------------------------------------------------------------------------------------------
# invalid YAML, wrong types: one line, not the usage block
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, pattern", [
    ("model:\n  arch: expcnn_shallow\n  lr: 0.1\n data: x\n", r"c.yaml line 4, column 2: invalid YAML: .*expected <block end>"),
    ("model:\n  lr: [0.1\ntrainer:\n", r"c.yaml line 3, column \d+: invalid YAML: .*expected ',' or ']'"),
    ("model: {arch: a\n", r"c.yaml line 2, column 1: invalid YAML: .*flow mapping"),
    ("model:\n\tlr: 0.1\n", r"c.yaml line 2, column 1: invalid YAML: found character '\\t'"),
    ("- a\n- b\n", r"c.yaml: a config must be a YAML mapping of sections"),
    ("model:\n  lr: 1\n  lr: 2\n", None),  # duplicate keys are legal YAML (the last wins)
])
def test_invalid_yaml_config_is_one_line(tiny_table, tmp_path, text, pattern):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(text)
    rc, _, err = run(FIT + ["--config", str(cfg), "--data.path", str(tiny_table), "--trainer.max_epochs", "0"])
    if pattern is None:
        assert "invalid YAML" not in err
        return
    assert rc == 2 and re.fullmatch("motifzoo: error: .*" + pattern + ".*", error_line(err)), err
    assert "usage" not in err and "<unicode string>" not in err, err


def test_wrong_type_is_one_line_without_the_usage_block(tiny_table):
    rc, _, err = run(FIT + ["--data.path", str(tiny_table), "--data.batch_size", "many"])
    assert rc == 2 and error_line(err).startswith('motifzoo: error: Parser key "data.batch_size"'), err
    assert "usage:" not in err


# ---------------------------------------------------------------------------------------------
# data that does not fit the checkpoint: checked against its input length first
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("command", [
    ["motifs", "-o", "{out}/m.meme"],
    ["syntax", "-o", "{out}/r.tsv", "--method", "data"],
    ["instances", "-o", "{out}/i.tsv"],
    ["report", "-o", "{out}/rep"],
    ["predict", "-o", "{out}/p.tsv"],
])
def test_data_shorter_than_the_checkpoint(tmp_path, trained_ckpt, command):
    from motifzoo.models.io import read_checkpoint
    need = read_checkpoint(trained_ckpt)["motifzoo"]["input_length"]
    short = _table(tmp_path, "sequence\tA\n" + "".join(f"{'ACGT' * 10}\t{i % 2}\n" for i in range(30)))
    name, *rest = command
    args = [name, trained_ckpt, "--data", short] + [a.format(out=tmp_path) for a in rest]
    rc, _, err = run(args)
    assert rc == 2, err
    assert re.fullmatch(rf"motifzoo: error: {re.escape(short)} line 2: sequence is 40 bp \(and 29 more\) but the model "
                     rf"in {re.escape(trained_ckpt)} needs (at least )?{need} bp; pad or crop the sequences with "
                     rf"--seq-len {need}", error_line(err)), err
    assert "Traceback" not in err and "kernel" not in err


def test_seq_len_pads_data_to_the_checkpoint(tmp_path, trained_ckpt):
    from motifzoo.models.io import read_checkpoint
    need = read_checkpoint(trained_ckpt)["motifzoo"]["input_length"]
    short = _table(tmp_path, "sequence\tA\n" + "".join(f"{'ACGT' * 10}\t{i % 2}\n" for i in range(30)))
    rc, out, err = run(["instances", trained_ckpt, "--data", short, "-o", str(tmp_path / "i.tsv"),
                        "--seq-len", str(need), "--keep-all", "--no-names"])
    assert rc == 0, err


def test_test_subcommand_checks_the_checkpoint_length(tmp_path, trained_ckpt):
    short = _table(tmp_path, "sequence\tA\n" + "".join(f"{'ACGT' * 10}\t{i % 2}\n" for i in range(30)))
    rc, _, err = run(FIT[:0] + ["test", "--config", "configs/expcnn.yaml", "--data.path", short,
                                "--ckpt_path", trained_ckpt, "--trainer.default_root_dir", str(tmp_path)])
    assert rc == 2 and re.search(r"sequences are 40 bp .*but checkpoint .* needs \d+ bp; set --data.seq_len \d+", err), err
    assert "Traceback" not in err


# ---------------------------------------------------------------------------------------------
# output files get the mode the umask gives
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def umask022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path) -> int:
    return Path(path).stat().st_mode & 0o777


def test_outputs_are_group_and_world_readable_under_umask_022(tmp_path, trained_ckpt, tiny_table, umask022):
    from motifzoo.motifs import atomic_write_text
    atomic_write_text(tmp_path / "a.txt", "x")
    assert _mode(tmp_path / "a.txt") == 0o644
    assert run(["motifs", trained_ckpt, "-o", str(tmp_path / "m.meme"), "--method", "weights",
                "--table", str(tmp_path / "t.tsv")])[0] == 0
    assert _mode(tmp_path / "m.meme") == 0o644 and _mode(tmp_path / "t.tsv") == 0o644
    rc, _, err = run(["encode", str(tiny_table), "-o", str(tmp_path / "e.npz")])
    assert rc == 0, err
    assert _mode(tmp_path / "e.npz") == 0o644
    rc, _, err = run(["report", trained_ckpt, "-d", str(tmp_path / "rep"), "--data", str(tiny_table), "--min-ic", "0",
                      "--no-syntax"])
    assert rc == 0, err
    files = [p for p in (tmp_path / "rep").rglob("*") if p.is_file()]
    assert files and all(_mode(p) == 0o644 for p in files), {p.name: oct(_mode(p)) for p in files}
    # overwriting keeps the atomic rename and the umask's mode
    atomic_write_text(tmp_path / "a.txt", "y")
    assert (tmp_path / "a.txt").read_text() == "y" and _mode(tmp_path / "a.txt") == 0o644
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_checkpoints_get_the_umask_mode(tiny_table, tmp_path, umask022):
    ckpt = _fit(tiny_table, tmp_path / "r", 1, ["--model.arch_kwargs.n_filters", "4"])
    assert _mode(ckpt) == 0o644 and _mode(Path(ckpt).with_name("last.ckpt")) == 0o644
    assert not [p for p in Path(ckpt).parent.iterdir() if p.name.endswith(".tmp")]


def test_a_strict_umask_is_honoured(tmp_path):
    from motifzoo.motifs import atomic_write_text
    old = os.umask(0o077)
    try:
        atomic_write_text(tmp_path / "a.txt", "x")
    finally:
        os.umask(old)
    assert _mode(tmp_path / "a.txt") == 0o600


def test_units_checks_the_checkpoint_length(tmp_path, tiny_table):
    """`units` runs the whole unit model on --data: the same length check, with --seq-len as the fix."""
    ckpt = fit(["--config", "configs/explainn.yaml", "--data.path", str(tiny_table), "--trainer.default_root_dir",
                str(tmp_path / "run"), "--trainer.max_epochs", "1", "--model.arch_kwargs.n_units", "4",
                "--trainer.enable_model_summary", "false"])
    short = _table(tmp_path, "sequence\tA\n" + "".join(f"{'ACGT' * 10}\t{i % 2}\n" for i in range(30)))
    rc, _, err = run(["units", ckpt, "--data", short, "-d", str(tmp_path / "u")])
    assert rc == 2 and re.fullmatch(r"motifzoo: error: .*d.tsv line 2: sequence is 40 bp \(and 29 more\) but the model "
                                    r"in .* needs 100 bp; pad or crop the sequences with --seq-len 100",
                                    error_line(err)), err
    rc, _, err = run(["units", ckpt, "--data", short, "-d", str(tmp_path / "u"), "--seq-len", "100"])
    assert rc == 0, err
