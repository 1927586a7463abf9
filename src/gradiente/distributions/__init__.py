"""Probability distributions (``torch.distributions``): sampling with torch's random streams,
log-densities, entropies and KL divergences, differentiable in the parameters.

Each distribution is a class in its own module (``Normal`` in ``normal.py``, ...) built on
``Distribution`` (``distribution.py``: shapes and argument validation); ``constraints`` says
which values parameters and samples may take, and ``kl`` holds ``kl_divergence`` with its
table of closed forms. ``sample`` and ``rsample`` draw exactly the numbers torch draws for the
same seed: a VAE's reparameterised ``Normal.rsample`` or a policy-gradient agent's
``Categorical.sample`` reproduces torch's run.

``transforms`` holds invertible maps with their log-Jacobians, and ``TransformedDistribution``
pushes a base distribution through them (``LogNormal`` is a ``Normal`` through ``exp``);
``constraint_registry`` (``biject_to``, ``transform_to``) maps a constraint to such a transform.
``gamma_sampling`` reproduces torch's gamma and Dirichlet samplers (Marsaglia–Tsang) and
their implicit reparameterisation gradients, behind ``Gamma``, ``Beta``, ``Dirichlet`` and the
distributions built on them.
"""

from __future__ import annotations

from gradiente.distributions import constraints, kl, transforms
from gradiente.distributions.bernoulli import Bernoulli
from gradiente.distributions.beta import Beta
from gradiente.distributions.binomial import Binomial
from gradiente.distributions.categorical import Categorical
from gradiente.distributions.cauchy import Cauchy
from gradiente.distributions.chi2 import Chi2
from gradiente.distributions.constraint_registry import biject_to, transform_to
from gradiente.distributions.continuous_bernoulli import ContinuousBernoulli
from gradiente.distributions.dirichlet import Dirichlet
from gradiente.distributions.distribution import Distribution
from gradiente.distributions.exp_family import ExponentialFamily
from gradiente.distributions.exponential import Exponential
from gradiente.distributions.fishersnedecor import FisherSnedecor
from gradiente.distributions.gamma import Gamma
from gradiente.distributions.generalized_pareto import GeneralizedPareto
from gradiente.distributions.geometric import Geometric
from gradiente.distributions.gumbel import Gumbel
from gradiente.distributions.half_cauchy import HalfCauchy
from gradiente.distributions.half_normal import HalfNormal
from gradiente.distributions.independent import Independent
from gradiente.distributions.inverse_gamma import InverseGamma
from gradiente.distributions.kl import kl_divergence, register_kl
from gradiente.distributions.kumaraswamy import Kumaraswamy
from gradiente.distributions.laplace import Laplace
from gradiente.distributions.lkj_cholesky import LKJCholesky
from gradiente.distributions.log_normal import LogNormal
from gradiente.distributions.logistic_normal import LogisticNormal
from gradiente.distributions.lowrank_multivariate_normal import LowRankMultivariateNormal
from gradiente.distributions.mixture_same_family import MixtureSameFamily
from gradiente.distributions.multinomial import Multinomial
from gradiente.distributions.multivariate_normal import MultivariateNormal
from gradiente.distributions.negative_binomial import NegativeBinomial
from gradiente.distributions.normal import Normal
from gradiente.distributions.one_hot_categorical import (
    OneHotCategorical,
    OneHotCategoricalStraightThrough,
)
from gradiente.distributions.pareto import Pareto
from gradiente.distributions.poisson import Poisson
from gradiente.distributions.relaxed_bernoulli import RelaxedBernoulli
from gradiente.distributions.relaxed_categorical import RelaxedOneHotCategorical
from gradiente.distributions.student_t import StudentT
from gradiente.distributions.transformed_distribution import TransformedDistribution
from gradiente.distributions.transforms import (
    AbsTransform,
    AffineTransform,
    CatTransform,
    ComposeTransform,
    CorrCholeskyTransform,
    CumulativeDistributionTransform,
    ExpTransform,
    IndependentTransform,
    LowerCholeskyTransform,
    PositiveDefiniteTransform,
    PowerTransform,
    ReshapeTransform,
    SigmoidTransform,
    SoftmaxTransform,
    SoftplusTransform,
    StackTransform,
    StickBreakingTransform,
    TanhTransform,
    Transform,
    identity_transform,
)
from gradiente.distributions.uniform import Uniform
from gradiente.distributions.von_mises import VonMises
from gradiente.distributions.weibull import Weibull
from gradiente.distributions.wishart import Wishart

__all__ = [
    "AbsTransform",
    "AffineTransform",
    "Bernoulli",
    "Beta",
    "Binomial",
    "CatTransform",
    "Categorical",
    "Cauchy",
    "Chi2",
    "ComposeTransform",
    "ContinuousBernoulli",
    "CorrCholeskyTransform",
    "CumulativeDistributionTransform",
    "Dirichlet",
    "Distribution",
    "ExpTransform",
    "Exponential",
    "ExponentialFamily",
    "FisherSnedecor",
    "Gamma",
    "GeneralizedPareto",
    "Geometric",
    "Gumbel",
    "HalfCauchy",
    "HalfNormal",
    "Independent",
    "IndependentTransform",
    "InverseGamma",
    "Kumaraswamy",
    "LKJCholesky",
    "Laplace",
    "LogNormal",
    "LogisticNormal",
    "LowRankMultivariateNormal",
    "LowerCholeskyTransform",
    "MixtureSameFamily",
    "Multinomial",
    "MultivariateNormal",
    "NegativeBinomial",
    "Normal",
    "OneHotCategorical",
    "OneHotCategoricalStraightThrough",
    "Pareto",
    "Poisson",
    "PositiveDefiniteTransform",
    "PowerTransform",
    "RelaxedBernoulli",
    "RelaxedOneHotCategorical",
    "ReshapeTransform",
    "SigmoidTransform",
    "SoftmaxTransform",
    "SoftplusTransform",
    "StackTransform",
    "StickBreakingTransform",
    "StudentT",
    "TanhTransform",
    "Transform",
    "TransformedDistribution",
    "Uniform",
    "VonMises",
    "Weibull",
    "Wishart",
    "biject_to",
    "constraints",
    "identity_transform",
    "kl",
    "kl_divergence",
    "register_kl",
    "transform_to",
    "transforms",
]
