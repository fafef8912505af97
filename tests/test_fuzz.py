"""Fuzzing the readers and the config parser with hypothesis.

Random bytes, random TSV, FASTA, BED and MEME text, random arrays and random config YAML go into
every reader and into ``motifzoo fit``. Every outcome must be a parsed result or a user error
that motifzoo prints as one line (``motifzoo: error: ...``); any other exception escaping is a
failure. The default suite tries a few examples per reader; ``MOTIFZOO_FUZZ_EXAMPLES=N`` tries N
(``benchmarks/fuzz.md`` records a larger run).
"""
import gzip
import os
import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clirun import deadline, run

N = int(os.environ.get("MOTIFZOO_FUZZ_EXAMPLES", "0"))
FAST = settings(max_examples=N or 40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=not N)
SLOW = settings(max_examples=N or 8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=not N)

#: how many inputs each fuzz test tried in this session, and how they ended (printed for benchmarks/fuzz.md)
TRIED: dict[str, int] = {}
OUTCOMES: dict[str, int] = {}


def _outcome(kind: str) -> None:
    OUTCOMES[kind] = OUTCOMES.get(kind, 0) + 1


def accepted(call, *args, **kwargs):
    """Run a reader: a result, or a user error with a one-line message; anything else fails the test."""
    from motifzoo.cli.errors import user_error_types, user_message
    name = getattr(call, "__qualname__", str(call))
    TRIED[name] = TRIED.get(name, 0) + 1
    with deadline():
        try:
            result = call(*args, **kwargs)
            _outcome("parsed")
            return result
        except user_error_types() as err:
            _outcome("one-line error")
            message = user_message(err)
            assert message is not None, f"{type(err).__name__} that is not a user error: {err!r}"
            assert message.strip() and "\n" not in message.strip(), f"not one line: {message!r}"
            assert "Traceback" not in message
            return None


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


def _write(directory: Path, name: str, data) -> Path:
    path = directory / name
    if name.endswith(".gz"):
        data = gzip.compress(data.encode() if isinstance(data, str) else data)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8", errors="surrogateescape")
    else:
        path.write_bytes(data)
    return path


# ---------------------------------------------------------------------------------------------
# strategies
# ---------------------------------------------------------------------------------------------
BASES = st.text(alphabet="ACGTNacgtnRYXZ- ", min_size=0, max_size=40)
CELL = st.one_of(BASES, st.sampled_from(["", "NaN", "inf", "-inf", "1", "0", "0.5", "yes", "1e400", "train", "valid",
                                         "test", "val", '"', "\t"]),
                 st.floats(allow_nan=True).map(str), st.integers(-10**20, 10**20).map(str), st.text(max_size=8))
COLUMN = st.sampled_from(["sequence", "split", "name", "id", "A", "B", "y", "", "sequence "]) | st.text(max_size=6)


@st.composite
def tables(draw, sep="\t"):
    columns = draw(st.lists(COLUMN, min_size=0, max_size=5))
    rows = draw(st.lists(st.lists(CELL, min_size=0, max_size=6), max_size=12))
    lines = [sep.join(columns)] + [sep.join(r) for r in rows]
    return "\n".join(lines) + draw(st.sampled_from(["", "\n", "\r\n"]))


@st.composite
def fastas(draw):
    records = draw(st.lists(st.tuples(st.sampled_from([">", ">", "> ", ">>", "", ";"]) , st.text(max_size=8),
                                      st.lists(BASES, max_size=3)), max_size=8))
    return "".join(f"{mark}{name}\n" + "".join(s + "\n" for s in seqs) for mark, name, seqs in records)


@st.composite
def memes(draw):
    out = [draw(st.sampled_from(["MEME version 4\n", "MEME version 5.0\n", "", "MEME\n"]))]
    out.append(draw(st.sampled_from(["ALPHABET= ACGT\n", "ALPHABET= ACGU\n", "", "ALPHABET=\n"])))
    if draw(st.booleans()):
        out.append("Background letter frequencies\nA 0.25 C 0.25 G 0.25 T 0.25\n")
    for _ in range(draw(st.integers(0, 3))):
        out.append(f"MOTIF {draw(st.text(max_size=6))}\n")
        w = draw(st.integers(-1, 5))
        nsites = draw(st.sampled_from(["", " nsites= 10", " nsites= -1", " nsites= x"]))
        out.append(f"letter-probability matrix: alength= {draw(st.integers(0, 5))} w= {w}{nsites}\n")
        for _ in range(draw(st.integers(0, 6))):
            row = draw(st.lists(st.one_of(st.floats(-1, 2), st.just(0.25), st.just(float("nan"))), min_size=0, max_size=5))
            out.append(" ".join(f"{v}" for v in row) + "\n")
    if draw(st.booleans()):
        out.append(draw(st.text(max_size=30)))
    return "".join(out)


@st.composite
def beds(draw):
    rows = draw(st.lists(st.lists(st.one_of(st.sampled_from(["chr1", "chr2", "track", "#x", "browser"]),
                                            st.integers(-5, 10**10).map(str), st.text(max_size=5)),
                                  min_size=0, max_size=11), max_size=10))
    return "".join("\t".join(r) + "\n" for r in rows)


# ---------------------------------------------------------------------------------------------
# readers
# ---------------------------------------------------------------------------------------------
def _readers():
    from motifzoo.data import genome, tables
    from motifzoo.motifs import read_meme
    return {"read_onehot": tables.read_onehot, "read_sequences": tables.read_sequences,
            "read_fasta": tables.read_fasta, "read_meme": read_meme, "read_bed": genome.read_bed}


@FAST
@given(data=st.binary(max_size=300), suffix=st.sampled_from([".tsv", ".csv", ".tsv.gz", ".fa", ".fa.gz", ".txt"]))
def test_random_bytes_into_the_table_readers(fuzz_dir, data, suffix):
    from motifzoo.data.tables import read_onehot, read_sequences
    path = _write(fuzz_dir, "b" + suffix, data)
    accepted(read_onehot, path)
    accepted(read_sequences, path)


@FAST
@given(data=st.binary(max_size=300))
def test_random_bytes_into_meme_bed_checkpoint_and_array_readers(fuzz_dir, data):
    from motifzoo.data.arrays import ArraySource
    from motifzoo.data.genome import read_bed
    from motifzoo.models.io import load
    from motifzoo.motifs import read_meme
    accepted(read_meme, _write(fuzz_dir, "b.meme", data))
    accepted(read_bed, _write(fuzz_dir, "b.bed", data))
    accepted(load, _write(fuzz_dir, "b.ckpt", data))
    for suffix in (".npz", ".npy", ".h5"):
        accepted(ArraySource, _write(fuzz_dir, "b" + suffix, data))


@FAST
@given(text=tables(), gz=st.booleans(), sep=st.sampled_from(["\t", ","]))
def test_random_tables(fuzz_dir, text, gz, sep):
    from motifzoo.data.tables import read_onehot, read_sequences
    text = text.replace("\t", sep)
    path = _write(fuzz_dir, ("t.csv" if sep == "," else "t.tsv") + (".gz" if gz else ""), text)
    table = accepted(read_sequences, path)
    if table is not None:
        assert table.codes.shape[0] == table.targets.shape[0] == len(table.names)
        assert np.isfinite(table.targets).all()
    accepted(read_onehot, path, length=20, seq_len=None)


@FAST
@given(text=fastas(), targets=tables())
def test_random_fasta(fuzz_dir, text, targets):
    from motifzoo.data.tables import read_fasta, read_onehot, read_sequences
    path = _write(fuzz_dir, "s.fa", text)
    accepted(read_fasta, path)
    accepted(read_onehot, path, seq_len=10)
    accepted(read_sequences, path, _write(fuzz_dir, "targets.tsv", targets))


@FAST
@given(text=memes())
def test_random_meme(fuzz_dir, text):
    from motifzoo.motifs import read_meme
    motifs = accepted(read_meme, _write(fuzz_dir, "m.meme", text))
    for m in motifs or []:
        assert np.allclose(m.pwm.sum(1), 1, atol=1e-2) and (m.pwm >= 0).all()


@FAST
@given(text=beds(), value_columns=st.one_of(st.none(), st.lists(st.integers(-2, 12), max_size=2)))
def test_random_bed(fuzz_dir, text, value_columns):
    from motifzoo.data.genome import read_bed
    accepted(read_bed, _write(fuzz_dir, "r.bed", text), value_columns=value_columns)


DTYPES = st.sampled_from([np.uint8, np.int8, np.int64, np.float32, np.float64, np.bool_, "U3", "S2"])


@FAST
@given(xshape=st.lists(st.integers(0, 6), min_size=0, max_size=4), yshape=st.lists(st.integers(0, 6), max_size=3),
       xdtype=DTYPES, ydtype=DTYPES, extra=st.sampled_from([None, "split", "target_names"]),
       fmt=st.sampled_from(["npz", "npz_compressed", "h5"]), seed=st.integers(0, 2**16))
def test_random_arrays(fuzz_dir, xshape, yshape, xdtype, ydtype, extra, fmt, seed):
    from motifzoo.data.arrays import ArraySource
    rng = np.random.default_rng(seed)
    arrays = {"x": rng.integers(-1, 6, xshape).astype(xdtype), "y": rng.integers(0, 3, yshape).astype(ydtype)}
    if extra == "split":
        arrays["split"] = rng.choice(np.array(["train", "valid", "test", "x"]), xshape[:1] or [1])
    elif extra == "target_names":
        arrays["target_names"] = np.array(["a", "b"])
    path = fuzz_dir / ("a.h5" if fmt == "h5" else "a.npz")
    if fmt == "h5":
        h5py = pytest.importorskip("h5py")
        with h5py.File(path, "w") as f:
            for k, v in arrays.items():
                f[k] = v.astype("S") if v.dtype.kind == "U" else v
    else:
        (np.savez_compressed if fmt == "npz_compressed" else np.savez)(path, **arrays)
    src = accepted(ArraySource, path)
    if src is not None and src.n:
        accepted(src.one_hot, np.arange(min(3, src.n)))


# ---------------------------------------------------------------------------------------------
# random config YAML into `motifzoo fit`
# ---------------------------------------------------------------------------------------------
KEYS = {
    "model": ["arch", "lr", "weight_decay", "scheduler", "lr_patience", "arch_kwargs", "task", "lrr"],
    "data": ["batch_size", "valid_frac", "test_frac", "jitter", "seq_len", "num_workers", "task", "pad_mode",
             "split_seed", "reverse_complement", "class_path"],
    "trainer": ["max_epochs", "min_epochs", "gradient_clip_val", "limit_val_batches", "check_val_every_n_epoch",
                "accumulate_grad_batches", "deterministic", "precision"],
    "early_stopping": ["patience", "min_delta", "mode"],
    "checkpoint": ["save_top_k", "filename"],
}
VALUES = st.one_of(st.integers(-3, 300), st.floats(-2, 2), st.sampled_from([float("nan"), float("inf")]), st.booleans(),
                   st.none(), st.sampled_from(["expcnn_shallow", "explainn", "plateau", "auto", "binary", "x", "",
                                               "1e-3", "[1, 2]", "{a: 1}", "center"]),
                   st.lists(st.integers(-1, 3), max_size=2), st.dictionaries(st.sampled_from(["n_filters", "pool"]),
                                                                            st.integers(-2, 8), max_size=2))


@st.composite
def configs(draw):
    if draw(st.integers(0, 9)) == 0:  # sometimes not YAML at all, or not a mapping
        return draw(st.sampled_from(["model: [", "- 1\n- 2\n", "model:\n\tlr: 1\n", "{", "a: b: c", "'", "&a *b",
                                     "model: !!python/object:os.system x\n"]) | st.text(max_size=30))
    config = {}
    for section in draw(st.lists(st.sampled_from(sorted(KEYS) + ["seed_everything", "bogus"]), max_size=4, unique=True)):
        if section in KEYS:
            keys = draw(st.lists(st.sampled_from(KEYS[section]), max_size=3, unique=True))
            config[section] = {k: draw(VALUES) for k in keys}
        else:
            config[section] = draw(VALUES)
    return yaml.safe_dump(config)


@pytest.fixture(scope="module")
def fuzz_table(tmp_path_factory):
    rng = np.random.default_rng(0)
    path = tmp_path_factory.mktemp("fuzzdata") / "d.tsv"
    rows = "".join("".join(rng.choice(list("ACGT"), 100)) + f"\t{i % 2}\n" for i in range(40))
    path.write_text("sequence\tA\n" + rows)
    return path


@SLOW
@given(text=configs())
def test_random_config_yaml_into_fit(fuzz_dir, fuzz_table, text):
    cfg = _write(fuzz_dir, "c.yaml", text)
    args = ["fit", "--config", str(cfg), "--data.path", str(fuzz_table), "--trainer.default_root_dir",
            str(fuzz_dir / "runs"), "--trainer.limit_train_batches", "0", "--trainer.limit_val_batches", "0",
            "--trainer.max_epochs", "1", "--trainer.enable_progress_bar", "false",
            "--trainer.enable_model_summary", "false", "--trainer.logger", "false",
            "--checkpoint.dirpath", str(fuzz_dir / "ckpt")]
    TRIED["fit --config"] = TRIED.get("fit --config", 0) + 1
    with deadline(60):
        rc, out, err = run(args)
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith(("INFO", "Seed set", "  "))
             and not re.match(r".*\.py:\d+: \w*Warning", line)]  # Python warnings are not errors
    if rc == 0:
        _outcome("fit: ran")
        return
    _outcome("fit: one-line error")
    assert rc == 2, (text, err[-3000:])
    assert "Traceback" not in err and len(lines) == 1 and lines[0].startswith("motifzoo: error: "), (text, err[-3000:])


def test_report_tried(request):
    """Not a check: prints how many inputs each fuzz test tried (for benchmarks/fuzz.md)."""
    print("fuzz inputs tried:", sum(TRIED.values()), dict(sorted(TRIED.items())), "outcomes:", OUTCOMES)
