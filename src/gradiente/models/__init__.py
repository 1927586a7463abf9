"""The model zoo: small classifiers as plain ``nn.Module``s, and ``get_model`` to build one by name.

Every model takes the shape of one sample (``in_shape``: ``(1, 28, 28)`` for MNIST, ``(2,)`` for
a 2-D toy set) and the number of classes, and returns logits of shape ``(N, num_classes)``.
``get_model`` refuses a model that cannot take the data's shape (a VGG on 8×8 digits, a CNN on
2-D points) with a message that says why.
"""

from __future__ import annotations

from collections.abc import Sequence

from gradiente.models.base import ModelMismatchError
from gradiente.models.cnn import SmallCNN
from gradiente.models.lenet import LeNet5
from gradiente.models.mlp import MLP, LogisticRegression
from gradiente.models.vgg import VGGSmall
from gradiente.models.vit import ViT

MODELS = {
    "logistic": LogisticRegression,
    "mlp": MLP,
    "cnn": SmallCNN,
    "lenet5": LeNet5,
    "vgg-small": VGGSmall,
    "vit": ViT,
}


def get_model(name: str, in_shape: Sequence[int], num_classes: int):
    """Build the zoo model ``name`` for samples of shape ``in_shape`` and ``num_classes`` classes.

    Raises ``ValueError`` for an unknown name (listing the valid ones) and ``ModelMismatchError``
    (a ``ValueError``) when the model cannot take ``in_shape``.
    """
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose one of: {', '.join(MODELS)}")
    cls = MODELS[name]
    problem = cls.check_input(tuple(in_shape))
    if problem:
        raise ModelMismatchError(
            f"model {name!r} does not fit inputs of shape {tuple(in_shape)}: {problem}"
        )
    return cls(in_shape, num_classes)


__all__ = [
    "LeNet5",
    "LogisticRegression",
    "MLP",
    "MODELS",
    "ModelMismatchError",
    "SmallCNN",
    "VGGSmall",
    "ViT",
    "get_model",
]
