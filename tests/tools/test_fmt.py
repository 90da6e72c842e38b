"""`llv fmt`: the canonical layout, comments kept, idempotence and equivalence (hypothesis), the CLI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from longlive_dsl import compile, parse
from longlive_dsl.cli import main
from longlive_dsl.tools.fmt import FormatError, format_source

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.llv"))

PROMPT = ("A red fox trots across a frosted meadow at sunrise, breath steaming, a low tracking shot at 50mm "
          "with warm amber backlight and soft mist")


def meaning(source: str):
    """What a storyboard means: its compiled program without source positions, and its diagnostic codes."""
    program, diags = compile(source, "t.llv")
    codes = sorted(d.code for d in diags)
    if program is None:
        return None, codes
    scenes = [(s.number, s.name, s.start, s.end, s.completes_at,
               [(b.kind, b.chunk, b.prompt, b.command_index) for b in s.beats]) for s in program.scenes]
    return (program.wire_lines(), program.title, program.end, program.stops_at, scenes), codes


def comments(source: str) -> list[str]:
    doc, diags = parse(source, "t.llv")
    assert doc is not None, [d.message for d in diags]
    return [c.text.rstrip() for c in doc.comments]


def assert_formats(source: str) -> str:
    """Format, and check the invariants: stable, same meaning, same comments in the same order."""
    once = format_source(source, "t.llv")
    assert format_source(once, "t.llv") == once, "formatting twice changed the text"
    assert meaning(once) == meaning(source)
    assert comments(once) == comments(source)
    return once


# ---- the layout -------------------------------------------------------------------------------

MESSY = f'''# Ratatouille, as a storyboard
title   "Ratatouille service"     # the title
seed 11
define look = "warm amber light, 35mm lens"


define bowl="a white bowl of {{look}}"
scene "Chop" for 5 shot "{PROMPT}, {{look}}."
# the second scene
scene "Plate"
      shot for 4 "{PROMPT}, {{bowl}}."   # soft shot
   shot for 6 at 12 """
Steam curls up from {{bowl}},
            the camera pushing in slowly, {{look}}.
   """
end
  at 20   # stop here
# the end
'''

CANONICAL = f'''# Ratatouille, as a storyboard
title "Ratatouille service"  # the title
seed 11
define look = "warm amber light, 35mm lens"

define bowl = "a white bowl of {{look}}"

scene "Chop" for 5
  shot "{PROMPT}, {{look}}."

# the second scene
scene "Plate"
  shot for 4 "{PROMPT}, {{bowl}}."  # soft shot
  shot at 12 for 6 """
      Steam curls up from {{bowl}},
      the camera pushing in slowly, {{look}}.
  """

end at 20  # stop here
# the end
'''


def test_messy_file_becomes_the_canonical_layout():
    assert assert_formats(MESSY) == CANONICAL


def test_canonical_text_is_left_alone():
    assert format_source(CANONICAL) == CANONICAL


def test_timings_are_ordered_at_then_for():
    src = f'scene "A" for 10\n  shot "{PROMPT}"\n  shot for 2 at 4 "{PROMPT}"\n'
    assert '  shot at 4 for 2 "' in assert_formats(src)


def test_one_statement_per_line():
    src = f'scene "A" for 10 shot "{PROMPT}" shot at 4 "{PROMPT}" end at 10'
    out = assert_formats(src)
    assert out.splitlines() == ['scene "A" for 10', f'  shot "{PROMPT}"', f'  shot at 4 "{PROMPT}"', "", "end at 10"]


def test_comment_inside_a_statement_moves_above_it():
    src = f'scene "A"   # name\n  for 10     # length\n  shot "{PROMPT}"\n'
    out = assert_formats(src)
    assert out == f'# name\nscene "A" for 10  # length\n  shot "{PROMPT}"\n'  # `# length` ends its line


def test_own_line_comment_takes_the_indentation_of_its_statement():
    src = f'scene "A"\n# about the shot\nshot "{PROMPT}"\n'
    assert assert_formats(src) == f'scene "A"\n  # about the shot\n  shot "{PROMPT}"\n'


def test_blank_lines_collapse_and_never_start_or_end_the_file():
    src = f'\n\n\ntitle "T"\n\n\n\nseed 3\nscene "A"\n\n\n  shot "{PROMPT}"\n\n\n'
    assert assert_formats(src) == f'title "T"\n\nseed 3\n\nscene "A"\n\n  shot "{PROMPT}"\n'


def test_triple_quoted_prompt_is_reindented_and_keeps_its_meaning():
    src = 'scene "A"\nshot for 3 """   first line\n\t\tsecond "quoted" line\\\\\n  {{braces}} 🦊 狐狸 """\n'
    out = assert_formats(src)
    assert out == ('scene "A"\n  shot for 3 """\n      first line\n      second "quoted" line\\\\\n'
                   '      {{braces}} 🦊 狐狸\n  """\n')


def test_empty_triple_string_stays_empty():
    assert assert_formats('scene "A"\nshot """\n   \n"""\n') == 'scene "A"\n  shot """"""\n'


def test_one_line_strings_are_kept_exactly_as_written():
    src = 'title "  spaced   \\"out\\" \\\\ "\n\nscene "A"\n  shot "x  y"\n'
    assert format_source(src) == src


def test_crlf_and_bom_become_plain_newlines():
    src = f'\ufefftitle "T"\r\nscene "A"\r\n  shot "{PROMPT}"\r\n'
    assert format_source(src) == f'title "T"\n\nscene "A"\n  shot "{PROMPT}"\n'


def test_only_comments_and_empty_files():
    assert format_source("") == ""
    assert format_source("\n\n") == ""
    assert format_source("# just a note\n\n\n# another\n") == "# just a note\n\n# another\n"


def test_syntax_errors_are_refused():
    with pytest.raises(FormatError) as err:
        format_source('scene "A"\n  shot at "no time"\n', "bad.llv")
    assert err.value.diagnostics and all(d.is_error for d in err.value.diagnostics)
    assert err.value.diagnostics[0].span.line == 2


def test_files_with_semantic_errors_are_still_formatted():
    src = 'scene "A"\n  shot "x"\n  shot at 50 "y"\ntitle "late"\n'
    out = assert_formats(src)
    assert out == 'scene "A"\n  shot "x"\n  shot at 50 "y"\ntitle "late"\n'
    assert meaning(out)[0] is None


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_examples_format_stably_with_the_same_meaning(path):
    assert_formats(path.read_text(encoding="utf-8"))


# ---- properties --------------------------------------------------------------------------------

NAMES = ["look", "bowl", "x", "_a1"]
WORD = st.sampled_from(["fox", "amber", "lens", "狐狸", "🦊", "café", "#hash", "{look}", "{bowl}", "{x}", "{{", "}}",
                        "\\\"", "\\\\", "'", "{{look}}", "mist"])
SPACE = st.sampled_from([" ", "  ", "\t", "\n", "\n\n", " \n    ", "\n\n\n  "])
COMMENT_TEXT = st.text(alphabet=st.sampled_from(list("ab #\"{}🦊狐 \t")), max_size=12)
TIME = st.sampled_from(["0", "3", "5", "12", "47", "48", "60", "6s", "7.5s", "29s", "0:12", "1:05.5", "-2", "+4", "2.5"])


@st.composite
def separators(draw) -> str:
    """Whitespace between two tokens, sometimes with comments in it."""
    out = draw(SPACE)
    for text in draw(st.lists(COMMENT_TEXT, max_size=2)):
        out += "#" + text + "\n" + draw(SPACE)
    return out


@st.composite
def one_line_strings(draw) -> str:
    return '"' + " ".join(draw(st.lists(WORD, min_size=0, max_size=8))) + '"'


@st.composite
def triple_strings(draw) -> str:
    parts = draw(st.lists(st.one_of(WORD, SPACE, st.just('"'), st.just('""')), max_size=12))
    body = " ".join(parts)
    if body.endswith('"'):
        body += " "
    return '"""' + body + '"""'


STRING = st.one_of(one_line_strings(), triple_strings())


@st.composite
def statements(draw) -> list[str]:
    kind = draw(st.sampled_from(["title", "seed", "clock", "define", "scene", "shot", "shot", "shot", "end"]))
    if kind == "title":
        return ["title", draw(STRING)]
    if kind == "seed":
        return ["seed", draw(st.sampled_from(["7", "-3", "11", "4294967296"]))]
    if kind == "clock":
        return ["clock", draw(st.sampled_from(["measured", "docs", "cuckoo"]))]
    if kind == "define":
        return ["define", draw(st.sampled_from(NAMES)), "=", draw(STRING)]
    timings = [w for t in draw(st.lists(st.tuples(st.sampled_from(["at", "for"]), TIME), max_size=3)) for w in t]
    if kind == "scene":
        name = [draw(one_line_strings())] if draw(st.booleans()) else []
        return ["scene", *name, *timings]
    if kind == "shot":
        return ["shot", *timings, draw(STRING)]
    return ["end", "at", draw(TIME)]


@st.composite
def storyboards(draw) -> str:
    """Syntactically valid storyboards with arbitrary layout and comments (meaning may be wrong)."""
    tokens = [t for s in draw(st.lists(statements(), min_size=1, max_size=8)) for t in s]
    out = draw(separators())
    for token in tokens:
        out += token + draw(separators())
    return out


@st.composite
def valid_storyboards(draw) -> str:
    """Storyboards that compile, in a messy layout: the formatter must keep their wire commands."""
    lines = [f'define look = "{PROMPT}"'] if draw(st.booleans()) else []
    start = 0
    for i in range(draw(st.integers(1, 3))):
        length = draw(st.integers(2, 40))
        lines += [f'scene "S{i}"' + (f" for {length}" if draw(st.booleans()) else f" at {start}" * (i > 0))]
        shots = draw(st.integers(1, 2))
        prompt = PROMPT + (" {look}" if lines[0].startswith("define") else "")
        if shots == 1:
            lines.append(f'shot for {length} "{prompt}"')
        else:
            lines.append(f'shot for {length // 2} """{prompt}\n   second line"""')
            lines.append(f'shot for {length - length // 2} at {start + length // 2} "{prompt}"')
        start += length
    text = ""
    for line in lines:
        text += draw(separators()) + " ".join(line.split(" ", 2)[:2]) + draw(SPACE) + " ".join(line.split(" ", 2)[2:])
    return text + draw(separators())


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                             HealthCheck.filter_too_much])


@PROPERTY
@given(storyboards())
def test_property_stable_same_meaning_comments_kept(source):
    doc, _ = parse(source, "t.llv")
    assume(doc is not None)
    assert_formats(source)


@PROPERTY
@given(valid_storyboards())
def test_property_valid_storyboards_compile_to_the_same_wire(source):
    program, diags = compile(source, "t.llv")
    assert program is not None, [(d.code, d.message) for d in diags if d.is_error]
    out = assert_formats(source)
    assert compile(out, "t.llv")[0].wire_lines() == program.wire_lines()


# ---- the command -------------------------------------------------------------------------------


def test_cli_rewrites_files_in_place_atomically(tmp_path, capsys):
    a, b = tmp_path / "a.llv", tmp_path / "b.llv"
    a.write_text(MESSY, encoding="utf-8")
    b.write_text(CANONICAL, encoding="utf-8")
    os.chmod(a, 0o640)
    inode = a.stat().st_ino
    before_b = b.stat().st_mtime_ns
    assert main(["fmt", str(a), str(b)]) == 0
    assert a.read_text(encoding="utf-8") == CANONICAL
    assert a.stat().st_ino != inode  # replaced by a rename, not rewritten in place
    assert a.stat().st_mode & 0o777 == 0o640
    assert b.stat().st_mtime_ns == before_b  # already formatted: not touched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.llv", "b.llv"]  # no temporary file left
    assert "formatted" in capsys.readouterr().err


def test_cli_check_prints_a_diff_and_changes_nothing(tmp_path, capsys):
    a = tmp_path / "a.llv"
    a.write_text(MESSY, encoding="utf-8")
    assert main(["fmt", "--check", str(a)]) == 1
    out = capsys.readouterr()
    assert out.out.startswith(f"--- {a} (original)\n+++ {a} (formatted)\n@@")
    assert '+title "Ratatouille service"  # the title' in out.out
    assert "would be reformatted" in out.err
    assert a.read_text(encoding="utf-8") == MESSY
    a.write_text(CANONICAL, encoding="utf-8")
    assert main(["fmt", "--check", str(a)]) == 0
    assert capsys.readouterr().out == ""


def test_cli_stdin_to_stdout(monkeypatch, capsys):
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(MESSY.encode("utf-8")), encoding="utf-8"))
    assert main(["fmt", "-"]) == 0
    assert capsys.readouterr().out == CANONICAL


def test_cli_refuses_syntax_errors_and_leaves_the_file(tmp_path, capsys):
    bad = tmp_path / "bad.llv"
    text = 'scene "A"\n  shot at "oops"\n'
    bad.write_text(text, encoding="utf-8")
    assert main(["fmt", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:2:" in err and "not formatted" in err
    assert bad.read_text(encoding="utf-8") == text


def test_cli_missing_file_is_a_usage_error(tmp_path, capsys):
    assert main(["fmt", str(tmp_path / "nope.llv")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_cli_normalises_crlf_on_disk(tmp_path):
    a = tmp_path / "a.llv"
    a.write_bytes(CANONICAL.replace("\n", "\r\n").encode("utf-8"))
    assert main(["fmt", str(a)]) == 0
    assert a.read_bytes() == CANONICAL.encode("utf-8")


# ---- the pre-commit hooks ------------------------------------------------------------------------


def _hooks() -> list[dict[str, str]]:
    """The hooks of .pre-commit-hooks.yaml (a flat list of `key: value` maps; read without a YAML library)."""
    hooks: list[dict[str, str]] = []
    path = Path(__file__).resolve().parents[2] / ".pre-commit-hooks.yaml"
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        if line.startswith("- "):
            hooks.append({})
            line = line[2:]
        key, _, value = line.strip().partition(":")
        hooks[-1][key] = value.strip()
    return hooks


def test_pre_commit_hooks_run_lint_and_fmt_check(tmp_path, capsys):
    import re
    import shlex

    hooks = {h["id"]: h for h in _hooks()}
    assert set(hooks) == {"llv-lint", "llv-fmt", "llv-fix"}
    good = tmp_path / "good.llv"
    good.write_text(f'scene "A"\n  shot "{PROMPT}"\n', encoding="utf-8")
    for hook in hooks.values():
        assert hook["language"] == "python"
        files = re.compile(hook["files"])
        assert files.search("stories/a.llv") and not files.search("a.llv.bak") and not files.search("a.txt")
        program, *args = shlex.split(hook["entry"])
        assert program == "llv"
        assert main([*args, str(good)]) == 0, capsys.readouterr()
    assert shlex.split(hooks["llv-fmt"]["entry"]) == ["llv", "fmt", "--check"]
    messy = tmp_path / "messy.llv"
    messy.write_text(MESSY, encoding="utf-8")
    assert main([*shlex.split(hooks["llv-fmt"]["entry"])[1:], str(messy)]) == 1
    assert messy.read_text(encoding="utf-8") == MESSY
