"""The ARGMINN-like presets (issue #15): planted arrangements are really there and labels follow the rules."""
import numpy as np
import pandas as pd
import pytest

from motifzoo.data.simulate import PRESETS, simulate
from motifzoo.data.simulate_argminn import ARGMINN_PRESETS
from motifzoo.data.simulate_syntax import planted_rules

COMP = str.maketrans("ACGT", "TGCA")


def centers(sim, i: int) -> dict[str, list[tuple[float, str]]]:
    """motif id -> [(center, strand)] of the planted sites of sequence i."""
    out: dict[str, list] = {}
    for s in sim.sites[sim.sites["sequence"] == i].itertuples():
        out.setdefault(s.motif, []).append(((s.start + s.end - 1) / 2, s.strand))
    return out


def pair_frame(ca, sa, cb, sb):
    """(distance, orientation) in the pair frame: read on a's strand (a + -> as is, a - -> mirrored)."""
    if sa == "+":
        return cb - ca, sa + sb
    flip = {"+": "-", "-": "+"}
    return ca - cb, flip[sa] + flip[sb]


def test_registered_with_rules():
    for name in ARGMINN_PRESETS:
        assert name in PRESETS
        rules = planted_rules(name)
        assert len(rules) >= 1 and {"motif_a", "motif_b", "kind", "sign"} <= set(rules.columns)


@pytest.mark.parametrize("name", list(ARGMINN_PRESETS))
def test_length_and_balance(name):
    sim = simulate(name, seed=1, n=300)
    assert len(sim.sequences) == 300
    assert {len(s) for s in sim.sequences} == {200 if name.endswith("_small") else 500}
    y = sim.targets.iloc[:, 0].to_numpy()
    assert 0.15 < y.mean() < 0.7
    assert set(np.unique(y)) <= {0.0, 1.0}


def test_sites_hold_the_motif_sequence():
    """Each planted site is a sample from its PWM: the planted bases score high under the motif."""
    sim = simulate("argminn_hard_spacing_small", seed=0, n=200)
    pwms = {m.name: m.pwm for m in sim.motifs}
    idx = {c: i for i, c in enumerate("ACGT")}
    better = []
    for s in sim.sites.head(200).itertuples():
        site = sim.sequences[s.sequence][s.start:s.end]
        if s.strand == "-":
            site = site.translate(COMP)[::-1]
        p = pwms[s.motif]
        logp = sum(np.log(p[j, idx[b]] + 1e-9) for j, b in enumerate(site))
        better.append(logp > np.log(0.25) * len(site) + 2)  # better than background
    assert np.mean(better) > 0.9


def test_hard_spacing_labels_follow_the_exact_spacing():
    sim = simulate("argminn_hard_spacing_small", seed=0, n=600)
    rule = planted_rules("argminn_hard_spacing_small").iloc[0]
    a, b = rule["motif_a"], rule["motif_b"]
    y = sim.targets.iloc[:, 0].to_numpy()
    near = 0
    for i in range(len(y)):
        c = centers(sim, i)
        if a in c and b in c:
            (ca, sa), (cb, sb) = c[a][0], c[b][0]
            d, o = pair_frame(ca, sa, cb, sb)
            planted = d == rule["distance"] and o == rule["orientation"]
            assert planted == bool(y[i]), (i, d, o, y[i])
            if not y[i] and o == rule["orientation"] and 1 <= abs(d - rule["distance"]) <= 3:
                near += 1
        else:
            assert y[i] == 0
    assert near > 50  # the near misses (d +- 1..3 bp) are there


def test_soft_spacing_labels():
    sim = simulate("argminn_tal_gata", seed=0, n=400)
    rule = planted_rules("argminn_tal_gata").iloc[0]
    a, b = rule["motif_a"], rule["motif_b"]
    y = sim.targets.iloc[:, 0].to_numpy()
    for i in range(len(y)):
        c = centers(sim, i)
        if a in c and b in c:
            (ca, _), (cb, _) = c[a][0], c[b][0]
            # any orientation, and the pair sits on a random strand: only |center distance| is the rule
            assert (abs(abs(cb - ca) - rule["distance"]) <= rule["tolerance"]) == bool(y[i])
        else:
            assert y[i] == 0


@pytest.mark.parametrize("name,logic", [("argminn_single", lambda h: h[0]),
                                        ("argminn_cooperative", lambda h: h[0] and h[1]),
                                        ("argminn_repressor", lambda h: h[0] and not h[1]),
                                        ("argminn_cooccur_repression", lambda h: h[0] and h[1] and not h[2])])
def test_logic_labels(name, logic):
    sim = simulate(name, seed=3, n=400)
    ids = [m.name for m in sim.motifs]
    y = sim.targets.iloc[:, 0].to_numpy()
    for i in range(len(y)):
        present = set(sim.sites.loc[sim.sites["sequence"] == i, "motif"])
        assert bool(logic([m in present for m in ids])) == bool(y[i])
    rules = pd.DataFrame(sim.targets.attrs["rules"])
    assert rules["motif_a"].iloc[0] == ids[0]


def test_deterministic():
    a = simulate("argminn_hard_spacing_small", seed=5, n=50)
    b = simulate("argminn_hard_spacing_small", seed=5, n=50)
    assert a.sequences == b.sequences
