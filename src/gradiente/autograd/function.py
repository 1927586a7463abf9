"""Function: one differentiable operation, forward and backward side by side; also the graph node.

Calling ``SomeFunction.apply(*inputs)`` runs ``forward`` and, when grad mode is on and an input
requires grad, records a node (an instance of the Function, which is also the ``ctx`` object)
in the computational graph. The node remembers, for each input, the edge to follow during
backward: the node that produced that input (its ``grad_fn``) or, for a leaf, the leaf's
``AccumulateGrad``. ``backward`` receives dL/d(output) and returns dL/d(input) for each input:
the chain rule, one node at a time.

The backward vocabulary. An op's ``backward`` is written with Tensor operations, so that under
``create_graph=True`` it is itself recorded and can be differentiated again. It may use only
this small, stable set (each one an op with its own backward):

- arithmetic and comparisons: ``+ - * / **``, unary ``-``, ``== < > <= >=``, ``&``, ``~``;
- element-wise: ``exp``, ``log``, ``sqrt``, ``abs``, ``sign``, ``where``, ``masked_fill``;
- reductions: ``sum`` and ``mean`` (``dim``, ``keepdim``);
- shape: ``reshape``, ``expand``, ``permute``, ``transpose``, ``mT``, ``unsqueeze``, ``flip``,
  ``split``, ``unbind``, indexing ``grad[index]``;
- ``new_zeros``, ``to(dtype)``, ``detach``, and other ops' ``Function.apply`` (a heavy kernel's
  backward primitive, such as a convolution's data gradient).

Heavy kernels may return arrays instead (first order only); the engine wraps them.

Views. An op with ``_is_view = True`` returns views of its first input: they share its memory
and its version counter, and remember how to be made again from the base (``_link_view``), so
that in-place changes of the base or of the view keep every gradient right.
"""

from __future__ import annotations

import functools
import os
import re
import traceback
import warnings
import weakref
from typing import NamedTuple

from gradiente import backend as B
from gradiente.autograd import saved as _saved
from gradiente.autograd.grad_mode import _anomaly, grad_state
from gradiente.backend import ndarray, xp

# The Tensor class is registered here by gradiente.tensor (autograd sits below tensor in the
# layering, so it cannot import it).
_Tensor = None
_BF16 = B.BF16
_F16 = B.xp.dtype(B.xp.float16)


def _register_tensor_type(cls) -> None:
    global _Tensor
    _Tensor = cls


def _reduced_apply(cls, args, kwargs, record, device):
    """Replaced by ``reduced_precision.apply`` (bfloat16 ops) when that module is imported."""
    raise RuntimeError(f"{cls.__name__}: bfloat16 support is not loaded")


def _register_reduced_apply(fn) -> None:
    global _reduced_apply
    _reduced_apply = fn


FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)


class VersionCounter:
    """How many times a tensor's memory was modified in place; shared by a tensor and its views."""

    __slots__ = ("value",)
    inference = False  # see InferenceCounter

    def __init__(self):
        self.value = 0


INFERENCE_SAVE_MESSAGE = (
    "Inference tensors cannot be saved for backward. Please do not use Tensors created in "
    "inference mode in computation tracked by autograd. To work around this, you can make a "
    "clone to get a normal tensor and use it in autograd, or use `torch.no_grad()` instead of "
    "`torch.inference_mode()`."
)
INFERENCE_INPLACE_MESSAGE = (
    "Inplace update to inference tensor outside InferenceMode is not allowed.You can make a "
    "clone to get a normal tensor before doing inplace update.See "
    "https://github.com/pytorch/rfcs/pull/17 for more details."
)


class InferenceCounter(VersionCounter):
    """The counter of an inference tensor (made in ``inference_mode()``) and of its views.

    torch's inference tensors track no version, which is what makes them cheap; here the
    counter's class is the mark (``Tensor.is_inference()``). Counting an in-place change
    outside inference mode raises torch's error (after the write, as torch's check comes
    after its kernel too), and ``_record_inputs`` refuses to save such a tensor for backward.
    """

    __slots__ = ("_count",)
    inference = True

    def __init__(self):
        self._count = 0

    @property
    def value(self) -> int:
        return self._count

    @value.setter
    def value(self, count: int) -> None:
        if not grad_state.inference:
            raise RuntimeError(INFERENCE_INPLACE_MESSAGE)
        self._count = count


class _SavedOutput:
    """Placeholder in a node's saved values for the node's own output (kept as an array)."""

    __slots__ = ("array", "counter", "version", "output_nr")

    def __init__(self, array, counter, output_nr: int = 0):
        self.array = array
        self.counter = counter
        self.version = counter.value
        self.output_nr = output_nr  # which of the node's outputs (its gradient's slot)


def unpack_saved(node, item):
    """Saved entry ``item`` of ``node`` that is not an input tensor, as backward reads it: the
    node's own output as a tensor of the node, a packed tensor through its unpack hook."""
    if isinstance(item, _SavedOutput):
        _check_version(item.counter, item.version, item.array, node, node, item.output_nr)
        t = _Tensor._make(item.array, grad_state.enabled, node)
        t._output_nr = item.output_nr  # under create_graph, its gradient's slot
        t._version_counter = item.counter
        return t
    if isinstance(item, _saved.Packed):
        return item.unpack(node)
    return item


class Node:
    """A node of the backward graph; ``grad_fn`` of a tensor is one of these."""

    __slots__ = (
        "_edges",
        "_input_meta",
        "_saved",
        "_saved_versions",
        "_freed",
        "_pre_hooks",
        "_retained",
        "_n_outputs",
        "needs_input_grad",
        "__dict__",
        "__weakref__",
    )

    def __init__(self):
        self._saved = ()
        self._saved_versions = ()
        self._freed = False
        self._pre_hooks = None
        self._retained = None
        self._n_outputs = 1

    def name(self) -> str:
        return type(self).__name__

    def __getattr__(self, attribute: str):
        """``_saved_self``, ``_saved_result``, ``_raw_saved_self``, ... (see ``saved``): called
        only for attributes the node does not have."""
        if attribute.startswith(("_saved_", "_raw_saved_")) and not type(self)._user_defined:
            return _saved.lookup(self, attribute)  # a custom Function has only saved_tensors
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{attribute}'")

    def __repr__(self) -> str:
        # torch makes the nodes of a user's Function in torch.autograd.function, and says so
        where = "" if type(self).__module__.startswith("gradiente") else "torch.autograd.function."
        return f"<{where}{self.name()} object at {hex(id(self))}>"

    _user_defined = False  # see Function

    # Which arguments of forward ``next_functions`` lists, by position; None: the tensors of
    # a floating dtype (not index, mask or target tensors, not dims, flags or exponents).
    # Binary arithmetic lists a Python number too, as torch (it wraps it in a tensor).
    next_function_inputs: tuple | None = None

    @property
    def next_functions(self) -> tuple:
        """(node, output number) per differentiable input, as torch shows them: (None, 0) for
        one that needs no gradient. (The engine walks ``_edges`` instead: one per argument of
        forward, in the order backward returns their gradients.)"""
        shown = self._shown_inputs()
        if shown is None:
            return self._edges
        return tuple(self._edges[i] for i in shown)

    def _shown_inputs(self):
        """The positions, among forward's arguments, of the inputs torch's node has (those
        ``next_functions`` lists and node hooks see gradients for); None: all of them."""
        meta = getattr(self, "_input_meta", None)
        if meta is None:
            return None
        if self.next_function_inputs is not None:
            return self.next_function_inputs
        return tuple(i for i, m in enumerate(meta) if m is not None and m[1].kind in "fc")

    @property
    def metadata(self) -> dict:
        """A dict for the user's own notes on this node (empty until filled)."""
        return self.__dict__.setdefault("_metadata", {})

    def __call__(self, *grad_outputs):
        """This node's backward applied to ``grad_outputs``: the gradient for each input that
        ``next_functions`` lists (torch's ``grad_fn(grad)``)."""
        if self._freed:
            raise RuntimeError(FREED_MESSAGE)
        grads = type(self).backward(self, *grad_outputs)
        grads = grads if isinstance(grads, tuple) else (grads,)
        shown = self._shown_inputs()
        if shown is None:
            return grads
        grads = grads + (None,) * (len(self._input_meta) - len(grads))
        return tuple(grads[i] for i in shown)

    def register_hook(self, hook):
        """Hook called as ``hook(grad_inputs, grad_outputs)`` after this node's backward; it
        may return replacement ``grad_inputs``."""
        hooks = self.__dict__.setdefault("_post_hooks", [])
        hooks.append(hook)
        return RemovableHandle(hooks, hook)

    def register_prehook(self, hook):
        """Hook called as ``hook(grad_outputs)`` before this node's backward; it may return
        replacement gradients (a tuple, one per output)."""
        hooks = self.__dict__.setdefault("_node_pre_hooks", [])
        hooks.append(hook)
        return RemovableHandle(hooks, hook)

    def _add_pre_hook(self, output_nr: int, hook):
        if self._pre_hooks is None:
            self._pre_hooks = {}
        hooks = self._pre_hooks.setdefault(output_nr, [])
        hooks.append(hook)
        return RemovableHandle(hooks, hook)


class RemovableHandle:
    """What ``register_hook`` returns: ``handle.remove()`` unregisters the hook (also on
    leaving a ``with handle:`` block)."""

    def __init__(self, hooks: list, hook):
        self._hooks = hooks
        self._hook = hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


_RemovableHandle = RemovableHandle  # its former name


class AccumulateGrad(Node):
    """The sink of the graph for a leaf tensor: adds the incoming gradient into ``leaf.grad``."""

    __slots__ = ("variable",)
    _released_attrs = ()

    def __init__(self, variable):
        super().__init__()
        self.variable = variable
        self._edges = ()

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"  # torch's C++ name

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {hex(id(self))}>"


class FunctionCtx:
    """The type of ``ctx`` in a custom Function's ``forward``/``backward`` (torch's name, for
    annotations; here the ctx is the Function node itself, so every Function is one)."""

    __slots__ = ()


class Function(Node, FunctionCtx):
    """Base class of differentiable operations (PyTorch's ``torch.autograd.Function``).

    Subclass it with two static methods::

        class Exp(Function):
            @staticmethod
            def forward(ctx, x):
                y = x.exp()
                ctx.save_for_backward(y)
                return y

            @staticmethod
            def backward(ctx, grad):
                (y,) = ctx.saved_tensors
                return grad * y          # d exp(x)/dx = exp(x)

    and call ``Exp.apply(x)``. ``forward`` receives tensors (with grad mode off) and returns a
    tensor or a tuple of tensors; ``backward`` receives one gradient per output and returns one
    per input (``None`` for inputs that need none).

    gradiente's own primitives set ``_array_forward = True``: their ``forward`` reads the input
    arrays directly (``x._data``) and returns an array, which saves a wrapper per op.
    """

    _array_forward = False
    # True only for the copy between devices (ToDevice), whose output is on another device
    # than its input; every other op computes on the one device of its inputs.
    _moves_device = False
    # element-wise ops set this: their result gets torch's memory order (backend's
    # ``in_torch_elementwise_order``), which NumPy's differs from when operands disagree
    _torch_layout = False
    _device = None  # the CUDA index this node computed on (None: the CPU)
    _is_view = False
    _may_copy = False  # a view op that sometimes has to copy instead (reshape)
    # Array attributes an op stores on ctx for backward (besides save_for_backward); the
    # engine frees them after backward unless retain_graph=True.
    _released_attrs: tuple = ()
    backward_name: str | None = None

    # A Function written outside gradiente (a user's custom op): the engine checks its
    # backward's gradients as torch does, and its forward may return non-tensors and in-place
    # (``mark_dirty``) results.
    _user_defined = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("_is_node_class"):
            return
        if "backward_name" not in cls.__dict__ or cls.backward_name is None:
            cls.backward_name = cls.__name__ + "Backward"
        if "_user_defined" not in cls.__dict__:
            cls._user_defined = not cls.__module__.startswith("gradiente.")
        # The class of this op's graph nodes: the op's own class under torch's node name, so
        # that ``type(y.grad_fn).__name__`` is "MulBackward0" as in torch (graph-drawing code
        # labels nodes with it) while the node is still an instance of the op (``Mul``).
        cls._node_class = _node_class_named(cls, cls.backward_name)
        # an op that names its nodes per call (sum with or without dims, ...): its node's
        # class is chosen once forward has run
        cls._names_itself = cls.name is not Function.name

    def __init__(self, *args, **kwargs):
        """Only the graph's nodes are instances (made without this warning); a user calls
        ``MyFunction.apply(...)``, and torch warns when the class is instantiated instead."""
        warnings.warn(
            f"{self.__class__} should not be instantiated. Methods on autograd functions are "
            "all static, so you should invoke them on the class itself. Instantiating an "
            "autograd function will raise an error in a future version of PyTorch.",
            DeprecationWarning,
            stacklevel=2,
        )
        super().__init__()

    def name(self) -> str:
        return self.backward_name

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("a Function subclass must implement forward")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("a Function subclass must implement backward")

    vjp = backward  # torch's other name for it
    generate_vmap_rule = False  # torch.func.vmap's own rule for this Function: not asked for

    @staticmethod
    def jvp(ctx, *grad_inputs):
        """Forward-mode derivative: a subclass defines it to be used under ``forward_ad``."""
        raise NotImplementedError(
            "You must implement the jvp function for custom autograd.Function to use it with "
            "forward mode AD."
        )

    @staticmethod
    def vmap(info, in_dims, *args):
        """``torch.func.vmap``'s rule for this Function: a subclass may define it."""
        raise NotImplementedError(
            "To use autograd.Function with vmap, you must either override the vmap staticmethod "
            "or set generate_vmap_rule=True."
        )

    @staticmethod
    def setup_context(ctx, inputs, output):
        """Override to save what backward needs when ``forward`` does not take ``ctx``
        (PyTorch's newer style: ``forward(*inputs)`` then ``setup_context(ctx, inputs,
        output)``)."""
        raise NotImplementedError("setup_context is not overridden")

    # ctx API ---------------------------------------------------------------------------
    def save_for_backward(self, *items) -> None:
        """Keep tensors (inputs or outputs) for backward; checked against in-place changes."""
        if self._user_defined:
            for i, item in enumerate(items):
                if item is not None and not isinstance(item, _Tensor):
                    raise TypeError(
                        "save_for_backward can only save variables, but argument "
                        f"{i} is of type {type(item).__name__}"
                    )
        self._saved = items  # versions are recorded by ``apply`` once it knows the op is recorded

    @property
    def saved_tensors(self) -> tuple:
        """The saved tensors, after checking none was freed or modified in place since."""
        if self._freed:
            raise RuntimeError(FREED_MESSAGE)
        out = []
        for item, version in zip(self._saved, self._saved_versions):
            if isinstance(item, _Tensor):  # an input, the common case
                counter = item._version_counter
                if counter is not None and counter.value != version:
                    _check_version(
                        counter, version, item._data, self, item.grad_fn, item._output_nr
                    )
                out.append(item)
            elif isinstance(item, _saved.Packed):  # saved-tensor hooks: their own order
                return _saved.unpack_all(self)
            else:
                out.append(unpack_saved(self, item))
        return tuple(out)

    def save_for_forward(self, *tensors) -> None:
        """Keep tensors for a ``jvp`` (forward mode); gradiente's forward mode runs through
        ``backward`` instead, so they are only kept (``ctx.saved_tensors`` does not list them)."""
        self.__dict__["_saved_for_forward"] = tensors

    def mark_non_differentiable(self, *tensors) -> None:
        """Declare outputs (e.g. indices) that never receive or pass a gradient."""
        self.__dict__["_non_diff"] = {id(t) for t in tensors}

    def mark_dirty(self, *tensors) -> None:
        """Declare inputs that ``forward`` changed in place. Returned, such an input is the
        output itself (the same Python object, as in torch), with this node as its new
        ``grad_fn`` and its version counter advanced."""
        self.__dict__["_dirty"] = tensors

    def set_materialize_grads(self, value: bool) -> None:
        """With ``False``, backward receives ``None`` (not zeros) for outputs that no path to
        the loss used."""
        self.__dict__["_materialize_grads"] = bool(value)

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run forward and, when needed, record this op in the graph."""
        Tensor = _Tensor
        record = False
        device = None
        reduced = False
        enabled = grad_state.enabled
        for a in args:
            if isinstance(a, Tensor):
                data = a._data
                if type(data) is not ndarray:  # the one device check on the hot path
                    device = True
                if data.dtype is _BF16 or data.dtype is _F16:
                    reduced = True
                if enabled:
                    if a._view is not None:
                        refresh_view(a)
                    if a._requires_grad:
                        record = True
        if device is not None:
            if cls._moves_device:
                device = None  # a copy between devices: its input and output differ
            else:
                args, device = _on_one_device(args)
        if reduced:  # a bfloat16 or float16 input: computed in float32, rounded once
            result = _reduced_apply(cls, args, kwargs, record, device)  # (reduced_precision)
            if result is not NotImplemented:  # (float16 ops not in its table run below)
                return result
        ctx = cls._node_class()
        out = _run_forward(cls, ctx, args, kwargs)
        if not cls._torch_layout:
            return _finish(cls, ctx, out, args, kwargs, record, device)
        # an element-wise op: its result laid out as torch's, and marked as such when that is
        # not row-major (so that dropout or view downstream trust it, see torch_strides_known)
        out, known = _in_torch_order(out, args)
        result = _finish(cls, ctx, out, args, kwargs, record, device)
        if known and isinstance(result, Tensor):
            result.__dict__["_torch_layout"] = True
        return result


def torch_strides_known(t) -> bool:
    """Whether tensor ``t``'s strides are the ones torch would give it: a view (``t()``,
    ``permute``, slicing, ``expand``) of a row-major tensor or of one marked as laid out as
    torch's (``channels_last``), or a row-major tensor restrided in place (``transpose_``),
    since those change strides exactly as torch's do. Other
    non-row-major layouts may be gradiente's own choice (a convolution's output is kept
    channels-last), where torch's tensor would be row-major."""
    root = t if t._base is None else t._base
    if root is not t and root._data.flags.c_contiguous:
        return True
    return root.__dict__.get("_torch_layout", False)


def keep_torch_layout(source, new):
    """``new``, a tensor on ``source``'s memory outside the graph (``detach()``, ``.data``),
    marked as laid out as torch's when ``source`` is: torch's ``detach`` keeps the strides, so
    a dropout drawn over it walks the same memory order."""
    if not source._data.flags.c_contiguous and torch_strides_known(source):
        new.__dict__["_torch_layout"] = True
    return new


def _in_torch_order(out, args):
    """An element-wise op's result ``out`` in torch's memory order for its tensor operands
    (``backend.in_torch_elementwise_order``), where their layouts are torch's own: when
    they are all row-major, or one's layout is gradiente's choice, NumPy's order stands.
    Returns (the result, whether its non-row-major layout is torch's)."""
    if type(out) is not ndarray or out.ndim < 2:
        return out, False
    arrays, row_major = [], True
    for a in args:
        if isinstance(a, _Tensor):
            data = a._data
            if not data.flags.c_contiguous:
                if not torch_strides_known(a):
                    return out, False
                row_major = False
            arrays.append(data)
    if row_major:
        return out, False
    out = B.in_torch_elementwise_order(out, arrays)
    return out, not out.flags.c_contiguous


def _run_forward(cls, ctx, args, kwargs):
    """``forward``'s raw result (arrays or tensors), with grad mode off for Tensor-level
    forwards (an array forward cannot record anything)."""
    if cls._array_forward:
        try:
            return cls.forward(ctx, *args, **kwargs)
        except ValueError as err:
            raise _shape_error(ctx, args, err) from None
        except MemoryError as err:  # a GPU out of memory: torch's error
            if B.is_out_of_memory(err):
                raise B.out_of_memory(err) from err
            raise
    if cls._user_defined:  # which inputs need a gradient, known to a custom forward too
        ctx.needs_input_grad = tuple(isinstance(a, _Tensor) and a._requires_grad for a in args)
    prev = grad_state.enabled
    grad_state.enabled = False
    try:
        if cls.setup_context is Function.setup_context:
            return cls.forward(ctx, *args, **kwargs)
        out = cls.forward(*args, **kwargs)  # the newer style: forward(*args), then
        cls.setup_context(ctx, args, out)  # setup_context(ctx, args, out)
        return out
    finally:
        grad_state.enabled = prev


_node_classes: dict = {}


def _node_class_named(cls, name: str):
    """``cls`` under the name ``name``: the class of the graph nodes of op ``cls`` that torch
    calls ``name`` (made once per pair)."""
    node_class = _node_classes.get((cls, name))
    if node_class is None:
        attributes = {"_is_node_class": True, "__module__": cls.__module__, "__doc__": cls.__doc__}
        attributes["__init__"] = Node.__init__  # a node is made without Function's warning
        node_class = _node_classes[cls, name] = type(name, (cls,), attributes)
    return node_class


def show_as(result, name: str, *inputs):
    """``result`` of an op composed of other ops, its last node shown under torch's name for
    the op (``AddmmBackward0`` for ``addmm``'s final add), as ``repr`` and graph-walking code
    see it in torch. Only the name changes: the node computes the same gradients. A node that
    is an input's own (the op returned an input as it is) keeps its name."""
    node = result.grad_fn
    if node is None or any(node is getattr(t, "grad_fn", None) for t in inputs):
        return result
    shown = _shown_classes.get((type(node), name))
    if shown is None:
        attributes = {
            "_is_node_class": True,
            "__module__": type(node).__module__,
            "__init__": Node.__init__,
            "name": lambda self: name,
        }
        shown = _shown_classes[type(node), name] = type(name, (type(node),), attributes)
    node.__class__ = shown
    return result


_shown_classes: dict = {}


def _finish(cls, ctx, out, args, kwargs, record: bool, device):
    """Put forward's result ``out`` on the inputs' device, make ``ctx`` a graph node with
    ``args`` as its inputs when ``record``, and wrap the outputs as tensors."""
    if device is not None:
        out = _mark_outputs(out, device, cls.__name__)
        ctx._device = device  # the engine puts this node's input gradients there too
    if record:
        _record_inputs(ctx, args)
        if cls._names_itself and ctx.name() != type(ctx).__name__:
            ctx.__class__ = _node_class_named(cls, ctx.name())
        if _anomaly[0]:  # anomaly detection: where this op was called, for backward's errors
            ctx.__dict__["_forward_trace"] = forward_trace()
    else:
        ctx._saved = ()
    return _wrap_outputs(ctx, cls, out, record, args, kwargs)


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _in_package(filename: str, sub: str = "") -> bool:
    """Whether ``filename`` is one of gradiente's own files (in its subpackage ``sub``)."""
    return os.path.abspath(filename).startswith(os.path.join(_PACKAGE_DIR, sub, ""))


def forward_trace() -> str:
    """The caller's stack, formatted as a traceback without gradiente's own frames (nor the
    interpreter's frozen ones): what anomaly detection shows for the op whose backward
    failed."""
    frames = traceback.extract_stack()
    # under ``gradiente run`` the script is called by the launcher and the CLI: start after
    cli = [i for i, frame in enumerate(frames) if _in_package(frame.filename, "cli")]
    frames = [
        frame
        for frame in frames[cli[-1] + 1 if cli else 0 :]
        if not frame.filename.startswith("<frozen") and not _in_package(frame.filename)
    ]
    return "".join(traceback.format_list(frames))


def _on_one_device(args):
    """The inputs of an op with a CUDA tensor among them, and that device's index.

    All tensor inputs must be on one device (torch's error names the first two devices
    found); a 0-d CPU tensor is the exception, as in torch: it is copied to the device
    (differentiably), like a Python scalar.
    """
    Tensor = _Tensor
    index = None
    for a in args:
        if isinstance(a, Tensor) and type(a._data) is not ndarray:
            index = B.array_device_index(a._data)
            break
    moved = list(args)
    for i, a in enumerate(args):
        if not isinstance(a, Tensor):
            continue
        here = B.array_device_index(a._data)
        if here == index:
            continue
        if here is None and a._data.ndim == 0:
            moved[i] = _Tensor.to(a, f"cuda:{index}")
            continue
        names = [_device_name(_device_of(b)) for b in args if isinstance(b, Tensor)]
        first = names[0]
        second = next(n for n in names if n != first)
        raise RuntimeError(
            "Expected all tensors to be on the same device, but found at least two devices, "
            f"{first} and {second}!"
        )
    return tuple(moved), index


def _device_of(t):
    return B.array_device_index(t._data)


def _device_name(index) -> str:
    return "cpu" if index is None else f"cuda:{index}"


def _mark_outputs(out, index, op: str):
    """An op's result on the device of its inputs (the stand-in device re-marks results that
    NumPy built as plain arrays; a CuPy op's results are there already)."""
    if isinstance(out, tuple):
        return tuple(_mark_outputs(o, index, op) for o in out)
    if isinstance(out, _Tensor) or out is None:
        return out
    return B.mark_device(out, index, op)


def _record_inputs(ctx, args) -> None:
    """Make ``ctx`` a graph node: one backward edge per input (None for inputs that need no
    gradient), which inputs need one, and their shapes/dtypes (the engine sums broadcast
    gradients back to these)."""
    Tensor = _Tensor
    next_functions, needs, input_meta = [], [], []
    for a in args:
        if isinstance(a, Tensor):
            input_meta.append((a._data.shape, a._data.dtype))
            needs.append(a._requires_grad)
            next_functions.append(_edge_of(a) if a._requires_grad else (None, 0))
        else:
            input_meta.append(None)
            needs.append(False)
            next_functions.append((None, 0))
    if ctx._saved:
        versions = []
        for it in ctx._saved:
            if isinstance(it, Tensor):
                counter = it._get_version_counter()
                if counter.inference:
                    raise RuntimeError(INFERENCE_SAVE_MESSAGE)
                versions.append(counter.value)
            else:
                versions.append(0)
        ctx._saved_versions = tuple(versions)
    ctx._edges = tuple(next_functions)
    ctx.needs_input_grad = tuple(needs)
    ctx._input_meta = tuple(input_meta)


def _wrap_outputs(ctx, cls, out, record: bool, args, kwargs):
    """Wrap forward's result (an array/tensor or a tuple of them) as tensors: when recorded,
    each floating output not marked non-differentiable gets ``ctx`` as its ``grad_fn``; the
    outputs of a view op become views of the first input."""
    several = isinstance(out, tuple)
    if not several:  # the common case, kept short: it runs once per op
        if cls._user_defined and not isinstance(out, _Tensor):
            return out  # a custom Function may return a number (or anything): as it is
        diff = record and _is_float(out) and id(out) not in ctx.__dict__.get("_non_diff", ())
        result = _wrap(out, diff, ctx if diff else None, 0)
        if cls._is_view:
            _link_view(result, cls, args, kwargs)
        if cls._user_defined and "_dirty" in ctx.__dict__:
            result = _rebase_dirty(ctx, out, result)
        if record and ctx._saved:
            _mark_saved_outputs(ctx, (out,), (result,))
            if _saved.hooks_stack:  # a saved_tensors_hooks block is open: pack them
                _saved.pack_saved(ctx)
        return result
    outputs = out
    # a custom Function's non-tensor outputs are handed out as they are, with no gradient
    passed = [cls._user_defined and not isinstance(o, _Tensor) for o in outputs]
    if record:
        ctx._n_outputs = len(outputs)
        # Shapes/dtypes of the outputs: an unused output's gradient is zeros of this form.
        arrays = [
            None if skip else o._data if isinstance(o, _Tensor) else _as_array(o)
            for o, skip in zip(outputs, passed)
        ]
        ctx._output_meta = tuple(None if a is None else (a.shape, a.dtype) for a in arrays)
    non_diff = ctx.__dict__.get("_non_diff", ()) if record else ()
    results = []
    for i, o in enumerate(outputs):
        if passed[i]:
            results.append(o)
            continue
        diff = record and id(o) not in non_diff and _is_float(o)
        result = _wrap(o, diff, ctx if diff else None, i)
        if cls._is_view:
            _link_view(result, cls, args, kwargs, i)
        if cls._user_defined and "_dirty" in ctx.__dict__:
            result = _rebase_dirty(ctx, o, result)
        results.append(result)
    if record:
        _mark_saved_outputs(ctx, outputs, results)
        if ctx._saved and _saved.hooks_stack:
            _saved.pack_saved(ctx)
    return tuple(results)


def _rebase_dirty(ctx, raw, result):
    """The output of a Function that changed an input in place (``mark_dirty``) and returned
    it: that input itself, its history now this node (torch rebases it the same way)."""
    if not any(raw is t for t in ctx.__dict__["_dirty"]):
        return result
    if result.grad_fn is not None:  # recorded: the input's history continues through ctx
        if raw.grad_fn is None and raw._requires_grad:
            raise RuntimeError(
                "a leaf Variable that requires grad has been used in an in-place operation."
            )
        raw.grad_fn, raw._output_nr = result.grad_fn, result._output_nr
        raw._requires_grad = True
    raw._get_version_counter().value += 1
    return raw


def _link_view(view, cls, args, kwargs, output_nr: int | None = None) -> None:
    """Make ``view`` (output ``output_nr`` of the view op ``cls`` on ``args[0]``) a view.

    A view shares its base's memory, so it shares the base's in-place version counter, and
    ``_base`` names the root tensor that owns the memory. Made while grad mode is on, it also
    remembers how to make itself again from that root: ``view._view = (replay, version)``,
    where ``replay(root)`` re-applies the chain of view ops. PyTorch does the same: after an
    in-place change of the base (``h.mul_(2)``), a view's ``grad_fn`` is rebuilt from the
    base's new graph (``refresh_view``), and an in-place op on a view writes through the
    recipe into the base's graph (``Tensor._inplace_on_view``).
    """
    base = args[0]
    if cls._may_copy and view._data.size and not _shares_memory(view._data, base._data):
        return  # reshape had to copy: a new tensor, not a view (as torch's reshape)
    counter = base._get_version_counter()
    view._version_counter = counter
    view._base = base if base._base is None else base._base
    if not grad_state.enabled:
        return
    # PyTorch forbids in-place ops on the outputs of an op that returns several views
    multi_output = None
    if output_nr is not None:
        op = view.grad_fn.name() if view.grad_fn is not None else cls.backward_name
        multi_output = f"Output {output_nr} of {_op_name(op)}"
    if base._base is None:

        def parent(root):
            return root

    elif base._view is not None:
        parent, _, base_multi_output = base._view
        multi_output = multi_output or base_multi_output
    else:
        return  # base is a view made without grad mode: no recipe, as in PyTorch
    rest = args[1:]

    def replay(root):
        out = cls.apply(parent(root), *rest, **kwargs)
        return out if output_nr is None else out[output_nr]

    view._view = (replay, counter.value, multi_output)


def _op_name(node_name: str) -> str:
    """The op of a node, as torch's messages name it: "Mul" for "MulBackward0"."""
    return re.sub(r"Backward\d*$", "", node_name)


def _shares_memory(a, b) -> bool:
    """Whether array ``a`` may share memory with ``b``: first NumPy's own record (a view's
    ``base`` is the array owning the memory), else the slower bounds check."""
    owner = a.base
    if owner is not None and (owner is b or owner is b.base):
        return True
    return bool(xp.may_share_memory(a, b))


def refresh_view(view) -> None:
    """Rebuild a view's graph edge from its base when the memory changed in place since the
    view's graph was recorded (PyTorch regenerates a view's ``grad_fn`` the same way)."""
    replay, version, multi_output = view._view
    now = view._version_counter.value
    if now == version:
        return
    fresh = replay(view._base)
    show_as(fresh, "AsStridedBackward0")  # torch regenerates the view by as_strided
    view.grad_fn, view._output_nr = fresh.grad_fn, fresh._output_nr
    view._requires_grad = fresh._requires_grad
    view._view = (replay, now, multi_output)


def _shape_error(ctx, args, err) -> RuntimeError:
    """A NumPy shape error, re-worded to name the op and the shapes of its tensor inputs: for
    two shapes that do not broadcast, torch's own message (the one users search for), then
    the shapes."""
    tensor_shapes = [a._data.shape for a in args if isinstance(a, _Tensor)]
    shapes = " and ".join(str(tuple(s)) for s in tensor_shapes)
    if len(tensor_shapes) == 2 and "broadcast" in str(err):
        torch_error = B.broadcast_error(*tensor_shapes)
        if torch_error is not None:
            return RuntimeError(f"{torch_error} (shapes {shapes})")
    op = ctx.name().removesuffix("Backward0").removesuffix("Backward1")
    if "broadcast" in str(err):
        return RuntimeError(
            f"{op}: the shapes {shapes} cannot be broadcast together (sizes must match or be 1 "
            "in each dimension, counting from the last)"
        )
    return RuntimeError(f"{op}: invalid input shapes {shapes}: {err}")


def _is_float(o) -> bool:
    data = o._data if isinstance(o, _Tensor) else o
    return data.dtype.kind == "f" or data.dtype is _BF16


def _wrap(o, requires_grad: bool, grad_fn, output_nr: int):
    """Turn a forward result (array or tensor) into a tensor carrying the graph edge."""
    if isinstance(o, _Tensor):
        data = o._data
    else:
        data = o if isinstance(o, ndarray) else _as_array(o)
    t = _Tensor._make(data, requires_grad, grad_fn)
    if output_nr:
        t._output_nr = output_nr
    return t


def _as_array(o):
    """A forward result as an array: a device array as it is, a NumPy scalar as a 0-d array."""
    return o if B.array_device_index(o) is not None else xp.asarray(o)


def _mark_saved_outputs(ctx, raw_outputs, results) -> None:
    """Replace saved outputs by array placeholders so the node does not keep its output alive."""
    saved = ctx._saved
    if not saved:
        return
    replaced = list(saved)
    changed = False
    for i, item in enumerate(saved):
        for raw, res in zip(raw_outputs, results):
            if item is raw or item is res:
                replaced[i] = _SavedOutput(res._data, res._get_version_counter(), res._output_nr)
                changed = True
    if changed:
        ctx._saved = tuple(replaced)


def follow_saved_output(node, counter, target) -> None:
    """After an in-place op stored ``node``'s output in ``target``'s memory: the node's saved
    copy of its output now stands for ``target`` (PyTorch saves that very tensor), so a later
    in-place change of ``target`` (``x.exp_().exp_()``) makes backward refuse the node."""
    saved = node._saved if node is not None else None
    if not saved:
        return
    replaced = tuple(
        _SavedOutput(item.array, target._get_version_counter(), item.output_nr)
        if isinstance(item, _SavedOutput) and item.counter is counter
        else item
        for item in saved
    )
    node._saved = replaced


class GradientEdge(NamedTuple):
    """An edge of the backward graph: output ``output_nr`` of ``node`` (torch's
    ``torch.autograd.graph.GradientEdge``); ``autograd.grad`` takes one in place of a tensor."""

    node: object
    output_nr: int


def _edge_of(t):
    """The backward edge of tensor ``t``: (its grad_fn, output index) or its AccumulateGrad."""
    if type(t) is GradientEdge:
        return (t.node, t.output_nr)
    fn = t.grad_fn
    if fn is not None:
        return (fn, t._output_nr)
    acc = t._accumulator() if t._accumulator is not None else None
    if acc is None:
        acc = AccumulateGrad(t)
        t._accumulator = weakref.ref(acc)
    return (acc, 0)


def _check_version(counter, version, data, node, made_by=None, output_nr: int = 0) -> None:
    """Refuse a saved tensor changed in place since ``node`` saved it, in torch's words:
    ``made_by`` is the node the tensor is output ``output_nr`` of (None: a leaf)."""
    if counter.value == version:
        return
    kind = "torch." if B.array_device_index(data) is None else "torch.cuda."
    kind += B.torch_type_name(data.dtype) + "Tensor"
    made = ""
    if made_by is not None and not isinstance(made_by, AccumulateGrad):
        made = f", which is output {output_nr} of {_op_name(made_by.name())},"
    hint = (
        "Hint: the backtrace further above shows the operation that failed to compute its "
        "gradient. The variable in question was changed in there or anywhere later. Good luck!"
        if _anomaly[0]
        else "Hint: enable anomaly detection to find the operation that failed to compute its "
        "gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False)."
    )
    raise RuntimeError(
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: [{kind} {list(data.shape)}]{made} is at version {counter.value}; "
        f"expected version {version} instead. {hint}"
    )


def once_differentiable(backward):
    """Decorator for a Function's ``backward`` that is written without differentiable ops:
    it runs with grad mode off, so its result is never part of a graph."""

    @functools.wraps(backward)
    def wrapper(ctx, *grad_outputs):
        prev = grad_state.enabled
        grad_state.enabled = False
        try:
            return backward(ctx, *grad_outputs)
        finally:
            grad_state.enabled = prev

    return wrapper
