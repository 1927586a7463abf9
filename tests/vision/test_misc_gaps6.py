"""Smaller torchvision/torch gaps, against the real libraries: the weight enums' whole ``meta``
dicts (ImageNet categories shared by all, recipe, _ops, _file_size, _docs, ...), the error of
``TF.resize`` to an empty size, and torch's TypeError for a NumPy array given to a layer."""

from __future__ import annotations

import math
import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pytest

import gradiente
from conftest import real_torchvision
from gradiente import nn
from gradiente.vision import functional as TF
from gradiente.vision import models
from gradiente.vision.models import _api

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def tv():
    return real_torchvision()


def _same(a, b, where):
    """Equality of meta values, NaN equal to NaN (feature-only weights have NaN accuracies)."""
    if isinstance(b, dict):
        assert isinstance(a, dict) and list(a) == list(b), where
        for k in b:
            _same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(b, float) and math.isnan(b):
        assert isinstance(a, float) and math.isnan(a), where
    else:
        assert a == b, where


@pytest.mark.parametrize("enum_name", sorted(_api.WEIGHTS))
def test_weights_meta_equals_torchvision(tv, enum_name):
    ours, theirs = _api.WEIGHTS[enum_name], getattr(tv.models, enum_name)
    assert [m.name for m in ours] == [m.name for m in theirs]
    for member in theirs:
        _same(ours[member.name].meta, _facts(member.meta), f"{enum_name}.{member.name}.meta")
    _same(ours.DEFAULT.meta, _facts(theirs.DEFAULT.meta), f"{enum_name}.DEFAULT.meta")


def _facts(meta: dict) -> dict:
    """torchvision's meta without its ``_docs`` prose (not carried over: its own text)."""
    return {k: v for k, v in meta.items() if k != "_docs"}


def test_imagenet_categories_are_one_shared_list(tv):
    categories = models.ResNet18_Weights.DEFAULT.meta["categories"]
    assert (
        len(categories) == 1000 and categories[0] == "tench" and categories[-1] == "toilet tissue"
    )
    assert categories == tv.models.ResNet18_Weights.DEFAULT.meta["categories"]
    for enum in _api.WEIGHTS.values():
        for member in enum:
            shared = member.meta["categories"]
            assert shared is categories or shared is None  # VGG16's feature-only weights: None


@pytest.mark.parametrize("size", [[0, 5], [5, 0], [0], 0])
def test_resize_to_an_empty_size_raises_torchvisions_error(tv, size):
    import torchvision.transforms.functional as TTF

    with pytest.raises(Exception) as expected:
        TTF.resize(torch.zeros(3, 8, 6), size)
    with pytest.raises(type(expected.value)) as got:
        TF.resize(gradiente.zeros(3, 8, 6), size)
    assert str(got.value) == str(expected.value)


@pytest.mark.parametrize(
    "make,x",
    [
        (lambda m: m.Linear(2, 2), np.ones((1, 2), "float32")),
        (lambda m: m.ReLU(), np.ones((1, 2), "float32")),
        (lambda m: m.LeakyReLU(), [1.0, -2.0]),
        (lambda m: m.Conv2d(1, 2, 3), np.ones((1, 1, 4, 4), "float32")),
        (lambda m: m.Conv1d(1, 2, 3), np.ones((1, 1, 4), "float32")),
    ],
)
def test_layers_refuse_numpy_input_with_torchs_type_error(make, x):
    with pytest.raises(TypeError) as expected:
        make(torch.nn)(x)
    with pytest.raises(TypeError) as got:
        make(nn)(x)
    # torch's parser adds per-overload "didn't match" notes after the signatures; the first
    # line names the function and the arguments' types
    assert str(got.value).splitlines()[0] == str(expected.value).splitlines()[0]
