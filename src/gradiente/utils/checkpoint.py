"""Activation checkpointing (``torch.utils.checkpoint``): memory traded for one more forward.

Backward needs the activations that forward computed. A checkpointed segment
``checkpoint(function, *args)`` keeps none of its own: it is one graph node whose forward runs
``function`` without recording, and whose backward runs ``function`` again, this time
recording, and differentiates that fresh graph. Only the segment's inputs stay in memory, so
a network cut into k segments holds the activations at k boundaries plus one segment's at a
time, for the price of one extra forward pass. The random-number state of the first run is
restored for the second (``preserve_rng_state``), so dropout draws the same masks and the
gradients equal those of the plain run.

The two variants of torch:

- ``use_reentrant=True`` (torch's default, with a warning when not chosen explicitly): the
  node's inputs are the tensor arguments; backward recomputes and runs a nested backward pass
  that accumulates the parameters' ``.grad`` directly. Its output needs a gradient only if an
  argument does, so a first segment fed plain data gives no parameter gradients (torch warns).
- ``use_reentrant=False``: the segment's forward first runs recording, to find the leaves
  (parameters) it reaches, then drops that graph; the node takes those leaves as inputs too, so
  parameter gradients flow even when no argument needs one, and ``autograd.grad`` works.
  Tensors from outside the segment reach it as arguments or as leaves.
"""

from __future__ import annotations

import warnings

from gradiente.autograd.backward import backward as run_backward
from gradiente.autograd.backward import grad as autograd_grad
from gradiente.autograd.engine import is_checkpoint_valid
from gradiente.autograd.function import AccumulateGrad, Function
from gradiente.autograd.grad_mode import enable_grad, is_grad_enabled
from gradiente.nn.layers.container import Sequential
from gradiente.random.generator import get_rng_state, set_rng_state
from gradiente.tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential"]

_USE_REENTRANT_WARNING = (
    "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. Starting "
    "in PyTorch 2.9, calling checkpoint without use_reentrant will raise an exception. "
    "use_reentrant=False is recommended, but if you need to preserve the current default "
    "behavior, you can pass use_reentrant=True. Refer to docs for more details on the "
    "differences between the two variants."
)


_REENTRANT_GRAD_ERROR = (
    "When use_reentrant=True, torch.utils.checkpoint is incompatible with .grad() or passing "
    "an `inputs` parameter to .backward(). To resolve this error, you can either set "
    "use_reentrant=False, or call .backward() without passing the `inputs` argument."
)


class _Segment:
    """What a checkpointed call needs to run again: the function, its arguments (tensors
    filled in at each run), keyword arguments and the random-number state before the first
    run."""

    def __init__(self, function, args, kwargs, preserve_rng_state: bool, reentrant: bool):
        self.function = function
        self.args = args
        self.kwargs = kwargs
        self.tensor_positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        self.rng_state = get_rng_state() if preserve_rng_state else None
        self.reentrant = reentrant
        # the non-reentrant variant's first run (made before the node): its outputs, and
        # which of them had a graph
        self.first_outputs = None
        self.differentiable = None

    def run(self, tensors):
        """``function`` on the arguments, with ``tensors`` in the tensor positions."""
        args = list(self.args)
        for position, tensor in zip(self.tensor_positions, tensors):
            args[position] = tensor
        return self.function(*args, **self.kwargs)

    def rerun(self, tensors):
        """The second run, recording, with the random-number state of the first (the
        program's own state is put back afterwards)."""
        current = get_rng_state() if self.rng_state is not None else None
        if current is not None:
            set_rng_state(self.rng_state)
        try:
            with enable_grad():
                return self.run(tensors)
        finally:
            if current is not None:
                set_rng_state(current)


def _as_tuple(outputs) -> tuple:
    return outputs if isinstance(outputs, tuple) else (outputs,)


def _detached(tensors) -> list:
    """Fresh leaves with the values of ``tensors``, needing a gradient where they do: the
    second run's graph ends at them."""
    return [t.detach().requires_grad_(t.requires_grad) for t in tensors]


class CheckpointFunction(Function):
    """One checkpointed segment as a graph node (torch's ``CheckpointFunctionBackward``).

    Inputs: the segment, its tensor arguments, then (non-reentrant) the leaves it reaches.
    Outputs: the segment's outputs; ones that are not tensors pass through unchanged.
    """

    _user_defined = True  # the segment's function may return numbers and other objects
    _released_attrs = ("segment", "leaves")  # freed after backward, with the saved arguments

    @staticmethod
    def forward(ctx, segment, *tensors):
        count = len(segment.tensor_positions)
        ctx.segment, ctx.leaves = segment, tensors[count:]
        ctx.save_for_backward(*tensors[:count])
        if segment.first_outputs is None:  # reentrant: the first run, here, not recording
            return segment.run(tensors[:count])
        outputs = segment.first_outputs
        segment.first_outputs = None
        ctx.mark_non_differentiable(
            *(o for o, d in zip(_as_tuple(outputs), segment.differentiable) if not d)
        )
        return outputs

    @staticmethod
    def backward(ctx, *grads):
        segment = ctx.segment
        if segment.reentrant and not is_checkpoint_valid():
            raise RuntimeError(_REENTRANT_GRAD_ERROR)
        arguments = ctx.saved_tensors  # (refuses arguments changed in place since forward)
        create_graph = is_grad_enabled()  # on in backward only under create_graph
        # under create_graph the second run starts from the arguments themselves, so that the
        # gradients it returns are differentiable with respect to them
        reuse = create_graph and not segment.reentrant
        inputs = list(arguments) if reuse else _detached(arguments)
        outputs = _as_tuple(segment.rerun(inputs))
        pairs = [
            (o, g)
            for o, g in zip(outputs, grads)
            if isinstance(o, Tensor) and o.requires_grad and g is not None
        ]
        if not pairs:
            raise RuntimeError(
                "none of output has requires_grad=True, this checkpoint() is not necessary"
            )
        tensors, tensor_grads = [o for o, _ in pairs], [g for _, g in pairs]
        if segment.reentrant:  # a nested backward: the parameters get their .grad from it
            run_backward(tensors, tensor_grads)
            return (None, *(t.grad for t in inputs))
        wanted = [t for t in inputs if t.requires_grad] + list(ctx.leaves)
        found = iter(
            autograd_grad(
                tensors,
                wanted,
                tensor_grads,
                create_graph=create_graph,
                allow_unused=True,
            )
        )
        input_grads = [next(found) if t.requires_grad else None for t in inputs]
        return (None, *input_grads, *found)


def _leaves_reached(outputs, exclude) -> list:
    """The leaves needing a gradient that ``outputs``' graph ends at, but for ``exclude``."""
    skipped = {id(t) for t in exclude}
    leaves, seen = {}, set()
    stack = [o.grad_fn for o in outputs if isinstance(o, Tensor) and o.grad_fn is not None]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        if isinstance(node, AccumulateGrad):
            if id(node.variable) not in skipped:
                leaves[id(node.variable)] = node.variable
            continue
        stack.extend(next_node for next_node, _ in node._edges)
    return list(leaves.values())


def _without_graph(outputs):
    """``outputs`` with each tensor detached (the first run's graph is not kept)."""
    if isinstance(outputs, tuple):
        return tuple(_without_graph(o) for o in outputs)
    return outputs.detach() if isinstance(outputs, Tensor) else outputs


def checkpoint(
    function,
    *args,
    use_reentrant: bool | None = None,
    preserve_rng_state: bool = True,
    **kwargs,
):
    """``function(*args, **kwargs)``, recomputed in backward instead of keeping its
    activations; the gradients equal those of the plain call (see the module docstring)."""
    if use_reentrant is None:
        warnings.warn(_USE_REENTRANT_WARNING, UserWarning, stacklevel=2)
        use_reentrant = True
    for name in ("context_fn", "determinism_check", "debug", "early_stop"):
        kwargs.pop(name, None)  # torch's tuning knobs: nothing to tune here
    if use_reentrant and kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    segment = _Segment(function, args, kwargs, preserve_rng_state, use_reentrant)
    arguments = [args[i] for i in segment.tensor_positions]
    if not is_grad_enabled():  # nothing to differentiate: a plain call
        return function(*args, **kwargs)
    if use_reentrant:
        if not any(t.requires_grad for t in arguments):
            warnings.warn(
                "None of the inputs have requires_grad=True. Gradients will be None",
                UserWarning,
                stacklevel=2,
            )
        return CheckpointFunction.apply(segment, *arguments)
    # non-reentrant: a first run that records, to find the leaves; then its graph is dropped
    inputs = _detached(arguments)
    with enable_grad():
        recorded = segment.run(inputs)
    leaves = _leaves_reached(_as_tuple(recorded), inputs)
    segment.differentiable = [
        isinstance(o, Tensor) and o.requires_grad for o in _as_tuple(recorded)
    ]
    segment.first_outputs = _without_graph(recorded)
    del recorded
    return CheckpointFunction.apply(segment, *arguments, *leaves)


def checkpoint_sequential(
    functions, segments: int, input, use_reentrant: bool | None = None, **kwargs
):
    """Run ``functions`` (a list or an ``nn.Sequential``) one after another on ``input``, in
    ``segments`` parts: each part but the last checkpointed (torch's split)."""
    if use_reentrant is None:
        warnings.warn(_USE_REENTRANT_WARNING, UserWarning, stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if isinstance(functions, Sequential):
        functions = list(functions.children())

    def run_segment(start: int, end: int):
        def forward(x):
            for j in range(start, end + 1):
                x = functions[j](x)
            return x

        return forward

    size = len(functions) // segments
    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(
            run_segment(start, end), input, use_reentrant=use_reentrant, preserve_rng_state=preserve
        )
    return run_segment(end + 1, len(functions) - 1)(input)
