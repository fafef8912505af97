import numpy as np
import torch

import motifzoo
from motifzoo.data.encoding import one_hot
from motifzoo.interpret import activation_counts, filters_to_pwms, model_motifs


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
