"""The `motifzoo` command line as a user runs it."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import motifzoo

import yaml
from clirun import fit, run

# configs whose data section names another DataModule (e.g. BED + genome) are trained by their own tests
CONFIGS = sorted(p for p in Path("configs").glob("*.yaml")
                 if "class_path" not in ((yaml.safe_load(p.read_text()) or {}).get("data") or {}))


def test_list_shows_models():
    rc, out, _ = run(["list"])
    assert rc == 0 and "expcnn_shallow" in out and "expcnn_deep" in out


def test_fit_prints_best_checkpoint_and_checkpoint_is_self_describing(trained_ckpt, tiny_table):
    ckpt = torch.load(trained_ckpt, weights_only=True)
    meta = ckpt["motifzoo"]
    assert meta["model"] == "expcnn_shallow" and meta["input_length"] == 100 and meta["task"] == "binary"
    model = motifzoo.load(trained_ckpt)
    assert len(model.target_names) == 3 and model.target_names[0].startswith("CTCF")
    assert model(torch.zeros(2, 4, 100)).shape == (2, 3)
    # the resolved config is saved beside the run
    assert (Path(trained_ckpt).parents[1] / "config.yaml").exists()


def test_motifs_cli_writes_meme_that_biopython_reads(trained_ckpt, tiny_table, tmp_path):
    from Bio import motifs as bio_motifs
    out = tmp_path / "m.meme"
    rc, stdout, err = run(["motifs", trained_ckpt, "-o", str(out), "--data", str(tiny_table), "--table",
                           str(tmp_path / "filters.tsv")])
    assert rc == 0, err
    assert "filters:" in stdout and "dead" in stdout
    with open(out) as fh:
        parsed = list(bio_motifs.parse(fh, "minimal"))
    assert parsed and all(m.name.startswith("filter") for m in parsed)
    assert all(m.num_occurrences >= 10 for m in parsed)
    # refuses to overwrite, and says how
    rc, _, err = run(["motifs", trained_ckpt, "-o", str(out), "--data", str(tiny_table)])
    assert rc == 2 and "already exists; pass --force" in err
    rc, _, err = run(["motifs", trained_ckpt, "-o", str(out), "--method", "weights", "--force"])
    assert rc == 0, err


@pytest.mark.parametrize("args, message", [
    (["motifs", "missing.ckpt", "-o", "x.meme"], "checkpoint not found: missing.ckpt"),
    (["motifs", "{ckpt}", "-o", "{tmp}/nodir/x.meme"], "directory .*nodir does not exist"),
    (["motifs", "{ckpt}", "-o", "{tmp}/x.meme", "--data", "{tmp}/nope.tsv"], "data file not found"),
    (["motifs", "{ckpt}", "-o", "{tmp}/x.meme", "--method", "activations"], "needs --data"),
])
def test_motifs_cli_errors_are_one_line(trained_ckpt, tmp_path, args, message):
    import re
    args = [a.format(ckpt=trained_ckpt, tmp=tmp_path) for a in args]
    rc, _, err = run(args)
    assert rc == 2
    assert re.search(message, err), err
    assert "Traceback" not in err


def test_fit_bad_config_key_and_value(tiny_table, tmp_path):
    rc, _, err = run(["fit", "--config", "configs/expcnn.yaml", "--data.path", str(tiny_table), "--model.lrr", "0.1"])
    assert rc == 2 and "lrr" in err
    rc, _, err = run(["fit", "--config", "configs/expcnn.yaml", "--data.path", str(tiny_table),
                      "--trainer.max_epochs", "many"])
    assert rc == 2 and "max_epochs" in err
    rc, _, err = run(["fit", "--config", "configs/expcnn.yaml", "--data.path", str(tiny_table),
                      "--model.arch_kwargs.n_filter", "8", "--trainer.default_root_dir", str(tmp_path)])
    assert rc == 2 and "model.arch_kwargs" in err and "did you mean 'n_filters'" in err and "Traceback" not in err
    rc, _, err = run(["fit", "--config", "configs/expcnn.yaml", "--data.path", str(tmp_path / "none.tsv"),
                      "--trainer.default_root_dir", str(tmp_path)])
    assert rc == 2 and "data file not found" in err and "Traceback" not in err


@pytest.mark.parametrize("config", CONFIGS, ids=[c.stem for c in CONFIGS])
def test_every_config_trains(config, tiny_table, tmp_path):
    ckpt = fit(["--config", str(config), "--data.path", str(tiny_table),
                        "--trainer.max_epochs", "1", "--trainer.limit_train_batches", "2",
                        "--trainer.limit_val_batches", "2", "--trainer.default_root_dir", str(tmp_path),
                        "--trainer.enable_model_summary", "false"])
    model = motifzoo.load(ckpt)
    assert model.motif_filters().dim() == 3


def test_simulate_cli(tmp_path):
    rc, out, err = run(["simulate", "tiny", "-o", str(tmp_path / "s.tsv"), "--motifs", str(tmp_path / "p.meme"),
                        "-n", "50"])
    assert rc == 0, err
    assert (tmp_path / "s.tsv").read_text().startswith("sequence\tsplit\t")


def test_console_script_help():
    exe = Path(sys.executable).parent / "motifzoo"
    res = subprocess.run([str(exe), "--help"], capture_output=True, text=True)
    assert res.returncode == 0 and "fit" in res.stdout and "motifs" in res.stdout


@pytest.mark.parametrize("command", sorted(__import__("motifzoo.cli", fromlist=["COMMANDS"]).COMMANDS))
def test_every_command_prints_its_help(command):
    rc, out, err = run([command, "--help"])
    assert rc == 0, err
    assert out.startswith("usage: ") and command in out


# --------------------------------------------------------------------------------------------
# #17: an instant CLI, predict's table, identical MEME ids, quiet sanity checks
# --------------------------------------------------------------------------------------------
def test_version():
    rc, out, _ = run(["--version"])
    assert rc == 0 and out.strip() == f"motifzoo {motifzoo.__version__}"


@pytest.mark.parametrize("argv", [["--help"], ["list"], ["--version"], ["simulate", "--help"], ["report", "--help"],
                                  ["predict", "--help"]])
def test_instant_commands_import_no_torch_lightning_or_pandas(argv):
    """`motifzoo --help`, `list` and every SUBCOMMAND --help answer without the heavy imports
    (their timings are a benchmark: benchmarks/startup.md)."""
    code = ("import sys, contextlib, io\nfrom motifzoo.cli.main import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    try: main({argv!r})\n    except SystemExit: pass\n"
            "print(sorted(m for m in ('torch', 'lightning', 'pandas', 'numpy', 'matplotlib') if m in sys.modules))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().splitlines()[-1] == "[]"


def test_list_reads_the_registry_without_importing_it():
    import inspect

    from motifzoo.cli.basic import model_catalog, preset_catalog
    from motifzoo.data.simulate import PRESETS, _load_extra_presets
    from motifzoo.models import list_models, model_class
    assert model_catalog() == {n: inspect.getdoc(model_class(n)).splitlines()[0] for n in list_models()}
    _load_extra_presets()
    assert preset_catalog() == {k: v[2] for k, v in PRESETS.items()}
    rc, out, _ = run(["list", "--details"])
    assert rc == 0 and "n_filters" in out


def test_lazy_top_level_api():
    code = ("import sys, motifzoo\nassert 'torch' not in sys.modules\n"
            "from motifzoo import one_hot, fit, FitResult, load\nassert callable(fit) and 'torch' in sys.modules\n"
            "assert motifzoo.list_models() and motifzoo.interpret.model_motifs\n"
            "assert 'fit' in dir(motifzoo)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


def test_fit_help_lists_the_data_options():
    rc, out, err = run(["fit", "--help"])
    assert rc == 0, err
    for option in ("--data.path", "--data.batch_size", "--data.valid_frac", "--trainer.max_epochs", "--model.lr"):
        assert option in out, option
    assert "example:" in out


def test_predict_writes_one_row_per_sequence(trained_ckpt, tiny_table, tmp_path):
    import pandas as pd
    out = tmp_path / "preds.tsv"
    rc, stdout, err = run(["predict", trained_ckpt, "--data", str(tiny_table), "-o", str(out), "--device", "cpu"])
    assert rc == 0, err
    preds = pd.read_csv(out, sep="\t")
    data = pd.read_csv(tiny_table, sep="\t")
    model = motifzoo.load(trained_ckpt)
    assert list(preds.columns) == ["name", "split", *model.target_names]
    assert len(preds) == len(data) and list(preds["split"]) == list(data["split"])
    values = preds[model.target_names].to_numpy()
    assert ((values >= 0) & (values <= 1)).all()  # probabilities
    expected = torch.sigmoid(model(motifzoo.one_hot(list(data["sequence"][:5])))).detach().numpy()
    np.testing.assert_allclose(values[:5], expected, rtol=1e-4, atol=1e-5)
    assert f"for {len(data)} sequences" in stdout
    rc, _, err = run(["predict", trained_ckpt, "--data", str(tiny_table), "-o", str(out)])
    assert rc == 2 and "--force" in err
    rc, _, err = run(["predict", trained_ckpt, "--data", str(tiny_table), "-o", str(tmp_path / "p.csv"), "--logits",
                      "--max-sequences", "7"])
    assert rc == 0, err
    logits = pd.read_csv(tmp_path / "p.csv")
    assert len(logits) == 7 and (logits[model.target_names].to_numpy() < 0).any()


def test_report_and_motifs_write_the_same_motif_ids(trained_ckpt, tiny_table, tmp_path):
    """Both select filters with the same flags and defaults, so their MEME files hold the same ids; the
    E= of each motif is its enrichment p-value over shuffled sequences, never 0."""
    from motifzoo.motifs import read_meme
    rc, _, err = run(["motifs", trained_ckpt, "-o", str(tmp_path / "m.meme"), "--data", str(tiny_table),
                      "--min-ic", "0", "--batch-size", "100"])
    assert rc == 0, err
    rc, _, err = run(["report", trained_ckpt, "-d", str(tmp_path / "report"), "--data", str(tiny_table),
                      "--min-ic", "0", "--no-syntax", "--database", "jaspar"])
    assert rc == 0, err
    exported = read_meme(tmp_path / "m.meme")
    in_report = read_meme(tmp_path / "report" / "motifs.meme")
    assert exported and [m.name for m in exported] == [m.name for m in in_report]
    assert all(0 < m.evalue < 0.05 for m in exported)
    assert "E= 0\n" not in (tmp_path / "m.meme").read_text()
    page = (tmp_path / "report" / "index.html").read_text()
    assert "split = test" in page and "positives" in page  # the tiny table has a split column


def test_fit_sanity_check_on_a_table_grouped_by_class_warns_nothing(tiny_sim, tmp_path):
    """Validation rows grouped by class make Lightning's sanity-check batches one-class; metrics are
    computed on whole epochs only, so torchmetrics has nothing to warn about."""
    import warnings

    import pandas as pd
    table = pd.DataFrame({"sequence": tiny_sim.sequences, **{c: tiny_sim.targets[c] for c in tiny_sim.targets}})
    table = table.sort_values(list(tiny_sim.targets.columns)).reset_index(drop=True)
    table["split"] = np.where(np.arange(len(table)) % 5 == 0, "valid", "train")
    path = tmp_path / "grouped.tsv"
    table.to_csv(path, sep="\t", index=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit(["--config", "configs/expcnn.yaml", "--data.path", str(path), "--data.batch_size", "32",
             "--trainer.max_epochs", "1", "--trainer.limit_train_batches", "0.2", "--trainer.default_root_dir",
             str(tmp_path), "--trainer.enable_model_summary", "false", "--trainer.enable_progress_bar", "false"])
    messages = [str(w.message) for w in caught]
    assert not [m for m in messages if "No negative samples" in m or "No positive samples" in m], messages


def test_device_option():
    from motifzoo.cli.common import resolve_device
    from motifzoo.cli.errors import UserError
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(UserError, match="must be auto, cpu, cuda or cuda:N"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(UserError, match="no CUDA GPU is available"):
            resolve_device("cuda:0")


def test_progress_bars_draw_on_a_terminal_only(monkeypatch):
    import io

    from motifzoo.interpret.progress import progress_bar

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    quiet = io.StringIO()
    monkeypatch.setattr(sys, "stderr", quiet)
    assert list(progress_bar(range(3), enabled=True, desc="work")) == [0, 1, 2] and quiet.getvalue() == ""
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert list(progress_bar(range(3), enabled=True, desc="work")) == [0, 1, 2]
    assert "work" in terminal.getvalue()
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert list(progress_bar(range(3), enabled=False, desc="work")) == [0, 1, 2] and terminal.getvalue() == ""
