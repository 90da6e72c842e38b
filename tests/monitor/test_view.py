"""What the page is told: the plan (picture, chunk positions, beats) and the run's state."""

from __future__ import annotations

from runtime.programs import make_program

from longlive_dsl import analyse, model
from longlive_dsl.monitor import Monitor, Tee
from longlive_dsl.monitor.server import graphical_session, plan_of
from longlive_dsl.monitor.view import PLAYHEAD_ID, RunState, beats_of, next_beat, plan_view
from longlive_dsl.runtime.display import Redacting
from longlive_dsl.runtime.session import Progress
from longlive_dsl.runtime.trace import Redactor

BEATS = ((0, "opener", "a red fox in the snow"), (3, "shot", "the fox leaps"), (5, "cut", "a city at night"))
STORY = 'seed 7\nscene "Fox"\n  shot "a red fox in the snow"\n  shot at 3 "the fox leaps"\nscene "City" at 5\n  shot "a city at night"\nend at 8\n'


def test_the_next_beat_is_the_first_still_to_come():
    beats = beats_of(make_program(BEATS))
    assert [next_beat(beats, done)["chunk"] if next_beat(beats, done) else None for done in range(8)] == \
        [3, 3, 3, 3, 5, 5, None, None]


def test_the_opener_is_never_the_next_beat():
    beats = beats_of(make_program(((0, "opener", "a fox"),)))
    assert next_beat(beats, 0) is None


def test_the_plan_of_a_storyboard_has_the_picture_with_a_playhead_and_every_chunks_place():
    program = make_program(BEATS, end=8)
    timeline = analyse(STORY, "story.llv").timeline
    plan = plan_view(program, timeline)
    assert f'id="{PLAYHEAD_ID}"' in plan["svg"] and plan["svg"].startswith("<svg")
    xs = plan["xs"]
    assert len(xs) > plan["stops_at"] and xs == sorted(xs) and xs[0] < xs[8]


def test_a_program_whose_storyboard_is_gone_has_no_picture(tmp_path):
    program = make_program(BEATS, end=8, file=tmp_path / "gone.llv")
    assert plan_of(program) == (None, [])
    assert plan_view(program, None)["svg"] is None


def test_a_program_beside_its_storyboard_is_drawn_from_it(tmp_path):
    story = tmp_path / "story.llv"
    story.write_text(STORY)
    timeline, _ = plan_of(make_program(BEATS, end=8, file=story))
    assert timeline is not None and [s.start for s in timeline.scenes] == [0, 5]


def test_the_state_follows_progress_and_keeps_only_the_newest_problems():
    state = RunState(make_program(BEATS, end=8))
    state.on_progress(Progress(chunks_done=4, chunk_in_scene=4, scene_number=1, prompt="the fox leaps", stops_at=8))
    for n in range(30):
        state.on_problem(f"problem {n}")
    snap = state.snapshot()
    assert snap["progress"]["chunks_done"] == 4 and snap["next_beat"]["chunk"] == 5
    assert snap["budget"] == model.SCENE_BUDGET_CHUNKS
    assert snap["problems"][-1] == "problem 29" and len(snap["problems"]) == 20


def test_what_the_terminal_redacts_the_page_never_sees():
    key = "rk_live_0123456789abcdef"
    monitor = Monitor(make_program(BEATS, end=8))
    shown: list[str] = []

    class Screen:
        def info(self, text: str) -> None:
            shown.append(text)

        def progress(self, progress) -> None:
            shown.append(progress.prompt)

    redactor = Redactor([key])
    listener = Tee(Redacting(Screen(), redactor), Redacting(monitor, redactor))  # as `llv run --monitor` builds it
    listener.info(f"the server said {key}")
    listener.progress(Progress(prompt=f"a prompt with {key}"))
    state = monitor.snapshot()
    assert key not in repr(state)
    assert state["notes"] == ["the server said [REDACTED]"]
    assert state["progress"]["prompt"] == "a prompt with [REDACTED]"
    assert shown == ["the server said [REDACTED]", "a prompt with [REDACTED]"]


def test_no_browser_is_opened_without_a_screen(monkeypatch):
    import sys

    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert graphical_session() is (sys.platform in ("darwin", "win32"))
    monkeypatch.setenv("DISPLAY", ":0")
    assert graphical_session()
