"""The ``motifzoo units`` subcommand: unit-level readouts of an ExplaiNN-style checkpoint.

Registered in :data:`motifzoo.cli.main.COMMANDS` as the ``(help, add_arguments, run)``
triple :data:`UNITS`. Standard library only at import time.
"""
from __future__ import annotations

#: files written into the output directory
OUTPUTS = {
    "weights": "weights.tsv",
    "top": "top_units.tsv",
    "contributions": "contributions.tsv",
    "curves": "response_curves.tsv",
    "positional": "positional_effects.tsv",
}


def add_units_arguments(p) -> None:
    from .common import add_device_argument, add_out_dir_argument, example
    p.epilog = example("motifzoo units runs/version_0/checkpoints/best.ckpt --data sim.tsv.gz -d units")
    p.add_argument("checkpoint", help="a checkpoint of a unit model (e.g. --model.arch explainn) from `motifzoo fit`")
    add_out_dir_argument(p, "folder to write the tables and the heatmap into (created; its parent must exist)")
    p.add_argument("--data", help="sequences (TSV/CSV with a sequence column, or FASTA) for the contributions and "
                                  "the response-curve baseline (default: none; contributions are then skipped and the "
                                  "curves use a uniform-sequence baseline)")
    p.add_argument("--max-sequences", type=int, help="use at most this many sequences from --data (default: all)")
    from .errors import add_seq_len_argument
    add_seq_len_argument(p)
    p.add_argument("--n-values", type=int, default=9,
                   help="pooled-activation values probed per bin in the response curves (default 9)")
    p.add_argument("--figure-format", choices=["png", "svg", "pdf"], default="png",
                   help="format of the weight heatmap (default png)")
    add_device_argument(p)
    p.add_argument("--force", action="store_true", help="overwrite existing output files")


def _planned_outputs(out, with_data: bool, figure_format: str) -> list:
    names = [v for k, v in OUTPUTS.items() if with_data or k != "contributions"]
    return [out / n for n in names] + [out / f"weights_heatmap.{figure_format}"]


def run_units(args) -> int:
    from pathlib import Path

    from ..interpret.progress import progress_bar
    from ..motifs import atomic_write_text
    from .common import load_model, out_dir
    from .errors import UserError, model_data
    from ..interpret.units import (NoUnitsError, positional_effects, response_curves, top_units, unit_contributions,
                        unit_target_weights, weights_heatmap)

    out = Path(out_dir(args))
    if out.exists() and not out.is_dir():
        raise UserError(f"output {out} exists and is not a directory")
    if not out.parent.exists():
        raise UserError(f"cannot write to {out}: directory {out.parent} does not exist")
    if args.n_values < 2:
        raise UserError(f"--n-values must be at least 2, got {args.n_values}")
    planned = _planned_outputs(out, bool(args.data), args.figure_format)
    existing = [str(p) for p in planned if p.exists()]
    if existing and not args.force:
        raise UserError(f"{existing[0]} already exists; pass --force to overwrite it")
    model = load_model(args.checkpoint, args.device)
    try:
        weights = unit_target_weights(model)
    except NoUnitsError as err:
        raise UserError(f"{args.checkpoint}: {err}") from None
    data = model_data(args, model)
    stages = progress_bar(total=3, enabled=True, desc="units: response curves", unit="stage")
    try:
        curves = response_curves(model, data, n_values=args.n_values)
        stages.update()
        stages.set_description("units: contributions")
        contributions = unit_contributions(model, data) if data is not None else None
        stages.update()
        stages.set_description("units: writing")
    except NoUnitsError as err:
        raise UserError(f"{args.checkpoint}: {err}") from None
    except ValueError as err:  # e.g. sequences of the wrong length for the model
        raise UserError(f"{args.data or args.checkpoint}: {err}") from None

    out.mkdir(exist_ok=True)
    tsv = {"sep": "\t", "float_format": "%.6g"}
    atomic_write_text(out / OUTPUTS["weights"], weights.to_csv(**tsv))
    atomic_write_text(out / OUTPUTS["top"], top_units(weights).to_csv(index=False, **tsv))
    atomic_write_text(out / OUTPUTS["curves"], curves.to_csv(index=False, **tsv))
    atomic_write_text(out / OUTPUTS["positional"], positional_effects(curves).to_csv(**tsv))
    if contributions is not None:
        atomic_write_text(out / OUTPUTS["contributions"], contributions.to_csv(index=False, **tsv))
    heatmap = weights_heatmap(weights, out / f"weights_heatmap.{args.figure_format}")
    stages.update()
    stages.close()
    print(f"wrote unit readouts of {weights.shape[0]} units x {weights.shape[1]} targets to {out}/: "
          f"{', '.join(p.name for p in planned if p != heatmap)}, {heatmap.name}"
          + ("" if data is not None else " (no --data: contributions skipped)"))
    return 0


UNITS = ("unit readouts of a unit model (ExplaiNN): weights, contributions, response curves, heatmap",
         add_units_arguments, run_units)
