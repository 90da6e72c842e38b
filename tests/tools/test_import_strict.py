"""`llv import` validates strictly and survives any JSON: nothing coerced, every refusal located."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from longlive_dsl.cli import EXIT_FINDINGS, main
from longlive_dsl.tools.interchange import MAX_JSON_DEPTH, StoryboardImportError, parse_web_storyboard

PROMPT = "A red fox trots across a frosted meadow at sunrise"


def beat(at: object, kind: object = "shot", prompt: object = PROMPT) -> dict:
    return {"kind": kind, "prompt": prompt, "atChunk": at}


def problems(text: str) -> list[str]:
    with pytest.raises(StoryboardImportError) as e:
        parse_web_storyboard(text, "s.json")
    return [str(p) for p in e.value.problems]


@pytest.mark.parametrize("value", [True, False, "7", "0", 7.0, 0.5, None, [1], {"n": 1}])
def test_an_atchunk_that_is_not_a_json_integer_is_refused_where_it_is(value):
    text = json.dumps([beat(0), beat(value)])
    (problem,) = problems(text)
    column = text.index('"atChunk"', text.index("}")) + len('"atChunk": ') + 1
    assert problem.startswith(f"s.json:1:{column}: error: [1].atChunk: `atChunk` must be a whole number")
    assert f"(found {json.dumps(value)})" in problem


@pytest.mark.parametrize(("field", "value"), [("prompt", 5), ("prompt", None), ("kind", 1), ("kind", "Shot")])
def test_kinds_and_prompts_are_not_coerced(field, value):
    entry = beat(0)
    entry[field] = value
    (problem,) = problems(json.dumps([entry]))
    assert f"[0].{field}" in problem


def test_deeply_nested_json_is_refused_at_the_first_bracket_too_deep():
    text = "[" * 100_000 + "]" * 100_000
    (problem,) = problems(text)
    assert problem.startswith(f"s.json:1:{MAX_JSON_DEPTH + 1}: error:") and "nested more than" in problem


def test_brackets_inside_strings_do_not_count_as_nesting():
    prompt = PROMPT + " [[[[" * 20 + "{{{{" * 20
    (parsed,) = parse_web_storyboard(json.dumps([beat(0, prompt=prompt)]), "s.json")
    assert parsed.prompt == prompt


def test_nesting_within_the_limit_in_ignored_fields_is_fine():
    entry = beat(0)
    entry["meta"] = json.loads("[" * (MAX_JSON_DEPTH - 2) + "]" * (MAX_JSON_DEPTH - 2))
    assert len(parse_web_storyboard(json.dumps([entry]), "s.json")) == 1


def test_a_number_too_long_to_read_is_refused_and_located():
    text = '[{"kind": "shot", "prompt": "p q", "atChunk": ' + "9" * 5000 + "}]"
    (problem,) = problems(text)
    assert problem.startswith(f"s.json:1:{text.index('9') + 1}: error:") and "digits" in problem


def test_the_command_reports_deep_nesting_without_a_traceback(tmp_path, capsys):
    path = tmp_path / "deep.json"
    path.write_text("[" * 200_000, encoding="utf-8")
    assert main(["import", str(path)]) == EXIT_FINDINGS
    err = capsys.readouterr().err
    assert "nested more than" in err and "nothing written" in err and "Traceback" not in err


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(["kind", "prompt", "atChunk", "x"]),
                                                                   inner, max_size=4),
    max_leaves=30,
)
BEATISH = st.lists(st.fixed_dictionaries({
    "kind": st.sampled_from(["shot", "cut"]) | JSON,
    "prompt": st.text(max_size=20) | JSON,
    "atChunk": st.integers(-2, 60) | JSON,
}), max_size=5)


@settings(max_examples=300, deadline=None)
@given(st.one_of(JSON, BEATISH))
def test_any_json_is_either_a_storyboard_of_exact_types_or_located_problems(data):
    text = json.dumps(data, indent=1)
    try:
        beats = parse_web_storyboard(text, "s.json")
    except StoryboardImportError as e:
        assert e.problems and all(p.line >= 1 and p.column >= 1 for p in e.problems)
        return
    raw = json.loads(text)
    for parsed, entry in zip(beats, raw, strict=True):
        assert type(entry["atChunk"]) is int and parsed.atChunk == entry["atChunk"]
        assert type(entry["prompt"]) is str and entry["kind"] in ("shot", "cut")
