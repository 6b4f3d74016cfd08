"""Primitive schedule families: closed-form functions of the step."""
