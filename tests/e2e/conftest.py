"""Fixtures for end-to-end tests: network namespaces and the simulator inside one.

- ``netns``: a fresh :class:`netns.NetNamespace` for one test (skips, saying why, where
  namespaces cannot be made: not root, no ``ip``).
- ``netns_module``: one namespace shared by a module's tests.
- ``require_runtime``: skips when reactor-runtime (the ``sim`` extra) is not installed.
- ``sdk``: skips when the official client ``reactor-sdk`` is not installed (``dev`` extra).

For a client that runs as a subprocess inside the namespace, see :meth:`netns.NetNamespace.run_json`.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for `import netns`

from netns import NetNamespace, unavailable_reason  # noqa: E402

_REASON: list[str | None] = []


def _netns_reason() -> str | None:
    if not _REASON:
        _REASON.append(unavailable_reason())
    return _REASON[0]


@pytest.fixture(scope="session")
def require_runtime() -> None:
    if importlib.util.find_spec("reactor_runtime") is None:
        pytest.fail("reactor-runtime is not installed (pip install -e '.[sim]')")


@pytest.fixture(scope="session")
def sdk() -> None:
    if importlib.util.find_spec("reactor_sdk") is None:
        pytest.fail("reactor-sdk is not installed (pip install -e '.[dev]')")


@pytest.fixture
def netns():
    reason = _netns_reason()
    if reason:
        pytest.fail(f"cannot make a network namespace: {reason}")
    with NetNamespace() as ns:
        yield ns


@pytest.fixture(scope="module")
def netns_module():
    reason = _netns_reason()
    if reason:
        pytest.fail(f"cannot make a network namespace: {reason}")
    with NetNamespace() as ns:
        yield ns
