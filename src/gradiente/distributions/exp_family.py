"""``ExponentialFamily``: distributions whose density is p(x; θ) = h(x) exp(⟨θ, t(x)⟩ − F(θ)).

With the natural parameters θ and the log-normaliser F, entropy and KL divergence follow from
F alone (Bregman divergences, Nielsen & Nock 2010): E[t(x)] = ∇F(θ), so
H = F(θ) − ⟨θ, ∇F(θ)⟩ − E[log h(x)], computed here with autograd.
"""

from __future__ import annotations

from gradiente.autograd import grad
from gradiente.distributions.distribution import Distribution

__all__ = ["ExponentialFamily"]


class ExponentialFamily(Distribution):
    """The base class of exponential-family distributions: subclasses give
    ``_natural_params`` (θ), ``_log_normalizer(*θ)`` (F) and ``_mean_carrier_measure``
    (E[log h(x)])."""

    @property
    def _natural_params(self) -> tuple:
        """The natural parameters θ, one tensor each."""
        raise NotImplementedError

    def _log_normalizer(self, *natural_params):
        """F(θ), the log-normaliser, as a function of the natural parameters."""
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self) -> float:
        """E[log h(x)], the expected log carrier measure."""
        raise NotImplementedError

    def entropy(self):
        """H = F(θ) − ⟨θ, ∇F(θ)⟩ − E[log h(x)], ∇F by autograd."""
        result = -self._mean_carrier_measure
        thetas = [p.detach().requires_grad_() for p in self._natural_params]
        log_normalizer = self._log_normalizer(*thetas)
        gradients = grad(log_normalizer.sum(), thetas, create_graph=True)
        result = result + log_normalizer
        for theta, g in zip(thetas, gradients):
            result = result - (theta * g).reshape(tuple(self._batch_shape) + (-1,)).sum(-1)
        return result
