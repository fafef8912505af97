"""The end-to-end promise: train on planted motifs, export MEME, find the planted motifs again."""
import contextlib
import io

from motifzoo.motifs import load_jaspar
from motifzoo.interpret import read_meme
from motifzoo.interpret.compare import motif_recovery
from motifzoo.cli import main


def test_planted_motifs_are_recovered(trained_ckpt, tiny_table, tiny_sim, tmp_path):
    out = tmp_path / "learned.meme"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["motifs", trained_ckpt, "-o", str(out), "--data", str(tiny_table)]) == 0
    res = motif_recovery(read_meme(out), tiny_sim.motifs, background=load_jaspar())
    assert res["n_recovered"] >= 2, res  # of 3 planted (CTCF, GATA1, CEBPB), after a few epochs
    assert res["precision"] >= 0.5, res


def test_tomtom_finds_a_jaspar_motif_in_itself():
    jaspar = load_jaspar()
    ctcf = next(m for m in jaspar if m.name == "MA0139.2")
    res = motif_recovery([ctcf], [ctcf], background=jaspar)
    assert res["recovered"] == ["MA0139.2"] and res["precision"] == 1.0
