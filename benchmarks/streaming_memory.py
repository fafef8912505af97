"""Peak memory of reading large genome FASTA and BED files: streaming, so it stays flat (issue 16).

For each file kind, synthetic files of 1/4, 1/2 and all of the given size are written, and each is
read in a fresh process whose peak resident memory (``ru_maxrss``) is recorded:

* ``fasta``: ``Genome(path)`` (builds the ``.fai`` index with pyfaidx, which reads the file line by
  line) and 20,000 random 500 bp windows fetched through the memory map;
* ``bed``: ``read_bed(path)`` of a BED6 file (chrom, start, end, name, score, strand), read in
  chunks of ``BED_CHUNK_ROWS`` rows. Its result (starts, ends, summits, line numbers, chromosome
  names) necessarily grows with the number of regions, so the table also gives the memory above
  that result, which must stay flat.

    OMP_NUM_THREADS=1 python benchmarks/streaming_memory.py [--fasta-gb 2] [--bed-gb 0.5] [--kinds fasta bed] [--dir /tmp/x]

Prints a Markdown table (paste into ``benchmarks/streaming.md``) and writes ``results.json``
under ``--out``. Not a timed test: the figures depend on the machine and its load.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

LINE = 60  # FASTA bases per line


def write_fasta(path: Path, n_bytes: int, n_chroms: int = 4, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    per_chrom = n_bytes // n_chroms // (LINE + 1) * LINE
    block_lines = 1 << 16
    with open(path, "wb") as fh:
        for c in range(n_chroms):
            fh.write(f">chr{c + 1}\n".encode())
            left = per_chrom
            while left:
                n = min(left, block_lines * LINE)
                codes = np.frombuffer(b"ACGT", np.uint8)[rng.integers(0, 4, n)]
                rows = codes.reshape(-1, LINE) if n % LINE == 0 else None
                if rows is None:
                    text = b"\n".join(codes[i:i + LINE].tobytes() for i in range(0, n, LINE)) + b"\n"
                else:
                    text = np.hstack([rows, np.full((len(rows), 1), ord("\n"), np.uint8)]).tobytes()
                fh.write(text)
                left -= n


def write_bed(path: Path, n_bytes: int, seed: int = 0) -> int:
    rng = np.random.default_rng(seed)
    rows = 0
    with open(path, "w") as fh:
        while fh.tell() < n_bytes:
            n = 200_000
            starts = rng.integers(0, 200_000_000, n)
            chrom = rng.integers(1, 23, n)
            lines = [f"chr{c}\t{s}\t{s + 500}\tpeak{rows + i}\t{i % 1000}\t+\n"
                     for i, (c, s) in enumerate(zip(chrom.tolist(), starts.tolist()))]
            fh.write("".join(lines))
            rows += n
    return rows


CHILD = {
    "fasta": """
import numpy as np, sys
from motifzoo.data.genome import Genome
g = Genome(sys.argv[1])
rng = np.random.default_rng(0)
idx = rng.integers(0, len(g.names), 20000)
starts = (rng.random(20000) * (g.sizes[idx] - 500)).astype(np.int64)
x = g.fetch(idx, starts, 500)
print(x.size, x.nbytes)
""",
    "bed": """
import sys
from motifzoo.data.genome import read_bed
r = read_bed(sys.argv[1])
result = sum(a.nbytes for a in (r.chroms, r.starts, r.ends, r.summits, r.lines, r.values))
print(len(r), result)
""",
}


#: run first in each child: samples the process's anonymous memory (what it allocates, unlike the pages of a
#: memory-mapped file, which count in RSS but are the kernel's page cache) every 5 ms, keeping the peak
SAMPLER = """
import threading, time
PEAK = [0]
def _anon():
    for line in open("/proc/self/status"):
        if line.startswith("RssAnon:"):
            return int(line.split()[1])
    return 0
def _sample():
    while True:
        PEAK[0] = max(PEAK[0], _anon())
        time.sleep(0.005)
threading.Thread(target=_sample, daemon=True).start()
"""
REPORT = """
import resource
PEAK[0] = max(PEAK[0], _anon())
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, PEAK[0])
"""


def measure(kind: str, path: Path) -> dict:
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", SAMPLER + CHILD[kind] + REPORT, str(path)], capture_output=True,
                         text=True, check=True).stdout
    lines = out.split("\n")
    n, result = map(int, lines[0].split())
    peak_kib, anon_kib = map(int, lines[1].split())
    return {"kind": kind, "file_mib": path.stat().st_size / 2**20, "items": n, "result_mib": result / 2**20,
            "peak_rss_mib": peak_kib / 1024, "peak_anon_mib": anon_kib / 1024, "seconds": time.perf_counter() - t0}


def baseline_mib() -> float:
    """Peak anonymous memory of a child that only imports the reader."""
    code = SAMPLER + "import motifzoo.data.genome\nprint(0, 0)\n" + REPORT
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return int(out.split("\n")[1].split()[1]) / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fasta-gb", type=float, default=2.0)
    ap.add_argument("--bed-gb", type=float, default=0.5)
    ap.add_argument("--dir", default="/tmp/motifzoo_streaming", help="where the synthetic files go (deleted after)")
    ap.add_argument("--out", default="benchmarks/out/streaming")
    ap.add_argument("--kinds", nargs="+", default=["fasta", "bed"], choices=["fasta", "bed"])
    args = ap.parse_args()
    work = Path(args.dir)
    work.mkdir(parents=True, exist_ok=True)
    started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load = os.getloadavg()
    base = baseline_mib()
    rows = []
    for kind, gb in ((k, args.fasta_gb if k == "fasta" else args.bed_gb) for k in args.kinds):
        for frac in (0.25, 0.5, 1.0):
            path = work / f"x_{frac}.{'fa' if kind == 'fasta' else 'bed'}"
            (write_fasta if kind == "fasta" else write_bed)(path, int(gb * frac * 2**30))
            row = measure(kind, path)
            rows.append(row)
            print(f"{kind} {row['file_mib']:.0f} MiB: peak RSS {row['peak_rss_mib']:.0f} MiB, anonymous "
                  f"{row['peak_anon_mib']:.0f} MiB", file=sys.stderr, flush=True)
            path.unlink()
            Path(str(path) + ".fai").unlink(missing_ok=True)
    print(f"\nMeasured {started}: {platform.machine()}, {os.cpu_count()} CPUs, "
          f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB RAM, load average "
          f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} at the start; Python {platform.python_version()}; "
          f"importing motifzoo.data.genome alone takes {base:.0f} MiB of anonymous memory.\n")
    print("| file | size (MiB) | regions / bases read | peak RSS (MiB) | peak anonymous memory (MiB) | "
          "of which the result (MiB) | anonymous minus result minus import (MiB) | seconds |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['kind']} | {r['file_mib']:,.0f} | {r['items']:,} | {r['peak_rss_mib']:,.0f} | "
              f"{r['peak_anon_mib']:,.0f} | {r['result_mib']:,.0f} | {r['peak_anon_mib'] - r['result_mib'] - base:,.0f} | "
              f"{r['seconds']:.1f} |")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps({"started": started, "load": load, "baseline_mib": base,
                                                  "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
