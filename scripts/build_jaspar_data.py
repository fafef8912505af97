"""Regenerate motifzoo/motifs/databases/jaspar2024_core_vertebrates.meme.gz from pyjaspar (offline SQLite).

    python scripts/build_jaspar_data.py

JASPAR is distributed under CC BY 4.0; see motifzoo/motifs/databases/README.md.
"""
import gzip
from pathlib import Path

import numpy as np
from pyjaspar import jaspardb

from motifzoo.motifs import Motif, format_meme

out = Path(__file__).resolve().parents[1] / "motifzoo" / "motifs" / "databases" / "jaspar2024_core_vertebrates.meme.gz"
db = jaspardb(release="JASPAR2024")
motifs = []
for m in db.fetch_motifs(collection="CORE", tax_group=["vertebrates"], all_versions=False):
    counts = np.array([m.counts[b] for b in "ACGT"], dtype=float).T
    nsites = int(round(counts.sum(1).max()))
    motifs.append(Motif(m.matrix_id, counts / counts.sum(1, keepdims=True), nsites=max(nsites, 1),
                        altname="".join(m.name.split())))
with gzip.open(out, "wt") as fh:
    fh.write(format_meme(motifs))
print(f"wrote {len(motifs)} motifs to {out}")
