"""A run's settings: the ``train`` defaults, the optimizer and schedule names, and ``config.json``.

``config.json`` in a run folder holds everything needed to rebuild the model and redo the run.
It may be damaged, edited or written by another program, so ``read_config`` checks it key by key
and turns anything wrong into one ``CLIError`` naming the file.
"""

from __future__ import annotations

import json
import math
import os
import pathlib

from gradiente.cli.errors import EXIT_USAGE, CLIError, one_line
from gradiente.models import MODELS
from gradiente.train.checkpoint import read_json
from gradiente.train.data import DATASET_NAMES

TRAIN_DEFAULTS = {
    "model": None,  # cnn for images, mlp for the 2-D toy sets
    "dataset": "digits",
    "optimizer": "adam",
    "lr": None,  # the optimizer's own default, see OPTIMIZERS
    "batch_size": 32,
    "epochs": 10,
    "schedule": "none",
    "weight_decay": 0.0,
    "seed": 0,
    "val_split": 0.1,
}

# name → (optim class, extra arguments, default learning rate). These learning rates are the
# command's defaults, not always the optim class's (optim.SGD's own is 0.001).
OPTIMIZERS = {
    "sgd": ("SGD", {}, 0.1),
    "momentum": ("SGD", {"momentum": 0.9}, 0.01),
    "nesterov": ("SGD", {"momentum": 0.9, "nesterov": True}, 0.01),
    "adagrad": ("Adagrad", {}, 0.01),
    "rmsprop": ("RMSprop", {}, 0.001),
    "adadelta": ("Adadelta", {}, 1.0),
    "adam": ("Adam", {}, 0.001),
    "adamw": ("AdamW", {}, 0.001),
    "nadam": ("NAdam", {}, 0.002),
}
# "sgd 0.1, momentum 0.01, ...": the default learning rate of each optimizer, for --lr's help
DEFAULT_LRS = ", ".join(f"{name} {lr:g}" for name, (_, _, lr) in OPTIMIZERS.items())
SCHEDULES = ("none", "step", "cosine", "onecycle", "plateau")
MODEL_NAMES = tuple(MODELS)
# Options a resumed run may change; the others are fixed by its config.json.
RESUMABLE = ("epochs", "data_dir", "download", "no_progress", "resume")


def read_config(run: str | os.PathLike) -> tuple[pathlib.Path, dict]:
    """The run folder and its ``config.json``, checked key by key (it may be damaged, edited
    or from another program: anything wrong is one ``CLIError`` naming the file)."""
    path = pathlib.Path(run)
    file = path / "config.json"
    if path.is_file():  # e.g. the run's config.json itself, or its model.safetensors
        raise CLIError(
            f"{path} is a file, not a run folder: give the folder that gradiente train wrote "
            f"(the one that holds config.json)",
            EXIT_USAGE,
        )
    if not file.is_file():
        raise CLIError(
            f"{path} is not a run folder (no config.json); runs are written by gradiente train",
            EXIT_USAGE,
        )
    if file.stat().st_size > _CONFIG_MAX_BYTES:
        raise CLIError(f"{file}: {file.stat().st_size:,} bytes is too large for a run's config")
    try:
        config = read_json(file)
    except (ValueError, RecursionError) as error:  # JSON, UTF-8, or nesting too deep
        raise CLIError(f"{file}: not valid JSON ({one_line(str(error))})") from error
    problem = _config_problem(config)
    if problem is not None:
        raise CLIError(
            f"{file}: {problem}; it is not a config.json written by gradiente train (damaged or "
            "edited?)"
        )
    return path, config


# --- checking a run's config.json -------------------------------------------------------------

_CONFIG_MAX_BYTES = 1 << 20  # a config.json is a few kB
_MAX_INPUT_VALUES = 1 << 24  # values per input sample (CIFAR-10: 3,072)


def _is_int(value) -> bool:
    """An integer of JSON (``true`` is not 1 here)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    """A finite number of JSON (not a bool)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _one_of(names) -> tuple:
    """The (test, expected) pair for a string that must be one of ``names``."""
    return (lambda v: isinstance(v, str) and v in names), "one of " + ", ".join(names)


# key → (test, what the value should be); the "data" object is checked against _DATA_KEYS
_CONFIG_KEYS = {
    "model": _one_of(MODEL_NAMES),
    "dataset": _one_of(DATASET_NAMES),
    "optimizer": _one_of(tuple(OPTIMIZERS)),
    "schedule": _one_of(SCHEDULES),
    "schedule_args": ((lambda v: isinstance(v, dict)), "an object"),
    "lr": ((lambda v: _is_number(v) and v > 0), "a number > 0"),
    "weight_decay": ((lambda v: _is_number(v) and v >= 0), "a number >= 0"),
    "batch_size": ((lambda v: v == "full" or _is_int(v) and v >= 1), "a positive integer or full"),
    "epochs": ((lambda v: _is_int(v) and v >= 1), "a positive integer"),
    "seed": ((lambda v: _is_int(v) and -(2**63) <= v < 2**64), "an integer in [-2**63, 2**64)"),
    "val_split": ((lambda v: _is_number(v) and 0 <= v < 1), "a fraction in [0, 1)"),
    "data_dir": ((lambda v: v is None or isinstance(v, str)), "a folder name or null"),
    "data": ((lambda v: isinstance(v, dict)), "an object"),
}
# schedule → the keys of its "schedule_args" (as ``build.schedule_args`` writes them)
_SCHEDULE_KEYS = {
    "none": {},
    "step": {
        "step_size": ((lambda v: _is_int(v) and v >= 1), "a positive integer"),
        "gamma": ((lambda v: _is_number(v) and v > 0), "a number > 0"),
    },
    "cosine": {"T_max": ((lambda v: _is_int(v) and v >= 1), "a positive integer")},
    "onecycle": {
        "max_lr": ((lambda v: _is_number(v) and v > 0), "a number > 0"),
        "total_steps": ((lambda v: _is_int(v) and v >= 1), "a positive integer"),
    },
    "plateau": {
        "mode": _one_of(("min", "max")),
        "factor": ((lambda v: _is_number(v) and 0 < v < 1), "a number in (0, 1)"),
        "patience": ((lambda v: _is_int(v) and v >= 0), "an integer >= 0"),
    },
}
_DATA_KEYS = {
    "dataset": _one_of(DATASET_NAMES),
    "kind": _one_of(("image", "points")),
    "in_shape": (
        (
            lambda v: (
                isinstance(v, list)
                and 1 <= len(v) <= 3
                and all(_is_int(n) and n >= 1 for n in v)
                and math.prod(v) <= _MAX_INPUT_VALUES
            )
        ),
        f"a list of 1 to 3 sizes >= 1 (at most {_MAX_INPUT_VALUES:,} values)",
    ),
    "num_classes": ((lambda v: _is_int(v) and 1 <= v <= 100_000), "an integer in [1, 100000]"),
    "classes": (
        (lambda v: isinstance(v, list) and all(isinstance(c, str) for c in v)),
        "a list of class names",
    ),
}
_IMAGE_KEYS = {
    "pixel_max": ((lambda v: _is_number(v) and v > 0), "a number > 0"),
    "mean": ((lambda v: isinstance(v, list) and all(map(_is_number, v))), "a list of numbers"),
    "std": (
        (lambda v: isinstance(v, list) and all(_is_number(s) and s > 0 for s in v)),
        "a list of numbers > 0",
    ),
}


def _keys_problem(obj: dict, keys: dict, where: str) -> str | None:
    """The first key of ``keys`` missing from ``obj`` or failing its test, said in words."""
    for key, (test, expected) in keys.items():
        if key not in obj:
            return f"{where}{key!r} is missing"
        if not test(obj[key]):
            return f"{where}{key!r} is {json.dumps(obj[key])[:60]}, not {expected}"
    return None


def _config_problem(config) -> str | None:
    """What is wrong with a run's config (None if nothing): keys, types, ranges, consistency."""
    if not isinstance(config, dict):
        return f"it holds a JSON {type(config).__name__}, not an object"
    problem = _keys_problem(config, _CONFIG_KEYS, "")
    if problem is not None:
        return problem
    args, expected = config["schedule_args"], _SCHEDULE_KEYS[config["schedule"]]
    problem = _keys_problem(args, expected, "schedule_args: ")
    if problem is None and set(args) - set(expected):
        unknown = ", ".join(sorted(map(repr, set(args) - set(expected))))
        problem = (
            f"schedule_args: {unknown} is not an argument of the {config['schedule']} schedule"
        )
    if problem is not None:
        return problem
    data = config["data"]
    problem = _keys_problem(data, _DATA_KEYS, "data: ")
    if problem is None and data["kind"] == "image":
        problem = _keys_problem(data, _IMAGE_KEYS, "data: ")
    if problem is not None:
        return problem
    if len(data["classes"]) != data["num_classes"]:
        return f"data: {len(data['classes'])} class names for {data['num_classes']} classes"
    if data["kind"] == "image" and not (
        len(data["in_shape"]) == 3 and len(data["mean"]) == len(data["std"]) == data["in_shape"][0]
    ):
        return "data: in_shape, mean and std do not describe the same image channels"
    return None
