"""The ``motifzoo motifs`` subcommand: a trained model's motifs as MEME."""
from __future__ import annotations

from .errors import UserError, check_output


def _add_motifs(p):
    p.add_argument("checkpoint", help="a checkpoint from `motifzoo fit` (or motifzoo.save)")
    p.add_argument("-o", "--output", required=True, help="MEME file to write")
    p.add_argument("--data", help="sequences to align activations on (TSV/CSV with a sequence column, or FASTA)")
    p.add_argument("--method", choices=["activations", "weights"],
                   help="activations: align windows where a filter fires above --threshold x its max over --data "
                        "(default when --data is given); weights: p ∝ q·exp(β·w) from the filter alone")
    p.add_argument("--threshold", type=float, default=0.5, help="fraction of each filter's max activation (default 0.5)")
    p.add_argument("--beta", type=float, default=1.0, help="inverse temperature for --method weights (default 1)")
    p.add_argument("--min-sites", type=int, default=10,
                   help="filters with fewer aligned windows are 'dead' and not exported (default 10)")
    p.add_argument("--min-site-fraction", type=float, default=0.005,
                   help="... or fewer than this fraction of the sequences in --data (default 0.005)")
    p.add_argument("--min-ic", type=float, default=3.0,
                   help="filters whose trimmed PWM has fewer total bits are 'flat' and not exported (default 3)")
    p.add_argument("--trim-ic", type=float, default=0.2, help="trim flanking columns below this many bits (0: no trim)")
    p.add_argument("--enrichment-p", type=float, default=0.05, metavar="P",
                   help="with activations: a filter must have significantly more sites in the sequences than in "
                        "dinucleotide-shuffled copies of them (one-sided binomial p < P / filters), else it is "
                        "'unenriched' (fires on background) and not exported; 0 switches the test off (default 0.05)")
    p.add_argument("--min-enrichment", type=float, default=1.2,
                   help="... and at least this many times as many sites (default 1.2)")
    p.add_argument("--keep-all", action="store_true", help="export dead, unenriched, flat and duplicate filters too")
    p.add_argument("--merge-q", type=float, metavar="Q",
                   help="merge duplicate filters: a motif matching a filter with more sites (TOMTOM q < Q both ways, "
                        "either strand; 0.001 is a good start) is marked 'duplicate' and not exported; each merge is "
                        "printed (default: no merging)")
    p.add_argument("--merge-background", metavar="MEME",
                   help="motifs that calibrate the duplicate TOMTOM q-values (default: the shipped JASPAR 2024 "
                        "CORE vertebrates)")
    p.add_argument("--table", help="also write the per-filter table (status, nsites, information) as TSV here")
    p.add_argument("--max-sequences", type=int, help="use at most this many sequences from --data")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")


def _run_motifs(args) -> int:
    from ..data.tables import read_onehot
    from ..interpret.pwm import model_motifs
    from ..models.io import load
    from ..motifs import atomic_write_text, format_meme
    out = check_output(args.output, args.force)
    table_out = check_output(args.table, args.force) if args.table else None
    model = load(args.checkpoint)
    if args.method == "activations" and not args.data:
        raise UserError("--method activations needs --data (sequences to align activations on)")
    if not 0 <= args.enrichment_p <= 1:
        raise UserError(f"--enrichment-p must be in [0, 1] (0: no enrichment test), got {args.enrichment_p}")
    if args.min_enrichment <= 0:
        raise UserError(f"--min-enrichment must be positive, got {args.min_enrichment}")
    data = read_onehot(args.data, args.max_sequences) if args.data else None
    merge_background = None
    if args.merge_q is not None:
        from ..motifs import load_jaspar, read_meme
        if not 0 < args.merge_q <= 1:
            raise UserError(f"--merge-q must be in (0, 1], got {args.merge_q}")
        merge_background = read_meme(args.merge_background) if args.merge_background else load_jaspar()
    motifs, table = model_motifs(model, data, method=args.method, threshold=args.threshold, min_sites=args.min_sites,
                                 min_site_fraction=args.min_site_fraction, min_ic=args.min_ic, trim_ic=args.trim_ic, beta=args.beta, keep_all=args.keep_all,
                                 merge_q=args.merge_q, merge_background=merge_background,
                                 enrichment_p=args.enrichment_p or None, min_enrichment=args.min_enrichment)
    atomic_write_text(out, format_meme(motifs))
    if table_out:
        atomic_write_text(table_out, table.to_csv(sep="\t", index=False))
    counts = table["status"].value_counts()
    print(f"wrote {len(motifs)} motifs to {out} ({len(table)} filters: {counts.get('kept', 0)} kept, "
          f"{counts.get('dead', 0)} dead (< {table.attrs['min_sites']} sites), "
          + (f"{counts.get('unenriched', 0)} unenriched (no more sites than in shuffled sequences), "
             if "enrichment_p" in table.attrs else "")
          + f"{counts.get('flat', 0)} flat (< {args.min_ic} bits)"
          + (f", {counts.get('duplicate', 0)} duplicate (TOMTOM q < {args.merge_q})" if args.merge_q is not None else "")
          + ")")
    _print_hygiene(table, args)
    return 0


def _print_hygiene(table, args) -> None:
    """Report flank trimming, and each duplicate merged, for the filters that passed the dead/flat checks."""
    exported = table[table["status"].isin(["kept", "duplicate"])]
    if args.trim_ic > 0 and len(exported):
        width = exported["width"]
        print(f"trimmed flanks below {args.trim_ic} bits: widths {int(width.min())}-{int(width.max())} bp "
              f"(median {float(width.median()):g})")
    duplicates = table.attrs.get("duplicates")
    for row in ([] if duplicates is None else duplicates.itertuples(index=False)):
        print(f"merged {row.duplicate} into {row.representative} (TOMTOM q = {row.q:.2g}, strand {row.strand})")




MOTIFS = ("export a trained model's motifs as MEME", _add_motifs, _run_motifs)
