"""Suite-wide rules. Under CI (CI=true) nothing may be skipped: CI installs every extra and runs
as root, so a skip there means a missing install step, and it fails the run instead of hiding.
Every trace a test leaves under its `tmp_path` must be a valid wire trace (see tests/tracecheck.py).
Variables that would change llv's output or venue (forced colour, a terminal size, a Reactor key,
HTTP proxies) are removed from the environment before any test runs.

Fixtures of the tests that play on the simulator (tests/e2e, tests/monitor):

- ``netns``: a fresh :class:`netns.NetNamespace` for one test (fails, saying why, where
  namespaces cannot be made: not root, no ``ip``).
- ``netns_module``: one namespace shared by a module's tests.
- ``require_runtime``: fails when reactor-runtime (the ``sim`` extra) is not installed.
"""

import importlib.util
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/, for `import tracecheck`, `import netns`

from netns import NetNamespace, unavailable_reason  # noqa: E402
from tracecheck import pytest_configure, pytest_runtest_call  # noqa: E402, F401 (hooks, found by name)

pytest_plugins = ["pytester"]  # tests/runtime/test_trace_records.py runs a test session of its own

# The environment the suite runs in must not change what llv prints or where it plays: a CI machine
# may force colour or a terminal size, hold a Reactor key, send HTTP through a proxy (which the
# tests' browsers would use for the namespaces' addresses) or have a display. Tests that want one set
# it themselves.
for _name in ("FORCE_COLOR", "NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "TTY_COMPATIBLE", "TTY_INTERACTIVE",
              "COLUMNS", "LINES", "REACTOR_API_KEY", "REACTOR_API_URL",
              "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy", "no_proxy",
              "DISPLAY", "WAYLAND_DISPLAY", "BROWSER"):  # no browser window opens from a test
    os.environ.pop(_name, None)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI", "").lower() in ("1", "true", "yes") and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped under CI, where every test must run: {reason}"


_NETNS_REASON: list[str | None] = []


def _netns_reason() -> str | None:
    if not _NETNS_REASON:
        _NETNS_REASON.append(unavailable_reason())
    return _NETNS_REASON[0]


@pytest.fixture(scope="session")
def require_runtime() -> None:
    if importlib.util.find_spec("reactor_runtime") is None:
        pytest.fail("reactor-runtime is not installed (pip install -e '.[sim]')")


def _namespace():
    reason = _netns_reason()
    if reason:
        pytest.fail(f"cannot make a network namespace: {reason}")
    with NetNamespace() as ns:
        yield ns


@pytest.fixture
def netns():
    yield from _namespace()


@pytest.fixture(scope="module")
def netns_module():
    yield from _namespace()
