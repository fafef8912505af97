from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

import motifzoo
from motifzoo.models import CheckpointError, MotifModel
from test_conformance import one_hot_batch


def test_registry_lists_and_builds():
    names = motifzoo.list_models()
    assert {"expcnn_shallow", "expcnn_deep"} <= set(names)
    for name in ("expcnn_shallow", "expcnn_deep"):
        m = motifzoo.get_model(name, n_targets=3, input_length=200)
        assert isinstance(m, MotifModel)
        assert m(one_hot_batch(4, 200)).shape == (4, 3)


def test_unknown_model_and_argument_errors():
    with pytest.raises(KeyError, match="Did you mean 'expcnn_shallow'"):
        motifzoo.get_model("expcnn_shalow", n_targets=1, input_length=200)
    with pytest.raises(TypeError, match="did you mean 'n_filters'"):
        motifzoo.get_model("expcnn_shallow", n_targets=1, input_length=200, n_filter=8)
    with pytest.raises(TypeError, match="needs argument"):
        motifzoo.get_model("expcnn_shallow", n_targets=1)


@pytest.mark.parametrize("name", ["expcnn_shallow", "expcnn_deep"])
def test_motif_filters_fold_batch_norm(name):
    torch.manual_seed(0)
    m = motifzoo.get_model(name, n_targets=2, input_length=120, n_filters=6)
    bn = m.scanner.bn
    bn.running_mean.uniform_(-1, 1)
    bn.running_var.uniform_(0.5, 2)
    bn.weight.data.uniform_(0.5, 2)
    bn.bias.data.uniform_(-1, 1)
    m.eval()
    x = one_hot_batch(3, 120)
    w, b = m.motif_filters(), m.motif_bias()
    assert w.shape == (6, 4, 19)
    torch.testing.assert_close(F.conv1d(x, w, b), m.scanner.preactivation(x)[:, 0], atol=1e-5, rtol=1e-5)
    assert m.motif_activations(x).shape == (3, 6, 102)


def test_exp_activation_is_finite_for_huge_inputs():
    m = motifzoo.get_model("expcnn_shallow", n_targets=1, input_length=100)
    with torch.no_grad():
        m.scanner.conv.weight.fill_(1e4)
    m.eval()
    assert torch.isfinite(m(one_hot_batch(2, 100))).all()


def test_activation_is_configurable():
    m = motifzoo.get_model("expcnn_shallow", n_targets=1, input_length=100, activation="relu")
    assert m.motif_activation == "relu"
    assert (m.motif_activations(torch.randn(2, 4, 100)) >= 0).all()
    with pytest.raises(ValueError, match="unknown activation"):
        motifzoo.get_model("expcnn_shallow", n_targets=1, input_length=100, activation="swishy")


def test_save_load_roundtrip_weights_only(tmp_path):
    m = motifzoo.get_model("expcnn_deep", n_targets=2, input_length=150, n_filters=8, channels=[16], widths=[5])
    m.eval()
    path = tmp_path / "m.ckpt"
    motifzoo.save(m, path, target_names=["a", "b"], task="binary")
    raw = torch.load(path, weights_only=True)  # no pickled modules
    assert raw["motifzoo"]["model"] == "expcnn_deep"
    back = motifzoo.load(path)
    assert back.target_names == ["a", "b"] and back.input_length == 150 and back.alphabet == "ACGT"
    x = one_hot_batch(3, 150)
    torch.testing.assert_close(back(x), m(x))


def test_load_errors(tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        motifzoo.load(tmp_path / "nope.ckpt")
    bad = tmp_path / "bad.ckpt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="corrupt"):
        motifzoo.load(bad)
    other = tmp_path / "other.ckpt"
    torch.save({"state_dict": {}}, other)
    with pytest.raises(CheckpointError, match="not a motifzoo checkpoint"):
        motifzoo.load(other)


FIXTURES = sorted((Path(__file__).parent / "fixtures" / "checkpoints").glob("*.ckpt"))


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_checkpoints_from_before_the_refactor_load_unchanged(path):
    """Checkpoints written by motifzoo 3cb8244 (format 1, only the passed arguments stored; see
    fixtures/checkpoints/make_fixtures.py) rebuild the same function and first layer."""
    expected = torch.load(path.with_name(path.stem + ".expected.pt"), weights_only=True)
    model = motifzoo.load(path)
    assert model.model_name == expected["model"] and model.target_names == ["t0", "t1"]
    with torch.no_grad():
        torch.testing.assert_close(model(expected["x"]), expected["y"], atol=1e-6, rtol=0)
    torch.testing.assert_close(model.motif_filters(), expected["motif_filters"], atol=1e-6, rtol=0)
    torch.testing.assert_close(model.motif_bias(), expected["motif_bias"], atol=1e-6, rtol=0)


def test_every_model_of_format_1_has_a_fixture_checkpoint():
    from motifzoo.models.compat import FORMAT1_DEFAULTS
    covered = {torch.load(p, weights_only=True)["motifzoo"]["model"] for p in FIXTURES}
    assert covered == set(FORMAT1_DEFAULTS) and covered <= set(motifzoo.list_models())


def test_checkpoints_record_every_argument_and_the_format(tmp_path):
    m = motifzoo.get_model("expcnn_shallow", n_targets=2, input_length=200)
    assert m.hparams["n_filters"] == 32 and m.hparams["first_layer"] == "free" and len(m.hparams) > 5
    motifzoo.save(m, tmp_path / "m.ckpt")
    meta = torch.load(tmp_path / "m.ckpt", weights_only=True)["motifzoo"]
    assert meta["format"] == 2 and meta["hparams"] == m.hparams and meta["target_names"] == ["target0", "target1"]
    back = motifzoo.load(tmp_path / "m.ckpt")
    assert back.hparams == m.hparams and back.model_name == "expcnn_shallow"


def test_format1_checkpoints_keep_the_defaults_of_their_time():
    """Format 1 stored only the passed arguments; the rest are the defaults of the last version that
    wrote it, whatever the defaults are now (argminn's relative-position bias stays off)."""
    from motifzoo.models.compat import FORMAT1_DEFAULTS, upgrade_hparams
    for name in FORMAT1_DEFAULTS:  # models registered later never wrote format 1
        hparams = upgrade_hparams(name, {"n_targets": 1, "input_length": 200}, 1)
        # arguments added since format 1 take defaults that keep the old behaviour
        assert hparams.items() <= motifzoo.get_model(name, **hparams).hparams.items()
    assert upgrade_hparams("argminn", {"n_targets": 1, "input_length": 80}, 1)["relative_range"] == 0


def test_checkpoint_errors_say_what_would_fix_them(tmp_path):
    m = motifzoo.get_model("expcnn_shallow", n_targets=1, input_length=100, n_filters=4)
    motifzoo.save(m, tmp_path / "m.ckpt")
    raw = torch.load(tmp_path / "m.ckpt", weights_only=True)
    raw["motifzoo"]["format"] = 99
    torch.save(raw, tmp_path / "future.ckpt")
    with pytest.raises(CheckpointError, match="format 99.*upgrade motifzoo"):
        motifzoo.load(tmp_path / "future.ckpt")
    raw["motifzoo"].update(format=2, model="transformer_xl")
    torch.save(raw, tmp_path / "gone.ckpt")
    with pytest.raises(CheckpointError, match="'transformer_xl'.*does not register.*register_model"):
        motifzoo.load(tmp_path / "gone.ckpt")
    with pytest.raises(CheckpointError, match="only models built with motifzoo.get_model"):
        motifzoo.save(torch.nn.Linear(4, 1), tmp_path / "plain.ckpt", target_names=["a"])
