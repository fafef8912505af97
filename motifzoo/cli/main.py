"""The ``motifzoo`` command line.

``fit``, ``validate``, ``test`` and ``predict`` are LightningCLI subcommands driven by YAML
configs (``motifzoo fit --config configs/expcnn.yaml --data.path my.tsv``;
:mod:`motifzoo.training.fit`); the other subcommands read checkpoints and data. Errors in
user input print one line naming the file, line or key (set ``MOTIFZOO_DEBUG=1`` or pass
``--debug`` for the traceback).

Each subcommand lives in its own module as a ``(help, add_arguments, run)`` triple, and
every module imports only the standard library at import time; :func:`main` adds the arguments
of the one subcommand it runs, so ``motifzoo --help``, ``motifzoo list`` and ``SUBCOMMAND --help``
import neither torch nor Lightning (``benchmarks/startup.md``). The conventions every subcommand
follows are in :mod:`motifzoo.cli.common`.
"""
from __future__ import annotations

import argparse
import os
import sys

from .. import __version__
from . import basic, demo, motifs, predict, report, syntax, units, variants
from .common import HelpFormatter
from .errors import user_error_types, user_message

#: subcommands handled by LightningCLI (kept here so that ``--help`` imports no Lightning)
LIGHTNING_COMMANDS = ("fit", "validate", "test")

#: name -> (help, add_arguments, run)
COMMANDS = {
    "list": basic.LIST,
    "simulate": basic.SIMULATE,
    "motifs": motifs.MOTIFS,
    "demo": demo.DEMO,
    "encode": basic.ENCODE,
    "annotate": report.ANNOTATE,
    "report": report.REPORT,
    "syntax": syntax.SYNTAX,
    "instances": syntax.INSTANCES,
    "units": units.UNITS,
    "predict": predict.PREDICT,
    "variants": variants.VARIANTS,
}

#: the data class whose options ``motifzoo fit --help`` lists (``--data`` defaults to it)
DEFAULT_DATA_CLASS = "SequenceDataModule"


def run_lightning(argv: list[str]) -> int:
    """``fit``/``validate``/``test``/``predict``: LightningCLI; ``fit`` prints the best checkpoint last."""
    from ..training.fit import run_lightning as run
    if argv[0] == "fit" and ("-h" in argv or "--help" in argv):
        return _fit_help(run, argv)
    result = run(argv)
    if result is not None:
        print(f"best checkpoint: {result.best_checkpoint}")
    return 0


def _fit_help(run, argv: list[str]) -> int:
    """LightningCLI's ``fit --help``, then the options of the default data class: in subclass mode
    LightningCLI lists ``--data`` alone, and ``--data.help CLASS`` the options of one class."""
    try:
        run(argv)
    except SystemExit as err:
        if err.code not in (0, None):
            raise
    print(f"\nData options (--data defaults to {DEFAULT_DATA_CLASS}; for another class: "
          "motifzoo fit --data.help ArrayDataModule | GenomeDataModule):\n", flush=True)
    try:
        run(["fit", "--data.help", DEFAULT_DATA_CLASS])
    except SystemExit as err:
        if err.code not in (0, None):
            raise
    print("\nexample:\n  motifzoo fit --config configs/expcnn.yaml --data.path sim.tsv.gz --trainer.max_epochs 5")
    return 0


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The ``motifzoo`` parser; with ``only``, the arguments of that subcommand alone are added
    (the others keep their one-line help), so that parsing imports nothing another command needs."""
    parser = argparse.ArgumentParser(
        prog="motifzoo",
        description="Interpretable neural networks for regulatory genomics.\n\n"
                    "Training (LightningCLI; `motifzoo fit --help` for every option):\n"
                    "  fit        train from a YAML config: motifzoo fit --config configs/expcnn.yaml\n"
                    "  validate   evaluate a checkpoint on the validation split (--ckpt_path)\n"
                    "  test       evaluate a checkpoint on the test split (--ckpt_path)",
        epilog="Every COMMAND --help shows each option's default and an example. Output files are -o/--output\n"
               "FILE; commands that write a folder take -d/--out-dir DIR; commands that run a model take\n"
               "--device (default auto).\n\nexample:\n  motifzoo demo -d demo_out",
        formatter_class=HelpFormatter)
    parser.add_argument("--debug", action="store_true", help="show full tracebacks")
    parser.add_argument("--version", action="version", version=f"motifzoo {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (help_, add, _) in COMMANDS.items():
        p = sub.add_parser(name, help=help_, description=help_, formatter_class=HelpFormatter)
        if only is None or name == only:
            add(p)
    return parser


def _command(argv: list[str]) -> str | None:
    """The subcommand named in ``argv`` (its first word that is not an option)."""
    return next((a for a in argv if not a.startswith("-")), None)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = os.environ.get("MOTIFZOO_DEBUG") == "1"
    if "--debug" in argv:
        debug = True
        argv.remove("--debug")
    try:
        if argv and argv[0] in LIGHTNING_COMMANDS:
            return run_lightning(argv)
        parser = build_parser(only=_command(argv) or "")  # "": no subcommand's arguments
        args = parser.parse_args(argv)
        if not args.command:
            parser.print_help()
            return 0
        return COMMANDS[args.command][2](args)
    except SystemExit:  # --help, --version and usage errors: before the clause below, which imports torch
        raise
    except user_error_types() as err:
        if debug:
            raise
        msg = user_message(err)
        if msg is None:  # an OSError that is not about the user's files: a bug, shown in full
            raise
        print(f"motifzoo: error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("motifzoo: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
