"""Lazy layers (``torch.nn.LazyLinear``, ``LazyConv2d``, ``LazyBatchNorm2d``, ...): the input
size is left out and read from the first batch.

A lazy layer starts with ``UninitializedParameter``s (no shape yet). A forward pre-hook runs
once, on the first call: it reads the missing size from the input, gives the parameters their
shapes (``materialize`` fills the *same* objects, so an optimizer built before the first call
keeps working), initialises them as the eager layer does (same seed → same weights), and turns
the module into its eager class (``LazyLinear`` becomes ``Linear``). Loading a state dict into
an uninitialised lazy layer materialises the parameters with the saved shapes, as torch does.
"""

from __future__ import annotations

import itertools

from gradiente.autograd import no_grad
from gradiente.backend import int64, to_dtype
from gradiente.nn.layers.conv import (
    Conv1d,
    Conv2d,
    Conv3d,
    ConvTranspose1d,
    ConvTranspose2d,
    ConvTranspose3d,
)
from gradiente.nn.layers.linear import Linear
from gradiente.nn.layers.normalization import (
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    InstanceNorm1d,
    InstanceNorm2d,
    InstanceNorm3d,
)
from gradiente.nn.parameter import Parameter
from gradiente.tensor import Tensor, empty, tensor

__all__ = [
    "LazyBatchNorm1d",
    "LazyBatchNorm2d",
    "LazyBatchNorm3d",
    "LazyConv1d",
    "LazyConv2d",
    "LazyConv3d",
    "LazyConvTranspose1d",
    "LazyConvTranspose2d",
    "LazyConvTranspose3d",
    "LazyInstanceNorm1d",
    "LazyInstanceNorm2d",
    "LazyInstanceNorm3d",
    "LazyLinear",
    "LazyModuleMixin",
    "UninitializedBuffer",
    "UninitializedParameter",
    "is_lazy",
]


# ---------------------------------------------------------------------------------- tensors
def _uninitialized_error(method: str) -> ValueError:
    """PyTorch's error for using an uninitialised parameter or buffer in ``method``."""
    return ValueError(
        f"Attempted to use an uninitialized parameter in <method '{method}' of "
        "'torch._C.TensorBase' objects>. This error happens when you are using a `LazyModule` "
        "or explicitly manipulating `torch.nn.parameter.UninitializedParameter` objects. When "
        "using LazyModules Call `forward` with a dummy batch to initialize the parameters "
        "before calling torch functions"
    )


class UninitializedTensorMixin:
    """What uninitialised parameters and buffers share: an empty array that only carries a
    dtype and a device until ``materialize(shape)`` gives it a shape and turns the object into
    its ``cls_to_become``."""

    cls_to_become: type

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Give the tensor ``shape`` (uninitialised memory, of its own or the given dtype),
        in place: the object becomes a plain ``cls_to_become``."""
        dtype = to_dtype(dtype) if dtype is not None else self.dtype
        self._data = empty(shape, dtype=dtype, device=device or self.device)._data
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. "
            "This error usually happens in `load_state_dict` when trying to load "
            "an uninitialized parameter into an initialized one. "
            "Call `forward` to initialize the parameters before accessing their attributes."
        )

    # what PyTorch refuses on a tensor without a shape (its ``__torch_function__`` guard): the
    # ``sum(p.numel() for p in model.parameters())`` idiom and the ``nn.init`` fills must fail
    # before the first forward instead of quietly seeing an empty tensor
    def numel(self):
        raise _uninitialized_error("numel")

    nelement = numel

    def dim(self):
        raise _uninitialized_error("dim")

    def element_size(self):
        raise _uninitialized_error("element_size")

    def uniform_(self, *args, **kwargs):
        raise _uninitialized_error("uniform_")

    def normal_(self, *args, **kwargs):
        raise _uninitialized_error("normal_")

    def fill_(self, *args, **kwargs):
        raise _uninitialized_error("fill_")

    def zero_(self):
        raise _uninitialized_error("zero_")

    def share_memory_(self):
        raise RuntimeError(
            "Can't share memory on an uninitialized parameter or buffer. "
            "Call `forward` to initialize the parameters before calling "
            "`module.share_memory()`."
        )

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__}>"

    def __reduce_ex__(self, protocol):
        return (self.__class__, (self.requires_grad,))

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.requires_grad, self.device, self.dtype)
        return memo[id(self)]


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A parameter whose shape is not known yet (``torch.nn.UninitializedParameter``); a lazy
    layer materialises it on its first forward."""

    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device=None, dtype=None) -> None:
        super().__init__(empty(0, dtype=dtype, device=device), requires_grad)


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer whose shape is not known yet (``torch.nn.UninitializedBuffer``)."""

    cls_to_become = Tensor

    def __init__(self, requires_grad: bool = False, device=None, dtype=None) -> None:
        self._init(empty(0, dtype=dtype, device=device)._data, requires_grad, None)

    def to(self, *args, **kwargs):
        """Still uninitialised, in the requested dtype/device (``Module.to`` on lazy layers)."""
        moved = Tensor.to(self, *args, **kwargs)
        if moved is self:
            return self
        result = UninitializedBuffer(self.requires_grad)
        result._data = moved._data
        return result


def is_lazy(param) -> bool:
    """Whether ``param`` is an ``UninitializedParameter`` or ``UninitializedBuffer``."""
    return isinstance(param, UninitializedTensorMixin)


# ---------------------------------------------------------------------------------- the mixin
class LazyModuleMixin:
    """The lazy-layer machinery (``torch.nn.modules.lazy.LazyModuleMixin``).

    A subclass implements ``initialize_parameters(*inputs)`` (materialise, then reset) and
    names the eager class in ``cls_to_become``.
    """

    cls_to_become: type | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._load_hook = self._register_load_state_dict_pre_hook(self._lazy_load_hook)
        self._initialize_hook = self.register_forward_pre_hook(
            self._infer_parameters, with_kwargs=True
        )

    def _save_to_state_dict(self, destination, prefix: str, keep_vars: bool) -> None:
        # uninitialised tensors are saved as they are (detaching one would lose its kind)
        for name, value in itertools.chain(self._parameters.items(), self._buffers.items()):
            if value is None or name in self._non_persistent_buffers_set:
                continue
            destination[prefix + name] = value if is_lazy(value) or keep_vars else value.detach()

    def _lazy_load_hook(
        self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, errors
    ) -> None:
        """Before loading: give each uninitialised tensor the shape of its saved value."""
        for name, param in itertools.chain(self._parameters.items(), self._buffers.items()):
            key = prefix + name
            if key in state_dict and param is not None and is_lazy(param):
                saved = state_dict[key]
                if not is_lazy(saved):
                    with no_grad():
                        param.materialize(saved.shape)

    def initialize_parameters(self, *args, **kwargs) -> None:
        """Materialise and initialise the parameters from the first inputs (subclasses)."""
        raise NotImplementedError(
            f"initialize_parameters is not implemented for {self.__class__.__name__}"
        )

    def has_uninitialized_params(self) -> bool:
        """Whether any parameter or buffer is still uninitialised."""
        tensors = itertools.chain(self._parameters.values(), self._buffers.values())
        return any(is_lazy(t) for t in tensors)

    def _infer_parameters(self, module, args, kwargs=None) -> None:
        """The one-shot forward pre-hook: initialise, drop the hooks, become the eager class."""
        module.initialize_parameters(*args, **(kwargs or {}))
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {self._get_name()} has not been fully initialized")
        module._initialize_hook.remove()
        module._load_hook.remove()
        delattr(module, "_initialize_hook")
        delattr(module, "_load_hook")
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become

    def _replicate_for_data_parallel(self):
        raise RuntimeError(
            "Modules with uninitialized parameters can't be used with `DataParallel`. "
            "Run a dummy forward pass to correctly initialize the modules"
        )


# ---------------------------------------------------------------------------------- Linear
class LazyLinear(LazyModuleMixin, Linear):
    """``Linear`` whose ``in_features`` is the last size of the first input."""

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None) -> None:
        # bias=False: no tensor is made that would be replaced at once
        super().__init__(0, 0, False)
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor) -> None:
        """in_features = input.shape[-1]; weight (out, in), bias (out,); torch's init."""
        if self.has_uninitialized_params():
            with no_grad():
                self.in_features = input.shape[-1]
                self.weight.materialize((self.out_features, self.in_features))
                if self.bias is not None:
                    self.bias.materialize((self.out_features,))
                self.reset_parameters()
        if self.in_features == 0:  # loaded from a state dict before the first call
            if input.shape[-1] != self.weight.shape[-1]:
                raise AssertionError(
                    f"The in_features inferred from input: {input.shape[-1]} "
                    f"is not equal to in_features from self.weight: {self.weight.shape[-1]}"
                )
            self.in_features = input.shape[-1]


# ---------------------------------------------------------------------------------- convolution
class _LazyConvXdMixin(LazyModuleMixin):
    """What the lazy convolutions share: ``in_channels`` from dim 1 (or 0 when unbatched)."""

    _num_spatial_dims: int

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor, *args, **kwargs) -> None:
        """Materialise weight (out, in/groups, *k) — (in, out/groups, *k) when transposed."""
        if self.has_uninitialized_params():
            self.in_channels = self._get_in_channels(input)
            if self.in_channels % self.groups != 0:
                raise ValueError("in_channels must be divisible by groups")
            with no_grad():
                if self.transposed:
                    shape = (self.in_channels, self.out_channels // self.groups)
                else:
                    shape = (self.out_channels, self.in_channels // self.groups)
                self.weight.materialize((*shape, *self.kernel_size))
                if self.bias is not None:
                    self.bias.materialize((self.out_channels,))
                self.reset_parameters()

    def _get_in_channels(self, input: Tensor) -> int:
        no_batch = self._num_spatial_dims + 1
        if input.dim() not in (no_batch, no_batch + 1):
            raise RuntimeError(
                f"Expected {no_batch}D (unbatched) or {no_batch + 1}D (batched) input "
                f"to {self.__class__.__name__}, but got input of size: {input.shape}"
            )
        return input.shape[1] if input.dim() == no_batch + 1 else input.shape[0]


def _lazy_conv(eager: type, spatial: int) -> type:
    """The lazy form of convolution class ``eager``: its arguments without ``in_channels``."""
    if eager.__name__.startswith("ConvTranspose"):
        names = ("stride", "padding", "output_padding", "groups", "bias", "dilation")
    else:
        names = ("stride", "padding", "dilation", "groups", "bias")
    names += ("padding_mode", "device", "dtype")

    def __init__(self, out_channels: int, kernel_size, *args, **kwargs) -> None:
        options = dict(zip(names, args, strict=False)) | kwargs
        bias = options.pop("bias", True)
        device, dtype = options.get("device"), options.get("dtype")
        # in/out channels 0 and no bias: no tensors are made that would be replaced at once
        LazyModuleMixin.__init__(self, 0, 0, kernel_size, bias=False, **options)
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    doc = f"``{eager.__name__}`` whose ``in_channels`` is read from the first input."
    attributes = {"__init__": __init__, "cls_to_become": eager, "_num_spatial_dims": spatial}
    attributes |= {"__module__": __name__, "__doc__": doc}
    return type(f"Lazy{eager.__name__}", (_LazyConvXdMixin, eager), attributes)


LazyConv1d = _lazy_conv(Conv1d, 1)
LazyConv2d = _lazy_conv(Conv2d, 2)
LazyConv3d = _lazy_conv(Conv3d, 3)
LazyConvTranspose1d = _lazy_conv(ConvTranspose1d, 1)
LazyConvTranspose2d = _lazy_conv(ConvTranspose2d, 2)
LazyConvTranspose3d = _lazy_conv(ConvTranspose3d, 3)


# ---------------------------------------------------------------------------------- norms
class _LazyNormBase(LazyModuleMixin):
    """Lazy BatchNorm/InstanceNorm: ``num_features`` is the input's size at dim 1."""

    def __init__(
        self,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        # affine and running stats off: no tensors are made that would be replaced at once
        super().__init__(0, eps, momentum, False, False, device, dtype, bias=False)
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            if bias:
                self.bias = UninitializedParameter(device=device, dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)
            self.num_batches_tracked = tensor(0, dtype=int64, device=device)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor) -> None:
        """Materialise γ, β, running mean and variance with ``input.shape[1]`` entries."""
        if self.has_uninitialized_params():
            self.num_features = input.shape[1]
            with no_grad():
                for t in (self.weight, self.bias, self.running_mean, self.running_var):
                    if t is not None and is_lazy(t):
                        t.materialize((self.num_features,))
                self.reset_parameters()


def _lazy_norm(eager: type) -> type:
    """The lazy form of normalization class ``eager``: its arguments without num_features.

    As in torch, it derives from eager's base (``_BatchNorm`` or ``_InstanceNorm``), not from
    ``eager`` itself — ``LazyBatchNorm2d()`` is not a ``BatchNorm2d`` until its first call turns
    it into one — and copies eager's own class attributes (its expected input dims).
    """
    (base,) = eager.__bases__
    own = {k: v for k, v in vars(eager).items() if not k.startswith("__")}
    return type(
        f"Lazy{eager.__name__}",
        (_LazyNormBase, base),
        {
            **own,
            "cls_to_become": eager,
            "__module__": __name__,
            "__doc__": f"``{eager.__name__}`` whose ``num_features`` is read from the first input.",
        },
    )


LazyBatchNorm1d = _lazy_norm(BatchNorm1d)
LazyBatchNorm2d = _lazy_norm(BatchNorm2d)
LazyBatchNorm3d = _lazy_norm(BatchNorm3d)
LazyInstanceNorm1d = _lazy_norm(InstanceNorm1d)
LazyInstanceNorm2d = _lazy_norm(InstanceNorm2d)
LazyInstanceNorm3d = _lazy_norm(InstanceNorm3d)
