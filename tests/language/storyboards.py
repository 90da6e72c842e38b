"""Hypothesis strategies for storyboards that are valid by construction."""

from dataclasses import dataclass

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
