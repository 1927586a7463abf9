"""The layer list is written once: ``gradiente.nn`` exports every layer, under torch.nn's names."""

from __future__ import annotations

import os

import pytest

import gradiente.nn as nn
from gradiente.nn import layers


def test_nn_reexports_every_layer():
    assert layers.__all__, "the layers package names no layer"
    for name in layers.__all__:
        assert name in nn.__all__, name
        assert getattr(nn, name) is getattr(layers, name), name


def test_layers_all_names_exactly_the_layer_classes_imported():
    imported = {name for name, value in vars(layers).items() if isinstance(value, type)}
    assert sorted(layers.__all__) == sorted(imported)
    assert len(set(layers.__all__)) == len(layers.__all__), "a name is listed twice"


def test_every_exported_name_resolves_and_is_torchs():
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    torch = pytest.importorskip("torch")
    for name in nn.__all__:
        assert hasattr(nn, name), name
        assert hasattr(torch.nn, name), f"torch.nn has no {name}"
    assert "Linear" in nn.__all__ and "functional" in nn.__all__
