"""Carrying a plan on from a session chunk: what `llv run --from-chunk K` and `llv direct`'s reconnect play."""

from __future__ import annotations

import pytest

from longlive_dsl import compile
from longlive_dsl.continuation import program_from_chunk
from longlive_dsl.program import ScheduleSceneCut, ScheduleShot, SetSeed, SetShot

P = "slow dolly in at 35mm, warm amber light, soft mist over the water, photoreal, a copper and teal palette"
STORY = (f'seed 7\nscene "A"\n  shot "A red fox trots through the snow, {P}"\n  shot at 4 "The fox leaps a frozen '
         f'stream, {P}"\nscene "B" at 30\n  shot "A city at night seen from a rooftop, {P}"\nend at 40\n')


@pytest.fixture
def program():
    program, diags = compile(STORY, "story.llv")
    assert program is not None, diags
    return program


def test_the_prompt_playing_at_k_opens_and_later_beats_move_back_by_k(program):
    rest = program_from_chunk(program, 10)
    kinds = [type(c) for c in rest.commands]
    assert kinds[:2] == [SetSeed, SetShot] and rest.commands[0].data.seed == 7
    assert "fox leaps" in rest.commands[1].data.prompt
    cut = next(c for c in rest.commands if isinstance(c, ScheduleSceneCut))
    assert cut.data.at_session_chunk == 20 and "city at night" in cut.data.prompt
    assert rest.end == 30 and rest.stops_at == 30 and [s.start for s in rest.scenes] == [0, 20]


def test_a_beat_due_exactly_at_k_becomes_the_opener(program):
    rest = program_from_chunk(program, 4)
    assert "fox leaps" in rest.commands[1].data.prompt
    assert not any(isinstance(c, ScheduleShot) for c in rest.commands)


def test_a_chunk_outside_the_plan_is_refused(program):
    for k in (-1, 40, 1000):
        with pytest.raises(ValueError, match="not in the plan"):
            program_from_chunk(program, k)


def test_from_chunk_with_several_takes_is_a_usage_error(tmp_path, capsys):
    from longlive_dsl.cli import main

    story = tmp_path / "s.llv"
    story.write_text(STORY, encoding="utf-8")
    assert main(["run", str(story), "--seed", "1,2", "-o", str(tmp_path / "out"), "--from-chunk", "3"]) == 2
    assert "--from-chunk carries one take on" in capsys.readouterr().err
