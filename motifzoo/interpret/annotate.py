"""Name learned motifs by their best match in a motif database, and group redundant ones.

:func:`annotate` compares learned motifs with a database by TOMTOM (memelite; no
external binaries) and keeps the best match of each. Databases:

* ``"jaspar"`` — the JASPAR 2024 CORE vertebrate matrices shipped with motifzoo (offline);
* ``"pyjaspar[:RELEASE[:TAXON]]"`` — JASPAR CORE, latest version of each matrix (non-redundant),
  read offline from ``pyjaspar``'s bundled SQLite copy (``pip install 'motifzoo[jaspar]'``);
  e.g. ``"pyjaspar"`` (pyjaspar's newest release, vertebrates) or ``"pyjaspar:JASPAR2024:plants"``;
* any MEME minimal-format file (plain or ``.gz``);
* a list of :class:`~motifzoo.motifs.Motif`.

:func:`cluster_motifs` compares the learned motifs with each other and joins those that
match (connected components at q < threshold), so a user sees a dozen distinct motifs,
not 64 filters.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .compare import tomtom
from ..motifs import Motif, information_content

#: columns of the table :func:`annotate` returns
ANNOTATION_COLUMNS = ["motif", "match_id", "match_name", "p", "q", "offset", "strand", "overlap", "significant",
                      "other_matches", "information"]
#: JASPAR taxonomic groups (pyjaspar's ``tax_group``)
JASPAR_TAXA = ("vertebrates", "plants", "insects", "nematodes", "fungi", "urochordates", "diatoms", "trematodes")


class DatabaseError(ValueError):
    """A motif database could not be found or read; the message names it."""


# --------------------------------------------------------------------------------------------
# Databases
# --------------------------------------------------------------------------------------------
def jaspar_motifs(release: str | None = None, taxon: str = "vertebrates", collection: str = "CORE") -> list[Motif]:
    """JASPAR matrices read offline from ``pyjaspar`` (latest version of each matrix).

    Parameters
    ----------
    release : str, optional
        e.g. ``"JASPAR2024"``; default: the newest release pyjaspar ships.
    taxon : str
        JASPAR taxonomic group (one of :data:`JASPAR_TAXA`).
    collection : str
        JASPAR collection, ``CORE`` by default.

    Returns
    -------
    list of Motif
        Named by matrix id (``MA0139.2``), TF name as ``altname`` (spaces removed).
    """
    try:
        from pyjaspar import jaspardb
    except ImportError:
        raise DatabaseError("database 'pyjaspar' needs the pyjaspar package: pip install 'motifzoo[jaspar]' (or use "
                            "database 'jaspar', the JASPAR 2024 CORE vertebrates shipped with motifzoo)") from None
    if taxon not in JASPAR_TAXA:
        raise DatabaseError(f"unknown JASPAR taxon {taxon!r}; expected one of: {', '.join(JASPAR_TAXA)}")
    db = jaspardb() if release is None else _open_release(jaspardb, release)
    records = db.fetch_motifs(collection=collection, tax_group=[taxon], all_versions=False)
    motifs = []
    for rec in records:
        counts = np.array([rec.counts[b] for b in "ACGT"], dtype=np.float64).T
        nsites = int(round(counts.sum(1).max()))
        motifs.append(Motif(rec.matrix_id, counts / counts.sum(1, keepdims=True), nsites=max(nsites, 1),
                            altname="".join(str(rec.name).split()) or None))
    if not motifs:
        raise DatabaseError(f"pyjaspar returned no {collection} motifs for taxon {taxon!r} "
                            f"(release {release or 'newest'})")
    return motifs


def _open_release(jaspardb, release: str):
    """``jaspardb(release=...)`` with a clear error listing the releases pyjaspar ships."""
    available = jaspardb().get_releases()
    if release not in available:
        raise DatabaseError(f"JASPAR release {release!r} is not in pyjaspar; available: {', '.join(available)}")
    return jaspardb(release=release)


def load_database(database="jaspar") -> list[Motif]:
    """The motifs of a database given by name, MEME path or list.

    Parameters
    ----------
    database : str, path or list of Motif
        ``"jaspar"`` (shipped JASPAR 2024 CORE vertebrates), ``"pyjaspar[:RELEASE[:TAXON]]"``,
        a MEME file, or motifs.

    Returns
    -------
    list of Motif

    Raises
    ------
    DatabaseError
        The file does not exist, is not a MEME file, or holds no motifs; pyjaspar is missing.
    """
    from ..motifs import MemeFormatError, read_meme
    if isinstance(database, (list, tuple)):
        if not all(isinstance(m, Motif) for m in database):
            raise DatabaseError("a database given as a list must hold Motif objects")
        motifs = list(database)
    elif str(database) == "jaspar":
        from ..motifs import jaspar_path
        motifs = read_meme(jaspar_path())
    elif str(database).split(":", 1)[0] == "pyjaspar":
        parts = str(database).split(":")
        if len(parts) > 3:
            raise DatabaseError(f"database {database!r}: expected pyjaspar[:RELEASE[:TAXON]], "
                                "e.g. pyjaspar:JASPAR2024:vertebrates")
        release = parts[1] if len(parts) > 1 and parts[1] else None
        taxon = parts[2] if len(parts) > 2 and parts[2] else "vertebrates"
        motifs = jaspar_motifs(release, taxon)
    else:
        path = Path(database)
        if not path.exists():
            raise DatabaseError(f"motif database not found: {path} (expected 'jaspar', 'pyjaspar[:RELEASE[:TAXON]]' "
                                "or a MEME file)")
        if path.is_dir():
            raise DatabaseError(f"motif database {path} is a directory; pass a MEME file")
        try:
            motifs = read_meme(path)
        except MemeFormatError as err:
            raise DatabaseError(f"motif database {err}") from None
        except (UnicodeDecodeError, OSError) as err:  # binary junk, a broken .gz, unreadable
            raise DatabaseError(f"motif database {path} is not a readable MEME file ({type(err).__name__})") from None
    if not motifs:
        raise DatabaseError(f"motif database {database!r} holds no motifs")
    return motifs


def database_label(database) -> str:
    """A short human-readable name of a database argument, for reports and logs."""
    if isinstance(database, (list, tuple)):
        return f"{len(database)} motifs given"
    if str(database) == "jaspar":
        return "JASPAR 2024 CORE vertebrates (shipped with motifzoo)"
    if str(database).startswith("pyjaspar"):
        parts = str(database).split(":") + ["", ""]
        return f"JASPAR {parts[1] or '(newest pyjaspar release)'} CORE {parts[2] or 'vertebrates'} (pyjaspar)"
    return str(database)


# --------------------------------------------------------------------------------------------
# Annotation
# --------------------------------------------------------------------------------------------
def _check_motifs(motifs, what: str = "motifs") -> list[Motif]:
    motifs = list(motifs)
    if not all(isinstance(m, Motif) for m in motifs):
        raise TypeError(f"{what} must be Motif objects")
    names = [m.name for m in motifs]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"{what} have duplicate names: {', '.join(dup[:5])}")
    return motifs


def annotate(motifs, database="jaspar", q_threshold: float = 0.05, significant_only: bool = True) -> pd.DataFrame:
    """The best database match of each learned motif, by TOMTOM.

    Parameters
    ----------
    motifs : list of Motif
        Learned motifs (e.g. from :func:`motifzoo.interpret.model_motifs`); names must be unique.
    database : str, path or list of Motif
        See :func:`load_database`.
    q_threshold : float
        A match is significant when its q-value (Benjamini-Hochberg over the database, per
        motif, as TOMTOM reports) is below this.
    significant_only : bool
        Keep only motifs with a significant match; otherwise one row per motif, with
        ``significant`` False (and the nearest match) where none passes.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`ANNOTATION_COLUMNS`: ``motif``, ``match_id``, ``match_name`` (the database
        altname, e.g. the TF), ``p``, ``q``, ``offset`` (of the motif's first column in the match, or in
        its reverse complement when ``strand`` is ``-``), ``strand``, ``overlap`` (columns aligned),
        ``significant``, ``other_matches`` (next significant matches, ``NAME_ID``, comma-separated),
        ``information`` (the motif's total bits; TOMTOM finds near-uniform motifs "significant" too
        easily, so read weak matches of low-information motifs with care). Sorted by ``q``;
        ``attrs["database"]`` describes the database.
    """
    motifs = _check_motifs(motifs)
    db = load_database(database)
    if not motifs:
        table = pd.DataFrame(columns=ANNOTATION_COLUMNS)
    else:
        table = _with_information(best_matches(tomtom(motifs, db), q_threshold), motifs)
    if significant_only:
        table = table[table["significant"]]
    table = table.sort_values(["q", "p"], kind="stable").reset_index(drop=True)
    table.attrs["database"] = database_label(database)
    table.attrs["q_threshold"] = q_threshold
    return table


def best_matches(comparison: pd.DataFrame, q_threshold: float = 0.05, n_other: int = 3) -> pd.DataFrame:
    """One row per query of a :func:`~motifzoo.interpret.compare.tomtom` table: its lowest-p target.

    ``other_matches`` lists the next ``n_other`` significant targets (``NAME_ID``, by p), since
    members of one TF family often match a learned motif almost equally well.
    """
    ranked = comparison.sort_values(["query", "p"], kind="stable")
    ranked = ranked.assign(label=[match_label(i, n) for i, n in zip(ranked["target"], ranked["target_altname"])])
    first = ranked.groupby("query", sort=False).head(1).set_index("query")
    runners = ranked[ranked["q"] < q_threshold].groupby("query", sort=False).nth(list(range(1, n_other + 1)))
    others = runners.groupby("query", sort=False)["label"].agg(", ".join)
    order = list(dict.fromkeys(comparison["query"]))  # the queries' input order
    best = first.loc[order]
    return pd.DataFrame({
        "motif": order,
        "match_id": best["target"].to_numpy(),
        "match_name": best["target_altname"].to_numpy(),
        "p": best["p"].to_numpy(), "q": best["q"].to_numpy(),
        "offset": best["offset"].to_numpy(), "strand": best["strand"].to_numpy(),
        "overlap": best["overlap"].to_numpy(),
        "significant": (best["q"] < q_threshold).to_numpy(),
        "other_matches": [others.get(q, "") for q in order],
    })


def _with_information(table: pd.DataFrame, motifs: list[Motif]) -> pd.DataFrame:
    """Add each motif's total information (bits): TOMTOM calls near-uniform motifs significant
    too easily, so weak matches of low-information motifs deserve a second look."""
    bits = {m.name: round(float(information_content(m.pwm).sum()), 2) for m in motifs}
    return table.assign(information=table["motif"].map(bits))


def match_label(match_id: str, match_name: str | None) -> str:
    """The MEME altname given to an annotated motif: ``NAME_ID`` (``CTCF_MA0139.2``), or the id alone."""
    name = "".join(str(match_name or "").split())
    return f"{name}_{match_id}" if name and name != match_id else str(match_id)


#: matches within this factor of the best match's TOMTOM p-value are reported as indistinguishable from it
#: (half an order of magnitude; :func:`indistinguishable_matches`)
TIE_P_RATIO = 10 ** 0.5


def indistinguishable_matches(motifs, database="jaspar", q_threshold: float = 0.05,
                              p_ratio: float = TIE_P_RATIO) -> dict[str, list[str]]:
    """Per motif, its best database match and the significant matches TOMTOM cannot tell apart from it.

    Paralogs (CEBPB and CEBPE, HNF4A and HNF4G, the forkhead family) often match a learned motif with
    p-values a factor of 1-2 apart; which one :func:`annotate` calls best is then a coin flip. This keeps
    every match with ``q < q_threshold`` and ``p <= p_ratio * p_best``, so a name can say "one of these".

    Parameters
    ----------
    motifs : list of Motif
    database : str, path or list of Motif
        See :func:`load_database`.
    q_threshold : float
        Only significant matches are listed; a motif whose best match is not significant gets none.
    p_ratio : float
        How far (a factor of p-values, >= 1) a match may be from the best and still count as indistinguishable.

    Returns
    -------
    dict
        Motif name -> list of ``NAME_ID`` labels (:func:`match_label`), best match first then by p;
        an empty list when the motif has no significant match.
    """
    if p_ratio < 1:
        raise ValueError(f"p_ratio must be at least 1, got {p_ratio}")
    motifs = _check_motifs(motifs)
    if not motifs:
        return {}
    table = tomtom(motifs, load_database(database)).sort_values(["query", "p"], kind="stable")
    out = {}
    for name, group in table.groupby("query", sort=False):
        best = float(group["p"].iloc[0])
        keep = group[(group["q"] < q_threshold) & (group["p"] <= best * p_ratio)]
        out[name] = [match_label(i, n) for i, n in zip(keep["target"], keep["target_altname"])]
    return {m.name: out.get(m.name, []) for m in motifs}


def label_motifs(motifs, annotation: pd.DataFrame, significant_only: bool = True) -> list[Motif]:
    """Copies of ``motifs`` whose MEME altname is their best match (from :func:`annotate`).

    Motifs without a (significant) match keep their altname. The match is also recorded in
    ``meta`` (``match_id``, ``match_name``, ``q``, ``strand``, ``offset``).
    """
    rows = annotation[annotation["significant"]] if significant_only else annotation
    by_motif = {r.motif: r for r in rows.itertuples(index=False)}
    out = []
    for m in motifs:
        copy = Motif(m.name, m.pwm.copy(), m.nsites, m.altname, m.evalue, dict(m.meta))
        hit = by_motif.get(m.name)
        if hit is not None:
            copy.altname = match_label(hit.match_id, hit.match_name)
            copy.meta.update(match_id=hit.match_id, match_name=hit.match_name, q=float(hit.q),
                             strand=hit.strand, offset=int(hit.offset))
        out.append(copy)
    return out


# --------------------------------------------------------------------------------------------
# Redundancy
# --------------------------------------------------------------------------------------------
def complete_linkage(distance: np.ndarray, threshold: float) -> np.ndarray:
    """Agglomerative clustering with complete linkage, stopped at ``threshold``.

    The two closest groups are merged while their distance — the *largest* distance between
    their members — is below ``threshold``, so every pair inside a group is closer than
    ``threshold`` (unlike connected components, which chain unrelated motifs through
    intermediates).

    Parameters
    ----------
    distance : numpy.ndarray, shape (N, N)
        Symmetric; the diagonal is ignored.

    Returns
    -------
    numpy.ndarray of int, shape (N,)
        Group label of each item (the smallest member index of its group).
    """
    d = np.array(distance, dtype=np.float64)
    n = len(d)
    labels = np.arange(n)
    np.fill_diagonal(d, np.inf)
    alive = np.ones(n, dtype=bool)
    while alive.sum() > 1:
        masked = np.where(alive[:, None] & alive[None, :], d, np.inf)
        i, j = np.unravel_index(np.argmin(masked), masked.shape)
        if masked[i, j] >= threshold:
            break
        i, j = min(i, j), max(i, j)
        d[i, :] = d[:, i] = np.maximum(d[i, :], d[j, :])  # Lance-Williams update for complete linkage
        d[i, i] = np.inf
        alive[j] = False
        labels[labels == j] = i
    return labels


def similarity_matrix(motifs, background="jaspar") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """TOMTOM p- and q-values of every learned motif against every other.

    TOMTOM builds its null distribution from the targets' columns, so a handful of learned motifs
    alone gives unstable p-values. The learned motifs are therefore compared with themselves *plus*
    ``background`` (a database, default the shipped JASPAR set) and q-values are computed over all
    those targets, as if the learned motifs were searched in a database that contains them.

    Returns
    -------
    p, q : numpy.ndarray, shape (N, N)
        ``p[i, j]``: motif i as query against motif j as target; the diagonal is 1.
    strand : numpy.ndarray of str, shape (N, N)
    """
    motifs = _check_motifs(motifs)
    n = len(motifs)
    extra = load_database(background) if background is not None else []
    # unique names: a learned motif may share its name with a database motif
    targets = [Motif(f"learned:{m.name}", m.pwm) for m in motifs] + list(extra)
    table = tomtom(motifs, targets)
    nt = len(targets)
    p = table["p"].to_numpy().reshape(n, nt)[:, :n].copy()
    q = table["q"].to_numpy().reshape(n, nt)[:, :n].copy()
    strand = table["strand"].to_numpy().reshape(n, nt)[:, :n].copy()
    np.fill_diagonal(p, 1.0)
    np.fill_diagonal(q, 1.0)
    return p, q, strand


def cluster_motifs(motifs, q_threshold: float = 0.05, background="jaspar", score=None) -> pd.DataFrame:
    """Group learned motifs that match one another (TOMTOM, either direction, q < ``q_threshold``).

    Groups come from complete-linkage clustering (:func:`complete_linkage`) of the distance
    ``min(q[i, j], q[j, i])``: every two motifs in a group match each other. Each group is
    represented by its highest-``score`` motif (default: the most informative one).

    Parameters
    ----------
    motifs : list of Motif
    q_threshold : float
    background : database or None
        Calibration set for TOMTOM's null (see :func:`similarity_matrix`); ``None`` compares the
        learned motifs among themselves only (unstable below ~25 motifs).
    score : dict name -> float, optional
        Higher is a better representative of its group (e.g. ``-log10 q`` of the database match, or
        a target weight); default: total information content in bits.

    Returns
    -------
    pandas.DataFrame
        One row per motif, in input order: ``motif``, ``cluster`` (1 = the largest group),
        ``cluster_size``, ``representative`` (name of the group's representative),
        ``closest`` (the most similar other motif) and ``closest_q``.
        ``attrs["n_clusters"]`` is the number of groups.
    """
    motifs = _check_motifs(motifs)
    cols = ["motif", "cluster", "cluster_size", "representative", "closest", "closest_q"]
    if not motifs:
        table = pd.DataFrame(columns=cols)
        table.attrs["n_clusters"] = 0
        return table
    names = [m.name for m in motifs]
    if len(motifs) == 1:
        p = q = np.ones((1, 1))
    else:
        p, q, _ = similarity_matrix(motifs, background)
    labels = complete_linkage(np.minimum(q, q.T), q_threshold)
    score = _representative_score(motifs, score)
    groups = sorted(set(labels), key=lambda g: (-int((labels == g).sum()), int(np.flatnonzero(labels == g)[0])))
    cluster_of, rep_of = {}, {}
    for k, g in enumerate(groups, start=1):
        members = np.flatnonzero(labels == g)
        cluster_of[g] = k
        rep_of[g] = names[members[np.argmax(score[members])]]
    closest = np.argmin(q + np.eye(len(motifs)) * 2, axis=1) if len(motifs) > 1 else np.zeros(1, dtype=int)
    table = pd.DataFrame({
        "motif": names,
        "cluster": [cluster_of[g] for g in labels],
        "cluster_size": [int((labels == g).sum()) for g in labels],
        "representative": [rep_of[g] for g in labels],
        "closest": [names[j] if len(motifs) > 1 else "" for j in closest],
        "closest_q": [float(q[i, j]) if len(motifs) > 1 else 1.0 for i, j in enumerate(closest)],
    })
    table.attrs["n_clusters"] = len(groups)
    table.attrs["q_threshold"] = q_threshold
    return table


def match_score(motifs, annotation: pd.DataFrame) -> dict[str, float]:
    """A motif's claim to represent its group: its database match (``-log10 q``), then its bits.

    Pass as ``score`` to :func:`cluster_motifs` so that each group is shown by the member that
    matches a known motif most clearly.
    """
    q = annotation["q"].astype(float).clip(1e-300, 1.0)
    minus_log_q = dict(zip(annotation["motif"], -np.log10(q)))
    return {m.name: minus_log_q.get(m.name, 0.0) + 1e-3 * float(information_content(m.pwm).sum()) for m in motifs}


def _representative_score(motifs, score) -> np.ndarray:
    """``score`` when given, else total information content (bits)."""
    if score is not None:
        return np.array([float(score.get(m.name, -np.inf)) for m in motifs])
    return np.array([float(information_content(m.pwm).sum()) for m in motifs])
