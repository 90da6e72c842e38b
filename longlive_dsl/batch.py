"""Many takes at once: each take is one `llv run` of its own Program, at most `jobs` at a time.

Every take runs in a child process (`python -m longlive_dsl.cli run program.json …`), so each has
its own session, its own event loop and signal handling (`runtime.session.play` installs them in
the main thread), its own embedded simulator on its own port when no server is given, and its CPU
time is measured by the kernel (`os.wait4`). The folder of a take, `OUT/NAME/`, holds:

- `program.json`: the Program played (compiled once, here, with the variant and seed);
- `video.mp4`, `trace.jsonl`: what `llv run --video --trace` writes;
- `run.log`: the child's own output;
- `verdict.json`: status, exit class, beats fired on plan, frames, wall and CPU time.

`OUT/summary.json` lists every take. A failed take is tried again only when its failure class is
retryable (RETRYABLE: no capacity after waiting, a timeout, a connection lost); the others go on.
Ctrl-C (or SIGTERM, SIGHUP) asks every running take to end cleanly (each ends its session, and its trace
and video stay valid), starts no new take, and still writes the summary.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .exits import EXIT_FINDINGS, EXIT_HANGUP, EXIT_INTERRUPTED, EXIT_OK
from .output import write_text
from .takes import Take

RETRYABLE = frozenset({"NO_CAPACITY", "TIMEOUT", "CONNECTION_LOST"})
"""Failure classes (runtime.Failure names) worth another try: the venue was busy or the network failed.
A refused key, billing, a version mismatch, a command the model refused, a bad answer, an unwritable
output or an interrupt would fail the same way again."""

VERIFIED, NOT_VERIFIED, FAILED, INTERRUPTED, NOT_RUN = "verified", "not verified", "failed", "interrupted", "not run"
SUMMARY = "summary.json"


@dataclass
class TakeResult:
    """How one take went (also its `verdict.json`)."""

    take: str
    status: str
    exit_code: int | None = None
    failure: str | None = None  # runtime.Failure name; None when the run itself succeeded
    beats_on_plan: int = 0
    beats: int = 0
    frames: int = 0
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0  # the take's own process (client and, without a server, its simulator)
    attempts: int = 0
    resumed: bool = False
    folder: str = ""
    message: str = ""

    @property
    def exit_class(self) -> str:
        """The failure class as the summary shows it (`ok` for a run that ended as planned)."""
        if self.status == NOT_RUN:
            return "-"
        return self.failure.lower() if self.failure else ("ok" if self.exit_code == 0 else "-")

    def verdict(self) -> dict[str, Any]:
        """The result as `verdict.json` and `summary.json` hold it: every field, and the exit class."""
        return {**asdict(self), "exit_class": self.exit_class}


@dataclass
class Batch:
    """What to run and how: the takes, the output folder, how many at once, the child's `llv run` options."""

    takes: list[Take]
    out: Path
    jobs: int = 1
    run_options: list[str] = field(default_factory=list)
    retries: int = 1
    resume: bool = False
    env: dict[str, str] | None = None  # the children's environment (default: ours)


def program_text(take: Take) -> str:
    """The Program of a take as written to its folder (and compared by `--resume`)."""
    return take.program.model_dump_json(indent=2) + "\n"


def already_verified(folder: Path, take: Take) -> TakeResult | None:
    """The earlier result of a take that verified with the same Program, for `--resume`."""
    try:
        verdict = json.loads((folder / "verdict.json").read_text(encoding="utf-8"))
        same = (folder / "program.json").read_text(encoding="utf-8") == program_text(take)
    except (OSError, ValueError):
        return None
    if not same or not isinstance(verdict, dict) or verdict.get("status") != VERIFIED:
        return None
    known = {k: v for k, v in verdict.items() if k in TakeResult.__dataclass_fields__}
    try:
        result = TakeResult(**known)
    except TypeError:
        return None
    result.resumed = True
    return result


def _die_with_parent() -> None:
    """In a take's process, before exec: SIGINT when llv itself dies (Linux), so no take outlives it."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGINT)  # PR_SET_PDEATHSIG


class Runner:
    """Runs a Batch: a pool of `jobs` threads, each starting and waiting for one take's process at a time."""

    def __init__(self, batch: Batch, say: Callable[[str], None]) -> None:
        self.batch, self.say = batch, say
        self.stopping = threading.Event()
        self.live: dict[int, subprocess.Popen[bytes]] = {}
        self.lock = threading.Lock()
        self.hung_up = False
        """The batch was stopped by SIGHUP (the terminal went away): it exits 129, not 130."""

    def run(self) -> list[TakeResult]:
        """Every take's result, in the takes' order (interrupted ones included); writes summary.json."""
        batch = self.batch
        batch.out.mkdir(parents=True, exist_ok=True)
        results: dict[str, TakeResult] = {}
        pending: list[Take] = []
        for take in batch.takes:
            earlier = already_verified(batch.out / take.name, take) if batch.resume else None
            if earlier is not None:
                self.say(f"{take.name}: already verified, skipped (--resume)")
                results[take.name] = earlier
            else:
                pending.append(take)
        main = threading.current_thread() is threading.main_thread()
        # Ctrl-C, SIGTERM and SIGHUP end every take cleanly; SIGINT is taken explicitly, as a single take's
        # `llv run` does, so it works even when llv was started with it ignored (a background job).
        signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        previous = {s: signal.signal(s, self._on_signal) for s in signals} if main else {}
        pool = ThreadPoolExecutor(max_workers=max(1, batch.jobs), thread_name_prefix="take")
        futures: dict[Future[TakeResult], Take] = {pool.submit(self.one, take): take for take in pending}
        try:
            waiting = set(futures)
            while waiting:
                done, waiting = wait(waiting, timeout=0.5, return_when=FIRST_COMPLETED)
                for f in done:
                    results[futures[f].name] = f.result()
        except KeyboardInterrupt:
            self.stop("interrupted: ending every take cleanly")
            for f, take in futures.items():
                results[take.name] = f.result()  # each ends soon: its process got SIGINT, or it never starts
        finally:
            pool.shutdown(wait=True)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        ordered = [results[t.name] for t in batch.takes]
        write_summary(batch.out / SUMMARY, ordered)
        return ordered

    def _on_signal(self, signum: int, frame: object) -> None:
        self.hung_up = self.hung_up or signum == signal.SIGHUP
        raise KeyboardInterrupt  # handled in `run`: start no new take, and end the running ones cleanly

    def stop(self, why: str) -> None:
        """Start no new take and ask every running one to end (SIGINT: it ends its session and closes its files)."""
        if self.stopping.is_set():
            return
        self.stopping.set()
        self.say(why)
        with self.lock:
            for proc in self.live.values():
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGINT)

    def one(self, take: Take) -> TakeResult:
        """Play one take (again while its failure is retryable), verify it, write its verdict."""
        folder = self.batch.out / take.name
        folder.mkdir(parents=True, exist_ok=True)
        write_text(str(folder / "program.json"), program_text(take))
        result = TakeResult(take.name, NOT_RUN, folder=str(folder), beats=sum(len(s.beats) for s in take.program.scenes))
        while not self.stopping.is_set() and result.attempts < 1 + max(0, self.batch.retries):
            if result.attempts:
                self.say(f"{take.name}: {result.failure.lower() if result.failure else 'failed'}, "
                         f"retrying (attempt {result.attempts + 1})")
            result.attempts += 1
            self._play(take, folder, result)
            if result.failure not in RETRYABLE:
                break
        if result.status != NOT_RUN:
            write_text(str(folder / "verdict.json"), json.dumps(result.verdict(), indent=2) + "\n")
            self.say(f"{take.name}: {result.status} ({result.exit_class}), {result.beats_on_plan}/{result.beats} "
                     f"beats on plan, {result.frames} frames, {result.wall_seconds:.1f} s")
        return result

    def _play(self, take: Take, folder: Path, result: TakeResult) -> None:
        video, trace = folder / "video.mp4", folder / "trace.jsonl"
        for stale in (video, trace):
            with contextlib.suppress(FileNotFoundError):
                stale.unlink()
        argv = [sys.executable, "-m", "longlive_dsl.cli", "run", str(folder / "program.json"),
                "--video", str(video), "--trace", str(trace), "--plain", *self.batch.run_options]
        started = time.monotonic()
        with open(folder / "run.log", "wb") as log:
            with self.lock:
                if self.stopping.is_set():
                    return
                proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                        env=self.batch.env, start_new_session=True, preexec_fn=_die_with_parent)
                self.live[proc.pid] = proc
            self.say(f"{take.name}: started")
            try:
                _, status, usage = os.wait4(proc.pid, 0)
                proc.returncode = os.waitstatus_to_exitcode(status)
            finally:
                with self.lock:
                    self.live.pop(proc.pid, None)
        result.wall_seconds = round(time.monotonic() - started, 3)
        result.cpu_seconds = round(usage.ru_utime + usage.ru_stime, 3)
        result.exit_code = proc.returncode
        self._judge(take, trace, result)

    def _judge(self, take: Take, trace: Path, result: TakeResult) -> None:
        """Read the take's trace back: its `end` record, and `llv verify`'s verdict."""
        from .runtime.trace import TraceFileError, read_trace
        from .runtime.verify import verify

        try:
            records = read_trace(trace)
        except (OSError, TraceFileError, UnicodeDecodeError) as e:
            records = []
            result.message = f"no readable trace: {e}"
        end = next((r for r in reversed(records) if r.get("kind") == "end"), None)
        result.failure = end.get("failure") if end else ("INTERRUPTED" if result.exit_code == EXIT_INTERRUPTED else None)
        result.frames = int(end.get("frames_received", 0)) if end else 0
        if end:
            result.message = str(end.get("message", ""))
        report = verify(take.program, records)
        result.beats_on_plan = sum(1 for b in report.beats if b.ok)  # of result.beats: verify reports every beat
        if result.failure == "INTERRUPTED" or result.exit_code == EXIT_INTERRUPTED:
            result.status = INTERRUPTED
        elif result.exit_code != 0 or result.failure:
            result.status = FAILED
            if end is None and not result.message:
                result.message = f"llv run exited {result.exit_code} without a trace; see run.log"
        else:
            result.status = VERIFIED if report.ok else NOT_VERIFIED


def write_summary(path: Path, results: list[TakeResult]) -> None:
    """summary.json: every take's result, and the counts by status."""
    write_text(str(path), json.dumps(summary_json(results), indent=2) + "\n")


def summary_json(results: list[TakeResult]) -> dict[str, Any]:
    """The summary as scripts read it: `takes` (each take's verdict) and `counts` by status."""
    counts = Counter(r.status for r in results)
    return {"format": "llv-takes/1", "counts": dict(counts), "takes": [r.verdict() for r in results]}


def batch_exit_code(results: list[TakeResult], hung_up: bool = False) -> int:
    """0 when every take verified, 130 when interrupted (129 by a hang-up), 1 when any take failed or
    did not verify."""
    if any(r.status in (INTERRUPTED, NOT_RUN) for r in results):
        return EXIT_HANGUP if hung_up else EXIT_INTERRUPTED
    return EXIT_OK if all(r.status == VERIFIED for r in results) else EXIT_FINDINGS
