"""Where a Program plays: a simulator started for the run, a runtime at a URL, or Reactor's cloud.

The choice is made once, here, above both `runtime/` and `sim/`: `llv run` and `longlive_dsl.run`
call `choose_venue` and `venue_url`, and the runtime only ever receives the URL (and the cloud's key).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any, Final, Literal

SIMULATOR: Final = "simulator"
SERVER: Final = "server"
CLOUD: Final = "cloud"


class VenueError(Exception):
    """The chosen venue cannot be used (no key for the cloud, the simulator not starting)."""


class NoSimulator(VenueError):
    """The simulator is not installed (the `sim` extra)."""


@dataclass(frozen=True, slots=True)
class Venue:
    """Where to play: `kind`, the URL (None for a simulator not yet started) and the cloud's API key."""

    kind: Literal["simulator", "server", "cloud"]
    url: str | None = None
    api_key: str | None = None

    def __repr__(self) -> str:  # the key never appears in a repr, a log or a traceback
        return f"Venue(kind={self.kind!r}, url={self.url!r}, api_key={'***' if self.api_key else None})"


def choose_venue(*, server: str | None = None, cloud: bool = False, api_key: str | None = None,
                 api_url: str | None = None) -> Venue:
    """The venue for these options: the cloud when asked (or a key is given without a server), else the server, else a simulator."""
    if cloud or (api_key and not server):
        if not api_key:
            raise VenueError("playing on the cloud needs an API key")
        from .runtime.signalling import DEFAULT_CLOUD_URL

        return Venue(CLOUD, api_url or DEFAULT_CLOUD_URL, api_key)
    if server:
        return Venue(SERVER, server)
    return Venue(SIMULATOR)


@contextmanager
def venue_url(venue: Venue, **simulator_options: Any) -> Iterator[str]:
    """The URL to play at for the body of a `with`: a simulator is started for it and stopped after."""
    if venue.kind != SIMULATOR:
        assert venue.url is not None
        yield venue.url
        return
    try:
        from .sim.server import SimulatorError, running_simulator
    except ImportError as e:
        raise NoSimulator(f"the simulator is not installed ({e}); install llv with the `sim` extra, "
                         "or play on a server or the cloud") from None
    with ExitStack() as stack:
        try:
            url = stack.enter_context(running_simulator(**simulator_options))
        except (SimulatorError, ValueError) as e:
            raise VenueError(f"the simulator did not start: {e}") from None
        yield url
