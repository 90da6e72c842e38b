"""`llv lint`, `compile`, `plan`, `explain` as a user runs them, including every kind of bad input."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import P

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.llv"))
PEAK_MEMORY_MB = 400


def llv(*args, stdin=None, env=None, cwd=None):
    """Run `llv` in a fresh process; also report its peak memory (MB).

    The peak is VmHWM, which starts afresh at exec; ru_maxrss would carry the forking test process's own.
    """
    code = ("import sys\nfrom longlive_dsl.cli import main\n"
            "try:\n    rc = main(sys.argv[1:])\nfinally:\n"
            "    sys.stdout.flush()\n"
            "    hwm = next(l for l in open('/proc/self/status') if l.startswith('VmHWM:')).split()[1]\n"
            "    print(f'\\nPEAK {int(hwm) // 1024}', file=sys.stderr)\n"
            "sys.exit(rc)\n")
    proc = subprocess.run([sys.executable, "-c", code, *map(str, args)], input=stdin, capture_output=True,
                          env={**os.environ, "NO_COLOR": "1", **(env or {})}, cwd=cwd, timeout=120)
    err, _, peak = proc.stderr.rpartition(b"\nPEAK ")
    proc.stderr = err.decode()
    proc.stdout = proc.stdout.decode()
    proc.peak_mb = int(peak)
    return proc


def no_traceback(proc):
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr


@pytest.fixture
def story(tmp_path):
    def write(text, name="story.llv"):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path
    return write


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.stem for e in EXAMPLES])
def test_every_example_is_lint_clean(example):
    proc = llv("lint", example)
    assert proc.returncode == 0, proc.stdout
    assert "All clean" in proc.stdout


def test_there_are_at_least_five_examples():
    assert len(EXAMPLES) >= 5


def test_lint_prints_warnings_and_a_summary_and_exits_0_unless_warnings_are_denied(story):
    proc = llv("lint", story('scene "A"\n  shot "a cat"\n'))
    assert proc.returncode == 0
    assert llv("lint", "--deny", "warnings", story('scene "A"\n  shot "a cat"\n')).returncode == 1
    assert "warning[W601]" in proc.stdout and "Found 1 warning in 1 file." in proc.stdout
    assert "\x1b[" not in proc.stdout, "no colour when not on a terminal"


def test_lint_json_format_is_machine_readable(story):
    proc = llv("lint", "--format", "json", story(f'scene "A" for 60\n  shot {P}\n'))
    [d] = json.loads(proc.stdout)
    assert (d["code"], d["severity"], d["line"], d["column"]) == ("E504", "error", 1, 11)


def test_lint_honours_force_color_and_no_color(story):
    path = story('scene "A"\n  shot "a cat"\n')
    assert "\x1b[" in llv("lint", path, env={"FORCE_COLOR": "1", "NO_COLOR": ""}).stdout
    assert "\x1b[" not in llv("lint", path, env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).stdout


def test_compile_prints_one_command_per_line(story):
    proc = llv("compile", story(f'seed 3\nscene "A"\n  shot for 4 {P}\n  shot {P}\nend at 10\n'))
    assert proc.returncode == 0
    lines = [json.loads(x) for x in proc.stdout.splitlines()]
    assert [x["type"] for x in lines] == ["set_seed", "set_shot", "schedule_shot", "start"]


def test_compile_json_writes_the_whole_program_to_a_file(story, tmp_path):
    out = tmp_path / "p.json"
    proc = llv("compile", story(f'scene "A"\n  shot for 4 {P}\n  shot {P}\nend at 10\n'), "--json", "-o", out)
    assert proc.returncode == 0 and proc.stdout == ""
    program = json.loads(out.read_text())
    assert program["end"] == 10 and program["format"] == "llv-program/1"
    assert [m["command_index"] for m in program["source_map"]] == [0, 1, 2]


def test_compile_with_an_error_writes_nothing_and_exits_1(story, tmp_path):
    out = tmp_path / "p.json"
    proc = llv("compile", story(f'scene "A"\n  shot {P}\n  shot at 50 {P}\n'), "-o", out)
    assert proc.returncode == 1
    assert "error[E505]" in proc.stderr and "nothing written" in proc.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == [tmp_path / "story.llv"]


def test_plan_shows_scenes_beats_budget_and_end():
    proc = llv("plan", Path(__file__).parents[2] / "examples" / "ratatouille.llv", env={"COLUMNS": "160"})
    assert proc.returncode == 0
    out = proc.stdout
    assert "1. Chop" in out and "3. Plate" in out and "budget 10 of 48" in out
    assert "0:18.3" in out and "end: chunk 20" in out and "0:26.3" in out and "631 frames" in out


def test_plan_counts_seconds_on_the_clock_given_by_the_command_line():
    proc = llv("plan", "--clock", "docs", Path(__file__).parents[2] / "examples" / "ratatouille.llv",
               env={"COLUMNS": "160"})
    assert proc.returncode == 0
    assert "0:16.9" in proc.stdout and "0:24.2" in proc.stdout and "580 frames" in proc.stdout


def test_plan_stops_where_the_model_completes_the_last_scene_before_a_later_end(story):
    proc = llv("plan", story(f'scene "A"\n  shot {P}\nend at 60\n'), env={"COLUMNS": "160"})
    assert proc.returncode == 0 and "W606" in proc.stderr
    assert "end: chunk 48" in proc.stdout and "total 48 chunks" in proc.stdout and "total 60" not in proc.stdout


def test_a_storyboard_clock_statement_picks_the_clock_and_the_command_line_overrides_it(story):
    path = story(f'clock docs\nscene "A" for 10\n  shot {P}\n')
    assert "290 frames" in llv("plan", path, env={"COLUMNS": "160"}).stdout
    assert "317 frames" in llv("plan", "--clock", "measured", path, env={"COLUMNS": "160"}).stdout


def test_an_unknown_clock_on_the_command_line_is_a_usage_error(story):
    proc = llv("lint", "--clock", "sundial", story(f'scene "A"\n  shot {P}\n'))
    assert proc.returncode == 2 and "sundial" in proc.stderr


def test_plan_marks_beats_that_never_fire(story):
    proc = llv("plan", story(f'scene "A"\n  shot {P}\n  shot at 50 {P}\n'), env={"COLUMNS": "160"})
    assert proc.returncode == 1 and "never fires" in proc.stdout and "E505" in proc.stderr


def test_explain_prints_the_code_with_an_example():
    proc = llv("explain", "e505")
    assert proc.returncode == 0 and "beat never fires" in proc.stdout and "Example" in proc.stdout
    assert llv("explain", "E999").returncode == 2


def test_unknown_subcommand_is_a_usage_error_with_a_suggestion():
    proc = llv("lnt")
    assert proc.returncode == 2 and "did you mean `lint`" in proc.stderr


# ---- bad input ------------------------------------------------------------------------------

def test_missing_file(tmp_path):
    proc = llv("lint", tmp_path / "nope.llv")
    assert proc.returncode == 2 and "no such file" in proc.stderr
    no_traceback(proc)


def test_directory(tmp_path):
    proc = llv("compile", tmp_path)
    assert proc.returncode == 2 and "is a directory" in proc.stderr
    no_traceback(proc)


def test_empty_file(story):
    proc = llv("lint", story(""))
    assert proc.returncode == 1 and "E204" in proc.stdout
    no_traceback(proc)


def test_non_utf8_bytes(tmp_path):
    path = tmp_path / "latin1.llv"
    path.write_bytes('scene "Café"\n  shot "crème"\n'.encode("latin-1"))
    proc = llv("lint", path)
    assert proc.returncode == 2 and "not UTF-8" in proc.stderr and ":1:" in proc.stderr
    no_traceback(proc)


def test_ten_megabyte_file_is_refused_without_reading_it_all(tmp_path):
    path = tmp_path / "huge.llv"
    with open(path, "w") as f:
        line = f'  shot {P}\n'
        f.write('scene "A"\n')
        while f.tell() < 10 * 1024 * 1024:
            f.write(line * 1000)
    proc = llv("lint", path)
    assert proc.returncode == 2 and "10.0 MB" in proc.stderr
    assert proc.peak_mb < PEAK_MEMORY_MB
    no_traceback(proc)


def test_prompt_of_100000_characters_is_refused_as_longer_than_the_model_takes(story):
    words = ("lantern " * 12500)[:100_000]
    proc = llv("lint", story(f'scene "A"\n  shot "{words}"\n'))
    assert proc.returncode == 1 and "E406" in proc.stdout and "W602" in proc.stdout
    assert max(len(line) for line in proc.stdout.splitlines()) < 400, "long lines are shown as a window"
    assert proc.peak_mb < PEAK_MEMORY_MB
    no_traceback(proc)


def test_deeply_repeated_interpolation_is_refused_with_bounded_memory(story):
    defines = ['define a0 = "' + "x" * 100 + '"'] + [
        f'define a{i} = "' + f"{{a{i - 1}}}" * 10 + '"' for i in range(1, 30)]
    uses = " ".join(f"{{a{i}}}" for i in range(30))
    proc = llv("compile", story("\n".join(defines) + f'\nscene "A"\n  shot "{uses}"\n'))
    assert proc.returncode == 1 and "E405" in proc.stderr
    assert proc.peak_mb < PEAK_MEMORY_MB
    no_traceback(proc)


def test_stdin_is_read_with_dash():
    proc = llv("compile", "-", stdin=f'scene "A"\n  shot {P}\n'.encode())
    assert proc.returncode == 0 and '"set_shot"' in proc.stdout


def test_output_into_a_missing_folder_is_an_io_error(story, tmp_path):
    proc = llv("compile", story(f'scene "A"\n  shot {P}\n'), "-o", tmp_path / "no" / "such" / "p.json")
    assert proc.returncode == 2 and "cannot write" in proc.stderr
    no_traceback(proc)


def test_every_example_is_in_the_canonical_layout():
    proc = llv("fmt", "--check", *EXAMPLES)
    assert proc.returncode == 0, proc.stdout


def test_plan_with_an_unplaced_scene_does_not_guess_which_beats_fire(story):
    proc = llv("plan", story(f'scene "A"\n  shot {P}\nscene "B"\n  shot {P}\nscene "C" at 10\n  shot {P}\n'),
               env={"COLUMNS": "160"})
    assert proc.returncode == 1 and "E503" in proc.stderr
    assert "3. C" in proc.stdout and "never fires" not in proc.stdout
    assert "end: unknown" in proc.stdout


def test_verify_refuses_a_clock_for_a_compiled_program_which_carries_its_own(story, tmp_path):
    program = tmp_path / "p.json"
    assert llv("compile", "--json", "-o", program, story(f'scene "A"\n  shot {P}\n')).returncode == 0
    trace = tmp_path / "t.jsonl"
    trace.write_text("", encoding="utf-8")
    proc = llv("verify", "--clock", "docs", trace, program)
    assert proc.returncode == 2 and "carries the clock it was compiled on" in proc.stderr


def test_compile_json_records_the_clock_and_the_frames(story):
    import json

    proc = llv("compile", "--json", "--clock", "docs", story(f'scene "A" for 40s\n  shot {P}\n'))
    program = json.loads(proc.stdout)
    assert program["clock"] == {"name": "docs", "first_chunk_frames": 29, "later_chunk_frames": 29}
    assert program["stops_at"] == 33 and program["frames"] == 33 * 29


def test_importing_the_package_and_the_command_line_does_not_load_the_parser():
    """Every `llv` command imports the package; only the ones that read a storyboard need Lark."""
    code = ("import sys, longlive_dsl.cli\n"
            "print('lark' in sys.modules, 'longlive_dsl.analysis' in sys.modules)\n"
            "from longlive_dsl import Analysis, Overrides, analyse\n"
            "print(analyse.__module__, Analysis.__module__, Overrides.__module__)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.stdout.splitlines() == ["False False", "longlive_dsl.analysis " * 2 + "longlive_dsl.analysis"], \
        proc.stderr
