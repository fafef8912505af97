"""Speed of naming learned motifs against all JASPAR 2024 CORE vertebrate motifs (TOMTOM, memelite).

Builds N learned-like motifs — noisy copies of random JASPAR matrices (counts of 20-60 sampled
sites, pseudocounts), cut or padded to 8-19 columns with uniform flanks, half of them reverse
complemented — and times

* ``annotate(motifs, "jaspar")``: best match of each against the 879 shipped JASPAR motifs, and
* ``cluster_motifs(motifs)``: every learned motif against every other (plus JASPAR as the null's
  calibration set), then complete-linkage grouping,

as the report runs them. The first call includes loading memelite's compiled kernels (numba
cache); the timed runs are the best of ``--repeats``. Limit the cores with ``taskset`` and
``NUMBA_NUM_THREADS``:

    NUMBA_NUM_THREADS=2 OMP_NUM_THREADS=2 taskset -c 0,1 python benchmarks/annotate_speed.py --n 300

Prints a Markdown table row: date, machine, cores, N, seconds.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import time

import numpy as np

from motifzoo.data.simulate import sample_instance
from motifzoo.motifs import load_jaspar
from motifzoo.interpret import Motif
from motifzoo.interpret.annotate import annotate, cluster_motifs


def learned_like(n: int, seed: int = 0) -> tuple[list[Motif], list[str]]:
    """``n`` noisy, trimmed or padded copies of random JASPAR motifs, and the id each was copied from."""
    rng = np.random.default_rng(seed)
    jaspar = load_jaspar()
    motifs, sources = [], []
    for i in range(n):
        source = jaspar[rng.integers(len(jaspar))]
        counts = np.zeros_like(source.pwm)
        for _ in range(int(rng.integers(20, 61))):
            site = sample_instance(source.pwm, rng)
            counts[np.arange(len(site)), site] += 1
        pwm = (counts + 0.5) / (counts + 0.5).sum(1, keepdims=True)
        width = int(rng.integers(8, 20))
        if source.width > width:  # a learned filter often holds part of a long motif
            start = int(rng.integers(0, source.width - width + 1))
            pwm = pwm[start:start + width]
        else:
            left = int(rng.integers(0, width - source.width + 1))
            pwm = np.vstack([np.full((left, 4), 0.25), pwm, np.full((width - source.width - left, 4), 0.25)])
        if rng.random() < 0.5:
            pwm = pwm[::-1, ::-1]
        motifs.append(Motif(f"filter{i}", pwm))
        sources.append(source.name)
    return motifs, sources


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=300, help="learned motifs to annotate (default 300)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    motifs, sources = learned_like(args.n, args.seed)
    t0 = time.perf_counter()
    table = annotate(motifs, "jaspar", significant_only=False)
    first = time.perf_counter() - t0
    annotate_s = best_of(lambda: annotate(motifs, "jaspar", significant_only=False), args.repeats)
    cluster_s = best_of(lambda: cluster_motifs(motifs), args.repeats)

    named = table[table["significant"]]
    source_of = dict(zip([m.name for m in motifs], sources))
    correct = int((named["match_id"] == named["motif"].map(source_of)).sum())
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"{args.n} learned-like motifs vs {len(load_jaspar())} JASPAR CORE vertebrates; "
          f"{len(named)} with a match at q < 0.05, {correct} of them the JASPAR matrix they were copied from")
    print("| date | machine | cores | motifs | annotate, first call (s) | annotate (s) | cluster (s) |")
    print("|---|---|---|---|---|---|---|")
    threads = os.environ.get("NUMBA_NUM_THREADS", "all")
    print(f"| {datetime.date.today()} | {cpu_name()} | {cores} (NUMBA_NUM_THREADS={threads}) "
          f"| {args.n} | {first:.2f} | {annotate_s:.2f} | {cluster_s:.2f} |")


if __name__ == "__main__":
    main()
