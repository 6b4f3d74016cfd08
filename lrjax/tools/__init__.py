"""Tools over schedules: evaluate, envelope, summarize, sweep, plot, parse, the command line."""
