"""Benchmark: error recovery against a clean parse, and the once-quadratic inputs at 10 KB, 100 KB and 1 MB.

1. A storyboard of ~0.44 MB, clean and with 20 syntax errors spread through it: the time to parse
   each and their ratio (target: the broken file costs at most 2x the clean one; recovery is one pass).
2. For each input that used to take quadratic time or memory (stray `{` in one prompt, unknown
   `{names}`, shots that each expand a define, comments, unknown keywords, lines of unclosed
   quotes), the time per KB at 10 KB, 100 KB and 1 MB and its ratio to the 10 KB figure of the same
   input (target: flat, within 2x; tiny figures are noisy), next to a clean storyboard of the same
   size as the baseline measured in this run.
Run: `.venv/bin/python bench/bench_language_bounds.py` (under a minute).
"""

from __future__ import annotations

from timing import best_of  # bench/timing.py

from longlive_dsl import check, parse

PROMPT = ("amber light drifts over a quiet harbour while a slow dolly glides past copper lanterns, 35mm lens, "
          "teal and ochre palette, soft film grain, gentle mist")
SIZES = (10_000, 100_000, 1_000_000)




def repeats(size: int) -> int:
    return 10 if size <= 10_000 else 3 if size <= 100_000 else 1


def clean(size: int) -> str:
    """A valid storyboard of about `size` characters: scenes of ten 4-chunk shots."""
    lines, i = ['title "bench"', 'define look = "35mm lens, soft grain"'], 0
    while sum(len(x) + 1 for x in lines) < size:
        if i % 10 == 0:
            lines.append(f'scene "Scene {i // 10}" for 40')
        lines.append(f'  shot for 4 "Beat {i}: {PROMPT}, {{look}}."')
        i += 1
    return "\n".join(lines) + "\n"


def with_errors(source: str, count: int) -> str:
    """The storyboard with `count` broken statements spread evenly through it."""
    lines = source.split("\n")
    step = len(lines) // (count + 1)
    for k in range(count, 0, -1):
        lines.insert(k * step, '  shot for "a prompt where a length should be"')
    return "\n".join(lines)


def stray_braces(size: int) -> str:
    return 'scene "A"\n  shot "' + "{ " * (size // 2) + '"\n'


def unknown_names(size: int) -> str:
    return 'scene "A"\n  shot "' + " ".join(f"{{n{i}}}" for i in range(size // 8)) + '"\n'


def expanding_shots(size: int) -> str:
    big = "word " * 400  # a 2,000-character define every shot inserts: 100x the file at 1 MB, unless bounded
    head = f'define big = "{big}"\nscene "A"\n'
    shot = '  shot at 1 "{big}"\n'
    return head + shot * max(1, (size - len(head)) // len(shot))


def comments(size: int) -> str:
    return clean(size // 2) + "# a note about the scene above\n" * (size // 2 // 31)


def unknown_keywords(size: int) -> str:
    return 'scene "A"\n' + '  shots "x"\n' * (size // 12)


def unclosed_quotes(size: int) -> str:
    return 'scene "A"\n  shot "x"\n' + ('"\\' * 50 + "\n") * (size // 101)


def recovery() -> None:
    source = clean(440_000)
    broken = with_errors(source, 20)
    assert parse(source)[0] is not None and len(parse(broken)[1]) == 20
    t_clean = best_of(lambda: parse(source), 3)
    t_broken = best_of(lambda: parse(broken), 3)
    print(f"error recovery, parsing {len(source) / 1e6:.2f} MB: clean {t_clean * 1e3:.0f} ms, with 20 errors "
          f"{t_broken * 1e3:.0f} ms; ratio {t_broken / t_clean:.2f}x (target <= 2x)")


def scaling() -> None:
    cases = {"clean storyboard (baseline)": clean, "stray `{` in one prompt": stray_braces,
             "unknown `{names}` in one prompt": unknown_names, "shots expanding a 2 KB define": expanding_shots,
             "comments": comments, "unknown keywords (`shots`)": unknown_keywords,
             'lines of unclosed `"\\`': unclosed_quotes}
    print(f"{'input':<34}" + "".join(f"{f'{s // 1000} KB':>12}" for s in SIZES) + f"{'1 MB / 10 KB':>14}  vs baseline")
    baseline = {}
    for name, make in cases.items():
        per_kb = {}
        for size in SIZES:
            source = make(size)
            per_kb[size] = best_of(lambda text=source: check(text), repeats(size)) / (len(source) / 1000)
        if not baseline:
            baseline = per_kb
        ratio = per_kb[SIZES[-1]] / per_kb[SIZES[0]]
        versus = per_kb[SIZES[-1]] / baseline[SIZES[-1]]
        print(f"{name:<34}" + "".join(f"{per_kb[s] * 1e6:>9.0f} us" for s in SIZES) + f"{ratio:>13.2f}x  {versus:.2f}x")
    print("(time per KB of input; the last columns: 1 MB against 10 KB of the same input (target: within 2x), "
          "and against the clean storyboard at 1 MB)")


if __name__ == "__main__":
    recovery()
    scaling()
