"""What the torchvision model builders share: the ``weights=`` check and channel rounding."""

from __future__ import annotations

import warnings


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
