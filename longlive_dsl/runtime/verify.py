"""`llv verify`: did every beat of the plan fire on its planned chunk? Read back from a run's trace.

The evidence is what the model said: `chunk_complete` (which prompt each session chunk was made
from, and its index within its scene), `scene_cut` (a cut fired, and on which chunk) and the
`state` snapshots (read by `runtime/played.py`; a trace with a `generation_reset` is judged up to
the reset, the part the plan played). A beat is on plan when its chunk was generated from its
prompt, the chunk before it was not (for a soft shot), and, for a cut, the scene clock restarted there.

The chunk clock is read back too: `chunk_complete.frames_emitted` counts the session's frames, so
the difference between two chunks is the frames the later one held. The frames per chunk seen on a
scene's first chunk and on later ones are compared with the clock profile the plan assumed. A mismatch
is reported as a warning that names the profile the run matches (so a user can calibrate against the
real service) but does not fail the verification: beats are keyed by chunks, which a clock does not
move; only the plan's seconds and frame counts would be off (and a fast preview with
`--frames-per-chunk` differs on purpose).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import model
from ..program import Beat, Program
from .played import read_played


@dataclass
class BeatReport:
    scene: int
    scene_name: str | None
    beat: Beat
    fired_at: int | None
    ok: bool
    note: str


@dataclass
class ClockReport:
    """The frames per chunk the trace shows, against the clock profile the plan assumed."""

    assumed: model.Clock
    first: dict[int, int] = field(default_factory=dict)  # frames -> how many scene-opening chunks held that many
    later: dict[int, int] = field(default_factory=dict)  # frames -> how many later chunks held that many
    frames_emitted: int | None = None  # at the last chunk seen
    planned_frames: int | None = None  # on the assumed clock, at the chunks seen
    frames_recorded: int | None = None  # in the run's video (the trace's `end` record)
    program_frames: int | None = None  # the Program's `frames`: the video the plan expects by its stop

    @property
    def observed(self) -> bool:
        return bool(self.first or self.later)

    def fits(self, clock: model.Clock) -> bool:
        """No chunk seen held a different number of frames than `clock` says."""
        return set(self.first) <= {clock.first_chunk_frames} and set(self.later) <= {clock.later_chunk_frames}

    @property
    def ok(self) -> bool:
        """No chunk held a different number of frames than the assumed clock says."""
        return self.fits(self.assumed)

    def matching_profiles(self) -> list[str]:
        """The known clock profiles the observed frames agree with."""
        return [c.name for c in model.CLOCKS.values() if self.fits(c)]


@dataclass
class VerifyReport:
    beats: list[BeatReport] = field(default_factory=list)
    chunks_seen: int = 0
    planned_chunks: int = 0
    run_end: str | None = None
    clock: ClockReport | None = None
    frames_dropped: tuple[int, int] | None = None  # (dropped, expected) from the trace's `end`, when any were

    @property
    def ok(self) -> bool:
        return all(b.ok for b in self.beats) and self.chunks_seen >= self.planned_chunks


@dataclass
class _Evidence:
    """What verify reads from a trace: the plan's segment (up to a reset) and the `end` record."""

    prompt_at: dict[int, str | None]
    index_at: dict[int, int]
    cuts: list[tuple[int, str | None]]
    frames_at: dict[int, int]  # session chunk -> frames_emitted after it
    chunks_made: int
    end_message: str | None = None
    frames_recorded: int | None = None
    frames_dropped: tuple[int, int] | None = None


def _evidence(records: list[dict[str, Any]]) -> _Evidence:
    played = read_played(records)
    seg, end = played.first, played.end or {}
    recorded, dropped, expected = end.get("frames_recorded"), end.get("frames_dropped"), end.get("frames_expected")
    return _Evidence(
        prompt_at={c: ch.prompt for c, ch in seg.chunks.items()},
        index_at={c: ch.index_in_scene for c, ch in seg.chunks.items() if ch.index_in_scene is not None},
        cuts=seg.cuts,
        frames_at=seg.frames_emitted(),
        chunks_made=seg.chunks_made,
        end_message=end.get("message"),
        frames_recorded=recorded if isinstance(recorded, int) and recorded > 0 else None,
        frames_dropped=(dropped, expected) if dropped and isinstance(expected, int) else None,
    )


def verify(program: Program, records: list[dict[str, Any]]) -> VerifyReport:
    """Compare the Program's beats with the chunks the trace shows."""
    ev = _evidence(records)
    report = VerifyReport(
        chunks_seen=ev.chunks_made,
        planned_chunks=program.stops_at,
        run_end=ev.end_message,
        clock=_clock_report(program, ev),
        frames_dropped=ev.frames_dropped,
    )
    beats = [(scene, beat) for scene in program.scenes for beat in scene.beats]
    beats.sort(key=lambda sb: sb[1].chunk)
    previous_fired = -1
    for scene, beat in beats:
        c = beat.chunk
        on_plan = ev.prompt_at.get(c) == beat.prompt
        if on_plan and beat.kind == model.SHOT and c - 1 in ev.prompt_at:
            on_plan = ev.prompt_at[c - 1] != beat.prompt
        if on_plan and beat.kind == model.CUT:
            on_plan = ev.index_at.get(c) == 0 or (c, beat.prompt) in ev.cuts
        fired: int | None
        if on_plan:
            fired = c
            note = f"fired on chunk {c}"
        else:
            fired = _where_it_fired(ev, beat, previous_fired)
            if fired is not None:
                note = f"fired on chunk {fired}, planned for chunk {c}"
            elif report.chunks_seen <= c:
                note = f"not reached: the run stopped after {report.chunks_seen} chunk(s), planned for chunk {c}"
            else:
                note = f"never fired (planned for chunk {c})"
        if fired is not None:
            previous_fired = fired
        report.beats.append(BeatReport(scene.number, scene.name, beat, fired, on_plan, note))
    return report


def _clock_report(program: Program, ev: _Evidence) -> ClockReport:
    """Frames per chunk from the cumulative `frames_emitted`, split into scene-opening and later chunks."""
    clock = program.clock.as_clock()
    report = ClockReport(clock, frames_recorded=ev.frames_recorded, program_frames=program.frames)
    for chunk in sorted(ev.frames_at):
        before = 0 if chunk == 0 else ev.frames_at.get(chunk - 1)
        if before is None or chunk not in ev.index_at:
            continue
        held = ev.frames_at[chunk] - before
        bucket = report.first if ev.index_at[chunk] == 0 else report.later
        bucket[held] = bucket.get(held, 0) + 1
    if ev.frames_at:
        last = max(ev.frames_at)
        report.frames_emitted = ev.frames_at[last]
        starts = sorted({s.start for s in program.scenes})
        report.planned_frames = clock.session_frames(starts, last + 1)
    return report


def _where_it_fired(ev: _Evidence, beat: Beat, after: int) -> int | None:
    if beat.kind == model.CUT:
        for at, prompt in ev.cuts:
            if prompt == beat.prompt and at > after:
                return at
    for c in sorted(ev.prompt_at):
        if c > after and ev.prompt_at[c] == beat.prompt and ev.prompt_at.get(c - 1) != beat.prompt:
            return c
    return None


def render(report: VerifyReport, program_name: str, trace_name: str) -> str:
    """The report as text, beat by beat."""
    lines = [f"verify {program_name} against {trace_name}"]
    scene = None
    for b in report.beats:
        if b.scene != scene:
            scene = b.scene
            lines.append(f"  scene {b.scene}" + (f" “{b.scene_name}”" if b.scene_name else ""))
        mark = "ok  " if b.ok else "FAIL"
        prompt = " ".join(b.beat.prompt.split())
        if len(prompt) > 50:
            prompt = prompt[:49] + "…"
        lines.append(f"    {mark} chunk {b.beat.chunk:>4}  {b.beat.kind:<6} “{prompt}”: {b.note}")
    lines.append(f"  the run covered {report.chunks_seen} of {report.planned_chunks} planned chunks")
    if report.clock is not None:
        lines += _render_clock(report.clock)
    if report.run_end:
        lines.append(f"  the run ended: {report.run_end}")
    if report.frames_dropped:
        lines.append("  warning: {} of {} video frames never arrived: the video is shorter than the take".format(*report.frames_dropped))
    good = sum(1 for b in report.beats if b.ok)
    if report.ok:
        lines.append(f"OK: all {good} beats fired on their planned chunks")
    else:
        lines.append(f"FAILED: {good} of {len(report.beats)} beats fired on their planned chunks")
    return "\n".join(lines)


def _counts(seen: dict[int, int]) -> str:
    return ", ".join(f"{frames} ({n} chunk{'s' if n != 1 else ''})" for frames, n in sorted(seen.items())) or "none seen"


def _render_clock(c: ClockReport) -> list[str]:
    a = c.assumed
    if not c.observed:
        return [f"  chunk clock: the trace has no frames_emitted to check the {a.name} clock against"]
    lines = [f"  chunk clock: frames per chunk seen: a scene's first chunk {_counts(c.first)}; "
             f"later chunks {_counts(c.later)}"]
    total = "" if c.frames_emitted is None else (
        f"; {c.frames_emitted} frames emitted, {c.planned_frames} planned")
    if c.frames_recorded is not None and c.program_frames is not None:
        lines.append(f"  video: {c.frames_recorded} frames recorded; the plan expects {c.program_frames} "
                     f"on the {a.name} clock")
    if c.ok:
        lines.append(f"  chunk clock: matches the plan's {a.name} clock ({a.describe()}){total}")
    else:
        matches = c.matching_profiles()
        hint = (f"the run matches the {matches[0]} clock: plan with `clock {matches[0]}` or `--clock {matches[0]}`"
                if matches else "no known clock profile matches it")
        lines.append(f"  warning: chunk clock MISMATCH: the plan assumed the {a.name} clock ({a.describe()}), "
                     f"but the model emitted otherwise{total}; {hint}")
    return lines
