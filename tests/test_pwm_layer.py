"""The PWM-parameterised first layer: every filter is a PWM, exported exactly; duplicate merging is reported."""
import contextlib
import io

import numpy as np
import pytest
import torch

import motifzoo
from motifzoo.data.encoding import one_hot
from motifzoo.interpret import filters_to_pwms, model_motifs, read_meme
from motifzoo.models.expcnn import first_layer_scanner
from motifzoo.models.scanner import Scanner


def pwm_layer(n_filters: int, width: int, **kw) -> Scanner:
    """A scanner of PWM filters (one strand, no batch norm)."""
    return Scanner(n_filters, width, first_layer="pwm", norm="none", **kw)


def _pwm_model(n_filters=4, width=7, length=60, **kw):
    torch.manual_seed(0)
    m = motifzoo.get_model("expcnn_shallow", n_targets=2, input_length=length, n_filters=n_filters,
                           filter_width=width, pool_size=5, first_layer="pwm", **kw)
    with torch.no_grad():  # sharp, varied PWMs and scales, as after training
        m.scanner.raw_logits.normal_(std=0.4)
        m.scanner.raw_log_beta.uniform_(-0.2, 0.1)
    return m.eval()


def _softmax_pwms(m) -> np.ndarray:
    """(F, W, 4) column-wise softmax of the layer's logits, computed here independently of the layer."""
    logits = m.scanner.logits().detach().double().numpy()
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).transpose(0, 2, 1)


def _set_pwm(scanner: Scanner, f: int, consensus: str, sharpness: float = 4.0) -> None:
    """Make filter ``f`` a sharp PWM for ``consensus`` (flat elsewhere)."""
    with torch.no_grad():
        scanner.raw_logits[f] = 0.0
        scanner.raw_logits[f, :, : len(consensus)] = sharpness * one_hot([consensus])[0] / scanner.lr_scale


def test_exported_pwms_equal_the_layers_softmax_exactly():
    m = _pwm_model()
    motifs, table = model_motifs(m, method="weights", trim_ic=0, min_ic=0)
    expected = _softmax_pwms(m)
    assert len(motifs) == 4 and (table["status"] == "kept").all()
    for f, motif in enumerate(motifs):
        np.testing.assert_allclose(motif.pwm, expected[f], rtol=0, atol=1e-15)
        np.testing.assert_allclose(motif.pwm.sum(1), 1.0, atol=1e-12)
    # and the weights are the log-odds of those PWMs, scaled by beta: inverting them gives the same PWMs
    w = m.motif_filters() / m.scanner.beta()[:, None, None]
    np.testing.assert_allclose(filters_to_pwms(w, beta=1.0), expected, atol=1e-5)


def test_exact_pwms_survive_checkpoint_and_meme_round_trip(tmp_path):
    m = _pwm_model()
    motifzoo.save(m, tmp_path / "m.ckpt", target_names=["a", "b"])
    back = motifzoo.load(tmp_path / "m.ckpt")
    np.testing.assert_array_equal(back.motif_pwms(), m.motif_pwms())
    motifs, _ = model_motifs(back, method="weights", trim_ic=0, min_ic=0)
    from motifzoo.motifs import write_meme
    write_meme(motifs, tmp_path / "m.meme")
    for written, exact in zip(read_meme(tmp_path / "m.meme"), _softmax_pwms(m)):
        np.testing.assert_allclose(written.pwm, exact, atol=2e-6)  # MEME text keeps 6 decimals


def test_scan_score_is_beta_times_log_odds_plus_offset():
    torch.manual_seed(1)
    layer = pwm_layer(3, 5, activation="exp", background=(0.3, 0.2, 0.2, 0.3))
    with torch.no_grad():
        layer.raw_logits.normal_(std=0.3)
        layer.raw_offset.fill_(-0.05)
    x = one_hot(["ACGTTGCAAC"])
    z = layer.preactivation(x)[0, 0]  # (F, L')
    p = torch.softmax(layer.logits().detach(), dim=1)  # (F, 4, W)
    q = torch.tensor([0.3, 0.2, 0.2, 0.3])
    window = x[0, :, 2:7]
    by_hand = layer.beta() * (window[None] * torch.log(p / q[None, :, None])).sum(dim=(1, 2)) + layer.offset().detach()
    torch.testing.assert_close(z[:, 2], by_hand)
    torch.testing.assert_close(layer(x)[0], torch.exp(z))


def test_site_likelihood_pulls_the_pwm_to_the_windows_it_fires_on():
    torch.manual_seed(0)
    layer = pwm_layer(1, 6, site_weight=1.0, pwm_init_std=0.01)
    rng = np.random.default_rng(0)
    seqs = []
    for _ in range(64):
        s = list(rng.choice(list("ACGT"), 30))
        s[10:16] = "GATTCA"
        seqs.append("".join(s))
    x = one_hot(seqs)
    _set_pwm(layer, 0, "GATTCA", sharpness=0.5)  # a weak start toward the planted word
    assert layer.pwms()[0].max() < 0.4
    opt = torch.optim.Adam(layer.parameters(), lr=0.01)
    layer.train()
    for _ in range(40):
        layer(x)
        loss = layer.regularization()
        opt.zero_grad()
        loss.backward()
        opt.step()
    pwm = layer.pwms()[0]
    assert "".join("ACGT"[i] for i in pwm.argmax(1)) == "GATTCA"
    assert pwm.max(1).min() > 0.9  # sharp: the sites agree at every column
    assert layer.regularization() == 0.0  # consumed once per training step


def test_filters_compete_for_sites_so_they_do_not_all_learn_one_motif():
    layer = pwm_layer(3, 6)
    _set_pwm(layer, 0, "GATTCA", sharpness=3.0)
    _set_pwm(layer, 1, "GATTCA", sharpness=2.0)  # the same motif, fires further below its maximum
    _set_pwm(layer, 2, "CCGGTA", sharpness=3.0)
    rng = np.random.default_rng(1)
    seqs = []
    for i in range(40):
        s = list(rng.choice(list("ACGT"), 30))
        s[5:11] = "GATTCA"
        if i % 2:
            s[20:26] = "CCGGTA"
        seqs.append("".join(s))
    x = one_hot(seqs)
    with torch.no_grad():
        counts, n_sites = layer.site_counts(x, layer.stranded(x))
    assert n_sites[0] >= 30 and n_sites[1] == 0  # the weaker duplicate gets none of the shared sites
    assert n_sites[2] >= 15  # sites elsewhere in the same sequences are not taken away


def test_background_is_estimated_from_the_first_training_batch():
    layer = pwm_layer(2, 5)
    x = one_hot(["GGGCCCGCGA" * 3, "CGCGGCCTAG" * 3])
    layer.eval()
    layer(x)
    assert not bool(layer.background_fixed)  # evaluation never changes q
    layer.train()
    layer(x)
    q = layer.log_background.exp()
    assert bool(layer.background_fixed) and q[1] > 0.3 and torch.allclose(q, q.flip(0))
    before = layer.log_background.clone()
    layer(one_hot(["AAAAATTTTT" * 3]))
    torch.testing.assert_close(layer.log_background, before)  # set once, saved with the weights


def test_pwm_layer_is_selectable_in_both_exp_cnns():
    for arch in ("expcnn_shallow", "expcnn_deep"):
        m = motifzoo.get_model(arch, n_targets=3, input_length=200, first_layer="pwm")
        assert m.motif_pwms().shape == (32, 19, 4)
        assert m(torch.zeros(2, 4, 200)).shape == (2, 3)
        assert motifzoo.get_model(arch, n_targets=3, input_length=200).motif_pwms() is None  # free filters


def test_bad_layer_arguments_say_what_is_allowed():
    with pytest.raises(ValueError, match="first_layer must be one of free, pwm"):
        first_layer_scanner("pwms", 4, 7, "exp", "forward")
    with pytest.raises(ValueError, match="strands must be one of forward, both-max, both-sum"):
        first_layer_scanner("pwm", 4, 7, "exp", "both")
    with pytest.raises(ValueError, match="background"):
        pwm_layer(4, 7, background=(0.5, 0.5, 0.0, 0.0))
    with pytest.raises(ValueError, match="without batch norm"):
        Scanner(4, 7, first_layer="pwm", norm="pre")


def test_duplicate_filters_are_merged_and_reported(tmp_path):
    from motifzoo.motifs import load_jaspar
    from motifzoo.cli import main
    m = _pwm_model(n_filters=4, width=10)
    _set_pwm(m.scanner, 0, "GTAAACAATG", sharpness=5.0)
    _set_pwm(m.scanner, 1, "GTAAACAATG", sharpness=3.5)  # the same motif, less sharp
    _set_pwm(m.scanner, 2, "CATTGTTTAC", sharpness=5.0)  # its reverse complement
    _set_pwm(m.scanner, 3, "CCGCGGGACT", sharpness=5.0)  # something else
    motifs, table = model_motifs(m, method="weights", merge_q=0.05, merge_background=load_jaspar())
    assert [mm.name for mm in motifs] == ["filter0", "filter3"]
    dups = table.set_index("name")
    assert dups.loc["filter1", "status"] == "duplicate" and dups.loc["filter1", "duplicate_of"] == "filter0"
    assert dups.loc["filter2", "status"] == "duplicate" and dups.loc["filter2", "duplicate_of"] == "filter0"
    assert table.attrs["duplicates"].set_index("duplicate").loc["filter2", "strand"] == "-"
    assert motifs[0].meta["merged"] == ["filter2", "filter1"] or motifs[0].meta["merged"] == ["filter1", "filter2"]
    # without merging nothing is dropped
    assert len(model_motifs(m, method="weights")[0]) == 4
    # the command line prints each merge
    motifzoo.save(m, tmp_path / "m.ckpt", target_names=["a", "b"])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        rc = main(["motifs", str(tmp_path / "m.ckpt"), "-o", str(tmp_path / "m.meme"), "--method", "weights",
                   "--merge-q", "0.05", "--table", str(tmp_path / "t.tsv")])
    assert rc == 0
    text = out.getvalue()
    assert "2 duplicate (TOMTOM q < 0.05)" in text
    assert "merged filter1 into filter0" in text and "merged filter2 into filter0" in text
    assert "trimmed flanks below 0.2 bits" in text
    assert [mm.name for mm in read_meme(tmp_path / "m.meme")] == ["filter0", "filter3"]
    assert "duplicate_of" in (tmp_path / "t.tsv").read_text().splitlines()[0]


@pytest.mark.slow
def test_pwm_model_trained_on_tiny_recovers_planted_motifs_from_weights(tiny_table, tmp_path):
    from motifzoo.interpret.compare import motif_recovery
    from clirun import fit
    ckpt = fit(["--config", "configs/expcnn_pwm.yaml", "--data.path", str(tiny_table),
                "--trainer.max_epochs", "10", "--trainer.default_root_dir", str(tmp_path),
                "--model.arch_kwargs.n_filters", "8", "--trainer.enable_model_summary", "false"])
    motifs, _ = model_motifs(motifzoo.load(ckpt), method="weights")
    planted = read_meme(tiny_table.parent / "planted.meme")
    res = motif_recovery(motifs, planted)
    assert res["n_recovered"] >= 2, res
