"""`llv new`: starter storyboards from the presets and examples shipped inside the package."""

import subprocess
import sys

import pytest

from longlive_dsl import analyse
from longlive_dsl.commands.new import presets
from longlive_dsl.tools.fmt import format_source

PRESETS = presets()


def llv(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "longlive_dsl.cli", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=60)


def test_the_presets_include_three_sequences_a_variants_example_and_every_example():
    assert {"journey", "day-to-night", "chase", "branching", "heist", "lighthouse"} <= set(PRESETS)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_compiles_clean_and_is_formatted(name):
    text = PRESETS[name][0]
    result = analyse(text, f"{name}.llv")
    assert result.ok and not result.diagnostics, [(d.code, d.message) for d in result.diagnostics]
    assert format_source(text, f"{name}.llv") == text


def test_the_branching_preset_has_variants():
    assert [tl.variant for tl in analyse(PRESETS["branching"][0], "b.llv").variants] == ["garden", "sea", "library"]


def test_new_writes_the_chosen_preset_and_names_the_next_steps(tmp_path):
    proc = llv("new", "story", "--preset", "chase", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "story.llv").read_text() == PRESETS["chase"][0]
    assert "llv plan story.llv" in proc.stderr


def test_new_never_overwrites_without_force(tmp_path):
    (tmp_path / "story.llv").write_text("# mine\n")
    assert llv("new", "story.llv", cwd=tmp_path).returncode == 2
    assert (tmp_path / "story.llv").read_text() == "# mine\n"
    assert llv("new", "story.llv", "--force", cwd=tmp_path).returncode == 0
    assert (tmp_path / "story.llv").read_text() == PRESETS["journey"][0]


def test_an_unknown_preset_is_refused_with_the_closest_name(tmp_path):
    proc = llv("new", "story", "--preset", "chace", cwd=tmp_path)
    assert proc.returncode == 2 and "did you mean `chase`" in proc.stderr
    assert not (tmp_path / "story.llv").exists()


def test_new_list_shows_each_preset_with_what_it_is():
    proc = llv("new", "--list")
    assert proc.returncode == 0
    assert any(line.startswith("branching") and "variants" in line for line in proc.stdout.splitlines())
