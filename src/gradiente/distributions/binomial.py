"""``Binomial``: the number of successes in ``total_count`` Bernoulli(p) trials, and the
sampler that reproduces ``torch.binomial``'s draws on the CPU."""

from __future__ import annotations

import math

import numpy as np

from gradiente import backend as B
from gradiente.autograd import no_grad
from gradiente.distributions import constraints
from gradiente.distributions.distribution import Distribution
from gradiente.distributions.utils import (
    broadcast_all,
    lazy_property,
    logits_to_probs,
    probs_to_logits,
)
from gradiente.random import _canonical, _gen
from gradiente.tensor import Size, Tensor, arange

__all__ = ["Binomial"]

# log k! − Stirling's approximation, tabulated for k < 10 (Hörmann's BTRS, 1993)
_STIRLING_TAIL = (
    0.0810614667953272,
    0.0413406959554092,
    0.0276779256849983,
    0.02079067210376509,
    0.0166446911898211,
    0.0138761288230707,
    0.0118967099458917,
    0.0104112652619720,
    0.00925546218271273,
    0.00833056343336287,
)


def _stirling_tail(k: float) -> float:
    if k < len(_STIRLING_TAIL):
        return _STIRLING_TAIL[int(k)]
    kp1sq = (k + 1) * (k + 1)
    return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1)


def _uniform(gen) -> float:
    return float(_canonical(gen, 1, np.float64)[0])


def _inversion(count: float, prob: float, gen) -> float:
    """For small n·p: count geometric waiting times (⌈log U / log(1 − p)⌉ trials each) until
    they pass n."""
    geom_sum, num_geom = 0.0, 0.0
    logprob = math.log1p(-prob)
    while True:
        geom_sum += math.ceil(math.log(_uniform(gen)) / logprob)
        if geom_sum > count:
            return num_geom
        num_geom += 1


def _btrs(count: float, prob: float, gen) -> float:
    """For n·p ≥ 10: Hörmann's transformed rejection with squeeze (BTRS), as ATen writes it."""
    stddev = math.sqrt(count * prob * (1 - prob))
    b = 1.15 + 2.53 * stddev
    a = -0.0873 + 0.0248 * b + 0.01 * prob
    c = count * prob + 0.5
    v_r = 0.92 - 4.2 / b
    r = prob / (1 - prob)
    alpha = (2.83 + 5.1 / b) * stddev
    m = math.floor((count + 1) * prob)
    while True:
        U = _uniform(gen) - 0.5
        V = _uniform(gen)
        us = 0.5 - abs(U)
        k = float(math.floor((2 * a / us + b) * U + c))
        if k < 0 or k > count:
            continue
        if us >= 0.07 and V <= v_r:
            return k
        V = math.log(V * alpha / (a / (us * us) + b))
        upperbound = (
            (m + 0.5) * math.log((m + 1) / (r * (count - m + 1)))
            + (count + 1) * math.log((count - m + 1) / (count - k + 1))
            + (k + 0.5) * math.log(r * (count - k + 1) / (k + 1))
            + _stirling_tail(m)
            + _stirling_tail(count - m)
            - _stirling_tail(k)
            - _stirling_tail(count - k)
        )
        if V <= upperbound:
            return k


def _binomial_one(count: float, prob: float, gen) -> float:
    """One Binomial(n, p) count, as ATen's ``sample_binomial`` (float64 arithmetic)."""
    if count <= 0.0 or prob <= 0.0:
        return 0.0
    if prob >= 1.0:
        return count
    if prob <= 0.5:
        if count * prob >= 10.0:
            return _btrs(count, prob, gen)
        return _inversion(count, prob, gen)
    if prob > 0.5:
        qprob = 1.0 - prob  # sample the failures
        if count * qprob >= 10.0:
            return count - _btrs(count, qprob, gen)
        return count - _inversion(count, qprob, gen)
    return math.nan


def _binomial(count: Tensor, prob: Tensor, generator=None) -> Tensor:
    """``torch.binomial(count, prob)``: one draw per element, in memory order.

    float64 reproduces torch exactly; for float32 torch rounds some intermediate products to
    float32 and the rare sample near an acceptance boundary may differ.
    """
    counts = B.host(count.detach().contiguous()._data).astype(np.float64).ravel().tolist()
    probs = B.host(prob.detach().contiguous()._data).astype(np.float64).ravel().tolist()
    gen = _gen(generator)
    with gen.lock:
        values = [_binomial_one(n, p, gen) for n, p in zip(counts, probs)]
    out = np.asarray(values, dtype=prob._data.dtype).reshape(tuple(prob.shape))
    return Tensor._make(B.to_device(out, B.array_device_index(prob._data)), False, None)


def _clamp_by_zero(x):
    """max(x, 0) written so that its gradient at 0 is ½ (torch's choice)."""
    return (x.clamp(min=0) + x - x.clamp(max=0)) / 2


class Binomial(Distribution):
    """The binomial distribution: ``total_count`` trials (n) with success probability
    ``probs`` (p) or ``logits`` (give exactly one)."""

    arg_constraints = {
        "total_count": constraints.nonnegative_integer,
        "probs": constraints.unit_interval,
        "logits": constraints.real,
    }
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            self.total_count, self.probs = broadcast_all(total_count, probs)
            self.total_count = self.total_count.type_as(self.probs)
        else:
            self.total_count, self.logits = broadcast_all(total_count, logits)
            self.total_count = self.total_count.type_as(self.logits)
        self._param = self.probs if probs is not None else self.logits
        super().__init__(self._param.size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Binomial, _instance)
        batch_shape = Size(batch_shape)
        new.total_count = self.total_count.expand(batch_shape)
        if "probs" in self.__dict__:
            new.probs = self.probs.expand(batch_shape)
            new._param = new.probs
        if "logits" in self.__dict__:
            new.logits = self.logits.expand(batch_shape)
            new._param = new.logits
        super(Binomial, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _new(self, *args, **kwargs):
        return self._param.new(*args, **kwargs)

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self) -> Tensor:
        return self.total_count * self.probs

    @property
    def mode(self) -> Tensor:
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self) -> Tensor:
        return self.total_count * self.probs * (1 - self.probs)

    @lazy_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self) -> Tensor:
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self) -> Size:
        return self._param.size()

    def sample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        with no_grad():
            return _binomial(self.total_count.expand(shape), self.probs.expand(shape))

    def log_prob(self, value):
        # log C(n, k) + k·logit − n log(1 + e^logit), the last term written stably
        if self._validate_args:
            self._validate_sample(value)
        log_factorial_n = (self.total_count + 1).lgamma()
        log_factorial_k = (value + 1).lgamma()
        log_factorial_nmk = (self.total_count - value + 1).lgamma()
        normalize_term = (
            self.total_count * _clamp_by_zero(self.logits)
            + self.total_count * (-self.logits.abs()).exp().log1p()
            - log_factorial_n
        )
        return value * self.logits - log_factorial_k - log_factorial_nmk - normalize_term

    def entropy(self):
        """−Σ_k P(k) log P(k) over the support (one total count for the whole batch)."""
        total_count = int(self.total_count.max())
        if not self.total_count.min() == total_count:
            raise NotImplementedError("Inhomogeneous total count not supported by `entropy`.")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(log_prob.exp() * log_prob).sum(0)

    def enumerate_support(self, expand=True):
        total_count = int(self.total_count.max())
        if not self.total_count.min() == total_count:
            raise NotImplementedError(
                "Inhomogeneous total count not supported by `enumerate_support`."
            )
        values = arange(1 + total_count, dtype=self._param.dtype, device=self._param.device)
        values = values.view((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = values.expand((-1,) + tuple(self._batch_shape))
        return values
