"""The package layering of motifzoo, checked on the code's own imports.

From the bottom up: ``motifs`` (formats) <- ``data`` <- ``models`` <- ``training`` and ``interpret``
<- ``cli``. Every import statement counts, including those inside functions (deferred imports still
couple the packages). Each package is also imported alone in a fresh interpreter, which must not
load a package it may not import.
"""
import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "motifzoo"
PACKAGES = sorted(p.name for p in ROOT.iterdir() if (p / "__init__.py").exists())

#: package -> the motifzoo packages it may import (None: any but those in FORBIDDEN)
ALLOWED = {
    "motifs": set(),
    "data": {"motifs"},
    "models": {"motifs", "data"},
}
#: package -> packages it must never import
FORBIDDEN = {
    "training": {"interpret", "cli"},
    "interpret": {"training", "cli"},
}


def _package_of(module: str) -> str | None:
    """``motifzoo.x.y`` -> ``x`` (None for the root package itself)."""
    parts = module.split(".")
    return parts[1] if parts[0] == "motifzoo" and len(parts) > 1 else None


def _imported_modules(path: Path) -> list[tuple[str, int]]:
    """Absolute names of the motifzoo modules a source file imports, with line numbers."""
    # the package a relative import starts from: the module's own (for __init__.py, the package itself)
    package = ["motifzoo", *path.relative_to(ROOT).with_suffix("").parts][:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names if a.name.split(".")[0] == "motifzoo"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.split(".")[0] != "motifzoo":
                continue
            if module == "motifzoo":  # `from motifzoo import data` imports the subpackage
                found += [(f"motifzoo.{a.name}" if a.name in PACKAGES else "motifzoo", node.lineno)
                          for a in node.names]
            else:
                found.append((module, node.lineno))
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            name = node.args[0].value
            if name.startswith("."):  # importlib.import_module(".x", __name__) from the root package
                name = "motifzoo" + name
            if name.startswith("motifzoo"):
                found.append((name, node.lineno))
    return found


def package_imports() -> dict[str, dict[str, list[str]]]:
    """package -> imported package -> ``file:line`` of every import that crosses packages."""
    graph: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for path in sorted(ROOT.rglob("*.py")):
        source = _package_of(".".join(["motifzoo", *path.relative_to(ROOT).with_suffix("").parts]))
        if source is None or source == "__init__":
            continue
        for module, line in _imported_modules(path):
            target = _package_of(module)
            if target is not None and target != source:
                graph[source][target].append(f"{path.relative_to(ROOT.parent)}:{line}")
    return graph


def _violations() -> list[str]:
    graph = package_imports()
    bad = []
    for source, targets in graph.items():
        for target, where in targets.items():
            allowed = ALLOWED.get(source)
            if (allowed is not None and target not in allowed) or target in FORBIDDEN.get(source, set()) \
                    or (target == "cli" and source != "cli"):
                bad.append(f"{source} imports {target} at {', '.join(where)}")
    return bad


def test_every_package_is_known():
    assert set(PACKAGES) == {"cli", "data", "interpret", "models", "motifs", "training"}


def test_layering_of_the_imports():
    assert _violations() == []


def test_no_import_cycles_between_packages():
    graph = {s: set(t) for s, t in package_imports().items()}
    cycles = []

    def visit(node, path):
        for nxt in graph.get(node, ()):
            if nxt == path[0]:
                cycles.append(" -> ".join(path + [nxt]))
            elif nxt not in path and nxt > path[0]:  # each cycle reported once, from its smallest package
                visit(nxt, path + [nxt])

    for start in graph:
        visit(start, [start])
    assert cycles == []


def test_the_walker_sees_relative_and_deferred_imports():
    """The checks above are only as good as the import walker: it must resolve every form."""
    src = ROOT / "models" / "io.py"
    names = {m for m, _ in _imported_modules(src)}
    assert "motifzoo.models.registry" in names  # `from .registry import ...`
    assert "motifzoo" in names  # `from .. import __version__`, deferred inside a function
    names = {m for m, _ in _imported_modules(ROOT / "cli" / "__init__.py")}
    assert "motifzoo.cli.main" in names  # `from .main import ...` in a package's __init__


@pytest.mark.parametrize("package", PACKAGES)
def test_each_package_imports_alone(package):
    """A fresh interpreter importing one package loads only the packages it may import."""
    may = ALLOWED.get(package)
    if may is None:
        may = set(PACKAGES) - FORBIDDEN.get(package, set()) - {"cli"}
    may = may | {package}
    code = ("import sys, importlib; importlib.import_module('motifzoo.%s'); "
            "print(' '.join(sorted({m.split('.')[1] for m in sys.modules if m.startswith('motifzoo.')})))" % package)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         cwd=ROOT.parent)
    assert out.returncode == 0, out.stderr[-2000:]
    loaded = set(out.stdout.split())
    assert loaded <= may, f"importing motifzoo.{package} loads {sorted(loaded - may)}"


if __name__ == "__main__":  # `python tests/test_layering.py`: print the package-level import graph
    for source, targets in sorted(package_imports().items()):
        print(f"{source:10s} -> {', '.join(sorted(targets))}")
