"""Scaling out through Lightning: CPU multi-process DDP, and bf16 mixed precision with exp activations."""
import math
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch

import motifzoo
from motifzoo.models.layers import Exp
from clirun import fit


def test_ddp_on_two_cpu_processes_shards_the_batches(tiny_table, tmp_path):
    """`motifzoo fit` with only the trainer section changed runs 2 gloo processes, each on half the batches."""
    exe = Path(sys.executable).parent / "motifzoo"
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore")
    cmd = [str(exe), "fit", "--config", "configs/expcnn.yaml", "--data.path", str(tiny_table),
           "--model.arch_kwargs.n_filters", "8", "--model.arch_kwargs.hidden", "16",
           "--trainer.accelerator", "cpu", "--trainer.devices", "2", "--trainer.strategy", "ddp",
           "--trainer.max_epochs", "1", "--trainer.default_root_dir", str(tmp_path),
           "--trainer.enable_model_summary", "false"]
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "distributed_backend=gloo" in res.stdout + res.stderr
    assert "Starting with 2 processes" in res.stdout + res.stderr
    best = [line for line in res.stdout.splitlines() if line.startswith("best checkpoint: ")]
    assert len(best) == 1  # printed once, by rank 0
    ckpt = torch.load(best[0].split(": ", 1)[1], weights_only=False)
    n_train = int((pd.read_csv(tiny_table, sep="\t")["split"] == "train").sum())
    assert ckpt["global_step"] == math.ceil(math.ceil(n_train / 128) / 2)  # each rank: half the batches
    assert motifzoo.load(best[0].split(": ", 1)[1]).input_length == 100


def _first_layer_weights(model):
    """3-D weights that read the one-hot input directly (4 input channels)."""
    return [p for n, p in model.named_parameters() if p.dim() == 3 and p.shape[1] == 4]


EXP_MODELS = [name for name in motifzoo.list_models()
              if any(isinstance(m, Exp) for m in motifzoo.get_model(name, n_targets=2, input_length=200).modules())]


@pytest.mark.parametrize("name", EXP_MODELS)
def test_exp_activations_stay_finite_under_bf16(name):
    model = motifzoo.get_model(name, n_targets=2, input_length=200).eval()
    with torch.no_grad():
        for w in _first_layer_weights(model):
            w.fill_(10.0)  # every window scores ~190: exp(190) overflows float32 and bfloat16
    seen = []
    hooks = [m.register_forward_hook(lambda mod, inp, out: seen.append((inp[0].detach(), out.detach())))
             for m in model.modules() if isinstance(m, Exp)]
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (4, 200), generator=torch.Generator().manual_seed(0)), 4)
    x = x.float().transpose(1, 2).requires_grad_(True)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(x)
    out.float().sum().backward()
    for h in hooks:
        h.remove()
    assert max(float(inp.float().max()) for inp, _ in seen) > 88.8  # the clamp is what keeps exp finite
    assert all(torch.isfinite(o).all() for _, o in seen)
    assert torch.isfinite(out).all() and torch.isfinite(x.grad).all()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)


def test_exp_without_its_clamp_overflows_in_bf16():
    z = torch.tensor([150.0], dtype=torch.bfloat16)
    assert torch.isinf(Exp(max_value=float("inf"))(z)).all()
    assert torch.isfinite(Exp()(z)).all() and float(Exp()(z)) == pytest.approx(math.exp(20), rel=1e-2)


def test_fit_with_bf16_mixed_precision_on_cpu(tiny_table, tmp_path):
    # a non-finite loss would have stopped training with a FloatingPointError
    model = motifzoo.load(fit(["--config", "configs/expcnn.yaml", "--data.path", str(tiny_table),
                               "--trainer.precision", "bf16-mixed", "--trainer.max_epochs", "1",
                               "--trainer.limit_train_batches", "4", "--trainer.limit_val_batches", "2",
                               "--trainer.default_root_dir", str(tmp_path), "--trainer.enable_model_summary", "false"]))
    assert all(torch.isfinite(p).all() for p in model.parameters())
