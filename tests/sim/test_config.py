"""The simulator's chunk clock setting: a profile by name, N for every chunk, or FIRST,LATER."""

import pytest

from longlive_dsl import model
from longlive_dsl.sim.engine import parse_frames_per_chunk


@pytest.mark.parametrize("value, pair", [
    ("measured", (29, 32)),
    ("docs", (29, 29)),
    (model.MEASURED_CLOCK, (29, 32)),
    ("6", (6, 6)),
    (6, (6, 6)),
    ("3,5", (3, 5)),
    (" 3 , 5 ", (3, 5)),
    ((2, 4), (2, 4)),
])
def test_frames_per_chunk_reads_a_profile_a_number_or_a_first_later_pair(value, pair):
    assert parse_frames_per_chunk(value) == pair


@pytest.mark.parametrize("value", ["0", "256", "3,5,7", "a", "", "-1", "2.5", True, (0, 3)])
def test_frames_per_chunk_refuses_anything_else(value):
    with pytest.raises(ValueError):
        parse_frames_per_chunk(value)


def test_the_config_travels_through_the_environment_unchanged():
    from longlive_dsl.sim.app import SimConfig

    config = SimConfig(frames_per_chunk="3,5")
    assert config.to_env()["LLV_SIM_FRAMES_PER_CHUNK"] == "3,5"
    assert SimConfig.from_env(config.to_env()) == config
    assert SimConfig.from_env({}).frames_per_chunk == (29, 32)  # the measured clock by default


def test_the_simulator_emits_the_clock_it_is_given_unless_frames_per_chunk_overrides_it():
    from longlive_dsl.sim.server import Simulator

    assert Simulator(8080).config.frames_per_chunk == (29, 32)
    assert Simulator(8080, clock="docs").config.frames_per_chunk == (29, 29)
    assert Simulator(8080, clock="docs", frames_per_chunk=6).config.frames_per_chunk == (6, 6)
    with pytest.raises(ValueError, match="sundial"):
        Simulator(8080, clock="sundial")
