"""Presets: the familiar recipes, composed from primitives and combinators."""
