"""Mutated examples through every tool: the formatter, the language server's answers, the pictures, the plan.

Whatever the text, each either answers or refuses in words (FormatError); none raises anything else.
"""

from __future__ import annotations

import io
from pathlib import Path

import pygls  # noqa: E402, F401
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console  # noqa: E402

from longlive_dsl import analyse
from longlive_dsl.tools.fmt import FormatError, format_source
from longlive_dsl.tools.lsp import _Text, complete, document_symbols, hover_text  # noqa: E402
from longlive_dsl.tools.plan_view import render_plan  # noqa: E402
from longlive_dsl.tools.timeline_view import render_html  # noqa: E402

EXAMPLES = [p.read_text(encoding="utf-8") for p in sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.llv"))]
PIECES = ["scene", "shot", "define", "end at", "title", "seed", "at", "for", '"', '"""', "{", "}", "{look}", "#",
          "\n", "\r", "\r\n", "\ufeff", "  ", "0", "-1", "48", "1:05", "6s", "9" * 60, "é", "🦊", "\t", "\x1b[31m"]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(EXAMPLES))
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 40)))
        action = draw(st.sampled_from(["insert", "delete", "replace", "repeat"]))
        if action == "insert":
            text = text[:i] + draw(st.sampled_from(PIECES)) + text[i:]
        elif action == "delete":
            text = text[:i] + text[j:]
        elif action == "replace":
            text = text[:i] + draw(st.sampled_from(PIECES)) + text[j:]
        else:
            text = text[:j] + text[i:j] + text[j:]
    return text


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(), st.data())
def test_every_tool_answers_or_refuses_in_words(source, data):
    try:
        formatted = format_source(source, "m.llv")
    except FormatError as e:
        assert e.diagnostics
    else:
        assert format_source(formatted, "m.llv") == formatted

    result = analyse(source, "m.llv")
    text = _Text(source, utf16)
    last_good = analyse(EXAMPLES[0]).document
    for offset in data.draw(st.lists(st.integers(0, len(text.source)), max_size=6)):
        hover_text(result, offset)
        complete(result, last_good, text, offset)
        position = text.position_at(offset)
        assert text.offset(position) == offset
    document_symbols(result, text)
    if result.timeline is not None:
        assert render_html(result.timeline, result.diagnostics)
        if result.timeline.scenes:
            console = Console(file=io.StringIO(), width=100)
            render_plan(result.timeline, result.diagnostics, console)
