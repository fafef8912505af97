"""Issue #15: configs/argminn.yaml, as shipped, learns the planted hard-spacing rule on a small preset.

Trains the ARGMINN-like attention model on ``argminn_hard_spacing_small`` (JUND then TEAD1 exactly
18 bp apart, ``++``; negatives include the same pair 1-3 bp off) and checks that the top significant
rule of :func:`motifzoo.interpret.syntax.syntax_rules` names JUND and TEAD1 (filters named by their most
significant planted TOMTOM match against the planted motifs plus JASPAR, q < 0.05), 18 +- 1 bp apart, with
a positive effect. Trains up to 50 epochs: passed in 31 min on a shared core (load average 4-11; the
arrangement was learned at epoch 21: validation auROC 0.80 -> 0.94), 2026-11-30. The same config ranked the
planted rule first on 3/3 seeds of the 4,000-sequence version (benchmarks/syntax.md, "#15 benchmark, afternoon").
With ``overlap_batch: 32`` added to the config (evening of 2026-11-30) it passed again in 2 min on an idle
machine, and the 4,000-sequence version again ranked the planted rule first on 3/3 seeds (syntax.md, "#15 third
round").
With the exp scanner, 16 filters and ``pair_skip`` (2026-12-01, seventh round) it passed in 8 min with two other
runs on the machine; with one attention layer and ``after_warmup`` selection (2026-12-02, twelfth round) in 4 min 39 s
beside two other training runs.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

import motifzoo
from motifzoo.data.simulate import simulate

pytestmark = pytest.mark.slow


def _named(model, data, planted):
    """filter index -> (planted id, strand) for filters whose best TOMTOM match is a planted motif at q < 0.05."""
    from motifzoo.interpret import model_motifs
    from motifzoo.interpret.compare import tomtom
    from motifzoo.motifs import load_jaspar
    learned, _ = model_motifs(model, data)
    ids = {m.name for m in planted}
    db = list(planted) + [m for m in load_jaspar() if m.name not in ids]
    table = tomtom(learned, db)
    table = table[(table["q"] < 0.05) & table["target"].isin(ids)]  # AP-1 relatives (JUNB, FOS) may tie JUND
    best = table.sort_values(["query", "q", "p"]).groupby("query").head(1)
    by_name = {m.name: m for m in learned}
    return {int(by_name[r.query].meta["filter"]): (r.target, r.strand) for r in best.itertuples()}


def test_argminn_config_ranks_the_planted_hard_spacing_rule_first(tmp_path):
    from motifzoo.data.encoding import one_hot
    from motifzoo.interpret.syntax import syntax_rules
    sim = simulate("argminn_hard_spacing_small", seed=0)
    table = tmp_path / "hard.tsv.gz"
    sim.write(table, seed=0)
    result = motifzoo.fit("configs/argminn.yaml", data={"path": str(table)},
                          trainer={"default_root_dir": str(tmp_path / "runs")}, seed_everything=0)
    model = motifzoo.load(result.best_checkpoint)
    model.eval()
    x = one_hot(sim.sequences)
    rules = syntax_rules(model, x)["rules"]
    if "q" in rules.columns:
        rules = rules[rules["q"].astype(float) < 0.05]
    assert len(rules), "no significant rule"
    names = _named(model, x, sim.motifs)
    top = rules.iloc[0]
    fa, fb = (int(str(top[c]).removeprefix("filter")) if not isinstance(top[c], (int, np.integer)) else int(top[c])
              for c in ("motif_a", "motif_b"))
    assert fa in names and fb in names, (top.to_dict(), names)
    rule = pd.DataFrame(sim.targets.attrs["rules"]).iloc[0]
    # the two planted motifs, 18 +- 1 bp apart, raising the output. Orientation is not asserted: on this preset
    # argminn_pairwise's top rule has the planted motifs and distance with TEAD1's strand read flipped, and
    # whether that is the model or the strand convention of the translation is open (benchmarks/syntax.md, #15)
    assert {names[fa][0], names[fb][0]} == {rule["motif_a"], rule["motif_b"]}, (top.to_dict(), names)
    assert abs(abs(float(top["distance"])) - float(rule["distance"])) <= 1.0, (top.to_dict(), names)
    assert torch.isfinite(torch.as_tensor(float(top["effect"]))) and float(top["effect"]) > 0
