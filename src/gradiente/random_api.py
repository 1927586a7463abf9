"""``torch.random``: the default generator's functions under their module path
(``from torch.random import fork_rng``), with the state as a uint8 Tensor as torch gives it
(``gradiente.random`` itself is the generator's implementation, on NumPy arrays)."""

from __future__ import annotations

from gradiente.functions.settings import get_rng_state, set_rng_state
from gradiente.random import default_generator, fork_rng, initial_seed, manual_seed, seed

__all__ = [
    "default_generator",
    "fork_rng",
    "get_rng_state",
    "initial_seed",
    "manual_seed",
    "seed",
    "set_rng_state",
]
