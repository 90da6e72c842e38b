"""Hypothesis strategies for storyboards that are valid by construction."""

from dataclasses import dataclass
from fractions import Fraction

from hypothesis import strategies as st

from longlive_dsl import model

WORDS = ("amber", "fox", "river", "lens", "dolly", "mist", "copper", "harbour", "lantern", "slow", "push-in",
         "teal", "grain", "dawn", "cliff", "wide", "macro", "storm", "neon", "velvet", "orbit", "pan")


@dataclass
class ShotSpec:
    start: int
    length: int | None
    write_at: bool
    prompt: str


@dataclass
class SceneSpec:
    name: str
    start: int
    length: int
    write_at: bool
    shots: list[ShotSpec]


prompts = st.lists(st.sampled_from(WORDS), min_size=20, max_size=30).map(" ".join)


@st.composite
def scene_specs(draw, start: int):
    """One scene starting at `start`: 1–4 shots, strictly increasing, inside the 48-chunk budget."""
    length = draw(st.integers(min_value=1, max_value=47))
    n = draw(st.integers(min_value=1, max_value=min(4, length)))
    offsets = sorted(draw(st.sets(st.integers(min_value=1, max_value=length - 1), min_size=n - 1, max_size=n - 1))) \
        if length > 1 else []
    starts = [start] + [start + o for o in offsets]
    shots = []
    for i, s in enumerate(starts):
        nxt = starts[i + 1] if i + 1 < len(starts) else start + length
        # A shot is placed by its own `at` or by the previous shot's `for`; draw which.
        shots.append(ShotSpec(s, nxt - s, write_at=False, prompt=draw(prompts)))
    for i in range(1, len(shots)):
        shots[i].write_at = draw(st.booleans())
        if shots[i].write_at and draw(st.booleans()):
            shots[i - 1].length = None  # placed by `at`: the previous shot may omit its length
    if not draw(st.booleans()):
        shots[-1].length = None  # the scene's own `for` decides
    name = draw(st.text(alphabet="abcdefghij ", min_size=1, max_size=12).filter(lambda t: t.strip()))
    return SceneSpec(name.strip(), start, length, write_at=draw(st.booleans()), shots=shots)


@st.composite
def storyboards(draw):
    """A list of SceneSpecs, each scene starting where the previous one ends."""
    scenes = []
    start = 0
    for _ in range(draw(st.integers(min_value=1, max_value=5))):
        scene = draw(scene_specs(start))
        scenes.append(scene)
        start += scene.length
    return scenes


def time_text(chunks: int, as_seconds: bool, frames: int | None = None) -> str:
    """A chunk count written as chunks, or (given the frames it spans on the clock) as seconds exact to
    a thousandth, which converts back to the same chunk count."""
    return f"{frames / 24:.3f}s" if as_seconds else str(chunks)


def render(scenes: list[SceneSpec], seconds: bool = False, clock: model.Clock | None = None) -> list[str]:
    """The storyboard as statement lines (no comments, no indentation).

    With `seconds`, every time is written in seconds on `clock` (named in a `clock` statement;
    default the docs clock): lengths count from where they start, positions count every earlier
    scene's chunks, as the language does.
    """
    clock = clock or model.DOCS_CLOCK
    starts = [sc.start for sc in scenes]
    lines = ['title "generated"', "seed 7"] + ([f"clock {clock.name}"] if seconds else [])

    def at(chunk: int) -> str:
        return time_text(chunk, seconds, clock.session_frames(starts, chunk))

    for i, sc in enumerate(scenes):
        head = f'scene "{sc.name}"'
        if i and sc.write_at:
            head += f" at {at(sc.start)}"
        head += f" for {time_text(sc.length, seconds, clock.scene_frames(sc.length))}"
        lines.append(head)
        for j, shot in enumerate(sc.shots):
            text = "shot"
            if j and shot.write_at:
                text += f" at {at(shot.start)}"
            if shot.length is not None:
                into = shot.start - sc.start
                frames = clock.scene_frames(into + shot.length) - clock.scene_frames(into)
                text += f" for {time_text(shot.length, seconds, frames)}"
            lines.append(f'{text} "{shot.prompt}"')
    return lines


# ---- times as written, and what they mean --------------------------------------------------------------------


@st.composite
def written_times(draw):
    """(text, value): a time in one of the spec's forms, with its exact value (int chunks or Fraction seconds)."""
    form = draw(st.sampled_from(["chunks", "seconds", "m:ss", "h:mm:ss"]))
    plus = draw(st.sampled_from(["", "+"]))
    zeros = "0" * draw(st.integers(0, 3))
    decimals = draw(st.integers(0, 9))
    frac_digits = "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=decimals, max_size=decimals)))
    frac = Fraction(int(frac_digits or "0"), 10 ** len(frac_digits))
    dot = f".{frac_digits}" if frac_digits else ""
    if form == "chunks":
        n = draw(st.integers(0, 1_000_000))
        return f"{plus}{zeros}{n}", n
    if form == "seconds":
        n = draw(st.integers(0, 999_999))
        return f"{plus}{zeros}{n}{dot}s", n + frac
    ss = draw(st.integers(0, 59))
    if form == "m:ss":
        m = draw(st.integers(0, 16_665))
        return f"{plus}{m}:{ss:02d}{dot}", m * 60 + ss + frac
    h, mm = draw(st.integers(0, 276)), draw(st.integers(0, 59))
    return f"{plus}{h}:{mm:02d}:{ss:02d}{dot}", h * 3600 + mm * 60 + ss + frac


@st.composite
def negative_times(draw):
    """A negative time of any size and form: `-0.001s` to hundreds of digits."""
    text, value = draw(written_times())
    if value == 0:
        text, value = "1", 1
    huge = draw(st.booleans())
    body = text.lstrip("+")
    if huge:
        body = "9" * draw(st.integers(8, 6000)) + draw(st.sampled_from(["", "s", ":00", ".5s"]))
    return "-" + body


# Decimal digits of other scripts: Arabic-Indic, Devanagari, fullwidth, Bengali, Thai, mathematical bold.
FOREIGN_ZEROS = (0x660, 0x966, 0xFF10, 0x9E6, 0xE50, 0x1D7CE)


@st.composite
def foreign_digit_times(draw):
    """(text, ascii): a valid time with at least one digit written in another script, and its 0-9 spelling."""
    text, _ = draw(written_times())
    places = [i for i, c in enumerate(text) if c.isdigit()]
    chosen = draw(st.sets(st.sampled_from(places), min_size=1))
    zero = draw(st.sampled_from(FOREIGN_ZEROS))
    foreign = "".join(chr(zero + int(c)) if i in chosen else c for i, c in enumerate(text))
    return foreign, text


huge_times = st.one_of(
    st.integers(1_000_001, 10**40).map(str),
    st.integers(1_000_001, 10**30).map(lambda n: f"{n}s"),
    st.integers(16_667, 10**20).map(lambda n: f"{n}:00"),
    st.integers(8, 7000).map(lambda n: "9" * n),
)


KEYWORDS = ("title", "seed", "define", "scene", "shot", "end", "at", "for")


@st.composite
def misspelt_keywords(draw):
    """(word, keyword): a keyword run on into letters (`shots`, `atlas`), or with one letter swapped."""
    keyword = draw(st.sampled_from(("scene", "shot", "at", "for")))
    if draw(st.booleans()):
        return keyword + draw(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=4)), keyword
    i = draw(st.integers(0, len(keyword) - 2))
    swapped = keyword[:i] + keyword[i + 1] + keyword[i] + keyword[i + 2 :]
    return swapped, keyword


# One broken statement each; none of them disturbs the lines around it.
BROKEN_LINES = (
    'shto "a fox"',
    'shot for "a fox"',
    'scene "B" @ 3',
    'shot at "a fox"',
    'shot hello',
    'define = "x"',
    "seed",
    'shot "unclosed',
    "{ stray }",
    'scene "C" for for',
)


@st.composite
def broken_storyboards(draw):
    """(source, lines): a valid storyboard with broken statements put in, and the line numbers they are on."""
    lines = render(draw(storyboards()))
    picks = draw(st.lists(st.tuples(st.integers(2, len(lines)), st.sampled_from(BROKEN_LINES)),
                          min_size=1, max_size=8, unique_by=lambda p: p[0]))
    for at, broken in sorted(picks, reverse=True):
        lines.insert(at, broken)
    broken_at = [i + 1 for i, line in enumerate(lines) if line in BROKEN_LINES]
    return "\n".join(lines) + "\n", broken_at


@st.composite
def prompts_with_braces(draw):
    """(literal, triple): a prompt's text as written, mixing words, escapes, lines and brace tokens of every kind."""
    triple = draw(st.booleans())
    pieces = st.sampled_from(WORDS + ("{", "}", "{{", "}}", "{look}", "{lok}", "{nope}", " ", '\\"', "\\\\")
                             + (("\n",) if triple else ()))
    return "".join(draw(st.lists(pieces, max_size=60))), triple
