"""Strand-aware filters: one filter per motif, both strands scanned with shared weights, strand recorded at export."""
import numpy as np
import pytest
import torch

import motifzoo
from motifzoo.data.encoding import one_hot, reverse_complement
from motifzoo.interpret import activation_counts, model_motifs
from motifzoo.models.scanner import Scanner

MOTIF = "GATTACAGG"  # not its own reverse complement (CCTGTAATC)


def _random_seqs(n, length, seed):
    rng = np.random.default_rng(seed)
    return ["".join(rng.choice(list("ACGT"), length)) for _ in range(n)]


def _rc(seq: str) -> str:
    return seq[::-1].translate(str.maketrans("ACGT", "TGCA"))


def _model(first_layer, strands, length=60, pool_size=5, n_filters=3):
    torch.manual_seed(0)
    m = motifzoo.get_model("expcnn_shallow", n_targets=2, input_length=length, n_filters=n_filters,
                           filter_width=len(MOTIF), pool_size=pool_size, first_layer=first_layer, strands=strands)
    return m.eval()


def _plant_filter(m, f=0):
    """Filter ``f`` of ``m`` becomes a sharp detector of MOTIF (read on its forward orientation)."""
    with torch.no_grad():
        if m.scanner.first_layer == "pwm":
            m.scanner.raw_logits[f] = 6.0 * one_hot([MOTIF])[0] / m.scanner.lr_scale
            m.scanner.raw_log_beta.fill_(0.0)
            m.scanner.raw_offset[f] = -6.0 / m.scanner.lr_scale
        else:
            m.scanner.conv.weight[f] = 3.0 * one_hot([MOTIF])[0] - 1.0
            m.scanner.bn.weight.fill_(1.0)
            m.scanner.bn.bias.zero_()
    return m


@pytest.mark.parametrize("first_layer", ["free", "pwm"])
@pytest.mark.parametrize("strands", ["max", "sum"])
def test_activations_are_reverse_complement_equivariant(first_layer, strands):
    m = _model(first_layer, strands)
    with torch.no_grad():  # non-trivial weights
        for p in m.scanner.parameters():
            p.normal_(std=0.3)
    x = one_hot(_random_seqs(8, 60, 0))
    a, a_rc = m.motif_activations(x), m.motif_activations(reverse_complement(x))
    torch.testing.assert_close(a_rc, a.flip(-1))
    # per strand: the reverse complement swaps the strands and reverses positions
    s, s_rc = m.stranded_activations(x), m.stranded_activations(reverse_complement(x))
    assert s.shape == (8, 2, 3, 60 - len(MOTIF) + 1)
    torch.testing.assert_close(s_rc, s.flip(1, -1))


@pytest.mark.parametrize("first_layer", ["free", "pwm"])
def test_model_with_one_pool_bin_is_invariant_to_reverse_complement(first_layer):
    length = 60
    one_bin = length - len(MOTIF) + 1  # the pool covers every position: nothing downstream sees order
    x = one_hot(_random_seqs(8, length, 1))
    aware = _model(first_layer, "max", length, pool_size=one_bin)
    torch.testing.assert_close(aware(reverse_complement(x)), aware(x))
    single = _model(first_layer, "single", length, pool_size=one_bin)
    with torch.no_grad():
        for p in single.scanner.parameters():
            p.normal_(std=0.3)
    assert not torch.allclose(single(reverse_complement(x)), single(x), atol=1e-4)


@pytest.mark.parametrize("first_layer", ["free", "pwm"])
def test_minus_strand_sites_export_in_the_filters_orientation_with_strand_recorded(first_layer):
    seqs = _random_seqs(200, 60, 2)
    rng = np.random.default_rng(3)
    for i in range(0, 200, 2):  # half the sequences hold the motif, always on the minus strand
        p = int(rng.integers(0, 60 - len(MOTIF)))
        seqs[i] = seqs[i][:p] + _rc(MOTIF) + seqs[i][p + len(MOTIF):]
    x = one_hot(seqs)
    m = _plant_filter(_model(first_layer, "max"))
    motifs, table = model_motifs(m, x, threshold=0.9, min_ic=3.0)
    row = table.set_index("name").loc["filter0"]
    assert row["status"] == "kept" and row["nsites"] >= 100
    assert row["strand"] == "-" and row["sites_minus"] == row["nsites"]
    exported = next(mm for mm in motifs if mm.name == "filter0")
    assert "".join("ACGT"[i] for i in exported.pwm.argmax(1)) == MOTIF
    assert exported.meta["strand"] == "-"
    # the same filter reading one strand never fires on these sites
    single = _plant_filter(_model(first_layer, "single"))
    counts, nsites, _, _ = activation_counts(single, x, threshold=0.9)
    assert "".join("ACGT"[i] for i in counts[0].argmax(1)) != MOTIF


def test_sites_on_both_strands_build_one_unblurred_motif():
    seqs = _random_seqs(200, 60, 4)
    rng = np.random.default_rng(5)
    for i in range(0, 200, 2):
        site = MOTIF if i % 4 == 0 else _rc(MOTIF)
        p = int(rng.integers(0, 60 - len(MOTIF)))
        seqs[i] = seqs[i][:p] + site + seqs[i][p + len(MOTIF):]
    m = _plant_filter(_model("pwm", "max"))
    counts, nsites, _, _, minus = activation_counts(m, one_hot(seqs), threshold=0.9, return_strands=True)
    assert 0.3 < minus[0] / nsites[0] < 0.7
    pwm = counts[0] / counts[0].sum(1, keepdims=True)
    assert "".join("ACGT"[i] for i in pwm.argmax(1)) == MOTIF and pwm.max(1).min() > 0.9
    motifs, table = model_motifs(m, one_hot(seqs), threshold=0.9)
    assert table.set_index("name").loc["filter0", "strand"] == "both"


def test_weights_export_of_a_strand_aware_model_records_both_strands():
    m = _plant_filter(_model("pwm", "max"))
    motifs, table = model_motifs(m, method="weights")
    assert motifs[0].name == "filter0" and motifs[0].meta["strand"] == "both"
    single = _plant_filter(_model("pwm", "single"))
    assert model_motifs(single, method="weights")[0][0].meta["strand"] == "+"


def test_scanner_keeps_parameter_names_and_strand_modes():
    for strands in ("forward", "both", "both-max", "both-sum"):
        layer = Scanner(4, 7, strands=strands)
        assert set(layer.state_dict()) >= {"conv.weight", "bn.weight", "bn.running_mean"}
        x = one_hot(_random_seqs(2, 20, 3))
        assert layer.stranded(x).shape == (2, 1 if strands == "forward" else 2, 4, 14)
        assert layer(x).shape == ((2, 2, 4, 14) if strands == "both" else (2, 4, 14))
    assert Scanner(4, 7, strands="max").strands == "both-max"  # the earlier spellings still work
    with pytest.raises(ValueError, match="strands must be one of"):
        Scanner(4, 7, strands="reverse")


def _counts_by_hand(m, x, threshold, flank):
    """activation_counts' counts, one window at a time (the reference)."""
    with torch.no_grad():
        s = m.stranded_activations(x)  # (N, 2, F, L')
    act = s.amax(dim=1)
    cut = threshold * act.amax(dim=(0, 2))
    width = m.motif_filters().shape[-1]
    xp = torch.nn.functional.pad(x, (flank, width + flank))
    counts = np.zeros((s.shape[2], width + 2 * flank, 4))
    for n, f, i in zip(*np.nonzero((act > cut[None, :, None]).numpy())):
        window = xp[n, :, i:i + width + 2 * flank].numpy()
        counts[f] += (window[::-1, ::-1] if s[n, 1, f, i] > s[n, 0, f, i] else window).T
    return counts


@pytest.mark.parametrize("second_filter", ["motif", "dead", "weak"])
def test_site_counts_equal_counting_window_by_window(second_filter):
    # a filter that fires at most positions (dead: all-zero, both strands tied; weak: small random weights, either
    # strand ahead) switches the counting from gathering sites to one product per column; both ways must count
    # exactly what a window-by-window loop counts, on both strands and with flanks
    seqs = _random_seqs(40, 60, 7)
    for i in range(0, 40, 2):
        site = MOTIF if i % 4 == 0 else _rc(MOTIF)
        seqs[i] = seqs[i][:20] + site + seqs[i][20 + len(MOTIF):]
    m = _plant_filter(_model("free", "max", n_filters=2))
    with torch.no_grad():
        second = {"motif": 3.0 * one_hot([_rc(MOTIF)])[0] - 1.0, "dead": torch.zeros(4, len(MOTIF)),
                  "weak": 0.05 * torch.randn(4, len(MOTIF), generator=torch.Generator().manual_seed(0))}
        m.scanner.conv.weight[1] = second[second_filter]
    x = one_hot(seqs)
    windows = 40 * (60 - len(MOTIF) + 1)
    for flank in (0, 2):
        counts, nsites, _, _, minus = activation_counts(m, x, threshold=0.5, batch_size=16, flank=flank,
                                                        return_strands=True)
        np.testing.assert_array_equal(counts, _counts_by_hand(m, x, 0.5, flank))
    assert nsites[0] < windows / 8  # the motif's filter: a few sites, on both strands
    assert (nsites[1] > windows / 2) == (second_filter != "motif")  # the product path was taken
    assert (minus[1] > windows / 4) == (second_filter == "weak")
