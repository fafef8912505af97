"""The ``motifzoo`` command line.

``fit``, ``validate``, ``test`` and ``predict`` are LightningCLI subcommands driven by YAML
configs (``motifzoo fit --config configs/expcnn.yaml --data.path my.tsv``;
:mod:`motifzoo.training.fit`); the other subcommands read checkpoints and data. Errors in
user input print one line naming the file, line or key (set ``MOTIFZOO_DEBUG=1`` or pass
``--debug`` for the traceback).

Each subcommand lives in its own module as a ``(help, add_arguments, run)`` triple, and
every module imports only the standard library at import time, so ``--help`` is instant.
"""
from __future__ import annotations

import argparse
import os
import sys

from . import basic, demo, motifs, report, syntax, units
from .errors import user_error_types, user_message

#: subcommands handled by LightningCLI (kept here so that ``--help`` imports no Lightning)
LIGHTNING_COMMANDS = ("fit", "validate", "test", "predict")

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
}


def run_lightning(argv: list[str]) -> int:
    """``fit``/``validate``/``test``/``predict``: LightningCLI; ``fit`` prints the best checkpoint last."""
    from ..training.fit import run_lightning as run
    result = run(argv)
    if result is not None:
        print(f"best checkpoint: {result.best_checkpoint}")
    return 0


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
