"""Variant effects explained by named motifs (issue 18): planted models with known answers, inputs, errors."""
import numpy as np
import pandas as pd
import pytest
import torch

import motifzoo
from motifzoo.data.tables import DataError
from motifzoo.data.vcf import read_variants
from motifzoo.interpret.variants import variant_effects, write_variant_effects
from motifzoo.motifs import Motif, load_jaspar

IDS = ["MA0139.2", "MA0148.5"]  # CTCF, FOXA1
TARGETS = ["ctcf", "foxa1"]
L = 100


def planted_model():
    """An exp CNN whose filter 0 is CTCF's log-odds PWM and filter 1 FOXA1's; target t reads filter t only."""
    torch.manual_seed(0)
    model = motifzoo.get_model("expcnn_shallow", n_targets=2, input_length=L, n_filters=3, filter_width=19,
                               pool_size=25, hidden=0, dropout=0.0)
    bins = (L - 19 + 1) // 25
    with torch.no_grad():
        model.scanner.conv.weight.zero_()
        for f, motif in enumerate(load_jaspar(IDS)):
            logodds = np.log(np.clip(motif.pwm, 1e-3, 1) / 0.25).T
            model.scanner.conv.weight[f, :, :motif.width] = torch.as_tensor(logodds, dtype=torch.float32)
        model.scanner.bn.weight.fill_(1.0)
        model.scanner.bn.bias.zero_()
        model.head.weight.zero_()
        model.head.bias.fill_(-3.0)
        # the flattened pool is filter-major: filter f owns columns f * bins .. (f + 1) * bins
        for t in range(2):
            model.head.weight[t, t * bins:(t + 1) * bins] = 1e-4
    model.target_names, model.task = TARGETS, "binary"
    return model.eval()


def consensus(motif) -> str:
    return "".join("ACGT"[i] for i in motif.pwm.argmax(1))


def background(seed=0, n=L) -> str:
    return "".join(np.random.default_rng(seed).choice(list("ACGT"), n))


def site_snv(motif_index=0, at=40, seed=0):
    """A background window with one consensus site, and the SNV at the site's most informative column."""
    motif = load_jaspar(IDS)[motif_index]
    site = consensus(motif)
    bg = background(seed)
    ref = bg[:at] + site + bg[at + len(site):]
    info = (motif.pwm * np.log2(np.clip(motif.pwm, 1e-9, 1) / 0.25)).sum(1)
    j = int(info.argmax())
    weakest = "ACGT"[int(motif.pwm[j].argmin())]
    alt = ref[:at + j] + weakest + ref[at + j + 1:]
    return ref, alt, at + j


def annotated_motifs():
    jaspar = load_jaspar(IDS)
    return [Motif(f"filter{f}", m.pwm, altname=f"{m.altname}_{m.name}") for f, m in enumerate(jaspar)]


# --------------------------------------------------------------------------------------------
# known answers
# --------------------------------------------------------------------------------------------
def test_site_breaking_snv_names_the_motif_and_lowers_its_target():
    model = planted_model()
    ref, alt, _ = site_snv(0)
    df = variant_effects(model, [ref], [alt], names=["ctcf_break"], motifs=annotated_motifs())
    assert list(df["target"]) == TARGETS and list(df["variant"]) == ["ctcf_break"] * 2
    row = df.set_index("target").loc["ctcf"]
    assert row["motif"] == "filter0 CTCF_MA0139.2"
    assert row["delta"] < 0 and row["delta_prob"] < 0
    assert row["motif_delta"] < 0 and row["created_or_broken"] == "broken"
    assert row["explained"] == pytest.approx(1.0, abs=1e-3)
    assert row["instance_strand"] == "+" and row["instance_start"] == 40
    assert row["ref_instance"] != row["alt_instance"]
    # FOXA1's target barely moves
    assert abs(df.set_index("target").loc["foxa1", "delta"]) < 0.05 * abs(row["delta"])


def test_site_creating_snv_raises_its_target():
    model = planted_model()
    ref, alt, _ = site_snv(1, at=30, seed=3)
    df = variant_effects(model, [alt], [ref], motifs=annotated_motifs())  # alt restores the site
    row = df.set_index("target").loc["foxa1"]
    assert row["motif"].startswith("filter1 FOXA1")
    assert row["delta"] > 0 and row["created_or_broken"] == "created"
    assert 0.9 <= row["explained"] <= 1.1


def test_reverse_strand_site_is_found_on_its_strand():
    model = motifzoo.get_model("expcnn_shallow", n_targets=2, input_length=L, n_filters=3, filter_width=19,
                               pool_size=25, hidden=0, dropout=0.0, strands="max")
    model.load_state_dict(planted_model().state_dict())
    model.target_names, model.task = TARGETS, "binary"
    model.eval()
    ref, alt, _ = site_snv(0)
    rc = lambda s: s.translate(str.maketrans("ACGT", "TGCA"))[::-1]  # noqa: E731
    df = variant_effects(model, [rc(ref)], [rc(alt)])
    row = df.set_index("target").loc["ctcf"]
    assert row["motif"] == "filter0" and row["instance_strand"] == "-" and row["delta"] < 0
    assert row["ref_instance"].startswith(consensus(load_jaspar(IDS)[0]))  # filter width 19 >= motif width


def test_motifs_restrict_the_candidates():
    model = planted_model()
    ref, alt, _ = site_snv(0)
    only_foxa1 = annotated_motifs()[1:]
    df = variant_effects(model, [ref], [alt], motifs=only_foxa1)
    assert set(df["motif"]) == {"filter1 FOXA1_MA0148.5"}
    with pytest.raises(ValueError, match="not a filter"):
        variant_effects(model, [ref], [alt], motifs=[Motif("unit7", np.full((5, 4), 0.25))])


def test_paralogs_tomtom_cannot_tell_apart_are_all_named():
    from motifzoo.interpret.annotate import indistinguishable_matches, load_database
    from motifzoo.interpret.variants import name_motifs
    jaspar = load_database("jaspar")
    ctcf, foxa1 = load_jaspar(IDS)
    # a paralog indistinguishable from FOXA1 (the same matrix under another name); CTCF has no such twin
    database = jaspar + [Motif("MX0001.1", foxa1.pwm.copy(), altname="FOXTWIN")]
    queries = [Motif("filter0", ctcf.pwm), Motif("filter1", foxa1.pwm)]
    names = indistinguishable_matches(queries, database)
    assert names["filter0"] == ["CTCF_MA0139.2"]
    assert set(names["filter1"][:2]) == {"FOXA1_MA0148.5", "FOXTWIN_MX0001.1"}
    assert indistinguishable_matches(queries, database, q_threshold=1e-300) == {"filter0": [], "filter1": []}
    assert indistinguishable_matches(queries[:1], database, p_ratio=1e40)["filter0"][:2] == ["CTCF_MA0139.2",
                                                                                             "CTCF_MA1930.2"]
    named = name_motifs(queries, database)
    assert [m.altname for m in named] == ["CTCF_MA0139.2", "/".join(names["filter1"])]
    assert queries[1].altname is None  # copies: the input is left alone
    with pytest.raises(ValueError, match="p_ratio"):
        indistinguishable_matches(queries, database, p_ratio=0.5)

    # in the variant table: the label lists the twins; the filter is still found and the effect explained
    model = planted_model()
    ref, alt, _ = site_snv(1, at=30)
    row = variant_effects(model, [ref], [alt], motifs=queries, database=database).set_index("target").loc["foxa1"]
    assert row["motif"] == "filter1 " + "/".join(names["filter1"]) and row["delta"] < 0
    assert row["explained"] == pytest.approx(1.0, abs=1e-3)
    with pytest.raises(ValueError, match="pass motifs too"):
        variant_effects(model, [ref], [alt], database=database)


def test_filters_are_grouped_by_their_best_name():
    from motifzoo.interpret.variants import motif_labels
    model = planted_model()  # filters 0, 1, 2
    flat = np.full((6, 4), 0.25)
    motifs = [Motif("filter0", flat, altname="CEBPE_MA0837.3/CEBPB_MA0466.4"),
              Motif("filter1", flat, altname="CEBPE_MA0837.3"), Motif("filter2", flat, altname="CEBPB_MA0466.4")]
    labels, allowed, members = motif_labels(model, motifs)
    assert labels[0] == "filter0 CEBPE_MA0837.3/CEBPB_MA0466.4" and allowed.all()
    assert members.tolist() == [[True, True, False], [False, False, True]]


def test_explainn_unit_contribution_is_exact():
    torch.manual_seed(1)
    model = motifzoo.get_model("explainn", n_targets=3, input_length=L, n_units=5, filter_width=9).eval()
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (6, L)), 4).float().transpose(1, 2)
    ref, alt = x[:3], x[3:]
    df = variant_effects(model, ref, alt)
    assert {"unit", "unit_contribution"} <= set(df.columns)
    with torch.no_grad():
        contributions = (model.unit_outputs(alt) - model.unit_outputs(ref))[:, :, None] * model.final.weight.T[None]
        delta = model(alt) - model(ref)
    # the units add up to delta exactly: the final layer is linear
    assert torch.allclose(contributions.sum(1), delta, atol=1e-4)
    for i, row in df.iterrows():
        b, t = divmod(i, 3)
        f = int(row["unit"].removeprefix("filter"))
        assert row["unit_contribution"] == pytest.approx(float(contributions[b, f, t]), rel=1e-4, abs=1e-6)
        assert f == int(contributions[b, :, t].abs().argmax())
        assert row["explained"] == pytest.approx(row["unit_contribution"] / row["delta"], rel=1e-3)


def test_explained_is_one_with_a_single_unit():
    torch.manual_seed(2)
    model = motifzoo.get_model("explainn", n_targets=1, input_length=L, n_units=1, filter_width=9, n_fc=0).eval()
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (4, L)), 4).float().transpose(1, 2)
    df = variant_effects(model, x[:2], x[2:])
    assert np.allclose(df["explained"], 1.0, atol=1e-4)


@pytest.mark.parametrize("name,kwargs", [
    ("expcnn_shallow", {}), ("expcnn_shallow", {"strands": "sum", "first_layer": "pwm"}), ("expcnn_deep", {}),
    ("argminn", {}), ("argminn_pairwise", {})])
def test_forward_from_activations_equals_forward(name, kwargs):
    torch.manual_seed(0)
    model = motifzoo.get_model(name, n_targets=2, input_length=120, **kwargs).eval()
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (3, 120)), 4).float().transpose(1, 2)
    forward = model.forward_from_activations
    with torch.no_grad():
        assert torch.allclose(forward(model.stranded_activations(x)), model(x), atol=1e-5)
        # swapping every filter's activations reproduces alt exactly
        assert torch.allclose(forward(model.stranded_activations(x.flip(0))), model(x.flip(0)), atol=1e-5)


def test_explained_is_bounded_on_site_breaking_snvs():
    model = planted_model()
    refs, alts = zip(*[site_snv(f % 2, at=10 + 7 * f, seed=f)[:2] for f in range(6)])
    df = variant_effects(model, list(refs), list(alts))
    target = np.array([TARGETS[f % 2] for f in range(6)])
    hit = df[df["target"] == np.repeat(target, 1)[np.arange(len(df)) // 2]]
    assert ((hit["explained"] > 0.5) & (hit["explained"] < 1.5)).all()


def test_batches_give_the_same_result_as_one_batch():
    torch.manual_seed(0)
    model = motifzoo.get_model("expcnn_shallow", n_targets=2, input_length=L, n_filters=6).eval()
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (10, L)), 4).float().transpose(1, 2)
    one = variant_effects(model, x[:5], x[5:], batch_size=64)
    many = variant_effects(model, x[:5], x[5:], batch_size=2)
    # float32 batched maths differ in the last bits. explained = unit effect / delta is ill-conditioned where delta
    # is small (a 1e-6 change in delta moved one ratio by 2e-3 in CI), so compare its numerator instead
    rest = [c for c in one.columns if c != "explained"]
    pd.testing.assert_frame_equal(one[rest], many[rest], rtol=2e-3, atol=1e-5)
    assert one["explained"].isna().equals(many["explained"].isna())
    np.testing.assert_allclose((one["explained"] * one["delta"]).fillna(0), (many["explained"] * many["delta"]).fillna(0),
                               rtol=2e-3, atol=1e-5)


def test_indel_windows_are_padded_to_the_input_length():
    model = planted_model()
    ref, _, pos = site_snv(0)
    deletion = ref[:pos] + ref[pos + 3:]
    df = variant_effects(model, [ref], [deletion])
    assert df.set_index("target").loc["ctcf", "delta"] < 0


# --------------------------------------------------------------------------------------------
# inputs: window tables and VCF + genome
# --------------------------------------------------------------------------------------------
@pytest.fixture
def genome(tmp_path):
    rng = np.random.default_rng(5)
    seqs = {"chr1": "".join(rng.choice(list("ACGT"), 400)), "chr2": "".join(rng.choice(list("ACGT"), 300))}
    path = tmp_path / "genome.fa"
    path.write_text("".join(f">{k}\n" + "\n".join(v[i:i + 60] for i in range(0, len(v), 60)) + "\n"
                            for k, v in seqs.items()))
    return path, seqs


def write_vcf(tmp_path, lines):
    path = tmp_path / "v.vcf"
    path.write_text("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
                    + "".join("\t".join(map(str, line)) + "\t.\t.\t.\n" for line in lines))
    return path


def batches_of(path, genome_path, length=L):
    batches, total = read_variants(path, length, genome=genome_path, batch_size=2)
    batches = list(batches)
    return batches, total


def test_vcf_windows_snv_and_indels(tmp_path, genome):
    gpath, seqs = genome
    g = seqs["chr1"]
    pos = 200  # 1-based
    lines = [("chr1", pos, "rs1", g[pos - 1], "ACGT".replace(g[pos - 1], "")[0]),   # SNV
             ("chr1", pos, "del", g[pos - 1:pos + 3], g[pos - 1]),                       # 3-bp deletion
             ("chr1", pos, "ins", g[pos - 1], g[pos - 1] + "TTT"),                       # 3-bp insertion
             ("chr2", 150, ".", seqs["chr2"][149], "A,C,G,T".replace(seqs["chr2"][149], "X"))]  # multi-allelic
    lines[3] = ("chr2", 150, ".", seqs["chr2"][149],
                ",".join(b for b in "ACGT" if b != seqs["chr2"][149]))
    batches, total = batches_of(write_vcf(tmp_path, lines), gpath)
    names = [n for b in batches for n in b.names]
    assert total == 6 and len(names) == 6
    base = seqs["chr2"][149]
    assert names[:3] == ["rs1", "del", "ins"]
    assert names[3:] == [f"chr2:150:{base}>{b}" for b in "ACGT" if b != base]
    ref = np.concatenate([b.ref for b in batches])
    alt = np.concatenate([b.alt for b in batches])
    decode = lambda row: "".join("ACGTN"[c] for c in row)  # noqa: E731
    start = pos - 1 - L // 2
    window = g[start:start + L]
    assert decode(ref[0]) == window
    assert decode(alt[0]) == window[:L // 2] + lines[0][4] + window[L // 2 + 1:]
    # deletion: same left flank, the right side pulled in from after the REF allele
    assert decode(alt[1]) == g[start:pos - 1] + g[pos - 1] + g[pos + 3:pos + 3 + L - L // 2 - 1]
    # insertion: the right end pushed out
    assert decode(alt[2]) == (g[start:pos - 1] + g[pos - 1] + "TTT" + g[pos:])[:L]
    info = batches[0].info
    assert info["chrom"] == ["chr1", "chr1"] and info["ref_allele"][0] == g[pos - 1]


def test_vcf_ref_mismatch_names_line_and_alleles(tmp_path, genome):
    gpath, seqs = genome
    actual = seqs["chr1"][199]
    wrong = "ACGT".replace(actual, "")[0]
    path = write_vcf(tmp_path, [("chr1", 150, ".", seqs["chr1"][149], "N"), ("chr1", 200, "x", wrong, actual)])
    with pytest.raises(DataError, match=rf"line 4 \(chr1:200\): REF '{wrong}' does not match the genome, which has "
                                        rf"'{actual}'"):
        batches_of(path, gpath)


def test_vcf_unknown_chromosome(tmp_path, genome):
    gpath, _ = genome
    with pytest.raises(DataError, match=r"line 3: chromosome 'chrX' is not in genome.fa"):
        batches_of(write_vcf(tmp_path, [("chrX", 150, ".", "A", "C")]), gpath)


@pytest.mark.parametrize("pos,side", [(20, "start"), (380, "end")])
def test_vcf_too_close_to_chromosome_end(tmp_path, genome, pos, side):
    gpath, seqs = genome
    path = write_vcf(tmp_path, [("chr1", pos, ".", seqs["chr1"][pos - 1], "N")])
    with pytest.raises(DataError, match=rf"line 3 \(chr1:{pos}\): too close to the {side} of chr1"):
        batches_of(path, gpath)


def test_vcf_symbolic_and_oversized_alleles_are_refused(tmp_path, genome):
    gpath, seqs = genome
    with pytest.raises(DataError, match=r"line 3 .*ALT allele '<DEL>' is not a sequence"):
        batches_of(write_vcf(tmp_path, [("chr1", 200, ".", seqs["chr1"][199], "<DEL>")]), gpath)
    with pytest.raises(DataError, match=r"line 3 .*ALT allele of 60 bp does not fit the 100 bp window"):
        batches_of(write_vcf(tmp_path, [("chr1", 200, ".", seqs["chr1"][199], "A" * 60)]), gpath)
    with pytest.raises(DataError, match="POS 'x' is not an integer"):
        batches_of(write_vcf(tmp_path, [("chr1", "x", ".", "A", "C")]), gpath)


def test_vcf_needs_a_genome_and_tables_need_columns(tmp_path, genome):
    path = write_vcf(tmp_path, [("chr1", 200, ".", "A", "C")])
    with pytest.raises(DataError, match="is a VCF: pass the genome"):
        read_variants(path, L)
    table = tmp_path / "t.tsv"
    table.write_text("id\tref\talt\nv1\tACGT\tACGA\n")
    with pytest.raises(DataError, match=r"needs columns name, ref and alt \(windows of sequence\); missing name"):
        list(read_variants(table, L)[0])
    table.write_text("name\tref\talt\nv1\tACGT\tACGX\n")
    with pytest.raises(DataError, match=r"t.tsv line 2: invalid character 'X'"):
        list(read_variants(table, L)[0])


def test_vcf_and_table_give_the_same_effects(tmp_path, genome):
    gpath, seqs = genome
    g = seqs["chr1"]
    model = planted_model()
    alt_base = "ACGT".replace(g[199], "")[0]
    vcf = write_vcf(tmp_path, [("chr1", 200, "v1", g[199], alt_base)])
    start = 200 - 1 - L // 2
    window = g[start:start + L]
    table = tmp_path / "w.tsv"
    table.write_text(f"name\tref\talt\nv1\t{window}\t{window[:L // 2] + alt_base + window[L // 2 + 1:]}\n")
    a, b = tmp_path / "a.tsv", tmp_path / "b.tsv"
    assert write_variant_effects(model, vcf, a, genome=gpath) == 1
    assert write_variant_effects(model, table, b) == 1
    va, vb = pd.read_csv(a, sep="\t"), pd.read_csv(b, sep="\t")
    assert {"chrom", "pos", "ref_allele", "alt_allele"} <= set(va.columns)
    pd.testing.assert_frame_equal(va[vb.columns], vb)


# --------------------------------------------------------------------------------------------
# simulated ground truth
# --------------------------------------------------------------------------------------------
def test_simulated_variants_have_known_answers(tiny_sim):
    from motifzoo.data.simulate_variants import simulate_variants
    v = simulate_variants(tiny_sim, n=30, seed=0)
    assert set(v["kind"]) == {"break", "create", "background"}
    assert (v["kind"] == "background").sum() == (v["kind"] == "break").sum()
    sites = tiny_sim.sites
    for row in v.itertuples():
        diff = [i for i, (a, b) in enumerate(zip(row.ref, row.alt)) if a != b]
        assert diff == [row.position] and len(row.ref) == len(row.alt) == 100
        here = sites[sites["sequence"] == row.sequence]
        inside = ((here["start"] <= row.position) & (row.position < here["end"]))
        if row.kind == "break":
            assert here.loc[inside, "motif"].tolist() == [row.motif] and row.tf
        if row.kind == "background":
            assert not inside.any() and row.motif != row.motif or row.motif in ("", None) or pd.isna(row.motif)


def test_break_snvs_only_at_sites_the_generating_motif_calls(tiny_sim):
    from motifzoo.data.simulate_variants import MAX_SITE_P, site_pvalue, simulate_variants
    ctcf = load_jaspar(IDS)[0]
    # the consensus scores above every other window: p = 4^-W (no column has two best bases)
    assert site_pvalue(ctcf.pwm, consensus(ctcf)) == pytest.approx(0.25 ** ctcf.width)
    assert site_pvalue(ctcf.pwm, "".join("ACGT"[i] for i in ctcf.pwm.argmin(1))) == pytest.approx(1.0)
    every = simulate_variants(tiny_sim, n=200, seed=0, max_site_p=None)
    called = simulate_variants(tiny_sim, n=200, seed=0)
    b_every, b_called = every[every["kind"] == "break"], called[called["kind"] == "break"]
    assert (b_every["site_p"] > MAX_SITE_P).any(), "the tiny preset plants some sites no scan would call"
    assert (b_called["site_p"] <= MAX_SITE_P).all() and len(b_called) > 0
    assert (called["kind"] == "background").sum() == len(b_called)
    # site_p is the planted instance's p-value, read from the sequence on its strand
    sites = tiny_sim.sites
    motifs = {m.name: m for m in tiny_sim.motifs}
    row = b_every.iloc[0]
    site = sites[(sites["sequence"] == row["sequence"]) & (sites["start"] <= row["position"])
                 & (sites["end"] > row["position"])].iloc[0]
    window = row["ref"][site["start"]:site["end"]]
    if site["strand"] == "-":
        window = window.translate(str.maketrans("ACGT", "TGCA"))[::-1]
    assert row["site_p"] == pytest.approx(site_pvalue(motifs[row["motif"]].pwm, window))


def test_simulated_syntax_variants():
    from motifzoo.data.simulate import simulate
    from motifzoo.data.simulate_variants import simulate_variants
    sim = simulate("spacing_small", seed=0, n=200)
    v = simulate_variants(sim, n=10, seed=0)
    assert {"spacing", "orientation"} <= set(v["kind"])
    assert (v["ref"].str.len() == 150).all() and (v["alt"].str.len() == 150).all()
    o = v[v["kind"] == "orientation"].iloc[0]
    width = len(o["ref_allele"])
    rc = o["ref_allele"].translate(str.maketrans("ACGT", "TGCA"))[::-1]
    assert o["alt"][o["position"]:o["position"] + width] == rc


# --------------------------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------------------------
def test_cli_simulate_and_score_variants(tmp_path, genome):
    from clirun import run
    ckpt = tmp_path / "planted.ckpt"
    model = planted_model()
    motifzoo.save(model, ckpt, target_names=TARGETS, task="binary", input_length=L)
    rc, out, err = run(["simulate", "tiny", "-o", str(tmp_path / "sim.tsv.gz"), "-n", "300",
                        "--variants", str(tmp_path / "v.tsv"), "--n-variants", "5"])
    assert rc == 0, err
    assert "variants with known answers (5 break, 5 background, 5 create)" in out
    rc, out, err = run(["variants", str(ckpt), "--variants", str(tmp_path / "v.tsv"), "-o", str(tmp_path / "e.tsv"),
                        "--device", "cpu", "--batch-size", "4"])
    assert rc == 0, err
    effects = pd.read_csv(tmp_path / "e.tsv", sep="\t")
    assert len(effects) == 15 * 2 and list(effects.columns[:6]) == ["variant", "target", "ref_score", "alt_score",
                                                                     "delta", "delta_prob"]
    # a VCF with a bad REF: one line naming the line, and both alleles
    gpath, seqs = genome
    actual = seqs["chr1"][199]
    wrong = "ACGT".replace(actual, "")[0]
    vcf = write_vcf(tmp_path, [("chr1", 200, "x", wrong, actual)])
    rc, out, err = run(["variants", str(ckpt), "--variants", str(vcf), "--genome", str(gpath),
                        "-o", str(tmp_path / "e2.tsv")])
    assert rc == 2 and err.count("\n") == 1
    assert f"line 3 (chr1:200): REF '{wrong}' does not match the genome, which has '{actual}'" in err
    assert not (tmp_path / "e2.tsv").exists() and not (tmp_path / "e2.tsv.partial").exists()
    rc, out, err = run(["variants", str(ckpt), "--variants", str(vcf), "-o", str(tmp_path / "e3.tsv")])
    assert rc == 2 and "is a VCF: pass the genome it refers to (--genome" in err
    rc, out, err = run(["variants", str(ckpt), "--variants", str(tmp_path / "v.tsv"), "-o", str(tmp_path / "e4.tsv"),
                        "--database", "jaspar"])
    assert rc == 2 and "--database names the exported motifs: pass them with --motifs" in err
    from motifzoo.motifs import write_meme
    write_meme(annotated_motifs(), tmp_path / "m.meme")
    rc, out, err = run(["variants", str(ckpt), "--variants", str(tmp_path / "v.tsv"), "-o", str(tmp_path / "e5.tsv"),
                        "--motifs", str(tmp_path / "m.meme"), "--database", str(tmp_path / "nosuch.meme")])
    assert rc == 2 and "motif database not found" in err and err.count("\n") == 1
    assert not (tmp_path / "e5.tsv").exists() and not (tmp_path / "e5.tsv.partial").exists()


def test_report_section_shows_ref_and_alt_logos(tmp_path):
    from motifzoo.interpret.variants_report import variants_section
    model = planted_model()
    rows = [site_snv(0, at=40, seed=1), site_snv(1, at=20, seed=2)]
    table = tmp_path / "v.tsv"
    table.write_text("name\tref\talt\n" + "".join(f"v{i}\t{r}\t{a}\n" for i, (r, a, _) in enumerate(rows)))
    body, files = variants_section(model, table, tmp_path, motifs=annotated_motifs(), n_top=2)
    assert "variant_effects.tsv" in files and (tmp_path / "variant_effects.tsv").exists()
    assert body.count("<img src='data:image/png;base64,") == 2
    assert "filter0 CTCF_MA0139.2" in body and "broken" in body


def test_cli_report_adds_a_variants_section(tmp_path):
    from clirun import run
    from motifzoo.interpret.annotate import load_database
    from motifzoo.motifs import write_meme
    ckpt = tmp_path / "planted.ckpt"
    motifzoo.save(planted_model(), ckpt, target_names=TARGETS, task="binary", input_length=L)
    rows = [site_snv(0, at=40, seed=1), site_snv(1, at=20, seed=2)]
    table = tmp_path / "v.tsv"
    table.write_text("name\tref\talt\n" + "".join(f"v{i}\t{r}\t{a}\n" for i, (r, a, _) in enumerate(rows)))
    # JASPAR plus a twin of FOXA1 TOMTOM cannot tell apart from it
    foxa1 = load_jaspar(IDS)[1]
    database = tmp_path / "db.meme"
    write_meme(load_database("jaspar") + [Motif("MX0001.1", foxa1.pwm.copy(), altname="FOXTWIN")], database)
    rc, out, err = run(["report", str(ckpt), "-d", str(tmp_path / "rep"), "--variants", str(table), "--no-syntax",
                        "--database", str(database), "--device", "cpu"])
    assert rc == 0, err
    page = (tmp_path / "rep" / "index.html").read_text()
    assert "<section id='variants'>" in page and "variant_effects.tsv" in page
    assert (tmp_path / "rep" / "variant_effects.tsv").exists()
    # the section names motifs as `motifzoo variants --database` does (the twins too), not by best match alone
    rc, out, err = run(["variants", str(ckpt), "--variants", str(table), "-o", str(tmp_path / "cli.tsv"),
                        "--motifs", str(tmp_path / "rep" / "motifs.meme"), "--database", str(database),
                        "--device", "cpu"])
    assert rc == 0, err
    in_report = pd.read_csv(tmp_path / "rep" / "variant_effects.tsv", sep="\t")
    from_cli = pd.read_csv(tmp_path / "cli.tsv", sep="\t")
    assert list(in_report["motif"]) == list(from_cli["motif"])
    assert in_report["motif"].str.contains("FOXTWIN_MX0001.1").any()


def test_grouped_units_report_the_unit_that_carries_the_effect():
    """A motif of several ExplaiNN units (one name) is swapped as their sum; the unit reported is the member with
    the largest contribution to that target, and ``unit_contribution`` is that unit's own."""
    torch.manual_seed(3)
    model = motifzoo.get_model("explainn", n_targets=2, input_length=L, n_units=4, filter_width=9).eval()
    x = torch.nn.functional.one_hot(torch.randint(0, 4, (10, L)), 4).float().transpose(1, 2)
    ref, alt = x[:5], x[5:]
    flat = np.full((9, 4), 0.25)
    # units 0-2 share a name (one motif), unit 3 is a motif of its own
    motifs = [Motif(f"filter{f}", flat, altname="SAME_MA0000.1" if f < 3 else "OTHER_MA0000.2") for f in range(4)]
    df = variant_effects(model, ref, alt, motifs=motifs)
    with torch.no_grad():
        contributions = (model.unit_outputs(alt) - model.unit_outputs(ref))[:, :, None] * model.final.weight.T[None]
    for i, row in df.iterrows():
        b, t = divmod(i, 2)
        c = contributions[b, :, t]
        f = int(row["unit"].removeprefix("filter"))
        assert row["motif"].startswith(f"filter{f} ")
        assert row["unit_contribution"] == pytest.approx(float(c[f]), rel=1e-4, abs=1e-6)
        group = [0, 1, 2] if f < 3 else [3]
        assert f == group[int(c[group].abs().argmax())]
        assert row["explained"] == pytest.approx(float(c[group].sum()) / row["delta"], rel=1e-3, abs=1e-5)


def test_motif_cut_by_the_filter_edge_is_exported_whole_with_flank():
    """A filter holding FOXA1's first 7 columns against its right edge fires on whole FOXA1 sites: ``flank`` reads
    the 8th column from the sites; without it the export stops at the filter's edge."""
    from motifzoo.interpret.pwm import model_motifs
    foxa1 = load_jaspar(["MA0148.5"])[0]
    logodds = np.log(np.clip(foxa1.pwm, 1e-3, 1) / 0.25).T  # (4, 8)
    torch.manual_seed(0)
    model = motifzoo.get_model("expcnn_shallow", n_targets=1, input_length=L, n_filters=1, filter_width=19,
                               pool_size=25, hidden=0, dropout=0.0)
    with torch.no_grad():
        model.scanner.conv.weight.zero_()
        model.scanner.conv.weight[0, :, 12:] = torch.as_tensor(logodds[:, :7], dtype=torch.float32)
        model.scanner.bn.weight.fill_(1.0)
        model.scanner.bn.bias.zero_()
    model.eval()
    site = consensus(foxa1)
    rng = np.random.default_rng(0)
    seqs = []
    for i in range(200):
        bg = background(seed=i)
        at = int(rng.integers(30, 60))
        seqs.append(bg[:at] + site + bg[at + len(site):])
    from motifzoo.data.encoding import one_hot
    x = one_hot(seqs)
    kwargs = dict(min_sites=5, min_site_fraction=0.0, enrichment_p=None, threshold=0.5)
    cut, table = model_motifs(model, x, **kwargs)
    whole, table_flank = model_motifs(model, x, flank=4, **kwargs)
    assert len(cut) == len(whole) == 1 and table["status"].tolist() == table_flank["status"].tolist()
    assert consensus(cut[0]) == site[:7] and cut[0].meta["start"] == 12
    assert consensus(whole[0]) == site and whole[0].meta["start"] == 12
    assert (whole[0].meta["flank_left"], whole[0].meta["flank_right"]) == (0, 1)
    assert np.allclose(whole[0].pwm[:7], cut[0].pwm)  # the filter's own columns are unchanged
    with pytest.raises(ValueError, match="flank"):
        model_motifs(model, x, flank=-1, **kwargs)
