"""Reverse-mode automatic differentiation: Function, backward, grad, grad modes, gradcheck.

Where each piece lives: ``function.py`` (Function = op = graph node, and views), ``engine.py``
(the backward pass), ``backward.py`` (``backward`` and ``grad``), ``grad_mode.py``,
``gradcheck.py``, ``functional.py`` (jacobian, hessian, ...), ``variable.py`` (legacy).
"""

from __future__ import annotations

from gradiente.autograd import forward_ad, functional, graph
from gradiente.autograd.backward import backward, grad
from gradiente.autograd.function import Function, once_differentiable
from gradiente.autograd.grad_mode import (
    detect_anomaly,
    enable_grad,
    inference_mode,
    is_anomaly_enabled,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_detect_anomaly,
    set_grad_enabled,
)
from gradiente.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck
from gradiente.autograd.variable import Variable

__all__ = [
    "Variable",
    "once_differentiable",
    "detect_anomaly",
    "is_anomaly_enabled",
    "is_inference_mode_enabled",
    "set_detect_anomaly",
    "Function",
    "GradcheckError",
    "backward",
    "enable_grad",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "inference_mode",
    "is_grad_enabled",
    "no_grad",
    "set_grad_enabled",
]
