"""The ``motifzoo motifs`` subcommand: a trained model's motifs as MEME."""
from __future__ import annotations

from .common import (add_device_argument, add_filter_selection_arguments, check_filter_selection, example,
                     filter_selection_kwargs, load_model)
from .errors import UserError, add_seq_len_argument, check_output, model_data


def _add_motifs(p):
    p.epilog = example("motifzoo motifs runs/version_0/checkpoints/best.ckpt --data sim.tsv.gz -o motifs.meme "
                       "--table filters.tsv",
                       "motifzoo motifs best.ckpt --method weights -o motifs.meme   # from the weights alone")
    p.add_argument("checkpoint", help="a checkpoint from `motifzoo fit` (or motifzoo.save)")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="MEME file to write")
    p.add_argument("--data", help="sequences to align activations on (TSV/CSV with a sequence column, or FASTA) "
                                  "(default: none; motifs then come from the weights)")
    add_filter_selection_arguments(p)
    p.add_argument("--merge-q", type=float, metavar="Q",
                   help="merge duplicate filters: a motif matching a filter with more sites (TOMTOM q < Q both ways, "
                        "either strand; 0.001 is a good start) is marked 'duplicate' and not exported; each merge is "
                        "printed (default: no merging)")
    p.add_argument("--merge-background", metavar="MEME",
                   help="motifs that calibrate the duplicate TOMTOM q-values (default: the shipped JASPAR 2024 "
                        "CORE vertebrates)")
    p.add_argument("--flank", type=int, default=0, metavar="N",
                   help="with activations: where a motif reaches the edge of its filter, read up to N more bases of "
                        "the aligned sites past that edge, kept above --trim-ic (a filter that learned a motif "
                        "shifted against its edge sees only part of it; default: 0, the filter's window only)")
    p.add_argument("--table", metavar="FILE", help="also write the per-filter table (status, nsites, information, "
                                                   "enrichment) as TSV here (default: not written)")
    p.add_argument("--max-sequences", type=int, help="use at most this many sequences from --data (default: all)")
    add_seq_len_argument(p)
    add_device_argument(p)
    p.add_argument("--force", action="store_true", help="overwrite existing output files")


def _run_motifs(args) -> int:
    from ..interpret.pwm import model_motifs
    from ..motifs import atomic_write_text, format_meme
    out = check_output(args.output, args.force)
    table_out = check_output(args.table, args.force) if args.table else None
    check_filter_selection(args)
    model = load_model(args.checkpoint, args.device)
    data = model_data(args, model, exact=False)  # the first layer scans any longer sequence
    merge_background = None
    if args.merge_q is not None:
        from ..motifs import load_jaspar, read_meme
        if not 0 < args.merge_q <= 1:
            raise UserError(f"--merge-q must be in (0, 1], got {args.merge_q}")
        merge_background = read_meme(args.merge_background) if args.merge_background else load_jaspar()
    if args.flank < 0:
        raise UserError(f"--flank must be at least 0, got {args.flank}")
    motifs, table = model_motifs(model, data, merge_q=args.merge_q, merge_background=merge_background,
                                 flank=args.flank, progress=True, **filter_selection_kwargs(args))
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
