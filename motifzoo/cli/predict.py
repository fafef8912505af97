"""The ``motifzoo predict`` subcommand: a checkpoint's predictions as a table.

``motifzoo predict CKPT --data X -o preds.tsv`` writes one row per sequence of ``X``: ``name``
(the table's ``name``/``id`` column or FASTA record name, else ``FILE:LINE``), ``split`` (when
the table has one) and one column per target, named as in the checkpoint: the probability for
binary targets (sigmoid of the logit), the predicted value for regression targets.
Standard library only at import time.
"""
from __future__ import annotations

from .common import add_device_argument, example

PREDICT_HELP = "predict every sequence of a table or FASTA with a checkpoint (TSV: name, split, one column per target)"


def add_predict_arguments(p) -> None:
    from .errors import add_seq_len_argument
    p.epilog = example("motifzoo predict runs/version_0/checkpoints/best.ckpt --data sim.tsv.gz -o preds.tsv")
    p.add_argument("checkpoint", help="a checkpoint from `motifzoo fit` (or motifzoo.save)")
    p.add_argument("--data", required=True,
                   help="sequences to predict: TSV/CSV with a sequence column (target columns are ignored), or FASTA")
    p.add_argument("-o", "--output", required=True, metavar="FILE",
                   help="prediction table to write (.tsv, or .csv for commas; .gz compresses)")
    p.add_argument("--max-sequences", type=int, help="predict at most this many sequences (default: all)")
    add_seq_len_argument(p)
    p.add_argument("--batch-size", type=int, default=256, help="sequences per forward pass")
    p.add_argument("--logits", action="store_true", help="binary targets: write logits instead of probabilities")
    add_device_argument(p)
    p.add_argument("--force", action="store_true", help="overwrite an existing output file")


def sequence_index(path, n: int):
    """``(names, split)`` of the first ``n`` sequences of a table or FASTA (``split`` None when absent)."""
    from pathlib import Path

    from ..data import tables
    p = Path(path)
    if any(str(p).lower().endswith(s) for s in tables.FASTA_SUFFIXES):
        names, _ = tables.read_fasta(p)
        return names[:n], None
    df = tables._read_frame(p)
    id_col = next((c for c in tables.ID_COLUMNS if c in df.columns), None)
    names = (df[id_col].astype(str).tolist() if id_col else [f"{p.name}:{i + 2}" for i in range(len(df))])[:n]
    split = df["split"].fillna("").astype(str).str.strip().str.lower().tolist()[:n] if "split" in df.columns else None
    return names, split


def predict_table(model, data, names, split=None, batch_size: int = 256, logits: bool = False,
                  progress: bool = False):
    """One row per sequence: name, split (when given), one column per target of ``model``."""
    import pandas as pd
    import torch

    from ..interpret.progress import progress_bar
    param = next(model.parameters())
    outputs = []
    starts = range(0, len(data), batch_size)
    with torch.no_grad():
        for i in progress_bar(starts, enabled=progress, total=len(starts), desc="predict", unit="batch"):
            out = model(data[i:i + batch_size].to(param.device, param.dtype)).float()
            if model.task == "binary" and not logits:
                out = torch.sigmoid(out)
            outputs.append(out.cpu())
    values = torch.cat(outputs).numpy() if outputs else None
    table = pd.DataFrame({"name": list(names)})
    if split is not None:
        table["split"] = list(split)
    targets = list(model.target_names) or [f"target{t}" for t in range(values.shape[1])]
    for t, name in enumerate(targets):
        table[name] = values[:, t] if values is not None else []
    return table


def run_predict(args) -> int:
    from .common import resolve_device
    from .errors import UserError, check_output, model_data
    from ..models.io import load
    from ..motifs import atomic_write_text
    out = check_output(args.output, args.force, "prediction table")
    if args.batch_size < 1:
        raise UserError(f"--batch-size must be positive, got {args.batch_size}")
    device = resolve_device(args.device)
    model = load(args.checkpoint, map_location=device)
    data = model_data(args, model)
    names, split = sequence_index(args.data, len(data))
    table = predict_table(model, data, names, split, args.batch_size, args.logits, progress=True)
    sep = "," if ".csv" in out.name.lower() else "\t"
    text = table.to_csv(sep=sep, index=False, float_format="%.6g")
    if out.name.lower().endswith(".gz"):
        import gzip
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_bytes(gzip.compress(text.encode(), mtime=0))
        tmp.replace(out)
    else:
        atomic_write_text(out, text)
    kind = "logits" if args.logits and model.task == "binary" else (
        "probabilities" if model.task == "binary" else "predicted values")
    print(f"wrote {kind} of {len(table.columns) - 1 - (split is not None)} target(s) for {len(table)} sequences "
          f"to {out}")
    return 0


PREDICT = (PREDICT_HELP, add_predict_arguments, run_predict)
