"""From a run's config to the objects that train and evaluate: data, loaders, model, optimizer,
scheduler (shared by ``gradiente train``, ``evaluate`` and ``predict``)."""

from __future__ import annotations

from gradiente import optim
from gradiente.cli.config import OPTIMIZERS
from gradiente.cli.errors import EXIT_ERROR, EXIT_USAGE, CLIError
from gradiente.data import DataLoader
from gradiente.datasets import DatasetFileError
from gradiente.models import MODELS, ModelMismatchError, get_model
from gradiente.optim import lr_scheduler
from gradiente.random import Generator
from gradiente.train.data import DatasetNotFound, prepare


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
    kwargs = dict(config["schedule_args"])
    if name == "onecycle" and not {"momentum", "betas"} & optimizer.defaults.keys():
        # OneCycleLR also cycles the momentum (or Adam's beta1) unless told not to, and refuses
        # an optimizer without one (adagrad, adadelta): for those only the learning rate cycles
        kwargs["cycle_momentum"] = False
    return classes[name](optimizer, **kwargs)


def build_model(config: dict):
    """The zoo model that ``config`` names, sized for its data (a mismatch is a usage error
    that lists the models that fit)."""
    data = config["data"]
    try:
        return get_model(config["model"], data["in_shape"], data["num_classes"])
    except ModelMismatchError as error:
        raise CLIError(f"{error}. {_fitting_models(data)}", EXIT_USAGE) from None


def _fitting_models(data: dict) -> str:
    """The sentence naming the zoo models whose input shape fits ``data``."""
    fits = [name for name, cls in MODELS.items() if not cls.check_input(tuple(data["in_shape"]))]
    return f"Models that fit {data['dataset']}: {', '.join(fits)}."


def prepare_data(config: dict, download: bool, reuse_info: bool):
    """The dataset of ``config``, split and normalised (``gradiente.train.data.prepare``);
    prints its notes. ``reuse_info``: normalise with the statistics saved in the config."""
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


def regime(batch_size, n_train: int) -> tuple[int, str]:
    """The batch size in samples and the name of the gradient-descent regime it gives."""
    if batch_size == "full" or batch_size >= n_train:
        return n_train, f"batch gradient descent (full batch of {n_train:,} samples)"
    if batch_size == 1:
        return 1, "stochastic gradient descent (batch size 1)"
    return batch_size, f"mini-batch gradient descent (batch size {batch_size})"


def loaders(config: dict, prepared):
    """The training, validation (or None) and test loaders, and the regime's name."""
    batch, name = regime(config["batch_size"], len(prepared.train))
    train = DataLoader(
        prepared.train,
        batch_size=batch,
        shuffle=True,
        generator=Generator().manual_seed(config["seed"]),
    )
    evaluation = {"batch_size": 500, "shuffle": False}
    val = DataLoader(prepared.val, **evaluation) if prepared.val is not None else None
    test = DataLoader(prepared.test, **evaluation)
    return train, val, test, name
