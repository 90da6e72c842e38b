"""The validator: every rule of language.md §4 applied to a resolved Timeline.

The rules assume the model behaves as docs/simulator.md says (a scene completes after 48 chunks;
only a cut may land exactly on that edge; a beat at or past it never fires; ties are refused).
"""

from __future__ import annotations

from . import model
from .diagnostics import ERROR, WARNING, Diagnostic, Span
from .timeline import Beat, Scene, Timeline, line_ref

TERSE_PROMPT_WORDS = 20
LONG_PROMPT_WORDS = 300
BUDGET = model.SCENE_BUDGET_CHUNKS


class _Checker:
    def __init__(self, tl: Timeline) -> None:
        self.tl = tl
        self.diags: list[Diagnostic] = []

    def report(self, code: str, severity: str, message: str, span: Span, label: str | None = None,
               help: str | None = None) -> None:
        self.diags.append(Diagnostic(code, severity, message, self.tl.file, span, label, help))

    def error(self, code: str, message: str, span: Span, label: str | None = None, help: str | None = None) -> None:
        self.report(code, ERROR, message, span, label, help)

    def warn(self, code: str, message: str, span: Span, label: str | None = None, help: str | None = None) -> None:
        self.report(code, WARNING, message, span, label, help)

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
        completes = scene.start + BUDGET  # scene.completes_at, placed
        if scene.end is not None and scene.end_from in ("for", "last shot") and scene.end - scene.start > BUDGET:
            length = scene.length if scene.end_from == "for" else scene.beats[-1].length
            assert length is not None  # the end came from this `for`
            where = length.span
            self.error("E504", f"{scene.label} is {scene.end - scene.start} chunks long; a scene completes after {BUDGET}",
                       where, label=f"runs to chunk {scene.end}, past chunk {completes}",
                       help=f"start a new `scene` (a cut resets the budget) at or before chunk {completes}, "
                            f"or shorten it to at most {BUDGET} chunks")
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
                                "or lengthen the scene's `for`")

    def soft_shot(self, scene: Scene, before: Beat, beat: Beat, index: int) -> None:
        if beat.start is None or scene.start is None:
            return
        completes = scene.start + BUDGET  # scene.completes_at, placed
        if beat.start >= completes:
            self.error("E505", f"this shot at chunk {beat.start} never fires: {scene.label} began at chunk "
                               f"{scene.start} and completes at chunk {completes}",
                       beat.position_span, label="the model has completed the scene by then",
                       help=f"start a new `scene` (a cut) before chunk {completes}, or place the shot before "
                            f"chunk {completes}")
            return
        if scene.end_from == "for" and scene.end is not None and beat.start >= scene.end:
            self.error("E509", f"this shot at chunk {beat.start} lies outside {scene.label} "
                               f"(chunks {scene.start}–{scene.end - 1})",
                       beat.position_span, help="move the shot inside the scene, or lengthen the scene's `for`")
            return
        if before.start is None:
            return
        if beat.start < before.start:
            free = self.free_chunk(scene, before, beat, index)
            move = f"move it to chunk {free}, or " if free is not None else ""
            self.error("E507", f"this shot at chunk {beat.start} comes before the shot above it (chunk {before.start})",
                       beat.position_span, help=f"beats play in order: {move}reorder the shots")
        elif beat.start == before.start:
            self.error("E508", f"two beats on chunk {beat.start}", beat.position_span,
                       label=f"the shot {line_ref(before.node.span, beat.node.span)} is already on this chunk",
                       help="only one prompt change can take effect per chunk; move one of them")
        elif before.length is not None and beat.start < before.start + before.length.chunks:
            free = self.free_chunk(scene, before, beat, index)
            move = f"start it at chunk {free}, or " if free is not None else ""
            self.error("E507", f"this shot at chunk {beat.start} overlaps the shot above it "
                               f"(chunks {before.start}–{before.start + before.length.chunks - 1})",
                       beat.position_span,
                       help=f"{move}shorten the shot above to `for {beat.start - before.start}`")
        elif before.length is not None and beat.start > before.start + before.length.chunks:
            self.warn("W607", f"the shot above lasts until chunk {before.start + before.length.chunks} but this one "
                              f"starts at {beat.start}; its prompt keeps playing in between",
                      beat.position_span, help="lengthen the shot above, or start this one earlier")

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
        placed = [b.start for b in prev.beats if b.start is not None]
        last = max(placed) if placed else prev.start
        where = scene.at.span if scene.at else scene.node.keyword_span
        if scene.start < last:
            self.error("E507", f"{scene.label} starts at chunk {scene.start}, before chunk {last} of {prev.label}",
                       where, help=f"a cut must come after the previous scene's beats: {self.cut_hint(prev, last)}")
            return
        if scene.start == last:
            self.error("E508", f"two beats on chunk {scene.start}: {scene.label} and a shot of {prev.label}",
                       where, help="only one prompt change can take effect per chunk; move one of them")
            return
        if prev.end_from in ("for", "last shot") and scene.at is not None and scene.at.chunks != prev.end:
            why = f"`for {prev.length.written}`" if prev.end_from == "for" and prev.length else "the length of its last shot"
            self.error("E509", f"{prev.label} ends at chunk {prev.end} ({why}) but {scene.label} says `at {scene.at.written}`",
                       scene.at.span, label="contradicts where the scene before ends",
                       help=f"drop one of the two, or make them agree (at {prev.end})")
            return
        completes = prev.start + BUDGET  # prev.completes_at, placed
        if scene.start > completes:
            self.error("E506", f"{prev.label} completes at chunk {completes}, before this cut at chunk {scene.start}: "
                               f"the video ends first and {scene.label} never plays",
                       where, label="never reached", help=self.cut_hint(prev, last))
        elif scene.start == completes:
            self.warn("W605", f"this cut lands exactly where {prev.label} completes (chunk {completes})",
                      where, help="the hosted model's behaviour on this edge is unverified; " + self.edge_hint(prev, last))

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
                           end.span, label=f"the shot {line_ref(last.node.span, end.span)} never plays",
                           help=f"end at chunk {start + 1} or later")
                return
        final = self.tl.scenes[-1] if self.tl.scenes else None
        if final is not None and final.completes_at is not None and end.chunks > final.completes_at:
            self.warn("W606", f"{final.label} completes at chunk {final.completes_at}, before `end at {end.written}` "
                              f"(chunk {end.chunks})",
                      end.span, help=f"end at {final.completes_at} or earlier, or add a scene to run longer")

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
            if not info.used:
                self.warn("W603", f"`{info.name}` is defined but never used", info.node.name_span,
                          help=f"use it as `{{{info.name}}}` in a prompt, or remove the define")
        seen: dict[str, Scene] = {}
        for scene in self.tl.scenes:
            if scene.name is None:
                continue
            if scene.name in seen:
                self.warn("W604", f'another scene is already named "{scene.name}"',
                          scene.node.name.span if scene.node.name else scene.node.span,
                          help=f"rename it (the first is {line_ref(seen[scene.name].node.span, scene.node.span)})")
            else:
                seen[scene.name] = scene


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
            playing = playing and scene.start is not None and prev.completes_at is not None and \
                scene.start <= prev.completes_at
        for beat in scene.beats:
            completes = scene.completes_at
            fates.append(playing and beat.start is not None and completes is not None and beat.start < completes)
    return fates
