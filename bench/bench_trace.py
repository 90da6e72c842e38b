"""Benchmark of the trace writer: what checking each record against the record models costs.

`llv run` writes a record per data-channel message, so the check must stay a small part of a
write. Measured in the same run, per record, on the records a run writes most (a received
`chunk_complete`, a sent command, a `state`, an HTTP call):
- the whole `Trace.write` (check, redaction, JSON, write, flush);
- the model check alone (`TRACE_RECORD.validate_python`, strict);
- the baseline without the check: redaction, JSON, write and flush of the same record.
Prints each in microseconds and the check as a share of the write. Usage:

    python bench/bench_trace.py [--records 2000] [--repeat 15]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

from longlive_dsl.runtime.trace import TRACE_RECORD, Redactor, Trace

PROMPT = "A lighthouse keeper climbs the spiral stair at dusk, lantern swinging, gulls wheeling outside. " * 2
RECORDS = [
    ("recv", {"channel": "data", "frame": {"scope": "application", "type": "chunk_complete", "data": {
        "session_chunk": 41, "chunk_index": 9, "active_prompt": PROMPT, "frames_emitted": 1312}}}),
    ("send", {"channel": "data", "frame": {"type": "schedule_shot", "data": {"prompt": PROMPT, "at_chunk": 48}}}),
    ("recv", {"channel": "data", "frame": {"scope": "application", "type": "state", "data": {
        "running": True, "paused": False, "session_chunk": 41, "active_prompt": PROMPT, "scheduled": []}}}),
    ("http", {"method": "GET", "path": "/sessions/abc123", "status": 200, "ms": 12.4}),
]


def per_record(fns: dict, n: int, repeat: int) -> dict[str, float]:
    """Best of `repeat` rounds of `n` records each, the functions taking turns; microseconds per record."""
    rounds = max(1, n // len(RECORDS))
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(repeat):
        for name, fn in fns.items():
            t = time.perf_counter()
            for _ in range(rounds):
                for kind, fields in RECORDS:
                    fn(kind, fields)
            best[name] = min(best[name], (time.perf_counter() - t) / (rounds * len(RECORDS)))
    return {name: 1e6 * b for name, b in best.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        trace = Trace(os.path.join(tmp, "checked.jsonl"), Redactor(["rk_live_0123456789"]))
        redactor = Redactor(["rk_live_0123456789"])
        plain = open(os.path.join(tmp, "baseline.jsonl"), "w", encoding="utf-8")  # noqa: SIM115
        t0 = time.monotonic()

        def baseline(kind: str, fields: dict) -> None:
            now = time.monotonic()
            record = {"t": round(now - t0, 6), "mono": round(now, 6), "kind": kind}
            record.update(redactor.value(fields))
            plain.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
            plain.flush()

        def check(kind: str, fields: dict) -> None:
            TRACE_RECORD.validate_python({"t": 1.0, "mono": 2.0, "kind": kind, **fields}, strict=True)

        us = per_record({"write": lambda kind, fields: trace.write(kind, **fields), "baseline": baseline,
                         "check": check}, args.records, args.repeat)
        write, base, checked = us["write"], us["baseline"], us["check"]
        trace.close()
        plain.close()
    print(f"Trace.write:           {write:7.1f} us per record")
    print(f"baseline, no check:    {base:7.1f} us per record")
    print(f"model check alone:     {checked:7.1f} us per record")
    print(f"write / baseline:      {write / base:7.2f}x")
    print(f"check share of write:  {100 * checked / write:7.1f} %")


if __name__ == "__main__":
    main()
