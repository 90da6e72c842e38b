"""Import and export: the reference web app's JSON storyboard in, LongLive's offline formats out.

- `import_web_storyboard`: `[{"kind": "shot"|"cut", "prompt": "...", "atChunk": n}, ...]` (the shape
  the reference web app stores) -> readable .llv text. The first entry is the opener; every `cut`
  starts a scene; every other `shot` is a soft shot placed `at` its chunk. Bad input raises
  `StoryboardImportError` with each problem located (JSON path, line and column).
- `export_longlive_v1`: NVlabs/LongLive 1.0 interactive inference: one JSON Lines sample
  `{"prompts": [...]}` and the config's `switch_frame_indices` (latent frames) and `seed`.
- `export_longlive_v2`: NVlabs/LongLive 2.0 multi-shot inference: the folder its
  `MultiTextConcatDataset` reads (`caption/<sample>/N.json` + `shot_durations.txt`, one shot entry
  per beat) and the config keys beside it (`data_path`, `num_output_frames`, `seed`).
- The JSON Schema of the compiled Program that `llv schema` prints (the wire-trace records' schema
  lives with their models and the writer, in `longlive_dsl/runtime/trace.py`).

Exports start from the compiled Program (never a second parser or checker): a storyboard with
errors is not exported.
"""

from __future__ import annotations

import json
import math
import os
import re
import textwrap
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from .. import model
from ..diagnostics import Span
from ..program import Beat, Program, SetSeed, SourceSpan

# ============================================================================================
# Import: the web app's JSON storyboard
# ============================================================================================


class WebBeat(BaseModel):
    """One entry of the web app's storyboard list. Unknown extra fields (ids, colours…) are ignored."""

    # Strict: `true` or "7" is not a chunk number, and nothing is silently coerced.
    model_config = ConfigDict(extra="ignore", strict=True)

    kind: Literal["shot", "cut"]
    prompt: str
    atChunk: int = Field(ge=0)  # noqa: N815 (the web app's spelling)


WebStoryboard = TypeAdapter(list[WebBeat])


@dataclass(frozen=True)
class ImportProblem:
    """One thing wrong with an input file: where (JSON path, 1-based line/column) and what."""

    file: str
    path: str  # e.g. "[3].atChunk", "" for the whole document
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        where = f" {self.path}:" if self.path else ""
        return f"{self.file}:{self.line}:{self.column}: error:{where} {self.message}"


class StoryboardImportError(Exception):
    """The input is not a web-app storyboard; `problems` says every reason found, located."""

    def __init__(self, problems: list[ImportProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _json_positions(text: str) -> dict[tuple, int]:
    """Offsets of every value (and, for object members, of their key) in a JSON text, by path.

    Keys of the result are paths like `(3, "atChunk")`. The text must already parse as JSON.
    """
    decoder = json.JSONDecoder()
    ws = re.compile(r"[ \t\n\r]*")
    positions: dict[tuple, int] = {}

    def skip(i: int) -> int:
        m = ws.match(text, i)  # always matches: the pattern may be empty
        return m.end() if m else i

    def value(i: int, path: tuple) -> int:
        i = skip(i)
        positions[path] = i
        ch = text[i]
        if ch == "[":
            i = skip(i + 1)
            if text[i] == "]":
                return i + 1
            n = 0
            while True:
                i = skip(value(i, path + (n,)))
                n += 1
                if text[i] == ",":
                    i += 1
                    continue
                return i + 1  # "]"
        if ch == "{":
            i = skip(i + 1)
            if text[i] == "}":
                return i + 1
            while True:
                i = skip(i)
                key, after = decoder.raw_decode(text, i)
                positions[path + (("key", key),)] = i
                i = skip(after) + 1  # ":"
                i = skip(value(i, path + (key,)))
                if text[i] == ",":
                    i += 1
                    continue
                return i + 1  # "}"
        return decoder.raw_decode(text, i)[1]

    value(0, ())
    return positions


def _line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of an offset, as a diagnostic's Span counts them."""
    span = Span.of(text, offset, offset)
    return span.line, span.column


def _path_text(path: tuple) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


_PYDANTIC_MESSAGES = {
    "list_type": "the storyboard must be a JSON list of beats: [{\"kind\": …, \"prompt\": …, \"atChunk\": …}, …]",
    "model_type": "each beat must be an object {\"kind\": \"shot\"|\"cut\", \"prompt\": \"…\", \"atChunk\": n}",
    "literal_error": "`kind` must be \"shot\" (same scene) or \"cut\" (a new scene)",
    "string_type": "`prompt` must be a string",
    "int_type": "`atChunk` must be a whole number of chunks",
    "int_parsing": "`atChunk` must be a whole number of chunks",
    "int_from_float": "`atChunk` must be a whole number of chunks",
    "greater_than_equal": "`atChunk` cannot be negative: chunks count up from 0",
}


MAX_JSON_DEPTH = 32
"""Deepest nesting of lists and objects an imported file may have (a storyboard needs 2)."""

_JSON_NESTING = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _too_deep(text: str, file: str) -> ImportProblem | None:
    """The first bracket nested deeper than MAX_JSON_DEPTH, located (one linear scan, strings skipped)."""
    depth = 0
    for m in _JSON_NESTING.finditer(text):
        token = m.group()
        if token in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                line, col = _line_col(text, m.start())
                return ImportProblem(file, "", line, col, f"lists and objects nested more than {MAX_JSON_DEPTH} "
                                                          "deep; a storyboard is a list of beat objects")
        elif token in "]}":
            depth -= 1
    return None


def _found(value: object) -> str:
    """A short JSON rendering of a wrong value, for a message."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def parse_web_storyboard(text: str, file: str = "<input>") -> list[WebBeat]:
    """Validate a web-app JSON storyboard; raise StoryboardImportError listing every problem."""
    deep = _too_deep(text, file)
    if deep is not None:
        raise StoryboardImportError([deep])
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise StoryboardImportError([ImportProblem(file, "", e.lineno, e.colno, f"not valid JSON: {e.msg}")]) from None
    except (ValueError, RecursionError):  # a number with more digits than Python converts
        long = re.search(r"\d{1000,}", text)
        line, col = _line_col(text, long.start()) if long else (1, 1)
        raise StoryboardImportError([ImportProblem(file, "", line, col, "a number with thousands of digits: "
                                                                      "not a chunk number llv can read")]) from None
    positions = _json_positions(text)

    def at(path: tuple, message: str, key: bool = False) -> ImportProblem:
        offset = None
        if key and path:
            offset = positions.get(path[:-1] + (("key", path[-1]),))
        if offset is None:
            probe = path
            while probe not in positions and probe:
                probe = probe[:-1]
            offset = positions.get(probe, 0)
        line, col = _line_col(text, offset)
        return ImportProblem(file, _path_text(path), line, col, message)

    problems: list[ImportProblem] = []
    try:
        beats = WebStoryboard.validate_python(data)
    except ValidationError as e:
        for err in e.errors():
            loc = tuple(err["loc"])
            kind = err["type"]
            if kind == "missing":
                field = loc[-1]
                hint = {"prompt": "every beat needs a `prompt` string",
                        "kind": "every beat needs a `kind`: \"shot\" or \"cut\"",
                        "atChunk": "every beat needs an `atChunk`: the session chunk it starts at"}.get(str(field), "")
                problems.append(at(loc[:-1], f"missing `{field}`" + (f": {hint}" if hint else "")))
                continue
            message = _PYDANTIC_MESSAGES.get(kind, err["msg"])
            if kind == "literal_error":
                message = f"unknown kind {json.dumps(err.get('input'))}: " + message
            elif kind in ("greater_than_equal", "int_type", "string_type", "list_type", "model_type"):
                message = f"{message} (found {_found(err.get('input'))})"
            problems.append(at(loc, message))
        raise StoryboardImportError(problems) from None
    if not beats:
        raise StoryboardImportError([at((), "the storyboard is empty: it needs at least an opening beat")])
    last = None
    for i, beat in enumerate(beats):
        folded = " ".join(beat.prompt.split())
        if not folded:
            problems.append(at((i, "prompt"), "this prompt is empty; the model refuses empty prompts"))
        elif "\x00" in folded or any("\ud800" <= ch <= "\udfff" for ch in folded):
            problems.append(at((i, "prompt"), "this prompt contains a NUL or an unpaired surrogate character"))
        if i == 0:
            if beat.atChunk != 0:
                problems.append(at((0, "atChunk"), f"the first beat is the opener and plays from chunk 0, "
                                                   f"but its atChunk is {beat.atChunk}"))
        elif last is not None and beat.atChunk <= last:
            what = "on the same chunk as" if beat.atChunk == last else "before"
            problems.append(at((i, "atChunk"), f"atChunk {beat.atChunk} is {what} the previous beat's ({last}); "
                                               f"beats must be in increasing chunk order, one per chunk"))
        last = beat.atChunk if last is None else max(last, beat.atChunk)
    if problems:
        raise StoryboardImportError(problems)
    return beats


# ---- writing the .llv ------------------------------------------------------------------------

WRAP_WIDTH = 96
"""Prompts longer than fit on a `shot` line are written as indented triple-quoted blocks."""

ONE_LINE_PROMPT = 76
_ARTICLES = {"a", "an", "the"}
_LINKING = _ARTICLES | {"and", "or", "of", "at", "in", "on", "over", "under", "to", "into", "from", "by", "for",
                        "with", "as", "its", "his", "her", "their", "is", "are"}


def quote(text: str) -> str:
    """A folded prompt as a .llv string body: escapes for `\\` and `\"`, doubled braces (no interpolation)."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("{", "{{").replace("}", "}}")


def _string(text: str, indent: str) -> str:
    body = quote(text)
    if len(body) <= ONE_LINE_PROMPT:
        return f'"{body}"'
    inner = indent + "    "
    lines = textwrap.wrap(body, width=WRAP_WIDTH - len(inner), break_long_words=False, break_on_hyphens=False)
    return '"""\n' + "\n".join(inner + line for line in lines) + f'\n{indent}"""'


def scene_name(prompt: str, words: int = 3) -> str:
    """A short scene name from the first words of a prompt's first clause: `A chef chops eggplant…` -> `Chef chops eggplant`."""
    word = r"[^\W_]+(?:['’-][^\W_]+)*"
    clause = re.split(r"[,.:;!?()\[\]—–]", prompt, maxsplit=1)[0]
    found = re.findall(word, clause) or re.findall(word, prompt)
    while found and found[0].lower() in _ARTICLES and len(found) > 1:
        found.pop(0)
    found = found[:words]
    while len(found) > 1 and found[-1].lower() in _LINKING:
        found.pop()
    name = " ".join(found)
    return name[:1].upper() + name[1:]


def title_from_path(path: str) -> str:
    """`my_cool-story.v2.json` -> `My cool story v2`."""
    stem = os.path.basename(path)
    stem = re.sub(r"\.json$", "", stem, flags=re.I)
    words = [w for w in re.split(r"[\s_.\-]+", stem) if w]
    title = " ".join(words) or "Imported storyboard"
    return title[:1].upper() + title[1:]


def web_to_llv(beats: list[WebBeat], title: str | None = None, origin: str | None = None) -> str:
    """The .llv text of a validated web storyboard: a scene at every cut, soft shots `at` their chunk."""
    out: list[str] = []
    if origin:
        out.append(f"# Imported from {os.path.basename(origin)} by `llv import`.")
    if title:
        out.append(f"title {_string(' '.join(title.split()), '')}")
    used: dict[str, int] = {}
    for i, beat in enumerate(beats):
        prompt = " ".join(beat.prompt.split())
        if i == 0 or beat.kind == model.CUT:
            name = scene_name(prompt) or f"Scene {len(used) + 1}"
            count = used.get(name.lower(), 0) + 1
            used[name.lower()] = count
            if count > 1:
                name = f"{name} {count}"
            out.append("")
            out.append(f'scene "{quote(name)}"' + (f" at {beat.atChunk}" if i else ""))
            out.append(f"  shot {_string(prompt, '  ')}")
        else:
            out.append(f"  shot at {beat.atChunk} {_string(prompt, '  ')}")
    return "\n".join(out).lstrip("\n") + "\n"


def import_web_storyboard(text: str, file: str = "<input>", title: str | None = None) -> str:
    """JSON text -> .llv text (title from the file name unless given); StoryboardImportError on bad input."""
    beats = parse_web_storyboard(text, file)
    if title is None and file not in ("<input>", "<stdin>", "-"):
        title = title_from_path(file)
    return web_to_llv(beats, title, None if file in ("<input>", "<stdin>", "-") else file)


# ============================================================================================
# Export: LongLive's offline inference formats
# ============================================================================================

SCENE_CUT_PREFIX = "The scene transitions. "
"""LongLive 2.0's in-band hard-cut marker (`DEFAULT_SCENE_CUT_PREFIX` in its dataset code)."""

V1_LATENT_FRAMES_PER_SECOND = 4
"""LongLive 1.0 (Wan2.1 VAE, 4x temporal compression) writes 16 fps video: 4 latent frames a second."""

V1_FRAMES_PER_BLOCK = 3
"""LongLive 1.0's `num_frame_per_block`: a prompt switch takes effect at the next block boundary."""

V2_LATENT_FRAMES_PER_CHUNK = 8
"""LongLive 2.0's `num_frame_per_block`: one chunk (block) is 8 latent frames; `num_output_frames` counts these."""

V2_TEMPORAL_COMPRESSION = 4
"""LongLive 2.0's VAE (Wan2.2): latent frame 0 decodes to 1 frame, every later one to 4."""

V2_CONFIG_FILE = "inference_overrides.yaml"
"""The settings file `llv export --to longlive-v2` writes beside the `caption/` folder."""

V2_CONFIG_HEADER = "# LongLive 2.0 inference settings written by `llv export --to longlive-v2`"

SEED_MODULUS = 2**32
"""LongLive seeds numpy (`np.random.seed`), which takes 0..2**32-1; a negative seed is written modulo this."""


def run_clock(program: Program) -> tuple[model.Clock, int]:
    """The chunk clock the run plays on and the chunk count at which it stops (the one place exports ask)."""
    return program.clock.as_clock(), program.stops_at


def program_beats(program: Program) -> list[Beat]:
    """Every beat of a compiled program, in chunk order."""
    return sorted((b for s in program.scenes for b in s.beats), key=lambda b: b.chunk)


def program_seed(program: Program) -> tuple[int, SourceSpan] | None:
    """The storyboard's `seed` and where it is written, or None when it sets none."""
    spans = {entry.command_index: entry.span for entry in program.source_map}
    for i, command in enumerate(program.commands):
        if isinstance(command, SetSeed):
            return command.data.seed, spans[i]
    return None


def _seed_value(program: Program) -> int | None:
    found = program_seed(program)
    return None if found is None else found[0]


def longlive_seed(seed: int) -> int:
    """A storyboard seed as LongLive's offline inference can take it: the same 32 bits, unsigned."""
    return seed % SEED_MODULUS


def where(span: SourceSpan) -> str:
    """`FILE:LINE:COLUMN` of a source span, the prefix of a located message."""
    return f"{span.file}:{span.line}:{span.column}"


def seed_config_line(seed: int | None, indent: str = "") -> str:
    """The config's `seed:` line for a storyboard seed (a comment when the storyboard sets none)."""
    if seed is None:
        return f"{indent}# the storyboard sets no seed: the config's own `seed` applies"
    note = "" if seed >= 0 else f"  # the storyboard's seed {seed}, as the same 32 bits unsigned"
    return f"{indent}seed: {longlive_seed(seed)}{note}"


def chunk_to_v1_latent(chunk: int, clock: model.Clock = model.DEFAULT_CLOCK,
                       scene_starts: tuple[int, ...] = (0,)) -> int:
    """A session chunk's start as a LongLive 1.0 latent-frame index, on a block boundary.

    Time is kept: the chunk's start in seconds on the storyboard's clock (scenes opening at
    `scene_starts`), at 4 latent frames a second, rounded up to a multiple of `num_frame_per_block` (3),
    which is where LongLive 1.0 actually switches.
    """
    seconds = clock.seconds(clock.session_frames(scene_starts, chunk))
    latent = math.ceil(seconds * V1_LATENT_FRAMES_PER_SECOND)
    return math.ceil(latent / V1_FRAMES_PER_BLOCK) * V1_FRAMES_PER_BLOCK


@dataclass(frozen=True)
class V1Export:
    prompts: list[str]
    switch_frame_indices: list[int]
    num_output_frames: int
    cuts: int  # scene cuts flattened into plain prompt switches (1.0 has no cut)
    seed: int | None  # the storyboard's seed

    def jsonl(self) -> str:
        """The JSON Lines sample: one line `{"prompts": [...]}`."""
        return json.dumps({"prompts": self.prompts}, ensure_ascii=False) + "\n"

    def config(self, data_path: str | None = None) -> str:
        """The lines to set in `configs/longlive_interactive_inference.yaml`."""
        lines = ["# LongLive 1.0 interactive inference settings for this storyboard (written by `llv export`)"]
        if data_path:
            lines.append(f"data_path: {json.dumps(data_path)}")
        lines.append(f"num_output_frames: {self.num_output_frames}")
        lines.append(f"num_frame_per_block: {V1_FRAMES_PER_BLOCK}")
        indices = ", ".join(str(i) for i in self.switch_frame_indices)
        lines.append(f"switch_frame_indices: {indices}" if indices else "# one prompt: no switch_frame_indices")
        lines.append(seed_config_line(self.seed))
        return "\n".join(lines) + "\n"


def export_longlive_v1(program: Program) -> V1Export:
    """LongLive 1.0: one prompt per beat, switching at the beats' chunks converted to latent frames."""
    beats = program_beats(program)
    clock, stop = run_clock(program)
    starts = tuple(s.start for s in program.scenes)
    total = chunk_to_v1_latent(stop, clock, starts)
    return V1Export(
        prompts=[b.prompt for b in beats],
        switch_frame_indices=[chunk_to_v1_latent(b.chunk, clock, starts) for b in beats[1:]],
        num_output_frames=max(total, V1_FRAMES_PER_BLOCK),
        cuts=sum(1 for b in beats if b.kind == model.CUT),
        seed=_seed_value(program),
    )


@dataclass(frozen=True)
class V2Shot:
    """One shot entry of the LongLive 2.0 sample: a beat of the plan and how many chunks it plays."""

    beat: Beat
    chunks: int


@dataclass(frozen=True)
class V2Export:
    """A storyboard as LongLive 2.0's `MultiTextConcatDataset` reads it: shots in order, chunks per shot.

    Every beat (the opener, each cut and each soft shot) is its own shot entry, so every chunk keeps
    the prompt the plan gives it; the dataset prefixes the first chunk of every shot after the first
    with the scene-cut marker, so a soft shot plays as a cut (LongLive 2.0 has no prompt switch inside
    a shot, NVlabs/LongLive#56).
    """

    sample: str
    shots: list[V2Shot]
    clock: model.Clock
    scene_starts: tuple[int, ...]
    seed: int | None  # the storyboard's seed

    @property
    def chunks(self) -> int:
        """Chunks (blocks) the run plays: LongLive's `num_blocks`."""
        return sum(s.chunks for s in self.shots)

    @property
    def num_output_frames(self) -> int:
        """LongLive 2.0's `num_output_frames`: latent frames, 8 a chunk."""
        return self.chunks * V2_LATENT_FRAMES_PER_CHUNK

    @property
    def frames(self) -> int:
        """Video frames the plan counts for the run, on the storyboard's clock."""
        return self.clock.session_frames(self.scene_starts, self.chunks)

    @property
    def decoded_frames(self) -> int:
        """Frames LongLive 2.0's offline decode writes: one VAE pass over the whole run (no restart at cuts)."""
        return 1 + (self.num_output_frames - 1) * V2_TEMPORAL_COMPRESSION

    @property
    def soft_shots(self) -> list[V2Shot]:
        """The shot entries that are soft shots in the storyboard (LongLive 2.0 plays them as cuts)."""
        return [s for s in self.shots if s.beat.kind == model.SHOT]

    def block_prompts(self) -> list[str]:
        """The per-chunk prompts LongLive 2.0 builds from the folder: the marker on each later shot's first chunk."""
        prompts: list[str] = []
        for i, shot in enumerate(self.shots):
            first = (SCENE_CUT_PREFIX if i else "") + shot.beat.prompt
            prompts.extend([first] + [shot.beat.prompt] * (shot.chunks - 1))
        return prompts

    def config(self, data_path: str) -> str:
        """The settings file: the keys to merge into LongLive 2.0's `configs/inference.yaml`."""
        seconds = float(self.clock.seconds(self.frames))
        lines = [
            V2_CONFIG_HEADER,
            f"# Sample {json.dumps(self.sample)}: {len(self.shots)} shot{'s' if len(self.shots) != 1 else ''}, "
            f"{self.chunks} chunk{'s' if self.chunks != 1 else ''}; on the storyboard's {self.clock.name} clock "
            f"{self.frames} frames ({seconds:.2f} s at {model.FPS} fps).",
            f"# LongLive decodes {self.num_output_frames} latent frames in one pass: {self.decoded_frames} frames.",
            "# Merge these keys into configs/inference.yaml (they replace the ones there); see docs/formats.md.",
            "data:",
            f"  data_path: {json.dumps(data_path)}",
            f"  num_output_frames: {self.num_output_frames}  # latent frames: {self.chunks} chunks x "
            f"{V2_LATENT_FRAMES_PER_CHUNK} (num_frame_per_block)",
            "inference:",
            f"  scene_cut_prefix: {json.dumps(SCENE_CUT_PREFIX)}",
            "logging:",
            seed_config_line(self.seed, "  "),
        ]
        return "\n".join(lines) + "\n"

    def files(self, data_path: str) -> dict[str, str]:
        """Every file of the export folder, by path relative to it, with its text."""
        folder = f"caption/{self.sample}"
        out = {f"{folder}/{i}.json": json.dumps({"caption": s.beat.prompt}, ensure_ascii=False) + "\n"
               for i, s in enumerate(self.shots)}
        out[f"{folder}/shot_durations.txt"] = "\n".join(str(s.chunks) for s in self.shots) + "\n"
        out[V2_CONFIG_FILE] = self.config(data_path)
        return out


def sample_name(source: str) -> str:
    """The sample folder's name from the storyboard's file name: `stories/Kitchen v2.llv` -> `Kitchen_v2`."""
    stem = os.path.splitext(os.path.basename(source))[0]
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._-")
    return name or "storyboard"


def export_longlive_v2(program: Program) -> V2Export:
    """LongLive 2.0: one shot entry per beat that plays, each lasting until the next beat or the stop."""
    clock, stop = run_clock(program)
    # The checks refuse a beat at or past the stop (E505, E510); the filter keeps every duration positive.
    playing = [b for b in program_beats(program) if b.chunk < stop]
    shots = [V2Shot(b, (playing[i + 1].chunk if i + 1 < len(playing) else stop) - b.chunk)
             for i, b in enumerate(playing)]
    return V2Export(
        sample=sample_name(program.source),
        shots=shots,
        clock=clock,
        scene_starts=tuple(s.start for s in program.scenes if s.start < stop),
        seed=_seed_value(program),
    )


def v2_ambiguous(program: Program) -> list[Beat]:
    """Beats whose own prompt begins with the cut prefix: LongLive 2.0 takes every chunk of theirs for a cut."""
    return [b for b in program_beats(program) if b.prompt.startswith(SCENE_CUT_PREFIX)]


# ============================================================================================
# Schema: the compiled Program
# ============================================================================================


def program_schema() -> dict:
    """JSON Schema of the compiled Program (`llv compile --json`)."""
    schema = Program.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
