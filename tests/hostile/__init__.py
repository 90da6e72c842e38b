"""A hostile signalling server for testing `llv run`: it lies, stalls, floods and drops, on cue."""
