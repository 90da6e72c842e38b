"""What ships: the sdist carries the README, LICENSE, docs and examples; the extras name what their code imports."""

from __future__ import annotations

import ast
import subprocess
import sys
import tarfile
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def requirement_name(requirement: str) -> str:
    for stop in "<>=!~[; ":
        requirement = requirement.split(stop)[0]
    return requirement.strip().lower().replace("_", "-")


def third_party_imports(folder: Path) -> set[str]:
    """Top-level modules imported anywhere under `folder` that are neither stdlib nor llv itself."""
    found: set[str] = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return {m for m in found if m not in sys.stdlib_module_names and m not in ("longlive_dsl", "__future__")}


def test_the_license_file_is_the_mit_license_pyproject_names():
    assert PYPROJECT["project"]["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")


@pytest.mark.parametrize(("extra", "folder"), [("sim", "sim"), ("run", "runtime"), ("run", "monitor")])
def test_an_extra_lists_every_package_its_code_imports(extra, folder):
    listed = {requirement_name(r) for r in PYPROJECT["project"]["optional-dependencies"][extra]}
    listed |= {requirement_name(r) for r in PYPROJECT["project"]["dependencies"]}
    distributions = packages_distributions()
    for module in sorted(third_party_imports(ROOT / "longlive_dsl" / folder)):
        names = {d.lower().replace("_", "-") for d in distributions.get(module, [module])}
        assert names & listed, f"longlive_dsl/{folder} imports {module} ({sorted(names)}) but the `{extra}` extra does not list it"


def test_the_sdist_carries_readme_license_docs_and_examples(tmp_path):
    done = subprocess.run([sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", str(tmp_path), str(ROOT)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    (sdist,) = tmp_path.glob("*.tar.gz")
    with tarfile.open(sdist) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    expected = {"README.md", "LICENSE", "pyproject.toml", "grammar/llv.lark", "longlive_dsl/py.typed"}
    expected |= {str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md")}
    expected |= {str(p.relative_to(ROOT)) for p in (ROOT / "examples").glob("*.llv")}
    expected |= {str(p.relative_to(ROOT)) for p in (ROOT / "longlive_dsl" / "monitor" / "static").iterdir()}
    assert expected <= names, sorted(expected - names)
