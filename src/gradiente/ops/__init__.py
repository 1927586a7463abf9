"""Differentiable primitives: each op is one Function with its forward and backward together."""
