"""The ``gradiente`` command: ``train``, ``evaluate``, ``predict``, ``run``, ``lecture``, ``info``.

A thin layer over the library: argument parsing, messages, and the run folder. Training is
``gradiente.train.fit``, the models come from ``gradiente.models``, the data from
``gradiente.train.data``. One module per room:

- ``parser``: the argument parser and ``main`` (dispatch; every error as one line, ``--debug``);
- ``train``: ``gradiente train``, its run folder, ``--resume`` and the ``--nproc`` relaunch;
- ``evaluate``: ``gradiente evaluate`` and ``gradiente predict`` on a trained run;
- ``run``, ``info``, ``lecture``: the other commands;
- ``config`` (the defaults and the checked ``config.json``), ``build`` (data, model,
  optimizer and scheduler from a config), ``validators`` (the numbers on the command line)
  and ``errors`` (exit statuses, ``CLIError``).

``gradiente = "gradiente_launch:main"`` in pyproject.toml (which imports this package with
Ctrl-C guarded) and ``python -m gradiente`` both call
``main``.
"""

from gradiente.cli.build import build_optimizer, build_scheduler, schedule_args
from gradiente.cli.config import (
    MODEL_NAMES,
    OPTIMIZERS,
    RESUMABLE,
    SCHEDULES,
    TRAIN_DEFAULTS,
)
from gradiente.cli.errors import (
    DEBUG_ENV,
    DEBUG_HELP,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    CLIError,
)
from gradiente.cli.evaluate import cmd_evaluate, cmd_predict
from gradiente.cli.info import cmd_info
from gradiente.cli.lecture import cmd_lecture
from gradiente.cli.parser import build_parser, main
from gradiente.cli.run import cmd_run
from gradiente.cli.train import cmd_train

__all__ = [
    "DEBUG_ENV",
    "DEBUG_HELP",
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_USAGE",
    "MODEL_NAMES",
    "OPTIMIZERS",
    "RESUMABLE",
    "SCHEDULES",
    "TRAIN_DEFAULTS",
    "CLIError",
    "build_optimizer",
    "build_parser",
    "build_scheduler",
    "cmd_evaluate",
    "cmd_info",
    "cmd_lecture",
    "cmd_predict",
    "cmd_run",
    "cmd_train",
    "main",
    "schedule_args",
]
