"""Fixtures for the monitor's end-to-end tests: a network namespace with the simulator's tools, and Chromium."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for `import netns`, `import browser`

from netns import NetNamespace, unavailable_reason  # noqa: E402


@pytest.fixture(scope="module")
def netns_module():
    if importlib.util.find_spec("reactor_runtime") is None:
        pytest.fail("reactor-runtime is not installed (pip install -e '.[sim]')")
    reason = unavailable_reason()
    if reason:
        pytest.fail(f"cannot make a network namespace: {reason}")
    with NetNamespace() as ns:
        yield ns


@pytest.fixture(scope="session")
def chromium() -> str:
    from browser import find_chromium

    found = find_chromium()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (`make test` installs it)")
        pytest.fail("chromium is not installed (apt-get install chromium)")
    return found
