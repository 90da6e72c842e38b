"""Fixtures for the review tests: a real take of an example storyboard, played on the simulator.

``take`` runs `llv run` once per test session inside a private network namespace (as the
end-to-end tests do: WebRTC needs a non-loopback address), time-compressed: few frames per chunk,
a small frame size and a faster playout. It yields the storyboard, the video and the trace.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for `import netns`

from netns import NetNamespace, unavailable_reason  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
STORYBOARD = ROOT / "examples" / "ratatouille.llv"
FPC = 6
SIZE = "320x176"


@dataclass(frozen=True)
class TakeFiles:
    storyboard: Path
    video: Path
    trace: Path


def llv(*args: str) -> list[str]:
    return [sys.executable, "-m", "longlive_dsl.cli", *args]


@pytest.fixture(scope="session")
def take(tmp_path_factory) -> TakeFiles:
    if importlib.util.find_spec("reactor_runtime") is None:
        pytest.fail("reactor-runtime is not installed (pip install -e '.[sim]')")
    reason = unavailable_reason()
    if reason:
        pytest.fail(f"cannot make a network namespace for the take: {reason}")
    folder = tmp_path_factory.mktemp("take")
    video, trace = folder / "take.mp4", folder / "take.jsonl"
    with NetNamespace() as ns:
        done = ns.run(
            llv("run", str(STORYBOARD), "--time-scale", "4", "--frames-per-chunk", str(FPC), "--size", SIZE,
                "--video", str(video), "--trace", str(trace), "--plain"),
            capture_output=True, text=True, timeout=120, cwd=str(ROOT),
        )
    assert done.returncode == 0, done.stderr[-3000:]
    return TakeFiles(STORYBOARD, video, trace)


@pytest.fixture
def chromium_or_skip() -> str:
    from browser import find_chromium

    found = find_chromium()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (`make test` installs it)")
        pytest.fail("chromium is not installed")
    return found
