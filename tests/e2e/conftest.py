"""Fixtures for end-to-end tests; the network namespaces and ``require_runtime`` are in tests/conftest.py.

- ``sdk``: fails when the official client ``reactor-sdk`` is not installed (``dev`` extra).

For a client that runs as a subprocess inside the namespace, see :meth:`netns.NetNamespace.run_json`.
"""

from __future__ import annotations

import importlib.util

import pytest


@pytest.fixture(scope="session")
def sdk() -> None:
    if importlib.util.find_spec("reactor_sdk") is None:
        pytest.fail("reactor-sdk is not installed (pip install -e '.[dev]')")
