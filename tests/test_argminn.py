"""ARGMINN-like models: shapes, strands, penalty schedules and values, the pairwise head, configs."""
import math
from pathlib import Path

import pytest
import torch

from motifzoo.models import get_model
from motifzoo.models.argminn import (FactoredTokens, StreamCrossAttention, attention_entropy, fft_conv1d,
                                     filter_overlap_penalty, filter_overlap_penalty_cofire, filter_sparsity_penalty,
                                     overlap_matrix, relative_position_bias, schedule_weight, sinusoidal_encoding)
from motifzoo.models.scanner import reverse_complement_filters


def one_hot(n, length, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.nn.functional.one_hot(torch.randint(0, 4, (n, length), generator=g), 4).float().transpose(1, 2)


def reverse_complement(x):
    return x.flip(1, 2)


# ------------------------------------------------------------------------------------------------
# shapes and strands
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("strands", ["both", "forward"])
@pytest.mark.parametrize("n_targets", [1, 3])
def test_argminn_shapes(strands, n_targets):
    m = get_model("argminn", n_targets=n_targets, input_length=60, n_filters=4, filter_width=7, n_layers=3,
                  n_heads=2, hidden=8, stream_dim=16, pos_dim=6, strands=strands)
    x = one_hot(5, 60)
    out, att = m(x, return_attention=True)
    assert out.shape == (5, n_targets)
    assert att.shape == (5, 3, 2, 54)
    assert torch.allclose(att.sum(-1), torch.ones(5, 3, 2), atol=1e-5)
    assert m.motif_filters().shape == (4, 4, 7) and m.motif_bias().shape == (4,)
    assert m.motif_activations(x).shape == (5, 4, 54)
    assert m.stranded_activations(x).shape == (5, 2 if strands == "both" else 1, 4, 54)
    m.eval()
    assert m.position_attention(x).shape == (5, 54)


@pytest.mark.parametrize("n_targets", [1, 2])
def test_pairwise_shapes(n_targets):
    m = get_model("argminn_pairwise", n_targets=n_targets, input_length=50, n_filters=3, filter_width=5,
                  max_distance=10)
    x = one_hot(4, 50)
    assert m(x).shape == (4, n_targets)
    assert m.pair_weights().shape == (n_targets, 6, 6, 11)
    assert m.motif_target_weights().shape == (3, n_targets)


def test_reverse_strand_channel_reads_the_reverse_complement():
    """Strand 1 at window i scores the reverse complement of window i: = strand 0 of rc(x) at L' - 1 - i."""
    torch.manual_seed(0)
    m = get_model("argminn_pairwise", n_targets=1, input_length=40, n_filters=3, filter_width=6).eval()
    x = one_hot(3, 40)
    a, a_rc = m.stranded_activations(x), m.stranded_activations(reverse_complement(x))
    assert torch.allclose(a[:, 1], a_rc[:, 0].flip(-1), atol=1e-5)
    assert torch.allclose(a[:, 0], a_rc[:, 1].flip(-1), atol=1e-5)
    w = torch.randn(2, 4, 5)
    assert torch.equal(reverse_complement_filters(reverse_complement_filters(w)), w)


def test_folded_batch_norm_matches_pairwise_scanner():
    torch.manual_seed(0)
    m = get_model("argminn_pairwise", n_targets=1, input_length=30, n_filters=2, filter_width=4)
    m.train()
    for _ in range(3):
        m(one_hot(16, 30, seed=_))  # update running statistics
    m.eval()
    x = one_hot(2, 30, seed=9)
    z = torch.nn.functional.conv1d(x, m.motif_filters(), m.motif_bias())
    assert torch.allclose(torch.relu(z), m.motif_activations(x), atol=1e-5)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="input_length"):
        get_model("argminn", n_targets=1, input_length=10, filter_width=15)
    with pytest.raises(ValueError, match="hidden"):
        get_model("argminn", n_targets=1, input_length=50, hidden=30, n_heads=4)
    with pytest.raises(ValueError, match="pos_dim"):
        get_model("argminn", n_targets=1, input_length=50, pos_dim=5)
    with pytest.raises(ValueError, match="max_distance"):
        get_model("argminn_pairwise", n_targets=1, input_length=50, max_distance=-1)
    with pytest.raises(ValueError, match="pair_skip needs"):
        get_model("argminn", n_targets=1, input_length=50, pair_skip=True)
    m = get_model("argminn", n_targets=1, input_length=50, filter_width=5)
    with pytest.raises(ValueError, match="built for 50 bp"):
        m(one_hot(2, 60))


# ------------------------------------------------------------------------------------------------
# schedules and penalties
# ------------------------------------------------------------------------------------------------
def test_schedule_burn_in_log_linear_ramp_plateau():
    w = lambda e: schedule_weight(e, 0.5, burn_in=3, ramp=4, start_fraction=1e-4)  # noqa: E731
    assert [w(e) for e in range(3)] == [0.0, 0.0, 0.0]
    assert w(3) == pytest.approx(0.5e-4)
    assert w(5) == pytest.approx(0.5e-2)  # half-way in log space
    assert math.log(w(4)) - math.log(w(3)) == pytest.approx(math.log(w(6)) - math.log(w(5)))
    assert w(7) == w(50) == 0.5
    assert schedule_weight(0, 0.2, burn_in=0, ramp=0) == 0.2
    assert schedule_weight(10, 0.0, 0, 0) == 0.0


def test_sparsity_penalty_is_scale_free_and_bounded():
    w = torch.zeros(2, 4, 5)
    w[:, 1, 2] = 3.0
    assert filter_sparsity_penalty(w).item() == pytest.approx(1 / math.sqrt(20))
    dense = torch.ones(1, 4, 5)
    assert filter_sparsity_penalty(dense).item() == pytest.approx(1.0)
    r = torch.randn(3, 4, 5)
    assert filter_sparsity_penalty(7 * r).item() == pytest.approx(filter_sparsity_penalty(r).item(), rel=1e-5)


def _brute_overlap(profiles):
    c, w = profiles.shape
    out = torch.zeros(c, c, 2 * w - 1)
    for a in range(c):
        for b in range(c):
            for k in range(2 * w - 1):
                d = k - (w - 1)
                out[a, b, k] = sum(profiles[a, j + d] * profiles[b, j] for j in range(w) if 0 <= j + d < w)
            out[a, b] /= profiles[a].sum() * profiles[b].sum()
    return out


def test_overlap_matrix_small_case():
    p = torch.tensor([[1.0, 0.0, 2.0], [0.0, 3.0, 1.0]])
    o = overlap_matrix(p)
    assert torch.allclose(o, _brute_overlap(p), atol=1e-6)
    # filter 0 at window i, filter 1 at window i+1: 0's column 2 (weight 2) meets 1's column 1 (weight 3)
    assert o[0, 1, 3].item() == pytest.approx(2 * 3 / (3 * 4))
    # disjoint columns at offset 0 never overlap
    assert o[0, 1, 2].item() == pytest.approx(2 * 1 / 12)


@pytest.mark.parametrize("n_strands", [1, 2])
def test_overlap_penalty_equals_brute_force(n_strands):
    torch.manual_seed(1)
    n, f, w, length = 2, 3, 3, 7
    weights = torch.randn(f, 4, w)
    acts = torch.relu(torch.randn(n, n_strands, f, length))
    got = filter_overlap_penalty(weights, acts)

    prof = weights.abs().sum(1)
    if n_strands == 2:
        prof = torch.cat([prof, prof.flip(1)])
    o = _brute_overlap(prof)
    flat = acts.reshape(n, n_strands * f, length)
    scaled = flat / flat.amax(dim=(0, 2), keepdim=True)
    total = 0.0
    for s in range(n):
        for i in range(length):
            a = int(scaled[s, :, i].argmax())
            for b in range(n_strands * f):
                if b % f == a % f:
                    continue
                for d in range(-(w - 1), w):
                    if 0 <= i + d < length:
                        total += scaled[s, a, i] * scaled[s, b, i + d] * o[a, b, d + w - 1]
    assert got.item() == pytest.approx(float(total) / (n * length), rel=1e-5)


@pytest.mark.parametrize("penalty", [filter_overlap_penalty, filter_overlap_penalty_cofire])
def test_overlap_penalty_zero_for_far_apart_or_same_filter_firing(penalty):
    weights = torch.randn(2, 4, 3)
    acts = torch.zeros(1, 1, 2, 20)
    acts[0, 0, 0, 2], acts[0, 0, 1, 12] = 1.0, 1.0  # 10 bp apart, filters 3 wide
    assert abs(penalty(weights, acts).item()) < 1e-6  # zero up to the FFT convolution's rounding
    acts[0, 0, 1, 3] = 0.5  # now filter 1 fires one base from filter 0's winning site
    assert penalty(weights, acts).item() > 1e-3


def test_attention_entropy_bounds():
    uniform = torch.full((2, 1, 3, 10), 0.1)
    peaked = torch.zeros(2, 1, 3, 10)
    peaked[..., 4] = 1.0
    assert attention_entropy(uniform).item() == pytest.approx(1.0)
    assert attention_entropy(peaked).item() == pytest.approx(0.0, abs=1e-6)


def test_relative_position_bias_offsets():
    """A previous head attending only to j puts kernel[h, g, R + d] on token j + d (|d| <= R), zero elsewhere."""
    reach, length, j = 3, 12, 5
    kernel = torch.randn(2, 2, 2 * reach + 1)
    previous = torch.zeros(1, 2, length)
    previous[0, 1, j] = 1.0  # previous head 1 attends to j; head 0 attends nowhere
    bias = relative_position_bias(previous, kernel)
    assert bias.shape == (1, 2, length)
    for d in range(-reach, reach + 1):
        assert torch.allclose(bias[0, :, j + d], kernel[:, 1, reach + d])
    outside = [i for i in range(length) if abs(i - j) > reach]
    assert bias[0, :, outside].abs().max() < 1e-5  # zero up to the FFT convolution's rounding


def test_relative_bias_enters_the_second_layer_logits():
    """Zero-initialised, the bias changes nothing; otherwise layer 2's log-attention moves by exactly the bias
    computed from layer 1's attention (layer 1 and the stream it produces are unchanged)."""
    torch.manual_seed(0)
    kw = dict(n_targets=1, input_length=40, n_filters=3, filter_width=5, n_heads=2, hidden=8, stream_dim=16,
              pos_dim=6)
    plain = get_model("argminn", **kw).eval()
    rel = get_model("argminn", relative_range=6, relative_scale=2.0, **kw).eval()
    assert len(rel.relative) == 1 and rel.relative[0].shape == (2, 2, 13)
    rel.load_state_dict(plain.state_dict(), strict=False)
    x = one_hot(4, 40)
    assert torch.allclose(rel(x), plain(x))
    with torch.no_grad():
        rel.relative[0].normal_()
    _, att_plain = plain(x, return_attention=True)
    _, att = rel(x, return_attention=True)
    assert torch.allclose(att[:, 0], att_plain[:, 0])
    shift = att[:, 1].log() - att_plain[:, 1].log() - relative_position_bias(att[:, 0], 2.0 * rel.relative[0])
    assert torch.allclose(shift, shift[..., :1].expand_as(shift), atol=1e-4)  # equal up to the softmax constant


@pytest.mark.parametrize("shape", [(3, 4, 50, 5, 7, 3), (2, 3, 20, 4, 41, 20), (1, 1, 5, 1, 3, 0), (2, 3, 17, 2, 9, 0),
                                   (2, 3, 10, 2, 15, 10), (1, 2, 8, 2, 15, 12), (2, 5, 486, 3, 61, 30), (1, 2, 97, 2, 29, 14)])
def test_fft_conv1d_and_its_gradients_equal_conv1d(shape):
    """Values and both gradients of the FFT convolution (issue #15: custom backward) are conv1d's."""
    n, c, length, o, k, pad = shape
    g = torch.Generator().manual_seed(1)
    x = torch.randn(n, c, length, dtype=torch.float64, generator=g, requires_grad=True)
    w = torch.randn(o, c, k, dtype=torch.float64, generator=g, requires_grad=True)
    got, want = fft_conv1d(x, w, pad), torch.nn.functional.conv1d(x, w, padding=pad)
    assert torch.allclose(got, want, atol=1e-10)
    grad = torch.randn(want.shape, dtype=torch.float64, generator=g)
    for a, b in zip(torch.autograd.grad(got, (x, w), grad), torch.autograd.grad(want, (x, w), grad)):
        assert torch.allclose(a, b, atol=1e-10)
    small = (x[:1, :, :12].detach().clone().requires_grad_(), w[:2, :, :5].detach().clone().requires_grad_())
    assert torch.autograd.gradcheck(lambda x, w: fft_conv1d(x, w, min(pad, 4)), small)


def test_fft_conv1d_rejects_padding_beyond_the_kernel():
    with pytest.raises(ValueError, match="padding"):
        fft_conv1d(torch.randn(1, 1, 10), torch.randn(1, 1, 3), 3)


def test_factored_tokens_give_the_materialised_attention():
    """Attention over FactoredTokens (never materialised, issue #15) equals attention over the token tensor,
    values and gradients."""
    torch.manual_seed(0)
    layer = StreamCrossAttention(8, 16, 2, 8).double()
    maps = [torch.randn(3, 5, 30, dtype=torch.float64, requires_grad=True),
            torch.randn(3, 2, 30, dtype=torch.float64, requires_grad=True)]
    mixes = [torch.randn(8, 5, dtype=torch.float64), torch.randn(8, 2, dtype=torch.float64)]
    shared = torch.randn(30, 8, dtype=torch.float64)
    stream, bias = torch.randn(3, 16, dtype=torch.float64), torch.randn(3, 2, 30, dtype=torch.float64)
    factored = FactoredTokens(maps, mixes, shared)
    tokens = factored.materialise()
    assert torch.allclose(tokens[1, 4], maps[0][1, :, 4] @ mixes[0].T + maps[1][1, :, 4] @ mixes[1].T + shared[4])
    (u1, p1), (u2, p2) = layer(factored, stream, bias), layer(tokens, stream, bias)
    assert torch.allclose(u1, u2) and torch.allclose(p1, p2)
    g1 = torch.autograd.grad(u1.sum() + p1.square().sum(), maps)
    g2 = torch.autograd.grad(u2.sum() + p2.square().sum(), maps)
    assert all(torch.allclose(a, b) for a, b in zip(g1, g2))


def test_sinusoidal_encoding():
    enc = sinusoidal_encoding(50, 8)
    assert enc.shape == (50, 8)
    assert torch.allclose(enc[0], torch.tensor([0.0, 1.0] * 4))
    assert torch.allclose(enc[:, 0::2] ** 2 + enc[:, 1::2] ** 2, torch.ones(50, 4), atol=1e-5)


def test_regularization_follows_schedules():
    torch.manual_seed(0)
    m = get_model("argminn", n_targets=1, input_length=40, n_filters=3, filter_width=5, l1_weight=0.05,
                  l1_burn_in=2, l1_ramp=0, overlap_weight=0.5, overlap_burn_in=4, overlap_ramp=0,
                  entropy_weight=0.1, entropy_burn_in=6, entropy_ramp=0)
    m.train()
    m(one_hot(8, 40))
    r = [float(torch.as_tensor(m.regularization(e)).detach()) for e in (0, 2, 4, 6)]
    assert r[0] == 0.0 and 0 < r[1] < r[2] < r[3]
    assert r[1] == pytest.approx(0.05 * filter_sparsity_penalty(m.scanner.conv.weight).item(), rel=1e-5)
    loss = m.regularization(6)
    loss.backward()
    assert m.scanner.conv.weight.grad is not None and m.scanner.conv.weight.grad.abs().sum() > 0


# ------------------------------------------------------------------------------------------------
# pairwise head
# ------------------------------------------------------------------------------------------------
def test_pairwise_head_equals_brute_force():
    torch.manual_seed(0)
    m = get_model("argminn_pairwise", n_targets=2, input_length=12, n_filters=2, filter_width=3, max_distance=4)
    with torch.no_grad():
        m.pair.normal_()
    maps = torch.relu(torch.randn(3, 4, 10))
    got = m.pairwise_term(maps)
    k_eff = m.pair * m.pair_mask
    want = torch.zeros(3, 2)
    for n in range(3):
        for t in range(2):
            for a in range(4):
                for b in range(4):
                    for k in range(5):
                        for i in range(10 - k):
                            want[n, t] += k_eff[t, a, b, k] * maps[n, a, i] * maps[n, b, i + k]
    assert torch.allclose(got, want, atol=1e-4)


def test_pair_mask_stores_each_arrangement_once():
    m = get_model("argminn_pairwise", n_targets=1, input_length=40, n_filters=2, filter_width=3, max_distance=5)
    mask = m.pair_mask
    # offset 0: only a < b; same filter (either strand) closer than W: masked
    assert mask[1, 0, 0] == 0 and mask[0, 1, 0] == 1
    assert mask[0, 0, :3].sum() == 0 and mask[0, 2, :3].sum() == 0 and mask[0, 0, 3] == 1
    assert mask[0, 2, 3] == 1 and mask[3, 1, 1] == 0 and mask[3, 0, 1] == 1
    # the loss only sees stored entries
    with torch.no_grad():
        m.pair.fill_(1.0)
    assert torch.equal(m.pair_weights() == 0, mask[None] == 0)


# ------------------------------------------------------------------------------------------------
# configs train through `motifzoo fit`
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def spacing_table(tmp_path_factory):
    from motifzoo.data.simulate import simulate
    d = tmp_path_factory.mktemp("spacing")
    sim = simulate("spacing_small", seed=0, n=600)
    path = d / "spacing.tsv.gz"
    sim.write(path, d / "planted.meme", d / "sites.tsv")
    return path


@pytest.mark.parametrize("config", ["configs/argminn.yaml", "configs/argminn_pairwise.yaml"])
def test_config_trains_one_epoch(config, spacing_table, tmp_path):
    from clirun import fit
    ckpt = fit(["--config", config, "--data.path", str(spacing_table), "--trainer.max_epochs", "1",
                "--trainer.default_root_dir", str(tmp_path), "--trainer.enable_model_summary", "false"])
    import motifzoo
    model = motifzoo.load(ckpt)
    assert model.model_name == config.split("/")[-1].removesuffix(".yaml")
    assert model(one_hot(2, 150)).shape == (2, 1)


def test_pair_skip_adds_the_strongest_pair_feature_to_the_outputs():
    """pair_skip: out = the model without it + Linear(max over positions of the pair-context maps)."""
    kw = dict(n_targets=2, input_length=80, n_filters=3, filter_width=7, scanner_norm="pre", motif_skip=True,
              pair_range=10, pair_channels=4)
    torch.manual_seed(0)
    with_skip = get_model("argminn", pair_skip=True, **kw)  # train mode (batch statistics; no dropout)
    with torch.no_grad():
        with_skip.pair_context.normal_()  # zero at initialisation: give the maps something to carry
    without = get_model("argminn", **kw)
    missing, unexpected = without.load_state_dict(with_skip.state_dict(), strict=False)
    assert not missing and set(unexpected) == {"pair_skip.weight", "pair_skip.bias"}
    x = one_hot(5, 80, seed=3)
    maps = with_skip.scanner.stranded(x).reshape(5, 6, -1)  # pre-norm: the activations are the next-layer input
    assert (maps > 0).any()
    pair_maps = torch.nn.functional.conv1d(maps, with_skip.pair_context, padding=10)
    expected = without(x) + with_skip.pair_skip(pair_maps.amax(-1))
    torch.testing.assert_close(with_skip(x), expected, rtol=1e-4, atol=1e-4)
    # with the token path to the context cut (projection zeroed), only the skip gives the kernel a gradient
    for model in (with_skip, without):
        with torch.no_grad():
            model.pair_project.weight.zero_()
        model(x).sum().backward()
    assert with_skip.pair_context.grad.abs().sum() > 0
    assert without.pair_context.grad.abs().sum() == 0


# ------------------------------------------------------------------------------------------------
# checkpoint selection and early stopping after the penalty warm-up
# ------------------------------------------------------------------------------------------------
SMALL_ARGMINN = ["--model.arch_kwargs.n_filters", "3", "--model.arch_kwargs.filter_width", "7",
                 "--model.arch_kwargs.stream_dim", "16", "--model.arch_kwargs.pair_range", "5",
                 "--model.arch_kwargs.l1_burn_in", "1", "--model.arch_kwargs.l1_ramp", "1",
                 "--model.arch_kwargs.overlap_burn_in", "1", "--model.arch_kwargs.overlap_ramp", "1"]


def test_warmup_epochs_is_where_every_penalty_reaches_full_weight():
    kw = dict(n_targets=1, input_length=60, n_filters=3, filter_width=7)
    assert get_model("argminn", l1_burn_in=2, l1_ramp=3, overlap_burn_in=6, overlap_ramp=4, **kw).warmup_epochs() == 10
    assert get_model("argminn", l1_burn_in=2, l1_ramp=3, overlap_weight=0.0, **kw).warmup_epochs() == 5
    assert get_model("argminn", l1_weight=0.0, overlap_weight=0.0, entropy_weight=0.1, entropy_burn_in=7,
                     entropy_ramp=1, **kw).warmup_epochs() == 8
    assert get_model("argminn_pairwise", l1_burn_in=0, l1_ramp=0, overlap_burn_in=0, overlap_ramp=0, pair_burn_in=4,
                     pair_ramp=2, **kw).warmup_epochs() == 6
    assert get_model("expcnn_shallow", **kw).warmup_epochs() == 0


@pytest.mark.parametrize("after_warmup, max_epochs, best_epoch, last_epoch", [
    ("false", 6, 0, 1),  # epoch 0 is best (monitor `epoch`, min) and no later epoch improves: stop after epoch 1
    ("true", 6, 2, 3),   # warm-up of 2 epochs: epoch 2 is the first that counts; patience 1 stops after epoch 3
    ("true", 2, 0, 1),   # a run that cannot leave the warm-up selects as usual
])
def test_after_warmup_selects_and_stops_only_after_the_penalty_warmup(after_warmup, max_epochs, best_epoch,
                                                                       last_epoch, spacing_table, tmp_path):
    """`checkpoint.after_warmup` / `early_stopping.after_warmup`: with the model's penalties at full weight from
    epoch 2 (`warmup_epochs`), neither the best checkpoint nor the early-stopping count comes from epochs 0-1."""
    from clirun import fit
    best = Path(fit(["--config", "configs/argminn.yaml", "--data.path", str(spacing_table), *SMALL_ARGMINN,
                     "--trainer.max_epochs", str(max_epochs), "--trainer.default_root_dir", str(tmp_path),
                     "--trainer.enable_model_summary", "false", "--checkpoint.monitor", "epoch",
                     "--checkpoint.mode", "min", "--checkpoint.after_warmup", after_warmup,
                     "--early_stopping.min_delta", "1e9",  # only the first epoch that counts improves
                     "--early_stopping.patience", "1", "--early_stopping.after_warmup", after_warmup]))
    assert torch.load(best, weights_only=True)["epoch"] == best_epoch
    assert torch.load(best.with_name("last.ckpt"), weights_only=True)["epoch"] == last_epoch
