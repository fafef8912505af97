"""The ``motifzoo syntax`` and ``motifzoo instances`` subcommands.

Registered in :data:`motifzoo.cli.main.COMMANDS` as ``(help, add_arguments, run)``
triples (:data:`SYNTAX`, :data:`INSTANCES`). Only the standard library is imported at
import time; the work happens in :mod:`motifzoo.interpret.syntax`.
"""
from __future__ import annotations

SYNTAX_HELP = "syntax rules: which motifs combine, at what spacing and orientation (TSV, ranked)"
SYNTAX_DESCRIPTION = """\
Write a table of syntax rules, one row per arrangement of two motifs, ranked by strength.

Columns: rank, motif_a, motif_b (MEME ids as `motifzoo motifs` writes them for the same
checkpoint and --data), distance (centre of b minus centre of a, bp, forward strand; a
motif's centre is the centre of its IC-trimmed exported motif), orientation (strands of a
and b: ++ +- -+ --), effect (signed, output units: log-odds for binary targets), target,
method, strength, effect_fwd / effect_rc (the arrangement as written, and its
reverse-complement equivalent (b, a, distance, flipped strands), merged into one row unless
--no-merge-rc), rc_merged, support (sequences holding it; data methods), overlapping.

How rules are read (--method):
  weights   from the weights of a syntax layer: the pairwise head of argminn_pairwise
            (K[a,b,d] x typical site activations). --data is optional and only used to
            trim motifs and size typical sites.
  data      for any model, from --data: motif instances are called from activations
            (and attention, for argminn), every pair of instances within --max-distance
            is an arrangement, and `effect` is the model's mean output on sequences with
            the arrangement minus its mean on sequences with both motifs arranged
            otherwise (strength: Welch t). This is the fallback for models without a
            syntax layer (expcnn, explainn): it describes what such a model does with
            co-occurring motifs, but its architecture cannot represent spacing rules
            explicitly.
  auto      weights when the model has a syntax layer, otherwise data (needs --data).
"""

INSTANCES_HELP = "motif instance calls (sequence, position, strand, motif, score) from activations (+ attention)"


def _check_fraction(value: float, flag: str) -> None:
    from .errors import UserError
    if not 0 < value <= 1:
        raise UserError(f"{flag} must be in (0, 1], got {value}")


def _add_common(p) -> None:
    p.add_argument("checkpoint", help="a checkpoint from `motifzoo fit` (or motifzoo.save)")
    p.add_argument("--threshold", type=float, default=0.5,
                   help="instances: activation above this fraction of the filter's max over --data (default 0.5); "
                        "also the motif-export threshold, as in `motifzoo motifs`")
    p.add_argument("--attention-threshold", type=float, default=2.0,
                   help="models with attention (argminn): an instance's position needs attention at least this "
                        "many times a uniform distribution's (default 2)")
    p.add_argument("--min-sites", type=int, default=10, help="as `motifzoo motifs --min-sites` (default 10)")
    p.add_argument("--min-site-fraction", type=float, default=0.005,
                   help="as `motifzoo motifs --min-site-fraction` (default 0.005)")
    p.add_argument("--min-ic", type=float, default=3.0, help="as `motifzoo motifs --min-ic` (default 3)")
    p.add_argument("--trim-ic", type=float, default=0.2, help="as `motifzoo motifs --trim-ic` (default 0.2)")
    p.add_argument("--beta", type=float, default=1.0,
                   help="without --data: as `motifzoo motifs --beta` (motifs read from the weights; default 1)")
    p.add_argument("--keep-all", action="store_true",
                   help="also use dead, unenriched and flat filters (those `motifzoo motifs` leaves out of the MEME file)")
    p.add_argument("--max-sequences", type=int, help="use at most this many sequences from --data")
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--force", action="store_true", help="overwrite existing output files")


def add_syntax_arguments(p) -> None:
    import argparse
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.description = SYNTAX_DESCRIPTION
    _add_common(p)
    p.add_argument("-o", "--output", required=True, help="rule table to write (TSV)")
    p.add_argument("--data", help="sequences (TSV/CSV with a sequence column, or FASTA); needed for --method data")
    p.add_argument("--method", choices=["auto", "weights", "data"], default="auto",
                   help="auto (default), weights or data; see above")
    p.add_argument("--max-distance", type=float, default=60,
                   help="data method: largest |centre distance| of a pair of instances, bp (default 60)")
    p.add_argument("--min-support", type=int,
                   help="data method: arrangements held by fewer sequences are left out (default max(10, 0.25%% of "
                        "the sequences))")
    p.add_argument("--no-merge-rc", action="store_true",
                   help="keep reverse-complement-equivalent arrangements as separate rows")
    p.add_argument("--include-overlapping", action="store_true",
                   help="keep arrangements whose trimmed motifs overlap")
    p.add_argument("--top", type=int, help="write only the TOP strongest rules")
    p.add_argument("--instances", help="also write the motif instance calls here (TSV; needs --data)")
    p.add_argument("--histogram", help="also draw spacing histograms of the top motif pairs here (PNG; needs --data)")


def _motif_kwargs(args) -> dict:
    return {"threshold": args.threshold, "min_sites": args.min_sites, "min_site_fraction": args.min_site_fraction,
            "min_ic": args.min_ic, "trim_ic": args.trim_ic, "beta": args.beta}


def _load(args, need_data: bool):
    from ..models.io import load
    from ..data.tables import read_onehot
    from .errors import UserError
    _check_fraction(args.threshold, "--threshold")
    if args.batch_size < 1:
        raise UserError(f"--batch-size must be positive, got {args.batch_size}")
    if need_data and not args.data:
        raise UserError("this needs --data (sequences to call motif instances on)")
    model = load(args.checkpoint)
    data = read_onehot(args.data, args.max_sequences) if args.data else None
    if data is not None and data.shape[-1] != getattr(model, "input_length", data.shape[-1]):
        raise UserError(f"--data {args.data}: sequences are {data.shape[-1]} bp but the model was trained on "
                        f"{model.input_length} bp")
    return model, data


def run_syntax(args) -> int:
    from .errors import UserError, check_output
    from ..motifs import atomic_write_text
    from ..interpret.syntax import has_syntax_layer, plot_spacing_histograms, syntax_rules, top_motif_pairs
    out = check_output(args.output, args.force, "rule table")
    extra = {}
    for flag in ("instances", "histogram"):
        path = getattr(args, flag)
        if path:
            if not args.data:
                raise UserError(f"--{flag} needs --data (sequences to call motif instances on)")
            extra[flag] = check_output(path, args.force, f"--{flag} file")
    if args.top is not None and args.top < 1:
        raise UserError(f"--top must be positive, got {args.top}")
    model, data = _load(args, need_data=False)
    name = getattr(model, "model_name", type(model).__name__)
    if args.method == "weights" and not has_syntax_layer(model):
        raise UserError(f"model {name!r} has no syntax layer to read rules from its weights; use --method data "
                        "with --data (rules from activations over sequences), or train argminn_pairwise")
    if data is None and (args.method == "data" or not has_syntax_layer(model)):
        raise UserError(f"model {name!r} has no syntax layer, so rules are read from motif instances over "
                        "sequences: pass --data (or train argminn_pairwise, whose weights are the rules)")
    result = syntax_rules(model, data, method=args.method, threshold=args.threshold,
                          attention_threshold=args.attention_threshold, max_distance=args.max_distance,
                          min_support=args.min_support, merge_rc=not args.no_merge_rc,
                          include_overlapping=args.include_overlapping, keep_all=args.keep_all,
                          motif_kwargs=_motif_kwargs(args), batch_size=args.batch_size)
    rules = result["rules"]
    if args.top:
        rules = rules.head(args.top)
    atomic_write_text(out, rules.to_csv(sep="\t", index=False, float_format="%.6g"))
    method = rules["method"].iloc[0] if len(rules) else ("weights" if has_syntax_layer(model) and args.method != "data"
                                                          else "activations over --data")
    print(f"wrote {len(rules)} rules ({method}) to {out}")
    if not len(rules):
        kept = int((result["geometry"]["status"] == "kept").sum())
        print("no rules: " + (f"no filter passes the motif filters (--min-ic {args.min_ic}"
                               + (", --min-sites" if data is not None else "; pass --data or --beta")
                               + "); try --keep-all"
                               if kept == 0 else
                               "no arrangement of two exported motifs reached --min-support" if data is not None
                               and not has_syntax_layer(model) else "every rule was zero or overlapping"))
    else:
        top = rules.iloc[0]
        print(f"top rule: {top['motif_a']} {top['motif_b']} distance {top['distance']:g} bp, orientation "
              f"{top['orientation']}, effect {top['effect']:+.3g} on {top['target']}")
    if "instances" in extra:
        atomic_write_text(extra["instances"], result["instances"].to_csv(sep="\t", index=False, float_format="%.6g"))
        print(f"wrote {len(result['instances'])} motif instances to {extra['instances']}")
    if "histogram" in extra:
        shown = plot_spacing_histograms(result["instances"], result["geometry"], extra["histogram"],
                                        motif_pairs=top_motif_pairs(rules) or None, max_distance=args.max_distance)
        print(f"wrote spacing histograms of {len(shown)} motif pairs to {extra['histogram']}")
    return 0


def add_instances_arguments(p) -> None:
    _add_common(p)
    p.add_argument("--data", required=True, help="sequences (TSV/CSV with a sequence column, or FASTA)")
    p.add_argument("-o", "--output", required=True, help="instance table to write (TSV)")


def run_instances(args) -> int:
    from .errors import check_output
    from ..motifs import atomic_write_text
    from ..interpret.syntax import call_instances, motif_geometry
    out = check_output(args.output, args.force, "instance table")
    model, data = _load(args, need_data=True)
    geometry = motif_geometry(model, data, batch_size=args.batch_size, **_motif_kwargs(args))
    calls = call_instances(model, data, geometry, args.threshold, args.attention_threshold, args.keep_all,
                           args.batch_size)
    atomic_write_text(out, calls.to_csv(sep="\t", index=False, float_format="%.6g"))
    print(f"wrote {len(calls)} motif instances in {calls['sequence'].nunique()} of {len(data)} sequences to {out}")
    return 0


SYNTAX = (SYNTAX_HELP, add_syntax_arguments, run_syntax)
INSTANCES = (INSTANCES_HELP, add_instances_arguments, run_instances)
