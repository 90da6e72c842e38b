"""Directing a running session: `connect` (the Python API), `take` (what played, as a storyboard) and `llv direct`."""

from .api import connect

__all__ = ["connect"]
