"""The ``gradiente`` command: ``train``, ``evaluate``, ``predict``, ``run`` and ``info``.

A thin layer over the library: argument parsing, messages, and the run folder. Training is
``gradiente.train.fit``, the models come from ``gradiente.models``, the data from
``gradiente.train.data``. A run folder (``runs/<model>-<dataset>`` by default) holds
``config.json`` (everything needed to rebuild the model and redo the run), the checkpoint
(``checkpoint.json`` naming a ``checkpoint-*`` directory that holds ``model.safetensors``,
``optimizer.safetensors``, ``trainer_state.json`` and ``best.safetensors``: see
``gradiente.train.checkpoint``), ``history.csv``, ``curves.png`` and ``results.json``; every
file is written atomically, and a checkpoint is switched as a whole. A run killed before its
first checkpoint is started again by ``--resume`` (or the same command with ``--out``).

Exit status: 0 success, 1 failure while running, 2 bad command line or data/model mismatch,
130 interrupted by Ctrl-C (after saving a resumable checkpoint).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pathlib
import pickle
import platform
import runpy
import shutil
import sys
import time
import traceback

from gradiente import __version__, compat, nn, optim
from gradiente import distributed as dist
from gradiente.autograd import no_grad
from gradiente.backend import xp
from gradiente.data import DataLoader
from gradiente.datasets import DatasetFileError
from gradiente.models import MODELS, ModelMismatchError, get_model
from gradiente.optim import lr_scheduler
from gradiente.random import Generator, manual_seed
from gradiente.serialization import load
from gradiente.tensor import Tensor
from gradiente.train import (
    Callback,
    ModelCheckpoint,
    confusion_matrix,
    evaluate,
    fit,
    precision_recall,
)
from gradiente.train.checkpoint import (
    MODEL_FILE,
    CheckpointError,
    checkpoint_path,
    has_checkpoint,
    load_checkpoint,
    read_json,
    read_manifest,
    write_json,
    write_text,
)
from gradiente.train.data import (
    DATASET_NAMES,
    IMAGE_DATASETS,
    DatasetNotFound,
    default_data_dir,
    prepare,
    prepare_inputs,
    read_input,
)
from gradiente.train.distributed import Job, SetEpoch, find_mpiexec, launch
from gradiente.train.plots import plot_confusion, plot_curves

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

# name → (optim class, extra arguments, default learning rate)
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
SCHEDULES = ("none", "step", "cosine", "onecycle", "plateau")
MODEL_NAMES = tuple(MODELS)
# Options a resumed run may change; the others are fixed by its config.json.
RESUMABLE = ("epochs", "data_dir", "download", "no_progress", "resume")

EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130
DEBUG_ENV = "GRADIENTE_DEBUG"
DEBUG_HELP = f"on error, show the full traceback instead of one line (or set {DEBUG_ENV}=1)"


class CLIError(Exception):
    """A message for the user (no traceback) and the exit status to leave with."""

    def __init__(self, message: str, status: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.status = status


# --- arguments ------------------------------------------------------------------------------


def _batch_size(text: str):
    if text == "full":
        return "full"
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer or 'full', got {text!r}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"expected a fraction in [0, 1), got {text!r}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``gradiente`` command and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="gradiente",
        description="Train, evaluate and use neural networks with gradiente (PyTorch's API on "
        "NumPy).",
    )
    parser.add_argument("--version", action="version", version=f"gradiente {__version__}")
    parser.add_argument("--debug", action="store_true", help=DEBUG_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    d = TRAIN_DEFAULTS
    train = sub.add_parser(
        "train",
        help="train a model (default: a small CNN on the bundled 8x8 digits)",
        description="Train a model from the zoo on a dataset and save the run folder.",
    )
    train.add_argument(
        "--model",
        choices=MODEL_NAMES,
        help="the network (default: cnn for images, mlp for 2-D toy sets)",
    )
    train.add_argument(
        "--dataset", choices=DATASET_NAMES, help=f"the data (default: {d['dataset']}, bundled)"
    )
    train.add_argument(
        "--data-dir",
        metavar="DIR",
        help="where the dataset files are (default: $GRADIENTE_DATA or "
        "~/.cache/gradiente/datasets)",
    )
    train.add_argument(
        "--download", action="store_true", help="download the dataset if it is not in --data-dir"
    )
    train.add_argument(
        "--optimizer",
        choices=tuple(OPTIMIZERS),
        help=f"the update rule (default: {d['optimizer']})",
    )
    train.add_argument(
        "--lr",
        type=_positive_float,
        help="learning rate (default: the optimizer's, e.g. 0.001 for adam)",
    )
    train.add_argument(
        "--batch-size",
        type=_batch_size,
        metavar="N|full",
        help=f"samples per step: 1 = stochastic, full = batch gradient descent, "
        f"otherwise mini-batch (default: {d['batch_size']})",
    )
    train.add_argument(
        "--epochs",
        type=_positive_int,
        help=f"passes over the training set (default: {d['epochs']}; with --resume, the new total)",
    )
    train.add_argument(
        "--schedule", choices=SCHEDULES, help=f"learning-rate schedule (default: {d['schedule']})"
    )
    train.add_argument(
        "--weight-decay",
        type=_non_negative_float,
        help=f"L2 penalty (decoupled for adamw) (default: {d['weight_decay']})",
    )
    train.add_argument("--seed", type=int, help=f"random seed (default: {d['seed']})")
    train.add_argument(
        "--val-split",
        type=_fraction,
        metavar="FRACTION",
        help=f"part of the training set held out for validation (default: {d['val_split']})",
    )
    train.add_argument(
        "--out",
        metavar="DIR",
        help="the run folder (default: runs/<model>-<dataset>, numbered if taken)",
    )
    train.add_argument(
        "--resume", metavar="RUN", help="continue the run in folder RUN exactly where it stopped"
    )
    train.add_argument("--no-progress", action="store_true", help="no progress bars")
    train.add_argument(
        "--nproc",
        type=_positive_int,
        metavar="N",
        help="train with N processes under mpiexec (data parallel; --batch-size stays the "
        "global batch; needs pip install 'gradiente[distributed]')",
    )
    train.set_defaults(handler=cmd_train)

    evaluate = sub.add_parser(
        "evaluate",
        help="test accuracy, per-class precision/recall and confusion matrix of a run",
        description="Evaluate a trained run on its test set; writes RUN/confusion.png.",
    )
    evaluate.add_argument("run", metavar="RUN", help="a run folder written by gradiente train")
    evaluate.add_argument(
        "--checkpoint",
        choices=("last", "best"),
        default="last",
        help="the final weights or the best on validation (default: last)",
    )
    evaluate.add_argument("--data-dir", metavar="DIR", help="where the dataset files are now")
    evaluate.set_defaults(handler=cmd_evaluate)

    predict = sub.add_parser(
        "predict",
        help="classify images (PNG/JPEG/NPY) with a trained run",
        description="Print the top-k classes and their probabilities for each input.",
    )
    predict.add_argument("run", metavar="RUN", help="a run folder written by gradiente train")
    predict.add_argument("inputs", metavar="IMAGE", nargs="+", help="PNG, JPEG or .npy files")
    predict.add_argument(
        "--top-k",
        type=_positive_int,
        default=3,
        metavar="K",
        help="how many classes to show (default: 3)",
    )
    predict.add_argument(
        "--checkpoint",
        choices=("last", "best"),
        default="last",
        help="the final weights or the best on validation (default: last)",
    )
    predict.add_argument(
        "--invert", action="store_true", help="invert images (dark digits on a light background)"
    )
    predict.set_defaults(handler=cmd_predict)

    run = sub.add_parser(
        "run",
        help="run an unmodified PyTorch script on gradiente",
        description="Run SCRIPT with `import torch` (and torch.nn, torch.optim, "
        "torch.utils.data, ...) resolved to gradiente.",
    )
    run.add_argument("script", metavar="SCRIPT", help="a Python file written for PyTorch")
    run.add_argument(
        "args", metavar="ARGS", nargs=argparse.REMAINDER, help="arguments passed to the script"
    )
    run.set_defaults(handler=cmd_run)

    sub.add_parser(
        "lecture",
        help="reproduce the gradient-descent lecture: its numbers and figures",
        description="Run the lecture's sections in order, print their numbers and write "
        "their figures.",
    )
    # Dispatched in main() to gradiente.lecture.main, which parses the options itself.

    info = sub.add_parser(
        "info",
        help="version, backend, BLAS and threads, datasets found",
        description="Describe this installation.",
    )
    info.add_argument("--data-dir", metavar="DIR", help="the dataset folder to look in")
    info.set_defaults(handler=cmd_info)
    for command in sub.choices.values():  # also accepted after the command's name
        command.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help=DEBUG_HELP
        )
    return parser


# --- the run folder -------------------------------------------------------------------------


def _new_run_dir(out: str | None, model: str, dataset: str) -> pathlib.Path:
    """The run folder to create: ``--out`` (refused if it holds a checkpoint; a run killed
    before its first checkpoint is started again) or a free ``runs/<model>-<dataset>[-k]``."""
    if out is not None:
        path = pathlib.Path(out)
        if has_checkpoint(path):
            raise CLIError(
                f"{path} already holds a run: continue it with --resume {path}, or choose "
                "another --out",
                EXIT_USAGE,
            )
        if path.exists() and not path.is_dir():
            raise CLIError(f"--out {path} is a file, not a folder", EXIT_USAGE)
        return path
    base = pathlib.Path("runs") / f"{model}-{dataset}"
    path, k = base, 1
    while path.exists():
        k += 1
        path = base.with_name(f"{base.name}-{k}")
    return path


def _read_config(run: str | os.PathLike) -> tuple[pathlib.Path, dict]:
    """The run folder and its ``config.json``, checked key by key (it may be damaged, edited
    or from another program: anything wrong is one ``CLIError`` naming the file)."""
    path = pathlib.Path(run)
    file = path / "config.json"
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
        raise CLIError(f"{file}: not valid JSON ({_one_line(str(error))})") from error
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
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _one_of(names) -> tuple:
    return (lambda v: isinstance(v, str) and v in names), "one of " + ", ".join(names)


# key → (test, what the value should be); "data" is checked by _data_problem
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
    "seed": (_is_int, "an integer"),
    "val_split": ((lambda v: _is_number(v) and 0 <= v < 1), "a fraction in [0, 1)"),
    "data_dir": ((lambda v: v is None or isinstance(v, str)), "a folder name or null"),
    "data": ((lambda v: isinstance(v, dict)), "an object"),
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


def _regime(batch_size, n_train: int) -> tuple[int, str]:
    """The batch size in samples and the name of the gradient-descent regime it gives."""
    if batch_size == "full" or batch_size >= n_train:
        return n_train, f"batch gradient descent (full batch of {n_train:,} samples)"
    if batch_size == 1:
        return 1, "stochastic gradient descent (batch size 1)"
    return batch_size, f"mini-batch gradient descent (batch size {batch_size})"


# --- building the pieces ----------------------------------------------------------------------


def build_optimizer(config: dict, model):
    """The optimizer that ``config`` names, over ``model``'s parameters."""
    class_name, extra, _ = OPTIMIZERS[config["optimizer"]]
    return getattr(optim, class_name)(
        model.parameters(), lr=config["lr"], weight_decay=config["weight_decay"], **extra
    )


def schedule_args(name: str, epochs: int, lr: float, steps_per_epoch: int) -> dict:
    """The arguments of the scheduler behind ``--schedule name`` (saved in config.json)."""
    if name == "step":
        return {"step_size": max(1, epochs // 3), "gamma": 0.1}
    if name == "cosine":
        return {"T_max": epochs}
    if name == "onecycle":
        return {"max_lr": lr, "total_steps": epochs * steps_per_epoch}
    if name == "plateau":
        return {"mode": "min", "factor": 0.1, "patience": 2}
    return {}


def build_scheduler(config: dict, optimizer):
    """The learning-rate scheduler that ``config`` names, or None."""
    classes = {
        "step": lr_scheduler.StepLR,
        "cosine": lr_scheduler.CosineAnnealingLR,
        "onecycle": lr_scheduler.OneCycleLR,
        "plateau": lr_scheduler.ReduceLROnPlateau,
    }
    name = config["schedule"]
    if name == "none":
        return None
    return classes[name](optimizer, **config["schedule_args"])


def _build_model(config: dict):
    data = config["data"]
    try:
        return get_model(config["model"], data["in_shape"], data["num_classes"])
    except ModelMismatchError as error:
        raise CLIError(f"{error}. {_fitting_models(data)}", EXIT_USAGE) from None


def _fitting_models(data: dict) -> str:
    fits = [name for name, cls in MODELS.items() if not cls.check_input(tuple(data["in_shape"]))]
    return f"Models that fit {data['dataset']}: {', '.join(fits)}."


def _prepare_data(config: dict, download: bool, reuse_info: bool):
    try:
        prepared = prepare(
            config["dataset"],
            config.get("data_dir"),
            download=download,
            val_split=config["val_split"],
            seed=config["seed"],
            info=config.get("data") if reuse_info else None,
        )
    except DatasetNotFound as error:
        raise CLIError(str(error), EXIT_ERROR) from None
    except DatasetFileError as error:  # damaged, foreign or hostile files: the message names it
        raise CLIError(str(error), EXIT_ERROR) from error
    for note in prepared.notes:
        print(f"note: {note}")
    return prepared


def _loaders(config: dict, prepared):
    batch, regime = _regime(config["batch_size"], len(prepared.train))
    train = DataLoader(
        prepared.train,
        batch_size=batch,
        shuffle=True,
        generator=Generator().manual_seed(config["seed"]),
    )
    evaluation = {"batch_size": 500, "shuffle": False}
    val = DataLoader(prepared.val, **evaluation) if prepared.val is not None else None
    test = DataLoader(prepared.test, **evaluation)
    return train, val, test, regime


def _count(model) -> int:
    return sum(p.numel() for p in model.parameters())


# --- train --------------------------------------------------------------------------------------


def _given(args) -> list[str]:
    """The train options given on the command line (their defaults are None/False)."""
    options = (*TRAIN_DEFAULTS, "data_dir", "out")
    return [k for k in options if getattr(args, k) is not None]


def _new_config(args) -> dict:
    config = {
        k: getattr(args, k) if getattr(args, k) is not None else v
        for k, v in TRAIN_DEFAULTS.items()
    }
    if config["model"] is None:
        config["model"] = "cnn" if config["dataset"] in IMAGE_DATASETS else "mlp"
    if config["lr"] is None:
        config["lr"] = OPTIMIZERS[config["optimizer"]][2]
    config["data_dir"] = str(pathlib.Path(args.data_dir).resolve()) if args.data_dir else None
    config["gradiente_version"] = __version__
    return config


def _resume_config(args) -> tuple[pathlib.Path, dict]:
    run_dir, config = _read_config(args.resume)
    fixed = [k for k in _given(args) if k not in RESUMABLE]
    if fixed:
        options = ", ".join("--" + k.replace("_", "-") for k in fixed)
        raise CLIError(
            f"{options}: a resumed run keeps the settings of its config.json; only "
            "--epochs, --data-dir and --download may be given with --resume",
            EXIT_USAGE,
        )
    if args.epochs is not None and args.epochs != config["epochs"]:
        if config["schedule"] in ("cosine", "onecycle"):
            raise CLIError(
                f"the run's {config['schedule']} schedule is fixed to {config['epochs']} epochs: "
                f"it cannot be extended to {args.epochs}",
                EXIT_USAGE,
            )
        config["epochs"] = args.epochs
    if args.data_dir:
        config["data_dir"] = str(pathlib.Path(args.data_dir).resolve())
    return run_dir, config


class _RunFolderWriter(Callback):
    """Writes ``config.json`` (when training begins: after a resumed checkpoint has loaded, so
    a failing ``--resume`` changes nothing), ``history.csv`` (every epoch) and ``curves.png``
    (at the end) of a run folder."""

    order = 30

    def __init__(self, run_dir: pathlib.Path, title: str, config: dict) -> None:
        self.run_dir = run_dir
        self.title = title
        self.config = config

    def on_train_begin(self, trainer) -> None:
        write_json(self.run_dir / "config.json", self.config)

    def write(self, trainer, curves: bool) -> None:
        """Write history.csv, and curves.png if ``curves``."""
        write_text(self.run_dir / "history.csv", trainer.history.to_csv())
        if curves and len(trainer.history):
            plot_curves(trainer.history, self.run_dir / "curves.png", self.title)

    def on_epoch_end(self, trainer, logs) -> None:
        self.write(trainer, curves=False)

    def on_interrupt(self, trainer) -> None:
        self.write(trainer, curves=True)

    def on_train_end(self, trainer) -> None:
        self.write(trainer, curves=True)


def cmd_train(args) -> int:
    """``gradiente train``: build everything from the options (or the run's config), fit,
    test, and leave the run folder."""
    if args.nproc is not None and args.nproc > 1 and dist.mpi_env() is None:
        try:
            return launch(args.nproc, args.argv)
        except RuntimeError as error:
            raise CLIError(str(error)) from None
    job = Job.start()  # rank and world size under mpiexec; rank 0 alone prints and writes
    resuming = args.resume is not None
    if resuming:
        run_dir, config = _resume_config(args)
    else:
        config = _new_config(args)
        new_dir = _new_run_dir(args.out, config["model"], config["dataset"]) if job.is_main else 0
        run_dir = job.share(new_dir)
    manual_seed(config["seed"])
    prepared = _prepare_data(config, args.download, reuse_info=resuming)
    config["data"] = prepared.info
    model = _build_model(config)
    train_loader, val_loader, test_loader, regime = _loaders(config, prepared)
    train_loader = job.shard(train_loader, config["seed"])
    if job.size > 1:
        regime += f", {job.size} processes of {train_loader.batch_size} samples"
    if not resuming:
        config["schedule_args"] = schedule_args(
            config["schedule"], config["epochs"], config["lr"], len(train_loader)
        )
    optimizer = build_optimizer(config, model)
    scheduler = build_scheduler(config, optimizer)
    state = None
    if resuming and has_checkpoint(run_dir):
        try:  # every file checked against the manifest before anything loads
            state = load_checkpoint(run_dir, model, optimizer)
        except (CheckpointError, FileNotFoundError) as error:
            raise CLIError(f"cannot resume: {error}") from None

    created = not run_dir.exists()
    if job.is_main:
        run_dir.mkdir(parents=True, exist_ok=True)

    n_val = len(prepared.val) if prepared.val is not None else 0
    shape = "x".join(str(s) for s in config["data"]["in_shape"])
    print(
        f"gradiente train: {config['model']} ({type(model).__name__}, {_count(model):,} "
        f"parameters) on {config['dataset']}: {len(prepared.train):,} training / {n_val:,} "
        f"validation / {len(prepared.test):,} test samples of shape {shape}, "
        f"{config['data']['num_classes']} classes"
    )
    print(
        f"  {config['optimizer']} (lr {config['lr']:g}, weight decay {config['weight_decay']:g})"
        f", {regime}, {len(train_loader)} steps per epoch, {config['epochs']} epochs, "
        f"schedule {config['schedule']}, seed {config['seed']}"
    )
    if state is not None:
        print(f"  run folder: {run_dir} (resuming after {_position(state, len(train_loader))})")
        if state["epoch"] >= config["epochs"]:
            print(
                f"  the run has {state['epoch']} epochs already: nothing to train (give "
                "--epochs N to train further)"
            )
    elif resuming:
        print(f"  run folder: {run_dir} (no checkpoint yet: starting from the beginning)")
    else:
        print(f"  run folder: {run_dir}")

    loss_fn = nn.CrossEntropyLoss()
    title = f"{config['model']} on {config['dataset']}"
    callbacks = [SetEpoch(train_loader)]
    if job.is_main:
        callbacks += [ModelCheckpoint(run_dir), _RunFolderWriter(run_dir, title, config)]
    start = time.perf_counter()
    try:
        history = fit(
            job.wrap(model),
            train_loader,
            optimizer,
            loss_fn,
            config["epochs"],
            val_loader,
            scheduler,
            callbacks,
            progress=not args.no_progress and job.is_main,
            resume=state,
        )
    except BaseException:
        if job.is_main:
            _remove_if_empty(run_dir, created)
        raise
    seconds = time.perf_counter() - start
    if history.interrupted:
        saved = read_manifest(run_dir)
        where = (
            f"{_position(saved, len(train_loader))}: checkpoint saved in {run_dir}"
            if saved
            else f"{len(history)} epochs, with no checkpoint saved"
        )
        print(
            f"interrupted after {where}; continue with: gradiente train --resume {run_dir}",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    if history.terminated is not None:
        results = {"diverged": history.terminated, "epochs": len(history)}
        if job.is_main:
            write_json(run_dir / "results.json", results)
        saved = read_manifest(run_dir)
        kept = (
            f"the last good checkpoint ({_position(saved, len(train_loader))}) is kept in {run_dir}"
            if saved
            else "no checkpoint was saved"
        )
        raise CLIError(f"training diverged: {history.terminated}; {kept} (try a smaller --lr)")

    test = evaluate(model, test_loader, loss_fn)
    results = {
        "test_accuracy": test["accuracy"],
        "test_loss": test["loss"],
        "test_samples": test["samples"],
        "epochs": len(history),
        "train_seconds": seconds,
    }
    if job.is_main:
        write_json(run_dir / "results.json", results)
    correct = round(test["accuracy"] * test["samples"])
    print(
        f"test accuracy {100 * test['accuracy']:.2f}% ({correct:,}/{test['samples']:,}), "
        f"test loss {test['loss']:.4f} | {seconds:.1f}s | run saved to {run_dir}"
    )
    return 0


def _position(state: dict, steps: int) -> str:
    """Where a saved trainer state stands: "epoch 3" or "batch 12/41 of epoch 4"."""
    if state["batch"]:
        return f"batch {state['batch']}/{steps} of epoch {state['epoch'] + 1}"
    return f"epoch {state['epoch']}"


def _remove_if_empty(run_dir: pathlib.Path, created: bool) -> None:
    """After a failure before the first checkpoint, remove the run folder this command made."""
    if created and not has_checkpoint(run_dir):
        shutil.rmtree(run_dir, ignore_errors=True)


# --- evaluate and predict ---------------------------------------------------------------------


def _load_run(run: str, checkpoint: str, data_dir: str | None = None):
    """The run folder, its config and its model with the chosen weights loaded."""
    run_dir, config = _read_config(run)
    if data_dir:
        config["data_dir"] = str(pathlib.Path(data_dir).resolve())
    model = _build_model(config)
    name = MODEL_FILE if checkpoint == "last" else ModelCheckpoint.BEST_FILE
    try:
        weights = checkpoint_path(run_dir, name)  # checked against checkpoint.json
    except CheckpointError as error:
        raise CLIError(str(error)) from None
    if weights is None:
        raise CLIError(f"{run_dir} has no {name} (was it trained for an epoch?)")
    try:
        state_dict = load(weights)
    except (OSError, ValueError, RuntimeError, pickle.UnpicklingError) as error:
        raise CLIError(f"cannot load the weights: {error}") from error  # it names the file
    try:
        model.load_state_dict(state_dict)
    except (RuntimeError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise CLIError(
            f"{weights} does not hold weights of the {config['model']} model that config.json "
            f"describes ({_one_line(str(error))})"
        ) from error
    model.eval()
    return run_dir, config, model


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=False)).rstrip()
        for row in rows
    )


def cmd_evaluate(args) -> int:
    """``gradiente evaluate RUN``: accuracy, per-class precision/recall, confusion matrix."""
    run_dir, config, model = _load_run(args.run, args.checkpoint, args.data_dir)
    prepared = _prepare_data(config, download=False, reuse_info=True)
    _, _, test_loader, _ = _loaders(config, prepared)
    result = evaluate(model, test_loader, nn.CrossEntropyLoss(), return_predictions=True)
    classes = config["data"]["classes"]
    matrix = confusion_matrix(result["predictions"], result["targets"], len(classes))
    precision, recall = precision_recall(matrix)
    support = matrix.sum(1)

    print(
        f"{config['model']} on {config['dataset']} ({args.checkpoint} weights), test set of "
        f"{result['samples']:,} samples: accuracy {100 * result['accuracy']:.2f}%, "
        f"loss {result['loss']:.4f}"
    )
    print()
    rows = [["class", "precision", "recall", "support"]]
    for i, name in enumerate(classes):
        rows.append(
            [
                name,
                f"{100 * precision[i].item():.2f}%",
                f"{100 * recall[i].item():.2f}%",
                str(support[i].item()),
            ]
        )
    print(_table(rows))
    print()
    print("confusion matrix (rows: true class, columns: predicted class)")
    labels = [str(i) for i in range(len(classes))]
    rows = [[""] + labels] + [
        [labels[i]] + [str(v) for v in matrix[i].tolist()] for i in range(len(classes))
    ]
    print(_table(rows))
    path = run_dir / "confusion.png"
    plot_confusion(
        matrix,
        classes,
        path,
        f"{config['model']} on {config['dataset']}: confusion matrix (test set)",
    )
    print(f"\nsaved {path}")
    return 0


def cmd_predict(args) -> int:
    """``gradiente predict RUN IMAGE...``: the top-k classes of each input."""
    _, config, model = _load_run(args.run, args.checkpoint)
    info = config["data"]
    classes = info["classes"]
    k = min(args.top_k, len(classes))
    for path in args.inputs:
        try:
            raw = read_input(path, info, invert=args.invert)
        except Exception as error:  # Pillow and NumPy fail in many ways on damaged files
            detail = str(error).removeprefix(f"{path}: ") or type(error).__name__
            raise CLIError(f"cannot read {path}: {detail}") from error
        x = Tensor._make(prepare_inputs(raw, info)[None])
        with no_grad():
            probabilities = model(x).softmax(1)[0]
        values, indices = probabilities.topk(k)
        guesses = "  ".join(
            f"{classes[i]} ({100 * p:.2f}%)"
            for p, i in zip(values.tolist(), indices.tolist(), strict=False)
        )
        print(f"{path}: {guesses}")
    return 0


# --- run and info -----------------------------------------------------------------------------


def _script_location(error: BaseException, script: pathlib.Path) -> str:
    """`` (script.py, line N)`` for the last line of ``script`` in the error's traceback."""
    where = ""
    tb = error.__traceback__
    target = str(script.resolve())
    while tb is not None:
        if os.path.abspath(tb.tb_frame.f_code.co_filename) == target:
            where = f" ({script.name}, line {tb.tb_lineno})"
        tb = tb.tb_next
    return where


def cmd_run(args) -> int:
    """``gradiente run SCRIPT [ARGS...]``: the script with ``import torch`` → gradiente."""
    script = pathlib.Path(args.script)
    if not script.is_file():
        raise CLIError(f"no such script: {script}", EXIT_USAGE)
    compat.install()
    launched = dist.mpi_env()
    if launched is not None:  # under mpiexec: the variables torchrun would have set (env://)
        for key, value in {**launched, "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29500"}.items():
            os.environ.setdefault(key, str(value))
    sys.argv = [str(script), *args.args]
    sys.path.insert(0, str(script.resolve().parent))
    try:
        runpy.run_path(str(script), run_name="__main__")
    except Exception as error:
        if _debug(args):
            raise
        message = compat.explain(error) if isinstance(error, ImportError | AttributeError) else None
        if message is None:  # the script's own error: its traceback, as ``python script.py``
            _print_script_traceback(error, script)
        else:
            print(message + _script_location(error, script), file=sys.stderr)
        dist.abort_job(type(error).__name__)  # the other ranks must not wait for this one
        return EXIT_ERROR
    return 0


def _print_script_traceback(error: BaseException, script: pathlib.Path) -> None:
    """The traceback of ``error`` from the script's first frame on (not gradiente's runner)."""
    tb, target = error.__traceback__, str(script.resolve())
    while tb is not None and os.path.abspath(tb.tb_frame.f_code.co_filename) != target:
        tb = tb.tb_next
    traceback.print_exception(type(error), error, tb or error.__traceback__)


def _blas() -> str:
    try:
        config = xp.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # older NumPy without mode="dicts"
        return "unknown (see numpy.show_config())"


def _threads() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        env = [
            f"{v}={os.environ[v]}"
            for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
            if v in os.environ
        ]
        detail = ", ".join(env) if env else "no thread variables set"
        return f"{os.cpu_count()} CPU cores ({detail}; install threadpoolctl for BLAS threads)"
    pools = [f"{p['internal_api']} {p['num_threads']} threads" for p in threadpool_info()]
    return f"{os.cpu_count()} CPU cores; " + (", ".join(pools) or "no BLAS thread pool found")


def _datasets_found(root: pathlib.Path) -> list[str]:
    found = ["digits (bundled with gradiente)", "moons, circles, spirals (generated)"]
    for name, folder in (
        ("mnist", "MNIST"),
        ("fashion-mnist", "FashionMNIST"),
        ("kmnist", "KMNIST"),
    ):
        raw = root / folder / "raw"
        if raw.is_dir() and any(raw.glob("*-idx?-ubyte*")):
            found.append(f"{name} ({raw})")
    if (root / "cifar-10-batches-py").is_dir():
        found.append(f"cifar10 ({root / 'cifar-10-batches-py'})")
    return found


def _mpi_info() -> str:
    """mpi4py, the MPI library and mpiexec, or how to install them."""
    if not dist.is_available():
        return "not installed (pip install 'gradiente[distributed]' for --nproc)"
    import mpi4py
    from mpi4py import MPI

    vendor, version = MPI.get_vendor()
    mpiexec = find_mpiexec() or "no mpiexec found"
    return (
        f"mpi4py {mpi4py.__version__}, {vendor} {'.'.join(map(str, version))} (MPI "
        f"{'.'.join(map(str, MPI.Get_version()))}), {mpiexec}"
    )


def cmd_info(args) -> int:
    """``gradiente info``: versions, backend, BLAS, threads and the datasets on disk."""
    root = pathlib.Path(args.data_dir).expanduser() if args.data_dir else default_data_dir()
    rows = [
        ("gradiente", f"{__version__} ({pathlib.Path(__file__).parent})"),
        ("python", f"{platform.python_version()} ({sys.executable})"),
        ("backend", f"NumPy {xp.__version__} (CPU)"),
        ("BLAS", _blas()),
        ("threads", _threads()),
    ]
    for module in ("tqdm", "matplotlib", "PIL", "safetensors", "torch"):
        try:
            version = getattr(__import__(module), "__version__", "installed")
        except ImportError:
            version = "not installed"
        rows.append((module if module != "PIL" else "pillow", version))
    rows.append(("MPI", _mpi_info()))
    rows.append(("data folder", f"{root}" + ("" if root.is_dir() else " (does not exist yet)")))
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    print("datasets:")
    for line in _datasets_found(root):
        print(f"  {line}")
    return 0


# --- errors -----------------------------------------------------------------------------------


def _debug(args) -> bool:
    """Whether errors show their traceback: ``--debug``, or ``GRADIENTE_DEBUG`` set (not 0)."""
    env = os.environ.get(DEBUG_ENV, "").strip().lower()
    return bool(getattr(args, "debug", False)) or env not in ("", "0", "false", "no")


def _one_line(text: str) -> str:
    """``text`` on one line (a message may quote a library's multi-line error)."""
    return " ".join(str(text).split())


def _unexpected(error: Exception) -> str:
    """The line for an error that no command turned into a message of its own."""
    detail = _one_line(str(error))
    name = type(error).__name__
    return (
        f"{name}{': ' + detail if detail else ''} (unexpected: run again with --debug for the "
        "traceback)"
    )


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` (default ``sys.argv[1:]``), run the command, return the exit status.

    Every error becomes one line on stderr, ``gradiente COMMAND: error: ...``, naming the
    problem and the file, and a non-zero status; ``--debug`` or ``GRADIENTE_DEBUG=1`` shows the
    full traceback instead.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    if "lecture" in argv and set(argv[: argv.index("lecture")]) <= {"--debug"}:
        # The lecture parses its own options (argparse's REMAINDER cannot pass "--out" through).
        from gradiente import lecture

        return lecture.main(argv[argv.index("lecture") + 1 :])
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = argv  # what --nproc re-runs under mpiexec
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        print(f"gradiente {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:
        if _debug(args):
            raise
        if isinstance(error, CLIError):
            message, status = str(error), error.status
        elif isinstance(error, ValueError | OSError):  # bad data or a file: the message says which
            message, status = str(error), EXIT_ERROR
        else:  # a bug, or bad input that no check above foresaw: still one line
            message, status = _unexpected(error), EXIT_ERROR
        print(f"gradiente {args.command}: error: {_one_line(message)}", file=sys.stderr)
        return status


if __name__ == "__main__":
    sys.exit(main())
