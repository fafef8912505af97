import io

import numpy as np
import pytest

from motifzoo.interpret import MemeFormatError, Motif, read_meme, write_meme


def _motifs():
    rng = np.random.default_rng(0)
    out = []
    for i, w in enumerate([5, 12, 19]):
        p = rng.dirichlet(np.ones(4) * 0.5, size=w)
        out.append(Motif(f"filter{i}", p, nsites=37 + i, altname=f"TF{i}" if i else None))
    return out


def test_written_meme_parses_in_biopython(tmp_path):
    from Bio import motifs as bio_motifs
    path = tmp_path / "m.meme"
    ms = _motifs()
    write_meme(ms, path)
    with open(path) as fh:
        parsed = bio_motifs.parse(fh, "minimal")
    assert [m.name for m in parsed] == [m.name for m in ms]
    for bio, ours in zip(parsed, ms):
        assert bio.length == ours.width
        assert bio.num_occurrences == ours.nsites
        counts = np.array([bio.counts[b] for b in "ACGT"]).T
        # Biopython turns probabilities into counts out of nsites
        np.testing.assert_allclose(counts / ours.nsites, ours.pwm, atol=0.5 / ours.nsites + 1e-6)


def test_written_meme_parses_in_memelite(tmp_path):
    from memelite.io import read_meme as ml_read
    path = tmp_path / "m.meme"
    ms = _motifs()
    write_meme(ms, path)
    got = ml_read(str(path))
    assert len(got) == len(ms)  # the last motif is not dropped
    for ours, (key, pwm) in zip(ms, got.items()):
        assert key.split()[0] == ours.name
        np.testing.assert_allclose(np.asarray(pwm).T, ours.pwm, atol=1e-5)


def test_roundtrip_and_rows_sum_to_one(tmp_path):
    path = tmp_path / "m.meme"
    ms = _motifs()
    write_meme(ms, path)
    text = path.read_text()
    assert "ALPHABET= ACGT" in text and "strands: + -" in text and "Background letter frequencies" in text
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 4 and all(c[0].isdigit() for c in parts):
            assert abs(sum(map(float, parts)) - 1) < 1e-9
    back = read_meme(path)
    for a, b in zip(ms, back):
        assert (a.name, a.altname, a.nsites) == (b.name, b.altname, b.nsites)
        np.testing.assert_allclose(a.pwm, b.pwm, atol=1e-6)


def test_reader_is_lenient(tmp_path):
    path = tmp_path / "loose.meme"
    path.write_text("MEME version 4\n\nMOTIF a\nletter-probability matrix: alength=4 w=2\n"
                    "  0.1   0.2 0.3 0.4\n0.25 0.25 0.25 0.25")  # no trailing blank line
    (m,) = read_meme(path)
    assert m.name == "a" and m.width == 2


def test_reader_rejects_bad_rows_with_line_number(tmp_path):
    path = tmp_path / "bad.meme"
    path.write_text("MEME version 4\n\nMOTIF a\nletter-probability matrix: alength= 4 w= 2\n0.5 0.5 0.5 0.5\n0.25 0.25 0.25 0.25\n")
    with pytest.raises(MemeFormatError, match=r"bad.meme line 5: .*sums to 2"):
        read_meme(path)
    path.write_text("MEME version 4\n\nMOTIF a\nletter-probability matrix: alength= 4 w= 2\n0.5 0.5\n0.25 0.25 0.25 0.25\n")
    with pytest.raises(MemeFormatError, match=r"line 5: .*2 columns, expected 4"):
        read_meme(path)
    path.write_text("MEME version 4\n\nMOTIF a\nletter-probability matrix: alength= 4 w= 3\n0.25 0.25 0.25 0.25\n")
    with pytest.raises(MemeFormatError, match=r"declares w= 3 but has 1 rows"):
        read_meme(path)


def test_writer_refuses_bad_names_and_missing_dir(tmp_path):
    with pytest.raises(ValueError, match="whitespace"):
        write_meme([Motif("a b", np.full((3, 4), 0.25))], tmp_path / "x.meme")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_meme(_motifs(), tmp_path / "missing" / "x.meme")
