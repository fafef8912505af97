"""ExplaiNN: equal to the reference implementation, BN folding, unit readouts, the `units` command."""

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F

import motifzoo
from motifzoo.interpret.units import (NoUnitsError, positional_effects, rank_contributions, response_curves,
                                      top_units, unit_contributions, unit_outputs, unit_response_grid,
                                      unit_target_weights, weights_heatmap)
from motifzoo.models import ExplaiNN, get_model
from motifzoo.models.explainn import _keep_mask
from clirun import fit, run

reference = pytest.importorskip("explainn.models.networks", reason="the reference package is the test extra")


def one_hot(n: int, length: int, seed: int = 0, dtype=torch.float32) -> torch.Tensor:
    codes = torch.randint(0, 4, (n, length), generator=torch.Generator().manual_seed(seed))
    return F.one_hot(codes, 4).permute(0, 2, 1).to(dtype).contiguous()


def randomised_reference(n_units=6, length=120, n_targets=3, num_fc=2, pool=7, dtype=torch.float32, seed=0):
    """A reference ExplaiNN whose batch norms have non-trivial statistics and some negative scales."""
    torch.manual_seed(seed)
    ref = reference.ExplaiNN(n_units, length, n_targets, num_fc=num_fc, pool_size=pool, pool_stride=pool).to(dtype)
    with torch.no_grad():
        for m in ref.modules():
            if isinstance(m, torch.nn.BatchNorm1d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(-1.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
    return ref


# --------------------------------------------------------------------------------------------
# equality with the reference
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("num_fc", [0, 1, 2, 3])
def test_from_reference_predicts_like_the_reference(num_fc):
    ref = randomised_reference(num_fc=num_fc).eval()
    ours = ExplaiNN.from_reference(ref).eval()
    assert isinstance(ours, ExplaiNN) and ours.hparams["n_fc"] == num_fc and ours.hparams["input_length"] >= 114
    x = one_hot(32, 120)
    with torch.no_grad():
        expected, got = ref(x), ours(x)
    assert expected.abs().max() > 0.05  # not a trivially zero output
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)


def test_from_reference_state_dict_needs_matching_length():
    ref = randomised_reference(pool=5).eval()
    ours = ExplaiNN.from_reference(ref.state_dict(), input_length=120, pool_size=5, pool_stride=5).eval()
    x = one_hot(8, 120)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), ref(x), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="pooled bins"):
        ExplaiNN.from_reference(ref.state_dict(), input_length=120)  # pool 7 does not fit a pool-5 model
    with pytest.raises(ValueError, match="missing linears.0.weight"):
        ExplaiNN.from_reference({"final.weight": torch.zeros(2, 3)})
    with pytest.raises(TypeError, match="state_dict"):
        ExplaiNN.from_reference("model.pt")


@pytest.mark.parametrize("num_fc", [0, 2, 3])
def test_training_step_equals_the_reference(num_fc):
    """Train mode (batch statistics, the pooled batch-norm backward): outputs, every gradient and the
    running statistics equal the reference's, in float64 and without dropout."""
    ref = randomised_reference(num_fc=num_fc, dtype=torch.float64).train()
    for m in ref.modules():
        if isinstance(m, torch.nn.Dropout):
            m.p = 0.0
    ours = ExplaiNN.from_reference(ref, dropout=0.0).train()
    x = one_hot(16, 120, dtype=torch.float64)
    x_ref, x_ours = x.clone().requires_grad_(), x.clone().requires_grad_()  # input gradients (saliency) too
    ref(x_ref).pow(2).sum().backward()
    ours(x_ours).pow(2).sum().backward()
    torch.testing.assert_close(x_ours.grad, x_ref.grad, rtol=1e-9, atol=1e-9)
    ours_state = ours.state_dict()
    ref_grads = dict(ref.named_parameters())
    pairs = {"scanner.conv.weight": "linears.0.weight", "scanner.bn.weight": "linears.1.weight",
             "scanner.bn.bias": "linears.1.bias",
             "final.weight": "final.weight", "final.bias": "final.bias"}
    if num_fc:
        pairs["fc_norms.0.weight"] = "linears.7.weight"
    for mine, theirs in pairs.items():
        torch.testing.assert_close(dict(ours.named_parameters())[mine].grad, ref_grads[theirs].grad,
                                   rtol=1e-9, atol=1e-9, msg=mine)
    if num_fc:
        torch.testing.assert_close(ours.fc[0].weight.grad, ref.linears[6].weight.grad[..., 0].reshape(ours.fc[0].weight.shape))
    torch.testing.assert_close(ours_state["scanner.bn.running_mean"], ref.linears[1].running_mean)
    torch.testing.assert_close(ours_state["scanner.bn.running_var"], ref.linears[1].running_var)
    assert int(ours_state["scanner.bn.num_batches_tracked"]) == 1


def test_save_and_load_a_converted_model(tmp_path):
    ref = randomised_reference().eval()
    ours = ExplaiNN.from_reference(ref)
    motifzoo.save(ours, tmp_path / "m.ckpt", target_names=["a", "b", "c"])
    loaded = motifzoo.load(tmp_path / "m.ckpt")
    x = one_hot(4, 120)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), ref(x), rtol=1e-5, atol=1e-5)


# --------------------------------------------------------------------------------------------
# the model itself
# --------------------------------------------------------------------------------------------
def test_motif_filters_fold_batch_norm():
    model = ExplaiNN.from_reference(randomised_reference()).eval()
    x = one_hot(5, 120)
    with torch.no_grad():
        pre = model.scanner.bn(model.scanner.conv(x))  # what the network computes before exp
        folded = F.conv1d(x, model.motif_filters(), model.motif_bias())
        torch.testing.assert_close(folded, pre, rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(model.motif_activations(x), torch.exp(pre), rtol=1e-5, atol=1e-5)
        pooled = model.pooled_activations(x)
    assert model.motif_filters().shape == (6, 4, 19) and pooled.shape == (5, 6, model.n_bins)
    assert model.motif_target_weights().shape == (6, 3)
    assert model.filter_names()[2] == "filter2"


def test_shapes_errors_and_dropout():
    model = get_model("explainn", n_targets=2, input_length=60, n_units=4, hidden=8)
    assert model(one_hot(3, 60)).shape == (3, 2)
    assert model.pooled_bins().tolist()[0] == [0, 25] and len(model.pooled_bins()) == model.n_bins == 6
    with pytest.raises(ValueError, match="input_length=60"):
        model(one_hot(3, 80))
    with pytest.raises(ValueError, match=r"shape \(batch, 4, length\)"):
        model(torch.zeros(3, 5, 60))
    with pytest.raises(ValueError, match="too short"):
        get_model("explainn", n_targets=1, input_length=20)
    with pytest.raises(ValueError, match="dropout"):
        get_model("explainn", n_targets=1, input_length=100, dropout=1.0)
    with pytest.raises(ValueError, match="n_units"):
        get_model("explainn", n_targets=1, input_length=100, n_units=0)
    keep, scale = _keep_mask((1000, 1000), 0.3, "cpu")
    assert abs(keep.float().mean().item() - 0.7) < 0.003 and abs(scale - 1 / 0.7) < 1e-3
    model.train()
    x = one_hot(16, 60)
    assert not torch.equal(model(x), model(x))  # dropout in training
    model.eval()
    assert torch.equal(model(x), model(x))


def test_non_monotone_activation_pools_after_the_activation():
    model = get_model("explainn", n_targets=1, input_length=60, n_units=3, activation="gelu").eval()
    x = one_hot(4, 60)
    with torch.no_grad():
        expected = F.max_pool1d(F.gelu(model.scanner.bn(model.scanner.conv(x))), 7, 7)
        torch.testing.assert_close(model.pooled_activations(x), expected)


# --------------------------------------------------------------------------------------------
# readouts
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_model():
    model = ExplaiNN.from_reference(randomised_reference()).eval()
    model.target_names = ["t0", "t1", "t2"]
    return model


def test_weights_and_contributions_are_ranked(small_model):
    weights = unit_target_weights(small_model)
    assert weights.shape == (6, 3) and list(weights.columns) == ["t0", "t1", "t2"]
    assert weights.index[0] == "filter0"
    np.testing.assert_allclose(weights.to_numpy(), small_model.final.weight.detach().T.numpy(), rtol=1e-6)

    toy = pd.DataFrame([[1.0, -2.0], [2.0, 0.5], [-3.0, 1.0]], index=["u0", "u1", "u2"], columns=["a", "b"])
    ranked = rank_contributions(toy, np.array([1.0, 1.0, 0.1]))
    # by magnitude: an inverted unit (negative weight) drives a target too
    assert ranked[ranked.target == "a"]["unit"].tolist() == ["u1", "u0", "u2"]
    assert ranked[ranked.target == "b"]["unit"].tolist() == ["u0", "u1", "u2"]
    assert ranked["rank"].tolist() == [1, 2, 3, 1, 2, 3]
    np.testing.assert_allclose(ranked["contribution"], [2.0, 1.0, -0.3, -2.0, 0.5, 0.1])
    top = top_units(toy)
    assert top["unit"].tolist() == ["u2", "u0"] and top["weight"].tolist() == [-3.0, -2.0]
    with pytest.raises(ValueError, match="one per unit"):
        rank_contributions(toy, np.ones(2))

    x = one_hot(40, 120)
    table = unit_contributions(small_model, x, batch_size=16)
    assert len(table) == 18 and set(table["rank"]) == set(range(1, 7))
    with torch.no_grad():
        mean = small_model.unit_outputs(x).mean(0).double().numpy()
    np.testing.assert_allclose(unit_outputs(small_model, x).mean(0), mean, rtol=1e-5)
    first = table[table.target == "t1"].iloc[0]
    assert first["contribution"] == pytest.approx(weights.loc[first["unit"], "t1"] * mean[int(first["unit"][6:])], rel=1e-5)
    assert (table.groupby("target")["contribution"].apply(lambda c: c.abs().is_monotonic_decreasing)).all()


def test_response_curves_probe_one_bin_at_a_time(small_model):
    n_units, n_bins = 6, small_model.n_bins
    baseline = np.random.default_rng(0).uniform(0.5, 2.0, (n_units, n_bins))
    values = np.linspace(0, 10, 4)[None, :].repeat(n_units, 0) * np.arange(1, n_units + 1)[:, None]
    response, base_out = unit_response_grid(small_model, baseline, values)
    assert response.shape == (n_units, n_bins, 4) and base_out.shape == (n_units,)
    # unit 2, bin 3, value index 2, by hand
    pooled = torch.tensor(baseline, dtype=torch.float32)[None].clone()
    pooled[0, 2, 3] = float(values[2, 2])
    with torch.no_grad():
        by_hand = small_model.unit_response(pooled)[0, 2].item()
    assert response[2, 3, 2] == pytest.approx(by_hand, rel=1e-5, abs=1e-6)

    curves = response_curves(small_model, one_hot(30, 120), n_values=5)
    assert len(curves) == n_units * n_bins * 5
    assert list(curves.columns) == ["unit", "bin", "start", "end", "value", "output", "baseline_output"]
    assert curves["end"].max() == (n_bins - 1) * 7 + 7 + 19 - 1
    effects = positional_effects(curves)
    assert effects.shape == (n_units, n_bins) and effects.columns[0] == "0-25"
    no_data = response_curves(small_model, None, n_values=3)
    assert no_data["value"].max() > 0 and len(no_data) == n_units * n_bins * 3


def test_heatmap_and_models_without_units(small_model, tmp_path):
    weights = unit_target_weights(small_model)
    png = weights_heatmap(weights, tmp_path / "w.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in weights_heatmap(weights, tmp_path / "w.svg").read_text()[:2000]
    cnn = get_model("expcnn_shallow", n_targets=2, input_length=100, n_filters=4)
    with pytest.raises(NoUnitsError, match="has no units"):
        unit_target_weights(cnn)
    with pytest.raises(NoUnitsError, match="unit_outputs"):
        unit_outputs(cnn, one_hot(2, 100))


# --------------------------------------------------------------------------------------------
# config and command line
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def explainn_ckpt(tmp_path_factory, tiny_table):
    """configs/explainn.yaml trained through `motifzoo fit` for one short epoch on the tiny preset."""
    root = tmp_path_factory.mktemp("explainn_run")
    return fit(["--config", "configs/explainn.yaml", "--data.path", str(tiny_table),
                        "--trainer.max_epochs", "1", "--trainer.limit_train_batches", "3",
                        "--trainer.limit_val_batches", "2", "--trainer.default_root_dir", str(root),
                        "--trainer.enable_model_summary", "false", "--model.arch_kwargs.n_units", "8"])


def test_config_trains_and_motifs_export(explainn_ckpt, tiny_table, tmp_path):
    model = motifzoo.load(explainn_ckpt)
    assert isinstance(model, ExplaiNN) and model.hparams["n_units"] == 8 and len(model.target_names) == 3
    rc, out, err = run(["motifs", explainn_ckpt, "-o", str(tmp_path / "m.meme"), "--data", str(tiny_table),
                        "--keep-all"])
    assert rc == 0, err
    assert (tmp_path / "m.meme").read_text().count("MOTIF filter") == 8


def test_units_command(explainn_ckpt, tiny_table, tmp_path):
    out = tmp_path / "units"
    rc, stdout, err = run(["units", explainn_ckpt, "-o", str(out), "--data", str(tiny_table),
                           "--max-sequences", "200", "--n-values", "3"])
    assert rc == 0, err
    weights = pd.read_csv(out / "weights.tsv", sep="\t", index_col=0)
    assert weights.shape == (8, 3) and weights.index[0] == "filter0"
    contributions = pd.read_csv(out / "contributions.tsv", sep="\t")
    assert len(contributions) == 24 and contributions.groupby("target")["rank"].min().eq(1).all()
    curves = pd.read_csv(out / "response_curves.tsv", sep="\t")
    assert len(curves) == 8 * 11 * 3
    assert pd.read_csv(out / "positional_effects.tsv", sep="\t", index_col=0).shape == (8, 11)
    assert len(pd.read_csv(out / "top_units.tsv", sep="\t")) == 3
    assert (out / "weights_heatmap.png").stat().st_size > 1000
    # refuses to overwrite, and says how
    rc, _, err = run(["units", explainn_ckpt, "-o", str(out), "--data", str(tiny_table)])
    assert rc == 2 and "already exists; pass --force" in err
    rc, stdout, err = run(["units", explainn_ckpt, "-o", str(out), "--force", "--figure-format", "svg"])
    assert rc == 0 and "contributions skipped" in stdout and (out / "weights_heatmap.svg").exists()
    # sequences of the wrong length name the file and the model's length
    bad = tmp_path / "long.tsv"
    bad.write_text("sequence\n" + "ACGT" * 50 + "\n")
    rc, _, err = run(["units", explainn_ckpt, "-o", str(tmp_path / "u2"), "--data", str(bad)])
    assert rc == 2 and "long.tsv" in err and "200 bp" in err and "needs 100 bp" in err and "--seq-len 100" in err


def test_units_command_on_a_model_without_units(tmp_path):
    cnn = get_model("expcnn_shallow", n_targets=2, input_length=100, n_filters=4)
    motifzoo.save(cnn, tmp_path / "cnn.ckpt", target_names=["a", "b"])
    rc, _, err = run(["units", str(tmp_path / "cnn.ckpt"), "-o", str(tmp_path / "u")])
    assert rc == 2 and "cnn.ckpt" in err and "has no units" in err and "explainn" in err
    rc, _, err = run(["units", str(tmp_path / "missing.ckpt"), "-o", str(tmp_path / "u")])
    assert rc == 2 and "not found" in err
