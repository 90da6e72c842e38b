"""Fixtures for the monitor's end-to-end tests: Chromium (the network namespaces are in tests/conftest.py)."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session")
def chromium() -> str:
    from browser import find_chromium

    found = find_chromium()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (`make test` installs it)")
        pytest.fail("chromium is not installed (apt-get install chromium)")
    return found
