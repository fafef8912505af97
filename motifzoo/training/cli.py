"""The ``motifzoo`` command line.

``fit``, ``validate`` and ``test`` are LightningCLI subcommands driven by YAML
configs (``motifzoo fit --config configs/expcnn.yaml --data.path my.tsv``); the
other subcommands read checkpoints and data. Errors in user input print one
line naming the file, line or key (set ``MOTIFZOO_DEBUG=1`` or pass ``--debug``
for the traceback).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

LIGHTNING_COMMANDS = ("fit", "validate", "test", "predict")


class UserError(Exception):
    """An error caused by user input, shown without a traceback."""


def _user_error_types() -> tuple[type[BaseException], ...]:
    from ..data.encoding import SequenceError
    from ..data.tables import DataError
    from ..interpret.meme import MemeFormatError
    from ..models.io import CheckpointError
    from .module import ConfigError
    return (UserError, DataError, SequenceError, MemeFormatError, CheckpointError, ConfigError,
            FileNotFoundError, FileExistsError, FloatingPointError)


def check_output(path, force: bool = False, what: str = "output file") -> Path:
    """An output path whose directory exists and that is not an existing file (unless ``force``)."""
    path = Path(path)
    if not path.parent.exists():
        raise UserError(f"cannot write {what} {path}: directory {path.parent} does not exist")
    if path.exists() and not force:
        raise UserError(f"{what} {path} already exists; pass --force to overwrite it")
    return path


# --------------------------------------------------------------------------------------------
# LightningCLI
# --------------------------------------------------------------------------------------------
def _quiet_lightning() -> None:
    """Silence Lightning notices that do not concern motifzoo users."""
    import logging
    import warnings
    for pattern in (".*LightningCLI's args parameter.*", ".*tensorboardX.*", ".*LeafSpec.*",
                    ".*does not have many workers.*", ".*smaller than the logging interval.*",
                    ".*Checkpoint directory .* exists and is not empty.*",
                    # a resumed run logs into a new version directory; best_model_path is still restored
                    ".*The dirpath has changed from.*"):
        warnings.filterwarnings("ignore", message=pattern)
    logging.getLogger("lightning.pytorch.utilities.rank_zero").addFilter(
        lambda rec: "litlogger" not in rec.getMessage() and "available:" not in rec.getMessage())


def _parser_keys(parser) -> set[str]:
    """Every option key a (jsonargparse) parser and its subcommand parsers accept."""
    keys = set()
    for action in getattr(parser, "_actions", []):
        choices = getattr(action, "choices", None)
        if isinstance(choices, dict) and choices and all(hasattr(p, "_actions") for p in choices.values()):
            for sub in choices.values():
                keys |= _parser_keys(sub)
        elif action.dest and action.dest != "help":
            keys.add(action.dest)
    return keys


def _suggest_key(message: str, keys: set[str]) -> str:
    """Append a did-you-mean for an unknown option named in a jsonargparse error message."""
    import difflib
    import re
    m = re.search(r"option '([\w.]+)'|unrecognized arguments: --([\w.]+)|[Kk]ey \"?'?([\w.]+)'?\"? (?:is not|not)", message)
    if not m:
        return message
    key = next(g for g in m.groups() if g)
    close = difflib.get_close_matches(key, sorted(keys), n=3, cutoff=0.6)
    return f"{message}. Did you mean {' or '.join(repr(c) for c in close)}?" if close else message


def _flatten_data_error(message: str) -> str:
    """'Parser key "data": Problem with given class_path '...': Parser key "k": ...' -> 'Parser key "data.k": ...'."""
    import re
    return re.sub(r'Parser key "data":\s*Problem with given class_path \'[\w.]+\':\s*Parser key "([\w.]+)":',
                  r'Parser key "data.\1":', message)


def run_lightning(argv: list[str]) -> int:
    _quiet_lightning()
    from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint
    from lightning.pytorch.cli import LightningArgumentParser, LightningCLI

    class SuggestingParser(LightningArgumentParser):
        def error(self, message, *args, **kwargs):
            message = _flatten_data_error(str(message))
            return super().error(_suggest_key(message, _parser_keys(self)), *args, **kwargs)

        def add_lightning_class_args(self, lightning_class, nested_key, subclass_mode=False, required=True):
            if nested_key == "data" and subclass_mode:
                # with a default class the type stays LightningDataModule, not Optional[...]: jsonargparse
                # then lets a DataModule's own error (DataError) through instead of wrapping it in a union error
                return self.add_subclass_arguments(lightning_class, nested_key, fail_untyped=False, required=required,
                                                   default={"class_path": "motifzoo.training.datamodule.SequenceDataModule"})
            return super().add_lightning_class_args(lightning_class, nested_key, subclass_mode, required)

    from lightning.pytorch import LightningDataModule

    from . import array_datamodule, datamodule, genome_datamodule  # noqa: F401  (class_path short names resolve)
    from .module import MotifZooModule

    class MotifZooCLI(LightningCLI):
        def add_arguments_to_parser(self, parser):
            parser.add_lightning_class_args(ModelCheckpoint, "checkpoint")
            parser.set_defaults({"checkpoint.monitor": "val/score", "checkpoint.mode": "max",
                                 "checkpoint.filename": "best", "checkpoint.save_last": True})
            parser.add_lightning_class_args(EarlyStopping, "early_stopping")
            parser.set_defaults({"early_stopping.monitor": "val/score", "early_stopping.mode": "max",
                                 "early_stopping.patience": 5})
            for key in ("n_targets", "input_length", "task", "target_names"):
                parser.link_arguments(f"data.{key}", f"model.{key}", apply_on="instantiate")

        def before_fit(self):
            # `--ckpt_path last`: the newest last.ckpt under the run's root, so re-running an
            # interrupted command resumes it (each run gets a new version directory)
            if self.config_init["fit"].get("ckpt_path") == "last":
                root = Path(self.trainer.default_root_dir)
                found = sorted(root.glob("**/checkpoints/last*.ckpt"), key=lambda p: p.stat().st_mtime)
                if not found:
                    raise UserError(f"--ckpt_path last: no last.ckpt under {root}; nothing to resume")
                print(f"resuming from {found[-1]}")
                self.config_init["fit"]["ckpt_path"] = str(found[-1])

    cli = MotifZooCLI(MotifZooModule, LightningDataModule, args=argv, seed_everything_default=0, subclass_mode_data=True,
                      parser_kwargs={"parser_mode": "yaml"}, parser_class=SuggestingParser,
                      trainer_defaults={"max_epochs": 30, "default_root_dir": "runs", "deterministic": "warn"},
                      save_config_kwargs={"overwrite": True}, auto_configure_optimizers=False)
    if argv and argv[0] == "fit" and cli.trainer.is_global_zero:  # once, not once per DDP process
        best = cli.trainer.checkpoint_callback.best_model_path if cli.trainer.checkpoint_callback else ""
        if not best:
            best = os.path.join(cli.trainer.checkpoint_callback.dirpath, "last.ckpt")
        print(f"best checkpoint: {best}")
    return 0


# --------------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------------
def _add_list(p):
    p.add_argument("--details", action="store_true", help="also print each model's hyper-parameters and defaults")


def _run_list(args) -> int:
    import inspect

    from ..models.registry import list_models, model_class, model_hyperparameters
    for name in list_models():
        doc = (inspect.getdoc(model_class(name)) or "").splitlines()
        print(f"{name:24s} {doc[0] if doc else ''}")
        if args.details:
            for k, v in model_hyperparameters(name).items():
                print(f"    {k} = {'(required)' if v is inspect.Parameter.empty else repr(v)}")
    return 0


def _add_simulate(p):
    from ..data.simulate import PRESETS, _load_extra_presets
    _load_extra_presets()
    # argparse %-formats help strings: a literal % (e.g. "65% GC") must be doubled
    p.add_argument("preset", choices=sorted(PRESETS),
                   help="; ".join(f"{k}: {v[2]}" for k, v in PRESETS.items()).replace("%", "%%"))
    p.add_argument("-o", "--output", required=True, help="dataset table to write (.tsv or .tsv.gz)")
    p.add_argument("--motifs", help="also write the planted motifs as MEME here")
    p.add_argument("--sites", help="also write every planted site (sequence, motif, start, end, strand) as TSV here")
    p.add_argument("-n", "--n-sequences", type=int, help="number of sequences (default: the preset's)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--force", action="store_true", help="overwrite existing output files")


def _run_simulate(args) -> int:
    from ..data.simulate import simulate
    paths = [check_output(p, args.force) for p in (args.output, args.motifs, args.sites) if p]
    kwargs = {"n": args.n_sequences} if args.n_sequences else {}
    sim = simulate(args.preset, seed=args.seed, **kwargs)
    sim.write(args.output, args.motifs, args.sites, seed=args.seed)
    print(f"wrote {len(sim.sequences)} sequences with {len(sim.sites)} planted sites to {paths[0]}")
    return 0


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


def load_data_onehot(path, max_sequences: int | None = None):
    """One-hot (N, 4, L) tensor of the sequences in a TSV/CSV/FASTA file (targets ignored)."""
    from ..data.encoding import codes_to_one_hot
    from ..data.tables import (FASTA_SUFFIXES, _check_file, _encode_checked, _parse_fasta, _read_frame, _suffix,
                               fasta_labels, table_labels, table_sequences)
    p = _check_file(path)
    if _suffix(p) in FASTA_SUFFIXES:
        names, seqs, lines = _parse_fasta(p)
        labels = fasta_labels(p, names, lines)
    else:
        df = _read_frame(p)
        seqs, labels = table_sequences(df, p), table_labels(p, len(df))
    if max_sequences:
        seqs, labels = seqs[:max_sequences], labels[:max_sequences]
    return codes_to_one_hot(_encode_checked(seqs, labels, None, "center"))


def _run_motifs(args) -> int:
    from ..interpret.meme import atomic_write_text, format_meme
    from ..interpret.pwm import model_motifs
    from ..models.io import load
    out = check_output(args.output, args.force)
    table_out = check_output(args.table, args.force) if args.table else None
    model = load(args.checkpoint)
    if args.method == "activations" and not args.data:
        raise UserError("--method activations needs --data (sequences to align activations on)")
    if not 0 <= args.enrichment_p <= 1:
        raise UserError(f"--enrichment-p must be in [0, 1] (0: no enrichment test), got {args.enrichment_p}")
    if args.min_enrichment <= 0:
        raise UserError(f"--min-enrichment must be positive, got {args.min_enrichment}")
    data = load_data_onehot(args.data, args.max_sequences) if args.data else None
    merge_background = None
    if args.merge_q is not None:
        from ..data.simulate import load_jaspar
        from ..interpret.meme import read_meme
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


def _add_demo(p):
    p.add_argument("-o", "--out", default="demo_out", help="output directory (default demo_out)")
    p.add_argument("--arch", default="expcnn_shallow", help="model to train (default expcnn_shallow)")
    p.add_argument("--preset", default="multilabel", help="simulation preset (default multilabel)")
    p.add_argument("-n", "--n-sequences", type=int, help="number of simulated sequences (default: the preset's)")
    p.add_argument("--max-epochs", type=int, default=30)
    p.add_argument("--seed", type=int, default=0)


def _run_demo(args) -> int:
    from .demo import run_demo
    return run_demo(args)


def _add_encode(p):
    p.add_argument("table", help="TSV/CSV(.gz) with a sequence column (as for `motifzoo fit`)")
    p.add_argument("-o", "--output", required=True, help=".npz to write: codes x (N, L) uint8, targets y, split")
    p.add_argument("--seq-len", type=int, help="pad (with N) or crop every sequence to this length")
    p.add_argument("--pad-mode", default="center", choices=["center", "left", "right"])
    p.add_argument("--chunk-rows", type=int, default=100_000, help="rows read at a time (bounds memory)")
    p.add_argument("--force", action="store_true", help="overwrite an existing output file")


def _run_encode(args) -> int:
    from ..data.arrays import encode_table
    out = check_output(args.output, args.force)
    info = encode_table(args.table, out, args.seq_len, args.pad_mode, args.chunk_rows)
    print(f"wrote {info['n']} sequences of {info['length']} bp and {len(info['targets'])} target(s) to {out}; train "
          f"with --data motifzoo.training.array_datamodule.ArrayDataModule --data.path {out}")
    return 0


#: name -> (help, add_arguments, run); later capabilities add their subcommands here
COMMANDS = {
    "list": ("list the models in the zoo", _add_list, _run_list),
    "simulate": ("simulate a dataset with planted motifs", _add_simulate, _run_simulate),
    "motifs": ("export a trained model's motifs as MEME", _add_motifs, _run_motifs),
    "demo": ("simulate, train, export motifs and count the planted motifs recovered", _add_demo, _run_demo),
    "encode": ("encode a large sequence table into a memory-mapped .npz", _add_encode, _run_encode),
    # stdlib-only module: the report's heavy imports happen when the command runs
    "annotate": __import__("motifzoo.interpret.commands", fromlist=["ANNOTATE"]).ANNOTATE,
    "report": __import__("motifzoo.interpret.commands", fromlist=["REPORT"]).REPORT,
    # stdlib-only module as well: rules from a syntax layer or from activations over data
    "syntax": __import__("motifzoo.interpret.syntax_commands", fromlist=["SYNTAX"]).SYNTAX,
    "instances": __import__("motifzoo.interpret.syntax_commands", fromlist=["INSTANCES"]).INSTANCES,
    # stdlib-only module: unit readouts (weights, contributions, response curves) of ExplaiNN-style models
    "units": __import__("motifzoo.interpret.units_commands", fromlist=["UNITS"]).UNITS,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="motifzoo",
        description="Interpretable neural networks for regulatory genomics.\n\n"
                    "Training (LightningCLI; `motifzoo fit --help` for every option):\n"
                    "  fit        train from a YAML config: motifzoo fit --config configs/expcnn.yaml\n"
                    "  validate   evaluate a checkpoint on the validation split (--ckpt_path)\n"
                    "  test       evaluate a checkpoint on the test split (--ckpt_path)",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--debug", action="store_true", help="show full tracebacks")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (help_, add, _) in COMMANDS.items():
        add(sub.add_parser(name, help=help_, description=help_))
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = os.environ.get("MOTIFZOO_DEBUG") == "1"
    if "--debug" in argv:
        debug = True
        argv.remove("--debug")
    try:
        if argv and argv[0] in LIGHTNING_COMMANDS:
            return run_lightning(argv)
        parser = build_parser()
        args = parser.parse_args(argv)
        if not args.command:
            parser.print_help()
            return 0
        return COMMANDS[args.command][2](args)
    except _user_error_types() as err:
        if debug:
            raise
        msg = str(err)
        if isinstance(err, (FileNotFoundError, FileExistsError)) and err.filename:
            msg = f"{err.strerror}: {err.filename}"
        print(f"motifzoo: error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("motifzoo: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
