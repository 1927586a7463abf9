"""Normalization layers: BatchNorm1d/2d/3d (Ioffe & Szegedy, 2015), LayerNorm (Ba et al.,
2016), GroupNorm (Wu & He, 2018), InstanceNorm1d/2d/3d (Ulyanov et al., 2016), RMSNorm."""

from __future__ import annotations

import numbers
import warnings

from gradiente.backend import int64
from gradiente.nn import functional as F
from gradiente.nn import init
from gradiente.nn.layers._options import options_repr, store_options
from gradiente.nn.module import Module
from gradiente.nn.parameter import Parameter
from gradiente.tensor import Tensor, empty, ones, tensor, zeros


def _affine_parameters(module: Module, shape, affine: bool, bias: bool, device, dtype) -> None:
    """Register γ (``weight``) and β (``bias``) of ``shape``, or None where switched off.

    Both are drawn by ``_reset_affine``; registering None keeps PyTorch's attribute names.
    """
    if affine:
        module.weight = Parameter(empty(shape, dtype=dtype, device=device))
        if bias:
            module.bias = Parameter(empty(shape, dtype=dtype, device=device))
        else:
            module.register_parameter("bias", None)
    else:
        module.register_parameter("weight", None)
        module.register_parameter("bias", None)


def _reset_affine(module: Module) -> None:
    """γ ← 1 and β ← 0: the identity map, PyTorch's start for every normalization layer."""
    if module.weight is not None:
        init.ones_(module.weight)
        if module.bias is not None:
            init.zeros_(module.bias)


def _store_trailing_options(module: Module, normalized_shape, eps, elementwise_affine) -> None:
    """The options of LayerNorm and RMSNorm, which normalise over the trailing axes
    ``normalized_shape`` (an int n means (n,))."""
    if isinstance(normalized_shape, numbers.Integral):
        normalized_shape = (normalized_shape,)
    store_options(
        module,
        normalized_shape=tuple(normalized_shape),
        eps=eps,
        elementwise_affine=elementwise_affine,
    )


def _options_extra_repr(module: Module) -> str:
    """torch's repr of a norm layer's options: the values of ``_repr_values``, then
    ``name=value`` for each of ``_repr_options`` (shared by every class below as its
    ``extra_repr``)."""
    return options_repr(module, module._repr_options, module._repr_values)


class _NormBase(Module):
    """What BatchNorm and InstanceNorm share (torch's ``_NormBase``): the options, γ and β,
    and the running statistics.

    Parameters ``weight`` (γ, ones) and ``bias`` (β, zeros; ``bias=False`` drops it);
    buffers ``running_mean``, ``running_var`` and ``num_batches_tracked`` — the same names
    and order as PyTorch. InstanceNorm is *not* a BatchNorm (as in torch), so code that
    freezes every ``_BatchNorm`` leaves InstanceNorm alone.
    """

    _version = 2
    _repr_values = ("num_features",)
    _repr_options = ("eps", "momentum", "affine", "bias", "track_running_stats")
    extra_repr = _options_extra_repr

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        store_options(
            self,
            num_features=num_features,
            eps=eps,
            momentum=momentum,
            affine=affine,
            track_running_stats=track_running_stats,
        )
        _affine_parameters(self, num_features, affine, bias, device, dtype)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", tensor(0, dtype=int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        _reset_affine(self)

    def _may_be_missing(self, name: str, version: int | None) -> bool:
        # State dicts from before version 2 had no num_batches_tracked: keep the current one.
        return (
            name == "num_batches_tracked"
            and self.track_running_stats
            and (version is None or version < 2)
        )


class _BatchNorm(_NormBase):
    """Per-channel normalisation with batch statistics in training, running ones in eval.

    ``momentum=None`` makes the running statistics a cumulative average.
    """

    _expected_dims: tuple[int, ...] = ()

    def _check_input_dim(self, input: Tensor) -> None:
        """torch's rank check, in its words. ``input.dim()`` as torch calls it, so that a list
        fails as there (``'list' object has no attribute 'dim'``)."""
        if input.dim() not in self._expected_dims:
            dims = " or ".join(f"{d}D" for d in self._expected_dims)
            raise ValueError(f"expected {dims} input (got {input.dim()}D input)")

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked)
        use_batch_stats = self.training or (self.running_mean is None and self.running_var is None)
        keep_running = not self.training or self.track_running_stats
        return F.batch_norm(
            input,
            self.running_mean if keep_running else None,
            self.running_var if keep_running else None,
            self.weight,
            self.bias,
            use_batch_stats,
            factor,
            self.eps,
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) input over N (and L) for each channel C."""

    _expected_dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) input over N, H, W for each channel C."""

    _expected_dims = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch normalization of (N, C, D, H, W) input over N, D, H, W for each channel C."""

    _expected_dims = (5,)


class _InstanceNorm(_NormBase):
    """Per-sample, per-channel normalisation over the spatial axes.

    PyTorch's defaults differ from BatchNorm's: no affine map and no running statistics
    unless asked (``affine=True``, ``track_running_stats=True``). An input without the batch
    axis (C, *spatial) is accepted.
    """

    _spatial_dims = 1

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__(
            num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias
        )

    def forward(self, input: Tensor) -> Tensor:
        batched = input.dim() == self._spatial_dims + 2  # dim(): a list fails as in torch
        if not batched and input.ndim != self._spatial_dims + 1:
            raise ValueError(
                f"expected {self._spatial_dims + 1}D or {self._spatial_dims + 2}D input (got "
                f"{input.ndim}D input)"
            )
        x = input if batched else input.unsqueeze(0)
        if x.shape[1] != self.num_features:
            if self.affine:
                raise ValueError(
                    f"expected input's size at dim={1 if batched else 0} to match num_features "
                    f"({self.num_features}), but got: {x.shape[1]}."
                )
            # torch lets it pass without γ, β (num_features is then unused), with a warning
            warnings.warn(
                f"input's size at dim={1 if batched else 0} does not match num_features. You "
                "can silence this warning by not passing in num_features, which is not used "
                "because affine=False",
                stacklevel=2,
            )
        out = F.instance_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            self.training or not self.track_running_stats,
            self.momentum if self.momentum is not None else 0.0,
            self.eps,
        )
        return out if batched else out.squeeze(0)


class InstanceNorm1d(_InstanceNorm):
    """Instance normalization of (N, C, L) or (C, L) input over L."""

    _spatial_dims = 1


class InstanceNorm2d(_InstanceNorm):
    """Instance normalization of (N, C, H, W) or (C, H, W) input over H, W."""

    _spatial_dims = 2


class InstanceNorm3d(_InstanceNorm):
    """Instance normalization of (N, C, D, H, W) or (C, D, H, W) input over D, H, W."""

    _spatial_dims = 3


class GroupNorm(Module):
    """Normalise each sample over groups of channels; γ (ones) and β (zeros) per channel."""

    _repr_values = ("num_groups", "num_channels")
    _repr_options = ("eps", "affine", "bias")
    reset_parameters = _reset_affine
    extra_repr = _options_extra_repr

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(
                f"num_channels ({num_channels}) must be divisible by num_groups ({num_groups})"
            )
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        _affine_parameters(self, num_channels, affine, bias, device, dtype)
        self.reset_parameters()

    def forward(self, input: Tensor) -> Tensor:
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)


class RMSNorm(Module):
    """x / √(mean(x²) + ε) over the last axes ``normalized_shape``, times γ (ones)."""

    def __init__(
        self,
        normalized_shape,
        eps: float | None = None,
        elementwise_affine: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        _store_trailing_options(self, normalized_shape, eps, elementwise_affine)
        if elementwise_affine:
            self.weight = Parameter(empty(self.normalized_shape, dtype=dtype, device=device))
        else:
            self.register_parameter("weight", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.elementwise_affine:
            init.ones_(self.weight)

    def forward(self, x: Tensor) -> Tensor:
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return options_repr(self, ("eps", "elementwise_affine"), ("normalized_shape",))


class LayerNorm(Module):
    """Normalise each sample over its last axes ``normalized_shape``; γ (ones), β (zeros)."""

    _repr_values = ("normalized_shape",)
    _repr_options = ("eps", "elementwise_affine", "bias")
    reset_parameters = _reset_affine
    extra_repr = _options_extra_repr

    def __init__(
        self,
        normalized_shape,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        _store_trailing_options(self, normalized_shape, eps, elementwise_affine)
        _affine_parameters(self, self.normalized_shape, elementwise_affine, bias, device, dtype)
        self.reset_parameters()

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)


class LocalResponseNorm(Module):
    """Each channel divided by (k + α/n · Σ x² over ``size`` neighbouring channels)^β
    (Krizhevsky et al., 2012, AlexNet)."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> None:
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input: Tensor) -> Tensor:
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return "{size}, alpha={alpha}, beta={beta}, k={k}".format(**self.__dict__)
