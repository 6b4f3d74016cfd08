"""lrjax benchmarks against the peers and the limit; run with ``python -m benchmarks``."""
