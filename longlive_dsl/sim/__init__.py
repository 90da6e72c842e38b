"""The LongLive-2.0 simulator: a pure, caller-clocked model of the hosted model's behaviour.

See ``docs/simulator.md`` for the rules it follows and which of them are published fact.
"""

from longlive_dsl.sim.engine import Engine, FrameInfo, Message

__all__ = ["Engine", "FrameInfo", "Message"]
