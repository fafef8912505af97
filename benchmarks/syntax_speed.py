"""Wall time and peak memory of ``motifzoo syntax`` and ``motifzoo instances`` as a user runs them.

Each command runs in its own process under ``/usr/bin/time -v`` (wall clock, maximum resident set
size), with ``OMP_NUM_THREADS=1``; the load average before each run is recorded, since the
machine is shared. A baseline process that only imports torch and motifzoo gives the fixed cost.

    python benchmarks/syntax_speed.py CHECKPOINT DATA [CHECKPOINT DATA ...] [--out DIR] [--repeat 1]

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
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    pairs = list(zip(args.runs[::2], args.runs[1::2]))
    rows = [{"what": "import torch + motifzoo", **timed([sys.executable, "-c",
                                                         "import torch, pandas, motifzoo.interpret.syntax"])}]
    for ckpt, data in pairs:
        for _ in range(args.repeat):
            rows.append({"what": "syntax", **timed([str(BIN), "syntax", ckpt, "--data", data, "-o",
                                                    str(out / "rules.tsv"), "--force", "--device", "cpu"])})
            rows.append({"what": "syntax --no-names", **timed([str(BIN), "syntax", ckpt, "--data", data, "-o",
                                                               str(out / "rules.tsv"), "--force", "--no-names",
                                                               "--device", "cpu"])})
            rows.append({"what": "instances", **timed([str(BIN), "instances", ckpt, "--data", data, "-o",
                                                       str(out / "instances.tsv"), "--force", "--device", "cpu"])})
    meta = {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "machine": f"{platform.node()} {platform.machine()}, "
            f"{os.cpu_count()} cores", "python": platform.python_version()}
    (out / "speed.json").write_text(json.dumps({**meta, "runs": rows}, indent=1))
    print(f"{meta['date']}, {meta['machine']}")
    print("| what | command | s | peak RSS (MB) | load average before | rc |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['what']} | `{r['command'].replace(str(BIN), 'motifzoo')}` | {r['seconds']} | {r['rss_mb']} | "
              f"{r['load_before']} | {r['rc']} |")


if __name__ == "__main__":
    main()
