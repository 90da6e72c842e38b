"""The validator: every rule of language.md §4 applied to a resolved Timeline.

The rules assume the model behaves as docs/simulator.md says (a scene completes after 48 chunks;
only a cut may land exactly on that edge; a beat at or past it never fires; ties are refused).
"""

from __future__ import annotations

from . import model
from .diagnostics import ERROR, WARNING, Diagnostic, Edit, Fix, Related, Span
from .model import scene_completes_at
from .timeline import Beat, Scene, Time, Timeline

TERSE_PROMPT_WORDS = 20
LONG_PROMPT_WORDS = 300
BUDGET = model.SCENE_BUDGET_CHUNKS


class _Checker:
    def __init__(self, tl: Timeline) -> None:
        self.tl = tl
        self.diags: list[Diagnostic] = []
        self.cuts: dict[int, tuple[int, Fix] | None] = {}  # scene index -> the new-scene fix (found once)

    def new_scene_fix(self, scene: Scene, late: Beat) -> tuple[Fix, ...]:
        if scene.index not in self.cuts:
            self.cuts[scene.index] = new_scene_fix(self.tl, scene)
        found = self.cuts[scene.index]
        return (found[1],) if found is not None and late.start is not None and late.start < found[0] else ()

    def report(self, code: str, severity: str, message: str, span: Span, label: str | None = None,
               help: str | None = None, related: tuple[Related, ...] = (), fixes: tuple[Fix, ...] = ()) -> None:
        self.diags.append(Diagnostic(code, severity, message, self.tl.file, span, label, help,
                                     related=related, fixes=fixes))

    def error(self, code: str, message: str, span: Span, label: str | None = None, help: str | None = None,
              related: tuple[Related, ...] = (), fixes: tuple[Fix, ...] = ()) -> None:
        self.report(code, ERROR, message, span, label, help, related, fixes)

    def warn(self, code: str, message: str, span: Span, label: str | None = None, help: str | None = None,
             related: tuple[Related, ...] = ()) -> None:
        self.report(code, WARNING, message, span, label, help, related)

    def run(self) -> list[Diagnostic]:
        scenes = self.tl.scenes
        for i, scene in enumerate(scenes):
            if i:
                self.between_scenes(scenes[i - 1], scene)
            self.scene(scene)
        self.end()
        self.prompts()
        self.names()
        return self.diags

    # -- one scene --
    def scene(self, scene: Scene) -> None:
        if scene.start is None:
            return
        completes = scene_completes_at(scene.start)
        length = _ending_length(scene)
        if scene.end is not None and length is not None and scene.end - scene.start > BUDGET:
            where = length.span
            self.error("E504", f"{scene.label} is {scene.end - scene.start} chunks long; a scene completes after {BUDGET}",
                       where, label=f"runs to chunk {scene.end}, past chunk {completes}",
                       help=f"start a new `scene` (a cut resets the budget) at or before chunk {completes}, "
                            f"or shorten it to at most {BUDGET} chunks",
                       related=(_starts(scene),))
        beats = scene.beats
        for j in range(1, len(beats)):
            self.soft_shot(scene, beats[j - 1], beats[j], j)
        for beat in beats:
            if (beat.length is not None and beat.start is not None and scene.end_from == "for" and scene.end is not None
                    and beat.start < scene.end < beat.start + beat.length.chunks):
                runs_to = beat.start + beat.length.chunks
                also = f" (and past chunk {completes}, where the scene completes)" if runs_to > completes else ""
                self.error("E509", f"this shot runs to chunk {runs_to}, past the end of {scene.label} at chunk "
                                   f"{scene.end}{also}",
                           beat.length.span,
                           help=f"shorten the shot to `for {scene.end - beat.start}` or less, "
                                "or lengthen the scene's `for`",
                           related=(Related(scene.length.span, f"the scene ends at chunk {scene.end}"),)
                           if scene.length is not None else ())

    def soft_shot(self, scene: Scene, before: Beat, beat: Beat, index: int) -> None:
        if beat.start is None or scene.start is None:
            return
        completes = scene_completes_at(scene.start)
        if not shot_fires(scene.start, beat.start):
            self.error("E505", f"this shot at chunk {beat.start} never fires: {scene.label} began at chunk "
                               f"{scene.start} and completes at chunk {completes}",
                       beat.position_span, label="the model has completed the scene by then",
                       help=f"start a new `scene` (a cut) before chunk {completes}, or place the shot before "
                            f"chunk {completes}",
                       related=(_starts(scene),), fixes=self.new_scene_fix(scene, beat))
            return
        if scene.end_from == "for" and scene.end is not None and beat.start >= scene.end:
            self.error("E509", f"this shot at chunk {beat.start} lies outside {scene.label} "
                               f"(chunks {scene.start}–{scene.end - 1})",
                       beat.position_span, help="move the shot inside the scene, or lengthen the scene's `for`",
                       related=(Related(scene.length.span, f"the scene ends at chunk {scene.end}"),)
                       if scene.length is not None else ())
            return
        if before.start is None:
            return
        if beat.start < before.start:
            free = self.free_chunk(scene, before, beat, index)
            move = f"move it to chunk {free}, or " if free is not None else ""
            self.error("E507", f"this shot at chunk {beat.start} comes before the shot above it (chunk {before.start})",
                       beat.position_span, help=f"beats play in order: {move}reorder the shots",
                       related=(Related(before.position_span, f"the shot above starts at chunk {before.start}"),))
        elif beat.start == before.start:
            self.error("E508", f"two beats on chunk {beat.start}", beat.position_span,
                       label="a second beat on this chunk",
                       help="only one prompt change can take effect per chunk; move one of them",
                       related=(Related(before.position_span, "the shot above is already on this chunk"),))
        elif before.length is not None and beat.start < before.start + before.length.chunks:
            free = self.free_chunk(scene, before, beat, index)
            move = f"start it at chunk {free}, or " if free is not None else ""
            self.error("E507", f"this shot at chunk {beat.start} overlaps the shot above it "
                               f"(chunks {before.start}–{before.start + before.length.chunks - 1})",
                       beat.position_span,
                       help=f"{move}shorten the shot above to `for {beat.start - before.start}`",
                       related=(Related(before.length.span, f"the shot above lasts until chunk "
                                                            f"{before.start + before.length.chunks}"),))
        elif before.length is not None and beat.start > before.start + before.length.chunks:
            self.warn("W607", f"the shot above lasts until chunk {before.start + before.length.chunks} but this one "
                              f"starts at {beat.start}; its prompt keeps playing in between",
                      beat.position_span, help="lengthen the shot above, or start this one earlier",
                      related=(Related(before.length.span, f"the shot above lasts until chunk "
                                                           f"{before.start + before.length.chunks}"),))

    def free_chunk(self, scene: Scene, before: Beat, beat: Beat, index: int) -> int | None:
        """The first chunk after `before` (and its length) where `beat` could start without another error.

        It must come before the scene completes, inside the scene's `for`, and before the next beat.
        """
        if before.start is None or scene.completes_at is None:
            return None
        start = before.start + (before.length.chunks if before.length is not None else 1)
        later = [b.start for b in scene.beats[index + 1 : index + 2] if b.start is not None]
        bounds = [scene.completes_at]  # the shot must start before each of these
        ends = []  # and, with its own length, end by each of these
        if scene.end_from == "for" and scene.end is not None:
            bounds.append(scene.end)
            ends.append(scene.end)
        if later:
            bounds.append(later[0])
            ends.append(later[0])
        if beat.length is not None:
            bounds += [end - beat.length.chunks + 1 for end in ends]
        return start if start < min(bounds) else None

    # -- a cut, against the scene before it --
    def between_scenes(self, prev: Scene, scene: Scene) -> None:
        if prev.start is None or scene.start is None:
            return
        placed = [b for b in prev.beats if b.start is not None]
        last_beat = max(placed, key=lambda b: b.start or 0) if placed else None
        last: int = last_beat.start if last_beat is not None and last_beat.start is not None else prev.start
        at_last = (Related(last_beat.position_span, f"the last beat of {prev.label}, at chunk {last}"),) \
            if last_beat is not None else (_starts(prev),)
        where = scene.at.span if scene.at else scene.node.keyword_span
        if scene.start < last:
            self.error("E507", f"{scene.label} starts at chunk {scene.start}, before chunk {last} of {prev.label}",
                       where, help=f"a cut must come after the previous scene's beats: {self.cut_hint(prev, last)}",
                       related=at_last)
            return
        if scene.start == last:
            self.error("E508", f"two beats on chunk {scene.start}: {scene.label} and a shot of {prev.label}",
                       where, help="only one prompt change can take effect per chunk; move one of them",
                       related=at_last)
            return
        ending = _ending_length(prev)
        if ending is not None and scene.at is not None and scene.at.chunks != prev.end:
            why = f"`for {ending.written}`" if prev.end_from == "for" else "the length of its last shot"
            self.error("E509", f"{prev.label} ends at chunk {prev.end} ({why}) but {scene.label} says `at {scene.at.written}`",
                       scene.at.span, label="contradicts where the scene before ends",
                       help=f"drop one of the two, or make them agree (at {prev.end})",
                       related=(Related(ending.span, f"{prev.label} ends at chunk {prev.end} here"),))
            return
        completes = scene_completes_at(prev.start)
        if not cut_plays(prev.start, scene.start):
            self.error("E506", f"{prev.label} completes at chunk {completes}, before this cut at chunk {scene.start}: "
                               f"the video ends first and {scene.label} never plays",
                       where, label="never reached", help=self.cut_hint(prev, last),
                       related=(_starts(prev),))
        elif scene.start == completes:
            self.warn("W605", f"this cut lands exactly where {prev.label} completes (chunk {completes})",
                      where, help="the hosted model's behaviour on this edge is unverified; " + self.edge_hint(prev, last),
                      related=(_starts(prev),))

    @staticmethod
    def edge_hint(prev: Scene, last: int) -> str:
        """How to move a cut off the 48-chunk edge without another finding."""
        if prev.start is None or prev.completes_at is None:
            return ""
        earlier = prev.completes_at - 1
        if earlier <= last:
            return f"cutting one chunk earlier needs the last beat of {prev.label} moved first"
        if prev.end_from == "for":
            return f"chunk {earlier} is safe: shorten {prev.label} to `for {earlier - prev.start}` and cut there"
        if prev.end_from == "last shot":
            return f"chunk {earlier} is safe: shorten the last shot of {prev.label} by a chunk and cut there"
        return f"chunk {earlier} is safe"

    @staticmethod
    def cut_hint(prev: Scene, last: int) -> str:
        """Where a cut after `prev` (whose last beat is at `last`) can go without another finding."""
        completes = prev.completes_at
        if completes is None:
            return "place the scene before it first"
        if prev.end_from in ("for", "last shot") and prev.end is not None and last < prev.end <= completes:
            return f"start it at chunk {prev.end}, where {prev.label} ends (or remove its `at`)"
        if last + 1 < completes - 1:
            return f"start it between chunks {last + 1} and {completes - 1}"
        if last + 1 == completes - 1:
            return f"start it at chunk {last + 1}"
        if last + 1 == completes:
            return f"start it at chunk {completes}, where {prev.label} completes"
        return f"move the beats of {prev.label} before chunk {completes}, then start the cut after them"

    # -- the end --
    def end(self) -> None:
        end = self.tl.end
        if end is None:
            return
        if end.chunks <= 0:
            self.error("E510", "`end at 0` stops the run before anything plays", end.span,
                       help="end after the last beat, or remove `end` to run until the last scene completes")
            return
        beats = [(b.start, b) for b in self.tl.beats if b.start is not None]
        if beats:
            start, last = max(beats, key=lambda sb: sb[0])
            if end.chunks <= start:
                self.error("E510", f"`end at {end.written}` stops the run at chunk {end.chunks}, before the beat at "
                                   f"chunk {start} plays",
                           end.span, label="the run stops here",
                           help=f"end at chunk {start + 1} or later",
                           related=(Related(last.position_span, "this shot never plays"),))
                return
        final = self.tl.scenes[-1] if self.tl.scenes else None
        if final is not None and final.completes_at is not None and end.chunks > final.completes_at:
            self.warn("W606", f"{final.label} completes at chunk {final.completes_at}, before `end at {end.written}` "
                              f"(chunk {end.chunks})",
                      end.span, help=f"end at {final.completes_at} or earlier, or add a scene to run longer",
                      related=(_starts(final),))

    # -- words --
    def prompts(self) -> None:
        for beat in self.tl.beats:
            if not beat.prompt:
                continue
            if len(beat.prompt) > model.PROMPT_MAX_CHARS:
                self.error("E406", f"this prompt is {len(beat.prompt):,} characters; the model takes at most "
                                   f"{model.PROMPT_MAX_CHARS:,}",
                           beat.node.prompt.span, label="the simulator refuses it at run time",
                           help="shorten it (after `{name}` insertions), or move detail into the shots that need it")
            words = len(beat.prompt.split())
            if words < TERSE_PROMPT_WORDS:
                self.warn("W601", f"terse prompt ({words} word{'s' if words != 1 else ''})", beat.node.prompt.span,
                          help=f"the model conditions weakly on short prompts: describe subject, action, setting, "
                               f"light, lens and camera move, palette ({TERSE_PROMPT_WORDS}+ words)")
            elif words > LONG_PROMPT_WORDS:
                self.warn("W602", f"very long prompt ({words} words)", beat.node.prompt.span,
                          help=f"keep prompts under ~{LONG_PROMPT_WORDS} words; the tail is likely ignored")

    def names(self) -> None:
        for info in self.tl.defines.values():
            if not info.used and info.node.origin is None:  # a library's defines need not all be used
                self.warn("W603", f"`{info.name}` is defined but never used", info.node.name_span,
                          help=f"use it as `{{{info.name}}}` in a prompt, or remove the define")
        seen: dict[str, Scene] = {}
        for scene in self.tl.scenes:
            if scene.name is None:
                continue
            if scene.name in seen:
                self.warn("W604", f'another scene is already named "{scene.name}"',
                          scene.node.name.span if scene.node.name else scene.node.span,
                          label="used again here", help="rename one of them",
                          related=(Related(_name_span(seen[scene.name]), "first used here"),))
            else:
                seen[scene.name] = scene


def _ending_length(scene: Scene) -> Time | None:
    """The `for` a scene's end comes from: its own, or its last shot's; None when its end is not a length."""
    if scene.end_from == "for":
        return scene.length
    if scene.end_from == "last shot":
        return scene.beats[-1].length
    return None


def _name_span(scene: Scene) -> Span:
    """Where a scene's name is written (its keyword for an unnamed scene)."""
    return scene.node.name.span if scene.node.name is not None else scene.node.keyword_span


def _starts(scene: Scene) -> Related:
    """The related span "the scene starts here" (with its start and completion chunks)."""
    return Related(scene.node.keyword_span, f"{scene.label} starts here, at chunk {scene.start}; "
                                            f"the model completes it at chunk {scene.completes_at}")


def new_scene_fix(tl: Timeline, scene: Scene) -> tuple[int, Fix] | None:
    """For shots past their scene's completion point: cut to a new `scene` at the last shot that still
    fires, and again from there as often as the shots need, so each budget resets in time. Returns
    how far the cuts reach (the last new scene's completion chunk) and the fix. Offered only when
    nothing else moves: every beat keeps its chunk and its prompt (a shot before a cut must end
    where the cut starts, or have no length), and the scene has no `for` of its own."""
    if scene.length is not None or scene.start is None:
        return None
    beats = scene.beats
    cuts: list[int] = []
    completes = scene_completes_at(scene.start)
    last_cut = 0
    for j in range(1, len(beats)):
        beat, before = beats[j], beats[j - 1]
        if beat.start is None or before.start is None or beat.start < before.start:
            break
        if beat.start < completes:
            continue
        k = j - 1  # the last shot that still fires becomes a cut
        previous = beats[k - 1] if k else None
        if k == last_cut or previous is None or previous.start is None or (
                previous.length is not None and previous.start + previous.length.chunks != before.start):
            break
        cuts.append(k)
        last_cut, completes = k, scene_completes_at(before.start)
        if beat.start >= completes:
            break
    if not cuts:
        return None
    edits = tuple(_scene_before(tl.source, scene, beats[k]) for k in cuts)
    where = ", ".join(str(beats[k].start) for k in cuts)
    s = "s" if len(cuts) > 1 else ""
    return completes, Fix(f"cut to a new scene at chunk{s} {where}, where the budget resets", edits)


def _scene_before(source: str, scene: Scene, cut: Beat) -> Edit:
    """The edit that inserts `scene at N` before a shot: its own line (indented as the scene) when the
    shot starts its line, else just before the shot's keyword."""
    keyword = cut.node.keyword_span
    line_start = source.rfind("\n", 0, keyword.start) + 1
    scene_line = source.rfind("\n", 0, scene.node.keyword_span.start) + 1
    indent = source[scene_line : scene.node.keyword_span.start]
    if source[line_start : keyword.start].strip() == "" and indent.strip() == "":
        return Edit(Span(keyword.line, 1, keyword.line, 2, line_start, line_start), f"{indent}scene at {cut.start}\n")
    return Edit(Span(keyword.line, keyword.column, keyword.line, keyword.column + 1, keyword.start, keyword.start),
                f"scene at {cut.start} ")


def check(timeline: Timeline) -> list[Diagnostic]:
    """Every rule about the resolved plan: budgets, gaps, order, the end, prompt length, names."""
    return _Checker(timeline).run()


def firing_beats(timeline: Timeline) -> list[bool]:
    """For each beat (source order), whether the model fires it: the static verdict of E505/E506.

    A scene plays only if every cut before it lands no later than its previous scene's completion;
    inside a playing scene, a beat fires when it starts before the scene completes.
    """
    fates: list[bool] = []
    playing = True
    for i, scene in enumerate(timeline.scenes):
        if i:
            prev = timeline.scenes[i - 1]
            playing = playing and scene.start is not None and prev.start is not None and cut_plays(prev.start, scene.start)
        for beat in scene.beats:
            fates.append(playing and beat.start is not None and scene.start is not None
                         and shot_fires(scene.start, beat.start))
    return fates


# -- the rules themselves, shared by the checks above and a live session's refusals (runtime/live.py) --


def shot_fires(scene_start: int, at: int) -> bool:
    """Whether a shot at session chunk `at` fires in a scene that opened at `scene_start` (E505)."""
    return at < scene_completes_at(scene_start)


def cut_plays(prev_start: int, at: int) -> bool:
    """Whether a cut at `at` comes in time after a scene that opened at `prev_start` (E506); the edge itself plays."""
    return at <= scene_completes_at(prev_start)


def live_beat_problem(kind: str, at: int, scene_starts: list[int], taken: dict[int, str]) -> tuple[str, str] | None:
    """Why a beat fired live at session chunk `at` would not play as asked, and the fix; None when it would.

    `kind` is `shot` or `cut`; `scene_starts` are the chunks where scenes open (played and pending,
    the first 0); `taken` maps the chunks already holding a beat to a description of it. The rules
    are those of the checks: one beat per chunk (E508), a shot fires only before its scene completes
    (E505), a cut only reaches a scene that has not completed (E506).
    """
    if at in taken:
        free = next(c for c in range(at + 1, at + len(taken) + 2) if c not in taken)
        return (f"chunk {at} already holds {taken[at]}; only one prompt change can take effect per chunk",
                f"fire it at chunk {free} (`@{free}`), or let the beat already there play")
    start = max((s for s in scene_starts if s <= at), default=0)
    completes = scene_completes_at(start)
    if kind == model.CUT:
        if not cut_plays(start, at):
            return (f"the scene that began at chunk {start} completes at chunk {completes}, before this cut at "
                    f"chunk {at}: the video ends first and the cut never plays",
                    f"cut at chunk {completes} or earlier (`@{completes}`)")
        return None
    if not shot_fires(start, at):
        return (f"this shot at chunk {at} never fires: the scene began at chunk {start} and completes at "
                f"chunk {completes}",
                f"fire it as a cut instead (a cut resets the budget), or cut before chunk {completes} first")
    return None
