"""Benchmark: the editor tools against the pipeline they sit on.

- `llv fmt` with its self-check (parse the output again, compare meaning and wire, format once more)
  against formatting without it; target: the check costs at most 6x formatting alone.
- `llv timeline` on a storyboard whose `end at` lies 10^9 chunks away against one that ends where it
  plays; target: within 3x (the picture is bounded, not drawn chunk by chunk).
Run: `make bench` or `.venv/bin/python bench/bench_tools.py`.
"""

from __future__ import annotations

import sys

from timing import best_of  # bench/timing.py

from longlive_dsl import check
from longlive_dsl.tools.fmt import format_source
from longlive_dsl.tools.timeline_view import render_html

PROMPT = ("A red fox trots across a frosted meadow at sunrise, breath steaming, a low tracking shot at 50mm "
          "with warm amber backlight and soft mist")




def messy(scenes: int) -> str:
    """A storyboard far from the canonical layout: odd spacing, comments, timings out of order."""
    return "".join(f'scene   "S{i}"  for 8   # scene {i}\n      shot for 4   "{PROMPT}"\n  shot   for 4 at {8 * i + 4} "{PROMPT}"\n'
                   for i in range(scenes))


def main() -> int:
    ok = True
    print(f"{'KB':>6} {'fmt+check':>10} {'fmt only':>10} {'ratio':>7}")
    for scenes in (100, 1_000, 4_000):
        source = messy(scenes)
        checked = best_of(lambda source=source: format_source(source, "b.llv"), 3)
        plain = best_of(lambda source=source: format_source(source, "b.llv", verify=False), 3)
        ratio = checked / plain
        ok &= ratio <= 6
        print(f"{len(source) // 1024:>6} {checked * 1e3:>8.1f}ms {plain * 1e3:>8.1f}ms {ratio:>6.1f}x")
    near = f'scene "A"\n  shot "{PROMPT}"\nend at 40\n'
    far = f'scene "A"\n  shot "{PROMPT}"\nend at 1000000000\n'
    times = {}
    for name, source in (("end at 40", near), ("end at 10^9", far)):
        tl, diagnostics = check(source)
        times[name] = best_of(lambda tl=tl, d=diagnostics: render_html(tl, d), 20)
    ratio = times["end at 10^9"] / times["end at 40"]
    ok &= ratio <= 3
    print(f"timeline picture: end at 10^9 {times['end at 10^9'] * 1e3:.2f}ms, end at 40 "
          f"{times['end at 40'] * 1e3:.2f}ms: {ratio:.1f}x")
    print("OK" if ok else "over target")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
