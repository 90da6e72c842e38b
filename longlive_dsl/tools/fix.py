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
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..config import DEFAULT, Config, apply
from ..diagnostics import Diagnostic, Edit, Fix

if TYPE_CHECKING:
    from ..program import Program

MAX_ROUNDS = 100
"""Rounds of fixing before `llv fix` stops (as ruff's). A round applies every fix it can at once, checking
the text again once, and only when that is refused, halves by halves (a refused fix costs a few checks)."""


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
    compiled: str | None  # a digest of what it compiles to, minus where it was written (meaning()); None: it does not
    beats: str | None  # a digest of its placed beats; None: not placed (syntax errors, or an underivable position)
    parsed: bool
    clock: str | None = None  # the clock profile it was checked on (the configuration's or --clock)


def _state(source: str, file: str, clock: str | None = None) -> _State:
    from .. import check
    from ..compiler import build_program
    from ..diagnostics import has_errors

    timeline, diags = check(source, file, clock)
    if timeline is None:
        return _State(source, diags, None, None, False, clock)
    compiled = None if has_errors(diags) else _digest(meaning(build_program(timeline)))
    beats = None
    if all(b.start is not None for b in timeline.beats):
        end = timeline.end.chunks if timeline.end is not None else None
        beats = _digest([timeline.title, timeline.seed, end, [(b.start, b.prompt) for b in timeline.beats]])
    return _State(source, diags, compiled, beats, True, clock)


def _digest(value: object) -> str:
    """A short fingerprint of a JSON-able value (a state keeps this, not the value: less to hold)."""
    import hashlib
    import json

    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def meaning(program: Program) -> dict[str, Any]:
    """A compiled Program without the parts that say where things were written (source, spans): the wire
    commands, the end, where the run stops, and each scene's start, end, completion and beats."""
    dumped: dict[str, Any] = program.model_dump(mode="json", exclude={
        "source": True, "source_map": True,
        "scenes": {"__all__": {"span": True, "beats": {"__all__": {"span"}}}},
    })
    return dumped


def apply_edits(source: str, edits: list[Edit]) -> str:
    """The text with the (non-overlapping) edits applied."""
    pieces: list[str] = []
    at = 0
    for e in sorted(edits, key=lambda e: (e.span.start, e.span.end)):
        pieces += [source[at : e.span.start], e.text]
        at = e.span.end
    pieces.append(source[at:])
    return "".join(pieces)


def _disjoint(found: list[tuple[Diagnostic, Fix]]) -> list[tuple[Diagnostic, Fix]]:
    """The fixes to apply together: one per distinct fix, none touching another (in one pass, sorted).
    Two insertions at one point would need a guess at their order: only the first is kept."""
    out: list[tuple[Diagnostic, Fix]] = []
    seen: set[tuple[tuple[int, int, str], ...]] = set()
    last_end = -1
    ordered = sorted((x for x in found if x[1].edits), key=lambda x: min(e.span.start for e in x[1].edits))
    for d, f in ordered:
        key = tuple((e.span.start, e.span.end, e.text) for e in f.edits)
        if key in seen:
            continue
        seen.add(key)
        start = min(e.span.start for e in f.edits)
        if start <= last_end and out:
            continue
        out.append((d, f))
        last_end = max(max(e.span.end for e in f.edits), start)
    return out


def _syntax_errors(counts: Counter[str]) -> int:
    return sum(n for code, n in counts.items() if code.startswith("E1"))


def why_unsafe(before: _State, after: _State, fixed: Iterable[str] = ()) -> str | None:
    """None when `after` is a safe fix of `before` (for diagnostics with the codes `fixed`); else why not.

    While `before` does not parse, only syntax errors are compared, and not code by code: what lay
    behind a misspelt keyword was never checked, so correcting it may reveal another syntax error
    (one problem for one is allowed there, as long as the one fixed is gone).
    """
    old, new = Counter(d.code for d in before.diagnostics), Counter(d.code for d in after.diagnostics)
    if any(new[code] >= old[code] for code in set(fixed)):
        return "it would not remove the problem it fixes"
    if not before.parsed:
        return "it would add a syntax error" if _syntax_errors(new) > _syntax_errors(old) else None
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


def _key(d: Diagnostic, f: Fix) -> tuple[str, str, str, int]:
    return d.code, d.message, f.message, d.span.line


def _settle(state: _State, candidates: list[tuple[Diagnostic, Fix]], file: str,
            result: FixResult, refused: set[tuple[str, str, str, int]]) -> _State:
    """Apply the largest safe part of `candidates` found by halving: all of them if that is safe, else
    the first half that is; a single fix that is unsafe alone is refused."""
    after = _state(apply_edits(state.source, [e for _, f in candidates for e in f.edits]), file, state.clock)
    reason = why_unsafe(state, after, [d.code for d, _ in candidates])
    if reason is None:
        result.applied += [f for _, f in candidates]
        return after
    if len(candidates) == 1:
        d, f = candidates[0]
        refused.add(_key(d, f))
        result.refused.append(Refusal(d, f, reason))
        return state
    half = len(candidates) // 2
    settled = _settle(state, candidates[:half], file, result, refused)
    if settled is not state:
        return settled  # the rest is tried again next round, against the new text
    return _settle(state, candidates[half:], file, result, refused)


def fix_source(source: str, file: str = "<input>", config: Config = DEFAULT,
               max_rounds: int = MAX_ROUNDS) -> FixResult:
    """Apply every safe fix the (reported) diagnostics of `source` carry, round after round."""
    result = FixResult(source)
    state = _state(source, file, config.clock)
    refused: set[tuple[str, str, str, int]] = set()
    for _ in range(max_rounds):
        candidates = _disjoint([(d, d.fixes[0]) for d in apply(state.diagnostics, state.source, file, config)
                                if d.fixes and d.file == file and _key(d, d.fixes[0]) not in refused])
        if not candidates:
            break
        settled = _settle(state, candidates, file, result, refused)
        if settled is state:
            break
        state = settled
    result.source = state.source
    result.remaining = apply(state.diagnostics, state.source, file, config)
    left = {(d.code, d.message) for d in result.remaining}
    unique: dict[tuple[str, str, str], Refusal] = {}
    for r in result.refused:  # report each refusal once, and only while its problem is still there
        if (r.diagnostic.code, r.diagnostic.message) in left:
            unique.setdefault((r.diagnostic.code, r.diagnostic.message, r.fix.message), r)
    result.refused = list(unique.values())
    return result
