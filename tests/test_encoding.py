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
