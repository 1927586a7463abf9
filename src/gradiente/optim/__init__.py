"""Optimizers (``gradiente.optim.SGD``, ``Adam``, ...) and learning-rate schedulers.

The names are ``torch.optim``'s: ``Optimizer`` is the base class, each algorithm lives in its
own module, and ``gradiente.optim.lr_scheduler`` holds the schedulers.
"""

from __future__ import annotations

from gradiente.optim import lr_scheduler, swa_utils
from gradiente.optim.adadelta import Adadelta
from gradiente.optim.adafactor import Adafactor
from gradiente.optim.adagrad import Adagrad
from gradiente.optim.adam import Adam, AdamW
from gradiente.optim.adamax import Adamax
from gradiente.optim.asgd import ASGD
from gradiente.optim.lbfgs import LBFGS
from gradiente.optim.nadam import NAdam
from gradiente.optim.optimizer import Optimizer
from gradiente.optim.radam import RAdam
from gradiente.optim.rmsprop import RMSprop
from gradiente.optim.rprop import Rprop
from gradiente.optim.sgd import SGD

__all__ = [
    "ASGD",
    "Adadelta",
    "Adafactor",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "LBFGS",
    "NAdam",
    "Optimizer",
    "RAdam",
    "RMSprop",
    "Rprop",
    "SGD",
    "lr_scheduler",
    "swa_utils",
]
