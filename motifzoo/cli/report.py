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
    from .common import add_device_argument, add_filter_selection_arguments, add_out_dir_argument, example
    from .errors import add_seq_len_argument
    p.epilog = example("motifzoo report runs/version_0/checkpoints/best.ckpt --data sim.tsv.gz -d report")
    p.add_argument("checkpoint", help="a checkpoint from `motifzoo fit` (or motifzoo.save)")
    add_out_dir_argument(p, "report folder to write (DIR/index.html, which stands alone, and its data files); "
                            "its parent must exist")
    p.add_argument("--data", help="sequences (TSV/CSV with a sequence column, or FASTA) to align filter activations "
                                  "on, measure importance and, with target and split columns, test metrics "
                                  "(default: none; motifs then come from the weights alone)")
    p.add_argument("--database", default="jaspar", help=DATABASE_HELP)
    p.add_argument("--q-threshold", type=float, default=0.05,
                   help="TOMTOM q-value below which a database match counts and two filters are grouped")
    add_filter_selection_arguments(p)
    p.add_argument("--max-sequences", type=int, help="use at most this many sequences from --data (default: all)")
    add_seq_len_argument(p)
    p.add_argument("--no-syntax", action="store_true",
                   help="leave out syntax rules (by default: read from a syntax layer, or for other models from "
                        "motif instances over --data)")
    # --- variants section (issue 18) ---
    p.add_argument("--variants", metavar="FILE",
                   help="also score these variants (as for `motifzoo variants`: a name/ref/alt window table, or a VCF "
                        "with --genome) and add a Variants section: the top variants with ref and alt logos of the "
                        "motif instance each changes (default: no Variants section)")
    p.add_argument("--genome", metavar="FASTA", help="the genome a --variants VCF refers to (default: none)")
    # --- end variants section ---
    add_device_argument(p)
    p.add_argument("--force", action="store_true", help="overwrite an existing report in the folder")


def data_labels(path, n: int, target_names: list[str]):
    """Target columns (those named as the model's targets) and ``split`` of the first ``n`` rows of a
    TSV/CSV, for test metrics; ``None`` for FASTA or a table with neither."""
    from pathlib import Path

    from ..data import tables
    p = Path(path)
    if any(str(p).lower().endswith(s) for s in tables.FASTA_SUFFIXES):
        return None
    df = tables._read_frame(p)
    columns = [c for c in target_names if c in df.columns] + (["split"] if "split" in df.columns else [])
    return df[columns].iloc[:n].reset_index(drop=True) if columns else None


@_user_errors
def run_report(args) -> int:
    from .common import check_filter_selection, filter_selection_kwargs, load_model, out_dir
    from .errors import UserError, model_data
    from ..interpret.annotate import database_label, load_database
    from ..interpret.report import check_output_dir, write_report
    output = out_dir(args)
    check_filter_selection(args)
    if not 0 < args.q_threshold <= 1:
        raise UserError(f"--q-threshold must be in (0, 1], got {args.q_threshold}")
    database = load_database(args.database)  # fail fast on a bad database, before loading data
    check_output_dir(output, args.force)
    model = load_model(args.checkpoint, args.device)
    data = model_data(args, model, exact=False)  # motif alignment scans any longer sequence
    labels = data_labels(args.data, len(data), model.target_names) if data is not None else None
    index = write_report(model, output, data, checkpoint=args.checkpoint, data_path=args.data,
                         database=database, database_name=database_label(args.database),
                         q_threshold=args.q_threshold, syntax=not args.no_syntax, force=args.force,
                         labels=labels, motif_kwargs=filter_selection_kwargs(args), batch_size=args.batch_size,
                         progress=True, variants=args.variants, genome=args.genome)
    print(f"wrote {index}")
    return 0


REPORT = ("write a stand-alone HTML report: which motif drives which target, motifs named against JASPAR, "
          "test metrics, syntax",
          add_report_arguments, run_report)


# --------------------------------------------------------------------------------------------
# annotate
# --------------------------------------------------------------------------------------------
def add_annotate_arguments(p) -> None:
    from .common import example
    p.epilog = example("motifzoo annotate motifs.meme -o annotation.tsv --meme named.meme")
    p.add_argument("motifs", help="MEME file of motifs to name (e.g. from `motifzoo motifs`)")
    p.add_argument("-o", "--output", required=True, metavar="FILE",
                   help="TSV to write: motif, match_id, match_name, p, q, offset, strand, overlap, significant, "
                        "other_matches, and the redundancy group (cluster, representative)")
    p.add_argument("--database", default="jaspar", help=DATABASE_HELP)
    p.add_argument("--q-threshold", type=float, default=0.05,
                   help="TOMTOM q-value below which a match is significant and two motifs are grouped (default 0.05)")
    p.add_argument("--all", action="store_true",
                   help="one row per motif, with its nearest match even when not significant "
                        "(default: only motifs with a significant match)")
    p.add_argument("--meme", metavar="FILE", help="also write the motifs as MEME here, each named by its best match "
                                                  "(MEME alt name) (default: not written)")
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
