"""argminn_pairwise's K controls (#14): ``pair_burn_in`` holds K at zero, ``pair_scale`` slows it under Adam.

The defaults must reproduce the old model exactly (old checkpoints load and give the same outputs).
"""
import pytest
import torch

from motifzoo import one_hot as one_hot_sequences
from motifzoo.models import get_model


def one_hot(n, length, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.nn.functional.one_hot(torch.randint(0, 4, (n, length), generator=g), 4).float().transpose(1, 2)


def small(**kw):
    torch.manual_seed(0)
    return get_model("argminn_pairwise", n_targets=2, input_length=40, n_filters=3, filter_width=5, max_distance=8,
                     **kw)


def test_defaults_are_the_old_model():
    """An old state dict loads into the new defaults and gives the same outputs; pair_scale=1 stores K as is."""
    old, new = small(), small(pair_burn_in=0, pair_scale=1.0)
    with torch.no_grad():
        old.pair.normal_()
    assert new.load_state_dict(old.state_dict()) is not None
    old.eval(), new.eval()
    x = one_hot(4, 40)
    assert torch.equal(old(x), new(x))
    assert torch.equal(old.pair_weights(), new.pair_weights())


def test_pair_scale_multiplies_the_stored_kernel():
    m = small(pair_scale=0.1)
    with torch.no_grad():
        m.pair.fill_(2.0)
    k = m.pair_weights()
    assert torch.allclose(k[m.pair_mask.expand_as(k) > 0], torch.full_like(k[m.pair_mask.expand_as(k) > 0], 0.2))
    # the penalties see K, not the stored parameter: L1 of K = 0.2 * entries
    m.pair_smooth = 0.0
    m.l1_schedule = (0.0, 0, 0)
    m.overlap_schedule = (0.0, 0, 0)
    reg = m.regularization(epoch=0)
    assert torch.isclose(reg, torch.tensor(m.pair_l1 * 0.2 * float(m.pair_mask.sum()) * 2), rtol=1e-5)


def test_pair_scale_slows_adam_steps_on_k():
    """One Adam step moves the stored parameter by about lr, so K moves by about pair_scale * lr."""
    steps = {}
    for scale in (1.0, 0.1):
        m = small(pair_scale=scale, pair_l1=0.0, pair_smooth=0.0)
        m.train()
        opt = torch.optim.Adam([m.pair], lr=1e-2)
        before = m.pair_weights().detach().clone()
        loss = m(one_hot(16, 40)).sum()
        loss.backward()
        opt.step()
        steps[scale] = (m.pair_weights().detach() - before).abs().max().item()
    assert abs(steps[1.0] - 1e-2) < 1e-4
    assert abs(steps[0.1] - 1e-3) < 1e-5


def test_pair_burn_in_holds_k_at_zero():
    """Before pair_burn_in, no gradient reaches K and its penalties are off; from then on K trains."""
    m = small(pair_burn_in=2, pair_l1=1e-2)
    m.train()
    x = one_hot(16, 40)
    for epoch in (0, 1):
        m.regularization(epoch)
        m.zero_grad()
        (m(x).sum() + m.regularization(epoch)).backward()
        assert m.pair.grad is None or torch.count_nonzero(m.pair.grad) == 0
        assert m.scanner.conv.weight.grad is not None and torch.count_nonzero(m.scanner.conv.weight.grad) > 0
    m.regularization(2)
    m.zero_grad()
    m(x).sum().backward()
    assert torch.count_nonzero(m.pair.grad) > 0
    # evaluation never detaches: with K at zero the pairwise term is zero either way
    m.eval()
    assert torch.equal(m.pairwise_term(torch.zeros(2, 6, 36)), torch.zeros(2, 2))


def test_bad_k_arguments_are_named():
    with pytest.raises(ValueError, match="pair_scale"):
        small(pair_scale=0.0)
    with pytest.raises(ValueError, match="pair_burn_in"):
        small(pair_burn_in=-1)


def test_pair_ramp_switches_k_on_log_linearly_after_the_burn_in():
    """K = f * pair_scale * pair, f from ramp_start to 1 over pair_ramp epochs after pair_burn_in (#15)."""
    m = small(pair_burn_in=2, pair_ramp=4, pair_scale=0.5, ramp_start=1e-3)
    with torch.no_grad():
        m.pair.fill_(1.0)
    on = m.pair_mask.expand_as(m.pair) > 0
    for epoch, f in ((2, 1e-3), (4, 1e-3 ** 0.5), (6, 1.0), (9, 1.0)):
        m.regularization(epoch)
        k = m.pair_weights()[on]
        assert torch.allclose(k, torch.full_like(k, 0.5 * f), rtol=1e-5), epoch
    # the same K reaches the outputs: f scales the pairwise term itself
    maps = torch.rand(3, 6, 36)
    m.regularization(4)
    mid = m.pairwise_term(maps)
    m.regularization(6)
    assert torch.allclose(mid, m.pairwise_term(maps) * 1e-3 ** 0.5, rtol=1e-4)


def test_the_epoch_is_saved_so_a_checkpoint_taken_during_the_ramp_predicts_as_validated(tmp_path):
    import motifzoo
    m = small(pair_burn_in=1, pair_ramp=4)
    with torch.no_grad():
        m.pair.normal_()
    m.regularization(3)
    m.eval()
    x = one_hot(4, 40)
    want = m(x)
    motifzoo.save(m, tmp_path / "mid_ramp.pt")
    back = motifzoo.load(tmp_path / "mid_ramp.pt").eval()
    assert int(back.epoch) == 3
    assert torch.allclose(back(x), want, atol=1e-6)
    # a state dict from before the epoch was saved still loads (no ramp then: the epoch only matters for resuming)
    old = {k: v for k, v in small().state_dict().items() if k != "epoch"}
    fresh = small()
    fresh.load_state_dict(old)
    assert int(fresh.epoch) == 0


def test_bad_pair_ramp_is_named():
    with pytest.raises(ValueError, match="pair_ramp"):
        small(pair_ramp=-1)


def _adam_step_output_change(model, maps, lr=1e-2):
    """Change of the pairwise term on ``maps`` after one Adam step on K from zero (loss = the term's sum)."""
    opt = torch.optim.Adam([model.pair], lr=lr)
    model.pairwise_term(maps).sum().backward()
    opt.step()
    with torch.no_grad():
        return model.pairwise_term(maps).abs().max().item()


def test_pair_norm_makes_k_steps_independent_of_the_map_scale():
    """With pair_norm, an Adam step on K changes the outputs equally for maps c times larger (exp maps: sites
    hundreds of times their background); without it the change grows as c^2 (the switch-on shock, #15)."""
    g = torch.Generator().manual_seed(1)
    maps = torch.rand(8, 6, 36, generator=g) ** 4  # (N, C = 2 strands x 3 filters, L'): peaky, non-negative
    change = {}
    for norm in (False, True):
        for c in (1.0, 100.0):
            m = small(pair_norm=norm, pair_l1=0.0, pair_smooth=0.0)
            m.train()
            for _ in range(200):  # running peak converges (lerp 0.1 per training call)
                with torch.no_grad():
                    m.pairwise_term(c * maps)
            change[norm, c] = _adam_step_output_change(m, c * maps)
    assert abs(change[True, 100.0] / change[True, 1.0] - 1) < 1e-3
    assert abs(change[False, 100.0] / change[False, 1.0] - 1e4) < 10


def test_pair_norm_reads_k_per_unit_of_the_maps_and_keeps_old_checkpoints():
    """pair_weights() is K per unit of the maps (the stored peak-unit K over peak_a * peak_b), the
    penalties act on the peak-unit K, the peak is updated in training only, and a state dict from before
    pair_norm (no map_peak) loads."""
    m = small(pair_norm=True, pair_scale=0.5, pair_smooth=0.0, pair_l1=1.0)
    with torch.no_grad():
        m.pair.fill_(2.0)
        m.map_peak.copy_(torch.arange(1.0, 7.0))
    k, peak = m.pair_weights(), m.map_peak
    mask = m.pair_mask.expand_as(k) > 0
    expected = (1.0 / (peak[:, None, None] * peak[None, :, None])).expand_as(k)
    assert torch.allclose(k[mask], expected[mask])
    pair_penalty = (m.regularization(epoch=0) - m._filter_penalties(0)).item()
    assert abs(pair_penalty - mask.sum().item()) < 1e-3 * mask.sum().item()
    m.eval()
    m(one_hot(4, 40))
    assert torch.equal(m.map_peak, torch.arange(1.0, 7.0))
    m.train()
    m(one_hot(4, 40))
    assert not torch.equal(m.map_peak, torch.arange(1.0, 7.0))
    old = {k: v for k, v in small().state_dict().items() if k != "map_peak"}
    small().load_state_dict(old)


def test_bad_pair_norm_is_named():
    with pytest.raises(ValueError, match="pair_norm"):
        small(pair_norm="yes")


def _consensus_model(dosage, position_bins=1, position_burn_in=0):
    """One exp filter that scores the 5-mer ACGTT (+2 per matching base, batch norm as identity, threshold -6),
    additive weights and K at zero: only the dosage term can make the output move."""
    torch.manual_seed(0)
    m = get_model("argminn_pairwise", n_targets=1, input_length=40, n_filters=1, filter_width=5, max_distance=8,
                  activation="exp", strands="forward", dosage=dosage, pair_input="log",
                  position_bins=position_bins, position_burn_in=position_burn_in).eval()
    with torch.no_grad():
        w = torch.zeros(1, 4, 5)
        for i, c in enumerate("ACGTT"):
            w[0, "ACGT".index(c), i] = 2.0
        m.scanner.conv.weight.copy_(w)
        m.scanner.bn.running_mean.zero_(), m.scanner.bn.running_var.fill_(1.0 - m.scanner.bn.eps)
        m.scanner.bn.weight.fill_(1.0), m.scanner.bn.bias.fill_(-6.0)
        m.additive.weight.zero_(), m.additive.bias.zero_()
        if dosage:
            m.dosage.weight.fill_(1.0)
    return m


def _with_sites(starts, length=40):
    seq = ["G"] * length  # G never starts ACGTT, and scores at most +2 against it
    for s in starts:
        seq[s:s + 5] = "ACGTT"
    return one_hot_sequences(["".join(seq)])


def test_dosage_makes_every_further_site_count():
    """With dosage each site adds B * max(log m, 0) = 1 * (10 - 6) = 4 to the output; the max-pool alone
    (additive weights, here 0) cannot tell one site from three."""
    m = _consensus_model(dosage=True)
    outs = [m(_with_sites(starts)).item() for starts in ([], [3], [3, 20], [3, 20, 30])]
    assert outs[0] == 0.0
    assert [round(b - a, 4) for a, b in zip(outs, outs[1:])] == [4.0, 4.0, 4.0]
    plain = _consensus_model(dosage=False)
    assert plain(_with_sites([3])).item() == plain(_with_sites([3, 20, 30])).item()


def test_dosage_starts_as_the_max_pool_model_and_is_named_when_bad():
    """B starts at zero (the same outputs as without it); a model saved without dosage loads as before."""
    x = one_hot(4, 40)
    with_b, without = small(dosage=True).eval(), small().eval()
    assert torch.equal(with_b(x), without(x))
    assert without.dosage is None and "dosage.weight" in with_b.state_dict()
    with pytest.raises(ValueError, match="dosage must be true or false"):
        small(dosage="yes")


def test_site_weights_read_the_dosage_term():
    """motif_site_weights() is B as (F, T), the weight the output gains per unit of each further site."""
    m = _consensus_model(dosage=True)
    torch.testing.assert_close(m.motif_site_weights(), torch.ones(1, 1))
    with torch.no_grad():
        m.dosage.weight.fill_(0.5)
    before, after = m(_with_sites([3])).item(), m(_with_sites([3, 20])).item()
    assert after - before == pytest.approx(m.motif_site_weights().item() * 4.0, abs=1e-4)
    assert _consensus_model(dosage=False).motif_site_weights() is None


def test_position_bins_weigh_a_site_by_where_it_sits():
    """36 windows in 4 bins of 9; A at 0 and P only on bin 2 (windows 18-26): the output is that bin's strongest
    window, e^(10 - 6) with the site there, the background's with the same site in bin 0 or 3. Without bins the
    same site gives the same output wherever it is."""
    m = _consensus_model(dosage=False, position_bins=4)
    with torch.no_grad():
        m.position.copy_(torch.tensor([[0.0, 0.0, 1.0, 0.0]]))
    background = m(_with_sites([])).item()
    assert 0 < background < 0.1
    at = {start: m(_with_sites([start])).item() for start in (3, 20, 30)}
    assert at[20] == pytest.approx(torch.e ** 4, rel=1e-5)
    assert at[3] == pytest.approx(background) and at[30] == pytest.approx(background)
    plain = _consensus_model(dosage=False)
    with torch.no_grad():
        plain.additive.weight.fill_(1.0)
    assert len({round(plain(_with_sites([start])).item(), 4) for start in (3, 20, 30)}) == 1


def test_position_bins_start_as_the_position_free_model_and_read_p():
    """P starts at zero (the same outputs as without bins; old checkpoints load into position_bins=1);
    motif_position_weights() is P as (F, T, bins), filter-major as the binned columns, beside A unchanged."""
    x = one_hot(4, 40)
    binned, plain = small(position_bins=3).eval(), small().eval()
    assert torch.equal(binned(x), plain(x))
    assert plain.position is None and plain.motif_position_weights() is None
    # P draws no random numbers: every other parameter is initialised as without bins
    for name, value in plain.state_dict().items():
        assert torch.equal(binned.state_dict()[name], value), name
    assert small(position_bins=1).load_state_dict(plain.state_dict()) is not None
    with torch.no_grad():
        binned.position.copy_(torch.arange(18.0).view(2, 9))  # (T, F * bins), column f * 3 + b
    p = binned.motif_position_weights()
    assert p.shape == (3, 2, 3)
    assert p[1, 0].tolist() == [3.0, 4.0, 5.0] and p[2, 1].tolist() == [15.0, 16.0, 17.0]
    torch.testing.assert_close(binned.motif_target_weights(), plain.motif_target_weights())


def test_position_burn_in_leaves_the_per_bin_term_out():
    """Before position_burn_in the outputs are the position-free model's whatever P holds (and P takes no step);
    from that epoch on P counts. The warm-up waits for it."""
    x = _with_sites([20])
    binned, plain = _consensus_model(False, position_bins=4, position_burn_in=5), _consensus_model(False)
    with torch.no_grad():
        binned.position.copy_(torch.tensor([[0.0, 0.0, 1.0, 0.0]]))  # the site's bin only
    binned.regularization(4)
    assert torch.equal(binned(x), plain(x))
    binned.regularization(5)
    assert binned(x).item() == pytest.approx(plain(x).item() + torch.e ** 4, rel=1e-4)
    assert small(position_bins=3, position_burn_in=25).warmup_epochs() == 25
    assert small(position_burn_in=25).warmup_epochs() < 25  # no bins: nothing to wait for
    with pytest.raises(ValueError, match="position_burn_in must be >= 0"):
        small(position_bins=3, position_burn_in=-1)


def test_training_is_the_position_free_models_until_the_burn_in_ends():
    """Same seed, dropout on: Adam steps during position_burn_in give the position-free model's parameters exactly
    (P draws no random numbers and, left out, no dropout mask)."""
    x, y = one_hot(16, 40, seed=3), torch.rand(16, 2)
    runs = []
    for kw in ({}, {"position_bins": 3, "position_burn_in": 5}):
        torch.manual_seed(1)
        m = get_model("argminn_pairwise", n_targets=2, input_length=40, n_filters=3, filter_width=5, max_distance=8,
                      dropout=0.3, **kw).train()
        opt = torch.optim.Adam(m.parameters(), lr=1e-2)
        for step in range(4):
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(m(x), y) + m.regularization(step)
            loss.backward()
            opt.step()
        runs.append(m.state_dict())
    plain, binned = runs
    for name, value in plain.items():
        assert torch.equal(binned[name], value), name
    assert not binned["position"].any()


@pytest.mark.parametrize("bad", [0, 37, 2.5, True, "5"])
def test_bad_position_bins_are_named(bad):
    with pytest.raises(ValueError, match="position_bins must be an integer from 1 to .* = 36"):
        small(position_bins=bad)

