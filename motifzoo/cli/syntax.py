"""The ``motifzoo syntax`` and ``motifzoo instances`` subcommands.

Registered in :data:`motifzoo.cli.main.COMMANDS` as ``(help, add_arguments, run)``
triples (:data:`SYNTAX`, :data:`INSTANCES`). Only the standard library is imported at
import time; the work happens in :mod:`motifzoo.interpret.syntax`.
"""
from __future__ import annotations

SYNTAX_HELP = "syntax rules: which motifs combine, at what spacing and orientation, each with p and q (TSV)"
SYNTAX_DESCRIPTION = """\
Write the syntax rules of a model that pass a significance test (q < --q, default 0.05; --all
writes every rule tested), ranked by p. Two kinds of rule (column `rule`):
  spacing        two motifs in one arrangement (distance, orientation) change the output more
                 than the same two motifs arranged otherwise
  co-occurrence  (needs --data) having both motifs anywhere in a sequence changes the predicted
                 output more than each alone adds: positive effect = cooperative (both needed),
                 negative = repression (one cancels the other) or redundancy (either suffices)

Columns: rank, kind (heterotypic: two motifs; homotypic: one motif twice), rule, motif_a, motif_b
(motif ids as `motifzoo motifs` writes them to MEME; redundant filters of one motif, and motifs
with the same best JASPAR match, are merged first), motif_a_name, motif_b_name (best JASPAR
match, q < 0.05; empty where none), distance (center of b minus center of a, bp, forward strand;
centers are those of the JASPAR match where a motif is named; empty for co-occurrence),
orientation (strands of a and b: ++ +- -+ --; only for models that scan both strands), target,
effect (spacing: output units, log-odds for binary targets, this arrangement minus the same two
motifs in other arrangements; co-occurrence: the interaction m(both) - m(a only) - m(b only) +
m(neither) of the mean predicted probability, or output for regression), z, p, q
(Benjamini-Hochberg over every rule of both kinds), n (sequences holding the arrangement, or
both motifs), n_null (the comparison: sequences or arrangements), method, for strand-aware models
effect_fwd / effect_rc (the arrangement as written and its reverse-complement equivalent, merged
into one row unless --no-merge-rc), and mean_neither, mean_a_only, mean_b_only, mean_both
(co-occurrence: the four mean outputs; motif_a is the one that alone raises the output more).

The spacing test asks whether an arrangement changes the output more than the same two motifs
arranged otherwise, so co-occurrence and dosage ("two sites beat one") are not called spacing:
  weights   (a syntax layer: the pairwise head of argminn_pairwise) the arrangement's weight
            x typical site activations, against the same motif pair at all its other
            distances and orientations (robust spread, Laplace tail).
  data      (any model, --data) sequences holding both motifs are stratified by their site
            counts; within strata, holders of the arrangement are compared with the others by
            a stratified permutation test on the model's output.
  auto      weights when the model has a syntax layer, otherwise data (needs --data).
Both are minimum-effect tests: the null is an arrangement that changes the output by at most
--min-effect (log 1.5 = 0.41 log-odds, a 1.5-fold change of the odds; that many standard
deviations of a regression output), so tiny weights and tiny differences over thousands of
sequences are not called rules.
The co-occurrence test (every model, with --data) splits sequences by whether motif instances of
a and b are called, stratified by how many other motifs they hold, and tests the interaction
against a margin of 0.1 in probability (0.1 standard deviations of a regression output), so that
additive effects and a model's tiny imperfections over thousands of sequences are not called.
Pairs with a significant spacing rule are not tested for co-occurrence.
Instances are called FIMO-like: a filter's window is an instance when its score has p <= --p
against the same filter on dinucleotide-shuffled copies of --data.
"""

INSTANCES_HELP = ("motif instance calls (sequence, position, strand, motif, motif_name, p) with a p-value each "
                  "against dinucleotide-shuffled sequences")


def _check_fraction(value: float, flag: str) -> None:
    from .errors import UserError
    if not 0 < value <= 1:
        raise UserError(f"{flag} must be in (0, 1], got {value}")


def _add_common(p) -> None:
    p.add_argument("checkpoint", help="a checkpoint from `motifzoo fit` (or motifzoo.save)")
    p.add_argument("--threshold", type=float, default=0.5,
                   help="the motif-export threshold, as in `motifzoo motifs` (default 0.5)")
    p.add_argument("--p", type=float, default=1e-4, dest="p_threshold",
                   help="instances: a window is called when its score has p <= this against the filter's scores on "
                        "dinucleotide-shuffled copies of --data, per window (either strand) (default 1e-4)")
    p.add_argument("--no-merge", action="store_true",
                   help="keep redundant filters of one motif apart (default: merged as in the report's groups)")
    p.add_argument("--no-names", action="store_true",
                   help="do not name motifs by their best JASPAR match (faster; default: named)")
    p.add_argument("--attention-threshold", type=float, default=2.0,
                   help="models with attention (argminn): an instance's position needs attention at least this "
                        "many times a uniform distribution's; 0 = no gate (default: 2 for syntax, 0 for instances)")
    p.add_argument("--min-sites", type=int, default=10, help="as `motifzoo motifs --min-sites` (default 10)")
    p.add_argument("--min-site-fraction", type=float, default=0.005,
                   help="as `motifzoo motifs --min-site-fraction` (default 0.005)")
    p.add_argument("--min-ic", type=float, default=3.0, help="as `motifzoo motifs --min-ic` (default 3)")
    p.add_argument("--trim-ic", type=float, default=0.2, help="as `motifzoo motifs --trim-ic` (default 0.2)")
    p.add_argument("--beta", type=float, default=1.0,
                   help="for motifs read from the weights (syntax without --data): as `motifzoo motifs --beta`; "
                        "unused when motifs are aligned on --data (default 1)")
    p.add_argument("--keep-all", action="store_true",
                   help="also use dead, unenriched and flat filters (those `motifzoo motifs` leaves out of the MEME file)")
    p.add_argument("--max-sequences", type=int, help="use at most this many sequences from --data (default: all)")
    from .common import add_device_argument
    from .errors import add_seq_len_argument
    add_seq_len_argument(p)
    # 128, not 256: an attention model's (batch, heads, L, L) maps took `syntax` past 500 MB on 8,000 x 200 bp
    p.add_argument("--batch-size", type=int, default=128, help="sequences per forward pass (default: 128)")
    add_device_argument(p)
    p.add_argument("--force", action="store_true", help="overwrite existing output files")


def add_syntax_arguments(p) -> None:
    from .common import example
    p.description = SYNTAX_DESCRIPTION
    p.epilog = example("motifzoo syntax runs/version_0/checkpoints/best.ckpt --data sim.tsv.gz -o rules.tsv "
                       "--histogram spacing.png")
    _add_common(p)
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="rule table to write (TSV)")
    p.add_argument("--data", help="sequences (TSV/CSV with a sequence column, or FASTA); needed for --method data "
                                  "(default: none)")
    p.add_argument("--method", choices=["auto", "weights", "data"], default="auto",
                   help="auto (default), weights or data; see above")
    p.add_argument("--min-effect", type=float,
                   help="spacing tests: the null is |effect| <= this, in log-odds for binary targets (output SDs "
                        "for regression) (default log 1.5 = 0.405)")
    p.add_argument("--max-distance", type=float, default=60,
                   help="data method: largest |center distance| of a pair of instances, bp (default 60)")
    p.add_argument("--min-support", type=int,
                   help="data method: arrangements held by fewer sequences are left out (default max(10, 0.25%% of "
                        "the sequences))")
    p.add_argument("--no-merge-rc", action="store_true",
                   help="keep reverse-complement-equivalent arrangements as separate rows")
    p.add_argument("--include-overlapping", action="store_true",
                   help="keep arrangements whose trimmed motifs overlap")
    p.add_argument("--top", type=int, help="write only the TOP rules (default: all)")
    p.add_argument("--q", type=float, default=0.05, dest="q_threshold",
                   help="write rules with Benjamini-Hochberg q below this (default 0.05)")
    p.add_argument("--all", action="store_true", dest="all_rules",
                   help="write every rule tested, with p and q (default: only q < --q)")
    p.add_argument("--instances", metavar="FILE",
                   help="also write the motif instance calls here (TSV; needs --data) (default: not written)")
    p.add_argument("--histogram", metavar="FILE", help="also draw spacing histograms of the top motif pairs here "
                                                       "(PNG; needs --data) (default: not drawn)")


def _motif_kwargs(args) -> dict:
    return {"threshold": args.threshold, "min_sites": args.min_sites, "min_site_fraction": args.min_site_fraction,
            "min_ic": args.min_ic, "trim_ic": args.trim_ic, "beta": args.beta}


def _load(args, need_data: bool):
    from .errors import UserError, model_data
    _check_fraction(args.threshold, "--threshold")
    _check_fraction(args.p_threshold, "--p")
    if args.batch_size < 1:
        raise UserError(f"--batch-size must be positive, got {args.batch_size}")
    if need_data and not args.data:
        raise UserError("this needs --data (sequences to call motif instances on)")
    from .common import load_model
    model = load_model(args.checkpoint, args.device)
    data = model_data(args, model, compact=True)  # 1 byte per base: the readouts here only scan batches
    if data is not None:  # the readouts batch --data as given: put it where the model runs
        data = data.to(next(model.parameters()).device)
    return model, data


def run_syntax(args) -> int:
    from .errors import UserError, check_output
    from ..motifs import atomic_write_text
    from ..interpret.syntax import (MIN_SPACING_EFFECT, describe_rule, has_syntax_layer, plot_spacing_histograms,
                                    syntax_rules, top_motif_pairs)
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
    name = model.model_name
    if args.method == "weights" and not has_syntax_layer(model):
        raise UserError(f"model {name!r} has no syntax layer to read rules from its weights; use --method data "
                        "with --data (rules from activations over sequences), or train argminn_pairwise")
    if data is None and (args.method == "data" or not has_syntax_layer(model)):
        raise UserError(f"model {name!r} has no syntax layer, so rules are read from motif instances over "
                        "sequences: pass --data (or train argminn_pairwise, whose weights are the rules)")
    _check_fraction(args.q_threshold, "--q")
    if args.min_effect is not None and args.min_effect < 0:
        raise UserError(f"--min-effect must be >= 0, got {args.min_effect}")
    result = syntax_rules(model, data, method=args.method, p_threshold=args.p_threshold, progress=True,
                          attention_threshold=args.attention_threshold, max_distance=args.max_distance,
                          min_effect=MIN_SPACING_EFFECT if args.min_effect is None else args.min_effect,
                          min_support=args.min_support, merge_rc=not args.no_merge_rc,
                          include_overlapping=args.include_overlapping, keep_all=args.keep_all,
                          all_rules=args.all_rules, q_threshold=args.q_threshold, merge_motifs=not args.no_merge,
                          names=not args.no_names, motif_kwargs=_motif_kwargs(args), batch_size=args.batch_size)
    rules = result["rules"]
    n_tested = rules.attrs.get("n_tested", len(rules))
    n_significant = int((rules["q"].astype(float) < args.q_threshold).sum())
    if args.top:
        rules = rules.head(args.top)
    atomic_write_text(out, rules.to_csv(sep="\t", index=False, float_format="%.4g"))
    read_from = "attention" if model.has_position_attention else "activations"
    method = rules["method"].iloc[0] if len(rules) else ("weights" if has_syntax_layer(model) and args.method != "data"
                                                          else f"{read_from} over --data")
    print(f"wrote {len(rules)} rules ({method}; {n_significant} of {n_tested} tested have q < {args.q_threshold:g}) "
          f"to {out}")
    kept = int((result["geometry"]["status"] == "kept").sum())
    if n_significant == 0:
        print(f"no significant syntax rules at q < {args.q_threshold:g}")
    if kept == 0 and not args.keep_all:
        print(f"  (no filter passes the motif filters (--min-ic {args.min_ic}"
              + (", --min-sites" if data is not None else "; pass --data or --beta") + "); try --keep-all)")
    elif n_tested == 0 and data is not None and not has_syntax_layer(model):
        print("  (no arrangement of two motifs reached --min-support)")
    if n_significant:
        print("top rule: " + describe_rule(rules.iloc[0]))
    if "instances" in extra:
        atomic_write_text(extra["instances"], result["instances"].to_csv(sep="\t", index=False, float_format="%.6g"))
        print(f"wrote {len(result['instances'])} motif instances to {extra['instances']}")
    if "histogram" in extra:
        shown = plot_spacing_histograms(result["instances"], result["geometry"], extra["histogram"],
                                        motif_pairs=top_motif_pairs(rules) or None, max_distance=args.max_distance)
        print(f"wrote spacing histograms of {len(shown)} motif pairs to {extra['histogram']}")
    return 0


def add_instances_arguments(p) -> None:
    from .common import example
    p.epilog = example("motifzoo instances runs/version_0/checkpoints/best.ckpt --data sim.tsv.gz -o instances.tsv")
    _add_common(p)
    # every site the filter scores: with configs/argminn.yaml (one layer, motif and pair skips) the attention marks
    # a quarter of the planted sites (recall 0.25 gated, 0.78 not, at p 1e-4; benchmarks/syntax.md, #15 twelfth round)
    p.set_defaults(attention_threshold=0.0)
    p.add_argument("--data", required=True, help="sequences (TSV/CSV with a sequence column, or FASTA)")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="instance table to write (TSV)")
    p.add_argument("--q", type=float, dest="q_threshold",
                   help="call windows whose q (Benjamini-Hochberg false discovery rate among the filter's windows in "
                        "--data) is at most this, e.g. 0.1: about 1 call in 10 is background, whatever the number of "
                        "sequences; replaces --p (windows up to p = 1e-3 are candidates) (default: --p alone)")


def run_instances(args) -> int:
    from .errors import check_output
    from ..motifs import atomic_write_text
    from ..interpret.syntax import call_instances, motif_geometry, motif_groups, motif_instances
    out = check_output(args.output, args.force, "instance table")
    model, data = _load(args, need_data=True)
    geometry = motif_geometry(model, data, batch_size=args.batch_size, progress=True, **_motif_kwargs(args))
    p_threshold = args.p_threshold
    if args.q_threshold is not None:
        from ..interpret.instances import Q_CANDIDATE_P
        _check_fraction(args.q_threshold, "--q")
        p_threshold = Q_CANDIDATE_P  # --q replaces --p: every window up to this p is a candidate
    calls = call_instances(model, data, geometry, p_threshold, attention_threshold=args.attention_threshold,
                           keep_all=args.keep_all, batch_size=args.batch_size, progress=True,
                           q_threshold=args.q_threshold)
    if not args.no_merge:
        # the groups and ids of `motifzoo syntax` (named groups merge by JASPAR match and pick their
        # representative by it), so the two commands' motif ids agree
        calls = motif_instances(calls, motif_groups(geometry, merge=True, names=not args.no_names))
    atomic_write_text(out, calls.to_csv(sep="\t", index=False, float_format="%.4g"))
    rule = (f"q <= {args.q_threshold:g}" if args.q_threshold is not None else f"p <= {args.p_threshold:g}")
    print(f"wrote {len(calls)} motif instances ({rule} against shuffled sequences) in "
          f"{calls['sequence'].nunique()} of {len(data)} sequences to {out}")
    return 0


SYNTAX = (SYNTAX_HELP, add_syntax_arguments, run_syntax)
INSTANCES = (INSTANCES_HELP, add_instances_arguments, run_instances)
