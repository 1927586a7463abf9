"""Tracing a model into a graph of ONNX nodes: run it once and record every primitive op.

Every differentiable primitive of gradiente runs through one door, ``Function.apply`` (see
``autograd/function.py``). While tracing, that door is wrapped: each op the model applies is
handed, with its arguments and its result, to the converter registered for its class
(``convert.py``), which appends the equivalent ONNX node(s). So a model built from nn layers,
residual additions, reshapes and functional calls is captured exactly as it computes, with no
per-layer code.

Values. Every tensor that flows from the model's inputs gets a *value name*. A tensor the model
uses without having computed it from the inputs is a constant of the graph: a parameter or
buffer becomes an initializer under its ``state_dict`` name, anything else (a folded
expression such as BatchNorm's ``γ/√(σ²+ε)``, a tensor made in ``forward``) an initializer
holding its value. Ops on constants alone are not recorded at all — their result is itself a
constant (constant folding for free).

Checks. An op without a converter stops the export with ``UnsupportedOperatorError`` naming
the op and the module it ran in. To be sure nothing reached the graph by another door, the
inputs are traced with ``requires_grad=True`` and every parameter with ``requires_grad=False``:
then a tensor that depends on an input has a ``grad_fn``, and one that reaches an op without a
value name is refused rather than silently frozen into a constant.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gradiente.autograd.function import Function
from gradiente.autograd.grad_mode import enable_grad
from gradiente.tensor import Tensor


class UnsupportedOperatorError(RuntimeError):
    """An op (or an argument of one) that the ONNX exporter cannot express; the message says
    which op, in which module."""


@dataclass
class Node:
    """One ONNX node: ``op_type``, input and output value names, attributes."""

    op_type: str
    inputs: list[str]
    outputs: list[str]
    attrs: dict
    name: str
    domain: str = ""


@dataclass
class Graph:
    """What a trace produced: nodes in execution order, initializers (name → array), the
    names and tensors of the graph's inputs and outputs."""

    nodes: list[Node] = field(default_factory=list)
    initializers: dict[str, np.ndarray] = field(default_factory=dict)
    inputs: list[tuple[str, Tensor]] = field(default_factory=list)
    outputs: list[tuple[str, Tensor]] = field(default_factory=list)


def to_array(t: Tensor) -> np.ndarray:
    """A tensor's value as a NumPy array (a copy on the host)."""
    return np.array(t.detach().cpu().numpy())


class Tracer:
    """Records the ops of one forward pass as ONNX nodes (see the module docstring).

    The converters call ``value`` (the name of an op's input, making constants as needed),
    ``const`` (a new initializer), ``node`` (append a node, return its output names) and
    ``bind`` (give an op's result the name of a node's output).
    """

    def __init__(self, model, opset: int) -> None:
        self.opset = opset
        self.graph = Graph()
        self._names: dict[tuple, str] = {}  # _key(tensor) -> value name
        self._alive: list = []  # every named tensor and node, kept so that no id is reused
        self._constants: dict[int, str] = {}  # id(parameter or buffer) -> state_dict name
        for name, p in model.named_parameters():
            self._constants.setdefault(id(p), name)
        for name, b in model.named_buffers():
            if b is not None:
                self._constants.setdefault(id(b), name)
        self._counts: dict[str, int] = {}
        self.scope: list[tuple[str, str]] = []  # (qualified name, class) of the modules running
        self._depth = 0

    # ------------------------------------------------------------------------ names
    def fresh(self, stem: str) -> str:
        """A new value or node name: ``/features/0/Conv_output_0``-like, unique."""
        prefix = "".join("/" + name.replace(".", "/") for name, _ in self.scope if name)
        base = f"{prefix}/{stem}"
        k = self._counts.get(base, 0)
        self._counts[base] = k + 1
        return base if k == 0 else f"{base}_{k}"

    @staticmethod
    def _key(t: Tensor) -> tuple:
        """What identifies a traced value: its graph node and output number when it has one
        (so that after an in-place op, ``relu_()``, the tensor is the op's result, and the copy
        of its old value that the op read is the old value), else the tensor itself."""
        node = t.grad_fn
        if node is not None:
            return (id(node), t._output_nr)
        return (id(t), None)

    def is_traced(self, t) -> bool:
        return isinstance(t, Tensor) and self._key(t) in self._names

    def bind(self, t: Tensor, name: str) -> None:
        """``t`` is the value ``name`` from now on."""
        self._names[self._key(t)] = name
        self._alive.append((t, t.grad_fn))

    def add_input(self, name: str, t: Tensor) -> None:
        self.graph.inputs.append((name, t))
        self.bind(t, name)

    def value(self, t: Tensor) -> str:
        """The value name of ``t``: its traced name, its parameter/buffer initializer, or a new
        constant initializer holding its value."""
        name = self._names.get(self._key(t))
        if name is not None:
            return name
        if t.grad_fn is not None:  # computed from an input, but not by a recorded op
            raise UnsupportedOperatorError(
                f"gradiente.onnx.export: a tensor of shape {tuple(t.shape)} computed from the "
                f"inputs{self.where()} reached an op without passing through a recorded "
                "operation; this model cannot be traced"
            )
        key = self._constants.get(id(t))
        if key is None:
            name = self.const(to_array(t), "Constant")
        else:
            name = key
            self.graph.initializers.setdefault(name, to_array(t))
        self.bind(t, name)
        return name

    def const(self, array, stem: str = "Constant") -> str:
        """A new initializer holding ``array``; its name."""
        name = self.fresh(stem)
        self.graph.initializers[name] = np.asarray(array)
        return name

    def scalar(self, value, like: Tensor, stem: str = "Constant") -> str:
        """A 0-d initializer holding the Python number ``value`` in the dtype of ``like``."""
        return self.const(np.asarray(value, dtype=to_numpy_dtype(like)), stem)

    def node(self, op_type: str, inputs: list[str], n_outputs: int = 1, **attrs) -> list[str]:
        """Append a node; the names of its outputs."""
        node_name = self.fresh(op_type)
        outputs = [f"{node_name}_output_{i}" for i in range(n_outputs)]
        attrs = {k: v for k, v in attrs.items() if v is not None}
        self.graph.nodes.append(Node(op_type, list(inputs), outputs, attrs, node_name))
        return outputs

    def where(self) -> str:
        """`` in features.3 (Conv2d)``-like, for messages (the model itself: its class)."""
        if not self.scope:
            return ""
        name, kind = self.scope[-1]
        return f" in {name} ({kind})" if name else f" in {kind}.forward"

    # ------------------------------------------------------------------------ recording
    def record(self, cls, args, kwargs, out) -> None:
        """Convert one applied op whose inputs include a traced value."""
        from gradiente.onnx.convert import CONVERTERS

        converter = CONVERTERS.get(cls)
        if converter is None:
            raise UnsupportedOperatorError(
                f"gradiente.onnx.export: the operation {cls.__name__} ({cls.backward_name}, "
                f"from {cls.__module__}){self.where()} has no ONNX conversion; the supported "
                f"operations are: {', '.join(sorted(c.__name__ for c in CONVERTERS))}"
            )
        converter(self, *args, out=out, **kwargs)

    def run(self, model, inputs: tuple):
        """Run ``model(*inputs)`` with ``Function.apply`` recording; the model's output."""
        tracer = self
        original = Function.__dict__["apply"]

        def recording_apply(cls, *args, **kwargs):
            if tracer._depth:  # an op inside another op's forward: part of that op
                return original.__func__(cls, *args, **kwargs)
            tracer._depth += 1
            try:
                out = original.__func__(cls, *args, **kwargs)
            finally:
                tracer._depth -= 1
            if any(tracer.is_traced(a) for a in args if isinstance(a, Tensor)):
                tracer.record(cls, args, kwargs, out)
            return out

        handles = []
        for name, module in model.named_modules():
            handles.append(module.register_forward_pre_hook(self._enter(name)))
            handles.append(module.register_forward_hook(self._leave))
        params = [p for p in model.parameters()]
        flags = [p.requires_grad for p in params]
        Function.apply = classmethod(recording_apply)
        try:
            for p in params:
                p.requires_grad_(False)
            with enable_grad():
                return model(*inputs)
        finally:
            Function.apply = original
            for p, flag in zip(params, flags):
                p.requires_grad_(flag)
            for handle in handles:
                handle.remove()

    def _enter(self, name: str):
        def hook(module, inputs):
            self.scope.append((name, type(module).__name__))

        return hook

    def _leave(self, module, inputs, output):
        self.scope.pop()


def to_numpy_dtype(t: Tensor) -> np.dtype:
    """The NumPy dtype of a tensor's elements."""
    return np.dtype(str(t.dtype).rsplit(".", 1)[-1])  # "torch.float32" (PyTorch's repr)
