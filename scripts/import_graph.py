"""Print motifzoo's package-level import graph (edges and cycles), read from the code's own imports.

    python scripts/import_graph.py [ROOT]      # ROOT: a checkout (default: this one)

An edge ``a -> b`` means some module of package ``motifzoo.a`` imports from ``motifzoo.b``, at module
level or inside a function (both count: a lazy import still couples the layers).
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path


def package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "motifzoo" else parts[0]


def imported_modules(path: Path, module: str) -> set[str]:
    """Absolute names of the motifzoo modules that ``path`` (module ``module``) imports."""
    tree = ast.parse(path.read_text(), str(path))
    is_pkg = path.name == "__init__.py"
    base = module.split(".") if is_pkg else module.split(".")[:-1]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("motifzoo")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                stem = base[:len(base) - node.level + 1]
                name = ".".join(stem + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            if name.startswith("motifzoo"):
                found.add(name)
                found |= {f"{name}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Call) and getattr(node.func, "id", "") == "__import__" and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and str(arg.value).startswith("motifzoo"):
                found.add(arg.value)
    return found


def package_graph(root: Path) -> dict[str, set[str]]:
    """{package: packages it imports} for the ``motifzoo`` package under ``root``."""
    pkg_root = root / "motifzoo"
    edges: dict[str, set[str]] = {}
    for path in sorted(pkg_root.rglob("*.py")):
        module = ".".join(path.relative_to(root).with_suffix("").parts)
        src = package_of(module) if module.count(".") else "motifzoo"
        if path.parent == pkg_root:
            continue  # the top-level __init__ re-exports the public API
        for target in imported_modules(path, module):
            dst = package_of(target)
            if target.count(".") and dst != src and (pkg_root / dst).is_dir():
                edges.setdefault(src, set()).add(dst)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Pairs of packages that reach each other."""
    def reach(a):
        seen, todo = set(), [a]
        while todo:
            for b in edges.get(todo.pop(), ()):
                if b not in seen:
                    seen.add(b)
                    todo.append(b)
        return seen
    r = {a: reach(a) for a in edges}
    return sorted({tuple(sorted((a, b))) for a in r for b in r[a] if a != b and a in r.get(b, set())})


if __name__ == "__main__":
    root = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[1])
    g = package_graph(root)
    for a in sorted(g):
        print(f"{a:10s} -> {', '.join(sorted(g[a]))}")
    print("cycles:", ", ".join(f"{a} <-> {b}" for a, b in cycles(g)) or "none")
