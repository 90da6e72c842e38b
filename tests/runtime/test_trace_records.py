"""The trace format is defined once, by the record models beside the writer: the writer writes only
what they describe, `llv schema --trace` is generated from them, readers read through them, the
docs' tables are generated from them, and every trace a test leaves behind is checked against them."""

from __future__ import annotations

import ast
import json
import textwrap
import typing
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from longlive_dsl.cli import main
from longlive_dsl.runtime import Failure, Status
from longlive_dsl.runtime.trace import (
    TRACE_RECORD,
    CommandErrorEvent,
    EndRecord,
    RecvRecord,
    RunRecord,
    StatusRecord,
    Trace,
    TraceFileError,
    TraceRecordError,
    markdown_table,
    read_records,
    read_trace,
    record_models,
    trace_schema,
)

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "longlive_dsl"
DOCS = ROOT / "docs"


def every_kind(trace: Trace) -> None:
    """One record of every kind (and every `event`) through the writer's own entry points."""
    trace.write("run", file="story.llv", mode="simulator", clock="measured")
    trace.write("status", status="connecting", detail="")
    trace.http("POST", "/sessions", 201, ms=12.5)
    trace.http("GET", "/sessions/abc", None, error="timeout")
    trace.frame("send", "data", {"type": "set_shot", "data": {"prompt": "x"}})
    trace.frame("recv", "data", {"scope": "application", "type": "chunk_complete", "data": {"session_chunk": 0}})
    trace.write("recv", channel="data", raw="{not json", error="bad frame")
    trace.write("peer", state="connected")
    trace.write("channel", channel="data", state="open")
    trace.write("track", track_kind="video")
    trace.write("track", track_kind="video", state="ended")
    trace.write("video", event="first_frame", width=320, height=176)
    trace.write("mark", what="first_frame")
    trace.write("live", action="shot", outcome="sent", command="schedule_shot", command_index=6, prompt="x", at=9,
                asked="+3")
    trace.write("event", what="no capacity, retrying", retry_after=6.0)
    trace.write("event", what="DELETE refused", status=500)
    trace.write("event", what="interrupted")
    trace.write("event", what="hangup")
    trace.write("event", what="malformed answer", step="creating the session", problem="not JSON")
    trace.write("event", what="frames dropped", frames_dropped=3, frames_expected=90)
    trace.write("event", what="no schema")
    trace.write("event", what="unacknowledged", commands=[2, 3])
    trace.write("event", what="command_error", command="schedule_shot", reason="past chunk", command_index=4)
    trace.write("event", what="peer unresponsive", seconds=2.5)
    trace.write("event", what="message flood", backlog=10000)
    trace.write("event", what="recorder error", error="OSError(28)")
    trace.write("event", what="closing the session failed", error="TimeoutError")
    trace.write("end", exit_code=0, failure=None, message="done", chunks_done=3, frames_received=87,
                frames_recorded=87, frames_expected=90, frames_dropped=3)


@pytest.fixture
def full_trace(tmp_path) -> Path:
    path = tmp_path / "run.jsonl"
    trace = Trace(path)
    every_kind(trace)
    trace.close()
    return path


# ---- the writer ------------------------------------------------------------------------------

def test_every_record_model_can_be_written_and_read_back(full_trace):
    records = read_records(full_trace)
    assert {type(r) for r in records} == set(record_models())


def test_read_records_gives_typed_records(full_trace):
    records = read_records(full_trace)
    assert isinstance(records[0], RunRecord) and records[0].mode == "simulator"
    assert isinstance(records[-1], EndRecord) and records[-1].frames_received == 87
    error = next(r for r in records if isinstance(r, CommandErrorEvent))
    assert (error.command, error.command_index) == ("schedule_shot", 4)


def test_read_trace_gives_the_json_objects_as_written(full_trace):
    lines = [json.loads(line) for line in full_trace.read_text().splitlines()]
    assert read_trace(full_trace) == lines


@pytest.mark.parametrize("kind, fields, problem", [
    ("teleport", {}, "teleport"),
    ("event", {"what": "felt like it"}, "felt like it"),
    ("event", {"note": "x"}, "what"),
    ("run", {"file": "a.llv", "mode": "simulator", "clock": "measured", "extra": 1}, "extra"),
    ("run", {"file": "a.llv"}, "mode"),
    ("run", {"file": "a.llv", "mode": "moon", "clock": "measured"}, "mode"),
    ("status", {"status": "ready", "detail": None}, "detail"),
    ("http", {"method": "GET", "path": "/", "status": "200"}, "status"),
    ("recv", {"channel": "data"}, "frame"),
    ("recv", {"channel": "data", "frame": {}, "raw": "x", "error": "y"}, "frame"),
    ("end", {"exit_code": 0, "failure": "OOPS", "message": "", "chunks_done": 0, "frames_received": 0,
             "frames_recorded": 0}, "failure"),
])
def test_the_writer_refuses_a_record_the_models_do_not_describe(tmp_path, kind, fields, problem):
    path = tmp_path / "t.jsonl"
    trace = Trace(path)
    with pytest.raises(TraceRecordError, match="not a trace record") as raised:
        trace.write(kind, **fields)
    trace.close()
    assert problem in str(raised.value)
    assert path.read_text() == ""  # nothing half-valid reached the file


def test_a_trace_without_a_file_records_nothing_and_checks_nothing():
    Trace(None).write("teleport")  # no file: the cheap path stays cheap


def _model_for(kind: str, what: str | None) -> type | None:
    for m in record_models():
        if typing.get_args(m.model_fields["kind"].annotation) == (kind,):
            if kind != "event" or typing.get_args(m.model_fields["what"].annotation) == (what,):
                return m
    return None


def _trace_writes() -> list[tuple[str, int, str, str | None, set[str]]]:
    """Every `….trace.write("kind", field=…)` call in the package: file, line, kind, `what`, field names."""
    calls = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "write"):
                continue
            target = node.func.value
            name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
            if name not in ("trace", "tr"):
                continue
            kind = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else None
            assert isinstance(kind, str), f"{path}:{node.lineno}: the record kind must be a literal"
            assert all(k.arg is not None for k in node.keywords), f"{path}:{node.lineno}: name every field"
            what = next((k.value.value for k in node.keywords if k.arg == "what" and isinstance(k.value, ast.Constant)), None)
            calls.append((str(path.relative_to(ROOT)), node.lineno, kind, what, {k.arg for k in node.keywords}))
    return calls


def test_every_trace_write_in_the_package_names_a_kind_and_fields_the_models_know():
    calls = _trace_writes()
    assert {kind for _, _, kind, _, _ in calls} >= {"run", "status", "mark", "event", "end"}
    for file, line, kind, what, fields in calls:
        model = _model_for(kind, what)
        assert model is not None, f"{file}:{line}: `{kind}` {what or ''} is not a trace record kind"
        known = set(model.model_fields) - {"t", "mono", "kind"}
        required = {n for n, f in model.model_fields.items() if f.is_required()} - {"t", "mono", "kind"}
        assert fields <= known, f"{file}:{line}: {sorted(fields - known)} not in {model.__name__}"
        if model is not RecvRecord:  # a received frame has `frame`, or `raw` and `error`
            assert required <= fields, f"{file}:{line}: {sorted(required - fields)} missing for {model.__name__}"


def test_status_and_failure_values_are_the_runtimes_own():
    assert typing.get_args(StatusRecord.model_fields["status"].annotation) == tuple(s.value for s in Status)
    failures = typing.get_args(typing.get_args(EndRecord.model_fields["failure"].annotation)[0])
    assert failures == tuple(f.name for f in Failure)


# ---- reading ---------------------------------------------------------------------------------

@pytest.mark.invalid_trace
def test_a_record_that_is_not_in_the_format_is_an_error_naming_its_line(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"t": 0.1, "mono": 5.1, "kind": "event", "what": "interrupted"}\n'
                    '{"t": 0.2, "mono": 5.2, "kind": "teleport"}\n')
    with pytest.raises(TraceFileError, match=r"t\.jsonl line 2: not a trace record: .*teleport"):
        read_trace(path)


@pytest.mark.invalid_trace
def test_a_torn_line_in_the_middle_is_an_error(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"t": 0.1, "mono": 5.1, "kind": "event", "wha\n'
                    '{"t": 0.2, "mono": 5.2, "kind": "event", "what": "interrupted"}\n')
    with pytest.raises(TraceFileError, match="line 1: not JSON"):
        read_records(path)


@pytest.mark.invalid_trace
def test_verify_refuses_a_trace_with_a_foreign_record_naming_the_line(tmp_path, capsys):
    story = tmp_path / "story.llv"
    story.write_text('scene "A"\n  shot "a fox"\n', encoding="utf-8")
    path = tmp_path / "t.jsonl"
    path.write_text('{"t": 0.1, "mono": 5.1, "kind": "event", "what": "interrupted"}\n'
                    '{"t": 0.2, "mono": 5.2, "kind": "recv", "channel": "data", "frame": {}, "surprise": 1}\n')
    assert main(["verify", str(path), str(story)]) == Failure.USAGE.value
    err = capsys.readouterr().err
    assert "line 2: not a trace record" in err and "surprise" in err and "Traceback" not in err


# ---- the schema ------------------------------------------------------------------------------

def test_schema_command_prints_the_schema_generated_from_the_models(capsys):
    assert main(["schema", "--trace"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema == json.loads(json.dumps(trace_schema()))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["discriminator"]["propertyName"] == "kind"


def test_every_record_the_writer_writes_validates_against_the_schema(full_trace):
    validator = jsonschema.Draft202012Validator(trace_schema())
    for record in read_trace(full_trace):
        validator.validate(record)
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({"t": 0.1, "mono": 1.0, "kind": "http", "method": "GET"})  # no path, no status
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({"t": 0.1, "mono": 1.0, "kind": "teleport"})


SAMPLE = [json.loads(line) for line in textwrap.dedent("""\
    {"t": 0.0, "mono": 1.0, "kind": "run", "file": "a.llv", "mode": "cloud", "clock": "docs"}
    {"t": 0.1, "mono": 1.1, "kind": "status", "status": "ready", "detail": ""}
    {"t": 0.2, "mono": 1.2, "kind": "http", "method": "GET", "path": "/", "status": null, "error": "timeout"}
    {"t": 0.3, "mono": 1.3, "kind": "recv", "channel": "data", "frame": {"type": "state"}}
    {"t": 0.3, "mono": 1.3, "kind": "recv", "channel": "data", "raw": "{", "error": "bad"}
    {"t": 0.4, "mono": 1.4, "kind": "track", "track_kind": "video", "state": "ended"}
    {"t": 0.5, "mono": 1.5, "kind": "event", "what": "unacknowledged", "commands": [1]}
    {"t": 0.6, "mono": 1.6, "kind": "end", "exit_code": 8, "failure": "CONNECTION_LOST", "message": "lost", "chunks_done": 1, "frames_received": 2, "frames_recorded": 2}
    """).splitlines()]

# JSON Schema counts 2.0 as an integer, Python does not; the writer writes ints as ints, so integral
# floats are left out here.
FLOATS = st.floats(-1, 10, allow_nan=False).filter(lambda x: not x.is_integer())
VALUES = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), FLOATS,
                   st.sampled_from(["", "x", "ready", "video", "ended", "interrupted", "cloud", "USAGE"]),
                   st.just({}), st.just([1]))
FIELDS = sorted({name for m in record_models() for name in m.model_fields} | {"surprise"})


@st.composite
def near_records(draw):
    """A valid record with a few fields removed, replaced or added."""
    record = dict(draw(st.sampled_from(SAMPLE)))
    for _ in range(draw(st.integers(0, 3))):
        name = draw(st.sampled_from(FIELDS))
        if draw(st.booleans()):
            record.pop(name, None)
        else:
            record[name] = draw(VALUES)
    return record


SCHEMA = jsonschema.Draft202012Validator(trace_schema())


@settings(max_examples=300, deadline=None)
@given(near_records())
def test_the_schema_and_the_models_agree_on_every_record(record):
    by_schema = SCHEMA.is_valid(record)
    try:
        TRACE_RECORD.validate_python(json.loads(json.dumps(record)), strict=True)  # as the readers do
        by_models = True
    except ValueError:
        by_models = False
    assert by_schema == by_models, record


# ---- the docs --------------------------------------------------------------------------------

@pytest.mark.parametrize("page, indent", [("run.md", ""), ("formats.md", "  ")])
def test_the_docs_describe_the_kinds_the_models_define(page, indent):
    table = "".join(indent + line for line in markdown_table().splitlines(True))
    assert table in (DOCS / page).read_text(encoding="utf-8"), \
        f"regenerate the table in docs/{page}: .venv/bin/python scripts/trace-tables"


# ---- every trace a test leaves behind is checked ---------------------------------------------

INNER_CONFTEST = f"""
import sys
sys.path.insert(0, {str(ROOT / "tests")!r})
from tracecheck import pytest_configure, pytest_runtest_call
"""


@pytest.mark.parametrize("second, outcome", [
    ('{"t": 0.5, "mono": 10.5, "kind": "event", "what": "interrupted"}', {"passed": 1}),
    ('{"t": 0.5, "mono": 10.5, "kind": "event", "what": "interrupted", "surprise": 1}', {"failed": 1}),
    ('{"t": 0.5, "mono": 10.5, "kind": "teleport"}', {"failed": 1}),
    ('{"kind": "event", "what": "interrupted"}', {"failed": 1}),
    ('{"t": 0.5, "mono": 10.5, "kind": "ev', {"failed": 1}),
])
def test_a_test_that_leaves_an_invalid_trace_fails(pytester, second, outcome):
    pytester.makeconftest(INNER_CONFTEST)
    first = '{"t": 0.1, "mono": 10.1, "kind": "run", "file": "a.llv", "mode": "simulator", "clock": "measured"}'
    pytester.makepyfile(test_inner=f"""
        def test_writes_a_trace(tmp_path):
            (tmp_path / "nested").mkdir()
            (tmp_path / "nested" / "run.trace").write_text({first!r} + "\\n" + {second!r} + "\\n")
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(**outcome)
    if "failed" in outcome:
        result.stdout.fnmatch_lines(["*the test left an invalid trace*", "*run.trace line 2*"])


def test_a_test_marked_invalid_trace_is_not_checked(pytester):
    pytester.makeconftest(INNER_CONFTEST)
    pytester.makepyfile(test_inner="""
        import pytest

        @pytest.mark.invalid_trace
        def test_writes_a_bad_trace_on_purpose(tmp_path):
            (tmp_path / "run.jsonl").write_text('{"t": 0, "mono": 1, "kind": "teleport"}\\n')
    """)
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
