"""`llv run --monitor`: the take's picture live in a browser tab, beside its plan (docs/monitor.md).

`Monitor` is the whole interface a run needs: `start()`, `frame(av.VideoFrame)` for each decoded
frame, the Listener calls (or `event(kind, ...)`) for the run's events, `close()`.
"""

from .server import Monitor, Tee, start_for_run

__all__ = ["Monitor", "Tee", "start_for_run"]
