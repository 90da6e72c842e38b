"""`llv fix`: the machine-applicable suggestions applied, each verified not to change what compiles."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from language.storyboards import WORDS, prompts, render, storyboards

from longlive_dsl import check, compile
from longlive_dsl.cli import main
from longlive_dsl.config import from_table
from longlive_dsl.tools.fix import _state, fix_source, why_unsafe

P = ('"A red fox trots across a frosted meadow at sunrise, breath steaming, '
     'a low tracking shot at 50mm with golden backlight and soft mist"')


def wire(source: str) -> list[str]:
    program, diags = compile(source, "t.llv")
    assert program is not None, [(d.code, d.message) for d in diags if d.is_error]
    return program.wire_lines()


def beats(source: str) -> list[tuple[int, str]]:
    timeline, _ = check(source, "t.llv")
    return [(b.start, b.prompt) for b in timeline.beats]


# ---- each fix --------------------------------------------------------------------------------------

def test_inexact_seconds_become_the_chunks_they_already_meant_and_the_wire_is_unchanged():
    source = f'scene "A" for 6s\n  shot {P}\nscene "B"\n  shot {P}\n  shot at 0:30 {P}\n'
    result = fix_source(source, "t.llv")
    assert result.source == f'scene "A" for 5\n  shot {P}\nscene "B"\n  shot {P}\n  shot at 23 {P}\n'
    assert wire(result.source) == wire(source)
    assert [d.code for d in result.remaining] == []


def test_a_shot_past_the_completion_point_gets_a_new_scene_before_the_last_shot_that_fires():
    source = f'scene "Long take"\n  shot {P}\n  shot at 20 {P}\n  shot at 50 {P}\n'
    result = fix_source(source, "t.llv")
    assert result.source == f'scene "Long take"\n  shot {P}\nscene at 20\n  shot at 20 {P}\n  shot at 50 {P}\n'
    assert beats(result.source) == beats(source)
    program, diags = compile(result.source, "t.llv")
    assert program is not None and not diags
    assert [c.type for c in program.commands if c.type.startswith("schedule")] == ["schedule_scene_cut", "schedule_shot"]


def test_a_long_run_of_late_shots_is_cut_into_as_many_scenes_as_it_needs():
    source = 'scene "A"\n' + "".join(f"  shot at {n} {P}\n" for n in (0, 30, 60, 90, 120)).replace("  shot at 0 ", "  shot ")
    result = fix_source(source, "t.llv")
    assert [d.code for d in result.remaining] == []
    assert result.source.count("scene at") == 3
    assert beats(result.source) == beats(source)


def test_no_scene_is_offered_when_the_cut_would_move_a_beat():
    # the only beat that fires is the opener: a cut anywhere else would move a shot
    source = f'scene "A"\n  shot {P}\n  shot at 50 {P}\n'
    [d] = [d for d in check(source, "t.llv")[1] if d.code == "E505"]
    assert d.fixes == ()
    assert fix_source(source, "t.llv").source == source


def test_a_misspelt_keyword_is_corrected():
    source = f'scene "A"\n  shto {P}\n'
    result = fix_source(source, "t.llv")
    assert result.source == f'scene "A"\n  shot {P}\n'
    assert result.remaining == []


def test_a_keyword_is_corrected_even_when_that_reveals_another_syntax_error():
    result = fix_source('scene "A"\n  shto for "x"\n', "t.llv")
    assert result.source == 'scene "A"\n  shot for "x"\n'
    assert [d.code for d in result.remaining] == ["E101"]


def test_a_fix_that_would_break_something_is_refused_and_reported(monkeypatch, tmp_path, capsys):
    import longlive_dsl.checks as checks
    from longlive_dsl.diagnostics import Edit, Fix, Span

    def wrong_cut(tl, scene):  # a cut one chunk late: it moves the shot at 20
        at = tl.source.index("  shot at 20")
        return 21 + 48, Fix("cut at 21", (Edit(Span.of(tl.source, at, at), "scene at 21\n"),))

    monkeypatch.setattr(checks, "new_scene_fix", wrong_cut)
    source = f'scene "A"\n  shot {P}\n  shot at 20 {P}\n  shot at 50 {P}\n'
    result = fix_source(source, "t.llv")
    assert result.source == source and result.applied == []
    [refusal] = result.refused
    assert refusal.diagnostic.code == "E505" and refusal.reason.startswith("it would add E50")
    path = tmp_path / "a.llv"
    path.write_text(source)
    assert main(["fix", str(path)]) == 1
    assert path.read_text() == source
    assert "not fixed [E505] cut at 21: it would add" in capsys.readouterr().err


def test_fixes_of_different_kinds_apply_together():
    source = f'scene "A" for 6s\n  shto {P}\n'
    assert fix_source(source, "t.llv").source == f'scene "A" for 5\n  shot {P}\n'


def test_seconds_that_round_to_no_time_are_not_rewritten_as_for_0():
    source = f'scene "A"\n  shot for 0.2s {P}\n  shot {P}\n'
    assert all(d.fixes == () for d in check(source, "t.llv")[1])


def test_an_ignored_code_is_not_fixed():
    source = f'scene "A" for 6s\n  shot {P}\n'
    assert fix_source(source, "t.llv", from_table({"ignore": ["N701"]}, "x")).source == source


# ---- verification ----------------------------------------------------------------------------------

def test_a_change_to_what_compiles_is_refused():
    before = _state(f'scene "A" for 6s\n  shot {P}\nscene "B"\n  shot {P}\n', "t.llv")
    after = _state(f'scene "A" for 6\n  shot {P}\nscene "B"\n  shot {P}\n', "t.llv")
    assert why_unsafe(before, after) == "it would change what the storyboard compiles to"


def test_a_change_to_where_a_scene_ends_is_refused_even_when_the_wire_is_the_same():
    before, after = _state(f'scene "A" for 6s\n  shot {P}\n', "t.llv"), _state(f'scene "A" for 6\n  shot {P}\n', "t.llv")
    assert why_unsafe(before, after) == "it would change what the storyboard compiles to"


def test_a_fix_that_adds_a_problem_is_refused():
    before = _state(f'scene "A" for 6s\n  shot {P}\n', "t.llv")
    after = _state('scene "A" for 6s\n  shot "a cat"\n', "t.llv")
    assert why_unsafe(before, after) == "it would add W601"


def test_a_fix_that_moves_a_beat_is_refused():
    before = _state(f'scene "A"\n  shot {P}\n  shot at 20 {P}\n  shot at 50 {P}\n', "t.llv")
    after = _state(f'scene "A"\n  shot {P}\nscene at 21\n  shot {P}\n  shot at 50 {P}\n', "t.llv")
    assert why_unsafe(before, after) == "it would move a beat or change a prompt"


def test_a_fix_that_removes_nothing_is_refused():
    state = _state(f'scene "A" for 6s\n  shot {P}\n', "t.llv")
    assert why_unsafe(state, state) == "it would not remove the problem it fixes"
    assert why_unsafe(state, state, ["N701"]) == "it would not remove the problem it fixes"


# ---- the command ------------------------------------------------------------------------------------

def test_llv_fix_writes_the_file_and_a_second_run_finds_nothing(tmp_path, capsys):
    path = tmp_path / "a.llv"
    path.write_text(f'scene "A" for 6s\n  shot {P}\n')
    assert main(["fix", str(path)]) == 0
    assert path.read_text() == f'scene "A" for 5\n  shot {P}\n'
    assert "fixed 1 problem" in capsys.readouterr().err
    assert main(["fix", str(path)]) == 0
    assert "nothing to fix" in capsys.readouterr().err


def test_llv_fix_diff_prints_and_does_not_write(tmp_path, capsys):
    path = tmp_path / "a.llv"
    original = f'scene "A" for 6s\n  shot {P}\n'
    path.write_text(original)
    assert main(["fix", "--diff", str(path)]) == 1
    out = capsys.readouterr().out
    assert '-scene "A" for 6s' in out and '+scene "A" for 5' in out
    assert path.read_text() == original


def test_llv_fix_keeps_crlf_and_a_byte_order_mark(tmp_path):
    path = tmp_path / "a.llv"
    path.write_bytes(b"\xef\xbb\xbf" + f'scene "A" for 6s\r\n  shot {P}\r\n'.encode())
    assert main(["fix", str(path)]) == 0
    assert path.read_bytes() == b"\xef\xbb\xbf" + f'scene "A" for 5\r\n  shot {P}\r\n'.encode()


def test_llv_fix_writes_through_a_symlink_and_keeps_it(tmp_path):
    target = tmp_path / "real.llv"
    target.write_text(f'scene "A" for 6s\n  shot {P}\n')
    link = tmp_path / "link.llv"
    os.symlink(target, link)
    assert main(["fix", str(link)]) == 0
    assert link.is_symlink() and target.read_text().startswith('scene "A" for 5\n')


def test_llv_fix_exits_1_while_errors_remain(tmp_path, capsys):
    path = tmp_path / "a.llv"
    path.write_text(f'scene "A" for 60\n  shot {P}\n')
    assert main(["fix", str(path)]) == 1
    assert "E504" in capsys.readouterr().err


def test_llv_fix_stdin_writes_the_result_to_stdout(monkeypatch, capsys):
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(f'scene "A" for 6s\n  shot {P}\n'.encode())))
    assert main(["fix", "-"]) == 0
    assert capsys.readouterr().out == f'scene "A" for 5\n  shot {P}\n'


def test_llv_fix_of_a_missing_file_is_exit_2(tmp_path, capsys):
    assert main(["fix", str(tmp_path / "nope.llv")]) == 2
    assert "no such file" in capsys.readouterr().err


# ---- properties --------------------------------------------------------------------------------------

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def inexact_storyboards(draw):
    """Valid storyboards whose times are written as seconds a little off a whole chunk (N701 each)."""
    scenes = draw(storyboards())
    lines = render(scenes)
    out = []
    for line in lines:
        words = line.split(" ")
        for i, w in enumerate(words):
            if i and words[i - 1] in ("at", "for") and w.isdigit() and int(w) > 0:
                off = draw(st.sampled_from([0.1, 0.2, 0.3, -0.1, -0.2]))
                words[i] = f"{int(w) * 29 / 24 + off:.2f}s"
        out.append(" ".join(words))
    # The seconds are written on the docs clock (29 frames every chunk), so the storyboards say so.
    return "clock docs\n" + "\n".join(out) + "\n", "clock docs\n" + "\n".join(lines) + "\n"


@FAST
@given(inexact_storyboards())
def test_fixing_inexact_seconds_never_changes_the_wire_and_is_idempotent(pair):
    inexact, exact = pair
    result = fix_source(inexact, "t.llv")
    assert wire(result.source) == wire(inexact) == wire(exact)
    assert not any(d.code == "N701" for d in result.remaining)
    assert fix_source(result.source, "t.llv").source == result.source


@st.composite
def long_takes(draw):
    """One scene with no `for` whose shots (each placed by `at`) run far past the 48-chunk edge."""
    starts = sorted(draw(st.sets(st.integers(min_value=1, max_value=200), min_size=1, max_size=8)))
    lines = [f'scene "{draw(st.sampled_from(WORDS))}"', f'  shot "{draw(prompts)}"']
    lines += [f'  shot at {s} "{draw(prompts)}"' for s in starts]
    return "\n".join(lines) + "\n"


@FAST
@given(long_takes())
def test_cutting_long_takes_keeps_every_beat_and_is_idempotent(source):
    result = fix_source(source, "t.llv")
    assert beats(result.source) == beats(source)
    assert fix_source(result.source, "t.llv").source == result.source
    if result.applied:
        assert sum(d.code == "E505" for d in result.remaining) < sum(d.code == "E505" for d in check(source, "t.llv")[1])


SOURCE_ALPHABET = st.sampled_from(
    ["scene", "shot", "shto", "scnee", "at", "for", "end", '"', '"""', "{", "}", "#", "# llv: ignore[W601]",
     "\n", " ", "  ", "5", "6s", "1:05", "50", "0.2s", "x", "é", "😀", "\x1b"] + list(WORDS))


@settings(max_examples=150, deadline=None)
@given(st.lists(SOURCE_ALPHABET, max_size=50).map(" ".join))
def test_fix_never_raises_never_adds_problems_and_is_idempotent_on_any_text(text):
    result = fix_source(text, "any.llv")
    once = result.source
    assert fix_source(once, "any.llv").source == once
    syntax_errors = lambda source: sum(d.code.startswith("E1") for d in check(source, "any.llv")[1])  # noqa: E731
    assert syntax_errors(once) <= syntax_errors(text)


@settings(max_examples=40, deadline=None)
@given(st.lists(SOURCE_ALPHABET, max_size=40).map(" ".join))
def test_llv_fix_on_any_text_exits_0_1_or_2_and_never_70(text):
    import contextlib
    import io
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "any.llv")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            status = main(["fix", "--isolated", path])
        assert status in (0, 1, 2), err.getvalue()
        assert "internal error" not in err.getvalue()


def test_a_fix_for_an_included_file_is_not_tried_on_the_including_one(tmp_path):
    """The library's own edits point into the library: they are neither applied here nor weighed."""
    (tmp_path / "lib.llv").write_text('defien look = "soft light"\n')
    source = f'include "lib.llv"\nscene "A"\n  shot {P}\n'
    result = fix_source(source, str(tmp_path / "story.llv"))
    assert result.source == source
    assert result.applied == [] and result.refused == [], "nothing was weighed for the library's E103"
    assert [d.code for d in result.remaining] == ["E103"]
