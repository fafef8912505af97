"""Syntax rules: arrangement conventions, rule tables from weights and data, instance calls, CLI, presets."""

import numpy as np
import pandas as pd
import pytest
import torch

import motifzoo
from motifzoo.interpret.syntax import (RULE_COLUMNS, canonical_arrangements, call_instances, instance_pairs,
                                       motif_geometry, rules_from_weights, syntax_rules)
from motifzoo.models import get_model
from clirun import run

CONSENSUS = ["GATTACAG", "CCTGAGTT"]
OFFSET = 12          # planted window offset = centre distance (both motifs 8 bp, untrimmed)
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


def test_rule_table_from_one_spike_uses_trimmed_centres():
    m = hand_built_model([(0, 3, OFFSET, 2.0)])
    geometry = pd.DataFrame({"name": ["filter0", "filter1"], "status": ["kept", "kept"], "start": [1, 2],
                             "width": [5, 4]}, index=pd.Index([0, 1], name="filter"))
    geometry["centre_plus"] = geometry["start"] + (geometry["width"] - 1) / 2      # 3.0, 3.5
    geometry["centre_minus"] = 7 - geometry["centre_plus"]                          # 4.0, 3.5
    rules = rules_from_weights(m, geometry=geometry, site_activation=np.array([2.0, 3.0]), target_names=["y"])
    assert list(rules.columns) == RULE_COLUMNS
    top = rules.iloc[0]
    # filter0 + window i (centre i + 3), filter1 - window i + 12 (centre i + 12 + 3.5)
    assert (top["motif_a"], top["motif_b"], top["distance"], top["orientation"]) == ("filter0", "filter1", 12.5, "+-")
    assert top["effect_fwd"] == pytest.approx(2.0 * 2.0 * 3.0)
    assert top["effect_rc"] == 0.0                       # the twin (filter1 +, filter0 -) has no weight
    assert top["effect"] == pytest.approx(6.0) and top["target"] == "y" and top["method"] == "weights"
    assert len(rules) == 1                               # every other entry is zero
    unmerged = rules_from_weights(m, geometry=geometry, site_activation=np.array([2.0, 3.0]), merge_rc=False)
    assert unmerged.iloc[0]["effect"] == pytest.approx(12.0) and not unmerged.iloc[0]["rc_merged"]
    # a dead filter's rules are left out unless asked for
    geometry.loc[1, "status"] = "dead"
    assert rules_from_weights(m, geometry=geometry).empty
    assert len(rules_from_weights(m, geometry=geometry, keep_all=True)) == 1


def test_overlapping_arrangements_are_flagged_and_dropped():
    m = hand_built_model([(1, 2, 1, 1.0)])  # filter1 + at i, filter0 - at i + 1: the motifs overlap
    geometry = motif_geometry(m)  # from the weights: exact-consensus filters keep all 8 columns
    assert rules_from_weights(m, geometry=geometry).empty
    rules = rules_from_weights(m, geometry=geometry, include_overlapping=True)
    assert bool(rules.iloc[0]["overlapping"]) and rules.iloc[0]["distance"] == 1.0


# ------------------------------------------------------------------------------------------------
# instances and data-derived rules on planted sequences
# ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def planted():
    return planted_sequences()


def test_instance_calls_recover_planted_sites(planted):
    x, _, sites = planted
    m = hand_built_model(SPIKES)
    geometry = motif_geometry(m, x)
    assert geometry["width"].tolist() == [8, 8] and geometry["start"].tolist() == [0, 0]
    calls = call_instances(m, x, geometry, threshold=0.95)
    got = set(zip(calls["sequence"], calls["position"], calls["motif"], calls["strand"]))
    want = set(map(tuple, sites[["sequence", "position", "motif", "strand"]].itertuples(index=False)))
    assert want <= got and len(got - want) <= 3          # exact consensus matches by chance are rare
    assert (calls["end"] - calls["position"] == 8).all() and (calls["centre"] == calls["position"] + 3.5).all()
    pairs = instance_pairs(calls, max_distance=50)
    assert {12.0, -12.0, 24.0, 42.0} <= set(pairs["distance"])


def test_rules_from_data_and_weights_agree_on_planted_arrangement(planted):
    x, _, _ = planted
    m = hand_built_model(SPIKES)
    for method in ("data", "weights"):
        res = syntax_rules(m, x, method=method, threshold=0.95, max_distance=50)
        top = res["rules"].iloc[0]
        assert (top["motif_a"], top["motif_b"], top["distance"], top["orientation"]) == \
            ("filter0", "filter1", 12.0, "+-"), method
        assert top["effect"] > 0
        if method == "data":
            assert top["support"] >= 200 and top["method"] == "activations"
            assert top["effect_fwd"] > 0 and top["effect_rc"] > 0     # both strands of the arrangement
            decoys = res["rules"][res["rules"]["distance"].isin([24.0, 30.0, 36.0, 42.0])]
            assert len(decoys) == 4 and (decoys["effect"] < 0).all()   # the decoy arrangements lower the output


def test_rules_from_data_do_not_depend_on_chunking(planted):
    from motifzoo.interpret.syntax import predict_outputs, rules_from_data
    x, _, _ = planted
    m = hand_built_model(SPIKES)
    geometry = motif_geometry(m, x)
    calls = call_instances(m, x, geometry, threshold=0.7)
    outputs = predict_outputs(m, x)
    whole = rules_from_data(m, x, calls, geometry, outputs=outputs, min_support=5)
    chunked = rules_from_data(m, x, calls, geometry, outputs=outputs, min_support=5, max_chunk_pairs=20)
    assert len(whole) > 3
    pd.testing.assert_frame_equal(whole, chunked)


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


def test_syntax_cli_writes_ranked_rules_instances_and_histogram(planted_files, tmp_path):
    d, table = planted_files
    out, calls, png = tmp_path / "rules.tsv", tmp_path / "calls.tsv", tmp_path / "spacing.png"
    rc, stdout, err = run(["syntax", str(d / "pairwise.ckpt"), "-o", str(out), "--data", str(table),
                           "--threshold", "0.95", "--instances", str(calls), "--histogram", str(png)])
    assert rc == 0, err
    rules = pd.read_csv(out, sep="\t")
    assert {"motif_a", "motif_b", "distance", "orientation", "effect", "target", "method"} <= set(rules.columns)
    assert rules["rank"].tolist() == list(range(1, len(rules) + 1))
    assert tuple(rules.iloc[0][["motif_a", "motif_b", "distance", "orientation"]]) == ("filter0", "filter1", 12, "+-")
    assert "top rule: filter0 filter1 distance 12 bp" in stdout
    assert set(pd.read_csv(calls, sep="\t").columns) >= {"sequence", "position", "strand", "motif", "score"}
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the same names `motifzoo motifs` writes for this checkpoint and data
    meme = tmp_path / "m.meme"
    assert run(["motifs", str(d / "pairwise.ckpt"), "-o", str(meme), "--data", str(table)])[0] == 0
    from motifzoo.motifs import read_meme
    assert set(rules["motif_a"]) | set(rules["motif_b"]) <= {mm.name for mm in read_meme(meme)}
    # refuses to overwrite
    rc, _, err = run(["syntax", str(d / "pairwise.ckpt"), "-o", str(out), "--data", str(table)])
    assert rc == 2 and "--force" in err


def test_instances_cli(planted_files, tmp_path):
    d, table = planted_files
    out = tmp_path / "calls.tsv"
    rc, stdout, err = run(["instances", str(d / "pairwise.ckpt"), "--data", str(table), "-o", str(out),
                           "--threshold", "0.95"])
    assert rc == 0, err
    calls = pd.read_csv(out, sep="\t")
    assert len(calls) >= 600 and set(calls["strand"]) == {"+", "-"}
    rc, _, err = run(["instances", str(d / "pairwise.ckpt"), "-o", str(tmp_path / "x.tsv")])
    assert rc == 2 and "--data" in err


def test_syntax_cli_for_models_without_syntax_layer(planted_files, tmp_path):
    d, table = planted_files
    rc, _, err = run(["syntax", str(d / "cnn.ckpt"), "-o", str(tmp_path / "r.tsv")])
    assert rc == 2 and "no syntax layer" in err and "--data" in err
    rc, _, err = run(["syntax", str(d / "cnn.ckpt"), "-o", str(tmp_path / "r.tsv"), "--method", "weights",
                      "--data", str(table)])
    assert rc == 2 and "no syntax layer" in err
    rc, stdout, err = run(["syntax", str(d / "cnn.ckpt"), "-o", str(tmp_path / "r.tsv"), "--data", str(table),
                           "--keep-all"])
    assert rc == 0, err
    assert list(pd.read_csv(tmp_path / "r.tsv", sep="\t").columns) == RULE_COLUMNS
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
