"""``motifzoo demo``: the main job end to end on simulated data.

simulate (planted JASPAR motifs) -> ``motifzoo fit`` -> ``motifzoo motifs`` ->
count the planted motifs recovered (TOMTOM, q < 0.05 against planted + JASPAR CORE
vertebrates) -> any further readouts the installed version offers (syntax, report).
"""
from __future__ import annotations

from pathlib import Path


def run_demo(args) -> int:
    from ..data.simulate import load_jaspar, simulate
    from ..interpret.meme import read_meme
    from .cli import COMMANDS, main

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table, planted_path = out / "data.tsv.gz", out / "planted.meme"
    kwargs = {"n": args.n_sequences} if args.n_sequences else {}
    print(f"[1/4] simulating the {args.preset!r} preset ...", flush=True)
    sim = simulate(args.preset, seed=args.seed, **kwargs)
    sim.write(table, planted_path, out / "sites.tsv", seed=args.seed)
    print(f"      {len(sim.sequences)} sequences, {len(sim.motifs)} planted motifs -> {table}")

    print(f"[2/4] training {args.arch} ...", flush=True)
    fit_args = ["fit", "--data.path", str(table), "--model.arch", args.arch, "--trainer.max_epochs", str(args.max_epochs),
                "--trainer.default_root_dir", str(out / "runs"), "--trainer.enable_progress_bar", "false",
                "--trainer.enable_model_summary", "false", "--seed_everything", str(args.seed)]
    import contextlib
    import io
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(fit_args)
    if rc != 0:
        print(buf.getvalue())
        return rc
    ckpt = buf.getvalue().strip().splitlines()[-1].split("best checkpoint: ", 1)[-1]
    print(f"      best checkpoint: {ckpt}")

    print("[3/4] exporting motifs ...", flush=True)
    meme = out / "motifs.meme"
    rc = main(["motifs", ckpt, "-o", str(meme), "--data", str(table), "--force", "--table", str(out / "filters.tsv")])
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
    for extra in ("syntax", "report"):
        if extra in COMMANDS:
            target = out / ("rules.tsv" if extra == "syntax" else "report")
            print(f"[+] motifzoo {extra} -> {target}", flush=True)
            main([extra, ckpt, "-o", str(target), "--data", str(table), "--force"])
    print(f"done: outputs in {out}/")
    return 0
