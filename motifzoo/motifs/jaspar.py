"""The JASPAR 2024 CORE vertebrate matrices shipped with motifzoo (CC BY 4.0; see databases/README.md)."""
from __future__ import annotations

from importlib import resources

from .meme import read_meme
from .motif import Motif

JASPAR_FILE = "jaspar2024_core_vertebrates.meme.gz"


def jaspar_path():
    """Path of the shipped JASPAR 2024 CORE vertebrates MEME file."""
    return resources.files("motifzoo.motifs") / "databases" / JASPAR_FILE


def load_jaspar(ids: list[str] | None = None) -> list[Motif]:
    """Shipped JASPAR 2024 CORE vertebrate motifs (all, or those with the given matrix ids, in order).

    Each motif's ``name`` is the matrix id and ``altname`` the TF name.
    """
    motifs = read_meme(jaspar_path())
    if ids is None:
        return motifs
    by_id = {m.name: m for m in motifs}
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise KeyError(f"JASPAR ids not in the shipped file: {', '.join(missing)}")
    return [by_id[i] for i in ids]
