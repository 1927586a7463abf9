"""The optimizer base class: parameter groups, per-parameter state, ``step``, ``state_dict``.

``Optimizer`` holds everything the algorithms share, as in ``torch.optim.Optimizer``:

* ``param_groups``: a list of dicts, each with its ``"params"`` and its own hyper-parameters
  (missing ones are filled in from the optimizer's ``defaults``);
* ``state``: a ``defaultdict(dict)`` keyed by parameter, holding e.g. Adam's moments;
* ``step(closure=None)``: the one loop over groups and parameters. For each parameter with a
  gradient it creates the state on first use (``_init_state``) and calls ``_update``, the
  algorithm's rule for one parameter, written as whole-array in-place NumPy operations on
  ``p._data`` (the update is outside the graph, like ``torch.no_grad``; ``_inplace`` holds
  torch's ``lerp_``, ``addcmul_`` and ``addcdiv_`` for arrays);
* ``state_dict()`` / ``load_state_dict()`` in PyTorch's format: parameters are replaced by their
  position (0, 1, 2, ... across groups), and ``state["step"]`` is a scalar tensor;
* torch's hooks: ``register_step_pre_hook``/``post_hook`` (and the global
  ``register_optimizer_step_pre_hook``/``post_hook``) around every ``step`` — a subclass's own
  ``step`` is wrapped too, once per class — and pre/post hooks on ``state_dict`` and
  ``load_state_dict``.
"""

from __future__ import annotations

import copy
import functools
import warnings
from collections import OrderedDict, defaultdict
from collections.abc import Callable
from itertools import chain
from typing import Any

from gradiente.autograd import enable_grad, no_grad
from gradiente.backend import float32, float64, get_default_dtype, xp
from gradiente.nn.hooks import RemovableHandle
from gradiente.nn.module import _zero_grads
from gradiente.tensor import Tensor

__all__ = [
    "Optimizer",
    "register_optimizer_step_post_hook",
    "register_optimizer_step_pre_hook",
    "required",
]

# The device types torch's capturable=True accepts (xla last: some optimizers leave it out)
_CAPTURABLE_DEVICES = ["cuda", "xpu", "hpu", "privateuseone", "xla"]

# Step hooks that every optimizer runs (torch.optim.optimizer's globals): the pre hooks before
# an optimizer's own, the post hooks after its own.
_global_optimizer_pre_hooks: OrderedDict[int, Callable] = OrderedDict()
_global_optimizer_post_hooks: OrderedDict[int, Callable] = OrderedDict()


def _registered(hooks: OrderedDict, hook: Callable, prepend: bool = False) -> RemovableHandle:
    """File ``hook`` in ``hooks`` (first if ``prepend``); the handle removes it again."""
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


def register_optimizer_step_pre_hook(hook: Callable) -> RemovableHandle:
    """Run ``hook(optimizer, args, kwargs)`` before every optimizer's ``step``; returning a
    pair ``(new_args, new_kwargs)`` replaces step's arguments."""
    return _registered(_global_optimizer_pre_hooks, hook)


def register_optimizer_step_post_hook(hook: Callable) -> RemovableHandle:
    """Run ``hook(optimizer, args, kwargs)`` after every optimizer's ``step``."""
    return _registered(_global_optimizer_post_hooks, hook)


class _RequiredParameter:
    """Marks a hyper-parameter that has no default and must be given per group."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


def _typename(obj) -> str:
    """``torch.typename``: a tensor's ``type()`` (``torch.FloatTensor``, a Parameter included),
    ``float`` for builtins, ``module.Class`` otherwise."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = type(obj).__module__
    name = type(obj).__qualname__
    return name if module in ("", "builtins") else f"{module}.{name}"


def _scalar_dtype():
    """The dtype of scalar state such as ``step``: float64 if that is the default, else float32."""
    return float64 if get_default_dtype() is float64 else float32


def _scalar_state(value: float) -> Tensor:
    """A 0-d state tensor (``step``, ``mu_product``), updated in place through its ``_data``."""
    return Tensor._make(xp.array(value, dtype=_scalar_dtype().np))


def _zeros_state(p: Tensor) -> Tensor:
    """A state tensor of zeros with the parameter's shape and dtype (a moment estimate)."""
    return Tensor._make(xp.zeros_like(p._data))


def _as_float(x) -> float:
    """A hyper-parameter as a Python float (``lr`` may be a one-element tensor, as in torch)."""
    return float(x)


def _count_step(state: dict) -> float:
    """t ← t + 1 in the parameter's 0-d ``step`` state; return the new t as a float."""
    step_t = state["step"]._data
    step_t += 1
    return float(step_t)


def _at_least_zero(value) -> bool:
    return 0.0 <= value


def _in_unit_interval(value) -> bool:
    return 0.0 <= value <= 1.0


# torch's check of each hyper-parameter: the words after "Invalid " in its ValueError and the
# test the value must pass. ``not 0.0 <= x`` (rather than ``x < 0.0``) also refuses a NaN.
_HYPERPARAMETER_RULES: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "lr": ("learning rate", _at_least_zero),
    "eps": ("epsilon value", _at_least_zero),
    "weight_decay": ("weight_decay value", _at_least_zero),
    "momentum": ("momentum value", _at_least_zero),
    "alpha": ("alpha value", _at_least_zero),
    "rho": ("rho value", _in_unit_interval),
    "lr_decay": ("lr_decay value", _at_least_zero),
    "initial_accumulator_value": ("initial_accumulator_value value", _at_least_zero),
    "momentum_decay": ("momentum_decay value", _at_least_zero),
}


def _check_hyperparameter(name: str, value, nan_passes: bool = False) -> None:
    """Raise torch's ``ValueError`` for one invalid hyper-parameter (``betas``: both entries)."""
    if name == "betas":
        for i in (0, 1):
            if not 0.0 <= value[i] < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {value[i]}")
        return
    if name == "lr" and isinstance(value, Tensor) and value.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    what, is_valid = _HYPERPARAMETER_RULES[name]
    if not is_valid(value) and not (nan_passes and value != value):
        raise ValueError(f"Invalid {what}: {value}")


class Optimizer:
    """Base class of all optimizers: parameter groups, state, the step loop and ``state_dict``.

    Args:
        params: an iterable of tensors, of ``(name, tensor)`` pairs, or of dicts (parameter
            groups, each with ``"params"`` and optional per-group hyper-parameters).
        defaults: the hyper-parameters a group gets when it does not specify them.

    A subclass passes its defaults here and implements ``_update(p, state, group)``, the rule
    for one parameter (optionally ``_init_state(p, state, group)`` for its lazily created
    state). The loop over groups and parameters lives once, in ``step``, and so does the
    validation of the hyper-parameters: a subclass names the ones it checks in ``_validated``,
    in torch's order, and ``_check_hyperparameters`` raises torch's error for the first bad one.
    """

    #: The hyper-parameters checked on construction, in the order torch checks them.
    _validated: tuple[str, ...] = ()
    #: torch's SGD tests ``x < 0.0``, which a NaN passes; the other optimizers refuse a NaN.
    _nan_passes: bool = False
    #: The per-parameter state made before the first update, in this order: 0-d counters with
    #: their start values (``step``), then tensors of zeros shaped like the parameter (moments).
    _scalar_states: dict[str, float] = {}
    _zero_states: tuple[str, ...] = ()

    def __init__(self, params, defaults: dict[str, Any]) -> None:
        self._check_hyperparameters(defaults)
        if defaults.get("differentiable", False):
            raise NotImplementedError(
                "differentiable=True is not supported by gradiente's optimizers"
            )
        self.defaults = defaults
        self._init_hooks()
        self._patch_step_function()
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                "dicts, but got " + _typename(params)
            )
        self.state: defaultdict[Tensor, Any] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)
        if defaults.get("fused") and defaults.get("foreach"):
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    # torch's order of the ``defaults`` keys where it differs from the signature's, as names
    # separated by spaces (it shows in ``state_dict()["param_groups"]``); None: the signature's
    _defaults_order: str | None = None

    def _defaults_from(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """A subclass's ``defaults``: the hyper-parameters its constructor was called with.

        A constructor keeps torch's explicit signature and passes
        ``self._defaults_from(locals())``: every argument but ``self`` and ``params``
        (``__class__``, the variable that a ``super()`` call adds to ``locals()``, is left out
        too), in ``_defaults_order`` or else the signature's order.
        """
        skip = ("self", "params", "__class__")
        defaults = {k: v for k, v in arguments.items() if k not in skip}
        if self._defaults_order is None:
            return defaults
        return {k: defaults[k] for k in self._defaults_order.split()}

    def _check_hyperparameters(self, defaults: dict[str, Any]) -> None:
        """Check the ``_validated`` hyper-parameters (a subclass may add its own checks)."""
        for name in self._validated:
            _check_hyperparameter(name, defaults[name], self._nan_passes)

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters (with its own hyper-parameters) to ``param_groups``.

        Useful for fine-tuning: unfreeze layers and give them their own learning rate.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead."
            )
        else:
            params = list(params)

        tensors, names = [], []
        for param in params:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError(
                    "all optimizer params should be with/without names. Some param names are "
                    "missing"
                )
            param_group["param_names"] = names

        for param in tensors:
            if not isinstance(param, Tensor):
                raise TypeError(
                    "optimizer can only optimize Tensors, but one of the params is "
                    + _typename(param)
                )
            if not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    "parameter group didn't specify a value of required optimization "
                    f"parameter {name}"
                )
            param_group.setdefault(name, default)

        ids = [id(p) for p in tensors]
        if len(ids) != len(set(ids)):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in future, this "
                "will cause an error; see github.com/pytorch/pytorch/issues/40967 for more "
                "information",
                stacklevel=3,
            )
        seen: set[int] = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. "
                    f"cannot add param group {which} to the optimizer"
                )
        if not seen.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ------------------------------------------------------------------ hooks
    _HOOK_DICTS = (
        "_optimizer_step_pre_hooks",
        "_optimizer_step_post_hooks",
        "_optimizer_state_dict_pre_hooks",
        "_optimizer_state_dict_post_hooks",
        "_optimizer_load_state_dict_pre_hooks",
        "_optimizer_load_state_dict_post_hooks",
    )

    def _init_hooks(self) -> None:
        """An empty ordered dict for each kind of hook not there yet (torch's attributes)."""
        for name in self._HOOK_DICTS:
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())

    @staticmethod
    def profile_hook_step(func: Callable) -> Callable:
        """Wrap a ``step`` method so that it runs the step hooks, as torch's does: the global
        then the optimizer's pre hooks (a pre hook may return ``(new_args, new_kwargs)``),
        the step, then the optimizer's and the global post hooks. ``args`` includes the
        optimizer itself, as in torch."""

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            self = args[0]
            for pre_hook in chain(
                _global_optimizer_pre_hooks.values(), self._optimizer_step_pre_hooks.values()
            ):
                result = pre_hook(self, args, kwargs)
                if result is not None:
                    if isinstance(result, tuple) and len(result) == 2:
                        args, kwargs = result
                    else:
                        raise RuntimeError(
                            f"{func} must return None or a tuple of (new_args, new_kwargs), "
                            f"but got {result}."
                        )
            out = func(*args, **kwargs)
            self._optimizer_step_code()
            for post_hook in chain(
                self._optimizer_step_post_hooks.values(), _global_optimizer_post_hooks.values()
            ):
                post_hook(self, args, kwargs)
            return out

        return wrapper

    def _optimizer_step_code(self) -> None:
        """Run after every step (torch's profiler marks it; here nothing)."""

    def _patch_step_function(self) -> None:
        """Wrap this class's ``step`` with ``profile_hook_step``, once per class — also the
        ``step`` of a user's subclass, so its hooks run as in torch."""
        if not getattr(self.__class__.step, "hooked", None):
            self.__class__.step = self.profile_hook_step(self.__class__.step)
            self.__class__.step.hooked = True

    def register_step_pre_hook(self, hook: Callable) -> RemovableHandle:
        """Run ``hook(optimizer, args, kwargs)`` before each ``step``; a returned pair
        ``(new_args, new_kwargs)`` replaces step's arguments."""
        return _registered(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook: Callable) -> RemovableHandle:
        """Run ``hook(optimizer, args, kwargs)`` after each ``step``."""
        return _registered(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook: Callable, prepend: bool = False):
        """Run ``hook(optimizer)`` at the start of ``state_dict()``."""
        return _registered(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook: Callable, prepend: bool = False):
        """Run ``hook(optimizer, state_dict)`` at the end of ``state_dict()``; a returned
        dict replaces the state dict."""
        return _registered(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook: Callable, prepend: bool = False):
        """Run ``hook(optimizer, state_dict)`` at the start of ``load_state_dict`` (on a
        shallow copy of the dict); a returned dict is loaded instead."""
        return _registered(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook: Callable, prepend: bool = False):
        """Run ``hook(optimizer)`` at the end of ``load_state_dict``."""
        return _registered(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # ------------------------------------------------------------------ the step
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters: to ``None`` (default) or to zeros.

        With ``None`` the next ``backward`` allocates fresh gradients, and a parameter that gets
        no gradient is skipped by ``step`` (a zero gradient would still move it, e.g. through
        momentum or weight decay).
        """
        for group in self.param_groups:
            _zero_grads(group["params"], set_to_none)

    def step(self, closure: Callable[[], Any] | None = None):
        """Perform one optimization step; return ``closure()`` if a closure is given.

        ``closure`` re-evaluates the model and returns the loss (it runs with grad mode on, so it
        can call ``backward``). Every parameter whose ``grad`` is not None is updated in place.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state.get(p) or {}
                    if not state:
                        self._init_state(p, state, group)
                    if group.get("capturable") and not group.get("fused"):
                        self._check_capturable(p, group)
                    if p._data.ndim == 0:
                        self._update_scalar(p, state, group)
                    else:
                        self._update(p, state, group)
                    if state:
                        self.state[p] = state
                    p._bump()  # an in-place change: autograd's version check sees it
        return loss

    def _check_capturable(self, p: Tensor, group: dict) -> None:
        """``capturable=True`` (CUDA-graph capture) needs the parameters on an accelerator:
        torch's AssertionError, at the first step, for a parameter elsewhere (its wording and
        device list differ a little by optimizer and by foreach, as below)."""
        if p.device.type in _CAPTURABLE_DEVICES:
            return
        name = next(
            (c.__name__ for c in type(self).__mro__ if c.__module__.startswith(__package__)),
            "",
        )
        foreach = bool(group.get("foreach"))
        what = {
            "ASGD": "params, mus, etas, and state_steps",
            "NAdam": f"params, mu_products{',' if foreach else ''} and state_steps",
        }.get(name, "params and state_steps")
        with_xla = name in ("RMSprop", "Rprop") or not (foreach or name == "Adadelta")
        devices = _CAPTURABLE_DEVICES if with_xla else _CAPTURABLE_DEVICES[:-1]
        raise AssertionError(f"If capturable=True, {what} must be on supported devices: {devices}.")

    def _update_scalar(self, p: Tensor, state: dict, group: dict) -> None:
        """Update a 0-d parameter through 1-element views of it, its grad and its state.

        NumPy ufuncs turn 0-d arrays into scalars, which cannot be written in place; a (1,)
        view shares the same memory, so the update rules need no special case.
        """
        bookkeeping = ("step", "mu_product")  # scalar counters stay 0-d
        tensors = [p, p.grad] + [
            v for k, v in state.items() if isinstance(v, Tensor) and k not in bookkeeping
        ]
        scalars = [t for t in tensors if t._data.ndim == 0]
        for t in scalars:
            t._data = t._data.reshape(1)
        try:
            self._update(p, state, group)
        finally:
            created = [
                v
                for k, v in state.items()
                if isinstance(v, Tensor) and k not in bookkeeping and v._data.shape == (1,)
            ]  # state made during the update
            for t in {id(t): t for t in scalars + created}.values():
                t._data = t._data.reshape(())

    def _init_state(self, p: Tensor, state: dict, group: dict) -> None:
        """Create the per-parameter state (``step``, moments) before the first update."""
        for name, start in self._scalar_states.items():
            state[name] = _scalar_state(start)
        for name in self._zero_states:
            state[name] = _zeros_state(p)

    def _update(self, p: Tensor, state: dict, group: dict) -> None:
        """Update one parameter in place from ``p.grad``; implemented by each algorithm."""
        raise NotImplementedError

    @staticmethod
    def _grad(p: Tensor, group: dict, weight_decay: float | None = None):
        """g_t as an array: ∇θ, negated if ``maximize``, plus λθ for L2 (coupled) weight decay.

        ``p.grad`` itself is never modified: a new array is made whenever g differs from it.
        """
        g = p.grad._data
        if group.get("maximize", False):
            g = xp.negative(g)
        wd = group.get("weight_decay", 0) if weight_decay is None else weight_decay
        if wd != 0:
            # torch: grad.add(param, alpha=λ) = g + λθ
            decay = xp.multiply(p._data, wd)
            g = xp.add(g, decay, out=decay)
        return g

    @classmethod
    def _decayed_grad(cls, p: Tensor, group: dict):
        """g_t with weight decay λ either in it (L2) or, if ``decoupled_weight_decay``, applied
        to the weights first: θ ← θ − ηλθ (AdamW's decoupled decay)."""
        wd = group["weight_decay"]
        if wd != 0 and group["decoupled_weight_decay"]:
            p._data *= 1 - _as_float(group["lr"]) * wd  # θ ← θ − ηλθ
            return cls._grad(p, group, weight_decay=0)
        return cls._grad(p, group)

    # ------------------------------------------------------------------ (de)serialization
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state as ``{"state": {index: {...}}, "param_groups": [...]}``.

        Parameters are replaced by their position across all groups (0, 1, 2, ...), so the dict
        can be loaded into a new optimizer built over the same parameters in the same order.
        The state tensors are the live ones (save the dict, or deep-copy it, to keep a snapshot).
        """
        for pre_hook in self._optimizer_state_dict_pre_hooks.values():
            pre_hook(self)
        index: dict[int, int] = {}
        start = 0

        def pack_group(group):
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                index.setdefault(id(p), i)
            packed["params"] = [index[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        param_groups = [pack_group(g) for g in self.param_groups]
        packed_state = {
            (index[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()
        }
        state_dict = {"state": packed_state, "param_groups": param_groups}
        for post_hook in self._optimizer_state_dict_post_hooks.values():
            result = post_hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a ``state_dict()``: hyper-parameters per group and the per-parameter state.

        Floating state tensors are cast to their parameter's dtype (``step`` is kept as is).
        The loaded tensors are copies, so the source optimizer and this one stay independent.
        """
        state_dict = state_dict.copy()  # shallow, as torch (a pre hook may edit it)
        for pre_hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = pre_hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(
            len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups, strict=True)
        ):
            raise ValueError(
                "loaded state dict contains a parameter group that doesn't match the size of "
                "optimizer's group"
            )
        id_map = dict(
            zip(
                chain.from_iterable(g["params"] for g in saved_groups),
                chain.from_iterable(g["params"] for g in groups),
                strict=True,
            )
        )

        def cast(param, value, key=None):
            if isinstance(value, Tensor):
                if key != "step" and param.is_floating_point():
                    # torch's rule: state follows its parameter's dtype and device
                    value = value.to(dtype=param.dtype, device=param.device)
                return Tensor._make(value._data.copy())
            if isinstance(value, dict):
                return {k: cast(param, v, key=k) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return type(value)(cast(param, v) for v in value)
            return copy.deepcopy(value)

        state: defaultdict[Tensor, Any] = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = cast(param, v)
            else:
                state[k] = v

        for group, saved in zip(groups, saved_groups, strict=True):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
        self.__setstate__({"state": state, "param_groups": saved_groups})
        for post_hook in self._optimizer_load_state_dict_post_hooks.values():
            post_hook(self)

    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._init_hooks()  # a pickled optimizer comes back without its hooks, as in torch
        self._patch_step_function()

    def __repr__(self) -> str:
        # torch's layout: each group's lines end in a newline and the next group starts with
        # one, so a blank line separates the groups
        text = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            text += "".join(
                f"    {key}: {group[key]}\n" for key in sorted(group) if key != "params"
            )
        return text + ")"
