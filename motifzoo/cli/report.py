"""The ``motifzoo report`` and ``motifzoo annotate`` subcommands.

Registered in :data:`motifzoo.cli.main.COMMANDS` as ``(help, add_arguments, run)``
triples (:data:`REPORT`, :data:`ANNOTATE`). This module imports only the standard
library at import time; the work happens in :mod:`motifzoo.interpret.report` and
:mod:`motifzoo.interpret.annotate`.
"""
from __future__ import annotations

DATABASE_HELP = ("motif database to name motifs against: 'jaspar' (default; JASPAR 2024 CORE vertebrates shipped "
                 "with motifzoo, offline), 'pyjaspar[:RELEASE[:TAXON]]' (JASPAR CORE from the pyjaspar package, "
                 "e.g. pyjaspar:JASPAR2024:plants; needs the 'jaspar' extra), or a MEME file")


def _user_errors(run):
    """Report annotation/report errors as one-line user errors (no traceback)."""
    def wrapped(args) -> int:
        from .errors import UserError
        from ..interpret.annotate import DatabaseError
        from ..interpret.report import ReportError
        try:
            return run(args)
        except (DatabaseError, ReportError) as err:
            raise UserError(str(err)) from None
    return wrapped


# --------------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------------
def add_report_arguments(p) -> None:
    p.add_argument("checkpoint", help="a checkpoint from `motifzoo fit` (or motifzoo.save)")
    p.add_argument("-o", "--output", "--out", dest="output", required=True,
                   help="report directory to write (DIR/index.html, the MEME/TSV files and logos/); "
                        "its parent must exist")
    p.add_argument("--data", help="sequences to align filter activations on (TSV/CSV with a sequence column, or "
                                  "FASTA); without it motifs are read from the weights alone")
    p.add_argument("--database", default="jaspar", help=DATABASE_HELP)
    p.add_argument("--q-threshold", type=float, default=0.05,
                   help="TOMTOM q-value below which a database match counts and two filters are grouped (default 0.05)")
    p.add_argument("--method", choices=["activations", "weights"],
                   help="how filters become PWMs: activations (default with --data) or weights (default without)")
    p.add_argument("--threshold", type=float, default=0.5,
                   help="for --method activations: fraction of each filter's max activation (default 0.5)")
    p.add_argument("--min-ic", type=float, default=3.0,
                   help="filters whose trimmed PWM has fewer total bits are 'flat' and left out (default 3)")
    p.add_argument("--max-sequences", type=int, help="use at most this many sequences from --data")
    p.add_argument("--no-syntax", action="store_true",
                   help="leave out syntax rules (by default: read from a syntax layer, or for other models from "
                        "motif instances over --data)")
    p.add_argument("--force", action="store_true", help="overwrite an existing report in the directory")


@_user_errors
def run_report(args) -> int:
    from ..models.io import load
    from ..data.tables import read_onehot
    from .errors import UserError
    from ..interpret.annotate import database_label, load_database
    from ..interpret.report import check_output_dir, write_report
    if args.method == "activations" and not args.data:
        raise UserError("--method activations needs --data (sequences to align activations on)")
    if not 0 < args.q_threshold <= 1:
        raise UserError(f"--q-threshold must be in (0, 1], got {args.q_threshold}")
    database = load_database(args.database)  # fail fast on a bad database, before loading data
    check_output_dir(args.output, args.force)
    model = load(args.checkpoint)
    data = read_onehot(args.data, args.max_sequences) if args.data else None
    index = write_report(model, args.output, data, checkpoint=args.checkpoint, data_path=args.data,
                         database=database, database_name=database_label(args.database),
                         q_threshold=args.q_threshold, method=args.method, threshold=args.threshold,
                         min_ic=args.min_ic, syntax=not args.no_syntax, force=args.force)
    print(f"wrote {index}")
    return 0


REPORT = ("write an HTML report of a trained model: motifs named against JASPAR, logos, targets, syntax",
          add_report_arguments, run_report)


# --------------------------------------------------------------------------------------------
# annotate
# --------------------------------------------------------------------------------------------
def add_annotate_arguments(p) -> None:
    p.add_argument("motifs", help="MEME file of motifs to name (e.g. from `motifzoo motifs`)")
    p.add_argument("-o", "--output", required=True,
                   help="TSV to write: motif, match_id, match_name, p, q, offset, strand, overlap, significant, "
                        "other_matches, and the redundancy group (cluster, representative)")
    p.add_argument("--database", default="jaspar", help=DATABASE_HELP)
    p.add_argument("--q-threshold", type=float, default=0.05,
                   help="TOMTOM q-value below which a match is significant and two motifs are grouped (default 0.05)")
    p.add_argument("--all", action="store_true",
                   help="one row per motif, with its nearest match even when not significant "
                        "(default: only motifs with a significant match)")
    p.add_argument("--meme", help="also write the motifs as MEME here, each named by its best match (MEME alt name)")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")


@_user_errors
def run_annotate(args) -> int:
    from .errors import UserError, check_output
    from ..interpret.annotate import annotate, cluster_motifs, label_motifs, load_database, match_score
    from ..motifs import atomic_write_text, format_meme, read_meme
    out = check_output(args.output, args.force)
    meme_out = check_output(args.meme, args.force) if args.meme else None
    if not 0 < args.q_threshold <= 1:
        raise UserError(f"--q-threshold must be in (0, 1], got {args.q_threshold}")
    database = load_database(args.database)
    motifs = read_meme(args.motifs)
    table = annotate(motifs, database, q_threshold=args.q_threshold, significant_only=False)
    clusters = cluster_motifs(motifs, q_threshold=args.q_threshold, score=match_score(motifs, table))
    table = table.merge(clusters[["motif", "cluster", "representative"]], on="motif", how="left")
    shown = table if args.all else table[table["significant"]]
    atomic_write_text(out, shown.to_csv(sep="\t", index=False))
    if meme_out:
        atomic_write_text(meme_out, format_meme(label_motifs(motifs, table)))
    print(f"{int(table['significant'].sum())}/{len(motifs)} motifs match the database at q < {args.q_threshold} "
          f"({len(database)} motifs); {clusters.attrs['n_clusters']} distinct groups; wrote {out}"
          + (f" and {meme_out}" if meme_out else ""))
    return 0


ANNOTATE = ("name motifs in a MEME file by their best match in JASPAR or another MEME database (TOMTOM)",
            add_annotate_arguments, run_annotate)
