"""Every registered model runs through the whole :class:`~motifzoo.models.MotifModel` interface.

Parametrised over ``motifzoo.list_models()``: a newly registered architecture is covered with no
change here, built with its defaults (at the first of a few input lengths it accepts).
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import motifzoo
from motifzoo.interpret import model_motifs
from motifzoo.interpret.syntax import rules_from_weights
from motifzoo.models import MotifModel, model_hyperparameters
from motifzoo.models.layers import make_activation

N_TARGETS = 2
LENGTHS = (100, 200, 500)


def one_hot_batch(n: int, length: int, seed: int = 0) -> torch.Tensor:
    """(n, 4, length) random one-hot sequences."""
    codes = torch.randint(0, 4, (n, length), generator=torch.Generator().manual_seed(seed))
    return F.one_hot(codes, 4).permute(0, 2, 1).float()


def build(name: str) -> MotifModel:
    """The model with its default arguments, at the shortest input length it accepts, with batch-norm
    statistics moved by two training passes and every parameter perturbed (so no readout is trivially 0)."""
    for length in LENGTHS:
        try:
            model = motifzoo.get_model(name, n_targets=N_TARGETS, input_length=length)
            break
        except ValueError:
            continue
    else:
        pytest.fail(f"{name} builds at none of the input lengths {LENGTHS}")
    torch.manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.05 * torch.randn_like(p))
        model.train()
        for seed in (1, 2):
            model(one_hot_batch(8, model.input_length, seed))
    return model.eval()


@pytest.fixture(scope="module", params=motifzoo.list_models())
def model(request) -> MotifModel:
    return build(request.param)


def test_attributes(model):
    name = model.model_name
    assert isinstance(model, MotifModel) and name in motifzoo.list_models()
    assert set(model.hparams) == set(model_hyperparameters(name))  # every argument, defaults filled in
    assert model.hparams["input_length"] == model.input_length and model.input_length in LENGTHS
    assert model.target_names == [f"target{t}" for t in range(N_TARGETS)] and model.task == "binary"
    assert model.alphabet == "ACGT"
    make_activation(model.motif_activation)  # a known nonlinearity
    assert isinstance(model.motif_strand_aware, bool)
    assert isinstance(model.has_position_attention, bool) and isinstance(model.has_units, bool)


def test_forward_and_first_layer(model):
    x = one_hot_batch(5, model.input_length)
    with torch.no_grad():
        assert model(x).shape == (5, N_TARGETS)
        w, b = model.motif_filters(), model.motif_bias()
        n_filters, four, width = w.shape
        positions = model.input_length - width + 1
        assert four == 4 and b.shape == (n_filters,) and not w.requires_grad
        assert model.filter_names() == [f"filter{f}" for f in range(n_filters)]
        stranded = model.stranded_activations(x)
        assert stranded.shape == (5, 2 if model.motif_strand_aware else 1, n_filters, positions)
        assert model.motif_activations(x).shape == (5, n_filters, positions)
        # the folded filters are what the nonlinearity sees on the forward strand
        expected = make_activation(model.motif_activation)(F.conv1d(x, w, b))
        torch.testing.assert_close(stranded[:, 0], expected, rtol=1e-4, atol=1e-5)
        pwms = model.motif_pwms()
        if pwms is not None:
            assert pwms.shape == (n_filters, width, 4) and np.allclose(pwms.sum(-1), 1)
        targets = model.motif_target_weights()
        assert targets is None or targets.shape == (n_filters, N_TARGETS)
        sites = model.motif_site_weights()
        assert sites is None or sites.shape == (n_filters, N_TARGETS)
        by_bin = model.motif_position_weights()
        assert by_bin is None or (by_bin.dim() == 3 and by_bin.shape[:2] == (n_filters, N_TARGETS))
        attention = model.position_attention(x)
        assert (attention is not None) == model.has_position_attention
        assert attention is None or attention.shape == (5, positions)
        units = model.unit_outputs(x)
        assert (units is not None) == model.has_units
        assert units is None or units.shape == (5, n_filters)
        from_acts = model.forward_from_activations(stranded)
        if from_acts is not None:  # the rest of the network, from the first layer's activations
            torch.testing.assert_close(from_acts, model(x), rtol=1e-4, atol=1e-5)
        pairs = model.pair_weights()
        if pairs is not None:
            channels = stranded.shape[1] * n_filters
            assert pairs.shape[:3] == (N_TARGETS, channels, channels)


def test_regularization_reads_only_the_last_training_pass(model):
    x = one_hot_batch(6, model.input_length)
    model.train()
    try:
        model(x)
        loss = model.regularization(100)  # any schedule has started by epoch 100
        assert torch.as_tensor(loss).dim() == 0 and torch.isfinite(torch.as_tensor(loss))
    finally:
        model.eval()
    with torch.no_grad():
        model(x)
    assert torch.isfinite(torch.as_tensor(model.regularization(100)))  # nothing stale to read, no error


def test_motifs_from_the_weights(model):
    motifs, table = model_motifs(model, method="weights", keep_all=True)
    assert len(table) == model.motif_filters().shape[0]
    for motif in motifs:
        assert np.allclose(motif.pwm.sum(1), 1, atol=1e-5)


def test_save_load_roundtrip(model, tmp_path):
    path = tmp_path / f"{model.model_name}.ckpt"
    motifzoo.save(model, path)
    back = motifzoo.load(path)
    assert type(back) is type(model) and back.hparams == model.hparams
    assert (back.input_length, back.target_names, back.task) == (model.input_length, model.target_names, model.task)
    x = one_hot_batch(4, model.input_length, seed=3)
    with torch.no_grad():
        torch.testing.assert_close(back(x), model(x), rtol=0, atol=0)
        torch.testing.assert_close(back.motif_filters(), model.motif_filters(), rtol=0, atol=0)


def test_syntax_readout_from_a_pairwise_layer(model):
    if model.pair_weights() is None:
        pytest.skip(f"{model.model_name} has no pairwise syntax layer")
    rules = rules_from_weights(model, keep_all=True, include_overlapping=True)
    assert {"motif_a", "motif_b", "distance", "orientation", "effect", "target"} <= set(rules.columns)
    assert len(rules) > 0 and set(rules["target"]) <= set(model.target_names)


@pytest.mark.parametrize("bad, message", [
    (lambda L: torch.zeros(4, L), "shape \\(batch, 4, length\\).*add a batch axis"),
    (lambda L: torch.zeros(2, L, 4), "4 channels.*channels last"),
    (lambda L: torch.zeros(2, 5, L), "4 channels"),
    (lambda L: torch.zeros(2, 4, L + 7), "built for .* bp.*got .* bp"),
    (lambda L: torch.zeros(2, 4, L, dtype=torch.long), "floating-point"),
    (lambda L: torch.ones(2, 4, L), "one-hot.*summing to at most 1"),
    (lambda L: -one_hot_batch(2, L), "one-hot.*values in \\[0, 1\\]"),
])
def test_input_checks_say_what_was_expected(model, bad, message):
    with pytest.raises(ValueError, match=message):
        model(bad(model.input_length))
    with torch.no_grad():  # soft inputs (N as 0.25 each, interpolations toward them) are accepted
        model(torch.full((1, 4, model.input_length), 0.25))


def test_get_model_docs_list_the_model_and_its_arguments(model):
    doc = motifzoo.get_model.__doc__
    section = doc.split(f"\n    {model.model_name}\n")[1].split("Details:")[0]
    flat = " ".join(section.split())
    for key, value in model_hyperparameters(model.model_name).items():
        assert key in flat and (key in ("n_targets", "input_length") or f"{key}={value!r}" in flat)


def test_interpret_reads_models_only_through_the_interface():
    """No ``getattr``/``hasattr`` probing of models in ``motifzoo.interpret``: every reader uses the interface."""
    import re
    from pathlib import Path
    root = Path(motifzoo.__file__).parent / "interpret"
    probes = [f"{path.name}:{i}" for path in sorted(root.glob("*.py"))
              for i, line in enumerate(path.read_text().splitlines(), 1)
              if re.search(r"\b(getattr|hasattr)\((self\.)?model\b", line)]
    assert probes == []
