"""The dependency rule of `docs/architecture.md`, read from the source with `ast`: the modules of
`referrals/` (and of `texting/`) import one another without a cycle, and `referrals`, `texting` and `notify`
import nothing from the packages above them. An import inside a function counts like any other: it is a
dependency all the same."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# What each package must never import: the packages above it. (`reports` is above `referrals` too, but
# `referrals/snapshot.py` reads its response times: the one exception the architecture names.)
ABOVE = {
    "referrals": frozenset({"api", "web", "texting"}),
    "texting": frozenset({"api", "web"}),
    "notify": frozenset({"referrals", "texting", "api", "web"}),
    "safe_text": frozenset(
        {"api", "web", "texting", "reports", "referrals", "notify", "directory", "accounts", "geo", "db"}
        | {"matching", "triage", "config", "flask", "sqlalchemy"}
    ),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(path: Path) -> set[str]:
    """Every module name a file imports, anywhere in it; `from referrals import audit` gives both
    `referrals` and `referrals.audit` (the caller keeps the names that are modules)."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: `from . import a` in pkg/b.py is `from pkg import a`
                parts = package.split(".")
                base = ".".join([*parts[: len(parts) - node.level + 1], *([base] if base else [])])
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def sources(package: str) -> list[Path]:
    assert (ROOT / package / "__init__.py").is_file(), f"no package {package}/ (renamed? update this test)"
    return sorted((ROOT / package).rglob("*.py"))


def import_graph(package: str) -> dict[str, set[str]]:
    """Each module of the package → the modules of the same package it imports."""
    files = {module_name(path): path for path in sources(package)}
    return {name: imported_names(path) & set(files) - {name} for name, path in files.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle as the modules along it (first repeated last), or [] for none."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str]:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return []
        for target in sorted(graph[node]):
            if cycle := visit(target, [*path, node]):
                return cycle
        done.add(node)
        return []

    for start in sorted(graph):
        if cycle := visit(start, []):
            return cycle
    return []


def test_the_graph_counts_lazy_and_relative_imports(tmp_path, monkeypatch):
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "a.py").write_text("from pkg.b import thing\n")
    (tmp_path / "pkg" / "b.py").write_text("def later():\n    from . import a\n")
    graph = import_graph("pkg")
    assert graph == {"pkg": set(), "pkg.a": {"pkg.b"}, "pkg.b": {"pkg", "pkg.a"}}
    assert find_cycle(graph) == ["pkg.a", "pkg.b", "pkg.a"]


@pytest.mark.parametrize("package", ["referrals", "texting"])
def test_modules_of_a_package_import_one_another_without_a_cycle(package):
    cycle = find_cycle(import_graph(package))
    assert not cycle, "import cycle: " + " → ".join(cycle)


@pytest.mark.parametrize("package", sorted(ABOVE))
def test_a_package_imports_nothing_above_it(package):
    found = sorted(
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sources(package)
        for names in [imported_names(path)]
        for name in names
        if name.partition(".")[0] in ABOVE[package] and name.rpartition(".")[0] not in names
    )
    assert not found, "\n".join(found)
