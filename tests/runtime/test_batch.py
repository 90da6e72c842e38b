"""The batch scheduler's bookkeeping: verdicts, --resume, exit codes, and the checks before any take plays."""

import json
import subprocess
import sys

from longlive_dsl import compile_variants
from longlive_dsl.batch import (
    RETRYABLE,
    TakeResult,
    already_verified,
    batch_exit_code,
    program_text,
    summary_json,
)
from longlive_dsl.runtime import Failure
from longlive_dsl.takes import Take, take_name, unique_names

P = ('"A red fox trots across a frosted meadow at sunrise, breath steaming, '
     'a low tracking shot at 50mm with golden backlight and soft mist"')
STORY = f'scene "A" for 4\n  shot {P}\nvariant "x"\n  shot at 2 {P}\nvariant "y"\n  shot at 3 {P}\n'


def take(name="t"):
    [program, _], _ = compile_variants(STORY, "s.llv")
    return Take(name, program, "s.llv")


def test_retryable_failures_are_failure_classes_that_exist():
    assert RETRYABLE <= {f.name for f in Failure}
    assert "COMMAND_ERROR" not in RETRYABLE and "AUTH" not in RETRYABLE


def test_take_names_are_predictable_and_unique():
    assert take_name("dir/story.llv", "calm", 3, True) == "story@calm-seed3"
    assert take_name("story.llv", None, 3, False) == "story"
    names = [t.name for t in unique_names([take("a"), take("a"), take("b")])]
    assert names == ["a", "a-2", "b"]


def test_resume_takes_only_a_verified_take_with_the_same_program(tmp_path):
    t = take()
    (tmp_path / "program.json").write_text(program_text(t))
    (tmp_path / "verdict.json").write_text(json.dumps({"take": "t", "status": "verified", "frames": 9}))
    earlier = already_verified(tmp_path, t)
    assert earlier is not None and earlier.resumed and earlier.frames == 9
    (tmp_path / "verdict.json").write_text(json.dumps({"take": "t", "status": "failed"}))
    assert already_verified(tmp_path, t) is None
    (tmp_path / "verdict.json").write_text(json.dumps({"take": "t", "status": "verified"}))
    (tmp_path / "program.json").write_text("{}")
    assert already_verified(tmp_path, t) is None


def test_a_torn_verdict_is_played_again(tmp_path):
    t = take()
    (tmp_path / "program.json").write_text(program_text(t))
    (tmp_path / "verdict.json").write_text('{"take": "t", "stat')
    assert already_verified(tmp_path, t) is None


def test_the_exit_code_is_0_only_when_every_take_verified():
    ok = TakeResult("a", "verified", exit_code=0)
    assert batch_exit_code([ok, ok]) == 0
    assert batch_exit_code([ok, TakeResult("b", "not verified", exit_code=0)]) == 1
    assert batch_exit_code([ok, TakeResult("b", "failed", exit_code=9, failure="COMMAND_ERROR")]) == 1
    assert batch_exit_code([ok, TakeResult("b", "interrupted", exit_code=130, failure="INTERRUPTED")]) == 130
    assert batch_exit_code([ok, TakeResult("b", "not run")]) == 130
    assert batch_exit_code([ok, TakeResult("b", "not run")], hung_up=True) == 129  # the terminal went away


def test_the_summary_counts_statuses_and_names_exit_classes():
    doc = summary_json([TakeResult("a", "verified", exit_code=0), TakeResult("b", "failed", exit_code=7, failure="TIMEOUT")])
    assert doc["counts"] == {"verified": 1, "failed": 1}
    assert [t["exit_class"] for t in doc["takes"]] == ["ok", "timeout"]


def llv(*args, cwd):
    return subprocess.run([sys.executable, "-m", "longlive_dsl.cli", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=60)


def test_video_and_trace_name_one_takes_files_and_are_refused_for_several(tmp_path):
    (tmp_path / "s.llv").write_text(STORY)
    proc = llv("run", "s.llv", "--video", "v.mp4", cwd=tmp_path)
    assert proc.returncode == 2 and "several takes go into -o DIR" in proc.stderr
    assert not (tmp_path / "takes").exists()


def test_the_monitor_watches_one_take_and_is_refused_for_several(tmp_path):
    (tmp_path / "s.llv").write_text(STORY)
    for args in (["--seed", "1..2"], ["-o", "out"]):
        proc = llv("run", "s.llv", "--monitor", "--no-open", *args, cwd=tmp_path)
        assert proc.returncode == 2 and "--monitor watches one take" in proc.stderr, (args, proc.stderr)
        assert not (tmp_path / "out").exists() and not (tmp_path / "takes").exists()


def test_a_storyboard_with_errors_plays_no_take(tmp_path):
    (tmp_path / "s.llv").write_text(STORY.replace("at 3", "at 99"))
    proc = llv("run", "s.llv", "--seed", "1..3", "-o", "out", cwd=tmp_path)
    assert proc.returncode == 1 and 'in variant "y"' in proc.stderr
    assert not (tmp_path / "out").exists()


def test_bad_jobs_and_seed_sweeps_are_usage_errors(tmp_path):
    (tmp_path / "s.llv").write_text(STORY)
    for args in (["--jobs", "0"], ["--seed", "9..1"], ["--retries", "-1"]):
        proc = llv("run", "s.llv", *args, cwd=tmp_path)
        assert proc.returncode == 2, args
