"""Small subcommands: ``list``, ``simulate`` and ``encode``."""
from __future__ import annotations

from .errors import check_output


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



LIST = ("list the models in the zoo", _add_list, _run_list)
SIMULATE = ("simulate a dataset with planted motifs", _add_simulate, _run_simulate)
ENCODE = ("encode a large sequence table into a memory-mapped .npz", _add_encode, _run_encode)
