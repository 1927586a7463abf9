"""What the torchvision model builders share: the ``weights=`` check, channel rounding and
``IntermediateLayerGetter`` (a backbone's intermediate outputs)."""

from __future__ import annotations

import warnings
from collections import OrderedDict

from gradiente import nn


def check_weights(weights, builder: str, kwargs: dict | None = None) -> None:
    """Refuse pretrained weights with a message saying how to load them instead.

    The pre-0.13 ``pretrained=`` keyword is taken out of ``kwargs`` (the builder's other
    arguments) with torchvision's deprecation warnings: ``pretrained=False`` is ``weights=None``,
    ``pretrained=True`` asks for the default weights (and is refused like them).

    torchvision downloads ``weights`` from download.pytorch.org; gradiente has no network access
    for that and never unpickles torch's ``.pth`` files, so the architecture is built with
    ``weights=None`` and the numbers come from a state-dict file.
    """
    if kwargs is not None and "pretrained" in kwargs:
        warnings.warn(
            "The parameter 'pretrained' is deprecated since 0.13 and may be removed in the "
            "future, please use 'weights' instead.",
            UserWarning,
            stacklevel=3,
        )
        pretrained = kwargs.pop("pretrained")
        if weights is None:
            weights = "DEFAULT" if pretrained else None
            warnings.warn(
                "Arguments other than a weight enum or `None` for 'weights' are deprecated since "
                "0.13 and may be removed in the future. The current behavior is equivalent to "
                f"passing `weights={weights}`.",
                UserWarning,
                stacklevel=3,
            )
    if weights is None:
        return
    raise ValueError(
        f"{builder}(weights={weights!r}): gradiente cannot download pretrained weights. Build "
        f"the model with weights=None and load a state-dict file instead: "
        f"model.load_state_dict(gradiente.load(path)) (a safetensors file; from PyTorch, write "
        f"one with safetensors.torch.save_file(model.state_dict(), path))"
    )


def make_divisible(v: float, divisor: int, min_value: int | None = None) -> int:
    """``v`` rounded to the nearest multiple of ``divisor`` (at least ``min_value``), never more
    than 10 % below ``v`` — MobileNet's channel rounding, as torchvision's ``_make_divisible``."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:  # rounding down removed more than 10 %: go one step up
        new_v += divisor
    return new_v


class IntermediateLayerGetter(nn.ModuleDict):
    """A model's direct children up to the last one asked for, run in registration order,
    returning the outputs of ``return_layers`` ({child name: output name}) as an ordered dict
    (torchvision's backbone wrapper for detection and segmentation heads).

    It assumes the children are called in the order they were registered, each once, and
    reaches only direct children (``layer1``, not ``layer1.0``).
    """

    _version = 2

    def __init__(self, model: nn.Module, return_layers: dict[str, str]) -> None:
        if not set(return_layers).issubset([name for name, _ in model.named_children()]):
            raise ValueError("return_layers are not present in model")
        orig_return_layers = return_layers
        remaining = {str(k): str(v) for k, v in return_layers.items()}
        layers = OrderedDict()
        for name, module in model.named_children():
            layers[name] = module
            remaining.pop(name, None)
            if not remaining:
                break
        super().__init__(layers)
        self.return_layers = orig_return_layers

    def forward(self, x):
        out = OrderedDict()
        for name, module in self.items():
            x = module(x)
            if name in self.return_layers:
                out[self.return_layers[name]] = x
        return out
