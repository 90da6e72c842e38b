"""`include` libraries of defines, and `--set` / `--seed` overrides."""

import pytest

from longlive_dsl import Overrides, analyse, compile_variants
from longlive_dsl.takes import parse_seeds, parse_set
from longlive_dsl.tools.lsp import definition_elsewhere, here

from .helpers import P
from .test_cli import llv


@pytest.fixture
def library(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "cast.llv").write_text(
        '# the cast\ndefine keeper = "an old lighthouse keeper in a yellow oilskin"\ndefine mood = "quiet"\n'
        'define dusk = "soft film grain, warm dusk light, {mood}"\n')
    story = tmp_path / "story.llv"
    story.write_text(f'include "lib/cast.llv"\nscene "A"\n  shot "{{keeper}} climbs, {{dusk}}, {P[1:-1]}"\n')
    return story


def test_an_included_files_defines_are_used_as_if_written_here(library):
    programs, diags = compile_variants(library.read_text(), str(library))
    assert not [d for d in diags if d.is_error]
    assert programs[0].commands[0].data.prompt.startswith("an old lighthouse keeper in a yellow oilskin climbs, soft")


def test_an_include_is_relative_to_the_including_file_not_the_working_folder(library, tmp_path, monkeypatch):
    monkeypatch.chdir("/")
    assert analyse(library.read_text(), str(library)).ok


def test_a_problem_in_an_included_file_names_that_file_and_points_into_it(library, tmp_path):
    cast = tmp_path / "lib" / "cast.llv"
    cast.write_text(cast.read_text().replace("{mood}", "{moood}"))
    result = analyse(library.read_text(), str(library))
    d = next(d for d in result.diagnostics if d.code == "E402")
    assert d.file == str(cast) and (d.span.line, d.span.column) == (4, 50)
    assert result.sources[str(cast)] == cast.read_text()


def test_the_rendering_shows_the_included_files_line(library, tmp_path):
    cast = tmp_path / "lib" / "cast.llv"
    cast.write_text(cast.read_text().replace("{mood}", "{moood}"))
    proc = llv("lint", library)
    assert proc.returncode == 1
    assert f"--> {cast}:4:50" in proc.stdout and 'define dusk = "soft film grain' in proc.stdout


def test_a_library_may_hold_only_defines(library, tmp_path):
    (tmp_path / "lib" / "cast.llv").write_text('define a = "x"\nscene "B"\n')
    d = next(d for d in analyse(library.read_text(), str(library)).diagnostics if d.code == "E212")
    assert d.file.endswith("cast.llv") and d.span.line == 2


def test_an_include_cycle_is_refused_at_the_include_that_closes_it(library, tmp_path):
    cast = tmp_path / "lib" / "cast.llv"
    cast.write_text(cast.read_text() + 'include "../story.llv"\n')
    d = next(d for d in analyse(library.read_text(), str(library)).diagnostics if d.code == "E211")
    assert d.file == str(cast) and d.span.line == 5
    assert "story.llv -> cast.llv -> story.llv" in d.message


def test_a_file_included_twice_is_read_once(library, tmp_path):
    text = 'include "lib/cast.llv"\n' + library.read_text()
    assert not [d for d in analyse(text, str(library)).diagnostics if d.code == "E403"]


def test_a_missing_include_is_refused_where_it_is_written(library):
    text = library.read_text().replace("lib/cast.llv", "lib/gone.llv")
    d = next(d for d in analyse(text, str(library)).diagnostics if d.code == "E210")
    assert (d.span.line, d.span.column) == (1, 9) and "no such file" in d.message


@pytest.mark.parametrize("target", ["fifo", "/dev/zero", "/dev/null"])
def test_an_include_of_something_not_a_regular_file_is_refused_and_never_waits(library, tmp_path, target):
    """A storyboard from elsewhere could include a FIFO (a read would wait for a writer forever) or a
    device: lint says so where the include is written, at once."""
    import os

    os.mkfifo(tmp_path / "fifo")
    library.write_text(library.read_text().replace("lib/cast.llv", target))
    done = llv("lint", str(library), cwd=tmp_path)
    assert done.returncode == 1
    assert f"cannot include `{target}`" in done.stdout + done.stderr and "not a regular file" in done.stdout + done.stderr


def test_an_include_never_reads_standard_input(library, tmp_path):
    """`-` is stdin for a storyboard given on the command line, never for an include."""
    library.write_text(library.read_text().replace("lib/cast.llv", "-"))
    done = llv("compile", str(library), cwd=library.parent, stdin=b"define keeper = \"FROM STDIN\"\n")
    assert done.returncode == 1 and "cannot include `-`" in done.stderr and "FROM STDIN" not in done.stdout


def test_a_set_does_not_hide_a_storyboard_that_does_not_parse(tmp_path):
    (tmp_path / "bad.llv").write_text('scene "A"\n  shot for "x"\n')
    for command in ("lint", "plan"):
        done = llv(command, str(tmp_path / "bad.llv"), "--set", "x=1")
        assert done.returncode == 1 and "E101" in done.stdout + done.stderr, command
        assert "has no define" not in done.stderr, command


def test_an_include_after_the_first_scene_is_a_late_header(library):
    text = library.read_text().replace('include "lib/cast.llv"\n', "") + 'include "lib/cast.llv"\n'
    assert any(d.code == "E201" and "include" in d.message for d in analyse(text, str(library)).diagnostics)


def test_a_librarys_unused_defines_are_not_reported(library):
    assert not [d for d in analyse(library.read_text(), str(library)).diagnostics if d.code == "W603"]


def test_the_language_server_goes_to_a_define_in_an_included_file(library, tmp_path):
    result = analyse(library.read_text(), str(library))
    [location] = definition_elsewhere(result, "keeper", len)
    assert location.uri.endswith("/lib/cast.llv") and location.range.start.line == 1


def test_the_language_server_shows_an_included_files_problem_on_its_include(library, tmp_path):
    cast = tmp_path / "lib" / "cast.llv"
    cast.write_text(cast.read_text().replace("{mood}", "{moood}"))
    result = analyse(library.read_text(), str(library))
    d = here(next(d for d in result.diagnostics if d.code == "E402"), result)
    assert d.span.line == 1 and d.message.startswith(f"{cast}:4:50: ")


def test_set_replaces_a_defines_text_in_every_prompt_using_it(library):
    result = analyse(library.read_text(), str(library), overrides=Overrides(defines={"dusk": "neon  rain"}))
    assert "neon rain" in result.timeline.beats[0].prompt


def test_seed_override_compiles_to_set_seed_without_a_seed_statement(library):
    [program], _ = compile_variants(library.read_text(), str(library), overrides=Overrides(seed=7))
    assert program.commands[0].model_dump(mode="json") == {"type": "set_seed", "data": {"seed": 7}}


@pytest.mark.parametrize("text, seeds", [("7", [7]), ("1..4", [1, 2, 3, 4]), ("3,9", [3, 9]), ("1..2,9,2", [1, 2, 9]),
                                         ("-2..-1", [-2, -1])])
def test_seed_sweeps_read_as_written(text, seeds):
    assert parse_seeds(text) == seeds


@pytest.mark.parametrize("text", ["5..1", "x", "1..", "1..100000", "99999999999"])
def test_bad_seed_sweeps_are_refused_with_a_reason(text):
    with pytest.raises(ValueError, match=r"."):
        parse_seeds(text)


def test_set_needs_a_name_and_a_text():
    assert parse_set('look=neon rain, "wet" streets') == ("look", 'neon rain, "wet" streets')
    for bad in ["look", "=x", "2x=y", "look= "]:
        with pytest.raises(ValueError):
            parse_set(bad)


def test_compile_refuses_a_set_for_a_define_the_storyboard_lacks(library):
    proc = llv("compile", library, "--set", "keper=someone")
    assert proc.returncode == 2 and "did you mean `keeper`" in proc.stderr


def test_plan_shows_the_plan_with_the_overrides_run_would_play(library):
    proc = llv("plan", library, "--set", "keeper=a young cartographer with a brass compass", "--seed", "7")
    assert proc.returncode == 0, proc.stderr
    assert "cartographer" in proc.stdout and "lighthouse keeper" not in proc.stdout


def test_plan_and_lint_refuse_a_set_for_a_define_the_storyboard_lacks(library):
    for command in ("plan", "lint"):
        proc = llv(command, library, "--set", "keper=someone")
        assert proc.returncode == 2 and "did you mean `keeper`" in proc.stderr, command
        assert "All clean" not in proc.stdout, command


def test_lint_checks_the_storyboard_as_the_overrides_make_it(library):
    """A --set text too long for the model is found by lint, before any run."""
    clean = llv("lint", library)
    assert clean.returncode == 0, clean.stdout
    proc = llv("lint", library, "--set", "mood=" + "very quiet " * 400)
    assert proc.returncode == 1 and "E406" in proc.stdout


def test_compile_plays_the_seed_of_the_command_line(library):
    proc = llv("compile", library, "--seed", "7")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == '{"type": "set_seed", "data": {"seed": 7}}'


def test_plan_lint_and_compile_take_one_seed_not_a_sweep(library):
    for command in ("plan", "lint", "compile"):
        proc = llv(command, library, "--seed", "1..3")
        assert proc.returncode == 2 and "one take per seed" in proc.stderr, command


@pytest.mark.parametrize("command", ["lint", "plan"])
def test_lint_and_plan_show_a_problem_in_an_included_file_in_the_text_they_read(library, tmp_path, monkeypatch,
                                                                                capsys, command):
    """The included file is read once, by the analysis; its text shown under the diagnostic is that one."""
    from longlive_dsl import includes, source  # includes first: the analysis's own read is not counted
    from longlive_dsl.cli import main

    assert includes.expand_includes.__defaults__ == (source.read_library,)

    cast = tmp_path / "lib" / "cast.llv"
    cast.write_text(cast.read_text().replace("{mood}", "{moood}"))
    read = []
    real = source.read_source
    monkeypatch.setattr(source, "read_source", lambda path: read.append(path) or real(path))
    assert main([command, str(library)]) == 1
    out = capsys.readouterr()
    assert 'define dusk = "soft film grain, warm dusk light, {moood}"' in out.out + out.err
    assert read == [str(library)]
