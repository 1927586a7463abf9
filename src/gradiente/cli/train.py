"""``gradiente train``: its options, the run folder, ``--resume`` and the ``--nproc`` relaunch.

A run folder (``runs/<model>-<dataset>`` by default) holds ``config.json`` (everything needed
to rebuild the model and redo the run), the checkpoint (``checkpoint.json`` naming a
``checkpoint-*`` directory that holds ``model.safetensors``, ``optimizer.safetensors``,
``trainer_state.json`` and ``best.safetensors``: see ``gradiente.train.checkpoint``),
``history.csv``, ``curves.png`` and ``results.json``; every file is written atomically, and a
checkpoint is switched as a whole. A run killed before its first checkpoint is started again by
``--resume`` (or the same command with ``--out``). Training itself is ``gradiente.train.fit``.

While it writes a run folder, the command holds the folder's lock (``flock``, released by the
system however the process ends): a second ``gradiente train`` on the same folder is refused
with one line, since two writers would each delete the other's checkpoint directories. SIGTERM
does what Ctrl-C does: stop after the current batch, save a checkpoint, exit 130.
"""

from __future__ import annotations

import argparse
import contextlib
import pathlib
import random
import shutil
import signal
import sys
import threading
import time

import numpy as np

from gradiente import __version__, nn
from gradiente import distributed as dist
from gradiente.cli.build import (
    build_model,
    build_optimizer,
    build_scheduler,
    loaders,
    prepare_data,
    schedule_args,
)
from gradiente.cli.config import (
    DEFAULT_LRS,
    MODEL_NAMES,
    OPTIMIZERS,
    RESUMABLE,
    SCHEDULES,
    TRAIN_DEFAULTS,
    read_config,
)
from gradiente.cli.devices import add_device_option, chosen_device, describe
from gradiente.cli.errors import EXIT_INTERRUPTED, EXIT_USAGE, CLIError
from gradiente.cli.validators import (
    batch_size,
    fraction,
    non_negative_finite,
    path_text,
    positive_finite,
    positive_int,
    random_seed,
)
from gradiente.random import manual_seed
from gradiente.train import Callback, ModelCheckpoint, evaluate, fit
from gradiente.train.checkpoint import (
    CheckpointError,
    check_optimizer_shapes,
    check_trainer_state,
    folder_lock,
    has_checkpoint,
    load_checkpoint,
    read_manifest,
    write_json,
    write_text,
)
from gradiente.train.data import DATASET_NAMES, IMAGE_DATASETS
from gradiente.train.distributed import Job, SetEpoch, launch
from gradiente.train.plots import plot_curves
from gradiente.utils.tensorboard import SummaryWriter, require_tensorboard


def add_arguments(train) -> None:
    """Add ``train``'s options to its parser."""
    d = TRAIN_DEFAULTS
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
        type=path_text,
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
        type=positive_finite,
        help=f"learning rate (default, by --optimizer: {DEFAULT_LRS})",
    )
    train.add_argument(
        "--batch-size",
        type=batch_size,
        metavar="N|full",
        help=f"samples per step: 1 = stochastic, full = batch gradient descent, "
        f"otherwise mini-batch (default: {d['batch_size']})",
    )
    train.add_argument(
        "--epochs",
        type=positive_int,
        help=f"passes over the training set (default: {d['epochs']}; with --resume, the new total)",
    )
    train.add_argument(
        "--schedule", choices=SCHEDULES, help=f"learning-rate schedule (default: {d['schedule']})"
    )
    train.add_argument(
        "--weight-decay",
        type=non_negative_finite,
        help=f"L2 penalty (decoupled for adamw) (default: {d['weight_decay']})",
    )
    train.add_argument("--seed", type=random_seed, help=f"random seed (default: {d['seed']})")
    train.add_argument(
        "--val-split",
        type=fraction,
        metavar="FRACTION",
        help=f"part of the training set held out for validation (default: {d['val_split']})",
    )
    train.add_argument(
        "--out",
        type=path_text,
        metavar="DIR",
        help="the run folder (default: runs/<model>-<dataset>, numbered if taken)",
    )
    train.add_argument(
        "--resume",
        type=path_text,
        metavar="RUN",
        help="continue the run in folder RUN exactly where it stopped",
    )
    train.add_argument("--no-progress", action="store_true", help="no progress bars")
    add_device_option(train)
    train.add_argument(
        "--tensorboard",
        action="store_true",
        help="also log loss, accuracy and lr per epoch for TensorBoard in RUN/tensorboard/ "
        "(needs pip install 'gradiente[tensorboard]'; view with tensorboard --logdir RUN)",
    )
    train.add_argument(
        "--nproc",
        type=positive_int,
        metavar="N",
        help="train with N processes under mpiexec (data parallel; --batch-size stays the "
        "global batch; needs pip install 'gradiente[distributed]')",
    )
    train.set_defaults(handler=cmd_train)


# --- the run's config and folder ----------------------------------------------------------------


def _given(args) -> list[str]:
    """The train options given on the command line (their defaults are None/False)."""
    options = (*TRAIN_DEFAULTS, "data_dir", "out")
    return [k for k in options if getattr(args, k) is not None]


def _new_config(args) -> dict:
    """A new run's config: the options given, the defaults for the others."""
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
    """The folder and config of the run to resume, with the options a resume may change."""
    run_dir, config = read_config(args.resume)
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
        if path.is_symlink() and not path.exists():
            raise CLIError(
                f"--out {path} is a symbolic link to nothing (a missing target, or a loop)",
                EXIT_USAGE,
            )
        return path
    base = pathlib.Path("runs") / f"{model}-{dataset}"
    path, k = base, 1
    while path.exists():
        k += 1
        path = base.with_name(f"{base.name}-{k}")
    return path


def _claim_free_run_dir(model: str, dataset: str) -> pathlib.Path:
    """Create and return the first free folder ``runs/<model>-<dataset>[-k]``. ``mkdir`` fails
    on a folder that is already there, so two runs started together, which both chose the same
    free name (``_new_run_dir``), end up in two folders."""
    base = pathlib.Path("runs") / f"{model}-{dataset}"
    path, k = base, 1
    while True:
        try:
            path.mkdir(parents=True)
            return path
        except FileExistsError:
            k += 1
            path = base.with_name(f"{base.name}-{k}")


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


class _TensorBoardWriter(Callback):
    """Logs each epoch's row of the history (train/val loss and accuracy, lr) to TensorBoard
    event files in ``RUN/tensorboard``, the epoch as the step; a resumed run hides the events
    a killed run wrote after its checkpoint (``purge_step``)."""

    order = 30

    def __init__(self, log_dir: pathlib.Path) -> None:
        try:  # fail before training if the tensorboard package is missing
            require_tensorboard()
        except ImportError as error:
            raise CLIError(f"--tensorboard: {error}", EXIT_USAGE) from None
        self.log_dir = log_dir
        self.writer = None

    def on_train_begin(self, trainer) -> None:
        purge = trainer.epoch + 1 if trainer.epoch else None
        self.writer = SummaryWriter(str(self.log_dir), purge_step=purge)

    def on_epoch_end(self, trainer, logs) -> None:
        for key, tag in (
            ("train_loss", "loss/train"),
            ("val_loss", "loss/val"),
            ("train_accuracy", "accuracy/train"),
            ("val_accuracy", "accuracy/val"),
            ("lr", "lr"),
        ):
            if logs.get(key) is not None:
                self.writer.add_scalar(tag, logs[key], logs["epoch"])
        self.writer.flush()

    def on_interrupt(self, trainer) -> None:
        self.on_train_end(trainer)

    def on_train_end(self, trainer) -> None:
        if self.writer is not None:
            self.writer.close()


# --- train --------------------------------------------------------------------------------------


def cmd_train(args: argparse.Namespace) -> int:
    """``gradiente train``: build everything from the options (or the run's config), fit,
    test, and leave the run folder (locked while this command writes it: see ``_lock``)."""
    with contextlib.ExitStack() as held:
        return _train(args, held)


def _lock(run_dir: pathlib.Path, held: contextlib.ExitStack) -> None:
    """Lock ``run_dir`` until the command ends: a second ``gradiente train`` on the same folder
    is refused (two writers would each delete the other's checkpoint directories)."""
    try:
        held.enter_context(folder_lock(run_dir))
    except BlockingIOError:
        raise CLIError(
            f"{run_dir} is in use by another gradiente train (it holds the folder's lock): wait "
            "for it to end, or choose another --out"
        ) from None


def _sigterm_as_ctrl_c(held: contextlib.ExitStack) -> None:
    """Until the command ends, SIGTERM (``kill``, a job scheduler's preemption) does what Ctrl-C
    does: while training, stop after the current batch and save a checkpoint (a second one
    stops at once). Only a single process: the ranks of ``--nproc`` would stop at different
    batches and wait for each other."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGTERM"):
        return

    def on_sigterm(signum, frame):
        # the handler Ctrl-C has now (fit's, or Python's KeyboardInterrupt); also when SIGINT
        # itself is ignored, as in a background job of a shell
        handler = signal.getsignal(signal.SIGINT)
        if not callable(handler):
            raise KeyboardInterrupt
        handler(signal.SIGINT, frame)

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    held.callback(signal.signal, signal.SIGTERM, previous)


def _train(args: argparse.Namespace, held: contextlib.ExitStack) -> int:
    """The body of ``cmd_train``; ``held`` keeps the run folder's lock."""
    if args.data_dir is not None and pathlib.Path(args.data_dir).is_file():
        raise CLIError(f"--data-dir {args.data_dir} is a file, not a folder", EXIT_USAGE)
    if args.nproc is not None and args.nproc > 1 and dist.mpi_env() is None:
        try:
            return launch(args.nproc, args.argv)
        except RuntimeError as error:
            raise CLIError(str(error)) from None
    job = Job.start()  # rank and world size under mpiexec; rank 0 alone prints and writes
    if job.size == 1:
        _sigterm_as_ctrl_c(held)
    device = _training_device(args.device, job)
    resuming = args.resume is not None
    if resuming:
        run_dir, config = _resume_config(args)
    else:
        config = _new_config(args)
        new_dir = _new_run_dir(args.out, config["model"], config["dataset"]) if job.is_main else 0
        run_dir = job.share(new_dir)
    _seed_everything(config["seed"])
    prepared = prepare_data(config, args.download, reuse_info=resuming)
    if len(prepared.train) == 0:
        where = f"the val_split of {run_dir / 'config.json'}" if resuming else "--val-split"
        raise CLIError(
            f"{where} {config['val_split']:g} leaves no training sample: all "
            f"{len(prepared.val):,} are held out for validation",
            EXIT_USAGE,
        )
    config["data"] = prepared.info
    model = build_model(config)
    train_loader, val_loader, test_loader, regime = loaders(config, prepared)
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
    if resuming and job.is_main:
        _lock(run_dir, held)  # before loading: the checkpoint cannot change under us
    if resuming and has_checkpoint(run_dir):
        try:  # every file checked against the manifest before anything loads
            state = load_checkpoint(run_dir, model, optimizer)
            check_trainer_state(run_dir, state)  # edited along with its manifest, or foreign
            check_optimizer_shapes(optimizer, run_dir)
        except (CheckpointError, FileNotFoundError) as error:
            raise CLIError(f"cannot resume: {error}") from None

    created = not run_dir.exists()
    if job.is_main:
        if not resuming and args.out is None:  # another run may have taken the name since
            run_dir = _claim_free_run_dir(config["model"], config["dataset"])
            created = True
        run_dir.mkdir(parents=True, exist_ok=True)
        if not resuming:
            _lock(run_dir, held)
            if has_checkpoint(run_dir):  # a run that ended while this one was preparing
                raise CLIError(f"{run_dir} already holds a run: choose another --out", EXIT_USAGE)

    if not resuming:
        run_dir = job.share(run_dir)  # the folder rank 0 claimed
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
        f"schedule {config['schedule']}, seed {config['seed']}, device {describe(device)}"
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
        if args.tensorboard:
            callbacks.append(_TensorBoardWriter(run_dir / "tensorboard"))
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
            device=device,
        )
    except OSError as error:  # a full disk, a folder made read-only: the message names the file
        if job.is_main:
            _remove_if_empty(run_dir, created)
        saved = read_manifest(run_dir) if job.is_main else None
        kept = (
            f"the last checkpoint ({_position(saved, len(train_loader))}) is kept in {run_dir}"
            if saved
            else "no checkpoint was saved"
        )
        detail = error.strerror if error.filename is None and error.strerror else error
        raise CLIError(f"{detail}; {kept}") from error
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

    test = evaluate(model, test_loader, loss_fn, device=device)
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


def _seed_everything(seed: int) -> None:
    """Seed gradiente's generator and also Python's ``random`` and NumPy's global one: the
    checkpoint saves all three (a dataset may draw from any), so two runs with one seed write
    the same files."""
    manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)  # NumPy takes seeds in [0, 2**32)


def _training_device(name: str, job: Job):
    """The device of ``--device name``; the processes of ``--nproc`` train on CPUs (their
    gradients are averaged through MPI from host memory), so "auto" is the CPU there."""
    if job.size > 1:
        if name not in ("auto", "cpu"):
            raise CLIError(
                f"--device {name}: --nproc trains on CPUs; give --device cpu (or leave it out)",
                EXIT_USAGE,
            )
        name = "cpu"
    return chosen_device(name)


def _count(model) -> int:
    """The number of parameters (numbers) of ``model``."""
    return sum(p.numel() for p in model.parameters())


def _position(state: dict, steps: int) -> str:
    """Where a saved trainer state stands: "epoch 3" or "batch 12/41 of epoch 4"."""
    if state["batch"]:
        return f"batch {state['batch']}/{steps} of epoch {state['epoch'] + 1}"
    return f"epoch {state['epoch']}"


def _remove_if_empty(run_dir: pathlib.Path, created: bool) -> None:
    """After a failure before the first checkpoint, remove the run folder this command made."""
    if created and not has_checkpoint(run_dir):
        shutil.rmtree(run_dir, ignore_errors=True)
