"""Adapters: lrjax schedules inside training loops (optax state, PyTorch, Keras)."""
