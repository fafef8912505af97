"""The README's examples, run exactly as written.

Convention: a fenced ``bash`` or ``python`` block directly after a line ``<!-- test -->`` is
runnable; other blocks (install commands, sketches with ``...``) are not run. Marked blocks run in
order, in one temporary folder (so a later block can use an earlier block's files) that holds a
link to the repository's ``configs/``; bash blocks with ``bash -euo pipefail``, python blocks with
this interpreter. The only thing a test may change is the environment, through variables the
README's blocks read with a default (documented beside the blocks in the README):

* ``MOTIFZOO_README_N``: number of simulated sequences (the tests use 1500);
* ``MOTIFZOO_README_EPOCHS``: training epochs (the tests use 6).
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
MARKER = "<!-- test -->"
#: what a test run may override (README blocks read these with ${VAR:-default} / os.environ.get)
OVERRIDES = {"MOTIFZOO_README_N": "1500", "MOTIFZOO_README_EPOCHS": "6"}


def runnable_blocks(text: str) -> list[tuple[int, str, str]]:
    """``(line, language, code)`` of every block marked runnable, in order."""
    blocks = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip() != MARKER:
            continue
        j = i + 1
        while j < len(lines) and not lines[j].strip():
            j += 1
        fence = re.match(r"^```(bash|sh|python)\s*$", lines[j].strip()) if j < len(lines) else None
        if not fence:
            raise AssertionError(f"README.md line {i + 1}: {MARKER} is not followed by a ```bash or ```python block")
        end = next(k for k in range(j + 1, len(lines)) if lines[k].strip() == "```")
        blocks.append((j + 1, fence.group(1), "\n".join(lines[j + 1:end]) + "\n"))
    return blocks


def _blocks_or_skip():
    blocks = runnable_blocks(README.read_text(encoding="utf-8"))
    if not blocks:
        message = f"README.md marks no block with {MARKER}: nothing to run"
        print(f"SKIPPED: {message}")
        pytest.skip(message)
    return blocks


def test_marked_blocks_are_well_formed_and_use_real_commands():
    """Fast: every marked block parses, and every `motifzoo COMMAND` in it exists."""
    from motifzoo.cli.main import COMMANDS, LIGHTNING_COMMANDS
    for line, language, code in _blocks_or_skip():
        if language == "python":
            compile(code, f"README.md line {line}", "exec")
            continue
        res = subprocess.run(["bash", "-n"], input=code, capture_output=True, text=True)
        assert res.returncode == 0, f"README.md line {line}: {res.stderr}"
        for command in re.findall(r"(?:^|[\s;&|(])motifzoo\s+([a-z]+)", code):
            assert command in COMMANDS or command in LIGHTNING_COMMANDS, f"README.md line {line}: {command}"


@pytest.mark.slow
def test_readme_examples_run_as_written(tmp_path):
    blocks = _blocks_or_skip()
    (tmp_path / "configs").symlink_to(ROOT / "configs")
    env = {**os.environ, **OVERRIDES, "OMP_NUM_THREADS": "1",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    for line, language, code in blocks:
        cmd = ["bash", "-euo", "pipefail", "-c", code] if language in ("bash", "sh") else [sys.executable, "-c", code]
        res = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=1200)
        assert res.returncode == 0, (f"README.md block at line {line} failed (exit {res.returncode}):\n"
                                     f"{res.stdout[-3000:]}\n{res.stderr[-3000:]}")
