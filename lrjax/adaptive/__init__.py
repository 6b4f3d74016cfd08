"""Adaptive schedules: learning rates that follow a metric (optax stateful schedules)."""
