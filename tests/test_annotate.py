"""Naming learned motifs against JASPAR, and grouping redundant ones (TOMTOM via memelite)."""
import contextlib
import io
import sys

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("memelite")

from motifzoo.data.simulate import sample_instance  # noqa: E402
from motifzoo.motifs import load_jaspar  # noqa: E402
from motifzoo.interpret import Motif, read_meme, write_meme  # noqa: E402
from motifzoo.interpret.annotate import (DatabaseError, annotate, cluster_motifs, complete_linkage,  # noqa: E402
                                         label_motifs, load_database, match_label, match_score)
from motifzoo.interpret.compare import tomtom  # noqa: E402
from motifzoo.interpret.logos import match_offset  # noqa: E402

#: distinctive JASPAR 2024 motifs whose family members are not near-identical copies
PLANTED = ["MA0139.2", "MA0035.5", "MA0083.3", "MA0079.5", "MA0137.4"]  # CTCF GATA1 SRF SP1 STAT1


def sampled_copy(motif: Motif, name: str, rng, n_sites: int = 40, reverse: bool = False, flank: int = 0) -> Motif:
    """A learned-like copy of ``motif``: counts of ``n_sites`` sampled sites, pseudocounts, optional
    reverse complement and uniform flanks."""
    counts = np.zeros_like(motif.pwm)
    for _ in range(n_sites):
        site = sample_instance(motif.pwm, rng)
        counts[np.arange(len(site)), site] += 1
    pwm = (counts + 0.5) / (counts + 0.5).sum(1, keepdims=True)
    if reverse:
        pwm = pwm[::-1, ::-1]
    if flank:
        pwm = np.vstack([np.full((flank, 4), 0.25), pwm, np.full((flank, 4), 0.25)])
    return Motif(name, pwm, nsites=n_sites)


@pytest.fixture(scope="module")
def learned():
    """Two noisy copies of each planted motif (one reverse complemented, one with flanks) and a random motif."""
    rng = np.random.default_rng(3)
    motifs = []
    for m in load_jaspar(PLANTED):
        motifs.append(sampled_copy(m, f"{m.name}_fwd", rng, flank=2))
        motifs.append(sampled_copy(m, f"{m.name}_rev", rng, reverse=True))
    # a sharp random motif (7.5 bits) like no known TF (nearest: q = 0.16)
    motifs.append(Motif("noise", np.random.default_rng(3).dirichlet(np.full(4, 0.5), size=12)))
    return motifs


def test_annotation_names_planted_jaspar_ids(learned):
    table = annotate(learned)  # the shipped JASPAR 2024 CORE vertebrates
    assert list(table.columns[:8]) == ["motif", "match_id", "match_name", "p", "q", "offset", "strand", "overlap"]
    by_motif = table.set_index("motif")
    for m in learned[:-1]:
        planted = m.name.split("_")[0]
        assert by_motif.loc[m.name, "match_id"] == planted, m.name
        assert by_motif.loc[m.name, "q"] < 0.05
        assert by_motif.loc[m.name, "strand"] == ("-" if m.name.endswith("_rev") else "+")
    assert by_motif.loc["MA0139.2_fwd", "match_name"] == "CTCF"
    assert by_motif.loc["MA0139.2_fwd", "offset"] == -2  # the two uniform flank columns come first
    # a random motif has no significant match and is left out by default ...
    assert "noise" not in by_motif.index
    assert table["q"].is_monotonic_increasing
    # ... and kept, flagged, with significant_only=False
    everything = annotate(learned, significant_only=False).set_index("motif")
    assert len(everything) == len(learned) and not everything.loc["noise", "significant"]


def test_annotation_against_a_meme_file_and_a_list(learned, tmp_path):
    db = load_jaspar(PLANTED) + [m for m in load_jaspar()[:60] if m.name not in PLANTED]
    path = tmp_path / "db.meme"
    write_meme(db, path)
    from_file = annotate(learned[:4], path)
    from_list = annotate(learned[:4], db)
    assert list(from_file["match_id"]) == list(from_list["match_id"])
    assert set(from_file["match_id"]) == {"MA0139.2", "MA0035.5"}


def test_labelled_copies_carry_the_match_as_meme_altname(learned, tmp_path):
    table = annotate(learned, significant_only=False)
    labelled = label_motifs(learned, table)
    assert learned[0].altname is None  # the originals are untouched
    by_name = {m.name: m for m in labelled}
    assert by_name["MA0139.2_fwd"].altname == "CTCF_MA0139.2"
    assert by_name["MA0139.2_fwd"].meta["match_id"] == "MA0139.2"
    assert by_name["noise"].altname is None
    write_meme(labelled, tmp_path / "named.meme")
    assert {m.name: m.altname for m in read_meme(tmp_path / "named.meme")}["MA0035.5_rev"] == "GATA1_MA0035.5"
    assert match_label("MA0139.2", "") == "MA0139.2" and match_label("MA1", "PPARA::RXRA") == "PPARA::RXRA_MA1"


def test_clustering_groups_duplicates_and_nothing_else(learned):
    clusters = cluster_motifs(learned)
    group = dict(zip(clusters["motif"], clusters["cluster"]))
    for planted in PLANTED:
        assert group[f"{planted}_fwd"] == group[f"{planted}_rev"], planted
    assert len({group[f"{p}_fwd"] for p in PLANTED} | {group["noise"]}) == len(PLANTED) + 1
    assert clusters.attrs["n_clusters"] == len(PLANTED) + 1
    assert set(clusters.loc[clusters["cluster_size"] == 2, "representative"]) <= set(clusters["motif"])
    # the representative follows the score given
    score = {m.name: (10.0 if m.name.endswith("_rev") else 0.0) for m in learned}
    reps = cluster_motifs(learned, score=score).set_index("motif")["representative"]
    assert reps["MA0139.2_fwd"] == "MA0139.2_rev"


def test_match_score_prefers_the_clearest_match(learned):
    table = annotate(learned, significant_only=False)
    score = match_score(learned, table)
    assert score["MA0139.2_fwd"] > score["noise"]


def test_complete_linkage_does_not_chain():
    # a~b and b~c match, a and c do not: connected components would join all three
    d = np.array([[0, 0.01, 0.9], [0.01, 0, 0.02], [0.9, 0.02, 0]])
    labels = complete_linkage(d, 0.05)
    assert labels[0] == labels[1] and labels[2] != labels[0]
    assert len(set(complete_linkage(d, 0.001))) == 3
    assert len(set(complete_linkage(d, 1.0))) == 1


def test_tomtom_offsets_map_onto_the_match_for_logos():
    """The logo alignment (query start in the target's coordinates) agrees with TOMTOM on both strands."""
    ctcf = load_jaspar(["MA0139.2"])[0]
    window = ctcf.pwm[2:10]
    queries = [Motif("fwd", window), Motif("rev", window[::-1, ::-1])]
    hits = tomtom(queries, load_jaspar()).sort_values("p").groupby("query").head(1).set_index("query")
    for name in ("fwd", "rev"):
        hit = hits.loc[name]
        assert hit["target"] == "MA0139.2"
        assert match_offset(8, ctcf.width, int(hit["offset"]), hit["strand"]) == 2


def test_tomtom_leaves_torchs_thread_count_alone():
    """numba (memelite) resizes the OpenMP team torch shares; a run trained after TOMTOM in the same process
    must keep the threads it was given (it ran with 2 spinning threads per process on 2 cores)."""
    import torch
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        jaspar = load_jaspar()
        tomtom(jaspar[:3], jaspar[:40])
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_bad_databases_give_clear_errors(tmp_path, learned):
    with pytest.raises(DatabaseError, match="motif database not found: .*nope.meme"):
        annotate(learned, tmp_path / "nope.meme")
    with pytest.raises(DatabaseError, match="is a directory"):
        load_database(tmp_path)
    table = tmp_path / "table.tsv"
    table.write_text("sequence\tlabel\nACGT\t1\n")
    with pytest.raises(DatabaseError, match="table.tsv.*no 'MOTIF' line"):
        load_database(table)
    (tmp_path / "broken.meme.gz").write_bytes(b"not gzip at all")
    with pytest.raises(DatabaseError, match="broken.meme.gz: corrupt or truncated gzip file"):
        load_database(tmp_path / "broken.meme.gz")
    with pytest.raises(DatabaseError, match=r"expected pyjaspar\[:RELEASE"):
        load_database("pyjaspar:a:b:c")


def test_missing_pyjaspar_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyjaspar", None)  # import pyjaspar now raises ImportError
    with pytest.raises(DatabaseError, match=r"pip install 'motifzoo\[jaspar\]'"):
        load_database("pyjaspar")


def test_pyjaspar_core_vertebrates_equals_the_shipped_file():
    pytest.importorskip("pyjaspar", reason="the 'jaspar' extra (pyjaspar) is not installed")
    from_pyjaspar = load_database("pyjaspar:JASPAR2024:vertebrates")
    shipped = load_jaspar()
    assert [m.name for m in from_pyjaspar] == [m.name for m in shipped]
    np.testing.assert_allclose(from_pyjaspar[0].pwm, shipped[0].pwm, atol=1e-5)
    with pytest.raises(DatabaseError, match="not in pyjaspar; available: .*JASPAR2024"):
        load_database("pyjaspar:JASPAR1999")
    with pytest.raises(DatabaseError, match="unknown JASPAR taxon 'martians'"):
        load_database("pyjaspar:JASPAR2024:martians")


def run_cli(args):
    from motifzoo.cli import main
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(args)
    return rc, out.getvalue(), err.getvalue()


def test_annotate_cli(learned, tmp_path):
    meme = tmp_path / "learned.meme"
    write_meme(learned, meme)
    out, named = tmp_path / "annotation.tsv", tmp_path / "named.meme"
    rc, stdout, err = run_cli(["annotate", str(meme), "-o", str(out), "--meme", str(named)])
    assert rc == 0, err
    assert f"{len(learned) - 1}/{len(learned)} motifs match" in stdout
    table = pd.read_csv(out, sep="\t")
    assert len(table) == len(learned) - 1 and table["significant"].all()
    assert {"cluster", "representative", "other_matches"} <= set(table.columns)
    assert dict(zip(table["motif"], table["match_id"]))["MA0083.3_rev"] == "MA0083.3"
    assert {m.name: m.altname for m in read_meme(named)}["MA0139.2_rev"] == "CTCF_MA0139.2"
    rc, _, err = run_cli(["annotate", str(meme), "-o", str(out)])
    assert rc == 2 and "already exists; pass --force" in err
    rc, _, err = run_cli(["annotate", str(meme), "-o", str(out), "--all", "--force"])
    assert rc == 0 and len(pd.read_csv(out, sep="\t")) == len(learned)
    rc, _, err = run_cli(["annotate", str(meme), "-o", str(out), "--force", "--database", str(tmp_path / "x.meme")])
    assert rc == 2 and "motif database not found" in err and "x.meme" in err
