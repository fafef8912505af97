"""Wall time and peak memory of ``motifzoo syntax`` and ``motifzoo instances`` as a user runs them.

Each command runs in its own process under ``/usr/bin/time -v`` (wall clock, maximum resident set
size), with ``OMP_NUM_THREADS=1``; the load average before each run is recorded, since the
machine is shared. A baseline process that only imports torch and motifzoo gives the fixed cost.

    python benchmarks/syntax_speed.py CHECKPOINT DATA [CHECKPOINT DATA ...] [--out DIR] [--repeat 1]
    python benchmarks/syntax_speed.py CHECKPOINT BIG_DATA --sizes 8000 25000 50000 100000 [--commands instances syntax]

``--sizes`` runs each command on the first N sequences of DATA (``--max-sequences N``) for each N:
time should grow linearly in N, peak memory stay flat (the data is held as 1-byte codes, every
pass streams batches).

Prints one Markdown table row per run and writes speed.json in --out.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent / "motifzoo"


def timed(cmd: list[str]) -> dict:
    """Run ``cmd`` under /usr/bin/time -v; wall seconds, peak RSS (MB), load average before, exit code."""
    load = os.getloadavg()[0]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True, env=env)
    wall = re.search(r"Elapsed \(wall clock\) time .*: (?:(\d+):)?(\d+):([\d.]+)", proc.stderr)
    h, m, s = (float(g) if g else 0.0 for g in wall.groups())
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1)) / 1024
    return {"command": " ".join(str(c) for c in cmd), "seconds": round(h * 3600 + m * 60 + s, 2),
            "rss_mb": round(rss, 1), "load_before": round(load, 2), "rc": proc.returncode,
            "stdout": proc.stdout.strip().splitlines()[-3:]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", help="CHECKPOINT DATA pairs")
    ap.add_argument("--out", default="benchmarks/out/syntax_speed")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--sizes", type=int, nargs="+", help="run each command with --max-sequences N for each N")
    ap.add_argument("--commands", nargs="+", default=["syntax", "syntax --no-names", "instances"],
                    choices=["syntax", "syntax --no-names", "instances"])
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    pairs = list(zip(args.runs[::2], args.runs[1::2]))
    rows = [{"what": "import torch + motifzoo", **timed([sys.executable, "-c",
                                                         "import torch, pandas, motifzoo.interpret.syntax"])}]
    for ckpt, data in pairs:
        for size in args.sizes or [None]:
            limit = ["--max-sequences", str(size)] if size else []
            for _ in range(args.repeat):
                for what in args.commands:
                    command, *flags = what.split()
                    output = str(out / ("instances.tsv" if command == "instances" else "rules.tsv"))
                    row = timed([str(BIN), command, ckpt, "--data", data, "-o", output, "--force", *flags,
                                 "--device", "cpu", *limit])
                    rows.append({"what": what, "sequences": size, **row})
    meta = {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "machine": f"{platform.node()} {platform.machine()}, "
            f"{os.cpu_count()} cores", "python": platform.python_version()}
    (out / "speed.json").write_text(json.dumps({**meta, "runs": rows}, indent=1))
    print(f"{meta['date']}, {meta['machine']}")
    print("| what | sequences | command | s | peak RSS (MB) | load average before | rc |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['what']} | {r.get('sequences') or 'all'} | `{r['command'].replace(str(BIN), 'motifzoo')}` | "
              f"{r['seconds']} | {r['rss_mb']} | {r['load_before']} | {r['rc']} |")


if __name__ == "__main__":
    main()
