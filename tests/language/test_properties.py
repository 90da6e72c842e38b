"""Properties of the whole pipeline, over generated input."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from longlive_dsl import check, compile, model

from .storyboards import WORDS, render, storyboards

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def compiled(source: str):
    program, diags = compile(source, "gen.llv")
    assert program is not None, [(d.code, d.span.line, d.message) for d in diags if d.is_error]
    return program


@FAST
@given(storyboards(), st.booleans(), st.sampled_from(list(model.CLOCKS.values())))
def test_valid_storyboards_compile_with_increasing_positions_inside_their_budgets(scenes, seconds, clock):
    program = compiled("\n".join(render(scenes, seconds, clock)))
    positions = [c.data.at_session_chunk for c in program.commands if c.type.startswith("schedule_")]
    assert positions == sorted(set(positions)), "strictly increasing"
    assert len(positions) == sum(len(s.shots) for s in scenes) - 1
    for entry, spec in zip(program.scenes, scenes, strict=True):
        assert entry.start == spec.start
        for beat in entry.beats:
            assert entry.start <= beat.chunk < entry.start + 48
    cuts = [c.data.at_session_chunk for c in program.commands if c.type == "schedule_scene_cut"]
    assert cuts == [s.start for s in scenes[1:]]


SOURCE_ALPHABET = st.sampled_from(
    ["scene", "shot", "title", "seed", "define", "end", "at", "for", "=", '"', '"""', "{", "}", "{{", "}}", "#",
     "\n", " ", "  ", "\t", "5", "-3", "1:05", "7.5s", "0", "48", "\\", "\\\"", "x", "é", "😀", "\r", "\x00",
     # numbers that used to crash or be misread, keywords run into letters, braces in bulk
     "9" * 5000, "-" + "9" * 400, "99999999999999999999s", "1000001", "-0.1s", "0.3s", "1:02:03", "1:2:3:4", "٣",
     "１２", "shots", "scenes", "shotgun", "atlas", "{ {", "{x}", "{" * 50, '"\\"\\"\\']
    + list(WORDS)
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=300), st.lists(SOURCE_ALPHABET, max_size=60).map("".join)))
def test_arbitrary_text_never_raises_only_diagnostics(text):
    timeline, diags = check(text, "any.llv")
    for d in diags:
        assert d.code and d.message and d.span.line >= 1 and d.span.column >= 1
    compile(text, "any.llv")


junk = st.sampled_from(["", "  ", "\t", "    "])
comments = st.sampled_from(["", "  # a note", "# scene \"not a scene\"", '# shot at 99 "x"'])


@FAST
@given(storyboards(), st.data())
def test_comments_blank_lines_and_indentation_never_change_the_output(scenes, data):
    lines = render(scenes)
    plain = compiled("\n".join(lines))
    decorated = []
    for line in lines:
        if data.draw(st.booleans()):
            decorated.append(data.draw(junk) + data.draw(comments))
        if data.draw(st.booleans()):
            decorated.append("")
        decorated.append(data.draw(junk) + line + data.draw(comments))
    dressed = compiled("\n".join(decorated) + data.draw(st.sampled_from(["", "\n", "\n\n# end\n"])))
    assert dressed.wire_lines() == plain.wire_lines()
    assert dressed.end == plain.end


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=200), st.lists(SOURCE_ALPHABET, max_size=60).map("".join)))
def test_the_plan_of_arbitrary_text_renders_without_raising(text):
    import io

    from rich.console import Console

    from longlive_dsl.tools.plan_view import render_plan

    timeline, diags = check(text, "any.llv")
    if timeline is not None and timeline.scenes:
        render_plan(timeline, diags, Console(file=io.StringIO(), width=100))
