"""One vocabulary: LongLive's wire names, message fields and beat kinds are spelled only in model.py."""

from __future__ import annotations

import ast
import typing
from pathlib import Path

import longlive_dsl
from longlive_dsl import model, program
from longlive_dsl.sim import app as sim_app
from longlive_dsl.tools import interchange

PACKAGE = Path(longlive_dsl.__file__).parent

# Where a wire word is spelled out for another reason: (file, enclosing function or class, word).
# Each entry says why the literal is not the model's word.
ALLOWED: dict[tuple[str, str, str], str] = {
    # The storyboard language's keywords (grammar), which share words with the wire.
    ("syntax/errors.py", "*", "seed"): "the `seed` statement keyword",
    ("syntax/errors.py", "*", "shot"): "the `shot` statement keyword",
    ("tools/fmt.py", "*", "seed"): "the `seed` statement keyword",
    ("tools/fmt.py", "*", "shot"): "the `shot` statement keyword",
    # Headings in the user's words.
    ("tools/plan_view.py", "render_plan", "prompt"): "a column heading of `llv plan`",
    ("runtime/display.py", "RichDisplay._render", "state"): "a row heading of the live display",
    ("runtime/display.py", "RichDisplay._render", "prompt"): "a row heading of the live display",
    # llv's web storyboard JSON, not the model's messages.
    ("tools/interchange.py", "parse_web_storyboard", "prompt"): "the web storyboard's `prompt` key",
    # Reactor's HTTP API and runtime notices, not LongLive's messages.
    ("runtime/signalling.py", "LocalSignalling.open", "reason"): "the runtime's /stop_session body",
    ("runtime/signalling.py", "LocalSignalling._end_session", "reason"): "the runtime's /stop_session body",
    ("runtime/session.py", "Session._on_message", "reason"): "the runtime's sessionEnded notice",
    ("sim/cloud.py", "*", "state"): "the cloud API's session state",
    ("sim/cloud.py", "*", "reason"): "the runtime's /stop_session body",
    ("sim/server.py", "Simulator._available", "state"): "the runtime's health state",
    ("sim/server.py", "Simulator.wait_available", "state"): "the runtime's health state",
    # Names that are not on the wire at all.
    ("runtime/session.py", "Session._start", "started"): "the trace's `started` mark (runtime/trace.py)",
    ("runtime/session.py", "Session._command_error", "command_error"):
        "the trace event's `what` (runtime/trace.py), which test_trace_records reads as a literal",
    ("sim/frames.py", "", "session_chunk"): "a FrameInfo attribute stamped into the picture",
    ("review/animatic.py", "viewer", "start"): "the Windows shell's `start` program",
    ("monitor/view.py", "*", "prompt"): "the monitor page's JSON (the display's Progress fields, a planned beat)",
    ("runtime/live.py", "LiveSession._handle", "paused"): "a Transport event's `what` (the live session's words)",
    ("runtime/live.py", "LiveSession._after_reset", "reset"): "a Transport event's `what` (the live session's words)",
    ("direct/tui.py", "Director._on_event", "paused"): "a Transport event's `what` (the live session's words)",
    ("direct/tui.py", "Director._on_event", "reset"): "a Transport event's `what` (the live session's words)",
}


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
        else:
            continue
        # A string statement right after an assignment documents it too (attribute docstrings).
        for stmt in body:
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                ids.add(id(stmt.value))
    return ids


def _literal_subscripts(tree: ast.AST) -> set[int]:
    """Constants inside `Literal[...]`: mypy needs them spelled; test_literals_* compares them."""
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and (
            (isinstance(node.value, ast.Name) and node.value.id == "Literal")
            or (isinstance(node.value, ast.Attribute) and node.value.attr == "Literal")
        ):
            ids.update(id(c) for c in ast.walk(node.slice) if isinstance(c, ast.Constant))
    return ids


def _scan(rel: str, text: str) -> list[tuple[str, int, str, str]]:
    """Every (file, line, enclosing qualname, word) where `text` spells a wire word outside docstrings."""
    tree = ast.parse(text, filename=rel)
    skip = _docstrings(tree) | _literal_subscripts(tree)
    found = []

    def visit(node: ast.AST, scope: list[str]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(child, [*scope, child.name])
                continue
            if (isinstance(child, ast.Constant) and isinstance(child.value, str)
                    and child.value in model.WIRE_NAMES and id(child) not in skip):
                found.append((rel, child.lineno, ".".join(scope), child.value))
            visit(child, scope)

    visit(tree, [])
    return found


def _stray_spellings() -> list[tuple[str, int, str, str]]:
    """The scan over every module of the package but model.py."""
    return [hit for path in sorted(PACKAGE.rglob("*.py")) if path.name != "model.py" or path.parent != PACKAGE
            for hit in _scan(path.relative_to(PACKAGE).as_posix(), path.read_text(encoding="utf-8"))]


def _allowed(rel: str, qualname: str, word: str) -> bool:
    return (rel, qualname, word) in ALLOWED or (rel, "*", word) in ALLOWED


def test_wire_names_are_spelled_only_in_the_model() -> None:
    stray = [f"longlive_dsl/{rel}:{line}: {word!r} in {qualname or 'module'} (use the model.py constant)"
             for rel, line, qualname, word in _stray_spellings() if not _allowed(rel, qualname, word)]
    assert not stray, "\n".join(stray)


def test_every_allowed_spelling_is_still_needed() -> None:
    hits = _stray_spellings()
    used = {(rel, q, word) for rel, _line, q, word in hits} | {(rel, "*", word) for rel, _line, _q, word in hits}
    stale = [key for key in ALLOWED if key not in used]
    assert not stale, f"allow-list entries no longer needed: {stale}"


def test_the_scan_finds_a_spelled_field_but_not_a_docstring_or_a_literal_type() -> None:
    text = (
        '"""Module docs may say session_chunk."""\n'
        "from typing import Literal\n"
        "class Beat:\n"
        '    kind: Literal["cut"]\n'
        "    def f(self, d):\n"
        '        """So may a function\'s: chunk_index."""\n'
        '        return d["session_chunk"]\n'
    )
    assert _scan("x.py", text) == [("x.py", 7, "Beat.f", model.SESSION_CHUNK)]


def _literal_args(annotation: object) -> tuple[object, ...]:
    return typing.get_args(annotation)


def test_program_command_types_are_the_model_commands() -> None:
    types = {cls.model_fields["type"].default: _literal_args(cls.model_fields["type"].annotation)
             for cls in typing.get_args(typing.get_args(program.Command)[0])}
    assert types == {name: (name,) for name in
                     (model.SET_SEED, model.SET_SHOT, model.SCHEDULE_SHOT, model.SCHEDULE_SCENE_CUT, model.START)}


def test_program_beat_kinds_are_the_model_beat_kinds() -> None:
    assert set(_literal_args(program.Beat.model_fields["kind"].annotation)) == set(model.BEAT_KINDS)


def test_the_web_storyboards_beat_kinds_are_the_model_beat_kinds() -> None:
    assert set(_literal_args(interchange.WebBeat.model_fields["kind"].annotation)) == {model.SHOT, model.CUT}


def test_the_simulators_messages_carry_the_model_fields() -> None:
    for name, cls in sim_app._MESSAGES.items():
        assert tuple(cls.__message_fields__) == model.MESSAGE_FIELDS[name], name
    assert set(sim_app._MESSAGES) == set(model.MESSAGES)


def test_every_command_has_its_fields_and_every_beat_its_command() -> None:
    assert set(model.COMMAND_FIELDS) == set(model.COMMANDS)
    assert set(model.BEAT_COMMANDS) == set(model.BEAT_KINDS)
    assert model.BEAT_COMMANDS[model.CUT] == model.SCHEDULE_SCENE_CUT


def test_program_command_data_carries_the_model_fields() -> None:
    for cls in typing.get_args(typing.get_args(program.Command)[0]):
        data = cls.model_fields["data"].annotation
        assert tuple(data.model_fields) == model.COMMAND_FIELDS[cls.model_fields["type"].default], cls.__name__
