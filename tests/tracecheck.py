"""Every trace a test leaves behind is checked against the trace format (loaded by tests/conftest.py).

After a test that used `tmp_path` passes, every file under it that reads as a wire trace (its first
line a JSON object with a `kind`, as every record has) is validated line by line
against the JSON Schema `llv schema --trace` prints, and read back through the record models. An
invalid record fails the test, naming the file and the line. So an end-to-end test that runs
`llv run --trace` checks its real trace without saying so.

A test that writes an invalid trace on purpose says so with `@pytest.mark.invalid_trace`.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

FIRST_LINE_LIMIT = 1 << 20  # a trace's first record is short; a video or a binary file is not a trace


@cache
def _validator() -> Any:
    import jsonschema

    from longlive_dsl.runtime.trace import trace_schema

    return jsonschema.Draft202012Validator(trace_schema())


def _looks_like_a_trace(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            if f.read(1) != b"{":
                return False
            record = json.loads(b"{" + f.readline(FIRST_LINE_LIMIT))
    except (OSError, ValueError):
        return False
    return isinstance(record, dict) and "kind" in record


def trace_files(directory: Path) -> list[Path]:
    """The files under `directory` that read as wire traces."""
    return sorted(p for p in directory.rglob("*") if p.is_file() and not p.is_symlink() and _looks_like_a_trace(p))


def trace_problems(path: Path) -> list[str]:
    """What is wrong with the trace at `path`: each invalid line, by the schema and by the models."""
    from longlive_dsl.runtime.trace import TraceFileError, read_trace

    problems = []
    validator = _validator()
    lines = path.read_text(encoding="utf-8").split("\n")
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            if number < len(lines):  # only a last line without its newline may be torn
                problems.append(f"{path} line {number}: not JSON")
            continue
        for error in validator.iter_errors(record):
            problems.append(f"{path} line {number}: against `llv schema --trace`: {error.message[:300]}")
    try:
        read_trace(path)
    except TraceFileError as e:
        problems.append(f"through the record models: {e}")
    return problems


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    """After a passing test, fail it if a trace it left under its `tmp_path` is invalid."""
    result = yield
    tmp_path = getattr(item, "funcargs", {}).get("tmp_path")
    if tmp_path is not None and item.get_closest_marker("invalid_trace") is None:
        problems = [p for trace in trace_files(Path(tmp_path)) for p in trace_problems(trace)]
        if problems:
            pytest.fail("the test left an invalid trace:\n" + "\n".join(problems[:20]), pytrace=False)
    return result


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "invalid_trace: the test writes an invalid trace on purpose (not checked)")
