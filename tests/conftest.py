"""Suite-wide rules. Under CI (CI=true) nothing may be skipped: CI installs every extra and runs
as root, so a skip there means a missing install step, and it fails the run instead of hiding.
Every trace a test leaves under its `tmp_path` must be a valid wire trace (see tests/tracecheck.py)."""

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/, for `import tracecheck`

from tracecheck import pytest_configure, pytest_runtest_call  # noqa: E402, F401 (hooks, found by name)

pytest_plugins = ["pytester"]  # tests/runtime/test_trace_records.py runs a test session of its own


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI", "").lower() in ("1", "true", "yes") and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped under CI, where every test must run: {reason}"
