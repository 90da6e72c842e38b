"""The package's shape: imports point down towards the core, and the runtime never reaches for the simulator."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from longlive_dsl.venue import CLOUD, SERVER, SIMULATOR, Venue, VenueError, choose_venue

PACKAGE = Path(__file__).resolve().parents[2] / "longlive_dsl"


def imported_modules(path: Path) -> set[str]:
    """Every module a source file imports, absolute (relative imports resolved against its package)."""
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.add(name)
            found.update(f"{name}.{alias.name}" for alias in node.names)
    return found


@pytest.mark.parametrize("path", sorted((PACKAGE / "runtime").glob("*.py")), ids=lambda p: p.name)
def test_no_runtime_module_imports_the_simulator(path):
    assert not [m for m in imported_modules(path) if m == "longlive_dsl.sim" or m.startswith("longlive_dsl.sim.")]


CORE = ["syntax", "timeline.py", "checks.py", "compiler.py", "program.py", "model.py", "diagnostics.py", "plan.py",
        "analysis.py", "source.py", "codes.py"]


@pytest.mark.parametrize("part", CORE)
def test_the_core_imports_no_display_runtime_or_tools(part):
    paths = [PACKAGE / part] if part.endswith(".py") else sorted((PACKAGE / part).glob("*.py"))
    for path in paths:
        outside = {m for m in imported_modules(path)
                   if m.split(".")[0] in ("rich", "pygls", "lsprotocol", "aiortc", "av", "httpx")
                   or m.startswith(("longlive_dsl.tools", "longlive_dsl.runtime", "longlive_dsl.sim",
                                    "longlive_dsl.commands", "longlive_dsl.cli"))}
        assert not outside, f"{path.name} imports {sorted(outside)}"


def test_importing_the_whole_runtime_loads_no_simulator():
    code = ("import sys, pkgutil, importlib, longlive_dsl.runtime as r\n"
            "for m in pkgutil.iter_modules(r.__path__): importlib.import_module('longlive_dsl.runtime.' + m.name)\n"
            "print(sorted(m for m in sys.modules if m.startswith('longlive_dsl.sim')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_exit_codes_are_defined_in_one_module():
    definitions = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, int):
                for target in node.targets:
                    if isinstance(target, ast.Name) and target.id.startswith("EXIT_"):
                        definitions.append(path.name)
    assert set(definitions) == {"exits.py"}


# ---- where a program plays ------------------------------------------------------------------------


def test_no_options_means_a_simulator_started_for_the_run():
    assert choose_venue() == Venue(SIMULATOR)


def test_a_server_url_is_played_on_directly():
    assert choose_venue(server="http://127.0.0.1:8080") == Venue(SERVER, "http://127.0.0.1:8080")


def test_a_key_without_a_server_means_the_cloud():
    venue = choose_venue(api_key="rk_secret")
    assert venue.kind == CLOUD and venue.url.startswith("https://") and venue.api_key == "rk_secret"


def test_a_server_wins_over_a_key_from_the_environment_unless_the_cloud_is_asked_for():
    assert choose_venue(server="http://127.0.0.1:1", api_key="rk_secret").kind == SERVER
    assert choose_venue(server="http://127.0.0.1:1", api_key="rk_secret", cloud=True).kind == CLOUD


def test_the_cloud_without_a_key_is_refused():
    with pytest.raises(VenueError):
        choose_venue(cloud=True)


def test_a_venue_never_shows_its_key():
    assert "rk_secret" not in repr(choose_venue(api_key="rk_secret", api_url="http://127.0.0.1:1"))


def test_without_the_simulator_installed_the_choice_says_how_to_get_it(monkeypatch):
    from longlive_dsl.venue import NoSimulator, venue_url

    monkeypatch.setitem(sys.modules, "longlive_dsl.sim.server", None)  # `import` now fails as if not installed
    with pytest.raises(NoSimulator, match="`sim` extra"), venue_url(Venue(SIMULATOR)):
        pytest.fail("the body never runs")


def test_llv_run_without_the_simulator_is_a_usage_error(monkeypatch, tmp_path, capsys):
    from longlive_dsl.cli import EXIT_USAGE, main

    story = tmp_path / "a.llv"
    story.write_text('scene "A"\n  shot "A red fox trots across a frosted meadow at sunrise in warm light"\n',
                     encoding="utf-8")
    monkeypatch.setitem(sys.modules, "longlive_dsl.sim.server", None)
    monkeypatch.delenv("REACTOR_API_KEY", raising=False)
    assert main(["run", str(story), "--plain"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "simulator is not installed" in err and "Traceback" not in err


def test_a_server_venue_hands_its_url_to_the_runtime_without_starting_anything():
    from longlive_dsl.venue import venue_url

    with venue_url(Venue(SERVER, "http://127.0.0.1:9")) as url:
        assert url == "http://127.0.0.1:9"


def test_commands_return_exit_codes_by_name_never_as_bare_numbers():
    bare = []
    for path in [PACKAGE / "cli.py", *sorted((PACKAGE / "commands").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Return) and isinstance(node.value, ast.Constant) and type(node.value.value) is int:
                bare.append(f"{path.name}:{node.lineno}")
    assert not bare, f"use longlive_dsl.exits names: {bare}"
