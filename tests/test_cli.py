"""The `motifzoo` command line as a user runs it."""
import subprocess
import sys
from pathlib import Path

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
