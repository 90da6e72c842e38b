"""Commands are checked against the model's published schema before they are sent."""

import json

import pytest

from longlive_dsl.runtime.schema import CommandSchema


def _floats(value):
    """What a schema looks like after a trip through protobuf Struct: every number a float."""
    if isinstance(value, dict):
        return {k: _floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_floats(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


@pytest.fixture(scope="module")
def sim_doc():
    import reactor_runtime  # noqa: F401
    from reactor_runtime.interface.model.contract import ModelContract

    from longlive_dsl.sim.app import LongLiveSim

    return ModelContract.of(LongLiveSim).render_schema().to_openapi()


@pytest.fixture(params=["as served", "through Struct"])
def schema(request, sim_doc):
    doc = json.loads(json.dumps(sim_doc))
    return CommandSchema(_floats(doc) if request.param == "through Struct" else doc)


def test_every_command_the_compiler_emits_passes(schema):
    assert schema.check("set_seed", {"seed": 7}) == []
    assert schema.check("set_shot", {"prompt": "a fox"}) == []
    assert schema.check("schedule_shot", {"prompt": "a fox", "at_session_chunk": 3}) == []
    assert schema.check("schedule_scene_cut", {"prompt": "a city", "at_session_chunk": 5}) == []
    assert schema.check("start", {}) == []


def test_an_unknown_command_is_named_with_the_known_ones(schema):
    [problem] = schema.check("unschedule", {})
    assert "no command `unschedule`" in problem and "schedule_shot" in problem


def test_a_missing_field_is_reported(schema):
    assert schema.check("schedule_shot", {"prompt": "p"}) == ["schedule_shot: missing required field `at_session_chunk`"]


def test_an_extra_field_is_reported(schema):
    assert schema.check("set_shot", {"prompt": "p", "session_chunk": 3}) == ["set_shot: unexpected field `session_chunk`"]


def test_a_wrong_type_is_reported(schema):
    [problem] = schema.check("set_seed", {"seed": "7"})
    assert "expected integer, got a string" in problem


def test_a_non_integral_number_for_an_integer_is_reported(schema):
    assert schema.check("set_seed", {"seed": 7.5})


def test_an_integral_float_passes_for_an_integer(schema):
    assert schema.check("set_seed", {"seed": 7.0}) == []


def test_a_prompt_over_the_length_limit_is_reported(schema):
    [problem] = schema.check("set_shot", {"prompt": "x" * 4001})
    assert "4001 characters, more than the 4000 allowed" in problem


def test_constraints_and_refs_are_followed():
    doc = {
        "paths": {"/events/go": {"post": {"operationId": "go", "requestBody": {"content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Go"}}}}}}},
        "components": {"schemas": {"Go": {"type": "object", "required": ["n"], "properties": {
            "n": {"type": "integer", "minimum": 0.0, "maximum": 10.0},
            "mode": {"anyOf": [{"type": "string", "enum": ["a", "b"]}, {"type": "null"}]},
            "tags": {"type": "array", "items": {"type": "string"}}}}}},
    }
    s = CommandSchema(doc)
    assert s.check("go", {"n": 3, "mode": None, "tags": ["x"]}) == []
    assert s.check("go", {"n": 11}) == ["go.n: 11 is above the maximum 10"]
    assert s.check("go", {"n": -1}) == ["go.n: -1 is below the minimum 0"]
    assert s.check("go", {"n": 1, "mode": "c"}) != []
    assert s.check("go", {"n": 1, "tags": [1]}) == ["go.tags[0]: expected string, got an integer"]
