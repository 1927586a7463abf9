"""``export``: trace a model (``trace.py``), build the ONNX ModelProto, check it, save it."""

from __future__ import annotations

import inspect
import io
import os

import numpy as np

from gradiente.onnx.trace import Graph, Tracer, to_numpy_dtype
from gradiente.tensor import Tensor

DEFAULT_OPSET = 17
# 17: the first opset with LayerNormalization; 21: the newest one this exporter was checked on
# (what changes along the way: ReduceMean's axes become an input in 18, Gelu appears in 20).
SUPPORTED_OPSETS = range(17, 22)
INSTALL_HINT = "gradiente.onnx needs the onnx package: pip install 'gradiente[onnx]'"


def require_onnx():
    """The ``onnx`` module, or ImportError saying how to install it."""
    try:
        import onnx
    except ImportError as error:
        raise ImportError(f"{INSTALL_HINT} ({error})") from error
    return onnx


def _as_tuple(args) -> tuple:
    if isinstance(args, Tensor):
        return (args,)
    if isinstance(args, list | tuple):
        return tuple(args)
    raise TypeError(f"args must be a tensor or a tuple of tensors, got {type(args).__name__}")


def _flatten_outputs(output) -> list[Tensor]:
    """The model's result as a list of tensors (a tensor, or a tuple/list of them)."""
    if isinstance(output, Tensor):
        return [output]
    if isinstance(output, list | tuple) and all(isinstance(o, Tensor) for o in output):
        return list(output)
    raise TypeError(
        "gradiente.onnx.export: the model must return a tensor or a tuple of tensors, got "
        f"{type(output).__name__}"
    )


def _default_input_names(model, n: int) -> list[str]:
    """The names of ``forward``'s parameters (PyTorch's default), else ``input_k``."""
    try:
        params = [
            p.name
            for p in inspect.signature(model.forward).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        params = []
    if len(params) >= n:
        return params[:n]
    return [f"input_{i}" for i in range(n)]


def trace(model, args, input_names=None, opset_version: int = DEFAULT_OPSET) -> tuple:
    """Run ``model(*args)`` in eval mode and record it: (the Graph, the output tensors)."""
    inputs = _as_tuple(args)
    tensors = [a for a in inputs if isinstance(a, Tensor)]
    names = (
        list(input_names or [])
        + _default_input_names(model, len(tensors))[len(input_names or []) :]
    )
    tracer = Tracer(model, opset_version)
    traced_inputs = []
    for a in inputs:
        if isinstance(a, Tensor):
            a = a.detach()
            if a.is_floating_point():
                a.requires_grad_(True)  # see trace.py: what depends on an input has a grad_fn
            tracer.add_input(names[len(traced_inputs)], a)
            traced_inputs.append(a)
        else:
            traced_inputs.append(a)
    was_training = model.training
    model.eval()
    try:
        outputs = _flatten_outputs(tracer.run(model, tuple(traced_inputs)))
    finally:
        model.train(was_training)
    return tracer, outputs


def _rename(graph: Graph, old: str, new: str) -> None:
    for node in graph.nodes:
        node.inputs = [new if v == old else v for v in node.inputs]
        node.outputs = [new if v == old else v for v in node.outputs]


def _value_info(onnx, name: str, t: Tensor, dynamic: dict[int, str]):
    dims = [dynamic.get(a, size) for a, size in enumerate(t.shape)]
    elem = onnx.helper.np_dtype_to_tensor_dtype(to_numpy_dtype(t))
    return onnx.helper.make_tensor_value_info(name, elem, dims)


def _dynamic(dynamic_axes: dict | None, name: str) -> dict[int, str]:
    """``dynamic_axes[name]`` ({axis: dim name} or [axes]) as {axis: dim name}."""
    axes = (dynamic_axes or {}).get(name)
    if axes is None:
        return {}
    if isinstance(axes, dict):
        return {int(a): str(n) for a, n in axes.items()}
    return {int(a): f"{name}_dynamic_axes_{k + 1}" for k, a in enumerate(axes)}


def build_model(tracer: Tracer, outputs, output_names=None, dynamic_axes=None):
    """The ``onnx.ModelProto`` of a finished trace."""
    onnx = require_onnx()
    graph = tracer.graph
    input_values = {name for name, _ in graph.inputs} | set(graph.initializers)
    names = list(output_names or [])
    names += [
        f"output_{i}" if len(outputs) > 1 else "output" for i in range(len(names), len(outputs))
    ]
    for name, t in zip(names, outputs):
        current = tracer.value(t)
        produced = current not in input_values and not any(current == o for o, _ in graph.outputs)
        if produced:  # give the node's output the requested name
            _rename(graph, current, name)
        else:  # an input, a constant or an output already: copy it under the new name
            (copy,) = tracer.node("Identity", [current])
            _rename(graph, copy, name)
        graph.outputs.append((name, t))
    nodes = [
        onnx.helper.make_node(
            n.op_type, n.inputs, n.outputs, name=n.name, domain=n.domain, **n.attrs
        )
        for n in graph.nodes
    ]
    used = {v for n in graph.nodes for v in n.inputs} | {name for name, _ in graph.outputs}
    initializers = [
        onnx.numpy_helper.from_array(np.ascontiguousarray(array), name)
        for name, array in graph.initializers.items()
        if name in used
    ]
    onnx_graph = onnx.helper.make_graph(
        nodes,
        "main_graph",
        [_value_info(onnx, n, t, _dynamic(dynamic_axes, n)) for n, t in graph.inputs],
        [_value_info(onnx, n, t, _dynamic(dynamic_axes, n)) for n, t in graph.outputs],
        initializers,
    )
    model = onnx.helper.make_model(
        onnx_graph,
        producer_name="gradiente",
        opset_imports=[onnx.helper.make_opsetid("", tracer.opset)],
    )
    model.ir_version = min(model.ir_version, 9)  # readable by onnxruntime releases since 1.16
    onnx.checker.check_model(model, full_check=True)
    return model


def export(
    model,
    args,
    f=None,
    *,
    input_names: list[str] | None = None,
    output_names: list[str] | None = None,
    dynamic_axes: dict | None = None,
    opset_version: int | None = None,
    export_params: bool = True,
    verbose: bool = False,
    do_constant_folding: bool = True,
    dynamo: bool = False,
    **kwargs,
):
    """Export ``model`` to ONNX, as ``torch.onnx.export``; returns the ``onnx.ModelProto``.

    The model runs once on ``args`` (a tensor or a tuple of them) in eval mode, and every op
    it applies becomes ONNX nodes; parameters and buffers become initializers named as in
    its ``state_dict``. ``f`` is a path or a binary file object (None: only return the
    model). ``dynamic_axes`` maps an input or output name to the axes whose size may change
    (``{"input": {0: "batch"}}`` or ``{"input": [0]}``); ``opset_version`` defaults to 17.
    ``export_params``, ``do_constant_folding`` and ``dynamo`` are accepted for PyTorch's sake:
    parameters are always stored and constants always folded. An op with no ONNX conversion
    raises ``UnsupportedOperatorError`` naming it and the module it ran in.
    """
    onnx = require_onnx()
    unknown = set(kwargs) - {"training", "operator_export_type", "keep_initializers_as_inputs"}
    if unknown:
        raise TypeError(f"export() got unexpected keyword arguments: {', '.join(sorted(unknown))}")
    opset = DEFAULT_OPSET if opset_version is None else int(opset_version)
    if opset not in SUPPORTED_OPSETS:
        raise ValueError(
            f"opset_version {opset} is not supported; choose {SUPPORTED_OPSETS.start} to "
            f"{SUPPORTED_OPSETS.stop - 1}"
        )
    tracer, outputs = trace(model, args, input_names, opset)
    proto = build_model(tracer, outputs, output_names, dynamic_axes)
    if verbose:
        print(onnx.helper.printable_graph(proto.graph))
    if f is not None:
        data = proto.SerializeToString()
        if isinstance(f, str | os.PathLike):
            with open(f, "wb") as file:
                file.write(data)
        elif isinstance(f, io.IOBase) or hasattr(f, "write"):
            f.write(data)
        else:
            raise TypeError(f"f must be a path or a binary file object, got {type(f).__name__}")
    return proto
