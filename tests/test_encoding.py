import numpy as np
import pytest
import torch

from motifzoo.data.encoding import (SequenceError, codes_to_one_hot, decode, encode, fit_length, one_hot,
                                    reverse_complement, reverse_complement_codes)


def test_one_hot_acgt_order_and_lowercase():
    x = one_hot(["ACGTacgt"])
    assert x.shape == (1, 4, 8)
    assert x[0].argmax(0).tolist() == [0, 1, 2, 3, 0, 1, 2, 3]
    assert torch.all(x.sum(1) == 1)


def test_ambiguous_bases_are_zero_columns():
    x = one_hot(["ANRYT"])
    assert x[0].sum(0).tolist() == [1, 0, 0, 0, 1]
    assert decode(x) == ["ANNNT"]


def test_invalid_character_names_sequence_and_position():
    with pytest.raises(SequenceError, match=r"reads.tsv line 3: invalid character 'X' at position 2"):
        encode(["ACGT", "AXGT"], names=["reads.tsv line 2", "reads.tsv line 3"])


def test_unequal_lengths_is_clear_error():
    with pytest.raises(SequenceError, match="differ in length.*seq_len"):
        encode(["ACGT", "ACG"])


def test_reverse_complement_matches_string_rc():
    s = "AACGTTTGCAN"
    rc = s[::-1].translate(str.maketrans("ACGTN", "TGCAN"))
    assert decode(reverse_complement(one_hot([s]))) == [rc]
    assert decode(torch.as_tensor(reverse_complement_codes(encode([s])).astype(np.int64))) == [rc]


def test_fit_length_pads_and_crops():
    assert fit_length(["ACGTAC", "AC"], 4) == ["CGTA", "NACN"]
    assert fit_length(["AC"], 4, "left") == ["ACNN"]


def test_codes_roundtrip_vectorised():
    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGT"), 50)) for _ in range(20)]
    assert decode(codes_to_one_hot(encode(seqs))) == seqs


def test_encoded_sequences_batches_equal_the_one_hot_tensor():
    from motifzoo.data.encoding import EncodedSequences
    codes = np.random.default_rng(0).integers(0, 5, size=(37, 50)).astype(np.uint8)
    seqs = EncodedSequences(codes)
    full = codes_to_one_hot(codes)
    assert len(seqs) == 37 and seqs.shape == (37, 4, 50)
    assert torch.equal(torch.cat(list(seqs.batches(8))), full)
    assert torch.equal(seqs[3], full[3:4]) and torch.equal(seqs[5:9], full[5:9])
    with pytest.raises(ValueError, match=r"\(N, L\)"):
        EncodedSequences(codes[0])


def test_readouts_give_the_same_tables_on_encoded_sequences():
    """syntax/instances hold --data as 1-byte codes: motif export and instance calls must not change."""
    from motifzoo.data.encoding import EncodedSequences
    from motifzoo.data.simulate import simulate
    from motifzoo.interpret.instances import call_instances
    from motifzoo.interpret.syntax import motif_geometry
    from motifzoo.models import get_model
    torch.manual_seed(0)
    codes = encode(simulate("tiny", seed=0, n=200).sequences)
    model = get_model("expcnn_shallow", n_targets=3, input_length=codes.shape[1], n_filters=6).eval()
    full, compact = codes_to_one_hot(codes), EncodedSequences(codes)
    geo_full = motif_geometry(model, full, min_sites=1, batch_size=64)
    geo_compact = motif_geometry(model, compact, min_sites=1, batch_size=64)
    assert geo_full.equals(geo_compact)
    calls_full = call_instances(model, full, geo_full, 1e-2, keep_all=True, batch_size=64)
    calls_compact = call_instances(model, compact, geo_full, 1e-2, keep_all=True, batch_size=64)
    assert len(calls_full) > 0
    assert calls_full.equals(calls_compact)
