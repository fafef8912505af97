"""The ``motifzoo variants`` subcommand: variant effects explained by named motifs.

``motifzoo variants CKPT --variants V -o effects.tsv`` writes one row per variant x target (columns in
:mod:`motifzoo.interpret.variants`). ``V`` is a window table (``name``, ``ref``, ``alt``) or a VCF with
``--genome`` (:mod:`motifzoo.data.vcf`: windows centered on the variant, indels absorbed, multi-allelic
records split). Standard library only at import time.
"""
from __future__ import annotations

from .common import add_device_argument, example

VARIANTS_HELP = ("score variants with a checkpoint and name the motif instance each one creates or breaks "
                 "(TSV: one row per variant x target)")


def add_variants_arguments(p) -> None:
    p.epilog = example(
        "motifzoo variants best.ckpt --variants variants.tsv -o effects.tsv --motifs named.meme",
        "motifzoo variants best.ckpt --variants variants.tsv -o effects.tsv --motifs motifs.meme --database jaspar",
        "motifzoo variants best.ckpt --variants calls.vcf.gz --genome hg38.fa -o effects.tsv")
    p.add_argument("checkpoint", help="a checkpoint from `motifzoo fit` (or motifzoo.save)")
    p.add_argument("--variants", required=True, metavar="FILE",
                   help="a table of windows (TSV/CSV with columns name, ref, alt: the reference and alternative "
                        "sequence, padded with N or cropped to the model's input length) or a VCF (.vcf/.vcf.gz, "
                        "needs --genome)")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="effects table to write (TSV)")
    p.add_argument("--genome", metavar="FASTA",
                   help="indexed FASTA (plain or bgzip) the VCF refers to; windows are read from it (needs the "
                        "'genome' extra: pyfaidx) (default: none; required for a VCF)")
    p.add_argument("--motifs", metavar="MEME",
                   help="the model's exported motifs (`motifzoo motifs`, named by `motifzoo annotate --meme`): only "
                        "these filters are reported, labelled with their MEME alt names (default: every filter, "
                        "named filter0, filter1, ...)")
    p.add_argument("--database", metavar="DB",
                   help="name the --motifs here against this database ('jaspar', 'pyjaspar[:RELEASE[:TAXON]]' or a "
                        "MEME file): the best TOMTOM match followed by the matches it cannot tell apart (p-value "
                        "within a factor 10^0.5 of the best), e.g. filter6 CEBPE_MA0837.3/CEBPB_MA0466.4 (default: "
                        "the MEME's alt names as they are)")
    p.add_argument("--batch-size", type=int, default=256, help="variants per forward pass")
    add_device_argument(p)
    p.add_argument("--force", action="store_true", help="overwrite an existing output file")


def run_variants(args) -> int:
    from .common import load_model
    from .errors import UserError, check_output
    out = check_output(args.output, args.force)
    if args.batch_size < 1:
        raise UserError(f"--batch-size must be positive, got {args.batch_size}")
    if args.database and not args.motifs:
        raise UserError("--database names the exported motifs: pass them with --motifs (from `motifzoo motifs`)")
    from ..interpret.variants import write_variant_effects
    from ..motifs import read_meme
    motifs = read_meme(args.motifs) if args.motifs else None
    model = load_model(args.checkpoint, args.device)
    try:
        n = write_variant_effects(model, args.variants, out, genome=args.genome, motifs=motifs, database=args.database,
                                  batch_size=args.batch_size, progress=True)
    except ValueError as err:
        # DataError is a ValueError too: both are one-line user errors here
        raise UserError(str(err)) from None
    print(f"wrote effects of {n} variants on {len(model.target_names)} target(s) to {out}")
    return 0


VARIANTS = (VARIANTS_HELP, add_variants_arguments, run_variants)
