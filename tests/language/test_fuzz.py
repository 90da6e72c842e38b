"""Fuzzing: the examples, mutated, through `llv lint`, `llv plan` and `llv compile` in-process.

Each mutant must give an exit code of 0, 1 or 2 (never 70, llv's internal error), print no traceback,
finish in bounded time and print a bounded amount. LLV_FUZZ_CASES sets how many mutants run (default
120); the seed of each is its number, so a failure names the mutant that reproduces it.
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import time
from pathlib import Path

import pytest

from longlive_dsl import cli

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.llv"))
CASES = int(os.environ.get("LLV_FUZZ_CASES", "120"))
SECONDS_PER_COMMAND = 30  # generous: a normal run takes milliseconds; only runaway work comes near it

FOREIGN_DIGITS = "٠١٢٣٤٥٦٧٨٩०१२३४५६७८९０１２３４５６７８９𝟎𝟏𝟐"
TOKENS = [
    "scene", "shot", "title", "seed", "define", "end", "at", "for", "=", "shots", "scenes", "shotgun", "atlas",
    '"', '"""', "{", "}", "{{", "}}", "{look}", "{nope}", "{ {", "#", "\\", '\\"', "\n", "\r", "\r\n", "\t",
    "\x00", "\x1b[31m", "\ufeff", "😀", "中文", "e\u0301", "-", "+", ":", ".", "s",
    "0", "-3", "-0.1s", "1:05", "1:75", "1:02:03", "1:2:3:4", "7.5s", "2.5", "48", "49", "0.3s",
    "9" * 400, "9" * 5000, "-" + "9" * 5000, "1000000", "1000001", "99999999999999999999s",
    "٣", "１２", "1:٠٥",
]


def mutate(source: str, rng: random.Random) -> str:
    """One to five random edits: insertions of bytes and tokens, deletions, huge numbers, stray braces."""
    text = source
    for _ in range(rng.randint(1, 5)):
        pos = rng.randint(0, len(text))
        kind = rng.randrange(10)
        if kind == 0:
            text = text[:pos] + chr(rng.randrange(256)) + text[pos:]
        elif kind == 1:
            text = text[:pos] + rng.choice(TOKENS) + text[pos:]
        elif kind == 2:
            text = text[:pos] + text[pos + rng.randint(1, 40):]
        elif kind == 3:  # a number in the file becomes another one
            digits = [i for i, c in enumerate(text) if c.isdigit()]
            if digits:
                i = rng.choice(digits)
                text = text[:i] + rng.choice(TOKENS[-16:]) + text[i + 1:]
        elif kind == 4:  # a digit in another script
            digits = [i for i, c in enumerate(text) if c in "0123456789"]
            if digits:
                i = rng.choice(digits)
                text = text[:i] + rng.choice(FOREIGN_DIGITS) + text[i + 1:]
        elif kind == 5:  # many stray braces or unknown names inside a prompt
            quote = text.find('"', pos)
            if quote != -1:
                filler = rng.choice(["{ ", "} ", "{x} ", "{{ "]) * rng.choice([1, 10, 3000])
                text = text[: quote + 1] + filler + text[quote + 1:]
        elif kind == 6:  # a line repeated or dropped
            lines = text.split("\n")
            i = rng.randrange(len(lines))
            if rng.random() < 0.5:
                lines.insert(i, lines[i])
            else:
                del lines[i]
            text = "\n".join(lines)
        elif kind == 7:  # a keyword run into letters (`shots`, `atlas`)
            found = [i for i in range(len(text)) if text.startswith(("scene", "shot", " at ", " for "), i)]
            if found:
                i = rng.choice(found)
                end = text.find(" ", i + 1)
                end = len(text) if end == -1 else end
                text = text[:end] + rng.choice(["s", "gun", "las", "mat", "_x"]) + text[end:]
        elif kind == 8:  # a line repeated hundreds of times (bulk input of one kind)
            lines = text.split("\n")
            i = rng.randrange(len(lines))
            lines[i:i + 1] = [lines[i]] * rng.choice([100, 1000])
            text = "\n".join(lines)
        else:
            text = text[:pos]
    return text


def run_command(argv: list[str]) -> tuple[int, str, float]:
    out, err = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    return code, out.getvalue() + err.getvalue(), time.perf_counter() - started


@pytest.fixture(autouse=True)
def no_debug(monkeypatch):
    monkeypatch.delenv("LLV_DEBUG", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.mark.parametrize("number", range(CASES))
def test_a_mutated_example_is_refused_or_accepted_never_crashes(number, tmp_path):
    rng = random.Random(number)
    example = EXAMPLES[number % len(EXAMPLES)]
    source = mutate(example.read_text(encoding="utf-8"), rng)
    path = tmp_path / "mutant.llv"
    path.write_text(source, encoding="utf-8", errors="surrogatepass")
    for command in (["lint"], ["plan"], ["compile"]):
        code, output, seconds = run_command([*command, str(path)])
        where = f"llv {command[0]} on mutant {number} of {example.name}"
        assert code in (0, 1, 2), f"{where}: exit {code}\n{output[-2000:]}"
        assert "Traceback" not in output and "internal error" not in output, f"{where}\n{output[-2000:]}"
        assert seconds < SECONDS_PER_COMMAND, f"{where} took {seconds:.1f}s"
        assert len(output) < 200 * len(source) + 100_000, f"{where} printed {len(output):,} characters"
