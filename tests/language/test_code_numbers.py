"""Diagnostic explanations read LongLive's numbers from model.py rather than spelling them."""

from __future__ import annotations

import ast
import re

import pytest

from longlive_dsl import codes, model

# The LongLive facts as model.py holds them today, as they would be written in a sentence.
FACTS = {
    "scene budget": model.SCENE_BUDGET_CHUNKS,
    "first chunk frames": model.MEASURED_CLOCK.first_chunk_frames,
    "later chunk frames": model.MEASURED_CLOCK.later_chunk_frames,
    "frames per second": model.FPS,
    "prompt limit": model.PROMPT_MAX_CHARS,
    "largest time in chunks": model.MAX_TIME_CHUNKS,
    "largest time in seconds": model.MAX_TIME_SECONDS,
    "smallest seed": model.SEED_MIN,
    "largest seed": model.SEED_MAX,
    "seed bits": (model.SEED_MAX - model.SEED_MIN).bit_length(),
    "first seed past the range": 2 * (model.SEED_MAX + 1),
}


def _spelled(number: int, text: str) -> bool:
    """Whether `text` holds `number` as a whole number, plain or with thousands commas."""
    return any(re.search(rf"(?<![\d,.]){re.escape(form)}(?![\d,])", text)
               for form in {str(abs(number)), f"{abs(number):,}"})


def _all_text(table: list[codes.Code]) -> str:
    return "\n".join(f"{c.title}\n{c.explanation}\n{c.example}" for c in table)


@pytest.fixture
def other_facts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend LongLive's numbers were different (none of them shares digits with the real ones)."""
    monkeypatch.setattr(model, "SCENE_BUDGET_CHUNKS", 37)
    monkeypatch.setattr(model, "FPS", 25)
    monkeypatch.setattr(model, "MEASURED_CLOCK", model.Clock("measured", 23, 27, "test"))
    monkeypatch.setattr(model, "DOCS_CLOCK", model.Clock("docs", 23, 23, "test"))
    monkeypatch.setattr(model, "PROMPT_MAX_CHARS", 1_234)
    monkeypatch.setattr(model, "MAX_TIME_CHUNKS", 777_777)
    monkeypatch.setattr(model, "MAX_TIME_SECONDS", 888_888)
    monkeypatch.setattr(model, "SEED_MIN", -(2**15))
    monkeypatch.setattr(model, "SEED_MAX", 2**15 - 1)


@pytest.mark.parametrize("fact", list(FACTS))
def test_explanations_follow_the_model_when_its_numbers_change(other_facts: None, fact: str) -> None:
    text = _all_text(codes.table())
    assert not _spelled(FACTS[fact], text), f"an explanation still spells the {fact} ({FACTS[fact]})"


def test_explanations_show_the_models_numbers(other_facts: None) -> None:
    by_code = {c.code: c for c in codes.table()}
    assert by_code["E504"].title == "scene longer than 37 chunks"
    assert "1,234 characters" in by_code["E406"].explanation
    assert "16-bit" in by_code["E304"].explanation and "-32768" in by_code["E304"].explanation
    assert "777,777 chunks" in by_code["E306"].explanation
    assert "at 25 fps" in by_code["N701"].explanation


def test_the_real_explanations_spell_the_real_numbers() -> None:
    text = _all_text(list(codes.CODES.values()))
    assert _spelled(model.SCENE_BUDGET_CHUNKS, text) and _spelled(model.PROMPT_MAX_CHARS, text)


def test_codes_py_spells_no_longlive_number_in_its_text() -> None:
    tree = ast.parse(open(codes.__file__, encoding="utf-8").read())
    texts = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    found = [(fact, t) for t in texts for fact, number in FACTS.items() if _spelled(number, t)]
    assert not found, found
