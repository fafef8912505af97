"""Small subcommands: ``list``, ``simulate`` and ``encode``."""
from __future__ import annotations

from .common import example
from .errors import check_output


def _add_list(p):
    p.epilog = example("motifzoo list", "motifzoo list --details")
    p.add_argument("--details", action="store_true",
                   help="also print each model's hyper-parameters and defaults (imports torch: a few seconds)")


def model_catalog() -> dict[str, str]:
    """``{registry name: first line of the class docstring}`` of the zoo's models, read from the
    source of :mod:`motifzoo.models` without importing it (so ``motifzoo list`` needs no torch).

    Every ``@register_model("name")`` class decorator in ``motifzoo/models/*.py`` counts;
    ``tests/test_cli.py`` checks that this equals the imported registry.
    """
    import ast
    import inspect
    from pathlib import Path

    catalog = {}
    for path in sorted((Path(__file__).resolve().parent.parent / "models").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ClassDef):
                continue
            for deco in node.decorator_list:
                if isinstance(deco, ast.Call) and getattr(deco.func, "id", None) == "register_model":
                    name = (deco.args[0].value if deco.args and isinstance(deco.args[0], ast.Constant)
                            else node.name.lower())
                    doc = inspect.cleandoc(ast.get_docstring(node) or "").splitlines()
                    catalog[name] = doc[0] if doc else ""
    return dict(sorted(catalog.items()))


def preset_catalog() -> dict[str, str]:
    """``{preset: description}`` of the simulation presets (:data:`motifzoo.data.simulate.PRESETS` and
    those of the modules its ``_load_extra_presets`` imports), read from the source like
    :func:`model_catalog`: every dict literal assigned to a name ending in ``PRESETS``."""
    import ast
    from pathlib import Path

    data = Path(__file__).resolve().parent.parent / "data"
    base = ast.parse((data / "simulate.py").read_text(encoding="utf-8"))
    modules = [base]
    for node in ast.walk(base):
        if isinstance(node, ast.FunctionDef) and node.name == "_load_extra_presets":
            for imp in ast.walk(node):
                if isinstance(imp, ast.ImportFrom) and imp.level == 1 and imp.module is None:
                    modules += [ast.parse((data / f"{a.name}.py").read_text(encoding="utf-8")) for a in imp.names
                                if (data / f"{a.name}.py").is_file()]
    catalog = {}
    for tree in modules:
        for node in ast.walk(tree):
            target = node.target if isinstance(node, ast.AnnAssign) else (
                node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None)
            if not (isinstance(target, ast.Name) and target.id.endswith("PRESETS") and isinstance(node.value, ast.Dict)):
                continue
            for key, value in zip(node.value.keys, node.value.values):
                if isinstance(key, ast.Constant) and isinstance(value, ast.Tuple) and len(value.elts) > 2:
                    desc = value.elts[2]
                    catalog[key.value] = desc.value if isinstance(desc, ast.Constant) else ""
    return catalog


def _run_list(args) -> int:
    if not args.details:
        for name, doc in model_catalog().items():
            print(f"{name:24s} {doc}")
        return 0
    import inspect

    from ..models.registry import list_models, model_class, model_hyperparameters
    for name in list_models():
        doc = (inspect.getdoc(model_class(name)) or "").splitlines()
        print(f"{name:24s} {doc[0] if doc else ''}")
        for k, v in model_hyperparameters(name).items():
            print(f"    {k} = {'(required)' if v is inspect.Parameter.empty else repr(v)}")
    return 0


def _add_simulate(p):
    presets = preset_catalog()  # from the source: `simulate --help` imports no torch
    # argparse %-formats help strings: a literal % (e.g. "65% GC") must be doubled
    p.epilog = example("motifzoo simulate multilabel -o sim.tsv.gz --motifs planted.meme -n 2000")
    p.add_argument("preset", choices=sorted(presets),
                   help="; ".join(f"{k}: {v}" for k, v in presets.items()).replace("%", "%%"))
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="dataset table to write (.tsv or .tsv.gz)")
    p.add_argument("--motifs", metavar="FILE", help="also write the planted motifs as MEME here (default: not written)")
    p.add_argument("--sites", metavar="FILE", help="also write every planted site (sequence, motif, start, end, "
                                                   "strand) as TSV here (default: not written)")
    # --- variants with known answers (issue 18; motifzoo.data.simulate_variants) ---
    p.add_argument("--variants", metavar="FILE",
                   help="also write variants with known answers from the test split as a window table (name, ref, "
                        "alt, kind, motif, tf, ...): SNVs breaking a planted site at its most informative position, "
                        "matched background SNVs, SNVs creating a site, and on syntax presets spacing/orientation "
                        "changes of a planted pair; score it with `motifzoo variants` (default: not written)")
    p.add_argument("--n-variants", type=int, default=200, help="variants per kind for --variants")
    # --- end variants ---
    p.add_argument("-n", "--n-sequences", type=int, help="number of sequences (default: the preset's)")
    p.add_argument("--seed", type=int, default=0, help="random seed of the simulation")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")


def _run_simulate(args) -> int:
    from ..data.simulate import simulate
    paths = [check_output(p, args.force) for p in (args.output, args.motifs, args.sites, args.variants) if p]
    kwargs = {"n": args.n_sequences} if args.n_sequences else {}
    sim = simulate(args.preset, seed=args.seed, **kwargs)
    sim.write(args.output, args.motifs, args.sites, seed=args.seed)
    print(f"wrote {len(sim.sequences)} sequences with {len(sim.sites)} planted sites to {paths[0]}")
    if args.variants:  # issue 18
        from ..data.simulate_variants import write_simulated_variants
        table = write_simulated_variants(sim, args.variants, n=args.n_variants, seed=args.seed)
        kinds = ", ".join(f"{v} {k}" for k, v in table["kind"].value_counts(sort=False).items())
        print(f"wrote {len(table)} variants with known answers ({kinds}) to {args.variants}")
    return 0


def _add_encode(p):
    p.epilog = example("motifzoo encode peaks.tsv.gz -o peaks.npz --seq-len 500")
    p.add_argument("table", help="TSV/CSV(.gz) with a sequence column (as for `motifzoo fit`)")
    p.add_argument("-o", "--output", required=True, metavar="FILE",
                   help=".npz to write: codes x (N, L) uint8, targets y, split")
    p.add_argument("--seq-len", type=int,
                   help="pad (with N) or crop every sequence to this length (default: sequences must be equal length)")
    p.add_argument("--pad-mode", default="center", choices=["center", "left", "right"],
                   help="where --seq-len pads or crops")
    p.add_argument("--chunk-rows", type=int, default=100_000, help="rows read at a time (bounds memory)")
    p.add_argument("--force", action="store_true", help="overwrite an existing output file")


def _run_encode(args) -> int:
    from ..data.arrays import encode_table
    from ..interpret.progress import progress_bar
    out = check_output(args.output, args.force)
    with progress_bar(enabled=True, desc="encode", unit="seq") as bar:
        info = encode_table(args.table, out, args.seq_len, args.pad_mode, args.chunk_rows, on_chunk=bar.update)
    print(f"wrote {info['n']} sequences of {info['length']} bp and {len(info['targets'])} target(s) to {out}; train "
          f"with --data motifzoo.training.array_datamodule.ArrayDataModule --data.path {out}")
    return 0



LIST = ("list the models in the zoo", _add_list, _run_list)
SIMULATE = ("simulate a dataset with planted motifs", _add_simulate, _run_simulate)
ENCODE = ("encode a large sequence table into a memory-mapped .npz", _add_encode, _run_encode)
