"""Startup time of the ``motifzoo`` command line: this tree against an older commit, in one run.

    python benchmarks/startup.py                  # this tree vs 3cb8244, 5 repeats, writes benchmarks/startup.md
    python benchmarks/startup.py --old-ref REF --repeats 3 --out /tmp/startup.md

Each command runs as a fresh process (``python -S -c 'from motifzoo.cli import main; main()' ARGS``,
the tree's own ``[project.scripts]`` entry point,
with ``PYTHONPATH=TREE:SITE_PACKAGES``: ``-S`` skips the editable install's import hook, which
would otherwise resolve ``motifzoo``'s submodules to the installed checkout, so each tree imports
only its own code) and is timed by wall clock; the table shows the median of the repeats and the peak RSS. The old tree is a
``git worktree`` of ``--old-ref`` (created under /tmp if missing). Both trees are measured
alternately, so load from other processes affects both alike: the ratios are what count, and the
load average is recorded with the figures. ``python -X importtime`` of ``motifzoo --help`` in
each tree says where the time goes (the heaviest imports are listed).
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def entry_point(tree: Path) -> str:
    """``python -c`` code that runs the tree's own ``motifzoo`` console script (``[project.scripts]``)."""
    import tomllib
    target = tomllib.loads((tree / "pyproject.toml").read_text())["project"]["scripts"]["motifzoo"]
    module, func = target.split(":")
    return f"import sys; from {module} import {func} as main; sys.exit(main())"

COMMANDS = [
    ("motifzoo --help", ["--help"]),
    ("motifzoo --version", ["--version"]),
    ("motifzoo list", ["list"]),
    ("motifzoo simulate --help", ["simulate", "--help"]),
    ("motifzoo motifs --help", ["motifs", "--help"]),
    ("motifzoo report --help", ["report", "--help"]),
    ("motifzoo syntax --help", ["syntax", "--help"]),
    ("motifzoo predict --help", ["predict", "--help"]),
    ("motifzoo fit --help", ["fit", "--help"]),
    ("python -c 'import motifzoo'", None),
]


def run_once(tree: Path, args: list[str] | None) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MB, exit code) of one command in a fresh process."""
    code = "import motifzoo" if args is None else entry_point(tree)
    cmd = [sys.executable, "-S", "-c", code, *(args or [])]
    env = _env(tree)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    return wall, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def _env(tree: Path) -> dict:
    """Environment that imports ``motifzoo`` from ``tree`` and everything else from this venv."""
    import sysconfig
    site = sysconfig.get_paths()["purelib"]
    return {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": f"{tree}{os.pathsep}{site}"}


def heaviest_imports(tree: Path, n: int = 5) -> list[tuple[str, float]]:
    """The top-level packages that take longest to import for ``motifzoo --help`` (cumulative s)."""
    res = subprocess.run([sys.executable, "-S", "-X", "importtime", "-c", entry_point(tree), "--help"], cwd=tree,
                         capture_output=True, text=True, env=_env(tree))
    top: dict[str, float] = {}
    for line in res.stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\s*)(\S+)", line)
        if m:  # the slowest packages anywhere in the import tree (cumulative, so parents include children)
            name = m.group(3).split(".")[0]
            if name != "motifzoo":
                top[name] = max(top.get(name, 0.0), int(m.group(1)) / 1e6)
    return sorted(top.items(), key=lambda kv: -kv[1])[:n]


def ensure_worktree(ref: str) -> Path:
    path = Path(f"/tmp/startup_{ref}")
    if not (path / "motifzoo").is_dir():
        subprocess.run(["git", "worktree", "add", "-f", str(path), ref], cwd=ROOT, check=True, capture_output=True)
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--old-ref", default="3cb8244", help="commit to compare with (default: %(default)s)")
    parser.add_argument("--old-tree", help="an existing checkout of --old-ref (default: a worktree under /tmp)")
    parser.add_argument("--repeats", type=int, default=5, help="runs per command and tree (default: %(default)s)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "startup.md"),
                        help="Markdown file to write (default: benchmarks/startup.md)")
    args = parser.parse_args(argv)
    old = Path(args.old_tree) if args.old_tree else ensure_worktree(args.old_ref)
    trees = {"this tree": ROOT, f"{args.old_ref}": old}
    load_before = os.getloadavg()
    times = {k: {label: [] for label, _ in COMMANDS} for k in trees}
    rss = {k: {label: 0.0 for label, _ in COMMANDS} for k in trees}
    codes = {k: {} for k in trees}
    for label, cmd in COMMANDS:
        for _ in range(args.repeats):
            for name, tree in trees.items():  # alternate: both trees see the same load
                wall, mb, rc = run_once(tree, cmd)
                times[name][label].append(wall)
                rss[name][label] = max(rss[name][label], mb)
                codes[name][label] = rc
        print(f"{label:32s} " + "  ".join(f"{n}: {statistics.median(times[n][label]):.2f} s" for n in trees),
              flush=True)
    load_after = os.getloadavg()
    new, ref = list(trees)
    lines = [
        "# Startup time of the command line",
        "",
        f"Measured {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M UTC} with `python benchmarks/startup.py "
        f"--old-ref {args.old_ref} --repeats {args.repeats}` on {platform.node()}: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.system()} {platform.release()}.",
        f"Load average (1, 5, 15 min) {', '.join(f'{v:.2f}' for v in load_before)} before and "
        f"{', '.join(f'{v:.2f}' for v in load_after)} after: other jobs shared the machine, and both trees were "
        "timed alternately in the same run, so the ratio is the figure to read.",
        "",
        f"Median wall time of {args.repeats} fresh processes (peak RSS); `{ref}` is the main branch before issue #17.",
        "",
        f"| command | this tree | {ref} | speed-up |",
        "| --- | ---: | ---: | ---: |",
    ]
    for label, _ in COMMANDS:
        a, b = statistics.median(times[new][label]), statistics.median(times[ref][label])
        failed = codes[ref][label] != 0
        old_text = f"failed (exit {codes[ref][label]})" if failed else f"{b:.2f} s ({rss[ref][label]:.0f} MB)"
        ratio = "" if failed else f"{b / a:.1f}x"
        lines.append(f"| `{label}` | {a:.2f} s ({rss[new][label]:.0f} MB) | {old_text} | {ratio} |")
    lines += ["", "Heaviest imports of `motifzoo --help` (`python -X importtime`, cumulative seconds, one run):", ""]
    for name, tree in trees.items():
        top = ", ".join(f"{pkg} {sec:.2f}" for pkg, sec in heaviest_imports(tree))
        lines.append(f"- {name}: {top}")
    lines += ["", "A failed old command is one the old tree lacks (`--version`: an argparse usage error, exit 2)."]
    lines += ["", "`fit --help` builds LightningCLI's parser (Lightning, torch, jsonargparse) and then lists the "
              "default data class's `--data.*` options; it is the one help that needs Lightning.", ""]
    Path(args.out).write_text("\n".join(lines))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
