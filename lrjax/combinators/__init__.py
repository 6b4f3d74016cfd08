"""Combinators: schedules built from other schedules (join, warmup, cycle, arithmetic, time)."""
