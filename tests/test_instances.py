"""Instance calls thresholded by false discovery rate (q), on hand-built models over planted sequences."""
import numpy as np
import pytest

from motifzoo.data.encoding import codes_to_one_hot, one_hot_to_codes
from motifzoo.data.shuffle import dinucleotide_shuffle
from motifzoo.interpret.instances import call_instances, score_null, site_overlap
from test_syntax import SPIKES, geometry_of, hand_built_model, planted_sequences

MATCH = {"filter0": "filter0", "filter1": "filter1"}


@pytest.fixture(scope="module")
def setting():
    x, _, sites = planted_sequences()
    m = hand_built_model(SPIKES)
    geometry = geometry_of(m, x)
    return x, sites.assign(start=sites["position"], end=sites["position"] + 8), m, geometry, score_null(m, x)


def test_q_is_monotone_in_p_and_never_below_it(setting):
    x, _, m, geometry, null = setting
    calls = call_instances(m, x, geometry, p_threshold=1e-2, null=null)
    assert calls["q"].between(0, 1).all() and (calls["q"] >= calls["p"]).all()
    for _, c in calls.groupby("filter"):
        c = c.sort_values("p")
        assert np.all(np.diff(c["q"].to_numpy()) >= -1e-12)


def test_q_threshold_keeps_false_calls_below_the_rate(setting):
    x, sites, m, geometry, null = setting
    calls = call_instances(m, x, geometry, p_threshold=1e-2, null=null, q_threshold=0.05)
    assert (calls["q"] <= 0.05).all() and calls.attrs["q_threshold"] == 0.05
    call_hit, site_hit = site_overlap(calls, sites, match=MATCH)
    assert call_hit.mean() >= 0.95 and site_hit.mean() >= 0.9
    # a loose p threshold alone calls many background windows; the q threshold does not
    loose = call_instances(m, x, geometry, p_threshold=1e-2, null=null)
    assert site_overlap(loose, sites, match=MATCH)[0].mean() < 0.8


def test_q_threshold_calls_almost_nothing_without_sites(setting):
    x, _, m, geometry, null = setting
    codes = one_hot_to_codes(x).numpy().astype(np.uint8)
    shuffled = codes_to_one_hot(dinucleotide_shuffle(codes, 11)).float()
    # BH under the complete null: the chance of any call at all is at most q per filter
    assert len(call_instances(m, shuffled, geometry, p_threshold=1e-2, null=null, q_threshold=0.1)) <= 2
    assert len(call_instances(m, shuffled, geometry, p_threshold=1e-2, null=null)) > 50


def test_bad_q_threshold_is_a_clear_error(setting):
    x, _, m, geometry, null = setting
    with pytest.raises(ValueError, match="q_threshold must be in"):
        call_instances(m, x, geometry, null=null, q_threshold=0)


def test_streamed_counts_of_real_windows_equal_a_direct_count():
    import torch
    from motifzoo.interpret.instances import ScoreNull
    rng = np.random.default_rng(0)
    tail = np.sort(rng.normal(size=(3, 50)), axis=1)[:, ::-1].astype(np.float32).astype(np.float64)
    tail[1, 10:13] = tail[1, 10]  # ties among null scores
    null = ScoreNull(tail, 1000)
    best = torch.tensor(rng.normal(size=(7, 3, 40)) * 1.5, dtype=torch.float32)
    direct = np.array([[(best[:, f].double().numpy() >= tail[f, j]).sum() for j in range(50)] for f in range(3)])
    assert np.array_equal(null.real_counts(best[:4]) + null.real_counts(best[4:]), direct)


def test_instances_gate_by_attention_only_when_asked():
    """`motifzoo instances` calls every window the filter scores (attention_threshold 0, the default); a gate keeps only
    attended positions of attention models; `motifzoo syntax` keeps its gate of 2 by default."""
    import torch
    from motifzoo.cli.main import build_parser
    from motifzoo.interpret.syntax import motif_geometry
    from motifzoo.models import get_model
    torch.manual_seed(0)
    model = get_model("argminn", n_targets=1, input_length=60, n_filters=3, filter_width=7, scanner_init_std=0.5).eval()
    x = codes_to_one_hot(torch.randint(0, 4, (200, 60)))
    geometry = motif_geometry(model, x, min_sites=1, min_site_fraction=0.0, min_ic=0.0)
    null = score_null(model, x)
    free = call_instances(model, x, geometry, p_threshold=0.01, null=null, keep_all=True)
    gated = call_instances(model, x, geometry, p_threshold=0.01, null=null, keep_all=True, attention_threshold=2.0)
    shut = call_instances(model, x, geometry, p_threshold=0.01, null=null, keep_all=True, attention_threshold=1e9)
    assert len(free) > len(gated) >= len(shut) == 0
    assert (gated["attention"] >= 2.0).all() and free["attention"].notna().all()
    parser = build_parser()
    assert parser.parse_args(["instances", "m.ckpt", "--data", "d.tsv", "-o", "o.tsv"]).attention_threshold == 0.0
    assert parser.parse_args(["syntax", "m.ckpt", "-o", "r.tsv"]).attention_threshold == 2.0
