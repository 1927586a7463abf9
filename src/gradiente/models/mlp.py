"""Fully connected classifiers: logistic regression and a multilayer perceptron."""

from __future__ import annotations

from collections.abc import Sequence

from gradiente import nn
from gradiente.models.base import check, numel


class LogisticRegression(nn.Module):
    """Multinomial logistic regression: one ``Linear`` layer on the flattened input.

    The logits ``z = W x + b`` go to ``CrossEntropyLoss``, which applies the softmax; the decision
    boundaries between classes are therefore hyperplanes in input space.
    """

    def __init__(self, in_shape: Sequence[int] = (2,), num_classes: int = 2) -> None:
        super().__init__()
        in_shape = check(type(self), in_shape)
        self.flatten = nn.Flatten()
        self.linear = nn.Linear(numel(in_shape), num_classes)

    @staticmethod
    def check_input(in_shape: Sequence[int]) -> str | None:
        """Any sample shape fits (it is flattened)."""
        return None

    def forward(self, x):
        return self.linear(self.flatten(x))


class MLP(nn.Module):
    """A multilayer perceptron: Flatten, then ``Linear`` + ``ReLU`` per hidden layer, then a
    ``Linear`` to the class logits."""

    def __init__(
        self,
        in_shape: Sequence[int] = (1, 28, 28),
        num_classes: int = 10,
        hidden: Sequence[int] = (128, 64),
    ) -> None:
        super().__init__()
        in_shape = check(type(self), in_shape)
        layers = [nn.Flatten()]
        width = numel(in_shape)
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        layers.append(nn.Linear(width, num_classes))
        self.layers = nn.Sequential(*layers)

    @staticmethod
    def check_input(in_shape: Sequence[int]) -> str | None:
        """Any sample shape fits (it is flattened)."""
        return None

    def forward(self, x):
        return self.layers(x)
