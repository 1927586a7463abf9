"""The ``torch`` import alias behind ``gradiente run``: PyTorch scripts run on gradiente unchanged.

``install()`` puts a finder at the front of ``sys.meta_path`` so that ``import torch``,
``torch.nn``, ``torch.nn.functional``, ``torch.optim``, ``torch.utils.data``, ... (and
``torchvision.datasets``/``transforms``/``utils``) load *alias modules*: each forwards
attribute lookups to the gradiente module of the same role (``torch.nn`` → ``gradiente.nn``).
A name gradiente lacks raises ``UnsupportedError`` saying so ("gradiente run: torch.export is
not supported by gradiente") instead of an obscure ``AttributeError`` deep in the script.

``torch.cuda`` is ``gradiente.cuda`` (no device without CuPy and a GPU) and
``torch.backends.cudnn`` is ``gradiente.backends.cudnn`` itself (so a script's
``torch.backends.cudnn.enabled = False`` reaches gradiente's CUDA convolutions). A few of
torch's names are about hardware and have a CPU answer here: ``torch.backends.mps`` and
``torch.accelerator`` report no accelerator; mixed precision
(``torch.autocast``, ``torch.amp``, ``torch.cuda.amp``) computes in full precision, with a
``GradScaler`` that scales and unscales exactly as torch's; and ``torch.save``/``torch.load``
are gradiente's checkpoint functions.
"""

from __future__ import annotations
import __future__

import functools
import importlib
import importlib.abc
import importlib.util
import math
import multiprocessing.util
import re
import sys
import types
import warnings

# torch's module paths and the gradiente modules behind them.
ALIASES = {
    "torch": "gradiente",
    "torch.nn": "gradiente.nn",
    "torch.nn.functional": "gradiente.nn.functional",
    "torch.nn.init": "gradiente.nn.init",
    "torch.nn.utils": "gradiente.nn.utils",
    "torch.nn.utils.parametrize": "gradiente.nn.utils.parametrize",
    "torch.nn.utils.parametrizations": "gradiente.nn.utils.parametrizations",
    "torch.nn.utils.clip_grad": "gradiente.nn.utils.clip_grad",
    "torch.nn.utils.convert_parameters": "gradiente.nn.utils.convert_parameters",
    "torch.nn.utils.rnn": "gradiente.nn.rnn_utils",
    "torch.nn.utils.prune": "gradiente.nn.utils.prune",
    "torch.nn.utils.fusion": "gradiente.nn.utils.fusion",
    "torch.nn.utils.stateless": "gradiente.nn.utils.stateless",
    "torch.nn.parameter": "gradiente.nn.parameter",
    "torch.nn.modules": "gradiente.nn",
    "torch.optim": "gradiente.optim",
    "torch.distributions": "gradiente.distributions",
    "torch.distributions.constraints": "gradiente.distributions.constraints",
    "torch.distributions.distribution": "gradiente.distributions.distribution",
    "torch.distributions.exp_family": "gradiente.distributions.exp_family",
    "torch.distributions.normal": "gradiente.distributions.normal",
    "torch.distributions.categorical": "gradiente.distributions.categorical",
    "torch.distributions.bernoulli": "gradiente.distributions.bernoulli",
    "torch.distributions.uniform": "gradiente.distributions.uniform",
    "torch.distributions.multivariate_normal": "gradiente.distributions.multivariate_normal",
    "torch.distributions.independent": "gradiente.distributions.independent",
    "torch.distributions.one_hot_categorical": "gradiente.distributions.one_hot_categorical",
    "torch.distributions.laplace": "gradiente.distributions.laplace",
    "torch.distributions.exponential": "gradiente.distributions.exponential",
    "torch.distributions.poisson": "gradiente.distributions.poisson",
    "torch.distributions.kl": "gradiente.distributions.kl",
    "torch.distributions.utils": "gradiente.distributions.utils",
    "torch.distributions.transforms": "gradiente.distributions.transforms",
    "torch.distributions.transformed_distribution": (
        "gradiente.distributions.transformed_distribution"
    ),
    "torch.distributions.log_normal": "gradiente.distributions.log_normal",
    "torch.distributions.gumbel": "gradiente.distributions.gumbel",
    "torch.distributions.cauchy": "gradiente.distributions.cauchy",
    "torch.distributions.half_normal": "gradiente.distributions.half_normal",
    "torch.distributions.half_cauchy": "gradiente.distributions.half_cauchy",
    "torch.distributions.weibull": "gradiente.distributions.weibull",
    "torch.distributions.pareto": "gradiente.distributions.pareto",
    "torch.distributions.geometric": "gradiente.distributions.geometric",
    "torch.distributions.relaxed_bernoulli": "gradiente.distributions.relaxed_bernoulli",
    "torch.distributions.relaxed_categorical": "gradiente.distributions.relaxed_categorical",
    "torch.distributions.logistic_normal": "gradiente.distributions.logistic_normal",
    "torch.distributions.gamma": "gradiente.distributions.gamma",
    "torch.distributions.chi2": "gradiente.distributions.chi2",
    "torch.distributions.beta": "gradiente.distributions.beta",
    "torch.distributions.dirichlet": "gradiente.distributions.dirichlet",
    "torch.distributions.studentT": "gradiente.distributions.student_t",
    "torch.distributions.binomial": "gradiente.distributions.binomial",
    "torch.distributions.multinomial": "gradiente.distributions.multinomial",
    "torch.distributions.negative_binomial": "gradiente.distributions.negative_binomial",
    "torch.distributions.mixture_same_family": "gradiente.distributions.mixture_same_family",
    "torch.distributions.lowrank_multivariate_normal": (
        "gradiente.distributions.lowrank_multivariate_normal"
    ),
    "torch.distributions.von_mises": "gradiente.distributions.von_mises",
    "torch.distributions.lkj_cholesky": "gradiente.distributions.lkj_cholesky",
    "torch.distributions.wishart": "gradiente.distributions.wishart",
    "torch.distributions.kumaraswamy": "gradiente.distributions.kumaraswamy",
    "torch.distributions.inverse_gamma": "gradiente.distributions.inverse_gamma",
    "torch.distributions.fishersnedecor": "gradiente.distributions.fishersnedecor",
    "torch.distributions.continuous_bernoulli": "gradiente.distributions.continuous_bernoulli",
    "torch.distributions.generalized_pareto": "gradiente.distributions.generalized_pareto",
    "torch.distributions.constraint_registry": "gradiente.distributions.constraint_registry",
    "torch.optim.lr_scheduler": "gradiente.optim.lr_scheduler",
    # torch.optim.<file>: the header of custom optimizers (``from torch.optim.optimizer import
    # Optimizer, required``) and of code that imports one optimizer from its own module
    "torch.optim.optimizer": "gradiente.optim.optimizer",
    "torch.optim.adadelta": "gradiente.optim.adadelta",
    "torch.optim.adagrad": "gradiente.optim.adagrad",
    "torch.optim.adam": "gradiente.optim.adam",
    "torch.optim.adamw": "gradiente.optim.adam",
    "torch.optim.adamax": "gradiente.optim.adamax",
    "torch.optim.asgd": "gradiente.optim.asgd",
    "torch.optim.lbfgs": "gradiente.optim.lbfgs",
    "torch.optim.nadam": "gradiente.optim.nadam",
    "torch.optim.radam": "gradiente.optim.radam",
    "torch.optim.rmsprop": "gradiente.optim.rmsprop",
    "torch.optim.rprop": "gradiente.optim.rprop",
    "torch.optim.sgd": "gradiente.optim.sgd",
    "torch.random": "gradiente.random_api",
    "torch.types": "gradiente.types",
    "torch.nn.common_types": "gradiente.nn.common_types",
    "torch.nn.attention": "gradiente.nn.attention",
    "torch.utils.model_zoo": "gradiente.utils.model_zoo",
    "torch.autograd.variable": "gradiente.autograd.variable",
    "torch.autograd.graph": "gradiente.autograd.graph",
    "torch.nn.parallel.data_parallel": "gradiente.nn.parallel.data_parallel",
    "torch.optim.swa_utils": "gradiente.optim.swa_utils",
    "torch.utils": "gradiente.utils",
    "torch.utils.data": "gradiente.utils.data",
    "torch.utils.checkpoint": "gradiente.utils.checkpoint",
    "torch.utils.tensorboard": "gradiente.utils.tensorboard",
    "torch.onnx": "gradiente.onnx",
    "torch.autograd": "gradiente.autograd",
    "torch.autograd.functional": "gradiente.autograd.functional",
    "torch.autograd.forward_ad": "gradiente.autograd.forward_ad",
    "torch.autograd.function": "gradiente.autograd.function",
    "torch.autograd.grad_mode": "gradiente.autograd.grad_mode",
    "torch.autograd.anomaly_mode": "gradiente.autograd.grad_mode",
    "torch.linalg": "gradiente.linalg",
    "torch.func": "gradiente.func",
    "torch.special": "gradiente.special",
    "torch.fft": "gradiente.fft",
    "torch.sparse": "gradiente.sparse",
    "torch.quasirandom": "gradiente.quasirandom",
    "torch.signal": "gradiente.signal",
    "torch.return_types": "gradiente.return_types",
    "torch.jit": "gradiente.jit",
    "torch.jit.annotations": "gradiente.jit.annotations",
    "torch.hub": "gradiente.hub",
    "torch.signal.windows": "gradiente.signal.windows",
    "torch.testing": "gradiente.testing",
    "torch.utils.data.dataset": "gradiente.data.dataset",
    "torch.utils.data.sampler": "gradiente.data.sampler",
    "torch.utils.data.dataloader": "gradiente.data.loader",
    "torch.utils.data.distributed": "gradiente.data.distributed",
    "torch.utils.data._utils": "gradiente.data",
    "torch.utils.hooks": "gradiente.nn.hooks",
    "torch.utils.data._utils.collate": "gradiente.data.loader",
    "torch.utils.data._utils.worker": "gradiente.data.loader",
    "torch.cuda": "gradiente.cuda",
    "torch.distributed": "gradiente.distributed",
    "torch.distributed.nn": "gradiente.distributed.functional",
    "torch.distributed.nn.functional": "gradiente.distributed.functional",
    "torch.distributed.elastic": "gradiente.distributed.elastic",
    "torch.distributed.elastic.multiprocessing": "gradiente.distributed.elastic",
    "torch.distributed.elastic.multiprocessing.errors": "gradiente.distributed.elastic",
    "torch.nn.parallel": "gradiente.nn.parallel",
    "torch.serialization": "gradiente.serialization",
    "torch.multiprocessing": "gradiente.multiprocessing",
    "torchvision.datasets": "gradiente.datasets",
    "torchvision.transforms": "gradiente.transforms",
    "torchvision.transforms.functional": "gradiente.vision.functional",
    "torchvision.transforms.autoaugment": "gradiente.vision.autoaugment",
    "torchvision.transforms.v2": "gradiente.vision.transforms_v2",
    "torchvision.transforms.v2.functional": "gradiente.vision.functional_v2",
    "torchvision.tv_tensors": "gradiente.vision.tv_tensors",
    "torchvision.utils": "gradiente.vision.utils",
    "torchvision.io": "gradiente.vision.io",
    "torchvision.io.image": "gradiente.vision.io",
    "torchvision.ops": "gradiente.vision.ops",
    "torchvision.ops.boxes": "gradiente.vision.ops",
    "torchvision.models": "gradiente.vision.models",
    "torchvision.models.resnet": "gradiente.vision.models.resnet",
    "torchvision.models.vgg": "gradiente.vision.models.vgg",
    "torchvision.models.alexnet": "gradiente.vision.models.alexnet",
    "torchvision.models.squeezenet": "gradiente.vision.models.squeezenet",
    "torchvision.models.mobilenetv2": "gradiente.vision.models.mobilenetv2",
    "torchvision.models.mobilenetv3": "gradiente.vision.models.mobilenetv3",
    "torchvision.models.densenet": "gradiente.vision.models.densenet",
    "torchvision.models.shufflenetv2": "gradiente.vision.models.shufflenetv2",
    "torchvision.models.efficientnet": "gradiente.vision.models.efficientnet",
    "torchvision.models.googlenet": "gradiente.vision.models.googlenet",
    "torchvision.models.inception": "gradiente.vision.models.inception",
    "torchvision.models.mnasnet": "gradiente.vision.models.mnasnet",
    "torchvision.models.regnet": "gradiente.vision.models.regnet",
    "torchvision.models.convnext": "gradiente.vision.models.convnext",
    "torchvision.models.vision_transformer": "gradiente.vision.models.vision_transformer",
    "torchvision.models._api": "gradiente.vision.models._api",
    "torchvision.ops.misc": "gradiente.vision.ops",
    "torchvision.ops.focal_loss": "gradiente.vision.ops",
    "torchvision.ops.giou_loss": "gradiente.vision.ops",
    "torchvision.ops.ciou_loss": "gradiente.vision.ops",
    "torchvision.ops.diou_loss": "gradiente.vision.ops",
    "torchvision.ops.drop_block": "gradiente.vision.ops_drop_block",
    "torchvision.ops.roi_align": "gradiente.vision.ops_roi",
    "torchvision.ops.roi_pool": "gradiente.vision.ops_roi",
    "torchvision.ops.poolers": "gradiente.vision.ops_roi",
    "torchvision.ops.feature_pyramid_network": "gradiente.vision.ops_fpn",
    "torchvision.models._utils": "gradiente.vision.models._utils",
    "torchvision.models.feature_extraction": "gradiente.vision.models.feature_extraction",
}


# torch.nn.modules.<file> -> the gradiente module holding those layers; a name not there
# (torch.nn.modules.activation.MultiheadAttention lives in layers/attention.py here) is looked
# up in gradiente.nn, so every layer resolves under every torch.nn.modules path.
NN_MODULES = {
    "module": "gradiente.nn.module",
    "linear": "gradiente.nn.layers.linear",
    "conv": "gradiente.nn.layers.conv",
    "batchnorm": "gradiente.nn.layers.normalization",
    "instancenorm": "gradiente.nn.layers.normalization",
    "normalization": "gradiente.nn.layers.normalization",
    "activation": "gradiente.nn.layers.activation",
    "loss": "gradiente.nn.losses",
    "container": "gradiente.nn.layers.container",
    "pooling": "gradiente.nn.layers.pooling",
    "dropout": "gradiente.nn.layers.dropout",
    "rnn": "gradiente.nn.layers.rnn",
    "transformer": "gradiente.nn.layers.transformer",
    "sparse": "gradiente.nn.layers.embedding",
    "flatten": "gradiente.nn.layers.flatten",
    "padding": "gradiente.nn.layers.padding",
    "upsampling": "gradiente.nn.layers.upsampling",
    "distance": "gradiente.nn.layers.distance",
    "lazy": "gradiente.nn.layers.lazy",
    "channelshuffle": "gradiente.nn.layers.extra_layers",
    "adaptive": "gradiente.nn.layers.extra_layers",
    "fold": "gradiente.nn.layers.fold",
    "pixelshuffle": "gradiente.nn.layers.upsampling",
}
ALIASES.update({f"torch.nn.modules.{name}": target for name, target in NN_MODULES.items()})


class TorchVersion(str):
    """``torch.__version__``: the torch version whose API gradiente follows, as a string that
    compares by release numbers as torch's does (``torch.__version__ >= "2.2"`` is True, where
    plain strings would compare "2.13" < "2.2"), against strings and tuples alike."""

    @staticmethod
    def _release(version) -> tuple[int, ...]:
        """The release numbers of ``version`` ("2.13.0+gradiente" → (2, 13, 0))."""
        if isinstance(version, tuple):
            return tuple(int(part) for part in version)
        match = re.match(r"v?(\d+(?:\.\d+)*)", str(version).strip())
        if match is None:
            raise ValueError(f"Invalid version: {version!r}")
        return tuple(int(part) for part in match[1].split("."))

    def _compare(self, other) -> int:
        mine, theirs = self._release(self), self._release(other)
        width = max(len(mine), len(theirs))
        mine, theirs = mine + (0,) * (width - len(mine)), theirs + (0,) * (width - len(theirs))
        return (mine > theirs) - (mine < theirs)

    def __lt__(self, other) -> bool:
        return self._compare(other) < 0

    def __le__(self, other) -> bool:
        return self._compare(other) <= 0

    def __gt__(self, other) -> bool:
        return self._compare(other) > 0

    def __ge__(self, other) -> bool:
        return self._compare(other) >= 0

    def __eq__(self, other) -> bool:
        if isinstance(other, tuple):
            return self._compare(other) == 0
        return str.__eq__(self, other)

    __hash__ = str.__hash__


# The torch release whose API gradiente follows; the local label says that it is gradiente.
TORCH_VERSION = TorchVersion("2.13.0+gradiente")


def _cuda_version() -> str | None:
    """``torch.version.cuda``: the CUDA runtime version of CuPy ("12.4"), or None without
    CuPy (as in a CPU build of torch)."""
    if importlib.util.find_spec("cupy") is None:
        return None
    try:
        import cupy  # noqa: PLC0415 - only when a script asks

        number = cupy.cuda.runtime.runtimeGetVersion()  # 12040 for CUDA 12.4
    except Exception:  # CuPy without a usable CUDA runtime
        return None
    return f"{number // 1000}.{number % 1000 // 10}"


def _torch_version_module() -> dict:
    """The attributes of ``torch.version``."""
    return {
        "__version__": TORCH_VERSION,
        "cuda": _cuda_version(),
        "git_version": "Unknown",
        "hip": None,
        "debug": False,
    }


class UnsupportedError(Exception):
    """A torch API that gradiente does not provide (the message names it)."""


class UnsupportedAttributeError(UnsupportedError, AttributeError):
    """``torch.X`` where gradiente has no ``X``."""


class UnsupportedModuleError(UnsupportedError, ModuleNotFoundError):
    """``import torch.X`` where gradiente has no such module."""


def unsupported_message(name: str) -> str:
    """The one-line message for the torch API ``name``."""
    return f"gradiente run: {name} is not supported by gradiente"


def _no_accelerator(*args, **kwargs) -> bool:
    """False: gradiente computes on the CPU."""
    return False


def _zero(*args, **kwargs) -> int:
    return 0


def _nothing(*args, **kwargs) -> None:
    return None


class autocast:
    """``torch.autocast``: mixed precision, which gradiente does not have — the code inside runs
    in full precision (a warning says so once when ``enabled``). Also a decorator."""

    _warned = False

    def __init__(self, device_type: str = "cpu", dtype=None, enabled: bool = True, **kwargs):
        self.device_type = device_type
        self.fast_dtype = dtype
        self._enabled = enabled
        if enabled and not autocast._warned:
            autocast._warned = True
            warnings.warn(
                "gradiente has no mixed precision: code under autocast runs in full precision",
                UserWarning,
                stacklevel=2,
            )

    def __enter__(self):
        # the autocast state torch.is_autocast_enabled(...) reports (gradiente.cuda.amp)
        from gradiente.cuda.amp import enter_autocast  # noqa: PLC0415

        previous = enter_autocast(self.device_type, self._enabled, self.fast_dtype)
        self.__dict__.setdefault("_previous", []).append(previous)
        return self

    def __exit__(self, *exc) -> None:
        from gradiente.cuda.amp import exit_autocast  # noqa: PLC0415

        exit_autocast(self._previous.pop())
        return None

    def __call__(self, func):
        def wrapped(*args, **kwargs):
            with self:
                return func(*args, **kwargs)

        return wrapped


class GradScaler:
    """``torch.amp.GradScaler``: loss scaling for mixed precision, with torch's arithmetic.

    ``scale(loss)`` multiplies by the scale (2¹⁶ at first); ``step(optimizer)`` divides the
    gradients by it (``unscale_``) and steps unless one of them is inf or nan; ``update()``
    halves the scale after such a step, and doubles it after ``growth_interval`` good ones.
    Disabled (``enabled=False``), every method passes through. As torch's, it is for "cuda"
    unless told otherwise, and without a CUDA device such a scaler warns and disables itself.
    """

    def __init__(
        self,
        device: str = "cuda",
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
        enabled: bool = True,
    ) -> None:
        self._device = device
        if enabled and device == "cuda" and not _cuda_available():
            warnings.warn(
                "torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  Disabling.",
                UserWarning,
                stacklevel=2,
            )
            enabled = False
        self._enabled = enabled
        self._scale = float(init_scale)
        self._growth_factor = growth_factor
        self._backoff_factor = backoff_factor
        self._growth_interval = growth_interval
        self._growth_tracker = 0
        self._found_inf = False
        self._unscaled: set[int] = set()

    def is_enabled(self) -> bool:
        return self._enabled

    def get_scale(self) -> float:
        return self._scale if self._enabled else 1.0

    def scale(self, outputs):
        if not self._enabled:
            return outputs
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        return outputs * self._scale

    def unscale_(self, optimizer) -> None:
        if not self._enabled:
            return
        if id(optimizer) in self._unscaled:
            raise RuntimeError(
                "unscale_() has already been called on this optimizer since the last update()."
            )
        self._unscaled.add(id(optimizer))
        from gradiente.backend import xp

        # torch multiplies by the float32 reciprocal (exact for the power-of-two scales)
        inv_scale = xp.float32(1.0) / xp.float32(self._scale)
        for group in optimizer.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad._data
                if not xp.isfinite(grad).all():
                    self._found_inf = True
                grad *= grad.dtype.type(inv_scale)

    def step(self, optimizer, *args, **kwargs):
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if id(optimizer) not in self._unscaled:
            self.unscale_(optimizer)
        if self._found_inf:
            return None
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale=None) -> None:
        if not self._enabled:
            return
        if new_scale is not None:
            self._scale = float(new_scale)
        elif self._found_inf:
            self._scale *= self._backoff_factor
            self._growth_tracker = 0
        else:
            self._growth_tracker += 1
            if self._growth_tracker == self._growth_interval:
                self._scale *= self._growth_factor
                self._growth_tracker = 0
        if not math.isfinite(self._scale):
            raise RuntimeError("GradScaler: the scale overflowed")
        self._found_inf = False
        self._unscaled.clear()

    # torch's accessors of the growth/backoff settings
    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = new_factor

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = new_factor

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = new_interval

    def state_dict(self) -> dict:
        if not self._enabled:
            return {}
        return {
            "scale": self._scale,
            "growth_factor": self._growth_factor,
            "backoff_factor": self._backoff_factor,
            "growth_interval": self._growth_interval,
            "_growth_tracker": self._growth_tracker,
        }

    def load_state_dict(self, state_dict: dict) -> None:
        if not self._enabled:
            return
        self._scale = float(state_dict["scale"])
        self._growth_factor = state_dict["growth_factor"]
        self._backoff_factor = state_dict["backoff_factor"]
        self._growth_interval = state_dict["growth_interval"]
        self._growth_tracker = state_dict["_growth_tracker"]


def custom_fwd(fwd=None, *, device_type: str, cast_inputs=None):
    """``torch.amp.custom_fwd``: marks a custom Function's forward for autocast. Under torch's
    autocast, ``cast_inputs`` casts the floating inputs and runs the forward without autocast;
    gradiente's autocast computes in full precision, so the forward runs as written."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)
    return fwd


def custom_bwd(bwd=None, *, device_type: str):
    """``torch.amp.custom_bwd``: runs a custom Function's backward under the forward's autocast
    state, which in gradiente is full precision either way: the backward runs as written."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)
    return bwd


def is_autocast_available(device_type: str) -> bool:
    """``torch.amp.is_autocast_available``: autocast is accepted on the CPU and CUDA."""
    return device_type in ("cpu", "cuda")


def _cuda_available() -> bool:
    from gradiente import cuda  # noqa: PLC0415 - asked only when a scaler for CUDA is made

    return cuda.is_available()


def _deprecated_grad_scaler(device: str):
    """``torch.<device>.amp.GradScaler``: ``GradScaler(device, ...)``, with torch's warning
    that this spelling is deprecated."""

    def make(*args, **kwargs) -> GradScaler:
        warnings.warn(
            f"`torch.{device}.amp.GradScaler(args...)` is deprecated. Please use "
            f"`torch.amp.GradScaler('{device}', args...)` instead.",
            FutureWarning,
            stacklevel=2,
        )
        return GradScaler(device, *args, **kwargs)

    make.__name__ = make.__qualname__ = "GradScaler"
    return make


def _cuda_autocast(enabled: bool = True, dtype=None, cache_enabled=True) -> autocast:
    return autocast("cuda", dtype, enabled=enabled)


def _ntuple_function(n: int):
    """torch.nn.modules.utils._single/_pair/_triple/_quadruple: an int repeated n times."""
    from gradiente.ops.window import ntuple

    return lambda value: ntuple(value, n)


def _consume_prefix(state_dict, prefix: str) -> None:
    """torch.nn.modules.utils.consume_prefix_in_state_dict_if_present (gradiente.nn.module)."""
    from gradiente.nn.module import consume_prefix_in_state_dict_if_present

    consume_prefix_in_state_dict_if_present(state_dict, prefix)


# Modules torch has for hardware, answered for a CPU-only library: flags that only concern
# CUDA, cuDNN or oneDNN are plain attributes a script may set, with no effect here. Other
# names in them are unsupported like any other missing name.
SYNTHETIC = {
    "torch.backends": {},
    "torch.backends.mps": {"is_available": _no_accelerator, "is_built": _no_accelerator},
    "torch.backends.cuda": {
        "is_built": _no_accelerator,
        "matmul": types.SimpleNamespace(
            allow_tf32=False,
            allow_fp16_reduced_precision_reduction=True,
            allow_bf16_reduced_precision_reduction=True,
        ),
        "flash_sdp_enabled": _no_accelerator,
        "mem_efficient_sdp_enabled": _no_accelerator,
        "math_sdp_enabled": lambda: True,
        "enable_flash_sdp": _nothing,
        "enable_mem_efficient_sdp": _nothing,
        "enable_math_sdp": _nothing,
    },
    "torch.backends.mkldnn": {"is_available": _no_accelerator, "enabled": False},
    "torch.backends.openmp": {"is_available": _no_accelerator},
    "torch.nn.modules.utils": {
        "_single": _ntuple_function(1),
        "_pair": _ntuple_function(2),
        "_triple": _ntuple_function(3),
        "_quadruple": _ntuple_function(4),
        "consume_prefix_in_state_dict_if_present": _consume_prefix,
    },
    "torch.amp": {
        "autocast": autocast,
        "GradScaler": GradScaler,
        "custom_fwd": custom_fwd,
        "custom_bwd": custom_bwd,
        "is_autocast_available": is_autocast_available,
    },
    "torch.cuda.amp": {"autocast": _cuda_autocast, "GradScaler": _deprecated_grad_scaler("cuda")},
    "torch.cpu": {"is_available": lambda: True, "synchronize": _nothing},
    "torch.cpu.amp": {"autocast": autocast, "GradScaler": _deprecated_grad_scaler("cpu")},
    "torch.accelerator": {
        "is_available": _no_accelerator,
        "device_count": _zero,
        "current_accelerator": _nothing,
    },
    "torchvision": {"__version__": "0.28.0+gradiente"},  # the release paired with 2.13
    "torch.version": _torch_version_module,  # (made on first import: it may look for CuPy)
}


def _public_values(target: types.ModuleType | None) -> dict:
    """The public names of ``target`` that are not modules, to be copied into an alias's
    ``__dict__``: torch's modules are plain modules, so ``vars(torch.nn)`` and
    ``torchvision.models.__dict__[arch]`` (the imagenet example's model lookup) see every
    name. Modules stay out: ``torch.nn.functional`` must resolve to its own alias."""
    if target is None:
        return {}
    skipped = (types.ModuleType, __future__._Feature)
    return {
        name: value
        for name, value in vars(target).items()
        if not name.startswith("_") and not isinstance(value, skipped)
    }


class AliasModule(types.ModuleType):
    """A module that answers ``torch.X`` with gradiente's ``X`` (or says it is unsupported)."""

    def __init__(self, name: str, target: types.ModuleType | None, attributes: dict) -> None:
        super().__init__(name, getattr(target, "__doc__", None))
        self.__path__ = []  # a package, so that ``import torch.X`` asks the finder for X
        copied = _public_values(target)
        self.__dict__.update(copied)
        self.__dict__.update(attributes)
        self._gradiente_target = target
        self._gradiente_copied = set(copied) - set(attributes)

    def __getattr__(self, attr: str):
        if attr == "__all__":
            return self._public_names()
        target = self.__dict__.get("_gradiente_target")
        if attr == "__file__" and getattr(target, "__file__", None):
            return target.__file__
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        child = f"{self.__name__}.{attr}"
        target = self.__dict__.get("_gradiente_target")
        # torchvision.models.alexnet is the builder function, which shadows its submodule
        if child.startswith("torchvision.") and callable(getattr(target, attr, None)):
            return getattr(target, attr)
        if child in ALIASES or child in SYNTHETIC or child in SAME_MODULE:
            return importlib.import_module(child)
        target = self.__dict__.get("_gradiente_target")
        if target is not None and hasattr(target, attr):
            return getattr(target, attr)
        if self.__name__.startswith("torch.nn.modules."):  # any layer, as said at NN_MODULES
            layers = importlib.import_module("gradiente.nn")
            if hasattr(layers, attr):
                return getattr(layers, attr)
        raise UnsupportedAttributeError(unsupported_message(child))

    def __setattr__(self, attr: str, value) -> None:
        # importing torchvision.models.alexnet must not replace the builder it shadows
        target = self.__dict__.get("_gradiente_target")
        if isinstance(value, types.ModuleType) and self.__name__.startswith("torchvision"):
            if callable(getattr(target, attr, None)):
                return
        # A script's monkeypatch (``torch.nn.init.kaiming_uniform_ = f``) reaches the module
        # gradiente's own code calls, as it would reach torch's; submodules bound by imports
        # and private names stay on the alias.
        public = not attr.startswith("_") and not isinstance(value, types.ModuleType)
        if public and target is not None:
            setattr(target, attr, value)
        super().__setattr__(attr, value)

    def _public_names(self) -> list[str]:
        """What ``from torch.X import *`` binds: the target's ``__all__``, or (as for a module
        without one) its public names, leaving out the modules it imported; plus the
        alias's own torch names (``torch.save``, a synthetic module's attributes)."""
        target = self.__dict__.get("_gradiente_target")
        copied = self.__dict__.get("_gradiente_copied", set())
        names = [n for n in self.__dict__ if not n.startswith("_") and n not in copied]
        if target is not None and hasattr(target, "__all__"):
            names += list(target.__all__)
        elif target is not None:
            names += [
                name
                for name, value in vars(target).items()
                if not name.startswith("_")
                and not isinstance(value, (types.ModuleType, __future__._Feature))
            ]
        return list(dict.fromkeys(names))

    def __dir__(self):
        target = self.__dict__.get("_gradiente_target")
        names = set(self.__dict__) | (set(dir(target)) if target is not None else set())
        return sorted(names)


def _torch_extras() -> dict:
    from gradiente.serialization import load, save

    return {
        "save": save,
        "load": load,
        "autocast": autocast,
        "GradScaler": GradScaler,
        "__version__": TORCH_VERSION,
    }


# torch modules that *are* a gradiente module (not an alias of it): a script's assignments to
# their flags must reach gradiente.
SAME_MODULE = {"torch.backends.cudnn": "gradiente.backends.cudnn"}


class _AliasLoader(importlib.abc.Loader):
    def create_module(self, spec):
        name = spec.name
        if name in SAME_MODULE:
            return importlib.import_module(SAME_MODULE[name])
        if name in SYNTHETIC:
            attributes = SYNTHETIC[name]
            return AliasModule(name, None, attributes() if callable(attributes) else attributes)
        try:
            target = importlib.import_module(ALIASES[name])
        except ModuleNotFoundError as error:
            if error.name != ALIASES[name]:
                raise
            raise UnsupportedModuleError(unsupported_message(name), name=name) from None
        extras = _torch_extras() if name == "torch" else {}
        return AliasModule(name, target, extras)

    def exec_module(self, module) -> None:
        pass


class TorchAliasFinder(importlib.abc.MetaPathFinder):
    """Finds ``torch``/``torchvision`` modules among the aliases; refuses the others."""

    ROOTS = ("torch", "torchvision")

    def find_spec(self, fullname, path=None, target=None):
        if fullname.partition(".")[0] not in self.ROOTS:
            return None
        if fullname in SAME_MODULE:
            return importlib.util.spec_from_loader(fullname, _AliasLoader())
        if fullname in ALIASES or fullname in SYNTHETIC:
            return importlib.util.spec_from_loader(fullname, _AliasLoader(), is_package=True)
        raise UnsupportedModuleError(unsupported_message(fullname), name=fullname)


_finder = TorchAliasFinder()

# The code a new interpreter started by multiprocessing (a child of the spawn start method, or
# the forkserver, whose children fork from it) runs first: it installs the alias too, before
# the script is imported there (as ``__mp_main__``), whose ``import torch`` would otherwise
# load the real torch, or nothing.
_CHILD_PROLOGUE = "from gradiente import compat; compat.install(); "
_CHILD_CODE = ("from multiprocessing.spawn import", "from multiprocessing.forkserver import")
_spawnv_passfds = multiprocessing.util.spawnv_passfds


def _aliased_spawnv_passfds(path, args, passfds):
    """multiprocessing's launcher of a new interpreter, with ``_CHILD_PROLOGUE`` before the code
    of a spawned child or of the forkserver (not before its resource tracker's)."""
    args = list(args)
    if "-c" in args:  # (a frozen executable takes no code)
        code = args.index("-c") + 1
        if args[code].startswith(_CHILD_CODE):
            args[code] = _CHILD_PROLOGUE + args[code]
    return _spawnv_passfds(path, args, passfds)


def install() -> None:
    """Make ``import torch`` (and ``torchvision``) load gradiente's alias modules from now on,
    in this process and in the processes it spawns with ``multiprocessing``.

    Raises ``RuntimeError`` if the real torch is already imported in this process.
    """
    loaded = [n for n in sys.modules if n.partition(".")[0] in TorchAliasFinder.ROOTS]
    real = [n for n in loaded if not isinstance(sys.modules[n], AliasModule)]
    if real:
        raise RuntimeError(
            f"the real {real[0]} is already imported: install the alias before any torch import"
        )
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)
    multiprocessing.util.spawnv_passfds = _aliased_spawnv_passfds
    _name_classes_as_torch(True)


# The classes a script prints the type of (``print(type(x))``), and where torch defines them.
_TORCH_HOMES = {
    ("gradiente", "Tensor"): "torch",
    ("gradiente", "Size"): "torch",
    ("gradiente", "dtype"): "torch",
    ("gradiente", "device"): "torch",
    ("gradiente.nn", "Parameter"): "torch.nn.parameter",
}
_own_homes: dict = {}


def _name_classes_as_torch(on: bool) -> None:
    """Give the classes of ``_TORCH_HOMES`` torch's module names (``<class 'torch.Tensor'>``)
    while the alias is installed, and their own back after."""
    for (module, name), home in _TORCH_HOMES.items():
        cls = getattr(importlib.import_module(module), name)
        if on:
            _own_homes.setdefault(cls, cls.__module__)
            cls.__module__ = home
        elif cls in _own_homes:
            cls.__module__ = _own_homes.pop(cls)


def uninstall() -> None:
    """Remove the alias finder and forget the alias modules it created."""
    _name_classes_as_torch(False)
    multiprocessing.util.spawnv_passfds = _spawnv_passfds
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    for name in [n for n, m in sys.modules.items() if isinstance(m, AliasModule)]:
        del sys.modules[name]


def public_name(obj, attr: str) -> str | None:
    """``torch.<path>.<Class>.<attr>`` for an attribute missing from a gradiente object, or
    ``None`` when ``obj`` is not gradiente's (then the error is the script's own)."""
    cls = obj if isinstance(obj, type) else type(obj)
    if isinstance(obj, AliasModule):
        return f"{obj.__name__}.{attr}"
    if not (cls.__module__.startswith("gradiente") or cls in _own_homes):
        return None
    # the shortest torch path that exports the class under its own name (torch.Tensor, not
    # torch.optim.lr_scheduler.Tensor)
    for name, module_name in sorted(ALIASES.items(), key=lambda item: len(item[0])):
        module = sys.modules.get(module_name)
        if module is not None and getattr(module, cls.__name__, None) is cls:
            return f"{name}.{cls.__name__}.{attr}"
    return f"torch.{cls.__name__}.{attr}"


# ``from torch.nn import X`` turns the alias module's AttributeError into this ImportError.
_FROM_IMPORT = re.compile(r"cannot import name '([^']+)' from '((?:torch|torchvision)[\w.]*)'")


def explain(error: BaseException) -> str | None:
    """The one-line "not supported" message for an error that a missing torch API caused, or
    ``None`` when the error is the script's own."""
    if isinstance(error, UnsupportedError):
        return str(error)
    from gradiente.fft import ComplexUnsupportedError  # noqa: PLC0415 - compat imports lazily

    if isinstance(error, ComplexUnsupportedError):  # torch.fft's complex transforms
        return f"gradiente run: {error}"
    if isinstance(error, ImportError):
        match = _FROM_IMPORT.search(str(error))
        return unsupported_message(f"{match[2]}.{match[1]}") if match else None
    if isinstance(error, AttributeError):
        obj, name = getattr(error, "obj", None), getattr(error, "name", None)
        missing = public_name(obj, name) if obj is not None and name else None
        return unsupported_message(missing) if missing else None
    return None
