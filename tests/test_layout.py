"""The layout a newcomer reads: three packages that do one thing each and never import each other in a
circle, and the README's layout table naming what is really there."""

import ast
import os
import re
import subprocess
import sys

import pytest

from tests.conftest import REPO

PACKAGES = ("extract", "paperpulse", "expectations")


def imports_of(package: str) -> dict[str, set[str]]:
    """Module -> the project modules it imports (at any depth in the file: lazy imports count too)."""
    found = {}
    for path in (REPO / package).rglob("*.py"):
        module = ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        found[module] = {name for name in names if name.split(".")[0] in PACKAGES}
    return found


def test_packages_import_each_other_in_one_direction_only():
    """paperpulse may use extract and expectations; neither of those imports the other or paperpulse."""
    edges = {
        (module.split(".")[0], target.split(".")[0])
        for package in PACKAGES
        for module, targets in imports_of(package).items()
        for target in targets
        if module.split(".")[0] != target.split(".")[0]
    }
    assert edges == {("paperpulse", "extract"), ("paperpulse", "expectations")}


def test_no_import_cycle_between_modules():
    graph = {module: targets for package in PACKAGES for module, targets in imports_of(package).items()}

    def resolve(name: str) -> str | None:
        while name and name not in graph:
            name = name.rpartition(".")[0]
        return name or None

    edges = {m: {t for t in (resolve(n) for n in targets) if t and t != m} for m, targets in graph.items()}
    # a package's __init__ importing its own submodules is no cycle of the layout
    edges = {
        m: {t for t in ts if not (m.startswith(t + ".") or t.startswith(m + "."))} for m, ts in edges.items()
    }
    state: dict[str, int] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(edges.get(module, ())):
            assert state.get(target) != 1, "import cycle: " + " -> ".join([*path, module, target])
            if target not in state:
                visit(target, [*path, module])
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [])


def test_importing_the_extractor_imports_no_ingestion_or_warehouse_code():
    code = "import sys, extract, extract.extractor; print(*sorted({m.split('.')[0] for m in sys.modules}))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert {"paperpulse", "expectations"}.isdisjoint(loaded.stdout.split())


def test_the_readme_layout_table_names_what_is_in_the_tree():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Layout") :]
    named = re.findall(r"^\| `([^`]+)`", section, flags=re.M)
    assert named, "no layout table"
    for entry in named:
        for path in re.split(r"`, `", entry):
            assert (REPO / path.rstrip("/")).exists(), (
                f"the layout table names {path}, which is not in the tree"
            )
    top = {p.name for p in REPO.iterdir() if p.is_dir() and not p.name.startswith(".")} - {
        "warehouse",
        "test-artifacts",
        "build",
        "__pycache__",
    }
    listed = {path.split("/")[0] for entry in named for path in re.split(r"`, `", entry)}
    assert {d for d in top if not d.endswith(".egg-info")} <= listed, "folders the layout table leaves out"


def test_under_make_test_a_module_s_tests_stay_on_one_worker(request):
    """`--dist loadgroup` sends each module's tests (or a named xdist_group) to one worker, so that a module
    fixture is built once. pytest-xdist suffixes the group to the test id, which pytest 9.2 ignores."""
    if not os.environ.get("PYTEST_XDIST_WORKER") or not request.config.getoption("loadgroup", False):
        pytest.skip("not under pytest-xdist's --dist loadgroup")
    assert request.node.nodeid.endswith("@test_layout")
