"""`llv fix`: apply the machine-applicable suggestions diagnostics carry, and prove each one safe.

Like black checking its own output, every fix is verified before it is kept: the text is checked
again and the fix is refused when

- it leaves more diagnostics of any code than before (a fix never trades one problem for another),
  counting only syntax errors while the text before did not parse (what lies behind them was never checked);
- the storyboard compiled before and compiles to something else after: other wire commands, end
  or scene plan (an exact rewrite, such as seconds written as the chunks they already meant,
  changes nothing the model receives);
- the storyboard was placed before and any beat moves or changes its prompt after (a structural
  fix, such as a new `scene` that resets the budget, changes only which beats are cuts).

Fixing repeats until nothing is left to apply (bounded), so `fix(fix(x)) == fix(x)`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..config import DEFAULT, Config, apply
from ..diagnostics import Diagnostic, Edit, Fix

MAX_ROUNDS = 20
"""Rounds of fixing before `llv fix` stops (each round re-checks the text once per fix tried)."""


@dataclass
class Refusal:
    """A fix that was not applied, and why."""

    diagnostic: Diagnostic
    fix: Fix
    reason: str


@dataclass
class FixResult:
    """What `fix_source` did: the text, the fixes applied and refused, the diagnostics left."""

    source: str
    applied: list[Fix] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    remaining: list[Diagnostic] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.applied)


@dataclass
class _State:
    """One version of the text, checked: its diagnostics, its wire commands and its placed beats."""

    source: str
    diagnostics: list[Diagnostic]
    compiled: dict | None  # what the storyboard compiles to, minus where it was written; None: it does not
    beats: tuple | None  # None: not placed (syntax errors, or a position that cannot be derived)
    parsed: bool


def _state(source: str, file: str) -> _State:
    from .. import check
    from ..compiler import build_program
    from ..diagnostics import has_errors

    timeline, diags = check(source, file)
    if timeline is None:
        return _State(source, diags, None, None, False)
    compiled = None if has_errors(diags) else meaning(build_program(timeline))
    beats = None
    if all(b.start is not None for b in timeline.beats):
        end = timeline.end.chunks if timeline.end is not None else None
        beats = (timeline.title, timeline.seed, end, tuple((b.start, b.prompt) for b in timeline.beats))
    return _State(source, diags, compiled, beats, True)


def meaning(program) -> dict:
    """A compiled Program without the parts that say where things were written (source, spans): the wire
    commands, the end, where the run stops, and each scene's start, end, completion and beats."""
    return program.model_dump(mode="json", exclude={
        "source": True, "source_map": True,
        "scenes": {"__all__": {"span": True, "beats": {"__all__": {"span"}}}},
    })


def apply_edits(source: str, edits: list[Edit]) -> str:
    """The text with the (non-overlapping) edits applied."""
    out = source
    for e in sorted(edits, key=lambda e: (e.span.start, e.span.end), reverse=True):
        out = out[: e.span.start] + e.text + out[e.span.end :]
    return out


def _overlaps(a: Fix, b: Fix) -> bool:
    for x in a.edits:
        for y in b.edits:
            if x.span.start < y.span.end and y.span.start < x.span.end:
                return True
            if x.span.start == y.span.start:  # two insertions at one point: their order would be a guess
                return True
    return False


def why_unsafe(before: _State, after: _State) -> str | None:
    """None when `after` is a safe fix of `before`; else the reason it is refused."""
    def counted(state: _State) -> Counter:
        if not before.parsed:
            return Counter(d.code for d in state.diagnostics if d.code.startswith("E1"))
        return Counter(d.code for d in state.diagnostics)

    old, new = counted(before), counted(after)
    worse = sorted(code for code in new if new[code] > old[code])
    if worse:
        return f"it would add {', '.join(worse)}"
    if sum(new.values()) >= sum(old.values()):
        return "it would not remove the problem it fixes"
    if before.compiled is not None and after.compiled != before.compiled:
        return "it would change what the storyboard compiles to"
    if before.beats is not None and after.beats != before.beats:
        return "it would move a beat or change a prompt"
    return None


def fix_source(source: str, file: str = "<input>", config: Config = DEFAULT,
               max_rounds: int = MAX_ROUNDS) -> FixResult:
    """Apply every safe fix the (reported) diagnostics of `source` carry, round after round."""
    result = FixResult(source)
    state = _state(source, file)
    refused_keys: set[tuple] = set()
    for _ in range(max_rounds):
        candidates: list[tuple[Diagnostic, Fix]] = []
        for d in apply(state.diagnostics, state.source, file, config):
            for f in d.fixes[:1]:
                key = (d.code, tuple((e.span.start, e.span.end, e.text) for e in f.edits))
                if key in refused_keys or any(f == g or _overlaps(f, g) for _, g in candidates):
                    continue
                candidates.append((d, f))
        if not candidates:
            break
        batch = _state(apply_edits(state.source, [e for _, f in candidates for e in f.edits]), file)
        if len(candidates) > 1 and why_unsafe(state, batch) is None:
            result.applied += [f for _, f in candidates]
            state = batch
            continue
        progressed = False
        for d, f in candidates:  # one at a time: keep the first safe one, then look again
            after = batch if len(candidates) == 1 else _state(apply_edits(state.source, list(f.edits)), file)
            reason = why_unsafe(state, after)
            if reason is None:
                result.applied.append(f)
                state = after
                progressed = True
                break
            refused_keys.add((d.code, tuple((e.span.start, e.span.end, e.text) for e in f.edits)))
            result.refused.append(Refusal(d, f, reason))
        if not progressed:
            break
    result.source = state.source
    result.remaining = apply(state.diagnostics, state.source, file, config)
    left = {(d.code, d.message) for d in result.remaining}
    unique: dict[tuple, Refusal] = {}
    for r in result.refused:  # report each refusal once, and only while its problem is still there
        if (r.diagnostic.code, r.diagnostic.message) in left:
            unique.setdefault((r.diagnostic.code, r.diagnostic.message, r.fix.message), r)
    result.refused = list(unique.values())
    return result
