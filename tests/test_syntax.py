"""Syntax rules: arrangement conventions, rule tables from weights and data, instance calls, CLI, presets."""

import numpy as np
import pandas as pd
import pytest
import torch

import motifzoo
from motifzoo.interpret.syntax import (bh_qvalues, call_instances, canonical_arrangements, combine_rules, describe_rule,
                                       minimum_effect_p, motif_geometry, normal_two_sided, normal_upper, rule_columns,
                                       rule_size, rules_from_weights, stratified_permutation_z, syntax_rules)
from motifzoo.models import get_model
from clirun import run

CONSENSUS = ["GATTACAG", "CCTGAGTT"]
OFFSET = 12          # planted window offset = center distance (both motifs 8 bp, untrimmed)
LENGTH = 100


def codes(seq):
    return np.array(["ACGT".index(c) for c in seq])


def rc_codes(c):
    return 3 - c[::-1]


def hand_built_model(spikes):
    """argminn_pairwise with two exact-consensus filters (match +3, mismatch -1, threshold 1) and K spikes.

    ``spikes``: list of (channel a, channel b, window offset k, value); channel = filter + 2 * (strand is -).
    """
    m = get_model("argminn_pairwise", n_targets=1, input_length=LENGTH, n_filters=2, filter_width=8, max_distance=20)
    with torch.no_grad():
        w = torch.full((2, 4, 8), -1.0)
        for f, cons in enumerate(CONSENSUS):
            w[f, codes(cons), np.arange(8)] = 3.0
        m.scanner.conv.weight.copy_(w)
        m.additive.weight.zero_()
        m.additive.bias.zero_()
        m.pair.zero_()
        for a, b, k, v in spikes:
            m.pair[0, a, b, k] = v
    return m.eval()


def planted_sequences(n=300, seed=0):
    """Thirds: f0+ then f1- at OFFSET; its reverse-complement twin (f1+ then f0-); f0+ then f1+ 24-42 bp apart.

    Returns one-hot (n, 4, L), the sequences as strings and the planted sites.
    """
    rng = np.random.default_rng(seed)
    seqs = rng.integers(0, 4, size=(n, LENGTH))
    c0, c1 = codes(CONSENSUS[0]), codes(CONSENSUS[1])
    sites = []
    for i in range(n):
        s = int(rng.integers(5, 50))
        kind = i % 3
        if kind == 0:
            first, second, gap, strands = c0, rc_codes(c1), OFFSET, ("filter0", "+", "filter1", "-")
        elif kind == 1:
            first, second, gap, strands = c1, rc_codes(c0), OFFSET, ("filter1", "+", "filter0", "-")
        else:  # decoys spread over four other arrangements
            gap = (24, 30, 36, 42)[(i // 3) % 4]
            first, second, strands = c0, c1, ("filter0", "+", "filter1", "+")
        seqs[i, s:s + 8], seqs[i, s + gap:s + gap + 8] = first, second
        sites += [(i, s, strands[0], strands[1]), (i, s + gap, strands[2], strands[3])]
    x = torch.nn.functional.one_hot(torch.as_tensor(seqs), 4).float().transpose(1, 2)
    strings = ["".join("ACGT"[c] for c in row) for row in seqs]
    return x, strings, pd.DataFrame(sites, columns=["sequence", "position", "motif", "strand"])


SPIKES = [(0, 3, OFFSET, 1.0),   # filter0 + at i, filter1 - at i + 12
          (1, 2, OFFSET, 1.0)]   # its reverse-complement twin: filter1 + at i, filter0 - at i + 12


# ------------------------------------------------------------------------------------------------
# conventions
# ------------------------------------------------------------------------------------------------
def test_canonical_arrangements_merge_names_and_reverse_complements():
    a, b, d, sa, sb = canonical_arrangements([0, 1, 1, 0, 0], [1, 0, 0, 1, 1], [20, 20, -20, -20, 0],
                                             [True, False, True, False, False], [True, False, True, False, True])
    got = list(zip(a, b, d, sa, sb))
    assert got[0] == (0, 1, 20, True, True)
    assert got[1] == (0, 1, 20, True, True)          # (B, A, +20, --) is (A, B, +20, ++) read on the other strand
    assert got[2] == (0, 1, 20, True, True)          # (B, A, -20, ++) is the same arrangement, renamed
    assert got[3] == (0, 1, 20, True, True)          # (A, B, -20, --) ~ (B, A, -20, ++) = (A, B, +20, ++)
    assert got[4] == (0, 1, 0, True, False)          # (A-, B+) at 0 ~ (B-, A+) at 0 = (A+, B-) at 0
    a, b, d, sa, sb = canonical_arrangements([1], [0], [20], [False], [False], merge_rc=False)
    assert (a[0], b[0], d[0], sa[0], sb[0]) == (1, 0, 20, False, False)  # only renamed: distance made >= 0


def geometry_of(m, x=None):
    geo = motif_geometry(m, x)
    assert geo["width"].tolist() == [8, 8] and (geo["status"] == "kept").all()
    return geo


def test_weights_rules_read_k_in_the_units_the_pairwise_layer_multiplies():
    """With pair_input="log" the pairwise layer multiplies max(log m, 0): a rule's effect from a site
    activation s is the one an activation-input model gives for log s (not s, which for exp maps would
    inflate every effect)."""
    rng = np.random.default_rng(0)
    spikes = [(a, b, k, float(rng.laplace(0, 0.01))) for a in range(4) for b in range(4) for k in range(21)]
    spikes.append((0, 3, OFFSET, 1.0))
    plain, logged = hand_built_model(spikes), hand_built_model(spikes)
    logged.pair_input = "log"
    geo = geometry_of(plain)
    want = rules_from_weights(plain, geo, site_activation=np.full(2, 2.0), target_names=["y"])
    got = rules_from_weights(logged, geo, site_activation=np.full(2, np.exp(2.0)), target_names=["y"])
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-9)
    assert 1.9 < want.iloc[0]["effect"] < 2.1  # 1.0 x 2 x 2, averaged with its unset reverse-complement reading


def test_log_pair_input_is_the_positive_part_of_the_exp_score_and_has_finite_gradients():
    torch.manual_seed(0)
    m = get_model("argminn_pairwise", n_targets=1, input_length=LENGTH, n_filters=2, filter_width=8,
                  max_distance=20, activation="exp", pair_input="log")
    z = torch.tensor([-200.0, -1.0, 0.5, 3.0], requires_grad=True)
    out = m.pair_inputs(torch.exp(z))  # exp(-200) underflows to 0
    torch.testing.assert_close(out, torch.relu(z.detach()))
    out.sum().backward()
    assert torch.isfinite(z.grad).all() and z.grad.tolist() == [0.0, 0.0, 1.0, 1.0]
    with pytest.raises(ValueError, match="pair_input"):
        get_model("argminn_pairwise", n_targets=1, input_length=LENGTH, pair_input="sqrt")


def test_weights_test_calls_a_sharp_spacing_peak_but_not_a_broad_profile():
    rng = np.random.default_rng(0)
    noise = [(a, b, k, float(v)) for a in range(4) for b in range(4) for k in range(21)
             for v in [rng.laplace(0, 0.01)]]
    spike = hand_built_model(noise + [(0, 3, OFFSET, 2.0)])
    geo = geometry_of(spike)
    rules = rules_from_weights(spike, geo, site_activation=np.ones(2), target_names=["y"])
    assert set(rules.columns) == set(rule_columns(True)) and rules.attrs["n_tested"] == len(rules)
    top = rules.iloc[0]
    # filter0 + at window i (center i + 3.5), filter1 - at window i + 12 (center i + 15.5)
    assert (top["motif_a"], top["motif_b"], top["distance"], top["orientation"], top["kind"]) == \
        ("filter0", "filter1", 12.0, "+-", "heterotypic")
    assert top["q"] < 1e-3 and top["effect"] > 0.4
    assert (rules["q"] < 0.05).sum() == 1                                   # noise is not significant
    assert (rules["p"] < 0.05).mean() <= 0.1           # under pure noise p is not anti-conservative (Laplace tail)
    # a peak far above the noise but changing the log-odds by less than the margin (log 1.5) is no rule ...
    small = hand_built_model(noise + [(0, 3, OFFSET, 0.4)])
    rules = rules_from_weights(small, geo, site_activation=np.ones(2), target_names=["y"])
    assert rules.iloc[0]["distance"] == 12.0 and abs(rules.iloc[0]["z"]) > 10
    assert (rules["q"] < 0.05).sum() == 0
    # ... unless the margin is lowered
    rules = rules_from_weights(small, geo, site_activation=np.ones(2), target_names=["y"], min_effect=0.0)
    assert (rules["q"] < 0.05).sum() == 1 and rules.iloc[0]["distance"] == 12.0
    # "two sites beat one": the same pair raised at every offset and orientation is not a spacing rule
    broad = hand_built_model([(a, b, k, v + 0.5 * ((a % 2) != (b % 2))) for a, b, k, v in noise])
    rules = rules_from_weights(broad, geo, site_activation=np.ones(2), target_names=["y"])
    assert (rules["q"] < 0.05).sum() == 0


def test_normal_tails_do_not_underflow_before_float64_does():
    """Strong rules of the data tests keep distinct p-values (their order is their strength), not a tie at 0."""
    z = np.array([5.0, 8.0, 12.0, 20.0, 30.0])
    want = np.array([2.866515718791946e-07, 6.220960574271785e-16, 1.7764821120776e-33, 2.7536241186062e-89,
                     4.906713927148e-198])  # 0.5 erfc(z / sqrt 2), in extended precision
    np.testing.assert_allclose(normal_upper(z), want, rtol=1e-9)
    np.testing.assert_allclose(normal_upper(-z) + normal_upper(z), 1.0)
    p = minimum_effect_p([10.0, 14.0, 30.0], [1.0, 1.0, 1.0], np.log(1.5))
    assert 0 < p[2] < p[1] < p[0] < 1e-18


def test_rules_whose_p_underflows_are_ranked_by_effect_over_margin():
    """A weak copy of a motif with an otherwise empty row of weights must not outrank a strong planted rule.

    Both spikes are far beyond any null (p underflows to 0). The homotypic one sits on an empty row, its
    spread floored at that of all pairs, which is tiny (most weights are): its z is huge. The heterotypic
    one sits on a noisy row (a smaller z) but is 20 times larger.
    """
    m = get_model("argminn_pairwise", n_targets=1, input_length=LENGTH, n_filters=3, filter_width=8, max_distance=20)
    rng = np.random.default_rng(1)
    with torch.no_grad():
        w = torch.full((3, 4, 8), -1.0)
        for f, cons in enumerate(CONSENSUS + ["TTAGGCAT"]):
            w[f, codes(cons), np.arange(8)] = 3.0
        m.scanner.conv.weight.copy_(w)
        m.additive.weight.zero_()
        m.pair.zero_()
        for a in (0, 3):                 # channels: filter + 3 * (strand is -)
            for b in (1, 4):
                m.pair[0, a, b] = torch.as_tensor(rng.laplace(0, 0.01, size=21), dtype=torch.float32)
        for a in range(6):               # pairs with filter2: tiny weights (as an L1 penalty leaves them)
            for b in range(6):
                if 2 in (a % 3, b % 3):
                    m.pair[0, a, b] = torch.as_tensor(rng.laplace(0, 1e-5, size=21), dtype=torch.float32)
        m.pair[0, 0, 4, OFFSET] = 20.0   # filter0 + then filter1 -: the strong rule
        m.pair[0, 0, 0, 15] = 1.0        # filter0 twice: small, on an empty row
    m.eval()
    rules = rules_from_weights(m, motif_geometry(m), site_activation=np.ones(3), target_names=["y"])
    top2 = rules.iloc[:2]
    assert (top2["p"] == 0).all() and set(top2["kind"]) == {"heterotypic", "homotypic"}
    assert top2.iloc[0]["kind"] == "heterotypic" and top2.iloc[0]["effect"] > 5
    assert abs(top2.iloc[1]["z"]) > abs(top2.iloc[0]["z"])           # by |z| the weak rule would lead
    np.testing.assert_allclose(rule_size(rules), rules["effect"].abs() / np.log(1.5))
    # tables combined again (as spacing + co-occurrence are) are ranked by the same key
    both = combine_rules(rules.iloc[::-1], stranded=True)
    assert both.iloc[0]["kind"] == "heterotypic" and both["rank"].tolist() == list(range(1, len(rules) + 1))


def test_pvalues_of_the_permutation_test_are_uniform_under_the_null():
    rng = np.random.default_rng(1)
    n_tests, strata = 400, 4
    n = rng.integers(20, 60, size=(n_tests, strata)).astype(float)
    k = rng.binomial(n.astype(int), 0.3).astype(float)
    s1, s, ss = np.zeros_like(n), np.zeros_like(n), np.zeros_like(n)
    for i in range(n_tests):
        for j in range(strata):
            y = rng.normal(j, 1 + j, size=int(n[i, j]))       # strata differ in mean and spread
            s1[i, j], s[i, j], ss[i, j] = y[: int(k[i, j])].sum(), y.sum(), (y ** 2).sum()
    effect, z, holders, other = stratified_permutation_z(k, s1, n, s, ss)
    p = normal_two_sided(z)
    assert 0.03 < (p < 0.05).mean() < 0.08 and 0.07 < (p < 0.1).mean() < 0.14
    assert (bh_qvalues(p) < 0.05).sum() <= 2
    assert np.allclose(holders, k.sum(1)) and np.allclose(other, (n - k).sum(1))
    # a real difference in one stratum's holders is found
    s1[0] += 3.0 * k[0]
    assert normal_two_sided(stratified_permutation_z(k, s1, n, s, ss)[1])[0] < 1e-6


def test_motifs_with_one_jaspar_match_are_one_motif_centered_on_the_match():
    from motifzoo.interpret.syntax import motif_groups
    from motifzoo.motifs import Motif, load_jaspar
    ctcf = load_jaspar(["MA0139.2"])[0]
    assert ctcf.width == 15
    # two filters learned disjoint halves of CTCF, the second on the other strand: TOMTOM cannot align them
    # to each other, but both match CTCF, so they are one motif, and a site's center is CTCF's center
    halves = [Motif("filter0", ctcf.pwm[0:8], meta={"filter": 0}), Motif("filter1", ctcf.pwm[8:15][::-1, ::-1],
                                                                       meta={"filter": 1})]
    geometry = pd.DataFrame({"name": ["filter0", "filter1"], "status": "kept", "start": 0, "width": [8, 7]},
                            index=pd.Index([0, 1], name="filter"))
    geometry.attrs["motifs"] = halves
    groups = motif_groups(geometry)
    assert groups["unit"].nunique() == 1 and groups["motif_name"].tolist() == ["CTCF", "CTCF"]
    # centers 3.5 and 11 of CTCF's 0..14 columns, whose center is 7
    assert groups["flip"].tolist() == [False, True] and groups["shift"].tolist() == [-3.5, 4.0]
    apart = motif_groups(geometry, merge=False)
    assert apart["unit"].tolist() == [0, 1] and apart["shift"].tolist() == [-3.5, 4.0]
    unnamed = motif_groups(geometry, names=False)
    assert unnamed["unit"].tolist() == [0, 1] and unnamed["shift"].tolist() == [0.0, 0.0]
    # a named half-site spans the whole CTCF match (15 bp) for the overlap test; unnamed, only its own columns
    assert groups["extent"].tolist() == [15.0, 15.0]
    assert unnamed["extent"].tolist() == geometry["width"].astype(float).tolist()


def test_overlapping_arrangements_are_dropped():
    m = hand_built_model([(1, 2, 1, 1.0), (0, 1, 15, 0.01)])  # filter1 + at i, filter0 - at i + 1: overlap
    rules = rules_from_weights(m, motif_geometry(m), site_activation=np.ones(2))
    assert not (rules["distance"].abs() < 8).any()
    assert (rules_from_weights(m, motif_geometry(m), include_overlapping=True)["distance"].abs() < 8).any()


# ------------------------------------------------------------------------------------------------
# instances and data-derived rules on planted sequences
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def planted():
    return planted_sequences()


def test_instance_calls_have_pvalues_and_meet_a_precision_bound(planted):
    from motifzoo.interpret.instances import score_null, site_overlap
    x, _, sites = planted
    m = hand_built_model(SPIKES)
    geometry = geometry_of(m, x)
    null = score_null(m, x)
    calls = call_instances(m, x, geometry, p_threshold=1e-3, null=null)
    assert calls.attrs["n_null"] == null.n and (calls["p"] <= 1e-3).all()
    planted_sites = sites.assign(start=sites["position"], end=sites["position"] + 8)
    call_hit, site_hit = site_overlap(calls, planted_sites, match={"filter0": "filter0", "filter1": "filter1"})
    assert call_hit.mean() >= 0.9 and site_hit.mean() >= 0.9
    # on shuffled sequences the calls are about as rare as p says
    from motifzoo.data.encoding import codes_to_one_hot, one_hot_to_codes
    from motifzoo.data.shuffle import dinucleotide_shuffle
    shuffled = codes_to_one_hot(dinucleotide_shuffle(one_hot_to_codes(x).numpy().astype(np.uint8), 7)).float()
    background = call_instances(m, shuffled, geometry, p_threshold=1e-3, null=null)
    windows = len(x) * (LENGTH - 8 + 1) * 2
    assert len(background) <= 3 * 1e-3 * windows
    # redundant filters of one motif give one call per site
    from motifzoo.interpret.instances import merge_instances
    twice = pd.concat([calls, calls.assign(filter=calls["filter"] + 2, center=calls["center"] + 1)])
    merged = merge_instances(twice, {0: 0, 1: 1, 2: 0, 3: 1})
    assert len(merged) == len(calls)


def test_data_rules_call_the_planted_arrangement_only(planted):
    x, _, _ = planted
    m = hand_built_model(SPIKES)
    res = syntax_rules(m, x, method="data", p_threshold=1e-3, max_distance=50, all_rules=True, names=False)
    rules = res["rules"]
    top = rules.iloc[0]
    assert (top["motif_a"], top["motif_b"], top["distance"], top["orientation"]) == ("filter0", "filter1", 12.0, "+-")
    assert top["q"] < 1e-6 and top["effect"] > 0 and top["n"] >= 150 and top["method"] == "activations"
    sig = rules[rules["q"] < 0.05]
    assert set(sig["distance"].abs()) <= {12.0, 24.0, 30.0, 36.0, 42.0}   # the decoys are significantly lower
    assert (sig.loc[sig["distance"] != 12.0, "effect"] < 0).all()


def test_data_rules_test_arrangements_that_name_the_higher_filter_first():
    # filter1 + then filter0 + 12 bp downstream: canonically (filter1, filter0, 12, ++), upstream motif first.
    # Such arrangements were once dropped silently (strata were kept for filter pairs a < b only), so a
    # planted rule was or was not tested depending on which filter happened to learn which motif.
    rng = np.random.default_rng(3)
    n = 300
    seqs = rng.integers(0, 4, size=(n, LENGTH))
    c0, c1 = codes(CONSENSUS[0]), codes(CONSENSUS[1])
    for i in range(n):
        s = int(rng.integers(5, 50))
        gap = OFFSET if i % 2 == 0 else (24, 30, 36, 42)[(i // 2) % 4]
        seqs[i, s:s + 8], seqs[i, s + gap:s + gap + 8] = c1, c0
    x = torch.nn.functional.one_hot(torch.as_tensor(seqs), 4).float().transpose(1, 2)
    m = hand_built_model([(1, 0, OFFSET, 1.0),    # filter1 + at i, filter0 + at i + 12
                          (2, 3, OFFSET, 1.0)])   # its reverse-complement twin: filter0 - at i, filter1 - at i + 12
    rules = syntax_rules(m, x, method="data", p_threshold=1e-3, max_distance=50, all_rules=True, names=False,
                         co_occurrence=False)["rules"]
    top = rules.iloc[0]
    assert (top["motif_a"], top["motif_b"], top["distance"], top["orientation"]) == ("filter1", "filter0", 12.0, "++")
    assert top["q"] < 1e-6 and top["effect"] > 0 and top["n"] >= 100


def test_data_rules_do_not_call_co_occurrence_or_dosage(planted):
    x, _, _ = planted
    # the pair raised at every spacing (co-occurrence): no arrangement beats the others
    flat = hand_built_model([(a, b, k, 0.3) for a in range(4) for b in range(4) for k in range(21) if a % 2 != b % 2])
    rules = syntax_rules(flat, x, method="data", p_threshold=1e-3, max_distance=50, all_rules=True, names=False)
    assert len(rules["rules"]) >= 4 and (rules["rules"]["q"] >= 0.05).all()
    # dosage only: output = number of filter0 sites, 1-3 per sequence at random spacings; no homotypic rule
    rng = np.random.default_rng(5)
    seqs = rng.integers(0, 4, size=(600, LENGTH))
    for i in range(600):
        for s in rng.choice(np.arange(0, LENGTH - 8, 10), size=1 + i % 3, replace=False):
            seqs[i, s:s + 8] = codes(CONSENSUS[0])
    xd = torch.nn.functional.one_hot(torch.as_tensor(seqs), 4).float().transpose(1, 2)
    dose = hand_built_model([])
    with torch.no_grad():
        dose.additive.weight[0, 0] = 0.0
    # output = number of filter0 sites (either strand, at most one mismatch: what the calls find)
    dose.forward = lambda z: (dose.stranded_activations(z)[:, :, 0] > 18).float().sum((1, 2))[:, None]
    rules = syntax_rules(dose, xd, method="data", p_threshold=1e-3, max_distance=90, all_rules=True, names=False,
                         min_support=10)["rules"]
    assert (rules["kind"] == "homotypic").sum() >= 5 and (rules["q"] >= 0.05).all()


def test_rules_from_data_do_not_depend_on_chunking(planted):
    from motifzoo.interpret.syntax import motif_groups, predict_outputs, rules_from_data
    x, _, _ = planted
    m = hand_built_model(SPIKES)
    geometry = motif_geometry(m, x)
    calls = call_instances(m, x, geometry, p_threshold=1e-2)
    outputs = predict_outputs(m, x)
    groups = motif_groups(geometry, merge=False, names=False)
    whole = rules_from_data(m, x, calls, geometry, groups, outputs=outputs, min_support=5)
    chunked = rules_from_data(m, x, calls, geometry, groups, outputs=outputs, min_support=5, max_chunk_pairs=20)
    assert len(whole) > 3
    pd.testing.assert_frame_equal(whole, chunked)


# ------------------------------------------------------------------------------------------------
# co-occurrence: presence of two motifs anywhere
# ------------------------------------------------------------------------------------------------
def test_interaction_test_is_calibrated_and_ignores_effects_below_the_margin():
    from motifzoo.interpret.syntax import interaction_test
    rng = np.random.default_rng(2)
    n_tests, strata = 600, 2
    n = rng.integers(15, 80, size=(n_tests, strata, 4)).astype(float)
    s, ss = np.zeros_like(n), np.zeros_like(n)
    for i, j, c in np.ndindex(n_tests, strata, 4):
        # additive cell means (a: +1, b: -0.5, stratum: +2), unequal spreads: no interaction
        y = rng.normal(2 * j + (c & 1) - 0.5 * (c >> 1), 0.5 + c / 2, size=int(n[i, j, c]))
        s[i, j, c], ss[i, j, c] = y.sum(), (y ** 2).sum()
    effect, z, p, n_both, n_other, means = interaction_test(n, s, ss, 0.0)
    assert 0.03 < (p < 0.05).mean() < 0.08
    assert np.allclose(n_both, n[..., 3].sum(1)) and np.allclose(means @ [1, -1, -1, 1], effect)
    assert np.allclose(means[:, 1] - means[:, 0], 1, atol=0.6)
    # a margin: the same additive data is (almost) never called, a real interaction of 2.0 is
    assert (interaction_test(n, s, ss, 0.3)[2] < 0.05).mean() < 0.005
    both = np.arange(4) == 3                      # add 2.0 to every output of the both-present cells
    effect, _, p, _, _, _ = interaction_test(n, s + 2 * n * both, ss + (4 * s + 4 * n) * both, 0.3)
    assert np.allclose(effect.mean(), 2.0, atol=0.05) and (p < 1e-3).mean() > 0.9
    # strata with an empty cell carry no information
    n0 = n.copy()
    n0[:, :, 2] = 0
    assert np.isnan(interaction_test(n0, s, ss, 0.0)[2]).all()


def presence_sequences(n=240, seed=3):
    """One-hot (n, 4, L): a quarter each with neither motif, filter0's site, filter1's, both (random places, strands)."""
    rng = np.random.default_rng(seed)
    seqs = rng.integers(0, 4, size=(n, LENGTH))
    for i in range(n):
        starts = rng.permutation(np.arange(0, LENGTH - 8, 12))[:2]
        for f, start in zip((0, 1), starts):
            if (i % 4) >> f & 1:
                site = codes(CONSENSUS[f])
                seqs[i, start:start + 8] = site if rng.random() < 0.5 else rc_codes(site)
    return torch.nn.functional.one_hot(torch.as_tensor(seqs), 4).float().transpose(1, 2)


def presence_model(logit):
    """The hand-built scanner (no pair weights) whose output is ``logit(has filter0, has filter1)``."""
    m = hand_built_model([])
    def forward(z):
        has = (m.stranded_activations(z) > 18).any(-1).any(1).float()   # (N, filters): a site on either strand
        return logit(has[:, 0], has[:, 1])[:, None]
    m.forward = forward
    return m


@pytest.mark.parametrize("name,logit,sign", [
    ("cooperative", lambda a, b: 8 * a * b - 4, 1),          # both needed
    ("repression", lambda a, b: 8 * a * (1 - b) - 4, -1),   # filter1 cancels filter0
    ("one motif", lambda a, b: 6 * a - 3, 0),                # only filter0 matters
    ("additive", lambda a, b: torch.logit(0.1 + 0.4 * a + 0.4 * b), 0)])  # additive on the probability
def test_cooccurrence_rule_is_called_for_interacting_motifs_only(name, logit, sign):
    x = presence_sequences()
    res = syntax_rules(presence_model(logit), x, p_threshold=1e-3, all_rules=True, names=False)
    rules = res["rules"]
    co = rules[rules["rule"] == "co-occurrence"]
    assert len(co) == 1 and (rules["rule"] == "spacing").sum() == 0      # no pair weights: no spacing rule
    top = co.iloc[0]
    if sign == 0:
        assert top["q"] >= 0.05 and abs(top["effect"]) < 0.1, top.to_dict()
        return
    assert top["q"] < 1e-6 and np.sign(top["effect"]) == sign and abs(top["effect"]) > 0.8, top.to_dict()
    # the activator first; the cells as planted; the distance empty
    assert (top["motif_a"], top["motif_b"], top["kind"]) == ("filter0", "filter1", "heterotypic")
    assert np.isnan(top["distance"]) and top["orientation"] == "" and top["n"] >= 50
    assert top["mean_both"] > 0.9 if sign > 0 else (top["mean_a_only"] > 0.9 and top["mean_both"] < 0.1)
    words = describe_rule(top)
    assert ("cooperate" in words) if sign > 0 else ("filter1 represses filter0" in words), words


def test_cooccurrence_leaves_out_sequences_where_one_site_is_called_as_both():
    # filter0 also fires on 30 % of filter1's sites (a cross-reactive filter, as ExplaiNN's CEBPB unit on SRF
    # sites in gc_rich); the output follows the true filter0 sites only. Counted as "both present", those
    # sequences would read as "filter1 represses filter0" (interaction about -0.2).
    from motifzoo.interpret.syntax import rules_from_cooccurrence
    rng = np.random.default_rng(0)
    m = hand_built_model([])
    n = 800
    kind = np.arange(n) % 4
    has_a, has_b = np.isin(kind, (1, 3)), np.isin(kind, (2, 3))
    rows = []

    def call(i, f, start):
        rows.append({"sequence": i, "position": start, "end": start + 8, "center": start + 3.5, "strand": "+",
                     "motif": f"filter{f}", "filter": f, "score": 1.0, "p": 1e-5, "q": 1e-3, "activation": 1.0,
                     "attention": np.nan})
    for i in range(n):
        if has_a[i]:
            call(i, 0, 10)
        if has_b[i]:
            call(i, 1, 60)
            if rng.random() < 0.3:
                call(i, 0, 61)
    outputs = (np.where(has_a, 3.0, -3.0) + rng.normal(0, 0.3, n))[:, None]
    rules = rules_from_cooccurrence(m, pd.DataFrame(rows), motif_geometry(m), outputs=outputs)
    assert len(rules) == 1
    top = rules.iloc[0]
    assert top["q"] >= 0.05 and abs(top["effect"]) < 0.05, top.to_dict()
    assert 100 <= top["n"] <= 160          # the both-present sequences without a shared site (~140)


def test_cooccurrence_is_not_tested_for_a_pair_with_a_spacing_rule(planted):
    x, _, _ = planted
    m = hand_built_model(SPIKES)
    rules = syntax_rules(m, x, p_threshold=1e-3, max_distance=50, all_rules=True, names=False)["rules"]
    assert rules.iloc[0]["rule"] == "spacing" and rules.iloc[0]["q"] < 0.05
    assert (rules["rule"] == "co-occurrence").sum() == 0
    without = syntax_rules(m, x, p_threshold=1e-3, max_distance=50, all_rules=True, names=False,
                           co_occurrence=False)["rules"]
    assert len(without) == len(rules)


# ------------------------------------------------------------------------------------------------
# command line
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def planted_files(tmp_path_factory, planted):
    x, strings, _ = planted
    d = tmp_path_factory.mktemp("syntax")
    m = hand_built_model(SPIKES)
    motifzoo.save(m, d / "pairwise.ckpt", target_names=["y"], task="binary", input_length=LENGTH)
    cnn = get_model("expcnn_shallow", n_targets=1, input_length=LENGTH, n_filters=4, filter_width=8, pool_size=10)
    motifzoo.save(cnn, d / "cnn.ckpt", target_names=["y"], task="binary", input_length=LENGTH)
    table = d / "data.tsv"
    pd.DataFrame({"sequence": strings, "y": np.arange(len(strings)) % 3 == 0}).astype({"y": int}).to_csv(
        table, sep="\t", index=False)
    return d, table


def test_syntax_cli_writes_significant_rules_instances_and_histogram(planted_files, tmp_path):
    d, table = planted_files
    out, calls, png = tmp_path / "rules.tsv", tmp_path / "calls.tsv", tmp_path / "spacing.png"
    rc, stdout, err = run(["syntax", str(d / "pairwise.ckpt"), "-o", str(out), "--data", str(table), "--p", "1e-3",
                           "--method", "data", "--max-distance", "50", "--instances", str(calls), "--histogram",
                           str(png), "--no-names"])
    assert rc == 0, err
    rules = pd.read_csv(out, sep="\t")
    assert (rules["q"] < 0.05).all() and rules["rank"].tolist() == list(range(1, len(rules) + 1))
    assert tuple(rules.iloc[0][["motif_a", "motif_b", "distance", "orientation"]]) == ("filter0", "filter1", 12, "+-")
    assert "top rule: filter0 -> filter1 12 bp, orientation +-" in stdout
    rc, _, err = run(["syntax", str(d / "pairwise.ckpt"), "-o", str(tmp_path / "all.tsv"), "--data", str(table),
                      "--p", "1e-3", "--method", "data", "--max-distance", "50", "--all", "--no-names"])
    assert rc == 0, err
    every = pd.read_csv(tmp_path / "all.tsv", sep="\t")
    assert len(every) >= len(rules) and every["q"].between(0, 1).all() and (every["p"] <= every["q"]).all()
    assert (pd.read_csv(calls, sep="\t")["p"] <= 1e-3).all()
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the same names `motifzoo motifs` writes for this checkpoint and data
    meme = tmp_path / "m.meme"
    assert run(["motifs", str(d / "pairwise.ckpt"), "-o", str(meme), "--data", str(table)])[0] == 0
    from motifzoo.motifs import read_meme
    assert set(rules["motif_a"]) | set(rules["motif_b"]) <= {mm.name for mm in read_meme(meme)}
    rc, _, err = run(["syntax", str(d / "pairwise.ckpt"), "-o", str(out), "--data", str(table)])
    assert rc == 2 and "--force" in err


def test_syntax_cli_min_effect_sets_the_spacing_null(planted_files, tmp_path):
    d, table = planted_files
    common = ["syntax", str(d / "pairwise.ckpt"), "--data", str(table), "--p", "1e-3", "--method", "data",
              "--max-distance", "50", "--no-names"]
    # the planted arrangement is significant at the default margin (previous test); this hand-built model moves
    # the log-odds by hundreds, so a margin of 1000 leaves no spacing rule
    rc, stdout, err = run(common + ["-o", str(tmp_path / "huge.tsv"), "--min-effect", "1000"])
    assert rc == 0, err
    assert pd.read_csv(tmp_path / "huge.tsv", sep="\t").query("rule == 'spacing'").empty
    rc, _, err = run(common + ["-o", str(tmp_path / "neg.tsv"), "--min-effect", "-1"])
    assert rc == 2 and "--min-effect must be >= 0, got -1" in err and "Traceback" not in err


def test_instances_cli(planted_files, tmp_path):
    d, table = planted_files
    out = tmp_path / "calls.tsv"
    rc, stdout, err = run(["instances", str(d / "pairwise.ckpt"), "--data", str(table), "-o", str(out),
                           "--p", "1e-3", "--no-merge"])
    assert rc == 0, err
    calls = pd.read_csv(out, sep="\t")
    assert 550 <= len(calls) <= 700 and set(calls["strand"]) == {"+", "-"} and (calls["p"] <= 1e-3).all()
    rc, _, err = run(["instances", str(d / "pairwise.ckpt"), "-o", str(tmp_path / "x.tsv")])
    assert rc == 2 and "--data" in err


def test_instances_and_syntax_name_motifs_alike(planted_files, tmp_path, monkeypatch):
    d, table = planted_files
    # both commands group filters the same way: named groups (merged by JASPAR match, representative chosen
    # by it) unless --no-names; a model trained on JASPAR motifs gets different ids otherwise
    import motifzoo.interpret.syntax as syntax_module
    seen, groups_of = [], syntax_module.motif_groups
    monkeypatch.setattr(syntax_module, "motif_groups",
                        lambda *a, **k: seen.append(k.get("names", True)) or groups_of(*a, **k))
    own, via_syntax = tmp_path / "calls.tsv", tmp_path / "syntax_calls.tsv"
    rc, _, err = run(["instances", str(d / "pairwise.ckpt"), "--data", str(table), "-o", str(own), "--p", "1e-3"])
    assert rc == 0, err
    rc, _, err = run(["syntax", str(d / "pairwise.ckpt"), "--data", str(table), "-o", str(tmp_path / "r.tsv"),
                      "--p", "1e-3", "--instances", str(via_syntax)])
    assert rc == 0, err
    a, b = pd.read_csv(own, sep="\t", keep_default_na=False), pd.read_csv(via_syntax, sep="\t", keep_default_na=False)
    key = ["sequence", "position", "strand", "motif", "motif_name"]
    assert len(a) > 100 and a[key].sort_values(key).values.tolist() == b[key].sort_values(key).values.tolist()
    assert seen == [True, True]
    rc, _, err = run(["instances", str(d / "pairwise.ckpt"), "--data", str(table), "-o", str(tmp_path / "n.tsv"),
                      "--p", "1e-3", "--no-names"])
    assert rc == 0 and seen == [True, True, False], err


def test_syntax_cli_for_models_without_syntax_layer(planted_files, tmp_path):
    d, table = planted_files
    rc, _, err = run(["syntax", str(d / "cnn.ckpt"), "-o", str(tmp_path / "r.tsv")])
    assert rc == 2 and "no syntax layer" in err and "--data" in err
    rc, _, err = run(["syntax", str(d / "cnn.ckpt"), "-o", str(tmp_path / "r.tsv"), "--method", "weights",
                      "--data", str(table)])
    assert rc == 2 and "no syntax layer" in err
    # an untrained CNN has no syntax: nothing significant, and the user is told so
    rc, stdout, err = run(["syntax", str(d / "cnn.ckpt"), "-o", str(tmp_path / "r.tsv"), "--data", str(table),
                           "--keep-all", "--no-names"])
    assert rc == 0, err
    assert "no significant syntax rules at q < 0.05" in stdout
    assert list(pd.read_csv(tmp_path / "r.tsv", sep="\t").columns) == rule_columns(False)
    rc, _, err = run(["syntax", str(d / "cnn.ckpt"), "-o", str(tmp_path / "r2.tsv"), "--data", str(tmp_path / "no.tsv")])
    assert rc == 2 and "no.tsv" in err


# ------------------------------------------------------------------------------------------------
# simulator presets
# ------------------------------------------------------------------------------------------------
def _pair_arrangements(sim):
    s = sim.sites
    a = s[s["role"] == "a"].set_index("sequence")
    b = s[s["role"] == "b"].set_index("sequence")
    j = a.join(b, how="inner", lsuffix="_a", rsuffix="_b")
    width_a = j["end_a"] - j["start_a"]
    width_b = j["end_b"] - j["start_b"]
    dist = (j["start_b"] + (width_b - 1) / 2) - (j["start_a"] + (width_a - 1) / 2)
    return pd.DataFrame({"distance": dist, "orientation": j["strand_a"] + j["strand_b"]}, index=j.index)


def test_spacing_preset_plants_the_recorded_rule_only_in_positives():
    from motifzoo.data.simulate import simulate
    sim = simulate("spacing_small", seed=3, n=400)
    rule = sim.targets.attrs["rules"][0]
    assert (rule["distance"], rule["orientation"], rule["kind"]) == (20, "++", "spacing")
    y = sim.targets.iloc[:, 0].to_numpy()
    arr = _pair_arrangements(sim)
    planted = ((arr["orientation"] == "++") & (arr["distance"] == 20)) | \
              ((arr["orientation"] == "--") & (arr["distance"] == -20))   # the pair on the other strand
    pos = np.flatnonzero(y == 1)
    assert set(pos) == set(arr.index[planted])                             # every positive, no negative
    near = (((arr["orientation"] == "++") & ((arr["distance"] - 20).abs() <= 4)) |
            ((arr["orientation"] == "--") & ((arr["distance"] + 20).abs() <= 4)))
    assert not near[~planted].any()
    assert (y[arr.index[~planted]] == 0).all() and len(arr.index[~planted]) > 50   # decoys: both motifs, other arrangement
    assert (sim.sites["role"] == "distractor").sum() > 100
    assert len(sim.sequences[0]) == 150


@pytest.mark.parametrize("preset,expect", [("cooperative", lambda a, b: a & b), ("repression", lambda a, b: a & ~b)])
def test_combination_presets_label_by_rule(preset, expect):
    from motifzoo.data.simulate import simulate
    sim = simulate(preset, seed=1, n=300)
    has = lambda role: np.isin(np.arange(300), sim.sites.loc[sim.sites["role"] == role, "sequence"])  # noqa: E731
    assert np.array_equal(sim.targets.iloc[:, 0].to_numpy().astype(bool), expect(has("a"), has("b")))
    assert sim.targets.attrs["rules"][0]["kind"] == preset


def test_planted_rules_and_bad_arguments():
    from motifzoo.data.simulate import simulate
    from motifzoo.data.simulate_syntax import planted_rules
    rules = planted_rules("spacing")
    assert rules.iloc[0][["motif_a", "motif_b", "distance", "orientation"]].tolist() == ["MA0148.5", "MA0060.4", 20, "++"]
    with pytest.raises(KeyError, match="not a syntax preset"):
        planted_rules("multilabel")
    with pytest.raises(ValueError, match="orientation"):
        simulate("spacing", n=10, orientation="+x")
    with pytest.raises(ValueError, match="overlap"):
        simulate("spacing", n=10, distance=3)
