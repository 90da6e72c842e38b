"""`longlive_dsl.run` from Python picks where to play (here: a simulator it starts) and plays there."""

from __future__ import annotations

import json
import sys
import textwrap

SCRIPT = textwrap.dedent('''
    import json, sys
    import longlive_dsl
    story = 'scene "A"\\n  shot "A red fox trots across a frosted meadow at sunrise, warm light, 35mm"\\nend at 2\\n'
    program, diagnostics = longlive_dsl.compile(story, "tiny.llv")
    result = longlive_dsl.run(program, trace=sys.argv[1], time_scale=8.0)
    print(json.dumps({"exit": result.exit_code, "chunks": result.chunks_done, "message": result.message}))
''')


def test_run_from_python_starts_a_simulator_and_plays_the_program(netns, tmp_path, require_runtime):
    script = tmp_path / "play.py"
    script.write_text(SCRIPT, encoding="utf-8")
    trace = tmp_path / "run.jsonl"
    done = netns.run([sys.executable, str(script), str(trace)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["exit"] == 0 and result["chunks"] == 2, result
    kinds = {json.loads(line)["kind"] for line in trace.read_text(encoding="utf-8").splitlines()}
    assert {"http", "send", "recv", "end"} <= kinds
