"""Benchmark: the diagnostics layer stays linear in the size of the file.

For storyboards of about 10 KB, 100 KB and 1 MB, each full of findings (a terse prompt and an inexact
seconds value per scene, half of them silenced by `# llv: ignore[...]` comments), prints the CPU time per
KB of: check (parse, resolve, check: the baseline measured in the same run), applying configuration and
suppression comments, rendering every diagnostic as text, SARIF and JSON, and `llv fix` (which checks the
text again to verify its fixes). Each line shows its time per KB and its ratio to the 10 KB time per KB
(target: at most 2x at 1 MB: time per KB stays flat). Then a long take of shots past the 48-chunk edge,
which `llv fix` cuts into scenes in one verified step, at 100 and 1,000 shots.
Run: `make bench` or `.venv/bin/python bench/bench_diagnostics.py`.
"""

from __future__ import annotations

import time

from timing import best_of  # bench/timing.py

from longlive_dsl import check
from longlive_dsl.config import apply
from longlive_dsl.diagnostics import render_json, render_text
from longlive_dsl.tools.fix import fix_source
from longlive_dsl.tools.formats import render_sarif

PROMPT = ('"A red fox trots across a frosted meadow at sunrise, breath steaming, a low tracking shot at 50mm '
          'with golden backlight"')


def storyboard(kb: int) -> str:
    """Scenes of two shots (one terse), each scene 6s long (an inexact N701), until the text reaches `kb` KB."""
    parts, size, i = [], 0, 0
    while size < kb * 1024:
        silence = "  # llv: ignore[W601]" if i % 2 else ""
        part = f'scene "S{i}" for 6s\n  shot {PROMPT}\n  shot at {i * 5 + 1} "a cat"{silence}\n'
        parts.append(part)
        size += len(part)
        i += 1
    return "".join(parts)


def cpu(fn) -> float:
    """Best CPU time of two runs."""
    return best_of(fn, 2)


def main() -> None:
    rows = {}
    print(f"{'size':>7} {'check':>10} {'suppress':>10} {'render':>10} {'fix':>10}   (ms per KB)")
    for kb in (10, 100, 1000):
        source = storyboard(kb)
        diags = check(source, "bench.llv")[1]
        shown = apply(diags, source, "bench.llv")
        times = {
            "check": cpu(lambda source=source: check(source, "bench.llv")),
            "suppress": cpu(lambda source=source, diags=diags: apply(diags, source, "bench.llv")),
            "render": cpu(lambda source=source, shown=shown: (
                [render_text(d, source) for d in shown], render_sarif(shown, {"bench.llv": source}), render_json(shown))),
            "fix": cpu(lambda source=source: fix_source(source, "bench.llv")),
        }
        rows[kb] = {k: v / kb for k, v in times.items()}
        print(f"{kb:>5}KB " + " ".join(f"{rows[kb][k] * 1e3:>10.3f}" for k in times))
    for k in rows[10]:
        ratio = rows[1000][k] / rows[10][k]
        print(f"{k}: time per KB at 1 MB is {ratio:.2f}x that at 10 KB (target <= 2x)")
    for shots in (100, 1000):
        source = 'scene "Long take"\n  shot ' + PROMPT + "\n" + "".join(
            f"  shot at {k * 10} {PROMPT}\n" for k in range(1, shots))
        t0 = time.process_time()
        result = fix_source(source, "bench.llv")
        took = time.process_time() - t0
        base = cpu(lambda source=source: check(source, "bench.llv"))
        print(f"long take of {shots} shots: fix {took * 1e3:.0f} ms = {took / base:.1f}x one check; "
              f"{len(result.applied)} fix applied, {len(result.remaining)} problems left")


if __name__ == "__main__":
    main()
