"""``gradiente export RUN --onnx FILE``: a trained run's model as an ONNX file.

The model is rebuilt from the run's ``config.json`` with its final (or best) weights, traced on
a batch of the run's input shape and written with ``gradiente.onnx.export``: input ``input``
of shape (batch, *sample shape), output ``logits`` (batch, classes), the batch axis dynamic.
When onnxruntime is installed, the file is run once and its logits are compared with
gradiente's.
"""

from __future__ import annotations

import argparse
import io
import pathlib

import numpy as np

from gradiente.autograd import no_grad
from gradiente.cli.errors import EXIT_USAGE, CLIError
from gradiente.cli.evaluate import _load_run, add_run_arguments
from gradiente.onnx import export, require_onnx
from gradiente.random import Generator
from gradiente.tensor import randn
from gradiente.train.checkpoint import write_files


def add_arguments(export) -> None:
    """Add ``export``'s arguments and options to its parser."""
    add_run_arguments(export)
    export.add_argument("--onnx", metavar="FILE", required=True, help="the .onnx file to write")
    export.add_argument(
        "--opset", type=int, default=None, metavar="N", help="ONNX opset version (default: 17)"
    )
    export.set_defaults(handler=cmd_export)


def _onnxruntime_difference(path: pathlib.Path, model, x) -> float | None:
    """The largest |onnxruntime − gradiente| over the logits of ``x``; None without
    onnxruntime."""
    try:
        import onnxruntime
    except ImportError:
        return None
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"input": x.numpy()})
    with no_grad():
        want = model(x).numpy()
    return float(np.abs(got - want).max())


def cmd_export(args: argparse.Namespace) -> int:
    """``gradiente export RUN --onnx FILE``."""
    try:
        require_onnx()
    except ImportError as error:
        raise CLIError(str(error), EXIT_USAGE) from None
    run_dir, config, model = _load_run(args.run, args.checkpoint, device_name="cpu")
    in_shape = tuple(config["data"]["in_shape"])
    x = randn(2, *in_shape, generator=Generator().manual_seed(0))
    path = pathlib.Path(args.onnx)
    if path.is_dir():
        raise CLIError(f"--onnx {path} is a folder, not a file name", EXIT_USAGE)
    buffer = io.BytesIO()  # the file is written only once the export has succeeded
    try:
        proto = export(
            model,
            (x,),
            buffer,
            input_names=["input"],
            output_names=["logits"],
            dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
            opset_version=args.opset,
        )
    except ValueError as error:  # an opset out of range
        raise CLIError(str(error), EXIT_USAGE) from None
    try:  # atomically: a failed write leaves no half-written file
        write_files({path: lambda f: f.write(buffer.getvalue())})
    except OSError as error:
        raise CLIError(f"cannot write {path}: {error.strerror or error}") from None
    shape = "x".join(str(s) for s in in_shape)
    print(
        f"gradiente export: {config['model']} ({args.checkpoint} weights of {run_dir}) -> {path}: "
        f"{len(proto.graph.node)} nodes, opset {proto.opset_import[0].version}, input "
        f"(batch, {shape}), output (batch, {config['data']['num_classes']})"
    )
    difference = _onnxruntime_difference(path, model, x)
    if difference is not None:
        print(f"  onnxruntime's logits match gradiente's (largest difference {difference:.2e})")
    return 0
