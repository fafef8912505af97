"""``motifzoo demo``: the main job end to end on simulated data.

simulate (planted JASPAR motifs) -> ``motifzoo fit`` -> ``motifzoo motifs`` ->
count the planted motifs recovered (TOMTOM, q < 0.05 against planted + JASPAR CORE
vertebrates) -> syntax rules and the HTML report.
"""
from __future__ import annotations

import sys
from pathlib import Path


def _add_demo(p):
    import argparse

    from .basic import model_catalog, preset_catalog
    from .common import add_device_argument, example
    p.epilog = example("motifzoo demo -d demo_out", "motifzoo demo --preset tiny --max-epochs 3 -d quick")
    p.add_argument("-d", "--out-dir", dest="out", default="demo_out", metavar="DIR", help="output folder")
    p.add_argument("-o", "--out", dest="out", help=argparse.SUPPRESS)  # old spelling
    p.add_argument("--arch", default="expcnn_shallow", choices=list(model_catalog()), help="model to train")
    p.add_argument("--preset", default="multilabel", choices=list(preset_catalog()), help="simulation preset")
    p.add_argument("-n", "--n-sequences", type=int, help="number of simulated sequences (default: the preset's)")
    p.add_argument("--max-epochs", type=int, default=30, help="training epochs at most (early stopping may end sooner)")
    p.add_argument("--seed", type=int, default=0, help="seed of the simulation and the training")
    add_device_argument(p)


def run_demo(args) -> int:
    from ..data.simulate import simulate
    from ..motifs import load_jaspar, read_meme
    from ..training.fit import fit
    from .main import main

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table, planted_path = out / "data.tsv.gz", out / "planted.meme"
    kwargs = {"n": args.n_sequences} if args.n_sequences else {}
    print(f"[1/4] simulating the {args.preset!r} preset ...", flush=True)
    sim = simulate(args.preset, seed=args.seed, **kwargs)
    sim.write(table, planted_path, out / "sites.tsv", seed=args.seed)
    print(f"      {len(sim.sequences)} sequences, {len(sim.motifs)} planted motifs -> {table}")

    print(f"[2/4] training {args.arch} ...", flush=True)
    from .common import resolve_device
    device = resolve_device(args.device)
    accelerator = {"accelerator": "gpu", "devices": [device.index or 0]} if device.type == "cuda" else {
        "accelerator": "cpu"}
    result = fit(data={"path": str(table)}, model={"arch": args.arch}, seed_everything=args.seed,
                 trainer={"max_epochs": args.max_epochs, "default_root_dir": str(out / "runs"),
                          "enable_model_summary": False, "enable_progress_bar": sys.stderr.isatty(),
                          **accelerator})
    ckpt = str(result.best_checkpoint)
    print(f"      best checkpoint: {ckpt}")

    print("[3/4] exporting motifs ...", flush=True)
    meme = out / "motifs.meme"
    rc = main(["motifs", ckpt, "-o", str(meme), "--data", str(table), "--force", "--table", str(out / "filters.tsv"),
               "--device", args.device])
    if rc != 0:
        return rc

    print("[4/4] comparing with the planted motifs (TOMTOM, q < 0.05) ...", flush=True)
    try:
        from ..interpret.compare import motif_recovery
        res = motif_recovery(read_meme(meme), sim.motifs, background=load_jaspar())
    except ImportError as err:
        print(f"      skipped: {err}")
    else:
        names = {m.name: m.altname for m in sim.motifs}
        print(f"      recovered {res['n_recovered']}/{res['n_planted']} planted motifs: "
              f"{', '.join(names[n] for n in res['recovered']) or 'none'}")
        print(f"      {res['n_learned_matching']}/{res['n_learned']} exported motifs match a planted one "
              f"(precision {res['precision']:.2f})")
    for command, flag, target in (("syntax", "-o", out / "rules.tsv"), ("report", "-d", out / "report")):
        print(f"[+] motifzoo {command} -> {target}", flush=True)
        main([command, ckpt, flag, str(target), "--data", str(table), "--force", "--device", args.device])
    print(f"done: outputs in {out}/")
    return 0


DEMO = ("simulate, train, export motifs and count the planted motifs recovered", _add_demo, run_demo)
