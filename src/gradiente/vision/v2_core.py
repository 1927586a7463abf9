"""The machinery under torchvision's ``transforms.v2``: the ``Transform`` base class, how a
sample (an image, a tuple, a dict, nested lists) is taken apart into leaves and put back, and
which leaves a transform touches.

A ``Transform`` is an ``nn.Module`` (as torchvision's), so it prints as one: its ``extra_repr``
lists the public attributes of simple types (bool, int, float, str, tuple, list, enums) in the
order ``__init__`` set them — the v2 classes therefore store their arguments the way
torchvision's do (``Resize(20).size == [20]``, ``RandomCrop(8, padding=2).padding ==
[2, 2, 2, 2]``, ...).

Calling a transform runs ``forward``: flatten the sample, pick the leaves to transform
(``_needs_transform_list``: PIL images, tv_tensors, and plain tensors only when no image is
there, then only the first), draw the random parameters once (``make_params``), transform each
picked leaf with them (``transform``), rebuild. Custom transforms override ``make_params`` and
``transform``, as with torchvision.

The older gradiente classes define ``_apply_one(image)`` instead, which draws its parameters
itself; when the sample holds several images each is transformed from the same generator state,
so they share the draws. Such a transform passes masks and boxes through (a colour transform)
or, marked ``_geometric``, refuses them: it cannot move boxes it never saw the parameters of.
"""

from __future__ import annotations

import enum
import inspect
from collections.abc import Callable

from gradiente import transforms as v1
from gradiente.backend import xp
from gradiente.nn.module import Module
from gradiente.random.generator import get_rng_state, set_rng_state
from gradiente.tensor import Tensor
from gradiente.vision import tv_tensors as tvt


def _flatten(tree) -> tuple[list, Callable]:
    """The leaves of nested tuples/lists/dicts, and a function that rebuilds the structure."""
    if isinstance(tree, (list, tuple)) and not hasattr(tree, "_fields"):
        parts = [_flatten(x) for x in tree]
        leaves = [leaf for p in parts for leaf in p[0]]

        kind = type(tree)

        def rebuild(values):
            out, k = [], 0
            for p in parts:
                n = len(p[0])
                out.append(p[1](values[k : k + n]))
                k += n
            return kind(out)

        return leaves, rebuild
    if isinstance(tree, dict):
        keys = list(tree)
        leaves, rebuild_values = _flatten([tree[k] for k in keys])
        return leaves, lambda values: dict(zip(keys, rebuild_values(values), strict=True))
    return [tree], lambda values: values[0]


def _is_pil_like(x) -> bool:
    """A PIL image, or an H×W(×C) array standing for one."""
    return v1._is_pil(x) or (isinstance(x, xp.ndarray) and x.ndim in (2, 3))


def is_pure_tensor(x) -> bool:
    """A tensor that is no tv_tensor."""
    return isinstance(x, Tensor) and not isinstance(x, tvt.TVTensor)


def _is_image_or_video(x) -> bool:
    """What an image kernel works on: PIL-like, a ``tv_tensors.Image``/``Video``, or (by the
    rule of ``_needs_transform_list``) a plain tensor."""
    return _is_pil_like(x) or isinstance(x, (tvt.Image, tvt.Video)) or is_pure_tensor(x)


def _needs_transform_list(leaves, everything: bool = False) -> list[bool]:
    """v2's rule: PIL images and tv_tensors always; plain tensors only when the sample holds no
    image or video, and then only the first one (the others are, say, labels); other leaves
    (numbers, strings) only for a transform of ``everything`` (``Lambda``'s default)."""
    tensor_allowed = not any(
        _is_pil_like(x) or isinstance(x, (tvt.Image, tvt.Video)) for x in leaves
    )
    flags = []
    for x in leaves:
        if is_pure_tensor(x):
            flags.append(tensor_allowed)
            tensor_allowed = False
        else:
            flags.append(everything or _is_pil_like(x) or isinstance(x, Tensor))
    return flags


def _unwrapped(kernel: Callable, inpt, *args, **kwargs):
    """``kernel`` on a tv_tensor's plain tensor, the result wrapped back into its type (as
    torchvision's kernels for ``Image``/``Video``); other inputs as they are."""
    if isinstance(inpt, tvt.TVTensor):
        return tvt.wrap(kernel(inpt._plain(), *args, **kwargs), like=inpt)
    return kernel(inpt, *args, **kwargs)


class Transform(Module):
    """The base of the v2 transforms (an ``nn.Module``, as torchvision's).

    Override ``make_params(flat_inputs)`` (the random draws, once per call) and
    ``transform(inpt, params)`` (one leaf), or, the older gradiente way, ``_apply_one(image)``.
    """

    _geometric = False  # an _apply_one transform that moves pixels: boxes/masks refused
    _transforms_everything = False  # numbers, strings, ... too (torchvision's Lambda)

    def __new__(cls, *args, **kwargs):
        """Module's bookkeeping is set up here, so subclasses need not call ``__init__``."""
        self = object.__new__(cls)
        Module.__init__(self)
        return self

    def __init__(self) -> None:
        """Nothing more to set: ``__new__`` did Module's part."""

    def check_inputs(self, flat_inputs: list) -> None:
        """Raise for samples this transform cannot handle (nothing by default)."""

    def make_params(self, flat_inputs: list) -> dict:
        """The random parameters shared by every leaf of one call."""
        if hasattr(self, "_apply_one") and sum(map(_is_image_or_video, flat_inputs)) > 1:
            return {"_rng_state": get_rng_state()}  # each image redraws from here
        return {}

    def transform(self, inpt, params: dict):
        """One leaf, with the call's parameters (``_apply_one`` for the older classes)."""
        if isinstance(inpt, (tvt.Mask, tvt.BoundingBoxes)):
            if self._geometric:
                raise TypeError(
                    f"gradiente's v2.{type(self).__name__} does not transform "
                    f"{type(inpt).__name__} yet"
                )
            return inpt  # a colour transform leaves masks and boxes alone
        if "_rng_state" in params:
            set_rng_state(params["_rng_state"])
        return _unwrapped(self._apply_one, inpt)

    def forward(self, *inputs):
        """Do not override (override ``transform``): flatten, draw, transform, rebuild."""
        flat, rebuild = _flatten(inputs if len(inputs) > 1 else inputs[0])
        self.check_inputs(flat)
        needs = _needs_transform_list(flat, self._transforms_everything)
        params = self.make_params([x for x, n in zip(flat, needs, strict=True) if n])
        return rebuild(
            [self.transform(x, params) if n else x for x, n in zip(flat, needs, strict=True)]
        )

    def extra_repr(self) -> str:
        """The public attributes of simple types, in the order they were set (torchvision's)."""
        simple = (bool, int, float, str, tuple, list, enum.Enum)
        return ", ".join(
            f"{name}={value}"
            for name, value in self.__dict__.items()
            if not name.startswith("_") and name != "training" and isinstance(value, simple)
        )


class _FromV1(Transform):
    """A v2 transform whose per-image work and draws are those of a v1 transform.

    ``_public(self, *args, **kwargs)``, called with the constructor's arguments, stores them as
    torchvision's class stores them (what ``repr`` shows; the work is the v1 object's).
    """

    v1_class: type
    _public: Callable | None = None
    _v1_args: Callable | None = None  # the v1 arguments from the stored ones, where they differ

    def __init__(self, *args, **kwargs) -> None:
        if self._public is None:
            self._v1 = self.v1_class(*args, **kwargs)
            return
        type(self)._public(self, *args, **kwargs)
        if self._v1_args is not None:
            self._v1 = self.v1_class(**type(self)._v1_args(self))
            return
        if not isinstance(getattr(self, "interpolation", None), str):
            self._v1 = self.v1_class(*args, **kwargs)
            return
        # v2 takes "bilinear", v1 the enum: the arguments by name, that one converted
        named = inspect.signature(self._public).bind(*args, **kwargs).arguments
        named["interpolation"] = v1._interpolation(self.interpolation)
        self._v1 = self.v1_class(**named)

    def __getattr__(self, name):  # anything else read from the v1 transform
        if name == "_v1":
            raise AttributeError(name)
        return getattr(self._v1, name)

    def _apply_one(self, img):
        return self._v1(img)


def _v2(name: str, v1_class: type, doc: str, public: Callable | None = None, **attrs) -> type:
    """A ``_FromV1`` class named ``name`` around ``v1_class``, storing its arguments with
    ``public``."""
    namespace = {"v1_class": v1_class, "_public": public, "__doc__": doc, **attrs}
    return type(name, (_FromV1,), {"__module__": "gradiente.vision.transforms_v2", **namespace})


def _p_only(default: float = 0.5) -> Callable:
    """The ``_public`` of a transform whose one argument is ``p``."""

    def public(self, p: float = default) -> None:
        self.p = p

    return public


def _p_then(name: str) -> Callable:
    """The ``_public`` of ``X(value, p=0.5)`` (torchvision sets ``p`` first)."""

    def public(self, *args, **kwargs) -> None:
        args = list(args) + [kwargs.get(name, None), kwargs.get("p", 0.5)][len(args) :]
        self.p = args[1]
        setattr(self, name, args[0])

    return public


# ---------------------------------------------------------------------------------------------
# torchvision's argument normalisations (what the v2 classes store, hence what they print)
# ---------------------------------------------------------------------------------------------


def setup_size(size) -> tuple:
    """An int → (size, size); a one-element sequence → (s, s); two elements as given."""
    if isinstance(size, (int, float)):
        return int(size), int(size)
    if len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError("Please provide only two dimensions (h, w) for size.")
    return size


def setup_number_or_seq(arg, name: str) -> list[float]:
    """A number or one/two numbers → [low, high] as floats."""
    if not isinstance(arg, (int, float, list, tuple)):
        raise TypeError(f"{name} should be a number or a sequence of numbers. Got {type(arg)}")
    if isinstance(arg, (int, float)):
        return [float(arg), float(arg)]
    if len(arg) not in (1, 2):
        raise ValueError(f"If {name} is a sequence its length should be 1 or 2. Got {len(arg)}")
    return [float(arg[0]), float(arg[-1])]


def setup_angle(x, name: str) -> list[float]:
    """A number d → [−d, d]; a sequence as floats."""
    if isinstance(x, (int, float)):
        if x < 0:
            raise ValueError(f"If {name} is a single number, it must be positive.")
        x = [-x, x]
    return [float(d) for d in x]


def jitter_range(value, name: str, center: float = 1.0, bound=(0, float("inf")), clip=True):
    """ColorJitter's factor range: a number v → (center − v, center + v) (clipped at 0), None
    when the range is just the centre."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError(f"If {name} is a single number, it must be non negative.")
        value = [center - value, center + value]
        if clip:
            value[0] = max(value[0], 0.0)
    elif isinstance(value, (list, tuple)) and len(value) == 2:
        value = [float(v) for v in value]
    else:
        raise TypeError(f"{name}={value} should be a single number or a sequence with length 2.")
    if not bound[0] <= value[0] <= value[1] <= bound[1]:
        raise ValueError(
            f"{name} values should be between {bound} and increasing, but got {value}."
        )
    return None if value[0] == value[1] == center else (float(value[0]), float(value[1]))


def parse_pad_padding(padding) -> list[int]:
    """torchvision's padding list [left, right, top, bottom] (note: not v1's l, t, r, b)."""
    if isinstance(padding, int):
        return [padding] * 4
    if len(padding) == 1:
        return [padding[0]] * 4
    if len(padding) == 2:
        return [padding[0], padding[0], padding[1], padding[1]]
    if len(padding) == 4:
        return [padding[0], padding[2], padding[1], padding[3]]
    raise ValueError(
        f"Padding must be an int or a 1, 2, or 4 element tuple or list. Found {len(padding)}"
    )
