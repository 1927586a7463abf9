"""Probability distributions (``torch.distributions``): sampling with torch's random streams,
log-densities, entropies and KL divergences, differentiable in the parameters.

Each distribution is a class in its own module (``Normal`` in ``normal.py``, ...) built on
``Distribution`` (``distribution.py``: shapes and argument validation); ``constraints`` says
which values parameters and samples may take, and ``kl`` holds ``kl_divergence`` with its
table of closed forms. ``sample`` and ``rsample`` draw exactly the numbers torch draws for the
same seed: a VAE's reparameterised ``Normal.rsample`` or a policy-gradient agent's
``Categorical.sample`` reproduces torch's run.
"""

from __future__ import annotations

from gradiente.distributions import constraints, kl
from gradiente.distributions.bernoulli import Bernoulli
from gradiente.distributions.categorical import Categorical
from gradiente.distributions.distribution import Distribution
from gradiente.distributions.exp_family import ExponentialFamily
from gradiente.distributions.exponential import Exponential
from gradiente.distributions.independent import Independent
from gradiente.distributions.kl import kl_divergence, register_kl
from gradiente.distributions.laplace import Laplace
from gradiente.distributions.multivariate_normal import MultivariateNormal
from gradiente.distributions.normal import Normal
from gradiente.distributions.one_hot_categorical import (
    OneHotCategorical,
    OneHotCategoricalStraightThrough,
)
from gradiente.distributions.poisson import Poisson
from gradiente.distributions.uniform import Uniform

__all__ = [
    "Bernoulli",
    "Categorical",
    "Distribution",
    "Exponential",
    "ExponentialFamily",
    "Independent",
    "Laplace",
    "MultivariateNormal",
    "Normal",
    "OneHotCategorical",
    "OneHotCategoricalStraightThrough",
    "Poisson",
    "Uniform",
    "constraints",
    "kl",
    "kl_divergence",
    "register_kl",
]
