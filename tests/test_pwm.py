import numpy as np
import torch

import motifzoo
from motifzoo.data.encoding import one_hot
from motifzoo.interpret import activation_counts, filters_to_pwms, model_motifs
from motifzoo.interpret.pwm import enrichment_pvalues, shuffled_site_counts


def test_weights_to_pwm_inverts_log_odds():
    rng = np.random.default_rng(0)
    pwm = rng.dirichlet(np.ones(4), size=9)  # (W, 4)
    bg = np.array([0.3, 0.2, 0.2, 0.3])
    w = np.log(pwm / bg).T[None] + 0.7  # a log-odds filter, plus a per-column constant
    back = filters_to_pwms(w, beta=1.0, background=bg)
    np.testing.assert_allclose(back[0], pwm, atol=1e-10)


def _model_with_planted_filter(motif="TGACTCA"):
    m = motifzoo.get_model("expcnn_shallow", n_targets=1, input_length=60, n_filters=2, filter_width=7,
                           pool_size=5)
    with torch.no_grad():
        m.scanner.conv.weight.zero_()
        m.scanner.conv.weight[0] = 3.0 * one_hot([motif])[0] - 1.0
        m.scanner.bn.weight.fill_(1.0)
        m.scanner.bn.bias.zero_()
    return m.eval()


def test_activation_alignment_recovers_planted_motif():
    rng = np.random.default_rng(0)
    seqs = []
    for i in range(200):
        s = list(rng.choice(list("ACGT"), 60))
        if i % 2 == 0:
            p = rng.integers(0, 53)
            s[p:p + 7] = "TGACTCA"
        seqs.append("".join(s))
    x = one_hot(seqs)
    m = _model_with_planted_filter()
    counts, nsites, maxima, n = activation_counts(m, x, threshold=0.9, batch_size=32)
    assert n == 200 and nsites[0] >= 100
    consensus = "".join("ACGT"[i] for i in counts[0].argmax(1))
    assert consensus == "TGACTCA"
    motifs, table = model_motifs(m, x, threshold=0.9, min_ic=3.0)
    kept = table[table.status == "kept"]
    assert list(kept["name"]) == ["filter0"]  # the zero filter is dead or flat, not exported
    assert motifs[0].nsites == nsites[0]
    assert "".join("ACGT"[i] for i in motifs[0].pwm.argmax(1)) == "TGACTCA"


def test_activation_counts_stream_equals_whole():
    m = _model_with_planted_filter()
    x = one_hot(["".join(np.random.default_rng(i).choice(list("ACGT"), 60)) for i in range(64)])
    a = activation_counts(m, x, batch_size=7)
    b = activation_counts(m, x, batch_size=64)
    np.testing.assert_allclose(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_weights_method_needs_no_data():
    m = _model_with_planted_filter()
    motifs, table = model_motifs(m, method="weights", min_ic=3.0)
    assert [mm.name for mm in motifs] == ["filter0"]
    assert "".join("ACGT"[i] for i in motifs[0].pwm.argmax(1)) == "TGACTCA"


def _planted_sequences(n=200, length=60, motif="TGACTCA", seed=0):
    rng = np.random.default_rng(seed)
    seqs = []
    for i in range(n):
        s = list(rng.choice(list("ACGT"), length))
        if i % 2 == 0:
            p = rng.integers(0, length - len(motif))
            s[p:p + len(motif)] = motif
        seqs.append("".join(s))
    return one_hot(seqs)


def _model_with_planted_and_background_filter():
    """filter0 = the planted 7-mer; filter1 = the 3-mer GCG, common in any sequence of this composition."""
    m = _model_with_planted_filter()
    with torch.no_grad():
        m.scanner.conv.weight[1] = 0.0
        m.scanner.conv.weight[1, :, 2:5] = 3.0 * one_hot(["GCG"])[0] - 1.0
    return m


def test_filters_that_fire_as_often_on_shuffled_sequences_are_unenriched():
    x = _planted_sequences()
    m = _model_with_planted_and_background_filter()
    motifs, table = model_motifs(m, x, threshold=0.9)
    row = table.set_index("name")
    assert row.loc["filter0", "status"] == "kept" and row.loc["filter0", "nsites_shuffled"] <= 2
    # GCG sites are as common after a dinucleotide shuffle: background, not a motif
    assert row.loc["filter1", "status"] == "unenriched"
    assert row.loc["filter1", "nsites"] >= 50 and 0.5 < row.loc["filter1", "enrichment"] < 1.5
    assert [mm.name for mm in motifs] == ["filter0"]
    # the weights route reads each filter alone; without the test both are exported
    assert [mm.name for mm in model_motifs(m, x, method="weights", threshold=0.9)[0]] == ["filter0", "filter1"]
    assert [mm.name for mm in model_motifs(m, x, threshold=0.9, enrichment_p=None)[0]] == ["filter0", "filter1"]


def test_shuffled_site_counts_do_not_depend_on_batching():
    x = _planted_sequences(n=64)
    m = _model_with_planted_and_background_filter()
    cut = activation_counts(m, x, threshold=0.9)[2] * 0.9
    a = shuffled_site_counts(m, x, cut, seed=3, batch_size=7)
    np.testing.assert_array_equal(a, shuffled_site_counts(m, x, cut, seed=3, batch_size=64))
    assert a[1] > 0


def test_enrichment_pvalues_are_the_binomial_upper_tail():
    from math import comb
    p = enrichment_pvalues([7, 0, 30, 5], [3, 4, 2, 5])
    assert abs(p[0] - sum(comb(10, k) for k in range(7, 11)) / 2 ** 10) < 1e-12
    assert p[1] == 1.0 and p[2] < 1e-6 and abs(p[3] - sum(comb(10, k) for k in range(5, 11)) / 2 ** 10) < 1e-12


def test_enrichment_pvalues_for_filters_that_fire_everywhere():
    # a dead filter fires at every position: n ~ 10^7 sites. The tail is summed from where it matters, not over all
    # n - k terms; at this n the binomial is normal to about 1e-4 (continuity-corrected)
    from math import erfc, sqrt
    n = 10_000_000
    sd = sqrt(n) / 2
    for z in (-2.0, 0.0, 1.0, 3.0, 6.0):
        k = int(n / 2 + z * sd)
        expected = 0.5 * erfc((k - 0.5 - n / 2) / sd / sqrt(2))
        got = enrichment_pvalues([k], [n - k])[0]
        assert abs(got - expected) < 1e-3 * expected, (z, got, expected)
