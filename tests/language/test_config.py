"""Configuration ([tool.llv] / llv.toml), suppression comments, and what fails `llv lint`."""

import pytest

from longlive_dsl import check
from longlive_dsl.cli import main
from longlive_dsl.config import (
    DEFAULT,
    Config,
    ConfigError,
    ConfigFinder,
    apply,
    from_table,
    read_config,
)
from longlive_dsl.model import CLOCKS

from .helpers import P

TERSE_TWICE = 'scene "A" for 4\n  shot "a cat"\nscene "B"\n  shot "a dog"\n'


def reported(source: str, config: Config = DEFAULT) -> list[tuple[str, int]]:
    return [(d.code, d.span.line) for d in apply(check(source, "t.llv")[1], source, "t.llv", config)]


# ---- files and discovery -------------------------------------------------------------------------

def test_llv_toml_in_the_files_folder_applies(tmp_path):
    (tmp_path / "llv.toml").write_text('ignore = ["W601"]\n')
    assert ConfigFinder().for_file(str(tmp_path / "a.llv")).ignore == ("W601",)


def test_the_nearest_configuration_walking_up_wins(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.llv]\nignore = ["W601"]\n')
    inner = tmp_path / "stories" / "act1"
    inner.mkdir(parents=True)
    (tmp_path / "stories" / "pyproject.toml").write_text('[tool.llv]\nignore = ["W603"]\n')
    assert ConfigFinder().for_file(str(inner / "a.llv")).ignore == ("W603",)


def test_a_pyproject_without_tool_llv_is_passed_over(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.llv]\nignore = ["W601"]\n')
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert ConfigFinder().for_file(str(tmp_path / "sub" / "a.llv")).ignore == ("W601",)


def test_llv_toml_wins_over_pyproject_in_the_same_folder(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.llv]\nignore = ["W601"]\n')
    (tmp_path / "llv.toml").write_text('ignore = ["W603"]\n')
    assert ConfigFinder().for_file(str(tmp_path / "a.llv")).ignore == ("W603",)


def test_a_pyproject_without_tool_llv_is_no_configuration(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.black]\nline-length = 100\n')
    assert read_config(str(tmp_path / "pyproject.toml")) is None


def test_the_defaults_report_everything_and_fail_only_on_errors():
    assert DEFAULT.select is None and DEFAULT.ignore == () and DEFAULT.deny == () and DEFAULT.clock is None
    diags = check('scene "A"\n  shot "a cat"\n', "t.llv")[1]
    assert [d.code for d in diags] == ["W601"] and not any(DEFAULT.fails(d) for d in diags)


def test_clock_is_read_and_checked(tmp_path):
    for name in CLOCKS:
        assert from_table({"clock": name}, "llv.toml").clock == name
    with pytest.raises(ConfigError, match="`clock` is one of"):
        from_table({"clock": "fast"}, "llv.toml")


@pytest.mark.parametrize("table, message", [
    ({"ignor": ["W601"]}, "unknown key `ignor`"),
    ({"ignore": ["W999"]}, "`W999`, which is no code"),
    ({"ignore": ["E505"]}, "errors cannot be ignored"),
    ({"ignore": ["E"]}, "errors cannot be ignored"),
    ({"ignore": "W601"}, None),
    ({"select": 5}, "is a list of codes"),
    ({"deny": ["everything"]}, "`everything`, which is no code"),
])
def test_bad_configuration_is_a_located_error(table, message):
    if message is None:
        assert from_table(table, "llv.toml").ignore == ("W601",)
        return
    with pytest.raises(ConfigError, match=message) as e:
        from_table(table, "here/llv.toml")
    assert str(e.value).startswith("here/llv.toml")


def test_invalid_toml_names_the_file(tmp_path):
    (tmp_path / "llv.toml").write_text("ignore = [\n")
    with pytest.raises(ConfigError, match="llv.toml: not valid TOML"):
        ConfigFinder().for_file(str(tmp_path / "a.llv"))


# ---- select and ignore ---------------------------------------------------------------------------

def test_ignore_takes_codes_and_prefixes():
    source = 'define unused = "x"\n' + TERSE_TWICE
    assert {c for c, _ in reported(source)} == {"W601", "W603"}
    assert {c for c, _ in reported(source, from_table({"ignore": ["W601"]}, "x"))} == {"W603"}
    assert reported(source, from_table({"ignore": ["W"]}, "x")) == []


def test_select_reports_only_those_but_never_hides_an_error():
    source = 'define unused = "x"\nscene "A"\n  shot "a cat"\n  shot at 50 "a dog"\n'
    codes = {c for c, _ in reported(source, from_table({"select": ["W603"]}, "x"))}
    assert codes == {"E505", "W603"}  # W601 is not selected; the error is always reported
    codes = {c for c, _ in reported('define unused = "x"\n' + TERSE_TWICE, from_table({"select": ["W603"]}, "x"))}
    assert codes == {"W603"}


# ---- suppression comments ------------------------------------------------------------------------

def test_an_ignore_comment_silences_its_code_on_its_own_line_only():
    source = 'scene "A" for 4\n  shot "a cat"  # llv: ignore[W601]\nscene "B"\n  shot "a dog"\n'
    assert reported(source) == [("W601", 4)]


def test_an_ignore_comment_on_the_last_line_of_a_long_prompt_counts():
    source = 'scene "A"\n  shot """a cat\n     on a mat"""  # llv: ignore[W601]\n'
    assert reported(source) == []


def test_an_ignore_comment_names_only_what_it_silences():
    source = 'scene "A"\n  shot "a cat"  # llv: ignore[W603]\n'
    assert reported(source) == [("W601", 2)]


def test_a_file_level_ignore_silences_the_code_everywhere():
    source = "# llv: ignore-file[W601]\n" + TERSE_TWICE
    assert reported(source) == []


def test_several_codes_and_a_trailing_comment_are_allowed():
    source = 'define unused = "x"  # llv: ignore[W603, W601]  # old look\nscene "A"\n  shot ' + P + "\n"
    assert reported(source) == []


def test_an_error_cannot_be_suppressed_and_saying_so_is_w608():
    source = 'scene "A"\n  shot ' + P + '\n  shot at 50 ' + P + '  # llv: ignore[E505]\n'
    found = reported(source)
    assert ("E505", 3) in found and ("W608", 3) in found


@pytest.mark.parametrize("comment, words", [
    ("# llv: ignore[W999]", "`W999` in this suppression is not a code"),
    ("# llv: ignore", "not a suppression llv understands"),
    ("# llv: noqa", "not a suppression llv understands"),
    ("# llv: ignore[]", "names no code"),
])
def test_a_suppression_that_cannot_work_is_w608(comment, words):
    source = f'scene "A"\n  shot {P}  {comment}\n'
    w608 = [d for d in apply(check(source, "t.llv")[1], source, "t.llv") if d.code == "W608"]
    assert len(w608) == 1 and words in w608[0].message and w608[0].span.line == 2


def test_w608_points_at_the_comment_as_written_without_its_trailing_blanks():
    comment = "# llv: ignore[W999]"
    source = f'scene "A"\n  shot {P}\n\n  shot at 9 "a \\"# llv\\" {P[1:]}  {comment}   \n'
    [d] = [d for d in apply(check(source, "t.llv")[1], source, "t.llv") if d.code == "W608"]
    start = source.index(comment)
    column = start - source.rindex("\n", 0, start)
    assert (d.span.line, d.span.start, d.span.end) == (4, start, start + len(comment))
    assert (d.span.column, d.span.end_column) == (column, column + len(comment))


def test_a_suppression_written_inside_a_prompt_is_just_prompt_text():
    source = 'scene "A"\n  shot "a cat # llv: ignore[W601]"\n'
    assert reported(source) == [("W601", 2)]


def test_ordinary_comments_are_not_suppressions():
    source = 'scene "A"  # llv is great\n  shot "a cat"  # about llv: nothing\n'
    assert reported(source) == [("W601", 2)]


# ---- llv lint: exit codes, options, configuration ------------------------------------------------

def lint(tmp_path, source: str, *options: str, name: str = "a.llv") -> int:
    path = tmp_path / name
    path.write_text(source)
    return main(["lint", *options, str(path)])


def test_warnings_alone_do_not_fail_lint(tmp_path, capsys):
    assert lint(tmp_path, TERSE_TWICE) == 0
    assert "Found 2 warnings" in capsys.readouterr().out


def test_deny_warnings_makes_warnings_fail(tmp_path, capsys):
    assert lint(tmp_path, TERSE_TWICE, "--deny", "warnings") == 1
    assert "so failing the check: 2 warnings." in capsys.readouterr().out


def test_deny_a_single_code(tmp_path):
    assert lint(tmp_path, TERSE_TWICE, "--deny", "W603") == 0
    assert lint(tmp_path, TERSE_TWICE, "--deny", "W601") == 1


def test_deny_in_the_configuration_makes_warnings_fail(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.llv]\ndeny = ["warnings"]\n')
    assert lint(tmp_path, TERSE_TWICE) == 1


def test_errors_always_fail_and_notes_never_do_unless_denied(tmp_path):
    assert lint(tmp_path, 'scene "A"\n  shot ' + P + '\n  shot at 50 ' + P + "\n") == 1
    assert lint(tmp_path, 'scene "A" for 6s\n  shot ' + P + "\n") == 0
    assert lint(tmp_path, 'scene "A" for 6s\n  shot ' + P + "\n", "--deny", "notes") == 1


def test_ignore_on_the_command_line_adds_to_the_configuration(tmp_path, capsys):
    (tmp_path / "llv.toml").write_text('ignore = ["W603"]\n')
    assert lint(tmp_path, 'define u = "x"\n' + TERSE_TWICE, "--ignore", "W601", "--format", "json") == 0
    assert capsys.readouterr().out.strip() == "[]"


def test_isolated_reads_no_configuration(tmp_path, capsys):
    (tmp_path / "llv.toml").write_text('ignore = ["W601"]\n')
    lint(tmp_path, TERSE_TWICE, "--isolated")
    assert "W601" in capsys.readouterr().out


def test_an_explicit_config_file_is_used(tmp_path, capsys):
    (tmp_path / "elsewhere.toml").write_text("")
    (tmp_path / "custom").mkdir()
    (tmp_path / "custom" / "llv.toml").write_text('ignore = ["W601"]\n')
    lint(tmp_path, TERSE_TWICE, "--config", str(tmp_path / "custom" / "llv.toml"))
    assert "W601" not in capsys.readouterr().out


def test_a_broken_configuration_is_exit_2_with_the_reason(tmp_path, capsys):
    (tmp_path / "llv.toml").write_text('ignore = ["E505"]\n')
    assert lint(tmp_path, TERSE_TWICE) == 2
    assert "errors cannot be ignored" in capsys.readouterr().err


def test_a_bad_code_on_the_command_line_is_exit_2(tmp_path, capsys):
    assert lint(tmp_path, TERSE_TWICE, "--ignore", "W6O1") == 2
    assert "`W6O1`, which is no code" in capsys.readouterr().err


def _hook_entry(hook_id: str) -> list[str]:
    from pathlib import Path

    hooks = (Path(__file__).parents[2] / ".pre-commit-hooks.yaml").read_text()
    hook = hooks.split(f"\n- id: {hook_id}\n")[1].split("\n- id:")[0]
    entry = next(line for line in hook.splitlines() if line.strip().startswith("entry:"))
    return entry.split(":", 1)[1].split()


@pytest.mark.parametrize("config, status", [(None, 0), ('deny = ["warnings"]\n', 1), ('ignore = ["W"]\ndeny = ["warnings"]\n', 0)])
def test_the_pre_commit_lint_hook_follows_the_configuration(tmp_path, config, status):
    import subprocess
    import sys

    if config is not None:
        (tmp_path / "llv.toml").write_text(config)
    (tmp_path / "a.llv").write_text(TERSE_TWICE)
    command, *args = _hook_entry("llv-lint")
    assert command == "llv"
    proc = subprocess.run([sys.executable, "-m", "longlive_dsl.cli", *args, "a.llv"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert proc.returncode == status, proc.stdout + proc.stderr


def test_the_pre_commit_fix_hook_fixes_files_in_place(tmp_path):
    import subprocess
    import sys

    (tmp_path / "a.llv").write_text(f'scene "A" for 6s\n  shot {P}\n')
    command, *args = _hook_entry("llv-fix")
    subprocess.run([sys.executable, "-m", "longlive_dsl.cli", *args, "a.llv"], cwd=tmp_path, check=True)
    assert (tmp_path / "a.llv").read_text().startswith('scene "A" for 5\n')
