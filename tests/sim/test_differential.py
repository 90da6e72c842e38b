"""The compiler's checks and the simulator engine agree: a beat fires in the engine iff the checks say so.

Storyboards here are generated in order (every beat after the one before) but free to break the
48-chunk budget and to leave gaps before cuts, the two ways a beat silently never fires.
"""

from hypothesis import given, settings
from hypothesis import strategies as st

from longlive_dsl.checks import check, firing_beats
from longlive_dsl.compiler import build_program
from longlive_dsl.diagnostics import has_errors
from longlive_dsl.sim.engine import Engine
from longlive_dsl.syntax import parse
from longlive_dsl.timeline import resolve

PROMPT = "a lighthouse keeper climbs the spiral stair with a lantern, warm light, 35mm, slow dolly"


@st.composite
def ordered_storyboards(draw):
    lines = []
    chunk = 0
    for i in range(draw(st.integers(1, 4))):
        if i:
            chunk += draw(st.integers(1, 60))  # may land past the previous scene's completion
            lines.append(f'scene "S{i}" at {chunk}')
        else:
            lines.append('scene "S0"')
        lines.append(f'  shot "{PROMPT} {i}.0"')
        for j in range(draw(st.integers(0, 3))):
            chunk += draw(st.integers(1, 30))  # may land past the scene's 48th chunk
            lines.append(f'  shot at {chunk} "{PROMPT} {i}.{j + 1}"')
    return "\n".join(lines) + "\n"


def fired_in_engine(program) -> set[int]:
    engine = Engine(frames_per_chunk=1)
    for command in program.commands:
        replies = engine.handle(command.type, command.data.model_dump())
        assert not [m for m in replies if m.type == "command_error"], replies
    for _ in range(2000):
        if not engine.generating:
            break
        engine.step_frame()
    assert engine.complete
    return {0} | {beat.at_session_chunk for beat in engine.fired}


@settings(max_examples=200, deadline=None)
@given(ordered_storyboards())
def test_a_beat_fires_in_the_engine_iff_the_checks_say_it_fires(source):
    doc, syntax = parse(source, "gen.llv")
    assert doc is not None, syntax
    timeline, diags = resolve(doc)
    assert not has_errors(diags), diags
    program = build_program(timeline)
    planned = {beat.start: fires for beat, fires in zip(timeline.beats, firing_beats(timeline), strict=True)}
    assert fired_in_engine(program) == {chunk for chunk, fires in planned.items() if fires}
    never_fires = not all(planned.values())
    reported = any(d.code in ("E505", "E506") for d in check(timeline))
    assert never_fires == reported, "the diagnostics name exactly the storyboards with silent beats"
