"""``--device auto|cpu|cuda|cuda:N`` of ``train``, ``evaluate`` and ``predict``.

``auto`` (the default) trains on the GPU when ``gradiente.cuda.is_available()`` and on the CPU
otherwise, as PyTorch programs choose. Naming a GPU that is not there is one line and exit
status 2, not a traceback. ``--device cpu`` never imports a GPU library.
"""

from __future__ import annotations

import argparse

from gradiente import cuda
from gradiente.cli.errors import EXIT_USAGE, CLIError
from gradiente.tensor import device
from gradiente.train.devices import resolve_device

DEVICE_HELP = (
    "where to compute: auto (a CUDA GPU when available, else the CPU), cpu, cuda or cuda:N "
    "(default: auto; GPUs need pip install 'gradiente[cuda]')"
)


def device_name(text: str) -> str:
    """The argparse type of ``--device``: ``auto`` or a device name torch accepts."""
    if text == "auto":
        return text
    try:
        kind = device(text).type
    except (RuntimeError, ValueError):
        kind = None
    if kind not in ("cpu", "cuda"):
        raise argparse.ArgumentTypeError(f"expected auto, cpu, cuda or cuda:N, got {text!r}")
    return text


def add_device_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--device`` to a command's parser."""
    parser.add_argument(
        "--device", type=device_name, default="auto", metavar="DEVICE", help=DEVICE_HELP
    )


def chosen_device(name: str) -> device:
    """The device ``--device name`` means on this machine; a ``CLIError`` when it names a GPU
    that is not there."""
    try:
        return resolve_device(name)
    except RuntimeError:
        pass
    count = cuda.device_count()
    if count == 0:
        raise CLIError(
            f"--device {name}: no CUDA GPU is available (it needs an NVIDIA GPU and pip install "
            "'gradiente[cuda]'); use --device cpu or auto",
            EXIT_USAGE,
        )
    raise CLIError(
        f"--device {name}: there is no such GPU ({count} CUDA device"
        f"{'s' if count > 1 else ''}: cuda:0{f' to cuda:{count - 1}' if count > 1 else ''})",
        EXIT_USAGE,
    )


def describe(target: device) -> str:
    """``cpu``, or ``cuda:0 (<the GPU's name>)``."""
    if target.type != "cuda":
        return str(target)
    return f"{target} ({cuda.get_device_name(target.index)})"
