"""``gradiente evaluate`` and ``gradiente predict``: use a trained run folder.

Both rebuild the model from the run's ``config.json`` and load the final (``last``) or best
weights, checked against the checkpoint's manifest. ``evaluate`` reports test accuracy,
per-class precision and recall and the confusion matrix; ``predict`` classifies image files.
"""

from __future__ import annotations

import argparse
import pathlib
import pickle

from gradiente import nn
from gradiente.autograd import no_grad
from gradiente.cli.build import build_model, loaders, prepare_data
from gradiente.cli.config import read_config
from gradiente.cli.devices import add_device_option, chosen_device
from gradiente.cli.errors import CLIError, one_line
from gradiente.cli.validators import positive_int
from gradiente.serialization import load
from gradiente.tensor import Tensor
from gradiente.train import ModelCheckpoint, confusion_matrix, evaluate, precision_recall
from gradiente.train.checkpoint import (
    MODEL_FILE,
    CheckpointError,
    check_finite_weights,
    checkpoint_path,
)
from gradiente.train.data import prepare_inputs, read_input
from gradiente.train.plots import plot_confusion


def add_run_arguments(parser) -> None:
    """The arguments of a command that uses a trained run folder (``evaluate``, ``predict``,
    ``export``): its ``RUN`` argument and ``--checkpoint`` option, which ``_load_run`` takes."""
    parser.add_argument("run", metavar="RUN", help="a run folder written by gradiente train")
    parser.add_argument(
        "--checkpoint",
        choices=("last", "best"),
        default="last",
        help="the final weights or the best on validation (default: last)",
    )


def add_evaluate_arguments(evaluate) -> None:
    """Add ``evaluate``'s arguments and options to its parser."""
    add_run_arguments(evaluate)
    evaluate.add_argument("--data-dir", metavar="DIR", help="where the dataset files are now")
    add_device_option(evaluate)
    evaluate.set_defaults(handler=cmd_evaluate)


def add_predict_arguments(predict) -> None:
    """Add ``predict``'s arguments and options to its parser."""
    add_run_arguments(predict)
    predict.add_argument("inputs", metavar="IMAGE", nargs="+", help="PNG, JPEG or .npy files")
    predict.add_argument(
        "--top-k",
        type=positive_int,
        default=3,
        metavar="K",
        help="how many classes to show (default: 3)",
    )
    predict.add_argument(
        "--invert", action="store_true", help="invert images (dark digits on a light background)"
    )
    add_device_option(predict)
    predict.set_defaults(handler=cmd_predict)


def _load_run(run: str, checkpoint: str, device_name: str, data_dir: str | None = None):
    """The run folder, its config and its model with the chosen weights loaded, on the device
    of ``--device`` (checkpoints hold host copies: they load on any device)."""
    device = chosen_device(device_name)
    run_dir, config = read_config(run)
    if data_dir:
        config["data_dir"] = str(pathlib.Path(data_dir).resolve())
    model = build_model(config)
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
    if isinstance(state_dict, dict):  # anything else is refused below, by load_state_dict
        try:
            check_finite_weights(state_dict, weights)
        except CheckpointError as error:
            raise CLIError(str(error)) from None
    try:
        model.load_state_dict(state_dict)
    except (RuntimeError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise CLIError(
            f"{weights} does not hold weights of the {config['model']} model that config.json "
            f"describes ({one_line(str(error))})"
        ) from error
    model.eval()
    return run_dir, config, model.to(device)


def _table(rows: list[list[str]]) -> str:
    """``rows`` as text, each column right-aligned to its widest cell."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=False)).rstrip()
        for row in rows
    )


def cmd_evaluate(args: argparse.Namespace) -> int:
    """``gradiente evaluate RUN``: accuracy, per-class precision/recall, confusion matrix."""
    run_dir, config, model = _load_run(args.run, args.checkpoint, args.device, args.data_dir)
    prepared = prepare_data(config, download=False, reuse_info=True)
    _, _, test_loader, _ = loaders(config, prepared)
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


def cmd_predict(args: argparse.Namespace) -> int:
    """``gradiente predict RUN IMAGE...``: the top-k classes of each input."""
    _, config, model = _load_run(args.run, args.checkpoint, args.device)
    info = config["data"]
    classes = info["classes"]
    k = min(args.top_k, len(classes))
    for path in args.inputs:
        try:
            raw = read_input(path, info, invert=args.invert)
        except Exception as error:  # Pillow and NumPy fail in many ways on damaged files
            detail = str(error).removeprefix(f"{path}: ") or type(error).__name__
            raise CLIError(f"cannot read {path}: {detail}") from error
        x = Tensor._make(prepare_inputs(raw, info)[None]).to(next(model.parameters()).device)
        with no_grad():
            probabilities = model(x).softmax(1)[0]
        values, indices = probabilities.topk(k)
        guesses = "  ".join(
            f"{classes[i]} ({100 * p:.2f}%)"
            for p, i in zip(values.tolist(), indices.tolist(), strict=False)
        )
        print(f"{path}: {guesses}")
    return 0
