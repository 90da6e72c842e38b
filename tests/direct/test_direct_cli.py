"""`llv take` and `llv direct` refuse bad input with a clear message and exit 2, never a traceback."""

import json
import subprocess
import sys

import pytest


def llv(*args, **kw):
    return subprocess.run([sys.executable, "-m", "longlive_dsl.cli", *args], capture_output=True, text=True,
                          timeout=60, **kw)


def test_take_of_a_missing_trace_is_a_usage_error(tmp_path):
    done = llv("take", str(tmp_path / "nope.jsonl"), "-o", str(tmp_path / "t.llv"))
    assert done.returncode == 2 and "cannot read the trace" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.invalid_trace
def test_take_of_a_file_that_is_not_a_trace_names_the_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"kind": "teleport"}\n')
    done = llv("take", str(bad), "-o", str(tmp_path / "t.llv"))
    assert done.returncode == 2 and "line 1" in done.stderr


def test_take_of_a_session_in_which_nothing_played_writes_nothing(tmp_path):
    trace = tmp_path / "t.jsonl"
    trace.write_text(json.dumps({"t": 0.0, "mono": 1.0, "kind": "run", "file": "s.llv", "mode": "simulator",
                                 "clock": "measured"}) + "\n")
    done = llv("take", str(trace), "-o", str(tmp_path / "t.llv"))
    assert done.returncode == 2 and "no chunk was made" in done.stderr
    assert not (tmp_path / "t.llv").exists()


def test_take_into_a_missing_directory_is_a_usage_error(tmp_path):
    trace = tmp_path / "t.jsonl"
    trace.write_text(json.dumps({"t": 0.0, "mono": 1.0, "kind": "recv", "channel": "data", "frame": {
        "scope": "application", "type": "chunk_complete", "data": {"session_chunk": 0, "active_prompt": "a fox"}}}) + "\n")
    done = llv("take", str(trace), "-o", str(tmp_path / "no" / "t.llv"))
    assert done.returncode == 2 and "cannot write" in done.stderr and "Traceback" not in done.stderr


def test_direct_needs_a_terminal():
    done = llv("direct", stdin=subprocess.DEVNULL)
    assert done.returncode == 2 and "needs a terminal" in done.stderr
