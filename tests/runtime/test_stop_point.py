"""One stop point: the plan, the Program, the picture, the exports and `llv verify` agree on where a run stops.

The run here is the simulator's engine driven the way `llv run` drives the model (every command, then
chunks until the Program's end or `generation_complete`), its messages recorded as trace records.
"""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from longlive_dsl import check, compile, model
from longlive_dsl.runtime.verify import render, verify
from longlive_dsl.sim.engine import Engine
from longlive_dsl.tools.interchange import export_longlive_v2, run_clock
from longlive_dsl.tools.plan_view import render_plan
from longlive_dsl.tools.timeline_view import render_svg

P = ('"A red fox trots across a frosted meadow at sunrise, breath steaming, '
     'a low tracking shot at 50mm with golden backlight and soft mist"')

W606_STORYBOARD = f'scene "A"\n  shot {P}\nend at 60\n'


def recv(type_: str, data: dict) -> dict:
    return {"kind": "recv", "channel": "data", "frame": {"scope": "application", "type": type_, "data": data}}


def engine_trace(program, frames_per_chunk=model.DEFAULT_CLOCK) -> tuple[list[dict], int]:
    """Play a Program on the engine as a client would; the trace records and the frames emitted."""
    engine = Engine(frames_per_chunk)
    records: list[dict] = []
    for command in program.commands:
        records += [recv(m.type, m.data) for m in engine.handle(command.type, command.data.model_dump())]
    frames = chunks = 0
    while engine.generating and (program.end is None or chunks < program.end):
        info, messages = engine.step_frame()
        frames += info is not None
        for m in messages:
            records.append(recv(m.type, m.data))
            chunks += m.type == model.CHUNK_COMPLETE
    return records, frames


def plan_text(source: str) -> str:
    timeline, diags = check(source, "t.llv")
    out = io.StringIO()
    render_plan(timeline, diags, Console(file=out, width=200, highlight=False, no_color=True))
    return out.getvalue()


def test_an_end_after_the_last_scene_completes_warns_and_every_consumer_stops_at_48():
    timeline, diags = check(W606_STORYBOARD, "t.llv")
    assert [d.code for d in diags] == ["W606"]
    assert timeline.stops_at == 48
    assert "end: chunk 48" in plan_text(W606_STORYBOARD) and "total 48 chunks" in plan_text(W606_STORYBOARD)
    program, _ = compile(W606_STORYBOARD, "t.llv")
    assert program.stops_at == 48 and program.end == 60
    assert program.frames == model.MEASURED_CLOCK.scene_frames(48)
    assert "stops after 48 chunks" in render_svg(timeline, diags)
    assert run_clock(program)[1] == 48 and sum(s.chunks for s in export_longlive_v2(program).shots) == 48


def test_an_end_after_the_last_scene_completes_runs_and_verifies():
    program, _ = compile(W606_STORYBOARD, "t.llv")
    records, frames = engine_trace(program)
    report = verify(program, records)
    assert report.ok, render(report, "t.llv", "trace")
    assert report.chunks_seen == report.planned_chunks == 48
    assert frames == program.frames


@pytest.mark.parametrize("source, stops", [
    (f'scene "A" for 10\n  shot {P}\n', 10),
    (f'scene "A"\n  shot for 7 {P}\n', 7),
    (f'scene "A"\n  shot {P}\n', 48),
    (f'scene "A" for 20\n  shot {P}\nend at 12\n', 12),
    (f'scene "A" for 10\n  shot {P}\nscene "B"\n  shot {P}\nend at 70\n', 58),
])
def test_the_plan_the_program_and_the_run_agree_on_the_stop(source, stops):
    timeline, _ = check(source, "t.llv")
    program, _ = compile(source, "t.llv")
    assert timeline.stops_at == program.stops_at == stops
    assert f"end: chunk {stops}" in plan_text(source)
    records, frames = engine_trace(program)
    report = verify(program, records)
    assert report.ok and report.chunks_seen == stops
    assert frames == program.frames == timeline.frames_at(stops)


@pytest.mark.parametrize("clock", list(model.CLOCKS))
def test_verify_reports_the_frames_per_chunk_it_saw_and_that_they_match_the_plan(clock):
    source = f'clock {clock}\nscene "A" for 4s\n  shot {P}\nscene "B" for 0:03\n  shot {P}\n'
    program, _ = compile(source, "t.llv")
    records, _ = engine_trace(program, model.CLOCKS[clock])
    report = verify(program, records)
    c = model.CLOCKS[clock]
    assert report.ok and report.clock.ok
    assert set(report.clock.first) == {c.first_chunk_frames} and report.clock.first[c.first_chunk_frames] == 2
    assert set(report.clock.later) == {c.later_chunk_frames}
    assert f"matches the plan's {clock} clock" in render(report, "t.llv", "trace")


def test_verify_says_plainly_when_the_run_followed_another_clock_and_which():
    program, _ = compile(f'clock docs\nscene "A" for 6\n  shot {P}\n', "t.llv")
    records, _ = engine_trace(program, model.MEASURED_CLOCK)
    report = verify(program, records)
    text = render(report, "t.llv", "trace")
    assert not report.clock.ok and report.clock.matching_profiles() == ["measured"]
    assert "MISMATCH" in text and "`clock measured`" in text and "32 (5 chunks)" in text
    assert report.ok  # beats are keyed by chunks: every one fired where planned (docs/run.md)


def test_verify_without_frames_emitted_says_the_clock_cannot_be_checked():
    program, _ = compile(f'scene "A" for 3\n  shot {P}\n', "t.llv")
    records = [recv(model.CHUNK_COMPLETE, {"chunk_index": n, "session_chunk": n, "active_prompt": P[1:-1]})
               for n in range(3)]
    report = verify(program, records)
    assert report.ok and not report.clock.observed
    assert "no frames_emitted" in render(report, "t.llv", "trace")
