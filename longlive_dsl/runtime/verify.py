"""`llv verify`: did every beat of the plan fire on its planned chunk? Read back from a run's trace.

The evidence is what the model said: `chunk_complete` (which prompt each session chunk was made
from, and its index within its scene), `scene_cut` (a cut fired, and on which chunk) and the
`state` snapshots. A beat is on plan when its chunk was generated from its prompt, the chunk
before it was not (for a soft shot), and, for a cut, the scene clock restarted there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import model
from ..program import Beat, Program


@dataclass
class BeatReport:
    scene: int
    scene_name: str | None
    beat: Beat
    fired_at: int | None
    ok: bool
    note: str


@dataclass
class VerifyReport:
    beats: list[BeatReport] = field(default_factory=list)
    chunks_seen: int = 0
    planned_chunks: int = 0
    run_end: str | None = None
    frames_dropped: tuple[int, int] | None = None  # (dropped, expected) from the trace's `end`, when any were

    @property
    def ok(self) -> bool:
        return all(b.ok for b in self.beats) and self.chunks_seen >= self.planned_chunks


@dataclass
class _Evidence:
    prompt_at: dict[int, str] = field(default_factory=dict)
    index_at: dict[int, int] = field(default_factory=dict)
    cuts: list[tuple[int, str]] = field(default_factory=list)
    complete: int | None = None
    end_message: str | None = None
    frames_dropped: tuple[int, int] | None = None


def _evidence(records: list[dict[str, Any]]) -> _Evidence:
    ev = _Evidence()
    for r in records:
        if r.get("kind") == "end":
            ev.end_message = r.get("message")
            if r.get("frames_dropped") and isinstance(r.get("frames_expected"), int):
                ev.frames_dropped = (r["frames_dropped"], r["frames_expected"])
        if r.get("kind") != "recv":
            continue
        frame = r.get("frame") or {}
        if frame.get("scope") != "application":
            continue
        t, d = frame.get("type"), frame.get("data") or {}
        if t == model.CHUNK_COMPLETE and isinstance(d.get("session_chunk"), int):
            ev.prompt_at[d["session_chunk"]] = d.get("active_prompt")
            if isinstance(d.get("chunk_index"), int):
                ev.index_at[d["session_chunk"]] = d["chunk_index"]
        elif t == model.SCENE_CUT_FIRED and isinstance(d.get(model.AT_SESSION_CHUNK), int):
            ev.cuts.append((d[model.AT_SESSION_CHUNK], d.get("prompt")))
        elif t == model.GENERATION_COMPLETE and isinstance(d.get("total_chunks"), int):
            ev.complete = d["total_chunks"]
    return ev


def verify(program: Program, records: list[dict[str, Any]]) -> VerifyReport:
    """Compare the Program's beats with the chunks the trace shows."""
    ev = _evidence(records)
    report = VerifyReport(
        chunks_seen=(max(ev.prompt_at) + 1) if ev.prompt_at else 0,
        planned_chunks=program.end if program.end is not None else program.stops_at,
        run_end=ev.end_message,
        frames_dropped=ev.frames_dropped,
    )
    beats = [(scene, beat) for scene in program.scenes for beat in scene.beats]
    beats.sort(key=lambda sb: sb[1].chunk)
    previous_fired = -1
    for scene, beat in beats:
        c = beat.chunk
        on_plan = ev.prompt_at.get(c) == beat.prompt
        if on_plan and beat.kind == "shot" and c - 1 in ev.prompt_at:
            on_plan = ev.prompt_at[c - 1] != beat.prompt
        if on_plan and beat.kind == "cut":
            on_plan = ev.index_at.get(c) == 0 or (c, beat.prompt) in ev.cuts
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


def _where_it_fired(ev: _Evidence, beat: Beat, after: int) -> int | None:
    if beat.kind == "cut":
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
