"""What several subcommands share: the help formatter, ``--device``, the filter-selection flags.

Standard library only at import time (``--help`` must stay instant).

Conventions every subcommand follows (checked by ``tests/test_help.py``):

* every option's help shows its default, or says it is required or a flag;
* every subcommand ends its help with an example;
* ``-o/--output FILE`` is always a file the command writes; a command that writes a folder of files
  takes ``-d/--out-dir DIR`` instead (``report``, ``units``, ``demo``);
* ``--device`` (``auto``, ``cpu``, ``cuda``, ``cuda:N``) on every command that runs a model;
* a progress bar on stderr for work that takes more than a few seconds, shown only on a terminal.
"""
from __future__ import annotations

import argparse

#: the ``--device`` choices (``cuda:N`` is accepted too)
DEVICES = ("auto", "cpu", "cuda")


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions and epilogs as written; every option's help ends with its default.

    An option whose help already says ``default`` is left alone; ``store_true`` flags and
    required options get no default, required options are marked ``(required)``.
    """

    def _get_help_string(self, action):
        help_ = action.help or ""
        if action.help is argparse.SUPPRESS or not action.option_strings:
            return help_
        if isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction, argparse._HelpAction,
                               argparse._VersionAction)):
            return help_
        if action.required:
            return help_ if "required" in help_ else f"{help_} (required)"
        if "default" in help_.lower() or action.default is None or action.default is argparse.SUPPRESS:
            return help_
        return f"{help_} (default: %(default)s)"


def example(*lines: str) -> str:
    """An epilog with usage examples."""
    return "example" + ("s" if len(lines) > 1 else "") + ":\n" + "\n".join(f"  {line}" for line in lines)


def add_out_dir_argument(p, help_: str) -> None:
    """``-d/--out-dir DIR`` for a command that writes a folder (``-o``, ``--output`` and ``--out`` are
    kept as hidden old spellings); read it with :func:`out_dir`."""
    p.add_argument("-d", "--out-dir", dest="output", metavar="DIR", help=f"{help_} (required)")
    p.add_argument("-o", "--output", "--out", dest="output", help=argparse.SUPPRESS)


def out_dir(args):
    """The ``-d/--out-dir`` of a command; a usage error when it is missing."""
    from .errors import UserError
    if not args.output:
        raise UserError("the following argument is required: -d/--out-dir DIR")
    return args.output


# --------------------------------------------------------------------------------------------
# --device
# --------------------------------------------------------------------------------------------
def add_device_argument(p) -> None:
    p.add_argument("--device", default="auto", metavar="{auto,cpu,cuda,cuda:N}",
                   help="where the model runs: auto (a GPU when one is available, else the CPU), cpu, cuda or cuda:N "
                        "(default: auto)")


def resolve_device(name: str):
    """``torch.device`` for a ``--device`` value; a clear error for an unavailable GPU."""
    import torch

    from .errors import UserError
    name = (name or "auto").strip().lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name != "cpu" and not (name == "cuda" or name.startswith("cuda:")):
        raise UserError(f"--device must be auto, cpu, cuda or cuda:N, got {name!r}")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise UserError(f"--device {name}: no CUDA GPU is available (use --device cpu or auto)")
        try:
            device = torch.device(name)
        except RuntimeError:
            raise UserError(f"--device must be auto, cpu, cuda or cuda:N, got {name!r}") from None
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise UserError(f"--device {name}: only {torch.cuda.device_count()} GPU(s) available")
        return device
    return torch.device("cpu")


def load_model(checkpoint, device_name: str = "auto"):
    """A checkpoint's model on the ``--device``, in eval mode."""
    from ..models.io import load
    device = resolve_device(device_name)
    return load(checkpoint, map_location=device).to(device).eval()


# --------------------------------------------------------------------------------------------
# Filter selection: one definition for `motifs` and `report`
# --------------------------------------------------------------------------------------------
def add_filter_selection_arguments(p) -> None:
    """The flags that decide which filters become motifs (``motifs`` and ``report`` share them)."""
    p.add_argument("--method", choices=["activations", "weights"],
                   help="activations: align windows where a filter fires above --threshold x its max over --data; "
                        "weights: p ∝ q·exp(β·w) from the filter alone (default: activations with --data, else "
                        "weights)")
    p.add_argument("--threshold", type=float, default=0.5,
                   help="for --method activations: fraction of each filter's max activation")
    p.add_argument("--beta", type=float, default=1.0, help="inverse temperature for --method weights")
    p.add_argument("--min-sites", type=int, default=10,
                   help="filters with fewer aligned windows are 'dead' and left out")
    p.add_argument("--min-site-fraction", type=float, default=0.005,
                   help="... or with fewer sites than this fraction of the sequences in --data")
    p.add_argument("--min-ic", type=float, default=3.0,
                   help="filters whose trimmed PWM has fewer total bits are 'flat' and left out")
    p.add_argument("--trim-ic", type=float, default=0.2, help="trim flanking columns below this many bits (0: no trim)")
    p.add_argument("--enrichment-p", type=float, default=0.05, metavar="P",
                   help="with activations: a filter must have significantly more sites in the sequences than in "
                        "dinucleotide-shuffled copies of them (one-sided binomial p < P / filters), else it is "
                        "'unenriched' (fires on background) and left out; 0 switches the test off")
    p.add_argument("--min-enrichment", type=float, default=1.2,
                   help="... and at least this many times as many sites")
    p.add_argument("--keep-all", action="store_true", help="keep dead, unenriched, flat and duplicate filters too")
    p.add_argument("--batch-size", type=int, default=256, help="sequences per forward pass")


def check_filter_selection(args) -> None:
    """Refuse out-of-range filter-selection values with one line each."""
    from .errors import UserError
    if args.method == "activations" and not args.data:
        raise UserError("--method activations needs --data (sequences to align activations on)")
    if not 0 <= args.enrichment_p <= 1:
        raise UserError(f"--enrichment-p must be in [0, 1] (0: no enrichment test), got {args.enrichment_p}")
    if args.min_enrichment <= 0:
        raise UserError(f"--min-enrichment must be positive, got {args.min_enrichment}")
    if args.batch_size < 1:
        raise UserError(f"--batch-size must be positive, got {args.batch_size}")


def filter_selection_kwargs(args) -> dict:
    """``model_motifs`` keyword arguments from the shared flags."""
    return {"method": args.method, "threshold": args.threshold, "beta": args.beta, "min_sites": args.min_sites,
            "min_site_fraction": args.min_site_fraction, "min_ic": args.min_ic, "trim_ic": args.trim_ic,
            "enrichment_p": args.enrichment_p or None, "min_enrichment": args.min_enrichment,
            "keep_all": args.keep_all, "batch_size": args.batch_size}
