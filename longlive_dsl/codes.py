"""Every diagnostic code llv can report: its severity, a title, and an explanation with an example.

Codes are stable once published: never renumber one, only add. `llv explain CODE` prints these.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from . import model
from .diagnostics import ERROR, NOTE, WARNING


def _s(frames: int, digits: int = 1) -> str:
    return f"{frames / model.FPS:.{digits}f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Code:
    code: str
    severity: str
    title: str
    explanation: str
    example: str


def table() -> list[Code]:
    """Every code, its numbers read from model.py (and the checks' own limits) as they are now."""
    from .checks import LONG_PROMPT_WORDS, TERSE_PROMPT_WORDS
    from .syntax.errors import STATEMENT_WORDS
    from .timeline import MAX_EXPANSION_CHARS, MAX_PROMPT_CHARS

    measured, docs, budget = model.MEASURED_CLOCK, model.DOCS_CLOCK, model.SCENE_BUDGET_CHUNKS
    seed_bits = (model.SEED_MAX - model.SEED_MIN).bit_length()
    return [
        # ---- syntax ---------------------------------------------------------------------------
        Code("E101", ERROR, "syntax error",
             "The text does not follow the .llv grammar at this point. The message says what was "
             "expected there, in plain words.",
             'scene "Dawn"\n  shot for "a prompt"   # `for` needs a length: shot for 4 "..."'),
        Code("E102", ERROR, "unclosed string",
             'A string opened with " must close with " on the same line; a string opened with """ '
             'must close with """. Use """ for prompts that span several lines.',
             'shot "A lighthouse at dusk\n# fix: shot "A lighthouse at dusk"'),
        Code("E103", ERROR, "unknown keyword",
             f"Every statement starts with one of: {', '.join(STATEMENT_WORDS)}. Timings use "
             "`at` and `for`. A misspelt keyword, or one run into more letters (`shots`, `atlas`), is "
             "reported as one unknown word with the closest real keyword.",
             'scene "Dawn"\n  shto "..."   # did you mean `shot`?'),
        Code("E104", ERROR, "unexpected character",
             "This character cannot start anything in a .llv file. Prompts go inside quotes; comments "
             "start with #.",
             'scene "Dawn" @ 5   # use: scene "Dawn" at 5'),
        Code("E105", ERROR, "too many syntax errors",
             "llv stops reporting syntax errors after a limit; fix the first ones and run again.",
             ""),
        # ---- structure ------------------------------------------------------------------------
        Code("E201", ERROR, "header after the first scene",
             "`title`, `seed` and `define` are headers: they come before the first `scene`.",
             'scene "A"\n  shot "..."\ndefine look = "..."   # move above the first scene'),
        Code("E202", ERROR, "shot before any scene",
             "Every `shot` belongs to the nearest `scene` above it, so the first shot needs a scene "
             "before it.",
             'shot "..."        # add a line `scene "Opening"` above'),
        Code("E203", ERROR, "scene without shots",
             "A scene needs at least one shot: its first shot is what plays when the scene begins.",
             'scene "Empty"\nscene "Next"\n  shot "..."'),
        Code("E204", ERROR, "no scene",
             "A storyboard needs at least one scene with one shot; without it there is nothing to "
             "generate.",
             'title "Only a title"'),
        Code("E205", ERROR, "repeated header",
             "`title` and `seed` may each appear at most once.",
             'seed 1\nseed 2   # keep one'),
        Code("E206", ERROR, "repeated timing",
             "A scene or shot takes at most one `at` and one `for`.",
             'shot at 3 at 5 "..."'),
        Code("E207", ERROR, "variant before any scene",
             "A `variant` continues the opening above it: the shared scenes come first, then each "
             "`variant \"name\"` line starts one alternative, which runs to the next `variant` or the end "
             "of the file. A variant above the first scene has no opening to continue.",
             'variant "a"   # move below the opening scene\nscene "Opening"\n  shot "..."'),
        Code("E208", ERROR, "duplicate variant name",
             "Every variant compiles to its own program, named `FILE@name`, so variant names are unique "
             "within a file.",
             'variant "rain"\n  shot "..."\nvariant "rain"   # rename one'),
        Code("E209", ERROR, "unusable variant name",
             "A variant's name becomes part of program and file names (`FILE@name`, a take's folder), so "
             "it is 1 to 40 letters, digits, `-` or `_`.",
             'variant "night time!"   # write: variant "night-time"'),
        Code("E210", ERROR, "include cannot be read",
             "`include \"path.llv\"` reads another file's defines; the path is relative to the including "
             "file's folder, and the file must exist and be a readable UTF-8 storyboard.",
             'include "cast.llv"   # no such file next to this one'),
        Code("E211", ERROR, "include cycle",
             "A file that includes itself, directly or through other files, would never end; each file "
             "may be included once, from files that it does not include.",
             '# a.llv\ninclude "b.llv"\n# b.llv\ninclude "a.llv"   # refused: a.llv -> b.llv -> a.llv'),
        Code("E212", ERROR, "not a define in an included file",
             "An included file is a library of defines (a cast, a look); its scenes, shots and other "
             "statements would have no place in the including storyboard.",
             '# looks.llv\ndefine dusk = "..."\nscene "A"   # refused: only defines (and includes)'),
        # ---- values ---------------------------------------------------------------------------
        Code("E301", ERROR, "malformed time",
             "A time is a whole chunk count (12), seconds (6s, 7.5s), minutes:seconds (1:05, 1:05.5) or "
             "hours:minutes:seconds (1:02:05), written with the digits 0-9; the parts after a `:` are two "
             "digits below 60. A chunk count cannot have a fraction: add `s` for seconds.",
             'shot for 2.5 "..."   # write 2.5s, or a whole number of chunks'),
        Code("E302", ERROR, "negative time",
             "Positions and lengths are counted from the start of the run and cannot be negative, "
             "however small (`-0.1s`) or large.",
             'shot at -3 "..."'),
        Code("E303", ERROR, "zero length",
             "`for 0` gives a scene or shot no time at all; remove it or give a positive length. A "
             "length in seconds shorter than half a chunk (`for 0.5s`) rounds to no time too: the "
             "shortest length is `for 1`.",
             'shot for 0 "..."'),
        Code("E304", ERROR, "seed out of range",
             f"The model's seed is a signed {seed_bits}-bit integer written with the digits 0-9: from {model.SEED_MIN} to "
             f"{model.SEED_MAX} (the hosted model documents only an integer, so llv keeps to the range every client "
             "can send).",
             f"seed {2 * (model.SEED_MAX + 1)}"),
        Code("E305", ERROR, "unknown clock profile",
             f"`clock` names the chunk clock seconds are converted on: `measured` (the default: "
             f"{measured.describe()}, as Reactor measured the hosted model) or `docs` ({docs.describe()}, as "
             "the published docs say). `--clock` on the command line overrides it.",
             "clock fast   # use: clock measured, or clock docs"),
        Code("E306", ERROR, "time out of range",
             f"llv reads times up to {model.MAX_TIME_CHUNKS:,} chunks or {model.MAX_TIME_SECONDS:,} seconds (about two weeks of "
             "video); anything larger is refused rather than planned.",
             'scene "A"\n  shot "..."\nend at 99999999999'),
        # ---- prompts and defines --------------------------------------------------------------
        Code("E401", ERROR, "empty prompt",
             "After whitespace folding the prompt is empty; the model refuses empty prompts.",
             'shot "   "'),
        Code("E402", ERROR, "unknown name",
             "`{name}` inserts a define's text, and the define must appear above its use. Write "
             "`{{` and `}}` for literal braces.",
             'define look = "35mm, warm light"\nscene "A"\n  shot "A cat, {lok}."   # did you mean {look}?'),
        Code("E403", ERROR, "duplicate define",
             "Each define name may be defined once; rename one of them.",
             'define look = "warm"\ndefine look = "cold"'),
        Code("E404", ERROR, "stray brace",
             "A single `{` or `}` that is not part of `{name}`. Write `{{` or `}}` for a literal brace.",
             'shot "a sign reading {open"   # use {{open'),
        Code("E405", ERROR, "expansion too large",
             "Interpolating defines into one another grew a prompt past the size llv accepts "
             f"({MAX_PROMPT_CHARS:,} characters), or the prompts of the whole file past {MAX_EXPANSION_CHARS:,} "
             "characters. Prompts that long "
             "are far beyond what the model reads.",
             'define a = "..."\ndefine b = "{a}{a}{a}{a}"\ndefine c = "{b}{b}{b}{b}"  # ...'),
        Code("E406", ERROR, "prompt too long for the model",
             f"The simulator refuses a prompt longer than {model.PROMPT_MAX_CHARS:,} characters (after "
             "`{name}` insertions and whitespace folding); the hosted model publishes no limit, so llv "
             "checks this one before a run rather than letting the run fail. Shorten the prompt, or move "
             "detail into the shots that need it.",
             f'define look = "... {model.PROMPT_MAX_CHARS:,} characters ..."\nscene "A"\n  shot "{{look}}, and more"'),
        # ---- timing ---------------------------------------------------------------------------
        Code("E501", ERROR, "first scene not at 0",
             "The first scene starts the run, at chunk 0.",
             'scene "A" at 5   # remove `at 5`'),
        Code("E502", ERROR, "first shot not at scene start",
             "A scene's first shot starts with the scene; a different `at` on it contradicts the scene.",
             'scene "A" at 10\n  shot at 12 "..."'),
        Code("E503", ERROR, "position cannot be derived",
             "llv places a scene or shot where the previous one ends, which needs that one's length "
             "(`for`) or an explicit `at` here.",
             'scene "A"\n  shot "..."\n  shot "..."     # add `for 4` to the first shot, or `at 4` here'),
        Code("E504", ERROR, f"scene longer than {budget} chunks",
             f"LongLive-2.0 completes a scene after {budget} chunks "
             f"(~{_s(measured.scene_frames(budget))} s on the measured clock); anything longer never plays. "
             "Split it with a new `scene` (a cut resets the budget).",
             f'scene "Long" for {budget + 12}'),
        Code("E505", ERROR, "beat never fires",
             f"A shot placed at or after its scene's auto-complete point (scene start + {budget}) never "
             "fires: the model completes the scene first. Start a new scene before that chunk or "
             "move the shot earlier.",
             f'scene "Long take"\n  shot "..."\n  shot at {budget + 2} "..."'),
        Code("E506", ERROR, "gap before a cut",
             f"The previous scene completes (its start + {budget}) before this cut's chunk, so the video "
             "ends and the cut never fires.",
             f'scene "A"\n  shot "..."\nscene "B" at {budget + 12}\n  shot "..."'),
        Code("E507", ERROR, "position goes backwards or overlaps",
             "Beats play in order: each starts after the previous one, and not inside a length the "
             "previous one declared with `for`.",
             'scene "A"\n  shot for 6 "..."\n  shot at 4 "..."'),
        Code("E508", ERROR, "two beats on one chunk",
             "Only one prompt change can take effect on a chunk.",
             'scene "A"\n  shot for 4 "..."\n  shot at 4 "..."\n  shot at 4 "..."'),
        Code("E509", ERROR, "contradictory timing",
             "Two statements disagree about where something starts or ends, e.g. a scene `for 10` from "
             "chunk 5 while the next scene says `at 20`, or a shot whose `for` runs past its scene's "
             "`for` (whether or not it also runs past the scene's completion point).",
             'scene "A" for 10\n  shot "..."\nscene "B" at 20\n  shot "..."'),
        Code("E510", ERROR, "end out of place",
             "`end at T` stops the run after T chunks; it must be after the last beat, and above 0.",
             'scene "A"\n  shot for 4 "..."\n  shot for 4 "..."\nend at 3'),
        # ---- warnings -------------------------------------------------------------------------
        Code("W601", WARNING, "terse prompt",
             "LongLive conditions weakly on short prompts. Describe subject, action, setting, light, "
             f"lens and camera move, and palette (aim for {TERSE_PROMPT_WORDS} words or more).",
             'shot "a cat"'),
        Code("W602", WARNING, "very long prompt",
             f"Prompts over about {LONG_PROMPT_WORDS} words exceed what the text encoder attends to well; the tail is "
             "likely ignored. Move detail into the shots that need it.",
             ""),
        Code("W603", WARNING, "unused define",
             "This define is never interpolated; remove it or use it with `{name}`.",
             'define look = "..."   # never used'),
        Code("W604", WARNING, "duplicate scene name",
             "Two scenes share a name, which makes plans and run reports ambiguous.",
             'scene "A"\n  shot "..."\nscene "A"\n  shot "..."'),
        Code("W605", WARNING, f"cut on the {budget}-chunk edge",
             f"This cut lands exactly where the previous scene auto-completes (start + {budget}). The "
             "simulator fires it and resets the budget; the hosted model's exact boundary behaviour "
             "is unverified. One chunk earlier is safe.",
             f'scene "A"\n  shot "..."\nscene "B" at {budget}\n  shot "..."'),
        Code("W606", WARNING, "end after the model completes",
             "The last scene auto-completes before `end at` is reached, so the run stops earlier than "
             "the end says.",
             f'scene "A"\n  shot "..."\nend at {budget + 12}   # the scene completes at {budget}'),
        Code("W607", WARNING, "shot length leaves a hold",
             "This shot declares a `for` length but the next beat starts later; the shot's prompt keeps "
             "playing until then.",
             'scene "A" for 20\n  shot for 4 "..."\n  shot at 10 "..."'),
        Code("W608", WARNING, "suppression that cannot work",
             "A `# llv:` comment that llv cannot use: not of the form `# llv: ignore[CODE, …]` (this line) "
             "or `# llv: ignore-file[CODE, …]` (the whole file), or naming a code that does not exist or "
             "an error. Errors cannot be suppressed or ignored: an error means the storyboard does not "
             "compile. Configuration (`[tool.llv]` in pyproject.toml, or llv.toml) selects and ignores "
             "codes for a whole project.",
             'shot "a cat"   # llv: ignore[E505]   (an error: fix it instead)'),
        Code("N701", NOTE, "inexact seconds",
             f"Seconds and timecodes convert to whole chunks on the storyboard's clock, scene by scene: on the "
             f"measured clock (the default) {measured.describe()} at {model.FPS} fps, so a scene's first "
             f"chunk lasts {_s(measured.first_chunk_frames, 3)} s and each later one {_s(measured.later_chunk_frames, 3)} s; "
             f"on the docs clock {docs.describe()}. A cut starts a new first-sized chunk. This value is more than "
             "half a frame away from a chunk boundary, so it is rounded to the nearest.",
             f'shot for 6s "..."   # {model.FPS * 6} frames: {1 + (model.FPS * 6 - measured.first_chunk_frames) / measured.later_chunk_frames:.2f} chunks -> {measured.nearest_chunks(Fraction(6))[0]} '
             '(measured clock)'),
    ]

CODES: dict[str, Code] = {c.code: c for c in table()}


def explain(code: str) -> str | None:
    """A readable explanation of one code, or None if there is no such code."""
    c = CODES.get(code.strip().upper())
    if c is None:
        return None
    text = f"{c.code} ({c.severity}): {c.title}\n\n{c.explanation}\n"
    if c.example:
        example = "\n".join("    " + line for line in c.example.splitlines())
        text += f"\nExample:\n\n{example}\n"
    return text


def markdown() -> str:
    """docs/codes.md: every code with its explanation and example (tests keep the file in sync)."""
    out = ["# Diagnostic codes", "",
           "Generated from `longlive_dsl/codes.py` by `python -m longlive_dsl.codes > docs/codes.md`; "
           "`llv explain CODE` prints the same text.", ""]
    for c in CODES.values():
        out += [f"## {c.code} — {c.title} ({c.severity})", "", c.explanation, ""]
        if c.example:
            out += ["```llv", c.example, "```", ""]
    return "\n".join(out)


if __name__ == "__main__":
    print(markdown(), end="")
